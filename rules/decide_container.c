/* SPDX-License-Identifier: Apache-2.0 */
/* Containers, decide side: CreateContainer against its policy container, ExecProcess its execs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent_api.h"
#include "decide.h"
#include "policy_state.h"

/* Built-in rules of container requests. */
static const struct policy_rule rule_bad_id = {
        .verdict = VERDICT_DENY,
        .id = "container-id",
        .reason = "the container or exec id is missing, too long, in use or not a plain name",
};

static const struct policy_rule rule_no_spec = {
        .verdict = VERDICT_DENY,
        .id = "container-spec",
        .reason = "the request carries no OCI spec",
};

static const struct policy_rule rule_unknown_container = {
        .verdict = VERDICT_DENY,
        .id = "unknown-container",
        .reason = "the request is not for a container the policy lists",
};

const struct policy_rule container_rule_unbound = {
        .verdict = VERDICT_DENY,
        .id = "unknown-container-id",
        .reason = "the container id was not created under the policy or was removed",
};

bool container_id_valid(const char *id)
{
        size_t len = strnlen(id, POLICY_ID_MAX + 1);

        return len > 0 && len <= POLICY_ID_MAX && id[0] != '.' &&
               strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
                       len;
}

int container_schema_check(const char **ret_missing)
{
        static const struct {
                enum agent_method_id method;
                const char *path;
        } needed[] = {
                { AGENT_CREATE_CONTAINER, "container_id" },
                { AGENT_CREATE_CONTAINER, "string_user" },
                { AGENT_CREATE_CONTAINER, "devices.container_path" },
                { AGENT_CREATE_CONTAINER, "devices.vm_path" },
                { AGENT_CREATE_CONTAINER, "devices.type" },
                { AGENT_CREATE_CONTAINER, "storages.driver_options" },
                { AGENT_CREATE_CONTAINER, "storages.source" },
                { AGENT_CREATE_CONTAINER, "storages.fstype" },
                { AGENT_CREATE_CONTAINER, "storages.options" },
                { AGENT_CREATE_CONTAINER, "storages.mount_point" },
                { AGENT_CREATE_CONTAINER, "storages.shared" },
                { AGENT_CREATE_CONTAINER, "storages.fs_group.group_id" },
                { AGENT_CREATE_CONTAINER, "storages.fs_group.group_change_policy" },
                { AGENT_CREATE_CONTAINER, "shared_mounts" },
                { AGENT_CREATE_CONTAINER, "OCI.Process.Terminal" },
                { AGENT_CREATE_CONTAINER, "OCI.Process.User.AdditionalGids" },
                { AGENT_CREATE_CONTAINER, "OCI.Process.User.Username" },
                { AGENT_CREATE_CONTAINER, "OCI.Process.Args" },
                { AGENT_CREATE_CONTAINER, "OCI.Process.Env" },
                { AGENT_CREATE_CONTAINER, "OCI.Process.Cwd" },
                { AGENT_CREATE_CONTAINER, "OCI.Process.Capabilities.Ambient" },
                { AGENT_CREATE_CONTAINER, "OCI.Process.NoNewPrivileges" },
                { AGENT_CREATE_CONTAINER, "OCI.Process.ApparmorProfile" },
                { AGENT_CREATE_CONTAINER, "OCI.Process.SelinuxLabel" },
                { AGENT_CREATE_CONTAINER, "OCI.Root.Readonly" },
                { AGENT_CREATE_CONTAINER, "OCI.Mounts.options" },
                { AGENT_CREATE_CONTAINER, "OCI.Hooks.StartContainer.Env" },
                { AGENT_CREATE_CONTAINER, "OCI.Annotations" },
                { AGENT_CREATE_CONTAINER, "OCI.Linux.UIDMappings" },
                { AGENT_CREATE_CONTAINER, "OCI.Linux.Sysctl" },
                { AGENT_CREATE_CONTAINER, "OCI.Linux.Resources.Devices.Allow" },
                { AGENT_CREATE_CONTAINER, "OCI.Linux.Namespaces.Path" },
                { AGENT_CREATE_CONTAINER, "OCI.Linux.Devices.Path" },
                { AGENT_CREATE_CONTAINER, "OCI.Linux.Seccomp.Syscalls.Action" },
                { AGENT_CREATE_CONTAINER, "OCI.Linux.MaskedPaths" },
                { AGENT_CREATE_CONTAINER, "OCI.Linux.ReadonlyPaths" },
                { AGENT_CREATE_CONTAINER, "OCI.Linux.MountLabel" },
                { AGENT_CREATE_CONTAINER, "OCI.Linux.IntelRdt" },
                { AGENT_CREATE_CONTAINER, "OCI.Linux.Resources.Memory.Limit" },
                { AGENT_CREATE_CONTAINER, "OCI.Hostname" },
                { AGENT_CREATE_CONTAINER, "OCI.Solaris" },
                { AGENT_CREATE_CONTAINER, "OCI.Windows" },
                { AGENT_CREATE_CONTAINER, "OCI.Process.OOMScoreAdj" },
                { AGENT_CREATE_CONTAINER, "OCI.Process.Rlimits.Hard" },
                { AGENT_CREATE_CONTAINER, "OCI.Process.ConsoleSize" },
                { AGENT_CREATE_CONTAINER, "exec_id" },
                { AGENT_CREATE_CONTAINER, "stdin_port" },
                { AGENT_CREATE_CONTAINER, "stdout_port" },
                { AGENT_CREATE_CONTAINER, "stderr_port" },
                { AGENT_EXEC_PROCESS, "stdin_port" },
                { AGENT_EXEC_PROCESS, "stdout_port" },
                { AGENT_EXEC_PROCESS, "stderr_port" },
                { AGENT_EXEC_PROCESS, "exec_id" },
                { AGENT_EXEC_PROCESS, "string_user" },
                { AGENT_EXEC_PROCESS, "process.Args" },
        };

        for (size_t i = 0; i < ELEMENTSOF(needed); i++) {
                const struct agent_method *m = agent_method_get(needed[i].method);
                struct pb_path path;
                size_t bad;

                if (!m || !m->request ||
                    pb_path_resolve(m->request, needed[i].path, &path, &bad) < 0) {
                        *ret_missing = needed[i].path;
                        return -EPROTO;
                }
        }
        return 0;
}

/* The mount's options are the rule's options, each present, and any of its optional ones. */
static bool mount_options_ok(const struct mount_rule *mr, const ProtobufCMessage *m)
{
        size_t n = pb_count_of(m, "options");

        if (!mr->optional_options.n)
                return strings_equal_set(m, "options", &mr->options);
        for (size_t i = 0; i < n; i++) {
                const char *o = pb_str_of(m, "options", i);
                if (!string_set_has(&mr->options, o) && !string_set_has(&mr->optional_options, o))
                        return false;
        }
        for (size_t j = 0; j < mr->options.n; j++) {
                bool found = false;
                for (size_t i = 0; i < n && !found; i++)
                        found = strcmp(pb_str_of(m, "options", i), mr->options.v[j]) == 0;
                if (!found)
                        return false;
        }
        return true;
}

static bool mount_ok(const struct policy *p, const struct container_rule *cr,
                     const ProtobufCMessage *m)
{
        for (size_t j = 0; j < cr->n_mounts; j++) {
                const struct mount_rule *mr = &cr->mounts[j];
                if (strcmp(mr->destination, pb_str_of(m, "destination", 0)) == 0 &&
                    strcmp(mr->type, pb_str_of(m, "type", 0)) == 0 &&
                    match_cstr(&p->match, &mr->source, pb_str_of(m, "source", 0)) &&
                    mount_options_ok(mr, m))
                        return true;
        }
        return false;
}

static int storages_check(const struct policy *p, const struct container_rule *cr,
                          const ProtobufCMessage *req)
{
        size_t n = pb_count_of(req, "storages");

        for (size_t i = 0; i < n; i++) {
                const ProtobufCMessage *st = pb_msg_of(req, "storages", i);
                if (strcmp(pb_str_of(st, "driver", 0), "image_guest_pull") == 0)
                        continue; /* image_check's */
                if (!storage_allowed(p, cr->storages, cr->n_storages, st))
                        return CHECK_STORAGES;
        }
        return -1;
}

static int devices_check(const struct policy *p, const struct container_rule *cr,
                         const ProtobufCMessage *req, const ProtobufCMessage *linux_)
{
        const ProtobufCMessage *res = pb_msg_of(linux_, "Resources", 0);
        size_t n = pb_count_of(req, "devices");

        for (size_t i = 0; i < n; i++) {
                const ProtobufCMessage *d = pb_msg_of(req, "devices", i);
                bool ok = false;
                for (size_t j = 0; j < cr->n_devices && !ok; j++)
                        ok = strcmp(cr->devices[j].container_path, pb_str_of(d, "container_path", 0)) == 0 &&
                             strcmp(cr->devices[j].type, pb_str_of(d, "type", 0)) == 0 &&
                             match_cstr(&p->match, &cr->devices[j].vm_path, pb_str_of(d, "vm_path", 0));
                if (!ok)
                        return CHECK_DEVICES;
        }
        n = pb_count_of(linux_, "Devices");
        for (size_t i = 0; i < n; i++) {
                const char *path = pb_str_of(pb_msg_of(linux_, "Devices", i), "Path", 0);
                bool ok = false;
                for (size_t j = 0; j < cr->n_devices && !ok; j++)
                        ok = strcmp(cr->devices[j].container_path, path) == 0;
                if (!ok)
                        return CHECK_DEVICES;
        }
        /* A device cgroup "allow" opens devices beyond those listed. */
        n = pb_count_of(res, "Devices");
        for (size_t i = 0; i < n; i++)
                if (pb_uint_of(pb_msg_of(res, "Devices", i), "Allow", 0) && cr->n_devices == 0)
                        return CHECK_DEVICES;
        return -1;
}

static bool kv_ok(const struct policy *p, const struct kv_rule *rules, size_t n_rules,
                  const ProtobufCMessage *entry)
{
        const char *key = pb_str_of(entry, "key", 0);

        for (size_t j = 0; j < n_rules; j++)
                if (strcmp(rules[j].key, key) == 0)
                        return match_cstr(&p->match, &rules[j].value, pb_str_of(entry, "value", 0));
        return false;
}

static int annotations_check(const struct policy *p, const struct container_rule *cr,
                             const ProtobufCMessage *oci)
{
        size_t n = pb_count_of(oci, "Annotations");

        for (size_t i = 0; i < n; i++) {
                const ProtobufCMessage *e = pb_msg_of(oci, "Annotations", i);
                const char *key = pb_str_of(e, "key", 0);
                /* Already matched when the policy container was chosen. */
                if (strcmp(key, ANNOTATION_CONTAINER_NAME) == 0 ||
                    strcmp(key, ANNOTATION_CONTAINER_TYPE) == 0)
                        continue;
                if (!kv_ok(p, cr->annotations, cr->n_annotations, e))
                        return CHECK_ANNOTATIONS;
        }
        return -1;
}

static int namespaces_check(const struct container_rule *cr, const ProtobufCMessage *linux_)
{
        size_t n = pb_count_of(linux_, "Namespaces");
        uint32_t seen = 0;

        for (size_t i = 0; i < n; i++) {
                const ProtobufCMessage *ns = pb_msg_of(linux_, "Namespaces", i);
                const char *type = pb_str_of(ns, "Type", 0);
                int bit = container_namespace_bit(type, strlen(type));
                /* A path joins an existing namespace: another container's, or the host's. */
                if (bit < 0 || pb_str_of(ns, "Path", 0)[0])
                        return CHECK_NAMESPACES;
                seen |= 1u << bit;
        }
        if (cr->check_namespaces && seen != cr->namespaces)
                return CHECK_NAMESPACES;
        return -1;
}

static int hooks_check(const struct policy *p, const struct container_rule *cr,
                       const ProtobufCMessage *oci)
{
        static const char *const stages[_HOOK_STAGE_MAX] = {
                "Prestart",       "Poststart",       "Poststop",
                "CreateRuntime",  "CreateContainer", "StartContainer",
        };
        const ProtobufCMessage *hooks = pb_msg_of(oci, "Hooks", 0);

        for (unsigned s = 0; s < _HOOK_STAGE_MAX; s++) {
                size_t n = pb_count_of(hooks, stages[s]);
                for (size_t i = 0; i < n; i++) {
                        const ProtobufCMessage *h = pb_msg_of(hooks, stages[s], i);
                        bool ok = false;
                        if (pb_count_of(h, "Env") != 0)
                                return CHECK_HOOKS;
                        for (size_t j = 0; j < cr->n_hooks && !ok; j++) {
                                const struct hook_rule *hr = &cr->hooks[j];
                                size_t na = pb_count_of(h, "Args");
                                ok = hr->stage == (enum hook_stage)s && strcmp(hr->path, pb_str_of(h, "Path", 0)) == 0 &&
                                     na == hr->n_args;
                                for (size_t a = 0; a < na && ok; a++)
                                        ok = match_cstr(&p->match, &hr->args[a], pb_str_of(h, "Args", a));
                        }
                        if (!ok)
                                return CHECK_HOOKS;
                }
        }
        return -1;
}

static int seccomp_check(const struct container_rule *cr, const ProtobufCMessage *linux_)
{
        const ProtobufCMessage *sc = pb_msg_of(linux_, "Seccomp", 0);
        size_t n;

        if (cr->seccomp == SECCOMP_ANY)
                return -1;
        if (cr->seccomp == SECCOMP_NONE)
                return sc ? CHECK_SECCOMP : -1;
        if (!sc || strcmp(pb_str_of(sc, "DefaultAction", 0), cr->seccomp_default_action) != 0)
                return CHECK_SECCOMP;
        if (!cr->seccomp_syscalls.v)
                return -1;
        n = pb_count_of(sc, "Syscalls");
        for (size_t i = 0; i < n; i++) {
                const ProtobufCMessage *rule = pb_msg_of(sc, "Syscalls", i);
                size_t nn = pb_count_of(rule, "Names");
                if (strcmp(pb_str_of(rule, "Action", 0), "SCMP_ACT_ALLOW") != 0)
                        continue;
                for (size_t j = 0; j < nn; j++)
                        if (!string_set_has(&cr->seccomp_syscalls, pb_str_of(rule, "Names", j)))
                                return CHECK_SECCOMP;
        }
        return -1;
}

/*
 * containerd's defaults for an unprivileged container (oci/spec.go): what
 * `privileged: false` requires the host to keep masked and read-only. More is
 * fine; one entry fewer gives a root process /proc/sys (kernel.core_pattern:
 * code as root in the guest) or /proc/kcore.
 */
static const char *const default_masked_paths[] = {
        "/proc/acpi",        "/proc/asound",      "/proc/kcore",      "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/sys/firmware",     "/proc/scsi",
};

static const char *const default_readonly_paths[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* Every one of want[0..n_want) is among the repeated string field of m. */
static bool strings_include(const ProtobufCMessage *m, const char *field,
                            const char *const *want, size_t n_want)
{
        size_t n = pb_count_of(m, field);

        for (size_t j = 0; j < n_want; j++) {
                bool found = false;
                for (size_t i = 0; i < n && !found; i++)
                        found = strcmp(pb_str_of(m, field, i), want[j]) == 0;
                if (!found)
                        return false;
        }
        return true;
}

static int linux_check(const struct policy *p, const struct container_rule *cr,
                       const ProtobufCMessage *req, const ProtobufCMessage *oci)
{
        const ProtobufCMessage *linux_ = pb_msg_of(oci, "Linux", 0);
        size_t n;
        int k;

        /* Mappings, labels, mount propagation and shared mounts are never chosen
         * by the host (a shared rootfs would carry the container's mounts out). */
        if (pb_count_of(linux_, "UIDMappings") || pb_count_of(linux_, "GIDMappings") ||
            pb_str_of(linux_, "MountLabel", 0)[0] || pb_str_of(linux_, "RootfsPropagation", 0)[0] ||
            pb_msg_of(linux_, "IntelRdt", 0) || pb_msg_of(oci, "Solaris", 0) ||
            pb_msg_of(oci, "Windows", 0) ||
            pb_count_of(req, "shared_mounts") || pb_msg_of(req, "string_user", 0))
                return CHECK_LINUX;
        if (!cr->privileged &&
            (!strings_include(linux_, "MaskedPaths", default_masked_paths,
                              ELEMENTSOF(default_masked_paths)) ||
             !strings_include(linux_, "ReadonlyPaths", default_readonly_paths,
                              ELEMENTSOF(default_readonly_paths))))
                return CHECK_PRIVILEGED;
        n = pb_count_of(linux_, "Sysctl");
        for (size_t i = 0; i < n; i++)
                if (!kv_ok(p, cr->sysctls, cr->n_sysctls, pb_msg_of(linux_, "Sysctl", i)))
                        return CHECK_SYSCTLS;
        if ((k = namespaces_check(cr, linux_)) >= 0 || (k = seccomp_check(cr, linux_)) >= 0 ||
            (k = devices_check(p, cr, req, linux_)) >= 0)
                return k;
        return -1;
}

/* s starts with prefix: the rest, or NULL. */
static const char *skip_prefix(const char *s, const char *prefix)
{
        size_t n = strlen(prefix);
        return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

/* One or more of the characters in set, at most max: the rest, or NULL. */
static const char *skip_span(const char *s, const char *set, size_t max)
{
        size_t n = strspn(s, set);
        return n >= 1 && n <= max ? s + n : NULL;
}

/*
 * Linux.CgroupsPath is where the agent puts the container's processes. It must
 * be the container's own cgroup under kubepods, as kubelet and containerd name
 * it: for the systemd driver
 *   kubepods[-besteffort|-burstable]-pod<uid, _ for ->.slice:cri-containerd:<id>
 * and for cgroupfs
 *   /kubepods[/besteffort|/burstable]/pod<uid>/<id>
 * Anything else could put the container into another cgroup: another
 * container's, or ccgate's own, which the connect_unix hook lets reach the agent.
 */
static bool cgroups_path_ok(const char *path, const char *container_id)
{
        const char *s;

        if ((s = skip_prefix(path, "kubepods"))) {
                const char *q;
                if ((q = skip_prefix(s, "-besteffort")) || (q = skip_prefix(s, "-burstable")))
                        s = q;
                if (!(s = skip_prefix(s, "-pod")) || !(s = skip_span(s, "0123456789abcdef_", 64)) ||
                    !(s = skip_prefix(s, ".slice:cri-containerd:")))
                        return false;
        } else if ((s = skip_prefix(path, "/kubepods"))) {
                const char *q;
                if ((q = skip_prefix(s, "/besteffort")) || (q = skip_prefix(s, "/burstable")))
                        s = q;
                if (!(s = skip_prefix(s, "/pod")) || !(s = skip_span(s, "0123456789abcdef-", 64)) ||
                    !(s = skip_prefix(s, "/")))
                        return false;
        } else {
                return false;
        }
        return strcmp(s, container_id) == 0;
}

/*
 * With the agent's passfd I/O, nonzero stdin/stdout/stderr ports make it take the
 * process's stdio from host vsock connections: output and input around ccgate
 * and its stream rules. Only a policy that says stdio_ports may allow that.
 */
static bool stdio_ports_ok(const struct container_rule *cr, const ProtobufCMessage *req)
{
        return cr->stdio_ports || (pb_uint_of(req, "stdin_port", 0) == 0 &&
                                   pb_uint_of(req, "stdout_port", 0) == 0 &&
                                   pb_uint_of(req, "stderr_port", 0) == 0);
}

/* The first failing check of req against cr, or -1. */
static int container_check(const struct policy *p, const struct container_rule *cr,
                           const ProtobufCMessage *req, const ProtobufCMessage *oci,
                           const char *container_id)
{
        const ProtobufCMessage *root = pb_msg_of(oci, "Root", 0);
        char root_path[sizeof("/run/kata-containers//rootfs") + POLICY_ID_MAX];
        const char *eid;
        size_t n;
        int k;

        snprintf(root_path, sizeof(root_path), "/run/kata-containers/%s/rootfs", container_id);
        if ((k = image_check(cr, req, root_path)) >= 0)
                return k;
        if (strcmp(pb_str_of(root, "Path", 0), root_path) != 0)
                return CHECK_ROOT;
        if (cr->readonly_root && !pb_uint_of(root, "Readonly", 0))
                return CHECK_ROOT;
        if (!cgroups_path_ok(pb_str_of(pb_msg_of(oci, "Linux", 0), "CgroupsPath", 0), container_id))
                return CHECK_CGROUPS_PATH;
        if ((k = process_check(p, &cr->proc, pb_msg_of(oci, "Process", 0))) >= 0)
                return k;
        /* Absent, the agent applies no capability sets at all: the container keeps
         * every capability the agent has. The policy's sets bound what is sent. */
        if (!pb_msg_of(pb_msg_of(oci, "Process", 0), "Capabilities", 0))
                return CHECK_CAPABILITIES;
        n = pb_count_of(oci, "Mounts");
        for (size_t i = 0; i < n; i++)
                if (!mount_ok(p, cr, pb_msg_of(oci, "Mounts", i)))
                        return CHECK_MOUNTS;
        if ((k = storages_check(p, cr, req)) >= 0 || (k = annotations_check(p, cr, oci)) >= 0 ||
            (k = hooks_check(p, cr, oci)) >= 0 || (k = linux_check(p, cr, req, oci)) >= 0)
                return k;
        /* The init process is the container's own: later requests name it by the
         * container id or "" (policy_state), never by another exec id. */
        eid = pb_str_of(req, "exec_id", 0);
        if ((eid[0] && strcmp(eid, container_id) != 0) || !stdio_ports_ok(cr, req))
                return CHECK_IO;
        if (!match_cstr(&p->match, &cr->hostname, pb_str_of(oci, "Hostname", 0)))
                return CHECK_HOSTNAME;
        if (!resources_ok(p, cr, pb_msg_of(pb_msg_of(oci, "Linux", 0), "Resources", 0)))
                return CHECK_RESOURCES;
        return -1;
}

static const char *annotation(const ProtobufCMessage *oci, const char *key)
{
        const ProtobufCFieldDescriptor *f = pb_field_of(oci, "Annotations");
        return f ? pb_map_get(oci, f, key) : NULL;
}

/* The policy container the runtime's annotations name, or -1. */
static int container_select(const struct policy *p, const ProtobufCMessage *oci)
{
        const char *type = annotation(oci, ANNOTATION_CONTAINER_TYPE);
        const char *name = annotation(oci, ANNOTATION_CONTAINER_NAME);
        bool sandbox;

        if (!type)
                return -1;
        if (strcmp(type, "sandbox") == 0)
                sandbox = true;
        else if (strcmp(type, "container") == 0 && name)
                sandbox = false;
        else
                return -1;
        for (size_t i = 0; i < p->n_containers; i++)
                if (p->containers[i].sandbox == sandbox &&
                    (sandbox || strcmp(p->containers[i].name, name) == 0))
                        return (int)i;
        return -1;
}

static void set_rule(struct decision *d, const struct policy_rule *r)
{
        d->verdict = r->verdict;
        d->rule_id = r->id;
        d->reason = r->reason;
}

void container_decide_create(const struct policy *p, const struct policy_state *s,
                             const ProtobufCMessage *req, struct decision *d)
{
        const char *cid = pb_str_of(req, "container_id", 0);
        const ProtobufCMessage *oci = pb_msg_of(req, "OCI", 0);
        const struct container_rule *cr;
        int ci, k;

        if (!container_id_valid(cid) || state_container_taken(s, cid, strlen(cid)))
                { set_rule(d, &rule_bad_id); return; }
        if (!oci)
                { set_rule(d, &rule_no_spec); return; }
        ci = container_select(p, oci);
        if (ci < 0)
                { set_rule(d, &rule_unknown_container); return; }
        cr = &p->containers[ci];

        /* Bind even when denied: audit mode forwards it, and later requests then decide sanely. */
        d->effect.kind = POLICY_EFFECT_BIND_CONTAINER;
        d->effect.entry = (uint32_t)ci;
        memcpy(d->effect.container_id, cid, strlen(cid) + 1);

        if (cr->sandbox && state_container_count(s, (uint32_t)ci) > 0)
                { set_rule(d, &cr->checks[CHECK_ONCE]); return; }
        k = container_check(p, cr, req, oci, cid);
        set_rule(d, k >= 0 ? &cr->checks[k] : &cr->allow);
}

void container_decide_exec(const struct policy *p, const struct policy_state *s,
                           const ProtobufCMessage *req, struct decision *d)
{
        const char *cid = pb_str_of(req, "container_id", 0);
        const char *eid = pb_str_of(req, "exec_id", 0);
        const ProtobufCMessage *proc = pb_msg_of(req, "process", 0);
        const struct container_rule *cr;
        uint32_t ci, known;

        if (state_container_find(s, cid, strlen(cid), &ci) < 0 || ci == POLICY_ENTRY_NONE)
                { set_rule(d, &container_rule_unbound); return; }
        cr = &p->containers[ci];
        if (!container_id_valid(eid) || strcmp(eid, cid) == 0 ||
            state_exec_find(s, cid, strlen(cid), eid, strlen(eid), &known) == 0)
                { set_rule(d, &rule_bad_id); return; }

        d->effect.kind = POLICY_EFFECT_ADD_EXEC;
        d->effect.entry = POLICY_ENTRY_NONE;
        memcpy(d->effect.container_id, cid, strlen(cid) + 1);
        memcpy(d->effect.exec_id, eid, strlen(eid) + 1);

        if (pb_msg_of(req, "string_user", 0))
                { set_rule(d, &cr->checks[CHECK_PROCESS]); return; }
        if (!stdio_ports_ok(cr, req))
                { set_rule(d, &cr->checks[CHECK_IO]); return; }
        for (uint32_t i = cr->first_exec; i < cr->first_exec + cr->n_execs; i++)
                if (process_check(p, &p->execs[i].proc, proc) < 0) {
                        d->effect.entry = i;
                        { set_rule(d, &p->execs[i].allow); return; }
                }
        set_rule(d, &cr->checks[CHECK_EXEC]);
}

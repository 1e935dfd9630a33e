/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The `containers:` section: the pod's containers as the tenant wants them,
 * each with the exec entries and streams the host may use.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "agent_api.h"
#include "compile.h"
#include "policy_state.h"


static const char *const container_keys[] = {
        "name",         "sandbox",   "id",        "reason",      "image",       "args",
        "env",          "cwd",       "user",      "capabilities", "no_new_privileges",
        "terminal",     "privileged", "readonly_root", "mounts",  "storages",    "devices",
        "sysctls",      "namespaces", "annotations", "hooks",     "seccomp",     "exec",
        "streams",      "apparmor_profile", "oom_score_adj", "rlimits", "hostname",
        "resources",    "stdio_ports", NULL,
};
static const char *const exec_keys[] = { "id",   "reason",       "argv",
                                         "terminal", "user",     "env",
                                         "cwd",  "capabilities", "no_new_privileges",
                                         "streams", "apparmor_profile", "oom_score_adj",
                                         "rlimits", NULL };
static const char *const check_names[_CONTAINER_CHECK_MAX] = {
        [CHECK_CONTAINER_ID] = "container-id", [CHECK_IMAGE] = "image",
        [CHECK_ROOT] = "root",                 [CHECK_ARGS] = "args",
        [CHECK_ENV] = "env",                   [CHECK_CWD] = "cwd",
        [CHECK_USER] = "user",                 [CHECK_CAPABILITIES] = "capabilities",
        [CHECK_NO_NEW_PRIVILEGES] = "no_new_privileges",
        [CHECK_TERMINAL] = "terminal",         [CHECK_PROCESS] = "process",
        [CHECK_APPARMOR] = "apparmor",         [CHECK_OOM_SCORE_ADJ] = "oom_score_adj",
        [CHECK_RLIMITS] = "rlimits",           [CHECK_HOSTNAME] = "hostname",
        [CHECK_RESOURCES] = "resources",       [CHECK_IO] = "io",
        [CHECK_PRIVILEGED] = "privileged",     [CHECK_MOUNTS] = "mounts",
        [CHECK_STORAGES] = "storages",         [CHECK_DEVICES] = "devices",
        [CHECK_SYSCTLS] = "sysctls",           [CHECK_NAMESPACES] = "namespaces",
        [CHECK_ANNOTATIONS] = "annotations",   [CHECK_HOOKS] = "hooks",
        [CHECK_SECCOMP] = "seccomp",           [CHECK_LINUX] = "linux",
        [CHECK_CGROUPS_PATH] = "cgroups_path",
        [CHECK_ONCE] = "once",                 [CHECK_EXEC] = "exec",
        [CHECK_SIGNAL] = "signal",
};
/* Why a CreateContainerRequest (or exec) was refused: never the request's contents. */
static const char *const check_reasons[_CONTAINER_CHECK_MAX] = {
        [CHECK_CONTAINER_ID] = "the container id is missing, too long, in use or not a plain name",
        [CHECK_IMAGE] = "the image storage is not the pinned image as the guest pulls it (source, pull metadata, overlay at the root)",
        [CHECK_ROOT] = "the root filesystem is not the guest-pulled image at its fixed path",
        [CHECK_ARGS] = "the command line differs from the policy's",
        [CHECK_ENV] = "an environment variable is not allowed by the policy",
        [CHECK_CWD] = "the working directory differs from the policy's",
        [CHECK_USER] = "the user or groups differ from the policy's",
        [CHECK_CAPABILITIES] = "a capability is not allowed by the policy",
        [CHECK_NO_NEW_PRIVILEGES] = "no_new_privileges is required by the policy",
        [CHECK_TERMINAL] = "the terminal setting differs from the policy's",
        [CHECK_PROCESS] = "the process carries a user name or an SELinux label",
        [CHECK_APPARMOR] = "the AppArmor profile is not the one the policy names",
        [CHECK_OOM_SCORE_ADJ] = "the OOM score adjustment is outside the policy's",
        [CHECK_RLIMITS] = "a resource limit (rlimit) is not allowed by the policy",
        [CHECK_HOSTNAME] = "the hostname differs from the policy's",
        [CHECK_RESOURCES] = "a cgroup resource setting is not allowed by the policy",
        [CHECK_IO] = "the process's exec id is not its own, or its stdio would bypass ccgate over host vsock ports",
        [CHECK_PRIVILEGED] = "the container would be privileged",
        [CHECK_MOUNTS] = "a mount is not allowed by the policy",
        [CHECK_STORAGES] = "a storage is not allowed by the policy",
        [CHECK_DEVICES] = "a device is not allowed by the policy",
        [CHECK_SYSCTLS] = "a sysctl is not allowed by the policy",
        [CHECK_NAMESPACES] = "the namespaces differ from the policy's or join another's",
        [CHECK_ANNOTATIONS] = "an annotation is not allowed by the policy",
        [CHECK_HOOKS] = "an OCI hook is not allowed by the policy",
        [CHECK_SECCOMP] = "the seccomp profile is weaker than the policy requires",
        [CHECK_LINUX] = "the request sets id mappings, labels, mount propagation, shared mounts or a host user",
        [CHECK_CGROUPS_PATH] = "the cgroup path is not the container's own under kubepods",
        [CHECK_ONCE] = "the pod sandbox container already exists",
        [CHECK_EXEC] = "the command is not one the policy allows in this container",
        [CHECK_SIGNAL] = "the process is not one this container started",
};

static const char *const hook_stage_names[] = { "prestart",       "poststart",
                                                "poststop",       "create_runtime",
                                                "create_container", "start_container", NULL };
static const char *const namespace_names[] = { "pid",  "network", "mount", "ipc",
                                               "uts",  "user",    "cgroup", "time", NULL };

int container_namespace_bit(const char *type, size_t len)
{
        for (int i = 0; namespace_names[i]; i++)
                if (strlen(namespace_names[i]) == len && memcmp(namespace_names[i], type, len) == 0)
                        return i;
        return -EINVAL;
}

static int mounts_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                       struct container_rule *cr)
{
        static const char *const keys[] = { "destination",      "source", "type", "options",
                                            "optional_options", NULL };
        int r = load_check_seq(c, n, "\"mounts\"");

        if (r < 0)
                return r;
        cr->mounts = pool_alloc_array(c->pool, n->n ? n->n : 1, sizeof(*cr->mounts));
        if (!cr->mounts)
                return load_nomem(c);
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *m = n->items[i], *v;
                struct mount_rule *mr = &cr->mounts[i];

                r = load_check_map(c, m, "a mount", keys);
                if (r < 0)
                        return r;
                for (unsigned k = 0; k < 3; k++)
                        if (!ytree_get(m, keys[k]))
                                return load_error(c, m, "missing \"%s\" in a mount", keys[k]);
                if ((r = load_string(c, ytree_get(m, "destination"), "\"destination\"",
                                     &mr->destination)) < 0 ||
                    (r = match_load(c, &p->match, ytree_get(m, "source"), "\"source\"",
                                    &mr->source)) < 0 ||
                    (r = load_string(c, ytree_get(m, "type"), "\"type\"", &mr->type)) < 0)
                        return r;
                mr->options = (struct string_set){ 0 };
                if ((v = ytree_get(m, "options")) &&
                    (r = string_set_load(c, v, "\"options\"", &mr->options)) < 0)
                        return r;
                mr->optional_options = (struct string_set){ 0 };
                if ((v = ytree_get(m, "optional_options")) &&
                    (r = string_set_load(c, v, "\"optional_options\"", &mr->optional_options)) < 0)
                        return r;
        }
        cr->n_mounts = n->n;
        return 0;
}

static int devices_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                        struct container_rule *cr)
{
        static const char *const keys[] = { "container_path", "type", "vm_path", NULL };
        int r = load_check_seq(c, n, "\"devices\"");

        if (r < 0)
                return r;
        cr->devices = pool_alloc_array(c->pool, n->n ? n->n : 1, sizeof(*cr->devices));
        if (!cr->devices)
                return load_nomem(c);
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *m = n->items[i];
                struct device_rule *dr = &cr->devices[i];

                r = load_check_map(c, m, "a device", keys);
                if (r < 0)
                        return r;
                for (unsigned k = 0; k < 3; k++)
                        if (!ytree_get(m, keys[k]))
                                return load_error(c, m, "missing \"%s\" in a device", keys[k]);
                if ((r = load_string(c, ytree_get(m, "container_path"), "\"container_path\"",
                                     &dr->container_path)) < 0 ||
                    (r = load_string(c, ytree_get(m, "type"), "\"type\"", &dr->type)) < 0 ||
                    (r = match_load(c, &p->match, ytree_get(m, "vm_path"), "\"vm_path\"",
                                    &dr->vm_path)) < 0)
                        return r;
        }
        cr->n_devices = n->n;
        return 0;
}

static int namespaces_load(struct load_ctx *c, const struct ynode *n, struct container_rule *cr)
{
        int r = load_check_seq(c, n, "\"namespaces\"");

        if (r < 0)
                return r;
        cr->check_namespaces = true;
        for (size_t i = 0; i < n->n; i++) {
                unsigned bit;
                r = load_enum(c, n->items[i], "namespace", namespace_names, &bit);
                if (r < 0)
                        return r;
                if (cr->namespaces & (1u << bit))
                        return load_error(c, n->items[i], "namespace \"%s\" is listed twice",
                                          namespace_names[bit]);
                cr->namespaces |= 1u << bit;
        }
        return 0;
}

static int hooks_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                      struct container_rule *cr)
{
        static const char *const keys[] = { "stage", "path", "args", NULL };
        int r = load_check_seq(c, n, "\"hooks\"");

        if (r < 0)
                return r;
        cr->hooks = pool_alloc_array(c->pool, n->n ? n->n : 1, sizeof(*cr->hooks));
        if (!cr->hooks)
                return load_nomem(c);
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *m = n->items[i], *v;
                struct hook_rule *h = &cr->hooks[i];
                unsigned stage;

                r = load_check_map(c, m, "a hook", keys);
                if (r < 0)
                        return r;
                if (!ytree_get(m, "stage") || !ytree_get(m, "path"))
                        return load_error(c, m, "missing \"%s\" in a hook",
                                          ytree_get(m, "stage") ? "path" : "stage");
                r = load_enum(c, ytree_get(m, "stage"), "hook stage", hook_stage_names, &stage);
                if (r < 0)
                        return r;
                h->stage = (enum hook_stage)stage;
                r = load_string(c, ytree_get(m, "path"), "\"path\"", &h->path);
                if (r < 0)
                        return r;
                if ((v = ytree_get(m, "args")) &&
                    (r = matcher_list_load(c, p, v, "\"args\"", &h->args, &h->n_args)) < 0)
                        return r;
        }
        cr->n_hooks = n->n;
        return 0;
}

static int seccomp_load(struct load_ctx *c, const struct ynode *n, struct container_rule *cr)
{
        static const char *const words[] = { "any", "none", NULL };
        static const char *const keys[] = { "default_action", "allowed_syscalls", NULL };
        const struct ynode *v;
        unsigned w;
        int r;

        if (n->type == YNODE_SCALAR) {
                r = load_enum(c, n, "\"seccomp\"", words, &w);
                if (r < 0)
                        return r;
                cr->seccomp = w == 0 ? SECCOMP_ANY : SECCOMP_NONE;
                return 0;
        }
        r = load_check_map(c, n, "\"seccomp\"", keys);
        if (r < 0)
                return r;
        if (!(v = ytree_get(n, "default_action")))
                return load_error(c, n, "missing \"default_action\" in \"seccomp\"");
        r = load_string(c, v, "\"default_action\"", &cr->seccomp_default_action);
        if (r < 0)
                return r;
        cr->seccomp = SECCOMP_PROFILE;
        if ((v = ytree_get(n, "allowed_syscalls")))
                return string_set_load(c, v, "\"allowed_syscalls\"", &cr->seccomp_syscalls);
        return 0;
}

/* `resources:` {"Memory.Limit": matcher, ...}: paths into LinuxResources, Devices aside
 * (that is `devices:`'s), each naming a number, string or bool. */
static int resources_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                          struct container_rule *cr)
{
        const ProtobufCMessageDescriptor *d = NULL;
        const struct agent_method *m = agent_method_get(AGENT_CREATE_CONTAINER);
        struct pb_path at;
        size_t bad;
        int r = load_check_map(c, n, "\"resources\"", NULL);

        if (r < 0)
                return r;
        if (m && m->request && pb_path_resolve(m->request, "OCI.Linux.Resources", &at, &bad) == 0)
                d = at.f[at.n - 1]->descriptor;
        if (!d)
                return load_error(c, n, "the agent API has no OCI.Linux.Resources");
        cr->resources = pool_alloc_array(c->pool, n->n ? n->n : 1, sizeof(*cr->resources));
        if (!cr->resources)
                return load_nomem(c);
        for (size_t i = 0; i < n->n; i++) {
                struct resource_rule *rr = &cr->resources[i];
                const struct ynode *k = n->keys[i];

                rr->path_text = pool_strndup(c->pool, k->value, k->len);
                if (!rr->path_text)
                        return load_nomem(c);
                if (pb_path_resolve(d, rr->path_text, &rr->path, &bad) < 0 ||
                    !pb_field_is_text(rr->path.f[rr->path.n - 1]))
                        return load_error(c, k, "\"%s\" is not a number, string or bool field of "
                                          "OCI.Linux.Resources (such as Memory.Limit, CPU.Shares)",
                                          rr->path_text);
                if (strcmp(rr->path.f[0]->name, "Devices") == 0)
                        return load_error(c, k, "Resources.Devices is decided by \"devices\", "
                                          "not \"resources\"");
                r = match_load(c, &p->match, n->items[i], "a resources value", &rr->value);
                if (r < 0)
                        return r;
        }
        cr->n_resources = n->n;
        return 0;
}

static int bool_key(struct load_ctx *c, const struct ynode *n, const char *key, bool *ret)
{
        const struct ynode *v = ytree_get(n, key);
        char what[64];

        if (!v)
                return 0;
        snprintf(what, sizeof(what), "\"%s\"", key);
        return load_bool(c, v, what, ret);
}

/* "<id>.<check>" for each check; registered, so that every id names one rule. */
static int checks_build(struct load_ctx *c, const struct ynode *at, struct container_rule *cr)
{
        for (unsigned k = 0; k < _CONTAINER_CHECK_MAX; k++) {
                int r;

                cr->checks[k] = (struct policy_rule){
                        .verdict = VERDICT_DENY,
                        .id = load_printf(c, "%s.%s", cr->allow.id, check_names[k]),
                        .reason = check_reasons[k],
                        .line = cr->allow.line,
                };
                if (!cr->checks[k].id)
                        return load_nomem(c);
                r = load_register_id(c, at, cr->checks[k].id);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool image_pinned(const char *image)
{
        const char *at = strstr(image, "@sha256:");

        return at && at != image && strlen(at + 8) == 64 &&
               strspn(at + 8, "0123456789abcdef") == 64;
}

static int container_specific_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                                   struct container_rule *cr)
{
        const struct ynode *v;
        int r;

        if ((r = bool_key(c, n, "privileged", &cr->privileged)) < 0 ||
            (r = bool_key(c, n, "readonly_root", &cr->readonly_root)) < 0 ||
            (r = bool_key(c, n, "stdio_ports", &cr->stdio_ports)) < 0)
                return r;
        cr->hostname = (struct matcher){ .kind = MATCH_EXACT, .text = "", .len = 0 };
        if ((v = ytree_get(n, "hostname")) &&
            (r = match_load(c, &p->match, v, "\"hostname\"", &cr->hostname)) < 0)
                return r;
        if ((v = ytree_get(n, "resources")) && (r = resources_load(c, p, v, cr)) < 0)
                return r;
        if ((v = ytree_get(n, "mounts")) && (r = mounts_load(c, p, v, cr)) < 0)
                return r;
        if ((v = ytree_get(n, "storages")) &&
            (r = storage_rules_load(c, p, v, &cr->storages, &cr->n_storages)) < 0)
                return r;
        if ((v = ytree_get(n, "devices")) && (r = devices_load(c, p, v, cr)) < 0)
                return r;
        if ((v = ytree_get(n, "sysctls")) &&
            (r = kv_rules_load(c, p, v, "\"sysctls\"", &cr->sysctls, &cr->n_sysctls)) < 0)
                return r;
        if ((v = ytree_get(n, "annotations")) &&
            (r = kv_rules_load(c, p, v, "\"annotations\"", &cr->annotations,
                               &cr->n_annotations)) < 0)
                return r;
        if ((v = ytree_get(n, "namespaces")) && (r = namespaces_load(c, v, cr)) < 0)
                return r;
        if ((v = ytree_get(n, "hooks")) && (r = hooks_load(c, p, v, cr)) < 0)
                return r;
        if ((v = ytree_get(n, "seccomp")) && (r = seccomp_load(c, v, cr)) < 0)
                return r;
        return 0;
}

static int exec_load(struct load_ctx *c, struct policy *p, const struct ynode *n, uint32_t ci,
                     struct exec_rule *er)
{
        const struct container_rule *cr = &p->containers[ci];
        const struct ynode *v;
        int r;

        r = load_check_map(c, n, "an exec entry", exec_keys);
        if (r < 0)
                return r;
        for (const char *const *k = (const char *const[]){ "id", "reason", "argv", NULL }; *k; k++)
                if (!ytree_get(n, *k))
                        return load_error(c, n, "missing \"%s\" in an exec entry of container \"%s\"",
                                          *k, cr->name);
        if ((r = load_rule_id(c, ytree_get(n, "id"), &er->allow.id)) < 0 ||
            (r = load_reason(c, ytree_get(n, "reason"), &er->allow.reason)) < 0)
                return r;
        er->allow.verdict = VERDICT_ALLOW;
        er->allow.line = n->line;
        er->container = ci;
        /* An exec runs with its container's environment, user and capabilities unless it says. */
        er->proc = cr->proc;
        er->proc.argv = NULL;
        er->proc.n_argv = 0;
        er->proc.terminal = false;
        /* The Go shim's exec'd processes carry no OOMScoreAdj (runtime-rs's the container's). */
        er->proc.oom_or_unset = true;
        r = process_load(c, p, n, "argv", &er->proc);
        if (r < 0)
                return r;
        v = ytree_get(n, "streams");
        return streams_load(c, v, ytree_get(n, "id"), er->allow.id, er->streams);
}

static int container_load(struct load_ctx *c, struct policy *p, const struct ynode *n, uint32_t ci)
{
        struct container_rule *cr = &p->containers[ci];
        const struct ynode *v;
        int r;

        r = load_check_map(c, n, "a container", container_keys);
        if (r < 0)
                return r;
        for (const char *const *k = (const char *const[]){ "name", "id", "reason", "image", "args",
                                                          NULL };
             *k; k++)
                if (!ytree_get(n, *k))
                        return load_error(c, n, "missing \"%s\" in a container", *k);
        if ((r = load_string(c, ytree_get(n, "name"), "\"name\"", &cr->name)) < 0 ||
            (r = bool_key(c, n, "sandbox", &cr->sandbox)) < 0 ||
            (r = load_rule_id(c, ytree_get(n, "id"), &cr->allow.id)) < 0 ||
            (r = load_reason(c, ytree_get(n, "reason"), &cr->allow.reason)) < 0 ||
            (r = load_string(c, ytree_get(n, "image"), "\"image\"", &cr->image)) < 0)
                return r;
        /* The runtime's container-name annotation selects a container, and rule ids
         * ("NAME.args") name it: "" does neither. */
        if (!cr->name[0])
                return load_error(c, ytree_get(n, "name"), "a container's \"name\" is empty; "
                                  "give the name pod.yaml gives it");
        cr->allow.verdict = VERDICT_ALLOW;
        cr->allow.line = n->line;
        for (uint32_t j = 0; j < ci; j++)
                if (p->containers[j].sandbox == cr->sandbox &&
                    (cr->sandbox || strcmp(p->containers[j].name, cr->name) == 0))
                        return load_error(c, ytree_get(n, "name"),
                                          cr->sandbox ? "a second sandbox container; a pod has one"
                                                      : "a second container named \"%s\"",
                                          cr->name);
        /* Pause images are never pulled (the guest has its own); workloads must be pinned. */
        if (!cr->sandbox && !image_pinned(cr->image))
                return load_error(c, ytree_get(n, "image"),
                                  "the image must be pinned by digest: NAME@sha256:<64 hex digits>");
        process_defaults(&cr->proc);
        /* kata's genpolicy requires Linux.Seccomp to be absent (CoCo's configurations set
         * disable_guest_seccomp): a profile is checked only where the policy asks for one. */
        cr->seccomp = SECCOMP_NONE;
        if ((r = process_load(c, p, n, "args", &cr->proc)) < 0 ||
            (r = container_specific_load(c, p, n, cr)) < 0 ||
            (r = checks_build(c, ytree_get(n, "id"), cr)) < 0 ||
            (r = streams_load(c, ytree_get(n, "streams"), ytree_get(n, "id"), cr->allow.id,
                              cr->streams)) < 0)
                return r;

        cr->first_exec = (uint32_t)p->n_execs;
        if ((v = ytree_get(n, "exec"))) {
                if ((r = load_check_seq(c, v, "\"exec\"")) < 0)
                        return r;
                for (size_t i = 0; i < v->n; i++) {
                        r = exec_load(c, p, v->items[i], ci, &p->execs[p->n_execs]);
                        if (r < 0)
                                return r;
                        p->n_execs++;
                        cr->n_execs++;
                }
        }
        return 0;
}

int containers_load(struct load_ctx *c, const struct ynode *seq, struct policy *p)
{
        size_t n_execs = 0;
        int r;

        r = load_check_seq(c, seq, "\"containers\"");
        if (r < 0)
                return r;
        for (size_t i = 0; i < seq->n; i++) {
                const struct ynode *e = ytree_get(seq->items[i], "exec");
                if (e && e->type == YNODE_SEQ)
                        n_execs += e->n;
        }
        p->containers = pool_alloc_array(c->pool, seq->n ? seq->n : 1, sizeof(*p->containers));
        p->execs = pool_alloc_array(c->pool, n_execs ? n_execs : 1, sizeof(*p->execs));
        if (!p->containers || !p->execs)
                return load_nomem(c);
        if (seq->n >= POLICY_ENTRY_NONE || n_execs >= POLICY_ENTRY_NONE)
                return load_error(c, seq, "too many containers or exec entries");
        p->has_containers = true;
        for (size_t i = 0; i < seq->n; i++) {
                r = container_load(c, p, seq->items[i], (uint32_t)i);
                if (r < 0)
                        return r;
                p->n_containers++;
        }
        return 0;
}

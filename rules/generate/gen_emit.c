/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy text from the model, for a person to review: a stable order, and after
 * every rule a comment naming the pod field or setting it comes from. Each part of a
 * container is written by one function of one table (container_parts[]), so a field
 * the policy language gains is one entry here.
 */
#include <errno.h>
#include <string.h>

#include "gen_internal.h"
#include "gen_text.h"

static void comment(struct gtext *t, const char *from)
{
        if (from && from[0]) {
                gtext_puts(t, "  # ");
                for (const char *p = from; *p; p++)
                        gtext_putc(t, *p == '\n' || *p == '\r' ? ' ' : *p);
        }
        gtext_putc(t, '\n');
}

/* A comment on a line of its own. */
static void line_comment(struct gtext *t, unsigned ind, const char *prefix, const char *text)
{
        for (unsigned i = 0; i < ind; i++)
                gtext_putc(t, ' ');
        gtext_printf(t, "# %s", prefix);
        for (const char *p = text; p && *p; p++)
                gtext_putc(t, *p == '\n' || *p == '\r' ? ' ' : *p);
        gtext_putc(t, '\n');
}

static void indent(struct gtext *t, unsigned n)
{
        for (unsigned i = 0; i < n; i++)
                gtext_putc(t, ' ');
}

static void match(struct gtext *t, const struct gmatch *m)
{
        switch (m->kind) {
        case GM_EXACT:
                gtext_yaml_scalar(t, m->s);
                break;
        case GM_REGEX:
                gtext_puts(t, "{regex: ");
                gtext_yaml_quoted(t, m->s);
                gtext_puts(t, "}");
                break;
        case GM_FROM_IPV4:
                gtext_puts(t, "{from_ipv4: ");
                gtext_yaml_quoted(t, m->s);
                gtext_puts(t, "}");
                break;
        case GM_ONE_OF:
                gtext_puts(t, "{one_of: [");
                for (size_t i = 0; i < m->n; i++) {
                        if (i)
                                gtext_puts(t, ", ");
                        gtext_yaml_scalar(t, m->v[i]);
                }
                gtext_puts(t, "]}");
                break;
        default:
                gtext_puts(t, "\"\"");
        }
}

static void flow_list(struct gtext *t, const char *const *v, size_t n)
{
        gtext_putc(t, '[');
        for (size_t i = 0; i < n; i++) {
                if (i)
                        gtext_puts(t, ", ");
                gtext_yaml_scalar(t, v[i]);
        }
        gtext_putc(t, ']');
}

static void streams(struct gtext *t, const bool *allow)
{
        static const char *const names[_GEN_STREAM_MAX] = { "stdout", "stderr", "stdin", "tty_resize" };

        gtext_putc(t, '{');
        for (unsigned k = 0; k < _GEN_STREAM_MAX; k++)
                gtext_printf(t, "%s%s: %s", k ? ", " : "", names[k], allow[k] ? "allow" : "deny");
        gtext_putc(t, '}');
}

static void key_value(struct gtext *t, unsigned ind, const char *key, const char *value,
                      const char *from)
{
        indent(t, ind);
        gtext_printf(t, "%s: ", key);
        gtext_yaml_block_scalar(t, value);
        comment(t, from);
}

/* --- the parts of a container, in the order they are written --------------------- */

static void part_image(struct gtext *t, const struct gen_container *gc)
{
        key_value(t, 4, "image", gc->image, gc->image_from);
}

static void part_args(struct gtext *t, const struct gen_container *gc)
{
        gtext_puts(t, "    args:\n");
        for (size_t i = 0; i < gc->n_args; i++) {
                gtext_puts(t, "      - ");
                match(t, &gc->args[i].m);
                comment(t, gc->args[i].from);
        }
}

static void env_entry(struct gtext *t, unsigned ind, const struct gen_kv *e)
{
        indent(t, ind);
        gtext_puts(t, "- ");
        if (e->value.kind == GM_EXACT) {
                struct gtext tmp = GTEXT_INIT(t->pool);
                gtext_printf(&tmp, "%s=%s", e->key, e->value.s);
                gtext_yaml_scalar(t, gtext_take(&tmp) ? tmp.buf : "");
        } else {
                gtext_puts(t, "{name: ");
                gtext_yaml_scalar(t, e->key);
                gtext_puts(t, ", value: ");
                match(t, &e->value);
                gtext_puts(t, "}");
        }
        comment(t, e->from);
}

static void part_env(struct gtext *t, const struct gen_container *gc)
{
        if (!gc->n_env) {
                gtext_puts(t, "    env: []\n");
                return;
        }
        gtext_puts(t, "    env:\n");
        for (size_t i = 0; i < gc->n_env; i++)
                env_entry(t, 6, &gc->env[i]);
}

static void part_cwd(struct gtext *t, const struct gen_container *gc)
{
        gtext_puts(t, "    cwd: ");
        match(t, &gc->cwd);
        comment(t, gc->cwd_from);
}

static void part_user(struct gtext *t, const struct gen_container *gc)
{
        gtext_printf(t, "    user: {uid: %u, gid: %u, additional_gids: [", gc->uid, gc->gid);
        for (size_t i = 0; i < gc->n_gids; i++)
                gtext_printf(t, "%s%u", i ? ", " : "", gc->gids[i]);
        gtext_puts(t, "]}");
        comment(t, gc->user_from);
}

static void part_caps(struct gtext *t, const struct gen_container *gc)
{
        gtext_puts(t, "    capabilities: ");
        flow_list(t, gc->caps, gc->n_caps);
        comment(t, gc->caps_from);
}

static void part_flags(struct gtext *t, const struct gen_container *gc)
{
        gtext_printf(t, "    no_new_privileges: %s", gc->no_new_privileges ? "true" : "false");
        comment(t, gc->nnp_from ? gc->nnp_from : "allowPrivilegeEscalation not false");
        if (gc->terminal) {
                gtext_puts(t, "    terminal: true");
                comment(t, gc->terminal_from);
        }
        if (gc->privileged) {
                gtext_puts(t, "    privileged: true");
                comment(t, gc->privileged_from);
        }
        gtext_printf(t, "    readonly_root: %s", gc->readonly_root ? "true" : "false");
        comment(t, gc->readonly_from);
        if (gc->apparmor_profile) {
                gtext_puts(t, "    apparmor_profile: ");
                gtext_yaml_scalar(t, gc->apparmor_profile);
                comment(t, gc->apparmor_from);
        }
}

static void kv_map(struct gtext *t, const char *key, const struct gen_kv *v, size_t n);

static void part_limits(struct gtext *t, const struct gen_container *gc)
{
        if (gc->hostname.kind != GM_NONE) {
                gtext_puts(t, "    hostname: ");
                match(t, &gc->hostname);
                comment(t, gc->hostname_from);
        }
        if (gc->has_oom) {
                if (gc->oom_min == gc->oom_max)
                        gtext_printf(t, "    oom_score_adj: %lld", (long long)gc->oom_min);
                else
                        gtext_printf(t, "    oom_score_adj: {min: %lld, max: %lld}",
                                     (long long)gc->oom_min, (long long)gc->oom_max);
                comment(t, gc->oom_from);
        }
        kv_map(t, "resources", gc->resources, gc->n_resources);
}

static void part_namespaces(struct gtext *t, const struct gen_container *gc)
{
        gtext_puts(t, "    namespaces: ");
        flow_list(t, gc->namespaces, gc->n_namespaces);
        comment(t, gc->namespaces_from);
}

static void part_mounts(struct gtext *t, const struct gen_container *gc)
{
        gtext_puts(t, "    mounts:\n");
        for (size_t i = 0; i < gc->n_mounts; i++) {
                const struct gen_mount *m = &gc->mounts[i];
                gtext_puts(t, "      - {destination: ");
                gtext_yaml_scalar(t, m->destination);
                gtext_puts(t, ", source: ");
                match(t, &m->source);
                gtext_puts(t, ", type: ");
                gtext_yaml_scalar(t, m->type);
                gtext_puts(t, ", options: ");
                flow_list(t, m->options, m->n_options);
                if (m->n_optional_options) {
                        gtext_puts(t, ", optional_options: ");
                        flow_list(t, m->optional_options, m->n_optional_options);
                }
                gtext_puts(t, "}");
                comment(t, m->from);
        }
}

static void part_storages(struct gtext *t, const struct gen_container *gc)
{
        if (!gc->n_storages)
                return;
        gtext_puts(t, "    storages:\n");
        for (size_t i = 0; i < gc->n_storages; i++) {
                const struct gen_storage *s = &gc->storages[i];
                gtext_puts(t, "      - {driver: ");
                gtext_yaml_scalar(t, s->driver);
                gtext_puts(t, ", source: ");
                match(t, &s->source);
                gtext_puts(t, ", fstype: ");
                gtext_yaml_scalar(t, s->fstype);
                gtext_puts(t, ", options: ");
                flow_list(t, s->options, s->n_options);
                gtext_puts(t, ", mount_point: ");
                match(t, &s->mount_point);
                gtext_puts(t, ", driver_options: ");
                flow_list(t, s->driver_options, s->n_driver_options);
                if (s->shared)
                        gtext_puts(t, ", shared: true");
                gtext_puts(t, "}");
                comment(t, s->from);
        }
}

static void part_devices(struct gtext *t, const struct gen_container *gc)
{
        (void)gc;
        /* Devices come from device plugins and CDI, which the generator refuses. */
        gtext_puts(t, "    devices: []  # the pod asks for no devices\n");
}

static void kv_map(struct gtext *t, const char *key, const struct gen_kv *v, size_t n)
{
        if (!n) {
                gtext_printf(t, "    %s: {}\n", key);
                return;
        }
        gtext_printf(t, "    %s:\n", key);
        for (size_t i = 0; i < n; i++) {
                gtext_puts(t, "      ");
                gtext_yaml_scalar(t, v[i].key);
                gtext_puts(t, ": ");
                match(t, &v[i].value);
                comment(t, v[i].from);
        }
}

static void part_sysctls(struct gtext *t, const struct gen_container *gc)
{
        kv_map(t, "sysctls", gc->sysctls, gc->n_sysctls);
}

static void part_annotations(struct gtext *t, const struct gen_container *gc)
{
        kv_map(t, "annotations", gc->annotations, gc->n_annotations);
}

static void part_seccomp(struct gtext *t, const struct gen_container *gc)
{
        if (gc->seccomp) {
                gtext_printf(t, "    seccomp: %s", gc->seccomp);
        } else {
                gtext_puts(t, "    seccomp: {default_action: ");
                gtext_yaml_scalar(t, gc->seccomp_action);
                gtext_puts(t, "}");
        }
        comment(t, gc->seccomp_from);
}

static void part_streams(struct gtext *t, const struct gen_container *gc)
{
        gtext_puts(t, "    streams: ");
        streams(t, gc->streams);
        comment(t, gc->streams_from);
}

static void part_exec(struct gtext *t, const struct gen_container *gc)
{
        if (!gc->n_execs) {
                gtext_puts(t, "    exec: []  # no exec probes, hooks or --allow-exec: kubectl exec, "
                              "attach and cp are denied\n");
                return;
        }
        gtext_puts(t, "    exec:\n");
        for (size_t i = 0; i < gc->n_execs; i++) {
                const struct gen_exec *x = &gc->execs[i];
                gtext_puts(t, "      - id: ");
                gtext_yaml_scalar(t, x->id);
                comment(t, x->from);
                key_value(t, 8, "reason", x->reason, NULL);
                gtext_puts(t, "        argv:\n");
                for (size_t k = 0; k < x->n_argv; k++) {
                        gtext_puts(t, "          - ");
                        match(t, &x->argv[k].m);
                        gtext_putc(t, '\n');
                }
                if (x->drop_no_new_privileges)
                        /* The Go shim's exec process has no NoNewPrivileges (kata_agent.go
                         * cmdToKataProcess); runtime-rs sends the container's. */
                        gtext_puts(t, "        no_new_privileges: false  # the Go shim sends exec'd "
                                      "processes without it (settings runtimes.go-shim."
                                      "exec_no_new_privileges)\n");
                gtext_puts(t, "        streams: ");
                streams(t, x->streams);
                comment(t, "kubelet reads the output; runtimes close stdin");
        }
}

static const struct container_part {
        const char *name;
        void (*write)(struct gtext *t, const struct gen_container *gc);
} container_parts[] = {
        { "image", part_image },       { "args", part_args },
        { "env", part_env },           { "cwd", part_cwd },
        { "user", part_user },         { "capabilities", part_caps },
        { "flags", part_flags },       { "limits", part_limits },
        { "namespaces", part_namespaces },
        { "mounts", part_mounts },     { "storages", part_storages },
        { "devices", part_devices },
        { "sysctls", part_sysctls },   { "annotations", part_annotations },
        { "seccomp", part_seccomp },   { "streams", part_streams },
        { "exec", part_exec },
};

static void container(struct gtext *t, const struct gen_container *gc)
{
        gtext_puts(t, "\n");
        line_comment(t, 2, "", gc->from);
        gtext_puts(t, "  - name: ");
        gtext_yaml_scalar(t, gc->name);
        gtext_putc(t, '\n');
        if (gc->sandbox)
                gtext_puts(t, "    sandbox: true\n");
        key_value(t, 4, "id", gc->id, NULL);
        key_value(t, 4, "reason", gc->reason, NULL);
        for (size_t i = 0; i < ELEMENTSOF(container_parts); i++)
                container_parts[i].write(t, gc);
}

static void request(struct gtext *t, const struct gen_request_rule *r)
{
        line_comment(t, 2, "", r->from);
        if (!r->id) {
                gtext_printf(t, "  %s: %s\n", r->request, r->allow ? "allow" : "deny");
                return;
        }
        gtext_printf(t, "  %s:\n    decision: %s\n", r->request, r->allow ? "allow" : "deny");
        key_value(t, 4, "id", r->id, NULL);
        key_value(t, 4, "reason", r->reason, NULL);
        if (!r->n_fields)
                return;
        gtext_puts(t, "    fields:\n");
        for (size_t i = 0; i < r->n_fields; i++) {
                gtext_printf(t, "      %s: ", r->fields[i].path);
                match(t, &r->fields[i].m);
                comment(t, r->fields[i].from);
        }
}

static void copy_rule(struct gtext *t, const struct gen_copy *cp)
{
        static const char *const names[_GEN_COPY_TYPE_MAX] = { "file", "directory", "symlink" };
        bool first = true;

        gtext_puts(t, "  - id: ");
        gtext_yaml_scalar(t, cp->id);
        comment(t, cp->from);
        key_value(t, 4, "reason", cp->reason, NULL);
        gtext_puts(t, "    path: ");
        match(t, &cp->path);
        gtext_puts(t, "\n    types: [");
        for (unsigned k = 0; k < _GEN_COPY_TYPE_MAX; k++) {
                if (!cp->types[k])
                        continue;
                gtext_printf(t, "%s%s", first ? "" : ", ", names[k]);
                first = false;
        }
        gtext_puts(t, "]\n");
}

/* `key: matcher  # from` lines at ind, the first after first_prefix ("- ": one list
 * element); sandbox_pidns is a bool. */
static void section_keys(struct gtext *t, unsigned ind, const char *first_prefix,
                         const struct gen_field *f, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                indent(t, ind);
                if (i == 0 && first_prefix) {
                        gtext_puts(t, first_prefix);
                        ind += (unsigned)strlen(first_prefix);
                }
                gtext_printf(t, "%s: ", f[i].path);
                if (strcmp(f[i].path, "sandbox_pidns") == 0)
                        gtext_puts(t, f[i].m.s);
                else
                        match(t, &f[i].m);
                comment(t, f[i].from);
        }
}

static void sandbox_section(struct gen_ctx *c, struct gtext *t)
{
        const struct gen_sandbox *sb = &c->pod->sandbox;
        const struct gen_settings *s = c->set;

        gtext_puts(t, "\nsandbox:\n");
        section_keys(t, 2, NULL, sb->keys, sb->n_keys);
        gtext_puts(t, "  dns:");
        comment(t, sb->dns.from);
        gtext_puts(t, "    - ");
        match(t, &sb->dns.m);
        gtext_puts(t, "\n  storages:");
        comment(t, sb->storages_from);
        gtext_puts(t, "    - {driver: ");
        gtext_yaml_scalar(t, s->kata.shm_driver);
        gtext_puts(t, ", source: ");
        gtext_yaml_scalar(t, s->kata.shm_source);
        gtext_puts(t, ", fstype: ");
        gtext_yaml_scalar(t, s->kata.shm_fstype);
        gtext_puts(t, ", options: ");
        flow_list(t, s->kata.shm_options.v, s->kata.shm_options.n);
        gtext_puts(t, ", mount_point: ");
        gtext_yaml_scalar(t, s->kata.shm_dir);
        gtext_puts(t, "}\n");
}

static void network_section(struct gen_ctx *c, struct gtext *t)
{
        const struct gen_network *nw = &c->pod->network;

        gtext_puts(t, "\nnetwork:\n  interfaces:\n");
        section_keys(t, 4, "- ", nw->interface, nw->n_interface);
        gtext_puts(t, nw->n_address ? "      addresses:\n" : "      addresses: []\n");
        for (size_t i = 0; i < nw->n_address; i++)
                section_keys(t, 8, "- ", nw->address[i].keys, nw->address[i].n_keys);
        gtext_puts(t, nw->n_route ? "  routes:\n" : "  routes: []\n");
        for (size_t i = 0; i < nw->n_route; i++)
                section_keys(t, 4, "- ", nw->route[i].keys, nw->route[i].n_keys);
        gtext_puts(t, nw->n_neighbor ? "  neighbors:\n" : "  neighbors: []\n");
        for (size_t i = 0; i < nw->n_neighbor; i++)
                section_keys(t, 4, "- ", nw->neighbor[i].keys, nw->neighbor[i].n_keys);
}

static void header(struct gen_ctx *c, struct gtext *t)
{
        const struct gen_pod *pod = c->pod;

        gtext_printf(t, "# ccgate policy for %s %s/%s (%s), generated by `ccgate policy generate`\n",
                     pod->kind, pod->namespace_, pod->workload, pod->file);
        gtext_printf(t, "# for kata's %s runtime with settings from %s.\n", c->runtime, c->set->name);
        gtext_puts(t, "# Review it before use: each rule's comment names the pod field or setting it\n"
                      "# comes from. Anything it does not allow is denied.\n");
        for (size_t i = 0; i < c->n_warnings; i++) {
                if (i == 0)
                        gtext_puts(t, "#\n# Warnings:\n");
                line_comment(t, 0, " - ", c->warnings[i]);
        }
}

int gen_emit(struct gen_ctx *c, char **ret, size_t *ret_len)
{
        struct gtext t = GTEXT_INIT(c->pool);
        const struct gen_pod *pod = c->pod;

        header(c, &t);
        gtext_puts(&t, "version: 1\nmode: enforce\n\nrequests:\n");
        for (size_t i = 0; i < pod->n_requests; i++)
                request(&t, &pod->requests[i]);
        sandbox_section(c, &t);
        network_section(c, &t);
        gtext_puts(&t, "\ncontainers:");
        for (size_t i = 0; i < pod->n_containers; i++)
                container(&t, &pod->containers[i]);
        if (pod->n_copies) {
                gtext_puts(&t, "\ncopy_file:\n");
                for (size_t i = 0; i < pod->n_copies; i++)
                        copy_rule(&t, &pod->copies[i]);
        }
        if (!gtext_take(&t))
                return gen_nomem(c);
        *ret = t.buf;
        *ret_len = t.len;
        return 0;
}

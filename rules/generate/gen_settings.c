/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Settings: the built-in settings.yaml (compiled in), then a tenant's file over it.
 * One table maps every key to its field; a key in neither is an error.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "gen_settings.h"
#include "gen_text.h"
#include "policy_error.h"

/* The compiled-in settings.yaml (gen_settings_text.c, generated at build time). */
extern const char gen_settings_yaml[];
extern const size_t gen_settings_yaml_len;

enum setting_type {
        S_STR,
        S_BOOL,
        S_LIST,
        S_MATCH,
        S_MOUNTS,
        S_KV,
        S_VERSION,
        _S_TYPE_MAX,
        _S_TYPE_INVALID = -22,
};

struct setting {
        const char *path;
        enum setting_type type;
        size_t offset;
};

#define F(path, type, field) { path, type, offsetof(struct gen_settings, field) }

static const struct setting table[] = {
        { "version", S_VERSION, 0 },
        F("runtime", S_STR, runtime),
        F("runtimes.go-shim.sandbox_namespaces", S_LIST, go.sandbox_namespaces),
        F("runtimes.go-shim.container_namespaces", S_LIST, go.container_namespaces),
        F("runtimes.go-shim.stripped_annotations", S_LIST, go.stripped_annotations),
        F("runtimes.go-shim.policy_annotation_set_policy", S_BOOL, go.policy_annotation_set_policy),
        F("runtimes.go-shim.exec_no_new_privileges", S_BOOL, go.exec_no_new_privileges),
        F("runtimes.runtime-rs.exec_no_new_privileges", S_BOOL, rs.exec_no_new_privileges),
        F("runtimes.runtime-rs.sandbox_namespaces", S_LIST, rs.sandbox_namespaces),
        F("runtimes.runtime-rs.container_namespaces", S_LIST, rs.container_namespaces),
        F("runtimes.runtime-rs.stripped_annotations", S_LIST, rs.stripped_annotations),
        F("runtimes.runtime-rs.policy_annotation_set_policy", S_BOOL, rs.policy_annotation_set_policy),
        F("kata.shared_fs", S_STR, kata.shared_fs),
        F("kata.emptydir_mode", S_STR, kata.emptydir_mode),
        F("kata.disable_guest_empty_dir", S_BOOL, kata.disable_guest_empty_dir),
        F("kata.block_emptydir.driver", S_STR, kata.blk_driver),
        F("kata.block_emptydir.source", S_MATCH, kata.blk_source),
        F("kata.block_emptydir.fstype", S_STR, kata.blk_fstype),
        F("kata.block_emptydir.encrypted_driver_options", S_LIST, kata.blk_encrypted_options),
        F("kata.block_emptydir.plain_driver_options", S_LIST, kata.blk_plain_options),
        F("kata.disable_guest_seccomp", S_BOOL, kata.disable_guest_seccomp),
        F("kata.static_sandbox_resource_mgmt", S_BOOL, kata.static_sandbox_resource_mgmt),
        F("kata.pod_annotations", S_LIST, kata.pod_annotations),
        F("kata.shared_dir", S_STR, kata.shared_dir),
        F("kata.sandbox_storage_dir", S_STR, kata.sandbox_storage_dir),
        F("kata.ephemeral_dir", S_STR, kata.ephemeral_dir),
        F("kata.shm_dir", S_STR, kata.shm_dir),
        F("kata.bundle_dir", S_STR, kata.bundle_dir),
        F("kata.shm_storage.driver", S_STR, kata.shm_driver),
        F("kata.shm_storage.source", S_STR, kata.shm_source),
        F("kata.shm_storage.fstype", S_STR, kata.shm_fstype),
        F("kata.shm_storage.options", S_LIST, kata.shm_options),
        F("containerd.sandbox_image", S_STR, containerd.sandbox_image),
        F("containerd.sandbox_args", S_LIST, containerd.sandbox_args),
        F("containerd.sandbox_env", S_LIST, containerd.sandbox_env),
        F("containerd.sandbox_user", S_STR, containerd.sandbox_user),
        F("containerd.sandbox_oom_score_adj", S_STR, containerd.sandbox_oom_score_adj),
        F("containerd.sandbox_cpu_shares", S_STR, containerd.sandbox_cpu_shares),
        F("containerd.path_env", S_STR, containerd.path_env),
        F("containerd.default_capabilities", S_LIST, containerd.default_caps),
        F("containerd.privileged_capabilities", S_LIST, containerd.privileged_caps),
        F("containerd.apparmor_profile", S_STR, containerd.apparmor_profile),
        F("containerd.container_annotations", S_LIST, containerd.container_annotations),
        F("containerd.sandbox_sysctls", S_KV, containerd.sandbox_sysctls),
        F("containerd.mounts", S_MOUNTS, containerd.mounts),
        F("containerd.cgroup_mount_options", S_LIST, containerd.cgroup_options),
        F("containerd.cgroup_mount_host_options", S_LIST, containerd.cgroup_host_options),
        F("containerd.sandbox_resolv_conf_options", S_LIST, containerd.sandbox_resolv_conf_options),
        F("cluster.domain", S_STR, cluster.domain),
        F("cluster.dns_servers", S_LIST, cluster.dns_servers),
        F("cluster.dns_options", S_LIST, cluster.dns_options),
        F("cluster.node_search_domains", S_BOOL, cluster.node_search_domains),
        F("cluster.service_cidrs", S_LIST, cluster.service_cidrs),
        F("cluster.kubernetes_service_port", S_STR, cluster.kubernetes_service_port),
        F("cluster.pod_cidrs", S_LIST, cluster.pod_cidrs),
        F("cluster.node_prefix_lengths", S_LIST, cluster.node_prefix_lengths),
        F("cluster.ipv6_link_local", S_BOOL, cluster.ipv6_link_local),
        F("network.interface", S_STR, network.interface),
        F("network.interface_types", S_LIST, network.interface_types),
        F("network.mtu", S_STR, network.mtu),
        F("network.mac_from_ipv4", S_STR, network.mac_from_ipv4),
        F("network.raw_flags", S_LIST, network.raw_flags),
        F("network.device_path", S_MATCH, network.device_path),
        F("network.route_destinations", S_LIST, network.route_destinations),
        F("network.route_scopes", S_LIST, network.route_scopes),
        F("network.neighbor_states", S_LIST, network.neighbor_states),
        F("network.neighbor_flags", S_LIST, network.neighbor_flags),
        F("images.platform", S_STR, platform),
};

const char *gen_settings_default_text(size_t *ret_len)
{
        if (ret_len)
                *ret_len = gen_settings_yaml_len;
        return gen_settings_yaml;
}

struct gen_settings *gen_settings_free(struct gen_settings *s)
{
        if (!s)
                return NULL;
        pool_done(&s->pool);
        free(s);
        return NULL;
}

const struct gen_runtime_settings *gen_settings_runtime(const struct gen_settings *s,
                                                        const char *name)
{
        if (strcmp(name, "go-shim") == 0)
                return &s->go;
        if (strcmp(name, "runtime-rs") == 0)
                return &s->rs;
        return NULL;
}

/* The node at a dotted path, or NULL; *last gets the key node of its last step. */
static const struct gnode *lookup(const struct gnode *root, const char *path,
                                  const struct gnode **key)
{
        char step[96];
        const struct gnode *n = root;

        *key = NULL;
        while (n && *path) {
                const char *dot = strchr(path, '.');
                size_t len = dot ? (size_t)(dot - path) : strlen(path);
                if (len >= sizeof(step))
                        return NULL;
                memcpy(step, path, len);
                step[len] = '\0';
                *key = gnode_key(n, step);
                n = gnode_get(n, step);
                path += len + (dot ? 1 : 0);
        }
        return n;
}

static int load_list(struct gen_settings *s, const struct gnode *n, const char *what,
                     struct policy_error *err, struct gen_strlist *ret)
{
        const char **v;
        int r = gnode_seq(err, n, what);

        if (r < 0)
                return r;
        v = pool_alloc_array(&s->pool, n->n ? n->n : 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++)
                if ((r = gnode_str(err, n->items[i], what, &v[i])) < 0)
                        return r;
        *ret = (struct gen_strlist){ .v = v, .n = n->n };
        return 0;
}

static int load_match(struct gen_settings *s, const struct gnode *n, const char *what,
                      struct policy_error *err, struct gmatch *ret)
{
        const struct gnode *re = gnode_get(n, "regex"), *set = gnode_get(n, "one_of");
        struct gen_strlist l;
        int r;

        if (n->type == GNODE_SCALAR)
                return gnode_str(err, n, what, &ret->s) < 0 ? -EINVAL : (ret->kind = GM_EXACT, 0);
        if (n->type != GNODE_MAP || n->n != 1 || (!re && !set))
                return gnode_error(err, n, "%s: expected a string, {regex: ...} or {one_of: [...]}",
                                   what);
        if (re) {
                r = gnode_str(err, re, what, &ret->s);
                ret->kind = GM_REGEX;
                return r;
        }
        r = load_list(s, set, what, err, &l);
        if (r < 0)
                return r;
        *ret = (struct gmatch){ .kind = GM_ONE_OF, .v = l.v, .n = l.n };
        return 0;
}

static int load_mounts(struct gen_settings *s, const struct gnode *n, const char *what,
                       struct policy_error *err, struct gen_mounts_setting *ret)
{
        static const struct gkey keys[] = {
                { "destination", GKEY_HANDLED, NULL }, { "source", GKEY_HANDLED, NULL },
                { "type", GKEY_HANDLED, NULL },        { "options", GKEY_HANDLED, NULL },
                { NULL, 0, NULL },
        };
        struct gen_mount_setting *v;
        int r = gnode_seq(err, n, what);

        if (r < 0)
                return r;
        v = pool_alloc_array(&s->pool, n->n ? n->n : 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                const struct gnode *m = n->items[i], *o;
                if ((r = gnode_check_keys(err, m, what, keys)) < 0)
                        return r;
                if (!gnode_get(m, "destination") || !gnode_get(m, "source") || !gnode_get(m, "type"))
                        return gnode_error(err, m, "%s: a mount needs destination, source, type", what);
                if ((r = gnode_str(err, gnode_get(m, "destination"), what, &v[i].destination)) < 0 ||
                    (r = gnode_str(err, gnode_get(m, "source"), what, &v[i].source)) < 0 ||
                    (r = gnode_str(err, gnode_get(m, "type"), what, &v[i].type)) < 0)
                        return r;
                if ((o = gnode_get(m, "options")) &&
                    (r = load_list(s, o, what, err, &v[i].options)) < 0)
                        return r;
        }
        *ret = (struct gen_mounts_setting){ .v = v, .n = n->n };
        return 0;
}

static int load_kv(struct gen_settings *s, const struct gnode *n, const char *what,
                   struct policy_error *err, struct gen_kv_setting *ret)
{
        const char **k, **v;
        int r = gnode_map(err, n, what);

        if (r < 0)
                return r;
        k = pool_alloc_array(&s->pool, n->n ? n->n : 1, sizeof(*k));
        v = pool_alloc_array(&s->pool, n->n ? n->n : 1, sizeof(*v));
        if (!k || !v)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                k[i] = n->keys[i]->value;
                if ((r = gnode_str(err, n->items[i], what, &v[i])) < 0)
                        return r;
        }
        *ret = (struct gen_kv_setting){ .keys = k, .values = v, .n = n->n };
        return 0;
}

static int load_entry(struct gen_settings *s, const struct setting *e, const struct gnode *n,
                      struct policy_error *err)
{
        void *field = (char *)s + e->offset;
        int64_t version;
        int r;

        switch (e->type) {
        case S_VERSION:
                r = gnode_int(err, n, e->path, 1, 1, &version);
                return r;
        case S_STR:
                return gnode_str(err, n, e->path, (const char **)field);
        case S_BOOL:
                return gnode_bool(err, n, e->path, (bool *)field);
        case S_LIST:
                return load_list(s, n, e->path, err, field);
        case S_MATCH:
                return load_match(s, n, e->path, err, field);
        case S_MOUNTS:
                return load_mounts(s, n, e->path, err, field);
        case S_KV:
                return load_kv(s, n, e->path, err, field);
        default:
                return -EINVAL;
        }
}

/* Every key of map (at prefix) must be a setting or lead to one. */
static int check_known(const struct gnode *map, const char *prefix, struct policy_error *err)
{
        char path[160];

        for (size_t i = 0; i < map->n; i++) {
                bool leaf = false, inner = false;
                size_t pl;

                snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "",
                         map->keys[i]->value);
                pl = strlen(path);
                for (size_t k = 0; k < ELEMENTSOF(table); k++) {
                        leaf |= strcmp(table[k].path, path) == 0;
                        inner |= strncmp(table[k].path, path, pl) == 0 && table[k].path[pl] == '.';
                }
                if (leaf)
                        continue;
                if (!inner)
                        return gnode_error(err, map->keys[i], "unknown setting \"%s\"", path);
                if (gnode_map(err, map->items[i], path) < 0)
                        return -EINVAL;
                if (check_known(map->items[i], path, err) < 0)
                        return -EINVAL;
        }
        return 0;
}

/* Apply one settings document over s: every setting it has replaces the current. */
static int apply(struct gen_settings *s, const char *name, const char *buf, size_t len,
                 bool complete, struct policy_error *err)
{
        struct gnode **docs;
        size_t n;
        int r;

        r = gyaml_parse_stream(&s->pool, name, buf, len, &docs, &n, err);
        if (r < 0)
                return r;
        if (n != 1 || docs[0]->type != GNODE_MAP)
                return policy_error_set(err, name, n ? docs[0]->line : 0, n ? docs[0]->column : 0,
                                        "expected one mapping of settings");
        r = check_known(docs[0], "", err);
        if (r < 0)
                return r;
        for (size_t k = 0; k < ELEMENTSOF(table); k++) {
                const struct gnode *key, *v = lookup(docs[0], table[k].path, &key);
                if (!v) {
                        if (complete)
                                return policy_error_set(err, name, 0, 0,
                                                        "the setting \"%s\" is missing",
                                                        table[k].path);
                        continue;
                }
                r = load_entry(s, &table[k], v, err);
                if (r < 0)
                        return r;
        }
        s->name = pool_strndup(&s->pool, name, strlen(name));
        return s->name ? 0 : -ENOMEM;
}

static bool in(const char *s, const char *const *words)
{
        for (; *words; words++)
                if (strcmp(s, *words) == 0)
                        return true;
        return false;
}

static int validate(const struct gen_settings *s, struct policy_error *err)
{
        if (!in(s->runtime, (const char *const[]){ "go-shim", "runtime-rs", NULL }))
                return policy_error_set(err, s->name, 0, 0,
                                        "runtime: expected go-shim or runtime-rs, not \"%s\"",
                                        s->runtime);
        if (strcmp(s->kata.shared_fs, "none") != 0)
                return policy_error_set(err, s->name, 0, 0,
                                        "kata.shared_fs: only \"none\" (Confidential Containers: "
                                        "files are copied) is generated, not \"%s\"",
                                        s->kata.shared_fs);
        if (!in(s->kata.emptydir_mode,
                (const char *const[]){ "block-encrypted", "block-plain", "shared-fs", NULL }))
                return policy_error_set(err, s->name, 0, 0,
                                        "kata.emptydir_mode: expected block-encrypted, "
                                        "block-plain or shared-fs, not \"%s\"",
                                        s->kata.emptydir_mode);
        return 0;
}

int gen_settings_load_buffer(const char *name, const char *buf, size_t len,
                             struct gen_settings **ret, struct policy_error *err)
{
        _cleanup_(gen_settings_freep) struct gen_settings *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        r = apply(s, "settings.yaml (built in)", gen_settings_yaml, gen_settings_yaml_len, true,
                  err);
        if (r < 0)
                return r;
        if (buf) {
                r = apply(s, name, buf, len, false, err);
                if (r < 0)
                        return r;
        }
        r = validate(s, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int gen_settings_load(const char *path, struct gen_settings **ret, struct policy_error *err)
{
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len = 0;
        int r;

        if (!path)
                return gen_settings_load_buffer(NULL, NULL, 0, ret, err);
        r = read_file_bounded(path, GEN_INPUT_MAX, &buf, &len);
        if (r < 0)
                return policy_error_errno(err, r, path, 0, 0, "%s", strerror(-r));
        return gen_settings_load_buffer(path, (const char *)buf, len, ret, err);
}

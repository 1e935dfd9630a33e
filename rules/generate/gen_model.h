/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The generator's model of a pod's policy: what the emitter writes, built by the
 * readers of the pod YAML. Every rule carries `from`, the pod field or setting it
 * comes from, which becomes its comment. Everything lives in the context's pool.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "generate.h"
#include "gen_yaml.h"
#include "pool.h"

/* A value the policy allows: exact, an anchored PCRE2 regex, or one of a set. */
enum gmatch_kind {
        GM_NONE, /* not set */
        GM_EXACT,
        GM_REGEX,
        GM_ONE_OF,
        GM_FROM_IPV4, /* a MAC address: s, then the interface's IPv4 address (network: only) */
        _GM_KIND_MAX,
        _GM_KIND_INVALID = -22,
};

struct gmatch {
        enum gmatch_kind kind;
        const char *s;        /* exact value or regex */
        const char *const *v; /* one_of */
        size_t n;
};

struct gen_kv {
        const char *key;
        struct gmatch value;
        const char *from;
};

struct gen_arg {
        struct gmatch m;
        const char *from;
};

struct gen_mount {
        const char *destination;
        struct gmatch source;
        const char *type;
        const char *const *options;
        size_t n_options;
        const char *const *optional_options; /* may come in addition */
        size_t n_optional_options;
        const char *from;
};

struct gen_storage {
        const char *driver;
        struct gmatch source;
        const char *fstype;
        const char *const *options;
        size_t n_options;
        struct gmatch mount_point;
        const char *const *driver_options;
        size_t n_driver_options;
        bool shared; /* kata keeps the disk for the pod's other containers */
        const char *from;
};

enum gen_stream {
        GEN_STREAM_STDOUT,
        GEN_STREAM_STDERR,
        GEN_STREAM_STDIN,
        GEN_STREAM_TTY_RESIZE,
        _GEN_STREAM_MAX,
        _GEN_STREAM_INVALID = -22,
};

struct gen_exec {
        const char *id, *reason, *from;
        struct gen_arg *argv;
        size_t n_argv;
        bool terminal;
        bool drop_no_new_privileges; /* the runtime sends exec'd processes without it */
        bool streams[_GEN_STREAM_MAX]; /* allowed */
};

struct gen_container {
        bool sandbox;
        const char *name, *id, *reason, *from;
        const char *image, *image_from;
        struct gen_arg *args;
        size_t n_args;
        struct gen_kv *env; /* key = variable name */
        size_t n_env;
        struct gmatch cwd;
        const char *cwd_from;
        uint32_t uid, gid;
        uint32_t *gids;
        size_t n_gids;
        const char *user_from;
        const char *const *caps;
        size_t n_caps;
        const char *caps_from;
        bool no_new_privileges;
        const char *nnp_from;
        bool terminal;
        const char *terminal_from;
        bool privileged;
        const char *privileged_from;
        bool readonly_root;
        const char *readonly_from;
        struct gen_mount *mounts;
        size_t n_mounts, cap_mounts;
        struct gen_storage *storages;
        size_t n_storages, cap_storages;
        struct gen_kv *sysctls;
        size_t n_sysctls;
        struct gen_kv *annotations;
        size_t n_annotations;
        const char *const *namespaces;
        size_t n_namespaces;
        const char *namespaces_from;
        const char *seccomp;        /* "none", "any", or NULL with seccomp_action */
        const char *seccomp_action; /* a profile's default action */
        const char *seccomp_from;
        const char *apparmor_profile; /* the runtime's profile name, or NULL */
        const char *apparmor_from;
        struct gmatch hostname; /* GM_NONE: none (workload containers) */
        const char *hostname_from;
        bool has_oom;
        int64_t oom_min, oom_max;
        const char *oom_from;
        struct gen_kv *resources; /* key: a path into Linux.Resources */
        size_t n_resources;
        bool streams[_GEN_STREAM_MAX];
        const char *streams_from;
        struct gen_exec *execs;
        size_t n_execs, cap_execs;
};

/* One `fields:` entry of a request rule. */
struct gen_field {
        const char *path;
        struct gmatch m;
        const char *from;
};

/* The `sandbox:` section: its keys (hostname, sandbox_id, sandbox_pidns), the dns
 * lines; its one storage is the settings' shm storage. */
struct gen_sandbox {
        struct gen_field *keys;
        size_t n_keys, cap_keys;
        struct gen_field dns; /* each line matches it */
        const char *storages_from;
};

/* One entry of a `network:` list: its keys. */
struct gen_net_entry {
        struct gen_field *keys;
        size_t n_keys;
};

/* The `network:` section: the keys of its one interface; that interface's address
 * entries, the routes and neighbours, one per address family. */
struct gen_network {
        struct gen_field *interface;
        size_t n_interface;
        struct gen_net_entry address[2], route[2], neighbor[2];
        size_t n_address, n_route, n_neighbor;
};

struct gen_request_rule {
        const char *request;
        bool allow;
        const char *id, *reason, *from; /* id NULL: the short form (allow/deny) */
        struct gen_field *fields;
        size_t n_fields;
};

enum gen_copy_type {
        GEN_COPY_FILE,
        GEN_COPY_DIRECTORY,
        GEN_COPY_SYMLINK,
        _GEN_COPY_TYPE_MAX,
        _GEN_COPY_TYPE_INVALID = -22,
};

struct gen_copy {
        const char *id, *reason, *from;
        struct gmatch path;
        bool types[_GEN_COPY_TYPE_MAX];
};

/* --- matchers (gen_match.c) ----------------------------------------------------- */

struct gmatch gm_exact(const char *s);
struct gmatch gm_regex(const char *re);
/* PCRE2 text matching s literally. NULL on ENOMEM. */
char *gm_quote(struct pool *pool, const char *s);
/* The matcher as a regex (an exact value quoted, a set as alternatives). */
char *gm_as_regex(struct pool *pool, const struct gmatch *m);
/* Concatenation: exact when every part is, else a regex. */
int gm_concat(struct pool *pool, const struct gmatch *parts, size_t n, struct gmatch *ret);
/* Alternatives: a one_of of exact values, else a regex. */
int gm_any_of(struct pool *pool, const struct gmatch *alts, size_t n, struct gmatch *ret);
bool gm_equal(const struct gmatch *a, const struct gmatch *b);

/* --- numbers and addresses as regexes (gen_cidr.c) -------------------------------- */

/* A regex for the decimal (base 10) or lower-case hex (base 16) numbers in [lo, hi],
 * written without leading zeros. */
char *gen_range_regex(struct pool *pool, uint64_t lo, uint64_t hi, unsigned base);
/* A regex for the addresses of an IPv4 or IPv6 CIDR as the runtimes print them (Go's
 * net.IP.String, RFC 5952); *why on failure. */
int gen_cidr_regex(struct pool *pool, const char *cidr, char **ret, const char **why);
/* "LO-HI" (or "N") into a regex of the decimal numbers in it. */
int gen_span_regex(struct pool *pool, const char *span, char **ret);

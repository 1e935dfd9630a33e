/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compiled form of a policy: what the compile_*.c files build from YAML and
 * the decide_*.c files read. Immutable after load, except for the
 * pre-allocated regex scratch space used by the single-threaded proxy.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent_api.h"
#include "match.h"
#include "pb_access.h"
#include "policy.h"
#include "pool.h"

/* A decision with the id and reason that a denial or the audit log names. */
struct policy_rule {
        enum verdict verdict;
        const char *id;
        const char *reason;
        unsigned line; /* where the tenant wrote it; 0 for built-in rules */
};

/* `fields:` of a request rule: every element the path reaches must match. */
struct field_rule {
        const char *path_text;
        struct pb_path path;
        struct matcher value;
        struct policy_rule deny; /* "<rule id>.fields.<path>" */
};

/* One entry of the `requests:` table. */
struct request_rule {
        const char *request_name;
        struct policy_rule rule;
        struct field_rule *fields;
        size_t n_fields;
};

struct env_rule {
        const char *name;
        size_t name_len;
        struct matcher value;
};

/* A string set compared as a set (order-free, duplicates ignored). */
struct string_set {
        const char *const *v;
        size_t n;
};

enum cap_set {
        CAP_SET_BOUNDING,
        CAP_SET_EFFECTIVE,
        CAP_SET_INHERITABLE,
        CAP_SET_PERMITTED,
        CAP_SET_AMBIENT,
        _CAP_SET_MAX,
        _CAP_SET_INVALID = -22,
};

/* One `rlimits:` entry: a POSIX rlimit the process may get, exactly. */
struct rlimit_rule {
        const char *type; /* "RLIMIT_NOFILE" */
        uint64_t hard, soft;
};

/* What a process (a container's or an exec'd one) may look like. */
struct process_rule {
        struct matcher *argv;
        size_t n_argv;
        struct env_rule *env;
        size_t n_env;
        struct matcher cwd;
        uint32_t uid, gid;
        const uint32_t *gids; /* additional groups allowed besides gid */
        size_t n_gids;
        uint64_t caps[_CAP_SET_MAX]; /* allowed capability bits per set */
        bool terminal;
        bool no_new_privileges; /* required */
        const char *apparmor_profile; /* the one profile name allowed besides none ("") */
        int64_t oom_min, oom_max;     /* OOMScoreAdj within [min, max] */
        bool oom_or_unset;            /* or 0 (an exec the Go shim sends without one) */
        struct rlimit_rule *rlimits;  /* each of the process's rlimits must be one of these */
        size_t n_rlimits;
};

/* One `resources:` entry: a field of Linux.Resources (other than Devices) and its values. */
struct resource_rule {
        const char *path_text; /* "Memory.Limit" */
        struct pb_path path;   /* resolved against LinuxResources */
        struct matcher value;
};

enum stream_kind {
        STREAM_STDOUT,
        STREAM_STDERR,
        STREAM_STDIN, /* WriteStdin and CloseStdin */
        STREAM_TTY_RESIZE,
        _STREAM_KIND_MAX,
        _STREAM_KIND_INVALID = -22,
};

struct mount_rule {
        const char *destination;
        struct matcher source;
        const char *type;
        struct string_set options;
        struct string_set optional_options; /* may come too (a kernel's cgroup2 flags) */
};

struct storage_rule {
        const char *driver;
        struct matcher source;
        const char *fstype;
        struct string_set options;
        struct matcher mount_point;
        struct string_set driver_options;
        bool shared;              /* kept when a container stops, for the pod's others */
        bool has_fs_group;        /* else the storage must carry none */
        uint32_t fs_group_id;
        unsigned fs_group_policy; /* types.FSGroupChangePolicy: 0 Always, 1 OnRootMismatch */
};

struct device_rule {
        const char *container_path;
        const char *type;
        struct matcher vm_path;
};

struct kv_rule {
        const char *key;
        struct matcher value;
};

enum hook_stage {
        HOOK_PRESTART,
        HOOK_POSTSTART,
        HOOK_POSTSTOP,
        HOOK_CREATE_RUNTIME,
        HOOK_CREATE_CONTAINER,
        HOOK_START_CONTAINER,
        _HOOK_STAGE_MAX,
        _HOOK_STAGE_INVALID = -22,
};

struct hook_rule {
        enum hook_stage stage;
        const char *path;
        struct matcher *args;
        size_t n_args;
};

enum seccomp_mode {
        SECCOMP_ANY,     /* not checked */
        SECCOMP_NONE,    /* must be absent */
        SECCOMP_PROFILE, /* must be present with this default action, allow-list bounded */
        _SECCOMP_MODE_MAX,
        _SECCOMP_MODE_INVALID = -22,
};

/* Which check of a container failed: each has a rule id "<container id>.<name>". */
enum container_check {
        CHECK_CONTAINER_ID,
        CHECK_IMAGE,
        CHECK_ROOT,
        CHECK_ARGS,
        CHECK_ENV,
        CHECK_CWD,
        CHECK_USER,
        CHECK_CAPABILITIES,
        CHECK_NO_NEW_PRIVILEGES,
        CHECK_TERMINAL,
        CHECK_PROCESS,
        CHECK_APPARMOR,
        CHECK_OOM_SCORE_ADJ,
        CHECK_RLIMITS,
        CHECK_HOSTNAME,
        CHECK_RESOURCES,
        CHECK_IO,
        CHECK_PRIVILEGED,
        CHECK_MOUNTS,
        CHECK_STORAGES,
        CHECK_DEVICES,
        CHECK_SYSCTLS,
        CHECK_NAMESPACES,
        CHECK_ANNOTATIONS,
        CHECK_HOOKS,
        CHECK_SECCOMP,
        CHECK_LINUX,
        CHECK_CGROUPS_PATH,
        CHECK_ONCE,
        CHECK_EXEC,
        CHECK_SIGNAL,
        _CONTAINER_CHECK_MAX,
        _CONTAINER_CHECK_INVALID = -22,
};

struct exec_rule {
        struct policy_rule allow; /* the tenant's id and reason */
        uint32_t container;       /* index of its container */
        struct process_rule proc;
        struct policy_rule streams[_STREAM_KIND_MAX];
};

struct container_rule {
        struct policy_rule allow; /* the tenant's id and reason */
        const char *name;
        bool sandbox;
        const char *image;
        struct process_rule proc;
        bool privileged;
        bool readonly_root;
        struct mount_rule *mounts;
        size_t n_mounts;
        struct storage_rule *storages;
        size_t n_storages;
        struct device_rule *devices;
        size_t n_devices;
        struct kv_rule *sysctls;
        size_t n_sysctls;
        struct kv_rule *annotations;
        size_t n_annotations;
        bool check_namespaces;
        uint32_t namespaces; /* bit per container_namespace_bit() */
        struct hook_rule *hooks;
        size_t n_hooks;
        enum seccomp_mode seccomp;
        const char *seccomp_default_action;
        struct string_set seccomp_syscalls; /* allowed by SCMP_ACT_ALLOW rules */
        uint32_t first_exec, n_execs;       /* its exec rules in policy->execs */
        struct matcher hostname;            /* OCI.Hostname */
        struct resource_rule *resources;    /* Linux.Resources, Devices aside */
        size_t n_resources;
        bool stdio_ports;                   /* host vsock ports for stdio (passfd I/O) allowed */
        struct policy_rule streams[_STREAM_KIND_MAX];
        struct policy_rule checks[_CONTAINER_CHECK_MAX]; /* denials */
};

/* The file types a `copy_file:` rule allows, as CopyFile names them by file_mode. */
enum copy_type {
        COPY_FILE,
        COPY_DIRECTORY,
        COPY_SYMLINK,
        _COPY_TYPE_MAX,
        _COPY_TYPE_INVALID = -22,
};

/* One `copy_file:` rule. */
struct copy_rule {
        struct policy_rule allow;
        struct matcher path;
        bool types[_COPY_TYPE_MAX]; /* by enum copy_type */
        uint32_t uid, gid;          /* the owner the agent gives the file */
};

/* The `sandbox:` section: what CreateSandboxRequest may carry (defaults: nothing). */
struct sandbox_rule {
        bool present;              /* the policy has a `sandbox:` section */
        struct matcher hostname;   /* default "" */
        struct matcher sandbox_id; /* used when has_sandbox_id; else a plain id or empty */
        bool has_sandbox_id;
        bool pidns; /* sandbox_pidns must equal; default false */
        struct matcher *dns; /* each non-empty resolv.conf line matches one */
        size_t n_dns;
        struct storage_rule *storages; /* each storage matches one */
        size_t n_storages;
};

/* An address of an interface, or a neighbour's. */
struct address_rule {
        struct matcher family, address, mask;
};

/* One interface of `network: interfaces:`, picked by the name the agent gives the link. */
struct interface_rule {
        const char *name;
        struct matcher hw_addr, device, mtu, raw_flags, type, device_path;
        /* Set: hwAddr must be this prefix and the 4 bytes of the first IPv4 address
         * ("0a:58" + 10.244.1.7 = 0a:58:0a:f4:01:07, as OVN and bridge CNIs pick it);
         * hw_addr is then unused. */
        const char *mac_prefix;
        struct address_rule *addresses; /* each address matches one */
        size_t n_addresses;
        uint32_t min_addresses; /* default 1 */
};

struct route_rule {
        struct matcher dest, gateway, device, source, scope, family, flags, mtu;
};

struct neighbor_rule {
        struct address_rule to;
        struct matcher device, lladdr, state, flags;
        const char *mac_prefix; /* set: lladdr is it and toIPAddress's IPv4 bytes */
};

/* The `network:` section: nothing listed, nothing allowed. */
struct network_rules {
        struct interface_rule *interfaces;
        size_t n_interfaces;
        struct route_rule *routes;
        size_t n_routes;
        struct neighbor_rule *neighbors;
        size_t n_neighbors;
};

struct policy {
        struct pool pool;
        uint8_t *text;
        size_t text_len;
        const char *name;
        enum policy_mode mode;
        unsigned required_hooks; /* bit i: policy_hook_names[i] must be active */
        bool require_measurement; /* a runtime measurement extender must work */
        /* O(1) decisions: indexed by enum agent_method_id; NULL = not listed. */
        const struct request_rule *by_method[_AGENT_METHOD_MAX];
        /* "default-deny" rules naming each request, built once at load. */
        struct policy_rule default_deny[_AGENT_METHOD_MAX];
        struct request_rule *requests;
        size_t n_requests;
        struct match_env match;
        /* The pod: present means container requests are checked against it. */
        bool has_containers;
        struct container_rule *containers;
        size_t n_containers;
        struct exec_rule *execs;
        size_t n_execs;
        struct copy_rule *copies;
        size_t n_copies;
        struct sandbox_rule sandbox;
        struct network_rules network;
};

/* Bit of a namespace type ("pid", "network", ...) in container_rule.namespaces, or -EINVAL. */
int container_namespace_bit(const char *type, size_t len);

/* Rule id of the decision for anything the policy does not list. */
#define POLICY_RULE_DEFAULT_DENY "default-deny"

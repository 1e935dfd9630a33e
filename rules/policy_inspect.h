/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A read-only view of a compiled policy for tools (`ccgate policy check`,
 * `policy explain`) and tests: what each request, container, exec entry and
 * copy rule says, without exposing the compiled form.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

enum policy_stream {
        POLICY_STREAM_STDOUT,
        POLICY_STREAM_STDERR,
        POLICY_STREAM_STDIN,
        POLICY_STREAM_TTY_RESIZE,
        _POLICY_STREAM_MAX,
        _POLICY_STREAM_INVALID = -22,
};

struct policy_request_info {
        bool listed;           /* false: default deny */
        enum verdict verdict;
        const char *rule_id;
        const char *reason;
        size_t n_fields;       /* field rules narrowing an allow */
};

struct policy_container_info {
        const char *name;
        bool sandbox;
        const char *rule_id;
        const char *reason;
        const char *image;
        size_t n_args;
        size_t n_execs;
        enum verdict streams[_POLICY_STREAM_MAX];
};

struct policy_exec_info {
        const char *rule_id;
        const char *reason;
        size_t n_argv;
        bool terminal;
        enum verdict streams[_POLICY_STREAM_MAX];
};

struct policy_copy_info {
        const char *rule_id;
        const char *reason;
        bool file, directory, symlink;
};

/* The table entry of method id. Returns 0 or -EINVAL. */
int policy_request_info(const struct policy *p, enum agent_method_id id,
                        struct policy_request_info *ret);

/* Whether the policy has a containers section (container requests are checked). */
bool policy_has_containers(const struct policy *p);

size_t policy_n_containers(const struct policy *p);
int policy_container_info(const struct policy *p, size_t i, struct policy_container_info *ret);

/* Exec entry j of container i. */
int policy_exec_info(const struct policy *p, size_t i, size_t j, struct policy_exec_info *ret);

/* Argument k of exec entry j of container i (or of the container itself when
 * j == SIZE_MAX) as the policy writes it: "\"x\"", "regex \"x\"", "one of n values". */
int policy_describe_argv(const struct policy *p, size_t i, size_t j, size_t k, char *buf,
                         size_t len);

/* The `sandbox:` section (or its defaults): the hostname as the policy writes it
 * ("\"web\"", "regex \"...\""), and how many dns matchers and storages it lists. */
struct policy_sandbox_info {
        bool present; /* false: the defaults (only an empty request passes) */
        char hostname[160];
        bool sandbox_pidns;
        size_t n_dns, n_storages;
};
int policy_sandbox_info(const struct policy *p, struct policy_sandbox_info *ret);

/* Storage i of the sandbox section: its driver, fstype and mount point as written. */
int policy_sandbox_storage(const struct policy *p, size_t i, const char **ret_driver,
                           const char **ret_fstype, char *mount_point, size_t len);

/* The `network:` section: its interfaces, routes and neighbours. */
struct policy_interface_info {
        const char *name;
        char hw_addr[160]; /* "\"0a:58:...\"", "regex ...", "from IPv4 after 0a:58" */
        size_t n_addresses;
        uint32_t min_addresses;
};
size_t policy_n_interfaces(const struct policy *p);
int policy_interface_info(const struct policy *p, size_t i, struct policy_interface_info *ret);
size_t policy_n_routes(const struct policy *p);
size_t policy_n_neighbors(const struct policy *p);

size_t policy_n_copy_rules(const struct policy *p);
int policy_copy_info(const struct policy *p, size_t i, struct policy_copy_info *ret);

/*
 * State for offline decisions: bind container_id to the policy container
 * named name (or the sandbox container when name is NULL), or add exec_id in
 * container_id running the exec entry with rule id exec_rule_id. -ENOENT when
 * the policy has no such entry, -ENOSPC when the state is full.
 */
int policy_state_bind_named(const struct policy *p, struct policy_state *s,
                            const char *container_id, const char *name);
int policy_state_exec_named(const struct policy *p, struct policy_state *s,
                            const char *container_id, const char *exec_id,
                            const char *exec_rule_id);

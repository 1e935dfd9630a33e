/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The generator's settings (settings.yaml): what the runtime adds to every pod.
 * One table in gen_settings.c maps each key to a field here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "gen_model.h"
#include "pool.h"

struct gen_strlist {
        const char *const *v;
        size_t n;
};

struct gen_mount_setting {
        const char *destination, *source, *type;
        struct gen_strlist options;
};

struct gen_mounts_setting {
        const struct gen_mount_setting *v;
        size_t n;
};

struct gen_kv_setting {
        const char *const *keys;
        const char *const *values;
        size_t n;
};

struct gen_runtime_settings {
        struct gen_strlist sandbox_namespaces, container_namespaces, stripped_annotations;
        bool policy_annotation_set_policy;
        bool exec_no_new_privileges; /* exec'd processes keep the container's */
};

struct gen_settings {
        struct pool pool;
        const char *name; /* where the last file came from, for comments */
        const char *runtime;
        struct gen_runtime_settings go, rs;
        struct {
                const char *shared_fs, *emptydir_mode;
                bool disable_guest_empty_dir, disable_guest_seccomp, static_sandbox_resource_mgmt;
                const char *blk_driver, *blk_fstype;
                struct gmatch blk_source;
                struct gen_strlist blk_encrypted_options, blk_plain_options;
                struct gen_strlist pod_annotations;
                const char *shared_dir, *sandbox_storage_dir, *ephemeral_dir, *shm_dir, *bundle_dir;
                const char *shm_driver, *shm_source, *shm_fstype;
                struct gen_strlist shm_options;
        } kata;
        struct {
                const char *sandbox_image, *sandbox_user, *path_env, *apparmor_profile;
                const char *sandbox_oom_score_adj, *sandbox_cpu_shares;
                struct gen_strlist sandbox_args, sandbox_env, default_caps, privileged_caps;
                struct gen_strlist container_annotations, cgroup_options, cgroup_host_options;
                struct gen_strlist sandbox_resolv_conf_options;
                struct gen_kv_setting sandbox_sysctls;
                struct gen_mounts_setting mounts;
        } containerd;
        struct {
                const char *domain, *kubernetes_service_port;
                struct gen_strlist dns_servers, dns_options, service_cidrs, pod_cidrs;
                struct gen_strlist node_prefix_lengths;
                bool node_search_domains, ipv6_link_local;
        } cluster;
        struct {
                const char *interface, *mtu;
                struct gen_strlist interface_types, raw_flags, route_destinations, route_scopes;
                struct gen_strlist neighbor_states, neighbor_flags;
                struct gmatch device_path;
                const char *mac_from_ipv4; /* "0a:58", or "" for any unicast MAC */
        } network;
        const char *platform;
};

/* The runtime's settings for name ("go-shim" or "runtime-rs"), or NULL. */
const struct gen_runtime_settings *gen_settings_runtime(const struct gen_settings *s,
                                                        const char *name);

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the generator's modules share: the context of one generation, the pod being
 * generated, and the modules' entry points. Data flows one way: the pod YAML is read
 * (gen_pod.c, gen_container.c, gen_env.c, gen_volumes.c) into the model
 * (gen_model.h), the request table is built (gen_requests.c), and the model is
 * written out (gen_emit.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen_images.h"
#include "gen_model.h"
#include "gen_settings.h"
#include "gen_yaml.h"
#include "generate.h"

struct gen_input {
        struct pool pool;
        struct gnode **docs;
        size_t n_docs, cap_docs;
};

enum gen_volume_kind {
        GEN_VOL_EMPTYDIR,
        GEN_VOL_EMPTYDIR_MEMORY,
        GEN_VOL_CONFIGMAP,
        GEN_VOL_SECRET,
        GEN_VOL_PROJECTED,
        GEN_VOL_DOWNWARD_API,
        GEN_VOL_HOST_PATH,
        _GEN_VOL_KIND_MAX,
        _GEN_VOL_KIND_INVALID = -22,
};

struct gen_volume {
        const char *name;
        const char *path; /* "spec.volumes[0]" */
        const struct gnode *node;
        enum gen_volume_kind kind;
        const char *host_path_type; /* hostPath.type */
};

/* The pod being generated: its identity, what it reads, and the model built for it. */
struct gen_pod {
        const char *file;
        const char *kind, *workload; /* "Deployment", "cache" */
        const struct gnode *doc, *meta, *spec;
        const char *meta_path, *spec_path; /* "spec.template.metadata", "spec.template.spec" */
        const char *namespace_;
        struct gmatch name;     /* the pod's name: exact, or a regex for generated names */
        struct gmatch hostname; /* what kubelet makes the sandbox's hostname */
        const char *name_from;
        bool share_pid, service_links, automount_token, privileged;
        bool has_fs_group;
        int64_t fs_group;
        const char *policy_annotation; /* io.katacontainers.config.agent.policy, decoded */
        const char *policy_annotation_b64;
        struct gen_volume *volumes;
        size_t n_volumes;
        struct gen_container *containers;
        size_t n_containers, cap_containers;
        struct gen_copy *copies;
        size_t n_copies, cap_copies;
        struct gen_request_rule *requests;
        size_t n_requests, cap_requests;
        const char **kubelet_files; /* basenames of kubelet's copied files */
        size_t n_kubelet_files, cap_kubelet_files;
        struct gen_sandbox sandbox;
        struct gen_network network;
        /* What the request table depends on. */
        bool any_exec, any_stdin, any_tty, any_allow_exec, any_termination_file, any_resize;
};

struct gen_ctx {
        struct pool *pool;
        struct policy_error *err;
        const struct gen_settings *set;
        const struct gen_runtime_settings *rt;
        const char *runtime;
        const struct gen_images *images;
        const struct gen_input *in;
        const struct gen_request *rq;
        struct gen_pod *pod;
        char **warnings;
        size_t n_warnings, cap_warnings;
};

/* Room for one more element in a pool array; the new element is zeroed. NULL on ENOMEM. */
void *gen_push(struct pool *pool, void **arr, size_t *n, size_t *cap, size_t size);
#define GEN_PUSH(c, arr, n, cap) \
        ((__typeof__(arr))gen_push((c)->pool, (void **)&(arr), &(n), &(cap), sizeof(*(arr))))

/* -ENOMEM with the error filled. */
int gen_nomem(struct gen_ctx *c);
/* A warning at node n (NULL: no position), also written into the policy. */
int gen_warn(struct gen_ctx *c, const struct gnode *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Pool printf that fails the generation on ENOMEM: use as `if (!(s = P(c, ...)))`. */
#define P(c, ...) gen_printf((c)->pool, __VA_ARGS__)

/* A Kubernetes object of the input: kind, name, namespace (defaulted), document. */
const struct gnode *gen_find_object(const struct gen_ctx *c, const char *kind, const char *name);

/* --- the modules ------------------------------------------------------------------ */

/* gen_pod.c: pick the workload, read the pod's identity and volumes. */
int gen_pod_read(struct gen_ctx *c, struct gen_pod *pod);
/* gen_container.c: the sandbox (pause) container, then every init container and
 * container in the YAML's order. */
int gen_containers_build(struct gen_ctx *c);

/* gen_sandbox.c: the pause container (appended to the pod's containers). */
int gen_sandbox_build(struct gen_ctx *c);

/* gen_process.c: what the sandbox and the containers share. sc is the container's
 * securityContext (NULL for the sandbox), psc the pod's. */
const struct gnode *gen_sc_get(const struct gnode *sc, const struct gnode *psc, const char *key);
int gen_annotation(struct gen_ctx *c, struct gen_container *gc, size_t *cap, const char *key,
               struct gmatch value, const char *from);
bool gen_prefix_match(const struct gen_strlist *patterns, const char *key);
int gen_common_annotations(struct gen_ctx *c, struct gen_container *gc, size_t *cap);
int gen_user_of(struct gen_ctx *c, const struct gnode *sc, const struct gnode *psc, const json_t *cfg,
            bool sandbox, const struct gnode *at, const char *path, struct gen_container *gc);
int gen_capabilities(struct gen_ctx *c, const struct gnode *sc, const char *path,
                    struct gen_container *gc);
int gen_bool_sc(struct gen_ctx *c, const struct gnode *sc, const char *key, const char *path, bool *ret);
int gen_security_profiles(struct gen_ctx *c, const struct gnode *sc, const struct gnode *psc,
                      const char *path, struct gen_container *gc);

/* gen_env.c: the container's environment as containerd sets it, and $(VAR) expansion. */
struct gen_envset;
int gen_env_build(struct gen_ctx *c, const struct gnode *cn, const char *path,
                  const json_t *image_config, struct gen_container *gc, struct gen_envset **ret);
/* Expand kubelet's $(VAR) references in s; static: only the env's plain values
 * (probes, ExpandContainerCommandOnlyStatic). */
int gen_env_expand(struct gen_ctx *c, const struct gen_envset *env, const char *s, bool static_only,
                   struct gmatch *ret);

/* gen_resources.c: a container's OOM score and cgroup settings from the pod's resources. */
int gen_container_resources(struct gen_ctx *c, const struct gnode *cn, const char *path,
                            struct gen_container *gc);
/* gen_resources.c: the sandbox's hostname, OOM score and shares. */
int gen_sandbox_resources(struct gen_ctx *c, struct gen_container *gc);

/* gen_volumes.c: the container's mounts, storages and the copies they need. */
int gen_mounts_build(struct gen_ctx *c, const struct gnode *cn, const char *path,
                     const json_t *image_config, struct gen_container *gc);
/* gen_volumes.c: the pause container's mounts. */
int gen_sandbox_mounts_build(struct gen_ctx *c, struct gen_container *gc);
/* gen_volumes.c: the copy rule for kubelet's own files (hosts, hostname, ...). */
int gen_copy_kubelet_files(struct gen_ctx *c);

/* gen_net.c: the `network:` section (pod->network). */
int gen_net_build(struct gen_ctx *c);

/* gen_requests.c: the `requests:` table. */
int gen_requests_build(struct gen_ctx *c);

/* gen_emit.c: the policy text. */
int gen_emit(struct gen_ctx *c, char **ret, size_t *ret_len);

/* gen_net.c: address matchers from the cluster's settings. */
int gen_pod_ip_match(struct gen_ctx *c, bool link_local, struct gmatch *ret);
int gen_service_ip_match(struct gen_ctx *c, struct gmatch *ret);

/* Regex text of a pod-name-like value (a DNS label the platform fills). */
#define GEN_RE_UUID "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
#define GEN_RE_ID64 "[0-9a-f]{64}"
/* k8s.io/apimachinery utilrand.String's alphabet (generated names). */
#define GEN_RE_RAND "[bcdfghjklmnpqrstvwxz2456789]"

/* gen_quantity.c: ceil(q / divisor) of two Kubernetes quantities ("500m", "64Mi"), as
 * kubelet computes a resourceFieldRef. -EINVAL when either is not a quantity. */
int gen_quantity_ceil(const char *q, const char *divisor, uint64_t *ret);

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `ccgate policy generate`: a version 1 policy from a pod's own Kubernetes YAML.
 *
 * The tenant gives the YAML they deploy (a Pod or a workload with a pod template,
 * and the ConfigMaps and Secrets it reads), the images' configurations (OCI image
 * layouts, docker-archive tars or a JSON file; no registry) and, optionally,
 * settings for what the runtime adds (rules/generate/settings.yaml documents the
 * defaults, which follow current kata, containerd and kubelet). The generator
 * writes the policy that allows what kata's runtime sends for that pod, with a
 * comment naming the pod field (or setting) each rule comes from.
 *
 * Library code: no printing, no exit. Every function returns >= 0 or -errno and
 * fills struct policy_error (file:line:column of the YAML field that could not be
 * expressed, and why); out-parameters are untouched on failure.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "policy.h"

/* Parsed Kubernetes YAML: every document of every file given. */
struct gen_input;
/* Image configurations, by reference and digest. */
struct gen_images;
/* What the runtime adds; the built-in defaults, maybe overridden by a file. */
struct gen_settings;

/* Hard bounds on what the generator reads. */
#define GEN_INPUT_MAX (16u * 1024u * 1024u)  /* one YAML or JSON file */
#define GEN_BLOB_MAX (4u * 1024u * 1024u)    /* one image index, manifest or config */

int gen_input_new(struct gen_input **ret);
struct gen_input *gen_input_free(struct gen_input *in);
DEFINE_PTR_CLEANUP(struct gen_input, gen_input_free)
/* Add the documents of a YAML file ("-" for standard input) or of a buffer (name for
 * positions). Anchors, aliases and tags other than the core ones are refused. */
int gen_input_add_file(struct gen_input *in, const char *path, struct policy_error *err);
int gen_input_add_buffer(struct gen_input *in, const char *name, const char *buf, size_t len,
                         struct policy_error *err);

int gen_images_new(struct gen_images **ret);
struct gen_images *gen_images_free(struct gen_images *im);
DEFINE_PTR_CLEANUP(struct gen_images, gen_images_free)
/*
 * Add images from path: an OCI image layout directory, a tar holding one (what
 * `docker save` writes since docker 25, or `skopeo copy ... oci-archive:`), a
 * legacy docker-archive tar (manifest.json with RepoTags), or a JSON file
 * {"images": [{"name", "tag", "digest", "config"}]} (tests/corpus/images.json's
 * form). Every index, manifest and config blob read is checked against its digest.
 */
int gen_images_add(struct gen_images *im, const char *path, struct policy_error *err);
int gen_images_add_json(struct gen_images *im, const char *name, const char *buf, size_t len,
                        struct policy_error *err);

/*
 * The built-in settings (settings.yaml, compiled in), then the file at path over
 * them when path is not NULL: every key it has replaces the default's.
 */
int gen_settings_load(const char *path, struct gen_settings **ret, struct policy_error *err);
int gen_settings_load_buffer(const char *name, const char *buf, size_t len,
                             struct gen_settings **ret, struct policy_error *err);
struct gen_settings *gen_settings_free(struct gen_settings *s);
DEFINE_PTR_CLEANUP(struct gen_settings, gen_settings_free)
/* The text of the built-in settings file. */
const char *gen_settings_default_text(size_t *ret_len);

/* A command the tenant allows the host to run (kubectl exec): --allow-exec. */
struct gen_exec_allow {
        const char *container;
        const char *const *argv;
        size_t argc;
};

enum gen_logs {
        GEN_LOGS_DENY,  /* kubectl logs reads nothing (the reads are drained) */
        GEN_LOGS_ALLOW,
        _GEN_LOGS_MAX,
        _GEN_LOGS_INVALID = -22,
};

struct gen_request {
        const char *workload;   /* NULL: the input must hold exactly one workload */
        const char *namespace_; /* for objects without metadata.namespace; NULL: "default" */
        const char *runtime;    /* "go-shim" or "runtime-rs"; NULL: the settings' */
        enum gen_logs logs;
        const char *const *logs_from; /* containers kubectl logs may read whatever logs says */
        size_t n_logs_from;
        bool allow_host_path;
        const struct gen_exec_allow *execs;
        size_t n_execs;
};

/* The policy text and what the tenant should read before using it. */
struct gen_output {
        char *policy; /* NUL-terminated; policy_len bytes */
        size_t policy_len;
        char **warnings; /* "FILE:LINE:COLUMN: text", also written into the policy */
        size_t n_warnings;
};

/*
 * Generate the policy for one pod. The result has been loaded back with
 * policy_load_buffer() (a generator bug that the loader refuses is -EPROTO).
 */
int gen_generate(const struct gen_input *in, const struct gen_images *im,
                 const struct gen_settings *s, const struct gen_request *rq,
                 struct gen_output *ret, struct policy_error *err);
void gen_output_done(struct gen_output *out);

/*
 * The CoCo initdata TOML document that carries policy under [data] "ccgate.yaml"
 * (enforcer/core/attest.h ATTEST_INITDATA_POLICY_KEY) and the kata agent's policy
 * under "policy.rego": rego (rego_len bytes) when given, else one that allows every
 * request (ccgate decides them first); algorithm sha256, sha384 or sha512. aa.toml
 * and cdh.toml are not written. *ret is malloc'd.
 */
int gen_initdata(const char *policy, size_t len, const char *rego, size_t rego_len,
                 const char *algorithm, char **ret, size_t *ret_len, struct policy_error *err);

enum gen_logs gen_logs_from_string(const char *s);

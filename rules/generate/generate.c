/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_generate(): read the pod, build the model, write the policy text, and load it
 * back with the policy compiler, so that what it returns is a policy ccgate accepts.
 * Also the input (YAML documents) and the helpers the modules share.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "gen_internal.h"
#include "gen_text.h"
#include "policy_error.h"

void *gen_push(struct pool *pool, void **arr, size_t *n, size_t *cap, size_t size)
{
        char *na;

        if (*n == *cap) {
                size_t ncap = *cap ? *cap * 2 : 8;
                na = pool_alloc_array(pool, ncap, size);
                if (!na)
                        return NULL;
                if (*n)
                        memcpy(na, *arr, *n * size);
                *arr = na;
                *cap = ncap;
        }
        na = (char *)*arr + (*n)++ * size;
        memset(na, 0, size);
        return na;
}

int gen_nomem(struct gen_ctx *c)
{
        return policy_error_errno(c->err, -ENOMEM, "", 0, 0, "out of memory");
}

int gen_warn(struct gen_ctx *c, const struct gnode *n, const char *fmt, ...)
{
        char msg[640];
        char **slot;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        slot = GEN_PUSH(c, c->warnings, c->n_warnings, c->cap_warnings);
        if (!slot)
                return gen_nomem(c);
        *slot = n ? P(c, "%s:%u:%u: %s", n->file, n->line, n->column, msg) : P(c, "%s", msg);
        return *slot ? 0 : gen_nomem(c);
}

const struct gnode *gen_find_object(const struct gen_ctx *c, const char *kind, const char *name)
{
        for (size_t i = 0; i < c->in->n_docs; i++) {
                const struct gnode *d = c->in->docs[i], *meta = gnode_get(d, "metadata");
                const struct gnode *k = gnode_get(d, "kind"), *n = gnode_get(meta, "name");
                const struct gnode *ns = gnode_get(meta, "namespace");
                const char *want = c->pod->namespace_;
                if (!k || !n || strcmp(k->value, kind) != 0 || strcmp(n->value, name) != 0)
                        continue;
                if (strcmp(ns ? ns->value : (c->rq->namespace_ ? c->rq->namespace_ : "default"),
                           want) == 0)
                        return d;
        }
        return NULL;
}

int gen_input_new(struct gen_input **ret)
{
        *ret = calloc(1, sizeof(**ret));
        return *ret ? 0 : -ENOMEM;
}

struct gen_input *gen_input_free(struct gen_input *in)
{
        if (!in)
                return NULL;
        pool_done(&in->pool);
        free(in);
        return NULL;
}

int gen_input_add_buffer(struct gen_input *in, const char *name, const char *buf, size_t len,
                         struct policy_error *err)
{
        const char *n = pool_strndup(&in->pool, name, strlen(name));
        struct gnode **docs;
        size_t count;
        int r;

        if (!n)
                return policy_error_errno(err, -ENOMEM, name, 0, 0, "out of memory");
        r = gyaml_parse_stream(&in->pool, n, buf, len, &docs, &count, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < count; i++) {
                const struct gnode *d = docs[i], *k = gnode_get(d, "kind");
                const struct gnode *items = gnode_get(d, "items");
                struct gnode **slot;

                if (d->type != GNODE_MAP)
                        return policy_error_set(err, n, d->line, d->column,
                                                "expected a Kubernetes object (a mapping)");
                /* kubectl's List: its items are the objects. */
                if (k && strcmp(k->value, "List") == 0 && items && items->type == GNODE_SEQ) {
                        for (size_t j = 0; j < items->n; j++) {
                                slot = (struct gnode **)gen_push(&in->pool, (void **)&in->docs,
                                                                 &in->n_docs, &in->cap_docs,
                                                                 sizeof(*slot));
                                if (!slot)
                                        return policy_error_errno(err, -ENOMEM, n, 0, 0, "out of memory");
                                *slot = items->items[j];
                        }
                        continue;
                }
                slot = (struct gnode **)gen_push(&in->pool, (void **)&in->docs, &in->n_docs,
                                                 &in->cap_docs, sizeof(*slot));
                if (!slot)
                        return policy_error_errno(err, -ENOMEM, n, 0, 0, "out of memory");
                *slot = docs[i];
        }
        return 0;
}

int gen_input_add_file(struct gen_input *in, const char *path, struct policy_error *err)
{
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len = 0;
        int r;

        r = read_file_bounded(path, GEN_INPUT_MAX, &buf, &len);
        if (r < 0)
                return policy_error_errno(err, r, path, 0, 0, "%s",
                                          r == -EFBIG ? "larger than 16 MiB" : strerror(-r));
        return gen_input_add_buffer(in, strcmp(path, "-") == 0 ? "<stdin>" : path,
                                    (const char *)buf, len, err);
}

enum gen_logs gen_logs_from_string(const char *s)
{
        if (strcmp(s, "allow") == 0)
                return GEN_LOGS_ALLOW;
        if (strcmp(s, "deny") == 0)
                return GEN_LOGS_DENY;
        return _GEN_LOGS_INVALID;
}

void gen_output_done(struct gen_output *out)
{
        if (!out)
                return;
        free(out->policy);
        for (size_t i = 0; i < out->n_warnings; i++)
                free(out->warnings[i]);
        free(out->warnings);
        *out = (struct gen_output){ 0 };
}

static int output(struct gen_ctx *c, const char *text, size_t len, struct gen_output *ret)
{
        struct gen_output out = { 0 };

        out.policy = strndup(text, len);
        out.policy_len = len;
        out.warnings = calloc(c->n_warnings ? c->n_warnings : 1, sizeof(*out.warnings));
        if (!out.policy || !out.warnings) {
                gen_output_done(&out);
                return gen_nomem(c);
        }
        for (size_t i = 0; i < c->n_warnings; i++) {
                out.warnings[i] = strdup(c->warnings[i]);
                if (!out.warnings[i]) {
                        gen_output_done(&out);
                        return gen_nomem(c);
                }
                out.n_warnings++;
        }
        *ret = out;
        return 0;
}

int gen_generate(const struct gen_input *in, const struct gen_images *im,
                 const struct gen_settings *s, const struct gen_request *rq,
                 struct gen_output *ret, struct policy_error *err)
{
        struct pool pool = { 0 };
        struct gen_pod pod = { 0 };
        struct gen_ctx c = {
                .pool = &pool, .err = err, .set = s, .images = im, .in = in, .rq = rq, .pod = &pod,
        };
        struct policy *p = NULL;
        struct policy_error perr = { 0 };
        char *text = NULL;
        size_t len = 0;
        int r;

        if (!in || !s || !rq || !ret)
                return -EINVAL;
        c.runtime = rq->runtime ? rq->runtime : s->runtime;
        c.rt = gen_settings_runtime(s, c.runtime);
        if (!c.rt) {
                r = policy_error_set(err, "", 0, 0, "--runtime: expected go-shim or runtime-rs, not \"%s\"",
                                     c.runtime);
                goto out;
        }
        if ((r = gen_pod_read(&c, &pod)) < 0 || (r = gen_containers_build(&c)) < 0 ||
            (r = gen_copy_kubelet_files(&c)) < 0 || (r = gen_requests_build(&c)) < 0 ||
            (r = gen_net_build(&c)) < 0 ||
            (r = gen_emit(&c, &text, &len)) < 0)
                goto out;
        /* What ccgate would load: a generator bug must not reach a tenant. */
        r = policy_load_buffer(pod.file, (const uint8_t *)text, len, &p, &perr);
        if (r < 0) {
                char msg[1024];
                policy_error_format(&perr, msg, sizeof(msg));
                r = policy_error_errno(err, -EPROTO, pod.file, 0, 0,
                                       "the generated policy does not load (a generator bug): %s", msg);
                goto out;
        }
        policy_free(p);
        r = output(&c, text, len, ret);
out:
        pool_done(&pool);
        return r;
}

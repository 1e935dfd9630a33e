/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image configurations without a registry: OCI image layouts (a directory, or a tar
 * of one as docker >= 25 `docker save` and skopeo's oci-archive write), legacy
 * docker-archive tars, and JSON files of configs. Every index, manifest and config
 * blob read is checked against its digest and size; layers are never read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "fileio.h"
#include "gen_images.h"
#include "gen_text.h"
#include "policy_error.h"


struct gen_images {
        struct pool pool;
        struct gen_image *v;
        size_t n, cap;
        json_t **owned; /* config documents, released at free */
        size_t n_owned, cap_owned;
};

/* Where blobs come from while one layout is read. */
struct blob_source {
        const char *path;          /* for messages */
        int dirfd;                 /* a layout directory, or -1 */
        const struct gen_tar *tar; /* a tar, or NULL */
};

int gen_images_new(struct gen_images **ret)
{
        struct gen_images *im = calloc(1, sizeof(*im));

        if (!im)
                return -ENOMEM;
        *ret = im;
        return 0;
}

struct gen_images *gen_images_free(struct gen_images *im)
{
        if (!im)
                return NULL;
        for (size_t i = 0; i < im->n_owned; i++)
                json_decref(im->owned[i]);
        free(im->owned);
        free(im->v);
        pool_done(&im->pool);
        free(im);
        return NULL;
}

static int keep(struct gen_images *im, json_t *j)
{
        if (im->n_owned == im->cap_owned) {
                size_t ncap = im->cap_owned ? im->cap_owned * 2 : 16;
                json_t **no = realloc(im->owned, ncap * sizeof(*no));
                if (!no)
                        return -ENOMEM;
                im->owned = no;
                im->cap_owned = ncap;
        }
        im->owned[im->n_owned++] = json_incref(j);
        return 0;
}

static int add_image(struct gen_images *im, const struct gen_image *img)
{
        if (im->n == im->cap) {
                size_t ncap = im->cap ? im->cap * 2 : 16;
                struct gen_image *nv = realloc(im->v, ncap * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                im->v = nv;
                im->cap = ncap;
        }
        im->v[im->n++] = *img;
        return 0;
}

static const char *pstr(struct gen_images *im, const char *s)
{
        return s ? pool_strndup(&im->pool, s, strlen(s)) : NULL;
}

static int sha256_hex(const void *buf, size_t len, char out[72])
{
        unsigned char d[SHA256_DIGEST_SIZE];
        struct sha256_ctx ctx;

        sha256_init(&ctx);
        sha256_update(&ctx, len, buf);
        sha256_digest(&ctx, sizeof(d), d);
        strcpy(out, "sha256:");
        for (unsigned i = 0; i < 32; i++)
                snprintf(out + 7 + 2 * i, 3, "%02x", d[i]);
        return 0;
}

static bool digest_ok(const char *d)
{
        return d && strlen(d) == 71 && strncmp(d, "sha256:", 7) == 0 &&
               strspn(d + 7, "0123456789abcdef") == 64;
}

/* Read blob digest (expected size, or -1) from src and check it. */
static int read_blob(const struct blob_source *src, const char *digest, json_int_t size,
                     json_t **ret, struct policy_error *err)
{
        _cleanup_free_ char *buf = NULL;
        char path[96], got[72];
        json_error_t jerr;
        size_t len = 0;
        int r;

        if (!digest_ok(digest))
                return policy_error_set(err, src->path, 0, 0,
                                        "a descriptor's digest is not sha256:<64 hex>: %s",
                                        digest ? digest : "(none)");
        snprintf(path, sizeof(path), "blobs/sha256/%s", digest + 7);
        if (src->tar)
                r = gen_tar_read(src->tar, path, GEN_BLOB_MAX, &buf, &len);
        else
                r = read_file_bounded_at(src->dirfd, path, GEN_BLOB_MAX, (uint8_t **)&buf, &len);
        if (r < 0)
                return policy_error_errno(err, r, src->path, 0, 0, "%s: %s", path,
                                          r == -EFBIG ? "larger than 4 MiB" : strerror(-r));
        r = sha256_hex(buf, len, got);
        if (r < 0)
                return policy_error_errno(err, r, src->path, 0, 0, "%s: cannot hash", path);
        if (strcmp(got, digest) != 0)
                return policy_error_set(err, src->path, 0, 0,
                                        "%s: the content's digest is %s: the blob was changed",
                                        path, got);
        if (size >= 0 && (size_t)size != len)
                return policy_error_set(err, src->path, 0, 0,
                                        "%s: %zu bytes where its descriptor says %lld", path, len,
                                        (long long)size);
        *ret = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!*ret)
                return policy_error_set(err, src->path, 0, 0, "%s: not JSON: %s", path, jerr.text);
        return 0;
}

static bool is_index_type(const char *mt)
{
        return mt && (strcmp(mt, "application/vnd.oci.image.index.v1+json") == 0 ||
                      strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json") == 0);
}

/* "os/architecture[/variant]" of an index entry, or NULL. */
static const char *platform_of(struct gen_images *im, const json_t *d)
{
        const json_t *p = json_object_get(d, "platform");
        const char *os = json_string_value(json_object_get(p, "os"));
        const char *arch = json_string_value(json_object_get(p, "architecture"));
        const char *var = json_string_value(json_object_get(p, "variant"));

        if (!os || !arch)
                return NULL;
        return var ? gen_printf(&im->pool, "%s/%s/%s", os, arch, var)
                   : gen_printf(&im->pool, "%s/%s", os, arch);
}

/* Whether the source has the blob (an index may name platforms not copied). */
static bool have_blob(const struct blob_source *src, const char *digest)
{
        char path[96];

        if (!digest_ok(digest))
                return true; /* read_blob says what is wrong */
        snprintf(path, sizeof(path), "blobs/sha256/%s", digest + 7);
        return src->tar ? gen_tar_has(src->tar, path) : faccessat(src->dirfd, path, F_OK, 0) == 0;
}

/* A manifest: its config and top layer, recorded under each digest given. */
static int add_manifest(struct gen_images *im, const struct blob_source *src,
                        const json_t *manifest, const char *name, const char *tag,
                        const char *platform, const char *const *digests, size_t n_digests,
                        struct policy_error *err)
{
        _cleanup_(json_decrefp) json_t *cfg = NULL;
        const json_t *c = json_object_get(manifest, "config"), *layers, *last, *conf;
        int r;

        r = read_blob(src, json_string_value(json_object_get(c, "digest")),
                      json_is_integer(json_object_get(c, "size"))
                              ? json_integer_value(json_object_get(c, "size"))
                              : -1,
                      &cfg, err);
        if (r < 0)
                return r;
        r = keep(im, cfg);
        if (r < 0)
                return r;
        layers = json_object_get(manifest, "layers");
        last = json_array_size(layers) ? json_array_get(layers, json_array_size(layers) - 1)
                                       : NULL;
        conf = json_object_get(cfg, "config");
        for (size_t i = 0; i < n_digests; i++) {
                struct gen_image img = {
                        .name = pstr(im, name),
                        .tag = pstr(im, tag),
                        .digest = pstr(im, digests[i]),
                        .source = pstr(im, src->path),
                        .config = json_is_object(conf) ? conf : json_object_get(cfg, "Config"),
                        .top_layer = pstr(im, json_string_value(json_object_get(last, "digest"))),
                        .platform = platform,
                };
                r = add_image(im, &img);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The name and tag an index entry's annotations give. */
static int entry_names(struct gen_images *im, const json_t *desc, const char **name,
                       const char **tag)
{
        const json_t *a = json_object_get(desc, "annotations");
        const char *full = json_string_value(json_object_get(a, "io.containerd.image.name"));
        const char *ref = json_string_value(json_object_get(a, "org.opencontainers.image.ref.name"));
        struct gen_ref r;
        const char *why;

        *name = *tag = NULL;
        if (!full && ref && (strchr(ref, '/') || strchr(ref, ':')))
                full = ref;
        if (full) {
                if (gen_ref_parse(&im->pool, full, &r, &why) < 0)
                        return 0; /* an unusable name: the image is found by digest only */
                *name = r.name;
                *tag = r.tag;
        } else if (ref) {
                *tag = ref;
        }
        return 0;
}

/* index.json of a layout (directory or tar). */
static int add_layout(struct gen_images *im, const struct blob_source *src, const char *index_text,
                      size_t len, struct policy_error *err)
{
        _cleanup_(json_decrefp) json_t *index = NULL;
        json_error_t jerr;
        const json_t *d;
        size_t i;
        int r;

        index = json_loadb(index_text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!index)
                return policy_error_set(err, src->path, 0, 0, "index.json: not JSON: %s", jerr.text);
        json_array_foreach(json_object_get(index, "manifests"), i, d) {
                _cleanup_(json_decrefp) json_t *blob = NULL, *inner = NULL;
                const char *digest = json_string_value(json_object_get(d, "digest"));
                const char *mt = json_string_value(json_object_get(d, "mediaType"));
                const char *name, *tag;
                json_int_t size = json_is_integer(json_object_get(d, "size"))
                                          ? json_integer_value(json_object_get(d, "size"))
                                          : -1;

                entry_names(im, d, &name, &tag);
                r = read_blob(src, digest, size, &blob, err);
                if (r < 0)
                        return r;
                if (is_index_type(mt) || json_object_get(blob, "manifests")) {
                        /* Every platform the layout holds, found later by the settings'. */
                        const json_t *m;
                        size_t k;
                        r = 0;
                        json_array_foreach(json_object_get(blob, "manifests"), k, m) {
                                const char *md = json_string_value(json_object_get(m, "digest"));
                                const char *both[2] = { digest, md };
                                const char *pf = platform_of(im, m);
                                if (!pf || !have_blob(src, md))
                                        continue;
                                json_decref(inner);
                                inner = NULL;
                                r = read_blob(src, md, json_integer_value(json_object_get(m, "size")),
                                              &inner, err);
                                if (r < 0)
                                        return r;
                                r = add_manifest(im, src, inner, name, tag, pf, both, 2, err);
                                if (r < 0)
                                        return r;
                        }
                } else {
                        r = add_manifest(im, src, blob, name, tag, NULL, &digest, 1, err);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* manifest.json of a docker save without an OCI index: names, configs, no digests. */
static int add_docker_legacy(struct gen_images *im, const struct blob_source *src,
                             struct policy_error *err)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_(json_decrefp) json_t *m = NULL;
        json_error_t jerr;
        const json_t *e;
        size_t len = 0, i;
        int r;

        r = gen_tar_read(src->tar, "manifest.json", GEN_BLOB_MAX, &text, &len);
        if (r < 0)
                return policy_error_errno(err, r, src->path, 0, 0,
                                          "neither index.json nor manifest.json: not an image tar");
        m = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_array(m))
                return policy_error_set(err, src->path, 0, 0, "manifest.json: not a JSON list");
        json_array_foreach(m, i, e) {
                _cleanup_free_ char *cfg_text = NULL;
                _cleanup_(json_decrefp) json_t *cfg = NULL;
                const char *cfg_name = json_string_value(json_object_get(e, "Config"));
                const json_t *t;
                size_t k, cl = 0;

                if (!cfg_name ||
                    gen_tar_read(src->tar, cfg_name, GEN_BLOB_MAX, &cfg_text, &cl) < 0)
                        return policy_error_set(err, src->path, 0, 0,
                                                "manifest.json: entry %zu: no Config member", i);
                cfg = json_loadb(cfg_text, cl, 0, &jerr);
                if (!cfg || keep(im, cfg) < 0)
                        return policy_error_set(err, src->path, 0, 0, "%s: not JSON", cfg_name);
                json_array_foreach(json_object_get(e, "RepoTags"), k, t) {
                        struct gen_ref ref;
                        const char *why;
                        struct gen_image img = { .source = pstr(im, src->path),
                                                 .config = json_object_get(cfg, "config") };
                        if (!json_string_value(t) ||
                            gen_ref_parse(&im->pool, json_string_value(t), &ref, &why) < 0)
                                continue;
                        img.name = ref.name;
                        img.tag = ref.tag;
                        r = add_image(im, &img);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int gen_images_add_json(struct gen_images *im, const char *name, const char *buf, size_t len,
                        struct policy_error *err)
{
        _cleanup_(json_decrefp) json_t *doc = NULL;
        json_error_t jerr;
        const json_t *e;
        size_t i;
        int r;

        doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!doc)
                return policy_error_set(err, name, (unsigned)jerr.line, (unsigned)jerr.column,
                                        "%s", jerr.text);
        if (!json_is_array(json_object_get(doc, "images")))
                return policy_error_set(err, name, 0, 0,
                                        "expected {\"images\": [{\"name\", \"tag\", \"digest\", "
                                        "\"config\"}]}");
        r = keep(im, doc);
        if (r < 0)
                return r;
        json_array_foreach(json_object_get(doc, "images"), i, e) {
                const char *n = json_string_value(json_object_get(e, "name"));
                const char *tag = json_string_value(json_object_get(e, "tag"));
                const char *digest = json_string_value(json_object_get(e, "digest"));
                struct gen_ref ref;
                const char *why;
                struct gen_image img;

                if (!n || gen_ref_parse(&im->pool, n, &ref, &why) < 0 || ref.tag || ref.digest)
                        return policy_error_set(err, name, 0, 0,
                                                "images[%zu]: \"name\" must be a repository "
                                                "name without tag or digest", i);
                if ((digest && !digest_ok(digest)) || !json_is_object(json_object_get(e, "config")))
                        return policy_error_set(err, name, 0, 0,
                                                "images[%zu] (%s): needs \"config\" and a "
                                                "\"digest\" of sha256:<64 hex> (if any)", i, n);
                img = (struct gen_image){
                        .name = ref.name,
                        .tag = pstr(im, tag),
                        .digest = pstr(im, digest),
                        .source = pstr(im, name),
                        .config = json_object_get(e, "config"),
                        .top_layer = pstr(im, json_string_value(json_object_get(e, "layer_digest"))),
                };
                r = add_image(im, &img);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_dir(struct gen_images *im, const char *path, struct policy_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ uint8_t *index = NULL, *layout = NULL;
        struct blob_source src = { .path = path, .dirfd = fd };
        size_t len = 0, ll = 0;
        int r;

        if (fd < 0)
                return policy_error_errno(err, -errno, path, 0, 0, "%s", strerror(errno));
        if (read_file_bounded_at(fd, "oci-layout", 4096, &layout, &ll) < 0)
                return policy_error_set(err, path, 0, 0,
                                        "not an OCI image layout: no oci-layout file");
        r = read_file_bounded_at(fd, "index.json", GEN_BLOB_MAX, &index, &len);
        if (r < 0)
                return policy_error_errno(err, r, path, 0, 0, "index.json: %s", strerror(-r));
        return add_layout(im, &src, (const char *)index, len, err);
}

static int add_tar(struct gen_images *im, const char *path, struct policy_error *err)
{
        _cleanup_(gen_tar_closep) struct gen_tar *t = NULL;
        _cleanup_free_ char *index = NULL;
        struct blob_source src = { .path = path, .dirfd = -1 };
        char why[256] = "";
        size_t len = 0;
        int r;

        r = gen_tar_open(path, &t, why, sizeof(why));
        if (r < 0)
                return policy_error_errno(err, r, path, 0, 0, "not a readable tar: %s", why);
        src.tar = t;
        if (gen_tar_has(t, "index.json") && gen_tar_has(t, "oci-layout")) {
                r = gen_tar_read(t, "index.json", GEN_BLOB_MAX, &index, &len);
                if (r < 0)
                        return policy_error_errno(err, r, path, 0, 0, "index.json: %s",
                                                  strerror(-r));
                return add_layout(im, &src, index, len, err);
        }
        return add_docker_legacy(im, &src, err);
}

int gen_images_add(struct gen_images *im, const char *path, struct policy_error *err)
{
        _cleanup_free_ uint8_t *buf = NULL;
        struct stat st;
        size_t len = 0;
        int r;

        if (stat(path, &st) < 0)
                return policy_error_errno(err, -errno, path, 0, 0, "%s", strerror(errno));
        if (S_ISDIR(st.st_mode))
                return add_dir(im, path, err);
        if (strlen(path) > 5 && strcmp(path + strlen(path) - 5, ".json") == 0) {
                r = read_file_bounded(path, GEN_INPUT_MAX, &buf, &len);
                if (r < 0)
                        return policy_error_errno(err, r, path, 0, 0, "%s", strerror(-r));
                return gen_images_add_json(im, path, (const char *)buf, len, err);
        }
        return add_tar(im, path, err);
}

int gen_images_lookup(const struct gen_images *im, const struct gen_ref *ref, const char *platform,
                      const struct gen_image **ret, char *why, size_t why_len)
{
        const struct gen_image *hit = NULL;
        bool digestless = false, other_platform = false;

        for (size_t i = 0; im && i < im->n; i++) {
                const struct gen_image *g = &im->v[i];
                if (g->platform && strcmp(g->platform, platform) != 0) {
                        other_platform |= ref->digest && g->digest && strcmp(g->digest, ref->digest) == 0;
                        continue;
                }
                if (ref->digest) {
                        if (!g->digest && g->name && strcmp(g->name, ref->name) == 0)
                                digestless = true;
                        if (!g->digest || strcmp(g->digest, ref->digest) != 0)
                                continue;
                        if (g->name && strcmp(g->name, ref->name) != 0) {
                                snprintf(why, why_len, "%s (from %s) has this digest, not %s", g->name,
                                         g->source, ref->name);
                                return -EINVAL;
                        }
                } else {
                        if (!g->name || strcmp(g->name, ref->name) != 0 || !g->tag ||
                            strcmp(g->tag, ref->tag ? ref->tag : "latest") != 0)
                                continue;
                        if (!g->digest) {
                                digestless = true;
                                continue;
                        }
                }
                hit = g;
                break;
        }
        if (!hit) {
                if (other_platform)
                        snprintf(why, why_len, "the image index with this digest has no %s image "
                                 "in --images (settings images.platform)", platform);
                else if (digestless)
                        snprintf(why, why_len, "only a legacy docker-archive names it, and those "
                                 "carry no manifest digest; use an OCI layout or docker >= 25");
                else if (ref->digest)
                        snprintf(why, why_len, "no image given with --images has digest %s",
                                 ref->digest);
                else
                        snprintf(why, why_len, "no image given with --images is %s:%s",
                                 ref->name, ref->tag ? ref->tag : "latest");
                return -ENOENT;
        }
        *ret = hit;
        return 0;
}

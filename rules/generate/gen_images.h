/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image references and the image configurations the generator reads instead of a
 * registry. A reference is normalised as containerd does (docker.io/library/redis);
 * the string on the wire stays the pod's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "generate.h"
#include "pool.h"

/* A parsed reference: name normalised; tag and digest NULL when absent. */
struct gen_ref {
        const char *name;
        const char *tag;
        const char *digest; /* "sha256:<64 hex>" */
};

/* Parse s; -EINVAL with *why when it is not a reference containerd would pull. */
int gen_ref_parse(struct pool *pool, const char *s, struct gen_ref *ret, const char **why);

/* One image: a name and tag (either may be unknown), its manifest digest, its config. */
struct gen_image {
        const char *name;       /* normalised, or NULL when the source does not say */
        const char *tag;        /* or NULL */
        const char *digest;     /* manifest (or index) digest; NULL for legacy archives */
        const char *source;     /* the file or directory it was read from */
        const json_t *config;   /* the image config's "config" object (may be empty) */
        const char *top_layer;  /* digest of the last layer, or NULL */
        const char *platform;   /* "linux/amd64" when it came from an index, else NULL */
};

/*
 * The image for ref. A digest is looked up by digest (and a name the source gives
 * must agree); a tag by name and tag. Images of a multi-platform index count only
 * for platform ("linux/amd64": the settings' images.platform). -ENOENT (-EINVAL for
 * a disagreement) with a reason in why.
 */
int gen_images_lookup(const struct gen_images *im, const struct gen_ref *ref, const char *platform,
                      const struct gen_image **ret, char *why, size_t why_len);

/* --- the tar reader (gen_tar.c) ----------------------------------------------------- */

struct gen_tar;
/* Index the members of the tar file at path (regular files only). */
int gen_tar_open(const char *path, struct gen_tar **ret, char *why, size_t why_len);
void gen_tar_close(struct gen_tar *t);
DEFINE_PTR_CLEANUP(struct gen_tar, gen_tar_close)
/* Whether the tar has member name. */
bool gen_tar_has(const struct gen_tar *t, const char *name);
/* Read member name whole (at most max bytes) into heap memory. -ENOENT, -EFBIG. */
int gen_tar_read(const struct gen_tar *t, const char *name, size_t max, char **ret,
                 size_t *ret_len);

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text built in a pool: a growing buffer that remembers running out of memory
 * (checked once, at gtext_take), and YAML scalars written so that every YAML tool
 * reads them back as the same string.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pool.h"

struct gtext {
        struct pool *pool;
        char *buf;
        size_t len, cap;
        bool oom;
};

#define GTEXT_INIT(p) { .pool = (p) }

void gtext_putn(struct gtext *t, const char *s, size_t n);
void gtext_puts(struct gtext *t, const char *s);
void gtext_putc(struct gtext *t, char c);
void gtext_printf(struct gtext *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text so far (NUL-terminated, pool-owned), or NULL if memory ran out. */
char *gtext_take(struct gtext *t);

/* A pool-allocated printf; NULL on ENOMEM. */
char *gen_printf(struct pool *pool, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether s can be written as a plain YAML scalar and read back as that string. */
bool gyaml_plain_ok(const char *s);
/* s as a YAML scalar: plain when safe, else double-quoted with escapes. */
void gtext_yaml_scalar(struct gtext *t, const char *s);
/* s as the value of a block mapping: plain text with spaces is fine there. */
void gtext_yaml_block_scalar(struct gtext *t, const char *s);
/* s always double-quoted. */
void gtext_yaml_quoted(struct gtext *t, const char *s);

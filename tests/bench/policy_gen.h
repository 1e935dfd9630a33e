/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Realistic policies of any size for the benchmarks, generated from
 * examples/web/policy.yaml: its request table, its pause container, then
 * application containers that are copies of its nginx entry (full OCI spec:
 * env, mounts, annotations, an exec probe) under other names, images and
 * rule ids, and nginx itself last, so that the example's requests match the
 * last entry a container lookup reaches.
 */
#pragma once

#include <stddef.h>

struct policy_gen {
        char *head;  /* everything up to and including "containers:\n" */
        char *pause; /* the pause container's entry */
        char *nginx; /* the nginx entry */
        char *tail;  /* "copy_file:" to the end */
};

/* Split the web example's policy text. Returns 0 or -errno (-EBADMSG: not the
 * layout this generator knows). */
int policy_gen_init(struct policy_gen *g, const char *web_policy_text);
void policy_gen_done(struct policy_gen *g);

/*
 * The web policy with n >= 1 containers besides pause (n - 1 generated ones,
 * then nginx); n = 1 is the example itself. Returns the text (free() it) or NULL.
 */
char *policy_gen_containers(const struct policy_gen *g, size_t n, size_t *ret_len);

/*
 * A policy of exactly target bytes: as many generated containers as fit, then
 * comment lines. *ret_n is the number of containers besides pause. NULL when
 * target is smaller than the example or on ENOMEM.
 */
char *policy_gen_size(const struct policy_gen *g, size_t target, size_t *ret_len,
                      size_t *ret_n);

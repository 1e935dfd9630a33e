/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Damaged policies: the example policies with random bytes changed, removed
 * or cut off (a fixed seed, so every run is the same) must load or fail with
 * a positioned error — never crash, leak or read out of bounds (run it under
 * the sanitizers). What loads must decide every method without a request
 * (an internal error where a request is needed, never a crash).
 * Usage: test-policy-mutate SOURCE_ROOT
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_api.h"
#include "policy.h"

#define ROUNDS 3000

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next(void)
{
        /* xorshift64*: deterministic and independent of libc's rand(). */
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}

static size_t count_lines(const unsigned char *b, size_t n)
{
        size_t lines = 1;

        for (size_t i = 0; i < n; i++)
                lines += b[i] == '\n';
        return lines;
}

static int mutate_file(const char *path)
{
        static unsigned char orig[256 * 1024], buf[256 * 1024];
        static const char special[] = "{}[]:-,'\"&*!|>#\n \t\\%@`";
        FILE *f = fopen(path, "rbe");
        size_t n, loaded = 0;
        int failures = 0;

        if (!f) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return 1;
        }
        n = fread(orig, 1, sizeof(orig), f);
        fclose(f);
        for (int round = 0; round < ROUNDS; round++) {
                struct policy *p = NULL;
                struct policy_error err = { 0 };
                size_t len = n;
                int k = 1 + (int)(next() % 6);

                memcpy(buf, orig, n);
                for (int j = 0; j < k && len > 1; j++) {
                        size_t pos = next() % len;
                        switch (next() % 4) {
                        case 0: buf[pos] = (unsigned char)next(); break;
                        case 1: buf[pos] = (unsigned char)special[next() % (sizeof(special) - 1)]; break;
                        case 2: memmove(buf + pos, buf + pos + 1, len - pos - 1); len--; break;
                        default: len = pos + 1; break;
                        }
                }
                if (policy_load_buffer("m.yaml", buf, len, &p, &err) < 0) {
                        /* Every failure says where (or is about the whole text) and what. */
                        if (!err.message[0] || err.line > count_lines(buf, len) + 1) {
                                fprintf(stderr, "%s round %d: error without a usable position: "
                                                "%u:%u: %s\n",
                                        path, round, err.line, err.column, err.message);
                                failures++;
                        }
                        continue;
                }
                loaded++;
                struct policy_state *s = policy_state_new();
                for (int id = 0; s && id < _AGENT_METHOD_MAX; id++) {
                        struct decision d;
                        int r = policy_decide(p, s, agent_method_get((enum agent_method_id)id), NULL, &d);
                        if (r < 0 && r != -EINVAL) {
                                fprintf(stderr, "%s round %d: decide: %d\n", path, round, r);
                                failures++;
                        }
                }
                policy_state_free(s);
                policy_free(p);
        }
        printf("%s: %d rounds, %zu loaded\n", path, ROUNDS, loaded);
        return failures;
}

int main(int argc, char **argv)
{
        static const char *const files[] = { "examples/web/policy.yaml",
                                             "examples/locked/policy.yaml",
                                             "tests/policy/fixtures/good/everything.yaml" };
        char path[4096];
        int failures = 0;

        if (argc != 2) {
                fprintf(stderr, "usage: %s SOURCE_ROOT\n", argv[0]);
                return 2;
        }
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", argv[1], files[i]);
                failures += mutate_file(path);
        }
        return failures ? 1 : 0;
}

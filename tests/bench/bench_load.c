/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_load: policy load time. Generates policies of exactly 20 KiB, 100 KiB
 * and 1 MiB from the web example (policy_gen.h: full container entries, then
 * comment lines to the byte), writes them to OUTDIR/policy-<size>.yaml for the
 * daemon's memory measurements, and times policy_load_file() on each: parsing
 * the YAML, validating, compiling every regex (PCRE2 JIT) and building the
 * lookup tables. The first load in this process is reported apart from the rest.
 * Prints one JSON document on stdout.
 *
 * Usage: bench_load SOURCE_ROOT OUTDIR [LOADS]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "cleanup.h"
#include "policy.h"
#include "policy_gen.h"

static const struct {
        const char *label;
        size_t bytes;
} sizes[] = {
        { "20k", 20u * 1024u },
        { "100k", 100u * 1024u },
        { "1m", 1024u * 1024u },
};

static json_t *bench_size(const struct policy_gen *gen, const char *outdir, size_t i, size_t loads,
                          uint64_t *samples)
{
        _cleanup_free_ char *text = NULL;
        char path[4096];
        struct bench_stats st;
        uint64_t first = 0;
        size_t len = 0, n_containers = 0;
        json_t *j;

        text = policy_gen_size(gen, sizes[i].bytes, &len, &n_containers);
        if (!text || len != sizes[i].bytes)
                return NULL;
        snprintf(path, sizeof(path), "%s/policy-%s.yaml", outdir, sizes[i].label);
        if (bench_write_file(path, text, len) < 0)
                return NULL;

        for (size_t k = 0; k <= loads; k++) {
                struct policy *p = NULL;
                struct policy_error perr = { 0 };
                uint64_t t0 = bench_now_ns(), t;

                if (policy_load_file(path, &p, &perr) < 0) {
                        fprintf(stderr, "bench_load: %s:%u:%u: %s\n", path, perr.line, perr.column,
                                perr.message);
                        return NULL;
                }
                t = bench_now_ns() - t0;
                policy_free(p);
                if (k == 0)
                        first = t;
                else
                        samples[k - 1] = t;
        }
        bench_stats_compute(samples, loads, &st);
        j = json_pack("{s:s, s:s, s:I, s:I, s:I, s:o}", "size", sizes[i].label, "path", path,
                      "bytes", (json_int_t)len, "containers", (json_int_t)n_containers,
                      "first_load_ns", (json_int_t)first, "load", bench_stats_json(&st));
        fprintf(stderr, "bench_load: %s (%zu containers) done\n", sizes[i].label, n_containers);
        return j;
}

int main(int argc, char **argv)
{
        _cleanup_free_ char *web = NULL;
        _cleanup_free_ uint64_t *samples = NULL;
        struct policy_gen gen;
        char path[4096];
        size_t loads;
        json_t *doc;

        if (argc < 3 || argc > 4) {
                fprintf(stderr, "usage: %s SOURCE_ROOT OUTDIR [LOADS]\n", argv[0]);
                return 2;
        }
        loads = argc == 4 ? strtoul(argv[3], NULL, 10) : 20;
        if (loads == 0 || !(samples = calloc(loads, sizeof(*samples))))
                return 2;
        snprintf(path, sizeof(path), "%s/examples/web/policy.yaml", argv[1]);
        if (bench_read_file(path, &web) < 0 || policy_gen_init(&gen, web) < 0) {
                fprintf(stderr, "bench_load: cannot use %s\n", path);
                return 1;
        }
        doc = json_array();
        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                json_t *j = bench_size(&gen, argv[2], i, loads, samples);

                if (!j)
                        return 1;
                json_array_append_new(doc, j);
        }
        json_dumpf(doc, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(doc);
        policy_gen_done(&gen);
        return 0;
}

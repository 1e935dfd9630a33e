/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-gen-wire-seeds SOURCE_ROOT OUTDIR: the seeds of fuzz-wire-check
 * (tests/fuzz/corpus/fuzz-wire-check is what it wrote, checked in): every
 * examples/NAME/requests/NN-*.json file and every step of every traffic corpus
 * lifecycle (tests/corpus/POD/RUNTIME.json), as protobuf-c encodes it,
 * one file each: the method's id, then the payload. Files are named by
 * method and the SHA-256 of their content, so the same request is one seed.
 * Each example request also goes in twice over (its payload repeated, so each
 * non-repeated field twice), for the refusal the check exists for.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <nettle/sha2.h>

#include "agent_api.h"
#include "cleanup.h"
#include "hex.h"
#include "pbjson.h"

static const char *out_dir;
static unsigned n_written;

static void die(const char *what, const char *detail)
{
        fprintf(stderr, "fuzz-gen-wire-seeds: %s: %s\n", what, detail);
        exit(1);
}

static const struct agent_method *method_named(const char *name)
{
        for (int id = 0; id < _AGENT_METHOD_MAX; id++) {
                const struct agent_method *m = agent_method_get((enum agent_method_id)id);

                if (strcmp(m->method, name) == 0)
                        return m;
        }
        return NULL;
}

static void seed(const char *where, const struct agent_method *m, const json_t *message,
                 bool twice)
{
        _cleanup_free_ uint8_t *buf = NULL;
        ProtobufCMessage *msg = NULL;
        uint8_t md[SHA256_DIGEST_SIZE];
        struct sha256_ctx ctx;
        char why[256], hex[2 * SHA256_DIGEST_SIZE + 1], path[4096];
        size_t n;
        FILE *f;

        if (pbjson_to_message(m->request, message, &msg, why, sizeof(why)) < 0)
                die(where, why);
        n = protobuf_c_message_get_packed_size(msg);
        buf = malloc(2 * n + 1);
        if (!buf)
                die(where, "out of memory");
        buf[0] = (uint8_t)m->id;
        (void)protobuf_c_message_pack(msg, buf + 1);
        protobuf_c_message_free_unpacked(msg, NULL);
        /* The payload twice over: each of its non-repeated fields twice. */
        if (twice) {
                memcpy(buf + 1 + n, buf + 1, n);
                n *= 2;
        }

        sha256_init(&ctx);
        sha256_update(&ctx, n + 1, buf);
        sha256_digest(&ctx, sizeof(md), md);
        hex_encode(md, 8, hex, sizeof(hex));
        snprintf(path, sizeof(path), "%s/%s-%s%s", out_dir, m->method, twice ? "twice-" : "", hex);
        f = fopen(path, "we");
        if (!f || fwrite(buf, 1, n + 1, f) != n + 1 || fclose(f) != 0)
                die(path, strerror(errno));
        n_written++;
}

static json_t *load(const char *path)
{
        json_error_t jerr;
        json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

        if (!j)
                die(path, jerr.text);
        return j;
}

static void example_file(const char *path)
{
        json_t *j = load(path);
        const char *method = json_string_value(json_object_get(j, "method"));
        const char *request = json_string_value(json_object_get(j, "request"));
        const struct agent_method *m = method ? method_named(method) : NULL;
        const json_t *message = json_object_get(j, "message");
        enum agent_method_id id;

        if (!m && request && agent_methods_by_request_name(request, &id, 1) > 0)
                m = agent_method_get(id);
        if (!m)
                die(path, "names no agent method");
        if (message) {
                seed(path, m, message, false);
                seed(path, m, message, true);
        } else {
                json_t *empty = json_object();

                seed(path, m, empty, false);
                json_decref(empty);
        }
        json_decref(j);
}

static void lifecycle_file(const char *path)
{
        json_t *j = load(path), *steps = json_object_get(j, "steps"), *s;
        size_t i;

        if (!json_is_array(steps)) {
                json_decref(j); /* images.json and the like */
                return;
        }
        json_array_foreach(steps, i, s) {
                const char *method = json_string_value(json_object_get(s, "method"));
                const struct agent_method *m = method ? method_named(method) : NULL;

                if (!m)
                        die(path, "a step names no agent method");
                seed(path, m, json_object_get(s, "message"), false);
        }
        json_decref(j);
}

/* Every *.json in each subdirectory of dir (and, with sub, in dir/<sub>). */
static void each_json(const char *dir, const char *sub, void (*fn)(const char *path))
{
        struct dirent **top = NULL;
        int n = scandir(dir, &top, NULL, alphasort);

        if (n < 0)
                die(dir, strerror(errno));
        for (int i = 0; i < n; i++) {
                struct dirent **files = NULL;
                char d[4096];
                int k;

                if (top[i]->d_name[0] == '.') {
                        free(top[i]);
                        continue;
                }
                snprintf(d, sizeof(d), "%s/%s%s%s", dir, top[i]->d_name, sub ? "/" : "", sub ?: "");
                free(top[i]);
                k = scandir(d, &files, NULL, alphasort);
                for (int f = 0; f < k; f++) {
                        const char *name = files[f]->d_name;
                        size_t len = strlen(name);
                        char path[4352];

                        if (len > 5 && strcmp(name + len - 5, ".json") == 0) {
                                snprintf(path, sizeof(path), "%s/%s", d, name);
                                fn(path);
                        }
                        free(files[f]);
                }
                free(files);
        }
        free(top);
}

int main(int argc, char **argv)
{
        char dir[4096];

        if (argc != 3) {
                fprintf(stderr, "usage: fuzz-gen-wire-seeds SOURCE_ROOT OUTDIR\n");
                return 2;
        }
        out_dir = argv[2];
        if (mkdir(out_dir, 0755) < 0 && errno != EEXIST)
                die(out_dir, strerror(errno));
        snprintf(dir, sizeof(dir), "%s/examples", argv[1]);
        each_json(dir, "requests", example_file);
        snprintf(dir, sizeof(dir), "%s/tests/corpus", argv[1]);
        each_json(dir, NULL, lifecycle_file);
        if (n_written < 100)
                die(argv[1], "fewer than 100 requests found");
        printf("%u requests written to %s\n", n_written, out_dir);
        return 0;
}

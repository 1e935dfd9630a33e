/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The field-completeness test (issue 18): every field of every request message the
 * agent acts on is checked by the policy engine or listed, with its reason, in
 * rules/field_coverage.c.
 *
 * The fields: from each request message of the agent API table, the protobuf-c
 * descriptors walked recursively (agent.proto, oci.proto, types.proto), one path per
 * field ("CreateContainerRequest.OCI.Process.Terminal").
 *
 * "Checked" is proved, never listed: for every lifecycle of the traffic corpus the
 * policy generated for its pod (corpus_gen.h) decides every step with the state the
 * earlier steps leave; at each step the policy allows, each field of its message not
 * yet proved is changed alone (a string lengthened or emptied, a number moved, a bool
 * flipped, an enum renamed, a list grown or shortened, a message added or taken
 * away; absent parents are created), and a change the policy denies proves that the
 * decision depends on that field. Matchers under `fields:` count like any other
 * rule, when the generated policy has them: the proof decides with what the
 * generator writes for the pod, not with what a tenant could add.
 *
 * Fails when a field is neither proved nor listed, when the table names a field
 * that does not exist, and when an entry covers a proved field.
 *
 * Usage: test-field-coverage SOURCE_ROOT LAYOUTS_DIR [--list]
 *   --list prints every path with "checked (lifecycle step: change)" or its reason.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "agent_api.h"
#include "cleanup.h"
#include "corpus.h"
#include "corpus_gen.h"
#include "field_coverage.h"
#include "pbjson.h"
#include "policy.h"
#include "policy_error.h"

#define DEPTH_MAX 16u
#define ELEMENTS_MAX 8u /* elements of a repeated field tried on the way down */

static const char *source_root, *layouts_dir;
static bool list;

/* --- the fields -------------------------------------------------------------------- */

struct field_path {
        char path[256];
        const ProtobufCMessageDescriptor *request;
        const ProtobufCFieldDescriptor *chain[DEPTH_MAX];
        size_t n;
        char proof[192]; /* "" until proved */
        const struct field_unchecked *entry;
};

static struct field_path *paths;
static size_t n_paths, cap_paths;

static bool is_map_entry(const ProtobufCFieldDescriptor *f)
{
        const ProtobufCMessageDescriptor *d = f->descriptor;
        size_t len;

        if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label != PROTOBUF_C_LABEL_REPEATED ||
            d->n_fields != 2)
                return false;
        len = strlen(d->short_name);
        return len > 5 && strcmp(d->short_name + len - 5, "Entry") == 0 &&
               strcmp(d->fields[0].name, "key") == 0 && strcmp(d->fields[1].name, "value") == 0;
}

static void walk_fields(const ProtobufCMessageDescriptor *req, const ProtobufCMessageDescriptor *d,
                        const char *prefix, const ProtobufCFieldDescriptor **chain, size_t n,
                        const ProtobufCMessageDescriptor **stack)
{
        for (size_t i = 0; i < n; i++)
                if (stack[i] == d)
                        fail_msg("%s: the message %s contains itself; the walk cannot end", prefix,
                                 d->name);
        assert_true(n < DEPTH_MAX);
        stack[n] = d;
        for (unsigned i = 0; i < d->n_fields; i++) {
                const ProtobufCFieldDescriptor *f = &d->fields[i];
                struct field_path *p;

                if (n_paths == cap_paths) {
                        cap_paths = cap_paths ? cap_paths * 2 : 512;
                        paths = realloc(paths, cap_paths * sizeof(*paths));
                        assert_non_null(paths);
                }
                p = &paths[n_paths++];
                memset(p, 0, sizeof(*p));
                assert_true((size_t)snprintf(p->path, sizeof(p->path), "%s.%s", prefix, f->name) <
                            sizeof(p->path));
                p->request = req;
                memcpy(p->chain, chain, n * sizeof(*chain));
                p->chain[n] = f;
                p->n = n + 1;
                if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                        char sub[256];
                        snprintf(sub, sizeof(sub), "%s", p->path);
                        chain[n] = f;
                        walk_fields(req, f->descriptor, sub, chain, n + 1, stack);
                }
        }
}

static void collect_paths(void)
{
        const ProtobufCMessageDescriptor *seen[_AGENT_METHOD_MAX];
        size_t n_seen = 0;

        for (int id = 0; id < _AGENT_METHOD_MAX; id++) {
                const struct agent_method *m = agent_method_get((enum agent_method_id)id);
                const ProtobufCFieldDescriptor *chain[DEPTH_MAX];
                const ProtobufCMessageDescriptor *stack[DEPTH_MAX];
                bool dup = false;

                assert_non_null(m);
                for (size_t i = 0; i < n_seen; i++)
                        dup = dup || seen[i] == m->request;
                if (dup)
                        continue;
                seen[n_seen++] = m->request;
                walk_fields(m->request, m->request, m->request->short_name, chain, 0, stack);
        }
}

/* --- changing one field in a step's JSON message ------------------------------------ */

struct attempt {
        const struct policy *policy;
        const struct policy_state *state;
        const struct agent_method *method;
        const json_t *message;
        const struct field_path *fp;
        const char *where; /* "web/go-shim-ipv4.json step 15" */
        char *proof;       /* set on a denial */
        size_t proof_len;
        unsigned tried;
};

/* Decide the changed message; true when the change is denied (proof written). */
static bool denied(struct attempt *a, json_t *changed, const char *what)
{
        ProtobufCMessage *pb = NULL;
        struct decision d;
        char err[256];
        int r;

        a->tried++;
        if (pbjson_to_message(a->method->request, changed, &pb, err, sizeof(err)) < 0)
                return false; /* not a message the host can send as it stands */
        r = policy_decide(a->policy, a->state, a->method, pb, &d);
        protobuf_c_message_free_unpacked(pb, NULL);
        if (r < 0 || d.verdict == VERDICT_ALLOW)
                return false;
        snprintf(a->proof, a->proof_len, "%s: %s denied by %s", a->where, what, d.rule_id);
        return true;
}

/* The way down, chosen on the original: for each step, an element index (-1: create one). */
struct trail {
        long idx[DEPTH_MAX];
        const char *key[DEPTH_MAX]; /* map steps: the key chosen (NULL: create "ccgate-x") */
};

/* Follow the trail in a copy of the message, creating what is absent; the object
 * holding the last field (for a map's key/value: the map's JSON object). */
static json_t *follow(json_t *root, const struct field_path *fp, const struct trail *t, size_t upto)
{
        json_t *node = root;

        for (size_t k = 0; k < upto; k++) {
                const ProtobufCFieldDescriptor *f = fp->chain[k];
                json_t *next = json_object_get(node, f->name);

                if (is_map_entry(f)) {
                        if (!json_is_object(next)) {
                                next = json_object();
                                json_object_set_new(node, f->name, next);
                        }
                        if (k + 1 == upto)
                                return next; /* the map itself holds key and value */
                        /* A message value: step into the chosen key's value. */
                        node = next;
                        next = json_object_get(node, t->key[k] ? t->key[k] : "ccgate-x");
                        if (!next) {
                                next = json_object();
                                json_object_set_new(node, t->key[k] ? t->key[k] : "ccgate-x", next);
                        }
                        k++; /* the "value" step */
                        node = next;
                        continue;
                }
                if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                        if (!json_is_array(next)) {
                                next = json_array();
                                json_object_set_new(node, f->name, next);
                        }
                        if (t->idx[k] < 0) {
                                json_array_append_new(next, json_object());
                                node = json_array_get(next, json_array_size(next) - 1);
                        } else {
                                node = json_array_get(next, (size_t)t->idx[k]);
                        }
                } else {
                        if (!json_is_object(next)) {
                                next = json_object();
                                json_object_set_new(node, f->name, next);
                        }
                        node = next;
                }
        }
        return node;
}

/* A scalar of f's type other than v (NULL: unset), the i-th of a few; NULL when out. */
static json_t *other_scalar(const ProtobufCFieldDescriptor *f, const json_t *v, unsigned i)
{
        switch (f->type) {
        case PROTOBUF_C_TYPE_STRING: {
                const char *s = json_string_value(v);
                char buf[1024];
                if (i == 0) {
                        snprintf(buf, sizeof(buf), "%sx", s ? s : "");
                        return json_string(buf);
                }
                if (i == 1)
                        return json_string(s && s[0] ? "" : "/");
                return i == 2 ? json_string("../x") : NULL;
        }
        case PROTOBUF_C_TYPE_BYTES:
                if (i == 0)
                        return json_string(v && json_string_length(v) ? "" : "eA==");
                return i == 1 ? json_string("Y2NnYXRl") : NULL;
        case PROTOBUF_C_TYPE_BOOL:
                return i == 0 ? json_boolean(!json_is_true(v)) : NULL;
        case PROTOBUF_C_TYPE_ENUM: {
                const ProtobufCEnumDescriptor *e = f->descriptor;
                const char *cur = json_string_value(v);
                unsigned seen = 0;
                if (!cur && e->n_values > 0)
                        cur = e->values[0].name; /* unset reads as the first value */
                for (unsigned k = 0; k < e->n_values; k++)
                        if (!cur || strcmp(e->values[k].name, cur) != 0)
                                if (seen++ == i)
                                        return json_string(e->values[k].name);
                return NULL;
        }
        case PROTOBUF_C_TYPE_FLOAT:
        case PROTOBUF_C_TYPE_DOUBLE:
                return i == 0 ? json_real((v ? json_number_value(v) : 0) + 1.5) : NULL;
        default: {
                json_int_t x = json_is_integer(v) ? json_integer_value(v) : 0;
                if (json_is_string(v))
                        x = (json_int_t)strtoll(json_string_value(v), NULL, 10);
                if (i == 0)
                        return json_integer(x + 1);
                if (i == 1)
                        return json_integer(x == 0 ? 4096 : 0);
                return NULL;
        }
        }
}

/* Try the changes of the path's last field at the node the trail leads to. */
static bool try_leaf(struct attempt *a, const struct trail *t)
{
        const struct field_path *fp = a->fp;
        const ProtobufCFieldDescriptor *f = fp->chain[fp->n - 1];
        const ProtobufCFieldDescriptor *parent = fp->n >= 2 ? fp->chain[fp->n - 2] : NULL;
        bool map_part = parent && is_map_entry(parent);
        size_t upto = fp->n - 1;

        for (unsigned op = 0; op < 16; op++) {
                _cleanup_(json_decrefp) json_t *copy = json_deep_copy(a->message);
                json_t *node = follow(copy, fp, t, upto), *cur, *nv = NULL;
                char what[128];

                if (!node)
                        return false;
                cur = map_part ? NULL : json_object_get(node, f->name);
                if (map_part) {
                        /* node is the map: change a key, or a value, of its first entry. */
                        const char *k0 = json_object_iter_key(json_object_iter(node));
                        json_t *v0 = k0 ? json_object_get(node, k0) : NULL;
                        const ProtobufCFieldDescriptor *vf = &((const ProtobufCMessageDescriptor *)parent->descriptor)->fields[1];
                        if (strcmp(f->name, "key") == 0) {
                                char key[512];
                                if (op > 0)
                                        return false;
                                snprintf(key, sizeof(key), "%sx", k0 ? k0 : "ccgate-x");
                                json_object_set(node, key, v0 ? v0 : json_string("x"));
                                if (k0)
                                        json_object_del(node, k0);
                                snprintf(what, sizeof(what), "a key renamed");
                        } else {
                                if (vf->type == PROTOBUF_C_TYPE_MESSAGE) {
                                        if (op > 0)
                                                return false;
                                        nv = json_object();
                                } else if (!(nv = other_scalar(vf, v0, op))) {
                                        return false;
                                }
                                json_object_set_new(node, k0 ? k0 : "ccgate-x", nv);
                                snprintf(what, sizeof(what), "a value changed");
                        }
                } else if (is_map_entry(f)) {
                        if (op == 0) {
                                json_t *map = json_is_object(cur) ? cur : json_object();
                                const ProtobufCFieldDescriptor *vf = &((const ProtobufCMessageDescriptor *)f->descriptor)->fields[1];
                                if (!json_is_object(cur))
                                        json_object_set_new(node, f->name, map);
                                json_object_set_new(map, "ccgate-x",
                                                    vf->type == PROTOBUF_C_TYPE_MESSAGE
                                                            ? json_object()
                                                            : other_scalar(vf, NULL, 0));
                                snprintf(what, sizeof(what), "an entry added");
                        } else if (op == 1 && json_object_size(cur) > 0) {
                                json_object_del(cur, json_object_iter_key(json_object_iter(cur)));
                                snprintf(what, sizeof(what), "an entry removed");
                        } else {
                                return false;
                        }
                } else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                        json_t *arr = json_is_array(cur) ? cur : NULL;
                        bool msg = f->type == PROTOBUF_C_TYPE_MESSAGE;
                        if (!arr) {
                                arr = json_array();
                                json_object_set_new(node, f->name, arr);
                        }
                        if (op == 0) {
                                json_array_append_new(arr, msg ? json_object()
                                                               : other_scalar(f, json_array_get(arr, 0), 0));
                                snprintf(what, sizeof(what), "an element added");
                        } else if (op == 1 && json_array_size(arr) > 0) {
                                json_array_remove(arr, 0);
                                snprintf(what, sizeof(what), "the first element removed");
                        } else if (!msg && json_array_size(arr) > 0 &&
                                   (nv = other_scalar(f, json_array_get(arr, 0), op - 2))) {
                                json_array_set_new(arr, 0, nv);
                                snprintf(what, sizeof(what), "the first element changed");
                        } else {
                                return false;
                        }
                } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                        if (op > 0)
                                return false;
                        if (cur)
                                json_object_del(node, f->name);
                        else
                                json_object_set_new(node, f->name, json_object());
                        snprintf(what, sizeof(what), cur ? "taken away" : "added");
                } else {
                        if (!(nv = other_scalar(f, cur, op)))
                                return false;
                        json_object_set_new(node, f->name, nv);
                        snprintf(what, sizeof(what), "changed");
                }
                if (denied(a, copy, what))
                        return true;
        }
        return false;
}

/* Choose the way down (each repeated element up to ELEMENTS_MAX, or a new one). */
static bool try_path(struct attempt *a, const json_t *node, size_t k, struct trail *t)
{
        const struct field_path *fp = a->fp;
        const ProtobufCFieldDescriptor *f;
        const json_t *next;

        if (k + 1 >= fp->n)
                return try_leaf(a, t);
        f = fp->chain[k];
        next = node ? json_object_get(node, f->name) : NULL;
        if (is_map_entry(f)) {
                const char *key;
                json_t *v;
                size_t i = 0;
                if (k + 2 >= fp->n)
                        return try_leaf(a, t); /* the map's own key or value */
                t->key[k] = NULL;
                if (json_is_object(next))
                        json_object_foreach((json_t *)next, key, v) {
                                if (i++ == ELEMENTS_MAX)
                                        break;
                                t->key[k] = key;
                                if (try_path(a, v, k + 2, t))
                                        return true;
                        }
                t->key[k] = NULL;
                return try_path(a, NULL, k + 2, t);
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                size_t n = json_is_array(next) ? json_array_size(next) : 0;
                for (size_t i = 0; i < n && i < ELEMENTS_MAX; i++) {
                        t->idx[k] = (long)i;
                        if (try_path(a, json_array_get(next, i), k + 1, t))
                                return true;
                }
                t->idx[k] = -1;
                return n == 0 && try_path(a, NULL, k + 1, t);
        }
        t->idx[k] = 0;
        return try_path(a, next, k + 1, t);
}

/* --- the corpus ------------------------------------------------------------------------ */

static unsigned allowed_steps, decisions;

static void prove_lifecycle(const char *rel)
{
        char path[4096], why[512];
        json_error_t jerr;
        struct gen_output out = { 0 };
        struct policy_error err = { 0 };
        _cleanup_(json_decrefp) json_t *doc = NULL;
        _cleanup_(policy_freep) struct policy *policy = NULL;
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();
        const json_t *step;
        size_t i;

        snprintf(path, sizeof(path), "%s/tests/corpus/%s", source_root, rel);
        doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!doc)
                fail_msg("%s: %s", rel, jerr.text);
        if (corpus_generate(path, doc, layouts_dir, GEN_LOGS_ALLOW, &out, &err) < 0 ||
            policy_load_buffer(rel, (const uint8_t *)out.policy, out.policy_len, &policy, &err) < 0) {
                policy_error_format(&err, why, sizeof(why));
                gen_output_done(&out);
                fail_msg("%s: %s", rel, why);
        }
        gen_output_done(&out);
        assert_non_null(s);

        json_array_foreach(json_object_get(doc, "steps"), i, step) {
                const struct agent_method *m = corpus_step_method(step);
                _cleanup_(json_decrefp) json_t *msg = json_deep_copy(json_object_get(step, "message"));
                ProtobufCMessage *pb = NULL;
                struct decision d;
                char where[192], e[256];

                assert_non_null(m);
                if (!msg)
                        msg = json_object();
                if (pbjson_to_message(m->request, msg, &pb, e, sizeof(e)) < 0)
                        fail_msg("%s step %zu: %s", rel, i, e);
                assert_int_equal(policy_decide(policy, s, m, pb, &d), 0);
                protobuf_c_message_free_unpacked(pb, NULL);
                if (d.verdict != VERDICT_ALLOW)
                        continue; /* nothing to prove from a denial */
                allowed_steps++;
                snprintf(where, sizeof(where), "%s step %zu", rel, i);
                for (size_t p = 0; p < n_paths; p++) {
                        struct trail t;
                        struct attempt a = {
                                .policy = policy, .state = s, .method = m, .message = msg,
                                .fp = &paths[p], .where = where, .proof = paths[p].proof,
                                .proof_len = sizeof(paths[p].proof),
                        };
                        if (paths[p].request != m->request || paths[p].proof[0])
                                continue;
                        memset(&t, 0, sizeof(t));
                        (void)try_path(&a, msg, 0, &t);
                        decisions += a.tried;
                }
                if (d.effect.kind != POLICY_EFFECT_NONE)
                        (void)policy_state_apply(s, &d.effect);
        }
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void prove_corpus(void)
{
        char dir[4096], *files[256];
        size_t n = 0;
        DIR *top;
        struct dirent *de;

        snprintf(dir, sizeof(dir), "%s/tests/corpus", source_root);
        top = opendir(dir);
        assert_non_null(top);
        while ((de = readdir(top))) {
                char sub[4096 + 256], pod[4096 + 512];
                DIR *d;
                struct dirent *fe;
                if (de->d_name[0] == '.')
                        continue;
                snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
                snprintf(pod, sizeof(pod), "%s/pod.yaml", sub);
                if (access(pod, R_OK) != 0 || !(d = opendir(sub)))
                        continue;
                while ((fe = readdir(d))) {
                        size_t len = strlen(fe->d_name);
                        char rel[512];
                        if (len < 6 || strcmp(fe->d_name + len - 5, ".json") != 0)
                                continue;
                        snprintf(rel, sizeof(rel), "%s/%s", de->d_name, fe->d_name);
                        assert_true(n < 256);
                        files[n++] = strdup(rel);
                }
                closedir(d);
        }
        closedir(top);
        assert_true(n > 0);
        qsort(files, n, sizeof(files[0]), cmp_str);
        for (size_t i = 0; i < n; i++) {
                prove_lifecycle(files[i]);
                free(files[i]);
        }
}

/* --- the table ---------------------------------------------------------------------- */

/* Whether entry covers path: the same field, or the request it names as a whole. */
static bool covers(const char *entry, const char *path)
{
        size_t n = strlen(entry);

        if (strcmp(entry, path) == 0)
                return true;
        return !strchr(entry, '.') && strncmp(entry, path, n) == 0 && path[n] == '.';
}

static void test_complete(void **state)
{
        unsigned missing = 0, stale = 0, unknown = 0, proved = 0, listed = 0;

        (void)state;
        collect_paths();
        prove_corpus();

        for (size_t e = 0; e < field_unchecked_n; e++) {
                const struct field_unchecked *u = &field_unchecked[e];
                bool exists = false;
                if (!u->reason || strlen(u->reason) < 12) {
                        print_error("rules/field_coverage.c: %s: the reason is missing or too short\n",
                                    u->path);
                        unknown++;
                }
                for (size_t e2 = 0; e2 < e; e2++)
                        if (covers(field_unchecked[e2].path, u->path) ||
                            covers(u->path, field_unchecked[e2].path)) {
                                print_error("rules/field_coverage.c: %s overlaps %s\n", u->path,
                                            field_unchecked[e2].path);
                                unknown++;
                        }
                for (size_t p = 0; p < n_paths; p++) {
                        if (strcmp(u->path, paths[p].path) == 0 ||
                            strcmp(u->path, paths[p].request->short_name) == 0)
                                exists = true;
                        if (!covers(u->path, paths[p].path))
                                continue;
                        paths[p].entry = u;
                        if (paths[p].proof[0]) {
                                print_error("rules/field_coverage.c: %s is listed as not checked, but "
                                            "%s is checked (%s): take it out of the table\n",
                                            u->path, paths[p].path, paths[p].proof);
                                stale++;
                        }
                }
                if (!exists) {
                        print_error("rules/field_coverage.c: %s: no such request field\n", u->path);
                        unknown++;
                }
        }
        for (size_t p = 0; p < n_paths; p++) {
                if (paths[p].proof[0])
                        proved++;
                else if (paths[p].entry)
                        listed++;
                else {
                        print_error("%s: neither checked nor in rules/field_coverage.c\n",
                                    paths[p].path);
                        missing++;
                }
                if (list)
                        printf("%s\t%s\n", paths[p].path,
                               paths[p].proof[0] ? paths[p].proof
                               : paths[p].entry  ? paths[p].entry->reason
                                                 : "MISSING");
        }
        printf("fields %zu: checked %u, listed %u, missing %u; %u allowed steps, %u changed "
               "requests decided\n",
               n_paths, proved, listed, missing, allowed_steps, decisions);
        free(paths);
        assert_int_equal(missing + stale + unknown, 0);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_complete),
        };

        if (argc < 3) {
                fprintf(stderr, "usage: %s SOURCE_ROOT LAYOUTS_DIR [--list]\n", argv[0]);
                return 2;
        }
        source_root = argv[1];
        layouts_dir = argv[2];
        list = argc > 3 && strcmp(argv[3], "--list") == 0;
        return cmocka_run_group_tests(tests, NULL, NULL);
}

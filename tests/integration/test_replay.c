/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The traffic corpus end to end: every pod lifecycle of tests/corpus, request by
 * request in the runtime's order, through ccgate (a real process) to the recording
 * stub agent (a real process), over real unix sockets; one ccgate per lifecycle.
 *
 *   test_replay generated   each lifecycle under the policy `ccgate policy generate`
 *                           writes for its pod (the images from mkimages.py's
 *                           layouts, the lifecycle's runtime and emptydir mode,
 *                           --logs allow)
 *   test_replay examples    the lifecycles of the pods that are examples
 *                           (examples/NAME/pod.yaml) under the example's own
 *                           policy: policy.yaml, or policy-runtime-rs.yaml for
 *                           runtime-rs lifecycles
 *
 * Every request of the lifecycle must be allowed and answered OK by the agent (a
 * read the policy refuses is drained: forwarded, answered OK and empty; only the
 * examples' policies may do that, and only for reads), and the agent must have
 * recorded exactly those requests, byte for byte, in that order. Before each step,
 * each mutation of mutations.json for that step is sent (so it is decided with the
 * state every earlier step leaves) and must be refused: denied and never seen by the
 * agent, or, for a read, drained (the host gets nothing). Mutations still marked
 * "needs" are not sent, and are listed by name, so that none is skipped silently.
 * The audit log must hold each decision, by its stream id. Each message is the
 * corpus's JSON as pbjson and protobuf-c encode it, nothing taken out.
 *
 * Environment: CCGATE, STUB_AGENT, CORPUS_DIR, LAYOUTS_DIR, EXAMPLES_DIR.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

#include "corpus.h"
#include "gate_env.h"
#include "harness.h"
#include "ttrpc.h"

#define _cleanup_json_ _cleanup_(json_decrefp)

#define MAX_LIFECYCLES 64

static const char *corpus_dir, *layouts_dir, *examples_dir;
static bool examples_mode;
static json_t *mutations; /* the "mutations" array of mutations.json */

/* Over the whole run, for the summary at the end. */
static struct {
        unsigned lifecycles, requests, refused, drained, not_asserted;
} totals;

static const char *env_need(const char *name)
{
        const char *v = getenv(name);

        if (!v || !*v) {
                fprintf(stderr, "test_replay: %s is not set (meson sets it)\n", name);
                exit(2);
        }
        return v;
}

/* --- the lifecycles ------------------------------------------------------------------ */

struct lifecycle {
        char pod[64];
        char rel[128];  /* "web/go-shim-ipv4.json" */
        char name[240]; /* the cmocka test's */
};

static struct lifecycle lifecycles[MAX_LIFECYCLES];
static size_t n_lifecycles;

static int is_json(const struct dirent *d)
{
        size_t n = strlen(d->d_name);

        return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

static bool file_exists(const char *fmt, ...)
{
        char path[PATH_MAX];
        struct stat st;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(path, sizeof(path), fmt, ap);
        va_end(ap);
        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Every <pod>/<lifecycle>.json of the corpus (pods with a pod.yaml), sorted; in
 * examples mode only the pods examples/ has. */
static void find_lifecycles(void)
{
        struct dirent **pods = NULL;
        int n = scandir(corpus_dir, &pods, NULL, alphasort);

        if (n < 0) {
                fprintf(stderr, "test_replay: %s: %s\n", corpus_dir, strerror(errno));
                exit(2);
        }
        for (int i = 0; i < n; i++) {
                const char *pod = pods[i]->d_name;
                struct dirent **files = NULL;
                char dir[PATH_MAX];
                int k;

                if (pod[0] == '.' || strlen(pod) >= sizeof(lifecycles[0].pod) ||
                    !file_exists("%s/%s/pod.yaml", corpus_dir, pod) ||
                    (examples_mode && !file_exists("%s/%s/pod.yaml", examples_dir, pod))) {
                        free(pods[i]);
                        continue;
                }
                snprintf(dir, sizeof(dir), "%s/%s", corpus_dir, pod);
                k = scandir(dir, &files, is_json, alphasort);
                for (int j = 0; j < k; j++) {
                        struct lifecycle *lc = &lifecycles[n_lifecycles];

                        if (n_lifecycles < MAX_LIFECYCLES) {
                                snprintf(lc->pod, sizeof(lc->pod), "%s", pod);
                                snprintf(lc->rel, sizeof(lc->rel), "%.63s/%.63s", pod,
                                         files[j]->d_name);
                                snprintf(lc->name, sizeof(lc->name), "%.127s/%.63s (%s)", pod,
                                         files[j]->d_name,
                                         examples_mode ? "example policy" : "generated policy");
                                n_lifecycles++;
                        }
                        free(files[j]);
                }
                free(files);
                free(pods[i]);
        }
        free(pods);
}

/* --- the policy ------------------------------------------------------------------ */

/* `ccgate policy generate` for lc's pod into out (e->dir/policy.yaml). */
static void generate(struct gate_env *e, const json_t *doc, const struct lifecycle *lc,
                     char *out, size_t out_len)
{
        const char *runtime = json_string_value(json_object_get(doc, "runtime_id"));
        const char *mode = json_string_value(json_object_get(json_object_get(doc, "config"),
                                                             "emptydir_mode"));
        char settings[PATH_MAX], pod[PATH_MAX], log[PATH_MAX], text[128];
        char image_paths[16][PATH_MAX];
        char *argv[64];
        struct dirent **entries = NULL;
        size_t n = 0, n_images = 0;
        FILE *f;
        pid_t pid;
        int k, status;

        assert_non_null(runtime);
        snprintf(out, out_len, "%s/policy.yaml", e->dir);
        snprintf(settings, sizeof(settings), "%s/settings.yaml", e->dir);
        snprintf(pod, sizeof(pod), "%s/%s/pod.yaml", corpus_dir, lc->pod);
        snprintf(log, sizeof(log), "%s/generate.log", e->dir);
        /* The kata configuration the lifecycle models (the rest is the settings' default). */
        snprintf(text, sizeof(text), "kata:\n  emptydir_mode: %s\n", mode ? mode : "block-encrypted");
        f = fopen(settings, "we");
        assert_non_null(f);
        assert_true(fputs(text, f) >= 0);
        assert_int_equal(fclose(f), 0);

        argv[n++] = (char *)env_need("CCGATE");
        argv[n++] = (char *)"policy";
        argv[n++] = (char *)"generate";
        argv[n++] = (char *)"--runtime";
        argv[n++] = (char *)runtime;
        argv[n++] = (char *)"--settings";
        argv[n++] = settings;
        argv[n++] = (char *)"--logs";
        argv[n++] = (char *)"allow";
        argv[n++] = (char *)"--output";
        argv[n++] = out;
        k = scandir(layouts_dir, &entries, NULL, alphasort);
        assert_true(k > 0);
        for (int i = 0; i < k; i++) {
                if (entries[i]->d_name[0] != '.' && n_images < ELEMENTSOF(image_paths)) {
                        snprintf(image_paths[n_images], PATH_MAX, "%s/%s", layouts_dir,
                                 entries[i]->d_name);
                        argv[n++] = (char *)"--images";
                        argv[n++] = image_paths[n_images++];
                }
                free(entries[i]);
        }
        free(entries);
        argv[n++] = pod;
        argv[n] = NULL;
        assert_true(n < ELEMENTSOF(argv));

        assert_int_equal(harness_spawn(argv, log, &pid), 0);
        status = harness_wait_exit(&pid, 60000);
        if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                _cleanup_free_ char *why = NULL;

                (void)harness_read_file(log, &why);
                fail_msg("%s: ccgate policy generate failed (status %d):\n%s", lc->rel, status,
                         why ? why : "");
        }
}

/* The example's policy for the lifecycle's runtime: policy.yaml for kata's Go runtime,
 * policy-<runtime>.yaml for the others (tools/regen-examples writes both). */
static void example_policy(const json_t *doc, const struct lifecycle *lc, char *out, size_t out_len)
{
        const char *runtime = json_string_value(json_object_get(doc, "runtime_id"));

        assert_non_null(runtime);
        if (strcmp(runtime, "go-shim") == 0)
                snprintf(out, out_len, "%s/%s/policy.yaml", examples_dir, lc->pod);
        else
                snprintf(out, out_len, "%s/%s/policy-%s.yaml", examples_dir, lc->pod, runtime);
        if (!file_exists("%s", out))
                fail_msg("%s: the example has no policy for %s: %s", lc->rel, runtime, out);
}

/* --- one request ------------------------------------------------------------------- */

enum outcome {
        OUT_ANSWERED, /* code 0, the agent's answer (a read: its data) */
        OUT_DRAINED,  /* a read answered OK and empty by ccgate */
        OUT_DENIED,   /* code 7, "<Request> is blocked by policy: ..." */
        OUT_OTHER,
};

/* One request sent, for the checks at the end. */
struct sent {
        uint32_t stream;
        bool mutation;
        size_t index; /* the step's, or the mutation's in mutations.json */
        enum outcome outcome;
        bool reached; /* it must be on the agent's record */
        char line[128 + 65]; /* "<service>/<method> <sha256>", as the stub records it */
};

struct replay {
        struct gate_env *e;
        struct ttrpc_client *c;
        const struct lifecycle *lc;
        struct sent *sent;
        size_t n_sent, cap_sent;
        unsigned failures;
};

static bool is_read(const struct agent_method *m)
{
        return m->id == AGENT_READ_STDOUT || m->id == AGENT_READ_STDERR;
}

/* Send msg for m; fill and return a struct sent, with what came back in *reply. */
static struct sent *send_one(struct replay *rp, const struct agent_method *m, const json_t *msg,
                             bool mutation, size_t index, char *reply, size_t reply_len)
{
        _cleanup_free_ uint8_t *buf = NULL;
        struct ttrpc_reply r;
        struct sent *s;
        char why[512], sha[65], denied[256];
        size_t len;

        if (rp->n_sent == rp->cap_sent) {
                rp->cap_sent = rp->cap_sent ? 2 * rp->cap_sent : 64;
                rp->sent = realloc(rp->sent, rp->cap_sent * sizeof(*rp->sent));
                assert_non_null(rp->sent);
        }
        s = &rp->sent[rp->n_sent++];
        memset(s, 0, sizeof(*s));
        s->mutation = mutation;
        s->index = index;
        if (corpus_pack(m, msg, &buf, &len, why, sizeof(why)) < 0)
                fail_msg("%s %s %zu: the message does not fit %s: %s", rp->lc->rel,
                         mutation ? "mutation" : "step", index, m->request_name, why);
        harness_sha256_hex(buf, len, sha);
        snprintf(s->line, sizeof(s->line), "%s/%s %s", m->service, m->method, sha);

        s->stream = ttrpc_client_next_stream(rp->c);
        assert_int_equal(ttrpc_client_call(rp->c, m->service, m->method, buf, len, &r), 0);
        snprintf(denied, sizeof(denied), "%s is blocked by policy: ", m->request_name);
        if (r.code == TTRPC_CODE_PERMISSION_DENIED && r.payload_len == 0 &&
            strncmp(r.message, denied, strlen(denied)) == 0) {
                s->outcome = OUT_DENIED;
        } else if (r.code == TTRPC_CODE_OK && is_read(m)) {
                char data[512];

                read_stream_data(&r, data, sizeof(data));
                s->outcome = data[0] ? OUT_ANSWERED : OUT_DRAINED;
        } else {
                s->outcome = r.code == TTRPC_CODE_OK ? OUT_ANSWERED : OUT_OTHER;
        }
        s->reached = s->outcome == OUT_ANSWERED || s->outcome == OUT_DRAINED;
        snprintf(reply, reply_len, "code %d%s%s", r.code, r.message[0] ? ": " : "", r.message);
        ttrpc_reply_done(&r);
        return s;
}

/* The step's message as the runtime sends it (a new reference). */
static json_t *step_message(const json_t *step)
{
        json_t *msg = json_deep_copy(json_object_get(step, "message"));

        if (!msg)
                msg = json_object();
        assert_non_null(msg);
        return msg;
}

/* Each mutation of step i: sent and refused, or listed when it still needs work. */
static void send_mutations(struct replay *rp, const json_t *step, size_t i, unsigned *n_denied,
                           unsigned *n_drained)
{
        const struct agent_method *m = corpus_step_method(step);
        const json_t *mu;
        size_t k;

        json_array_foreach(mutations, k, mu) {
                const char *file = json_string_value(json_object_get(mu, "file"));
                const char *path = json_string_value(json_object_get(mu, "path"));
                const char *op = json_string_value(json_object_get(mu, "op"));
                const char *needs = json_string_value(json_object_get(mu, "needs"));
                _cleanup_json_ json_t *msg = NULL;
                struct sent *s;
                char reply[512];

                if (!file || strcmp(file, rp->lc->rel) != 0 ||
                    json_integer_value(json_object_get(mu, "step")) != (json_int_t)i)
                        continue;
                if (needs) {
                        totals.not_asserted++;
                        print_message("  not asserted (needs %s): mutation %zu, step %zu %s %s %s: %s\n",
                                      needs, k, i, m->method, op ? op : "?", path ? path : "?",
                                      json_string_value(json_object_get(mu, "why")) ?: "");
                        continue;
                }
                msg = step_message(step);
                if (corpus_mutate(msg, path, op, json_object_get(mu, "value")) < 0)
                        fail_msg("mutation %zu (%s step %zu %s %s): cannot be applied", k,
                                 rp->lc->rel, i, op ? op : "?", path ? path : "?");
                s = send_one(rp, m, msg, true, k, reply, sizeof(reply));
                if (s->outcome == OUT_DENIED) {
                        (*n_denied)++;
                } else if (s->outcome == OUT_DRAINED) {
                        (*n_drained)++;
                } else {
                        print_error("%s: mutation %zu (step %zu %s %s %s) was not refused: %s\n",
                                    rp->lc->rel, k, i, m->method, op, path, reply);
                        rp->failures++;
                }
        }
}

/* --- the checks at the end ------------------------------------------------------- */

static const struct gate_env_request *audit_of(const struct gate_env_request *r, size_t n,
                                               uint32_t stream)
{
        for (size_t i = 0; i < n; i++)
                if (r[i].stream == (int64_t)stream)
                        return &r[i];
        return NULL;
}

/* Each request's decision record says what the host saw. */
static void check_audit(struct replay *rp)
{
        _cleanup_free_ struct gate_env_request *req = NULL;
        size_t n = 0;
        char why[512];

        if (gate_env_audit_requests(rp->e, &req, &n, why, sizeof(why)) < 0)
                fail_msg("%s: the audit log: %s", rp->lc->rel, why);
        for (size_t i = 0; i < rp->n_sent; i++) {
                const struct sent *s = &rp->sent[i];
                const struct gate_env_request *a = audit_of(req, n, s->stream);
                const char *want = s->outcome == OUT_ANSWERED ? "allow" : "deny";

                if (!a) {
                        print_error("%s: no audit record for stream %u\n", rp->lc->rel, s->stream);
                        rp->failures++;
                } else if (strcmp(a->decision, want) != 0 || a->forwarded != s->reached) {
                        print_error("%s: %s %zu (stream %u): the audit log says %s%s by %s\n",
                                    rp->lc->rel, s->mutation ? "mutation" : "step", s->index,
                                    s->stream, a->decision, a->forwarded ? ", forwarded" : "",
                                    a->rule);
                        rp->failures++;
                }
        }
}

/* The agent's record holds exactly the requests that were to reach it, in order. */
static void check_record(struct replay *rp)
{
        _cleanup_free_ char *text = NULL;
        char *save = NULL, *line;
        size_t at = 0;

        assert_true(harness_read_file(rp->e->record, &text) >= 0);
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                const char *rest = strchr(line, ' '); /* after the agent side's stream id */

                while (at < rp->n_sent && !rp->sent[at].reached)
                        at++;
                if (at == rp->n_sent) {
                        print_error("%s: the agent saw more than was sent to it: %s\n",
                                    rp->lc->rel, line);
                        rp->failures++;
                        return;
                }
                if (!rest || strcmp(rest + 1, rp->sent[at].line) != 0) {
                        print_error("%s: the agent saw '%s' where %s %zu ('%s') was due\n",
                                    rp->lc->rel, line, rp->sent[at].mutation ? "mutation" : "step",
                                    rp->sent[at].index, rp->sent[at].line);
                        rp->failures++;
                        return;
                }
                at++;
        }
        while (at < rp->n_sent && !rp->sent[at].reached)
                at++;
        if (at < rp->n_sent) {
                print_error("%s: %s %zu never reached the agent\n", rp->lc->rel,
                            rp->sent[at].mutation ? "mutation" : "step", rp->sent[at].index);
                rp->failures++;
        }
}

/* --- one lifecycle ------------------------------------------------------------------ */

struct replay_env {
        struct gate_env *e;
        const struct lifecycle *lc;
};

static int replay_setup(void **state)
{
        struct replay_env *re = calloc(1, sizeof(*re));
        void *es = NULL;

        if (!re)
                return -1;
        if (gate_env_setup(&es) < 0) {
                free(re);
                return -1;
        }
        re->e = es;
        re->lc = *state;
        *state = re;
        return 0;
}

static int replay_teardown(void **state)
{
        struct replay_env *re = *state;
        void *es = re->e;
        int r = gate_env_teardown(&es);

        free(re);
        return r;
}

static void replay_lifecycle(void **state)
{
        struct replay_env *re = *state;
        struct gate_env *e = re->e;
        const struct lifecycle *lc = re->lc;
        struct replay rp = { .e = e, .lc = lc };
        _cleanup_json_ json_t *doc = NULL;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        char path[PATH_MAX], policy[PATH_MAX];
        unsigned n_denied = 0, n_drained = 0, n_mut_drained = 0, n_forwarded = 0;
        const json_t *steps, *step;
        json_error_t jerr;
        size_t i;

        snprintf(path, sizeof(path), "%s/%s", corpus_dir, lc->rel);
        doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!doc)
                fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
        steps = json_object_get(doc, "steps");
        assert_true(json_array_size(steps) > 0);

        if (examples_mode)
                example_policy(doc, lc, policy, sizeof(policy));
        else
                generate(e, doc, lc, policy, sizeof(policy));

        gate_env_start_stub(e, NULL);
        gate_env_start_gate(e, policy, NULL);
        c = gate_env_connect(e);
        rp.c = c;

        json_array_foreach(steps, i, step) {
                const struct agent_method *m = corpus_step_method(step);
                _cleanup_json_ json_t *msg = NULL;
                struct sent *s;
                char reply[512];

                if (!m)
                        fail_msg("%s step %zu: no method %s", lc->rel, i,
                                 json_string_value(json_object_get(step, "method")) ?: "?");
                send_mutations(&rp, step, i, &n_denied, &n_mut_drained);
                msg = step_message(step);
                s = send_one(&rp, m, msg, false, i, reply, sizeof(reply));
                if (s->outcome == OUT_DRAINED && examples_mode) {
                        n_drained++;
                } else if (s->outcome != OUT_ANSWERED) {
                        print_error("%s step %zu (%s): %s\n", lc->rel, i, m->method, reply);
                        rp.failures++;
                }
        }
        for (i = 0; i < rp.n_sent; i++)
                n_forwarded += rp.sent[i].reached;

        check_audit(&rp);
        check_record(&rp);
        if (examples_mode)
                snprintf(path, sizeof(path), "examples/%s/%s", lc->pod, strrchr(policy, '/') + 1);
        print_message("%s under %s: %zu requests answered in order (%u of them reads drained), "
                      "%u mutations denied, %u drained\n",
                      lc->rel, examples_mode ? path : "its generated policy",
                      json_array_size(steps), n_drained, n_denied, n_mut_drained);
        gate_env_expect_audit(e, (long)rp.n_sent, (long)n_forwarded);
        free(rp.sent);
        assert_int_equal(rp.failures, 0);
        totals.lifecycles++;
        totals.requests += (unsigned)json_array_size(steps);
        totals.refused += n_denied + n_mut_drained;
        totals.drained += n_mut_drained;
}

int main(int argc, char **argv)
{
        struct CMUnitTest tests[MAX_LIFECYCLES];
        json_error_t jerr;
        json_t *doc;
        char path[PATH_MAX];
        int r;

        if (argc != 2 || (strcmp(argv[1], "generated") != 0 && strcmp(argv[1], "examples") != 0)) {
                fprintf(stderr, "usage: %s generated|examples\n", argv[0]);
                return 2;
        }
        examples_mode = strcmp(argv[1], "examples") == 0;
        corpus_dir = env_need("CORPUS_DIR");
        layouts_dir = env_need("LAYOUTS_DIR");
        examples_dir = env_need("EXAMPLES_DIR");
        snprintf(path, sizeof(path), "%s/mutations.json", corpus_dir);
        doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!doc || !json_is_array(json_object_get(doc, "mutations"))) {
                fprintf(stderr, "test_replay: %s:%d: %s\n", path, jerr.line,
                        doc ? "no \"mutations\" array" : jerr.text);
                return 2;
        }
        mutations = json_object_get(doc, "mutations");
        find_lifecycles();
        if (n_lifecycles == 0) {
                fprintf(stderr, "test_replay: no lifecycles under %s\n", corpus_dir);
                json_decref(doc);
                return 1;
        }
        /* Every mutation belongs to a lifecycle replayed here (all of them but the
         * examples' in examples mode): none is dropped by a typo in its "file". */
        for (size_t k = 0; !examples_mode && k < json_array_size(mutations); k++) {
                const char *file = json_string_value(json_object_get(json_array_get(mutations, k),
                                                                     "file"));
                bool found = false;

                for (size_t i = 0; file && i < n_lifecycles; i++)
                        found = found || strcmp(lifecycles[i].rel, file) == 0;
                if (!found) {
                        fprintf(stderr, "test_replay: mutation %zu: no lifecycle %s\n", k,
                                file ? file : "(none)");
                        json_decref(doc);
                        return 1;
                }
        }
        for (size_t i = 0; i < n_lifecycles; i++)
                tests[i] = (struct CMUnitTest){
                        .name = lifecycles[i].name,
                        .test_func = replay_lifecycle,
                        .setup_func = replay_setup,
                        .teardown_func = replay_teardown,
                        .initial_state = &lifecycles[i],
                };
        r = _cmocka_run_group_tests(examples_mode ? "replay-examples" : "replay-generated", tests,
                                    n_lifecycles, NULL, NULL);
        printf("replay: %u of %zu lifecycles passed: %u requests answered in order; "
               "%u mutations refused (%u of them reads drained), %u not asserted (marked "
               "\"needs\", listed above)\n",
               totals.lifecycles, n_lifecycles, totals.requests, totals.refused, totals.drained,
               totals.not_asserted);
        json_decref(doc);
        return r;
}

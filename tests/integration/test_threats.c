/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The threat model's host actions, end to end: ccgate (a real process) between
 * this test and the recording stub agent (a real process), over real unix
 * sockets, under the examples' own policies (examples/locked and examples/web).
 *
 * Every case first brings the pod up the way a kata shim does, with the
 * requests the policy allows (the examples' request files, through ccgate, each
 * answered OK by the agent, so ccgate binds the containers), then plays the
 * host's actions. For each one:
 *   - denied:  status 7 with exactly "<Request> is blocked by policy: <rule>:
 *              <reason>", no payload, and the stub agent's record proves it
 *              never got there;
 *   - allowed: status 0, the agent saw exactly those bytes once, and what it
 *              answered (for reads, its data) reaches the host unchanged;
 *   - drained: a refused read of a pod container's output: forwarded, the
 *              data thrown away, answered OK and empty (kata issue 10680);
 * and in every case the audit log holds the decision, the rule and whether it
 * was forwarded, for that request (by its stream id).
 *
 * Requests are the examples' JSON request files (examples/NAME/requests/NN-*.json,
 * the same ones test-policy-examples decides offline) and a few of our own
 * (tests/integration/threats/NAME.json), optionally edited with JSON pointers,
 * turned into protobuf bytes by pbjson.
 *
 * Usage: test_threats             the threats, under examples/locked and examples/web
 *        test_threats examples    every examples/NAME/requests/FILE.json as the file
 *                                 expects, its "state" rebuilt through ccgate first
 * Environment: CCGATE, STUB_AGENT, POLICY_DIR (= examples/), EXAMPLES_DIR, THREATS_DIR.
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

#include <cmocka.h>
#include <jansson.h>

#include "agent.pb-c.h"
#include "agent_api.h"
#include "gate_env.h"
#include "harness.h"
#include "pbjson.h"
#include "ttrpc.h"

/* jansson provides json_decrefp() for cleanup attributes. */
#define _cleanup_json_ _cleanup_(json_decrefp)

static const char *examples_dir = "examples";
static const char *threats_dir = "threats";

/* The ids the examples' request files use. */
#define SB "5d3a0e2f4b6c8d1e9f7a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d1e" /* the sandbox */
#define CT "9c1f2e3d4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0" /* worker / nginx */
#define SB2 "113a0e2f4b6c8d1e9f7a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d1e" /* a 2nd pause */
#define PROBE "0f6b8a52-7c1e-4b8e-9a55-3c2d1e0f9a87" /* web's liveness probe exec */
#define DEBUGGER "7e1f2e3d4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0" /* kubectl debug's */
#define Q(s) "\"" s "\""

/* The reasons the host is told, exactly. Table rules: the examples' policy text. */
#define R_NO_EXEC "the pod has no exec probes or hooks: nothing may be run in it"
#define R_NO_STDIN "nothing in this pod reads input from the host"
#define R_NO_TTY "no terminal is ever attached to this pod"
#define R_NO_SWAP "the attested policy is the only policy"
#define R_FIELD(path) "the policy does not allow this value of " path
#define R_UNLISTED(req) "the policy does not list " req
/* Rules ccgate derives: rules/compile_container.c, decide_container.c, decide_copy_file.c, decide_policy.c. */
#define R_IMAGE "the image storage is not the pinned image as the guest pulls it (source, pull metadata, overlay at the root)"
#define R_ROOT "the root filesystem is not the guest-pulled image at its fixed path"
#define R_ARGS "the command line differs from the policy's"
#define R_ENV "an environment variable is not allowed by the policy"
#define R_CWD "the working directory differs from the policy's"
#define R_USER "the user or groups differ from the policy's"
#define R_CAPS "a capability is not allowed by the policy"
#define R_NNP "no_new_privileges is required by the policy"
#define R_TERMINAL "the terminal setting differs from the policy's"
#define R_PROCESS "the process carries a user name or an SELinux label"
#define R_APPARMOR "the AppArmor profile is not the one the policy names"
#define R_OOM "the OOM score adjustment is outside the policy's"
#define R_RLIMITS "a resource limit (rlimit) is not allowed by the policy"
#define R_HOSTNAME "the hostname differs from the policy's"
#define R_RESOURCES "a cgroup resource setting is not allowed by the policy"
#define R_IO "the process's exec id is not its own, or its stdio would bypass ccgate over host vsock ports"
#define R_SECCOMP "the seccomp profile is weaker than the policy requires"
#define R_PRIVILEGED "the container would be privileged"
#define R_CGROUPS "the cgroup path is not the container's own under kubepods"
#define R_MOUNTS "a mount is not allowed by the policy"
#define R_DEVICES "a device is not allowed by the policy"
#define R_SYSCTLS "a sysctl is not allowed by the policy"
#define R_NAMESPACES "the namespaces differ from the policy's or join another's"
#define R_ANNOTATIONS "an annotation is not allowed by the policy"
#define R_HOOKS "an OCI hook is not allowed by the policy"
#define R_LINUX "the request sets id mappings, labels, mount propagation, shared mounts or a host user"
#define R_ONCE "the pod sandbox container already exists"
#define R_EXEC "the command is not one the policy allows in this container"
#define R_ID "the container or exec id is missing, too long, in use or not a plain name"
#define R_UNKNOWN_CONTAINER "the request is not for a container the policy lists"
#define R_UNBOUND "the container id was not created under the policy or was removed"
#define R_SANDBOX_ONCE "the sandbox was already created; it is created once per VM"
#define R_GUEST_CODE "the host may not name guest hooks or kernel modules for the sandbox"
#define R_COPY_PATH "the destination is not absolute and normalised, or traverses with .."
#define R_COPY_ROOTFS "files may not be written into a container's root filesystem"
#define R_COPY_TYPE "only files, directories and symlinks without set-id bits may be copied"
#define R_COPY_SYMLINK "the symlink is absolute, traverses with .., or points outside its rule"
#define R_COPY_UNLISTED "no copy_file rule allows this destination and file type"
#define R_COPY_OWNER "the file's owner is not the one its copy_file rule names"
#define R_COPY_SIZE "the offset, size and data do not describe the file"
#define R_COPY_MODE "the parent directories would be writable by group or others"
#define R_STREAM_DENIED(what) "the policy does not allow " what

/* What the stub agent answers for a method it was told to fail (--fail METHOD). */
#define STUB_FAIL_CODE TTRPC_CODE_INTERNAL

enum want {
        ALLOW,       /* forwarded, answered OK by the agent */
        DENY,        /* answered by ccgate: PERMISSION_DENIED, never forwarded */
        DRAIN,       /* refused read: forwarded, answered OK and empty by ccgate */
        AGENT_FAILS, /* allowed and forwarded; the agent's error reaches the host */
};

static const char *const want_names[] = { "allow", "deny", "drain", "allow (agent fails)" };

/* A JSON pointer into the request message and the JSON text to put there (NULL: remove). */
struct edit {
        const char *ptr;
        const char *json;
};

#define MAX_EDITS 6

struct step {
        const char *what;    /* the host's action, in words */
        const char *fixture; /* "locked/20-kubectl-exec" (examples/) or "threats/close-stdin" */
        const char *method;  /* NULL: the file's ("method", or the request's only method) */
        struct edit edits[MAX_EDITS];
        enum want want;
        const char *rule;
        const char *reason; /* DENY: exact; NULL (examples sweep only): any */
};

enum bring_up { NOTHING, SANDBOX, POD };

struct threat_case {
        const char *name;
        const char *example;
        enum bring_up bring_up;
        const char *stub_fail; /* --fail METHOD for the stub agent, or NULL */
        const struct step *steps;
        size_t n_steps;
};

/* ---- requests: JSON files, edits, protobuf bytes ------------------------- */

static json_t *json_file(const char *path)
{
        json_error_t jerr;
        json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

        if (!j)
                fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
        return j;
}

static json_t *fixture_load(const char *spec)
{
        char path[PATH_MAX];
        const char *slash = strchr(spec, '/');

        assert_non_null(slash);
        if (strncmp(spec, "threats/", 8) == 0)
                snprintf(path, sizeof(path), "%s/%s.json", threats_dir, slash + 1);
        else
                snprintf(path, sizeof(path), "%s/%.*s/requests/%s.json", examples_dir,
                         (int)(slash - spec), spec, slash + 1);
        return json_file(path);
}

/* Set (or with json NULL remove) what ptr names; objects on the way are created, "-" appends. */
static void json_edit(json_t *root, const char *ptr, const char *json)
{
        char buf[512], *tok, *next;
        json_t *cur = root;

        assert_true(ptr[0] == '/' && strlen(ptr) < sizeof(buf));
        strcpy(buf, ptr + 1);
        for (tok = buf;; tok = next) {
                bool last;
                json_t *child;

                next = strchr(tok, '/');
                last = !next;
                if (next)
                        *next++ = '\0';
                if (json_is_array(cur)) {
                        size_t i = strcmp(tok, "-") == 0 ? json_array_size(cur) : strtoul(tok, NULL, 10);
                        if (last) {
                                json_error_t jerr;
                                json_t *v;

                                if (!json) {
                                        assert_int_equal(json_array_remove(cur, i), 0);
                                        return;
                                }
                                v = json_loads(json, JSON_DECODE_ANY, &jerr);
                                if (!v)
                                        fail_msg("edit %s: %s: %s", ptr, json, jerr.text);
                                if (i == json_array_size(cur))
                                        assert_int_equal(json_array_append_new(cur, v), 0);
                                else
                                        assert_int_equal(json_array_set_new(cur, i, v), 0);
                                return;
                        }
                        child = json_array_get(cur, i);
                } else {
                        if (!json_is_object(cur))
                                fail_msg("edit %s: \"%s\" is inside a scalar", ptr, tok);
                        if (last) {
                                json_error_t jerr;
                                json_t *v;

                                if (!json) {
                                        json_object_del(cur, tok);
                                        return;
                                }
                                v = json_loads(json, JSON_DECODE_ANY, &jerr);
                                if (!v)
                                        fail_msg("edit %s: %s: %s", ptr, json, jerr.text);
                                assert_int_equal(json_object_set_new(cur, tok, v), 0);
                                return;
                        }
                        child = json_object_get(cur, tok);
                        if (!child) {
                                child = json_object();
                                assert_int_equal(json_object_set_new(cur, tok, child), 0);
                        }
                }
                if (!child)
                        fail_msg("edit %s: nothing at \"%s\"", ptr, tok);
                cur = child;
        }
}

static const struct agent_method *method_of(const char *request, const char *method)
{
        enum agent_method_id ids[4];
        size_t n = request ? agent_methods_by_request_name(request, ids, ELEMENTSOF(ids)) : 0;

        for (size_t i = 0; i < n && i < ELEMENTSOF(ids); i++) {
                const struct agent_method *m = agent_method_get(ids[i]);
                if (!method || strcmp(m->method, method) == 0)
                        return m;
        }
        fail_msg("no method %s for %s", method ? method : "(any)", request ? request : "(none)");
        return NULL;
}

/* One request, ready for the wire. */
struct packed {
        const struct agent_method *m;
        uint8_t *buf;
        size_t len;
        char sha[65];
        char exec_id[256];
};

static void step_pack(const struct step *s, struct packed *p)
{
        _cleanup_json_ json_t *j = fixture_load(s->fixture);
        const char *method = s->method ? s->method : json_string_value(json_object_get(j, "method"));
        ProtobufCMessage *msg = NULL;
        json_t *body = json_object_get(j, "message");
        char err[256];

        if (!body) {
                body = json_object();
                assert_int_equal(json_object_set_new(j, "message", body), 0);
        }
        for (size_t i = 0; i < MAX_EDITS && s->edits[i].ptr; i++)
                json_edit(body, s->edits[i].ptr, s->edits[i].json);

        p->m = method_of(json_string_value(json_object_get(j, "request")), method);
        if (pbjson_to_message(p->m->request, body, &msg, err, sizeof(err)) < 0)
                fail_msg("%s: the message does not fit %s: %s", s->fixture, p->m->request_name, err);
        p->len = protobuf_c_message_get_packed_size(msg);
        p->buf = malloc(p->len ? p->len : 1);
        assert_non_null(p->buf);
        assert_int_equal(protobuf_c_message_pack(msg, p->buf), p->len);
        protobuf_c_message_free_unpacked(msg, NULL);
        harness_sha256_hex(p->buf, p->len, p->sha);
        snprintf(p->exec_id, sizeof(p->exec_id), "%s",
                 json_string_value(json_object_get(body, "exec_id")) ?: "");
}

/* ---- what the host, the agent and the audit log saw ---------------------- */

/* The audit record of the request on stream_id (each case uses one connection). */
static json_t *audit_record(const struct gate_env *e, uint32_t stream_id, const char *method)
{
        _cleanup_free_ char *text = NULL;
        json_t *found = NULL;
        char *save = NULL;

        assert_true(harness_read_file(e->audit, &text) > 0);
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                json_t *j = json_loads(line, 0, NULL);

                if (!j)
                        fail_msg("audit log: not JSON: %s", line);
                if (json_integer_value(json_object_get(j, "stream")) == (json_int_t)stream_id &&
                    strcmp(json_string_value(json_object_get(j, "method")) ?: "", method) == 0) {
                        json_decref(found);
                        found = j;
                } else {
                        json_decref(j);
                }
        }
        return found;
}

/* The data of a ReadStreamResponse, NUL-terminated; a drained read carries none
 * (gate_env's read_stream_data() hands memcpy a NULL source then). */
static void stream_data(const struct ttrpc_reply *r, char *out, size_t cap)
{
        Grpc__ReadStreamResponse *resp = grpc__read_stream_response__unpack(NULL, r->payload_len,
                                                                            r->payload);

        assert_non_null(resp);
        assert_true(resp->data.len < cap);
        if (resp->data.len > 0)
                memcpy(out, resp->data.data, resp->data.len);
        out[resp->data.len] = '\0';
        grpc__read_stream_response__free_unpacked(resp, NULL);
}

static bool is_read(const struct agent_method *m)
{
        return m->id == AGENT_READ_STDOUT || m->id == AGENT_READ_STDERR;
}

static void run_step(struct gate_env *e, struct ttrpc_client *c, const char *example,
                     const struct step *s)
{
        bool reached = s->want != DENY;
        _cleanup_json_ json_t *audit = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        struct packed p = { 0 };
        struct ttrpc_reply r;
        char want_msg[1024], data[512], told[1024] = "";
        long lines, seen;
        uint32_t stream_id;
        int32_t want_code = s->want == DENY ? TTRPC_CODE_PERMISSION_DENIED
                          : s->want == AGENT_FAILS ? STUB_FAIL_CODE : TTRPC_CODE_OK;

        step_pack(s, &p);
        buf = p.buf;
        print_message("[%s] %-5s %-44s %s (%s)\n", example, want_names[s->want], s->rule, s->what,
                      s->fixture);

        /* Everything forwarded before is on record before we count. */
        gate_env_barrier(c);
        lines = harness_record_lines(e->record);
        seen = gate_env_seen(e, p.m->method, p.sha);

        stream_id = ttrpc_client_next_stream(c);
        assert_int_equal(ttrpc_client_call(c, p.m->service, p.m->method, p.buf, p.len, &r), 0);
        assert_int_equal(r.stream_id, stream_id);
        snprintf(want_msg, sizeof(want_msg), "%s is blocked by policy: %s: %s", p.m->request_name,
                 s->rule, s->reason ? s->reason : "");
        if (r.code != want_code ||
            (s->want == DENY && (s->reason ? strcmp(r.message, want_msg) != 0
                                           : strncmp(r.message, want_msg, strlen(want_msg)) != 0)))
                fail_msg("[%s] %s (%s): got %d '%s', want %d '%s'", example, s->what, s->fixture,
                         r.code, r.message, want_code, s->want == DENY ? want_msg : "");

        switch (s->want) {
        case DENY:
                assert_int_equal(r.payload_len, 0);
                /* The reason the host was told (never empty), for the audit record to match. */
                snprintf(told, sizeof(told), "%s",
                         r.message + strlen(want_msg) - strlen(s->reason ? s->reason : ""));
                assert_true(told[0] != '\0');
                break;
        case AGENT_FAILS:
                assert_string_equal(r.message, "stub agent: CreateContainer fails as asked (--fail)");
                break;
        case ALLOW:
        case DRAIN:
                assert_string_equal(r.message, "");
                if (is_read(p.m)) {
                        char agent_data[512];

                        /* The stub answers "<stream>-of-<exec id>"; a drained read shows nothing. */
                        stream_data(&r, data, sizeof(data));
                        snprintf(agent_data, sizeof(agent_data), "%s-of-%s",
                                 p.m->id == AGENT_READ_STDERR ? "stderr" : "stdout", p.exec_id);
                        if (strcmp(data, s->want == DRAIN ? "" : agent_data) != 0)
                                fail_msg("[%s] %s: read '%s'", example, s->what, data);
                }
                break;
        }
        ttrpc_reply_done(&r);

        /* The agent saw these very bytes once, or nothing at all (just the barriers). */
        gate_env_barrier(c);
        assert_int_equal(gate_env_seen(e, p.m->method, p.sha), seen + reached);
        assert_int_equal(harness_record_lines(e->record), lines + 1 + reached);

        /* And the audit log says what was decided, by which rule, and whether it went on. */
        audit = audit_record(e, stream_id, p.m->method);
        if (!audit)
                fail_msg("[%s] %s: no audit record for stream %u", example, s->what, stream_id);
        assert_string_equal(json_string_value(json_object_get(audit, "decision")),
                            s->want == ALLOW || s->want == AGENT_FAILS ? "allow" : "deny");
        assert_int_equal(json_is_true(json_object_get(audit, "forwarded")), reached);
        assert_string_equal(json_string_value(json_object_get(audit, "rule")), s->rule);
        assert_string_equal(json_string_value(json_object_get(audit, "request")), p.m->request_name);
        if (s->want == DENY)
                assert_string_equal(json_string_value(json_object_get(audit, "reason")), told);
}

/* ---- the pods ------------------------------------------------------------ */

static const struct step up_locked[] = {
        { "the shim creates the sandbox", "locked/01-create-sandbox", .want = ALLOW, .rule = "sandbox" },
        { "the pause container", "locked/02-create-pause", .want = ALLOW, .rule = "sandbox:pause" },
        { "the worker, as pod.yaml says", "locked/03-create-worker", .want = ALLOW, .rule = "worker" },
};
static const struct step up_web[] = {
        { "the shim creates the sandbox", "web/01-create-sandbox", .want = ALLOW, .rule = "sandbox" },
        { "the pause container", "web/02-create-pause", .want = ALLOW, .rule = "sandbox:pause" },
        { "nginx, as pod.yaml says", "web/03-create-nginx", .want = ALLOW, .rule = "nginx" },
};

struct threat_env {
        struct gate_env *e;
        const void *item; /* a struct threat_case, or a struct sweep_item */
};

static int case_setup(void **state)
{
        struct threat_env *te = calloc(1, sizeof(*te));
        void *es = NULL;

        if (!te)
                return -1;
        if (gate_env_setup(&es) < 0) {
                free(te);
                return -1;
        }
        te->e = es;
        te->item = *state;
        *state = te;
        return 0;
}

static int case_teardown(void **state)
{
        struct threat_env *te = *state;
        void *es = te->e;
        int r = gate_env_teardown(&es);

        free(te);
        return r;
}

static struct ttrpc_client *start(struct gate_env *e, const char *example, const char *stub_fail)
{
        char policy[64];

        if (stub_fail)
                gate_env_start_stub(e, "--fail", stub_fail, NULL);
        else
                gate_env_start_stub(e, NULL);
        snprintf(policy, sizeof(policy), "%s/policy.yaml", example);
        gate_env_start_gate(e, policy, NULL);
        return gate_env_connect(e);
}

static void run_case(void **state)
{
        struct threat_env *te = *state;
        const struct threat_case *tc = te->item;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = start(te->e, tc->example, tc->stub_fail);
        const struct step *up = strcmp(tc->example, "locked") == 0 ? up_locked : up_web;
        size_t n_up = tc->bring_up == POD ? 3 : tc->bring_up == SANDBOX ? 2 : 0;

        for (size_t i = 0; i < n_up; i++)
                run_step(te->e, c, tc->example, &up[i]);
        for (size_t i = 0; i < tc->n_steps; i++)
                run_step(te->e, c, tc->example, &tc->steps[i]);
}

/* ---- the threats ---------------------------------------------------------- */

/* kubectl exec: ExecProcessRequest. Locked: never. Web: only kubelet's liveness probe. */
static const struct step exec_locked[] = {
        { "kubectl exec -it locked -- sh", "locked/20-kubectl-exec",
          .want = DENY, .rule = "no-exec", .reason = R_NO_EXEC },
        { "kubectl exec locked -- id (no terminal)", "locked/20-kubectl-exec",
          .edits = { { "/process/Terminal", "false" }, { "/process/Args", "[\"id\"]" } },
          .want = DENY, .rule = "no-exec", .reason = R_NO_EXEC },
        { "kubectl exec into the pause container", "locked/20-kubectl-exec",
          .edits = { { "/container_id", Q(SB) } },
          .want = DENY, .rule = "no-exec", .reason = R_NO_EXEC },
        { "a harmless probe-like command", "web/04-exec-liveness",
          .want = DENY, .rule = "no-exec", .reason = R_NO_EXEC },
};
static const struct step exec_web[] = {
        { "kubectl exec -it web -- /bin/sh", "web/20-kubectl-exec",
          .want = DENY, .rule = "nginx.exec", .reason = R_EXEC },
        { "the probe's command with a terminal", "web/04-exec-liveness",
          .edits = { { "/process/Terminal", "true" } },
          .want = DENY, .rule = "nginx.exec", .reason = R_EXEC },
        { "the probe's command with LD_PRELOAD", "web/04-exec-liveness",
          .edits = { { "/process/Env/-", Q("LD_PRELOAD=/tmp/x.so") } },
          .want = DENY, .rule = "nginx.exec", .reason = R_EXEC },
        { "the probe's command as root", "web/04-exec-liveness",
          .edits = { { "/process/User/UID", "0" }, { "/process/User/GID", "0" } },
          .want = DENY, .rule = "nginx.exec", .reason = R_EXEC },
        { "the probe's command with CAP_SYS_ADMIN", "web/04-exec-liveness",
          .edits = { { "/process/Capabilities/Bounding", "[\"CAP_SYS_ADMIN\"]" },
                     { "/process/Capabilities/Effective", "[\"CAP_SYS_ADMIN\"]" },
                     { "/process/Capabilities/Permitted", "[\"CAP_SYS_ADMIN\"]" } },
          .want = DENY, .rule = "nginx.exec", .reason = R_EXEC },
        { "the probe's command in another directory", "web/04-exec-liveness",
          .edits = { { "/process/Cwd", Q("/tmp") } },
          .want = DENY, .rule = "nginx.exec", .reason = R_EXEC },
        { "the probe's command with one more argument", "web/04-exec-liveness",
          .edits = { { "/process/Args/-", Q("-o") } },
          .want = DENY, .rule = "nginx.exec", .reason = R_EXEC },
        { "the probe's command unconfined by AppArmor", "web/04-exec-liveness",
          .edits = { { "/process/ApparmorProfile", Q("unconfined") } },
          .want = DENY, .rule = "nginx.exec", .reason = R_EXEC },
        { "the probe's command as a user name the host resolves", "web/04-exec-liveness",
          .edits = { { "/string_user", "{\"uid\": \"root\", \"gid\": \"root\"}" } },
          .want = DENY, .rule = "nginx.process", .reason = R_PROCESS },
        { "the probe's command in the pause container", "web/04-exec-liveness",
          .edits = { { "/container_id", Q(SB) } },
          .want = DENY, .rule = "sandbox:pause.exec", .reason = R_EXEC },
        { "the probe with the container's own id as exec id", "web/04-exec-liveness",
          .edits = { { "/exec_id", Q(CT) } },
          .want = DENY, .rule = "container-id", .reason = R_ID },
        { "the probe in a container never created", "web/04-exec-liveness",
          .edits = { { "/container_id", Q(DEBUGGER) } },
          .want = DENY, .rule = "unknown-container-id", .reason = R_UNBOUND },
        /* What the policy lets kubelet do. */
        { "kubelet's liveness probe", "web/04-exec-liveness",
          .want = ALLOW, .rule = "nginx.liveness" },
        { "the probe's exec id once more", "web/04-exec-liveness",
          .want = DENY, .rule = "container-id", .reason = R_ID },
        { "the probe's stdout", "web/05-read-probe-stdout",
          .want = ALLOW, .rule = "nginx.liveness.streams.stdout" },
        { "the probe's stderr", "web/05-read-probe-stdout", "ReadStderr",
          .want = ALLOW, .rule = "nginx.liveness.streams.stderr" },
        { "the probe's stdin closed", "threats/close-stdin",
          .edits = { { "/exec_id", Q(PROBE) } },
          .want = ALLOW, .rule = "nginx.liveness.streams.stdin" },
        { "but nothing written to it", "web/22-attach-stdin",
          .edits = { { "/exec_id", Q(PROBE) } },
          .want = DENY, .rule = "no-stdin", .reason = R_NO_STDIN },
};

/* kubectl cp: tar through ExecProcess, or CopyFile. */
#define TAR_X "[\"tar\", \"-xmf\", \"-\", \"-C\", \"/tmp\"]"
static const struct step cp_locked[] = {
        { "kubectl cp locked:/data (tar cf -)", "locked/21-kubectl-cp-tar",
          .want = DENY, .rule = "no-exec", .reason = R_NO_EXEC },
        { "kubectl cp into the pod (tar xmf -)", "locked/21-kubectl-cp-tar",
          .edits = { { "/process/Args", TAR_X } },
          .want = DENY, .rule = "no-exec", .reason = R_NO_EXEC },
        { "a file of the host's choosing, named like kubelet's copies", "locked/22-kubectl-cp-copyfile",
          .want = DENY, .rule = "copy-file-unlisted", .reason = R_COPY_UNLISTED },
        /* shared_fs none: kata copies kubelet's files in, or the pod does not start. */
        { "kubelet's resolv.conf", "web/07-copy-resolv-conf",
          .want = ALLOW, .rule = "copy:kubelet-files" },
};
static const struct step cp_web[] = {
        { "kubectl cp web:/etc (tar cf -)", "web/21-kubectl-cp-tar",
          .want = DENY, .rule = "nginx.exec", .reason = R_EXEC },
        { "kubectl cp into the pod (tar xmf -)", "web/21-kubectl-cp-tar",
          .edits = { { "/process/Args", TAR_X } },
          .want = DENY, .rule = "nginx.exec", .reason = R_EXEC },
        { "a binary copied to /usr/local/bin", "web/07-copy-resolv-conf",
          .edits = { { "/path", Q("/usr/local/bin/nginx") }, { "/file_mode", "33261" } },
          .want = DENY, .rule = "copy-file-unlisted", .reason = R_COPY_UNLISTED },
        { "a set-uid file at kubelet's path", "web/07-copy-resolv-conf",
          .edits = { { "/file_mode", "35309" } }, /* 0104755 */
          .want = DENY, .rule = "copy-file-type", .reason = R_COPY_TYPE },
        { "a device node at kubelet's path", "web/07-copy-resolv-conf",
          .edits = { { "/file_mode", "8612" } }, /* 020644 */
          .want = DENY, .rule = "copy-file-type", .reason = R_COPY_TYPE },
        { "a directory at kubelet's path", "web/07-copy-resolv-conf",
          .edits = { { "/file_mode", "16877" } }, /* 040755 */
          .want = DENY, .rule = "copy-file-unlisted", .reason = R_COPY_UNLISTED },
        { "no file-type bits (the agent would take it as a regular file)", "web/07-copy-resolv-conf",
          .edits = { { "/file_mode", "420" } }, /* 0644 */
          .want = DENY, .rule = "copy-file-type", .reason = R_COPY_TYPE },
        { "kubelet's resolv.conf handed to the container's user", "web/07-copy-resolv-conf",
          .edits = { { "/uid", "101" }, { "/gid", "101" } },
          .want = DENY, .rule = "copy-file-owner", .reason = R_COPY_OWNER },
        { "kubelet's resolv.conf written 1 MiB in (a sparse, grown file)", "web/07-copy-resolv-conf",
          .edits = { { "/offset", "1048576" } },
          .want = DENY, .rule = "copy-file-size", .reason = R_COPY_SIZE },
        { "kubelet's resolv.conf declared shorter than its data", "web/07-copy-resolv-conf",
          .edits = { { "/file_size", "1" } },
          .want = DENY, .rule = "copy-file-size", .reason = R_COPY_SIZE },
        { "its parent directories created world-writable", "web/07-copy-resolv-conf",
          .edits = { { "/dir_mode", "511" } }, /* 0777 */
          .want = DENY, .rule = "copy-file-mode", .reason = R_COPY_MODE },
        /* What the policy lets kubelet do. */
        { "kubelet's resolv.conf", "web/07-copy-resolv-conf",
          .want = ALLOW, .rule = "copy:kubelet-files" },
        { "kubelet's hosts", "locked/22-kubectl-cp-copyfile",
          .edits = { { "/path", Q("/run/kata-containers/shared/containers/" CT "-0123456789abcdef-hosts") } },
          .want = ALLOW, .rule = "copy:kubelet-files" },
};

/* kubectl logs: ReadStdout/ReadStderr of the container's own process. */
#define NEVER_CREATED { "/container_id", Q("ffff") }, { "/exec_id", Q("ffff") }
static const struct step logs_locked[] = {
        { "kubectl logs locked (stdout)", "locked/24-kubectl-logs-stdout",
          .want = DRAIN, .rule = "worker.streams.stdout" },
        { "kubectl logs locked (stderr)", "locked/25-kubectl-logs-stderr",
          .want = DRAIN, .rule = "worker.streams.stderr" },
        { "the pause container's output", "locked/24-kubectl-logs-stdout",
          .edits = { { "/container_id", Q(SB) }, { "/exec_id", Q(SB) } },
          .want = DRAIN, .rule = "sandbox:pause.streams.stdout" },
        /* Not a pipe of the pod: nothing to drain, a plain denial. */
        { "the output of a container never created", "locked/24-kubectl-logs-stdout",
          .edits = { NEVER_CREATED },
          .want = DENY, .rule = "unknown-container-id", .reason = R_UNBOUND },
};
static const struct step logs_web[] = {
        { "kubectl logs web (stdout)", "web/06-logs-stdout",
          .want = ALLOW, .rule = "nginx.streams.stdout" },
        { "kubectl logs web (stderr)", "web/06-logs-stdout", "ReadStderr",
          .want = ALLOW, .rule = "nginx.streams.stderr" },
        { "the container's stdout, exec id left empty", "web/06-logs-stdout",
          .edits = { { "/exec_id", Q("") } },
          .want = ALLOW, .rule = "nginx.streams.stdout" },
        { "the pause container's output", "web/06-logs-stdout",
          .edits = { { "/container_id", Q(SB) }, { "/exec_id", Q(SB) } },
          .want = DRAIN, .rule = "sandbox:pause.streams.stdout" },
        { "the output of an exec that never ran", "web/06-logs-stdout",
          .edits = { { "/exec_id", Q("2b0c1d9e-55aa-4e7f-8c3b-0d1e2f3a4b5c") } },
          .want = DRAIN, .rule = "unknown-exec-id" },
        { "the output of a container never created", "web/06-logs-stdout",
          .edits = { NEVER_CREATED },
          .want = DENY, .rule = "unknown-container-id", .reason = R_UNBOUND },
};

/* kubectl attach: WriteStdin, ReadStdout, CloseStdin, TtyWinResize of the container's process. */
static const struct step attach_locked[] = {
        { "kubectl attach writes to stdin", "locked/26-kubectl-attach-stdin",
          .want = DENY, .rule = "no-stdin", .reason = R_NO_STDIN },
        { "kubectl attach reads stdout", "locked/24-kubectl-logs-stdout",
          .want = DRAIN, .rule = "worker.streams.stdout" },
        { "kubectl attach closes stdin", "threats/close-stdin",
          .want = DENY, .rule = "worker.streams.stdin",
          .reason = R_STREAM_DENIED("writing or closing its stdin") },
        { "kubectl attach -t resizes the terminal", "threats/tty-resize",
          .want = DENY, .rule = "no-tty", .reason = R_NO_TTY },
};
static const struct step attach_web[] = {
        { "kubectl attach writes to stdin", "web/22-attach-stdin",
          .want = DENY, .rule = "no-stdin", .reason = R_NO_STDIN },
        { "kubectl attach closes stdin", "threats/close-stdin",
          .want = DENY, .rule = "nginx.streams.stdin",
          .reason = R_STREAM_DENIED("writing or closing its stdin") },
        { "kubectl attach -t resizes the terminal", "threats/tty-resize",
          .want = DENY, .rule = "no-tty", .reason = R_NO_TTY },
        /* Reading the output is what kubectl logs may do anyway. */
        { "kubectl attach reads stdout", "web/06-logs-stdout",
          .want = ALLOW, .rule = "nginx.streams.stdout" },
};

/* kubectl debug: CreateContainerRequest for an ephemeral container. */
#define NAMED(n) { "/OCI/Annotations/io.kubernetes.cri.container-name", Q(n) }
#define AS_SANDBOX { "/OCI/Annotations/io.kubernetes.cri.container-type", Q("sandbox") }
static const struct step debug_locked[] = {
        { "kubectl debug -it locked --image=busybox", "locked/27-kubectl-debug",
          .want = DENY, .rule = "unknown-container", .reason = R_UNKNOWN_CONTAINER },
        { "the debug container named like the worker", "locked/27-kubectl-debug",
          .edits = { NAMED("worker") },
          .want = DENY, .rule = "worker.root", .reason = R_ROOT },
        { "the debug container posing as the sandbox", "locked/27-kubectl-debug",
          .edits = { AS_SANDBOX },
          .want = DENY, .rule = "sandbox:pause.once", .reason = R_ONCE },
};
static const struct step debug_web[] = {
        { "kubectl debug -it web --image=busybox", "web/26-kubectl-debug",
          .want = DENY, .rule = "unknown-container", .reason = R_UNKNOWN_CONTAINER },
        { "the debug container named like nginx", "web/26-kubectl-debug",
          .edits = { NAMED("nginx") },
          .want = DENY, .rule = "nginx.image", .reason = R_IMAGE },
        { "the debug container posing as the sandbox", "web/26-kubectl-debug",
          .edits = { AS_SANDBOX },
          .want = DENY, .rule = "sandbox:pause.once", .reason = R_ONCE },
};

/* CopyFile out of its confinement. */
#define KUBELET_REL "run/kata-containers/shared/containers/" CT "-0123456789abcdef-resolv.conf"
#define KUBELET_FILE "/" KUBELET_REL
static const struct step traversal_locked[] = {
        { "CopyFile climbing out with ..", "locked/23-copy-traversal",
          .want = DENY, .rule = "copy-file-path", .reason = R_COPY_PATH },
        { "CopyFile into the worker's root filesystem", "web/24-copy-into-rootfs",
          .want = DENY, .rule = "copy-file-rootfs", .reason = R_COPY_ROOTFS },
        { "a symlink to /etc/shadow", "web/25-copy-symlink-escape",
          .want = DENY, .rule = "copy-file-symlink", .reason = R_COPY_SYMLINK },
};
static const struct step traversal_web[] = {
        { "CopyFile climbing out with ..", "web/23-copy-traversal",
          .want = DENY, .rule = "copy-file-path", .reason = R_COPY_PATH },
        { "kubelet's directory, then ../../../etc/shadow", "locked/23-copy-traversal",
          .want = DENY, .rule = "copy-file-path", .reason = R_COPY_PATH },
        { "kubelet's file, then /..", "web/07-copy-resolv-conf",
          .edits = { { "/path", Q(KUBELET_FILE "/..") } },
          .want = DENY, .rule = "copy-file-path", .reason = R_COPY_PATH },
        { "kubelet's file as a relative path", "web/07-copy-resolv-conf",
          .edits = { { "/path", Q(KUBELET_REL) } },
          .want = DENY, .rule = "copy-file-path", .reason = R_COPY_PATH },
        { "CopyFile into nginx's root filesystem", "web/24-copy-into-rootfs",
          .want = DENY, .rule = "copy-file-rootfs", .reason = R_COPY_ROOTFS },
        { "CopyFile into a rootfs under the shared directory", "web/07-copy-resolv-conf",
          .edits = { { "/path", Q("/run/kata-containers/shared/containers/" CT "/rootfs/etc/passwd") } },
          .want = DENY, .rule = "copy-file-rootfs", .reason = R_COPY_ROOTFS },
        { "a symlink to /etc/shadow", "web/25-copy-symlink-escape",
          .want = DENY, .rule = "copy-file-symlink", .reason = R_COPY_SYMLINK },
        { "a symlink to ../../../etc/shadow", "web/25-copy-symlink-escape",
          .edits = { { "/data", Q("Li4vLi4vLi4vZXRjL3NoYWRvdw==") } },
          .want = DENY, .rule = "copy-file-symlink", .reason = R_COPY_SYMLINK },
        { "kubelet's resolv.conf", "web/07-copy-resolv-conf",
          .want = ALLOW, .rule = "copy:kubelet-files" },
};

/* Network rewiring: both policies pin the pod to eth0 in 10.244.0.0/16 (the network section). */
#define R_IFACE "the interface is not one the policy lists"
#define R_IFACE_HW "the interface's MAC address is not the policy's"
#define R_IFACE_DEVICE "the interface's device is not the policy's"
#define R_IFACE_MTU "the interface's MTU is not the policy's"
#define R_IFACE_ADDRS "an address is not one the policy allows, or too few are given"
#define R_ROUTE "a route is not one the policy lists"
#define R_NEIGH "a neighbour is not one the policy lists"
#define GATEWAY_NEIGH { "/neighbors/ARPNeighbors/0/device", Q("eth0") },                         \
                      { "/neighbors/ARPNeighbors/0/lladdr", Q("0a:58:0a:f4:01:01") },             \
                      { "/neighbors/ARPNeighbors/0/state", "2" }
#define NET_STEPS                                                                                \
        { "eth0 in the pod network", "locked/06-update-interface",                              \
          .want = ALLOW, .rule = "net:interface" },                                             \
        { "a second interface", "locked/28-rewire-interface",                                   \
          .want = DENY, .rule = "network-interface", .reason = R_IFACE },                       \
        { "eth0 moved out of the pod network", "locked/29-rewire-address",                      \
          .want = DENY, .rule = "network-interface.addresses", .reason = R_IFACE_ADDRS },       \
        { "eth0 with a second address outside it", "locked/06-update-interface",                \
          .edits = { { "/interface/IPAddresses/-",                                              \
                       "{\"family\": \"v4\", \"address\": \"192.168.9.9\", \"mask\": \"24\"}" } }, \
          .want = DENY, .rule = "network-interface.addresses", .reason = R_IFACE_ADDRS },       \
        { "eth0's name on the loopback device", "locked/06-update-interface",                   \
          .edits = { { "/interface/device", Q("lo") } },                                        \
          .want = DENY, .rule = "network-interface.device", .reason = R_IFACE_DEVICE },         \
        { "eth0 with another link's MAC (the agent picks the link by it)",                      \
          "locked/06-update-interface",                                                         \
          .edits = { { "/interface/hwAddr", Q("0a:58:0a:f4:01:63") } },                         \
          .want = DENY, .rule = "network-interface.hw_addr", .reason = R_IFACE_HW },            \
        { "eth0 with another MTU", "locked/06-update-interface",                                \
          .edits = { { "/interface/mtu", "68" } },                                              \
          .want = DENY, .rule = "network-interface.mtu", .reason = R_IFACE_MTU },               \
        { "eth0 with no address at all", "locked/06-update-interface",                          \
          .edits = { { "/interface/IPAddresses", "[]" } },                                      \
          .want = DENY, .rule = "network-interface.addresses", .reason = R_IFACE_ADDRS },       \
        { "a default route via another device", "locked/30-rewire-routes",                      \
          .want = DENY, .rule = "network-route", .reason = R_ROUTE },                           \
        { "a route via eth0 and one via eth1", "locked/30-rewire-routes",                       \
          .edits = { { "/routes/Routes/0/device", Q("eth0") },                                  \
                     { "/routes/Routes/0/gateway", Q("10.244.2.1") },                           \
                     { "/routes/Routes/-", "{\"dest\": \"10.0.0.0/8\", \"device\": \"eth1\"}" } }, \
          .want = DENY, .rule = "network-route", .reason = R_ROUTE },                           \
        { "the default route via eth0 to another gateway", "locked/30-rewire-routes",           \
          .edits = { { "/routes/Routes/0/device", Q("eth0") } },                                \
          .want = DENY, .rule = "network-route", .reason = R_ROUTE },                           \
        { "a neighbour on another device", "locked/31-rewire-arp",                              \
          .want = DENY, .rule = "network-neighbor", .reason = R_NEIGH },                        \
        { "the gateway's neighbour with another MAC", "locked/31-rewire-arp",                   \
          .edits = { GATEWAY_NEIGH, { "/neighbors/ARPNeighbors/0/lladdr", Q("02:42:ac:11:00:02") } }, \
          .want = DENY, .rule = "network-neighbor", .reason = R_NEIGH },                        \
        { "the guest's packet filter replaced", "threats/set-iptables",                         \
          .want = DENY, .rule = "default-deny", .reason = R_UNLISTED("SetIPTablesRequest") },   \
        { "the default route via eth0", "locked/30-rewire-routes",                              \
          .edits = { { "/routes/Routes/0/device", Q("eth0") },                                  \
                     { "/routes/Routes/0/gateway", Q("10.244.2.1") } },                         \
          .want = ALLOW, .rule = "net:routes" },                                                \
        { "the gateway's neighbour on eth0", "locked/31-rewire-arp",                            \
          .edits = { GATEWAY_NEIGH },                                                           \
          .want = ALLOW, .rule = "net:neighbors" }
static const struct step net_locked[] = { NET_STEPS };
static const struct step net_web[] = {
        NET_STEPS,
        { "eth0 as the shim sets it up", "web/08-update-interface",
          .want = ALLOW, .rule = "net:interface" },
        { "a second interface (web's request)", "web/31-rewire-interface",
          .want = DENY, .rule = "network-interface", .reason = R_IFACE },
        { "a default route via another device (web's request)", "web/32-rewire-routes",
          .want = DENY, .rule = "network-route", .reason = R_ROUTE },
};

/* SetPolicy: the attested policy is the only one; afterwards it still decides. */
static const struct step swap_locked[] = {
        { "a Rego policy that allows everything", "locked/32-set-policy",
          .want = DENY, .rule = "no-policy-swap", .reason = R_NO_SWAP },
        { "a ccgate policy of the host's own", "threats/set-policy-permissive",
          .want = DENY, .rule = "no-policy-swap", .reason = R_NO_SWAP },
        { "kubectl exec, after the attempts", "locked/20-kubectl-exec",
          .want = DENY, .rule = "no-exec", .reason = R_NO_EXEC },
};
static const struct step swap_web[] = {
        { "a Rego policy that allows everything", "web/33-set-policy",
          .want = DENY, .rule = "no-policy-swap", .reason = R_NO_SWAP },
        { "a ccgate policy of the host's own", "threats/set-policy-permissive",
          .want = DENY, .rule = "no-policy-swap", .reason = R_NO_SWAP },
        { "kubectl exec, after the attempts", "web/20-kubectl-exec",
          .want = DENY, .rule = "nginx.exec", .reason = R_EXEC },
        { "kubectl cp (CopyFile), after the attempts", "web/07-copy-resolv-conf",
          .edits = { { "/path", Q("/tmp/x") } },
          .want = DENY, .rule = "copy-file-unlisted", .reason = R_COPY_UNLISTED },
};

/* The pod's container with another image, args, env or privileges (sandbox and pause exist). */
#define EXTRA_MOUNT \
        "{\"destination\": \"/host\", \"source\": \"/\", \"type\": \"bind\", " \
        "\"options\": [\"rbind\", \"rw\"]}"
#define PRESTART_HOOK \
        "{\"Prestart\": [{\"Path\": \"/bin/sh\", \"Args\": [\"sh\", \"-c\", \"id\"]}]}"
#define ALL_CAPS(cap)                                        \
        { "/OCI/Process/Capabilities/Bounding", "[\"" cap "\"]" },  \
        { "/OCI/Process/Capabilities/Effective", "[\"" cap "\"]" }, \
        { "/OCI/Process/Capabilities/Permitted", "[\"" cap "\"]" }
#define SPEC_STEPS(c, base)                                                                      \
        { "a terminal", base, .edits = { { "/OCI/Process/Terminal", "true" } },                  \
          .want = DENY, .rule = c ".terminal", .reason = R_TERMINAL },                           \
        { "free to gain privileges", base,                                                      \
          .edits = { { "/OCI/Process/NoNewPrivileges", "false" } },                              \
          .want = DENY, .rule = c ".no_new_privileges", .reason = R_NNP },                       \
        { "another working directory", base, .edits = { { "/OCI/Process/Cwd", Q("/etc") } },     \
          .want = DENY, .rule = c ".cwd", .reason = R_CWD },                                     \
        { "CAP_NET_RAW in the ambient set only", base,                                           \
          .edits = { { "/OCI/Process/Capabilities/Ambient", "[\"CAP_NET_RAW\"]" } },             \
          .want = DENY, .rule = c ".capabilities", .reason = R_CAPS },                           \
        { "root as a supplementary group", base,                                                \
          .edits = { { "/OCI/Process/User/AdditionalGids/-", "0" } },                            \
          .want = DENY, .rule = c ".user", .reason = R_USER },                                   \
        { "unconfined by AppArmor", base,                                                        \
          .edits = { { "/OCI/Process/ApparmorProfile", Q("unconfined") } },                      \
          .want = DENY, .rule = c ".apparmor", .reason = R_APPARMOR },                           \
        { "an SELinux label of the host's choice", base,                                         \
          .edits = { { "/OCI/Process/SelinuxLabel", Q("system_u:system_r:spc_t:s0") } },         \
          .want = DENY, .rule = c ".process", .reason = R_PROCESS },                             \
        { "the image by tag, not digest", base,                                                  \
          .edits = { { "/storages/0/source", Q("docker.io/library/busybox:latest") } },          \
          .want = DENY, .rule = c ".image", .reason = R_IMAGE },                                 \
        { "pull metadata saying sandbox: the agent's pause bundle instead of the image", base,   \
          .edits = { { "/storages/0/driver_options/0",                                           \
                       Q("image_guest_pull={\\\"metadata\\\":{\\\"io.kubernetes.cri.container-type\\\":\\\"sandbox\\\"}}") } }, \
          .want = DENY, .rule = c ".image", .reason = R_IMAGE },                                 \
        { "the image storage as a bind mount", base,                                             \
          .edits = { { "/storages/0/fstype", Q("bind") } },                                      \
          .want = DENY, .rule = c ".image", .reason = R_IMAGE },                                 \
        { "the image storage handed to group root", base,                                        \
          .edits = { { "/storages/0/fs_group", "{\"group_id\": 0}" } },                          \
          .want = DENY, .rule = c ".image", .reason = R_IMAGE },                                 \
        { "a second guest-pulled image", base,                                                   \
          .edits = { { "/storages/-", "{\"driver\": \"image_guest_pull\", \"source\": "          \
                                      "\"docker.io/library/alpine:3\", \"fstype\": \"overlay\", " \
                                      "\"mount_point\": \"/run/kata-containers/" CT "/rootfs\"}" } }, \
          .want = DENY, .rule = c ".image", .reason = R_IMAGE },                                 \
        { "unmasked /proc and /sys", base,                                                       \
          .edits = { { "/OCI/Linux/MaskedPaths", NULL }, { "/OCI/Linux/ReadonlyPaths", NULL } }, \
          .want = DENY, .rule = c ".privileged", .reason = R_PRIVILEGED },                       \
        { "the guest's root filesystem mounted at /host", base,                                  \
          .edits = { { "/OCI/Mounts/-", EXTRA_MOUNT } },                                         \
          .want = DENY, .rule = c ".mounts", .reason = R_MOUNTS },                               \
        { "/dev/mem", base,                                                                       \
          .edits = { { "/OCI/Linux/Devices", "[{\"Path\": \"/dev/mem\", \"Type\": \"c\", "         \
                                             "\"Major\": 1, \"Minor\": 1}]" } },                   \
          .want = DENY, .rule = c ".devices", .reason = R_DEVICES },                             \
        { "every device through the device cgroup", base,                                        \
          .edits = { { "/OCI/Linux/Resources/Devices", "[{\"Allow\": true, \"Access\": \"rwm\"}]" } }, \
          .want = DENY, .rule = c ".devices", .reason = R_DEVICES },                             \
        { "kernel.core_pattern set to a pipe", base,                                             \
          .edits = { { "/OCI/Linux/Sysctl/kernel.core_pattern", Q("|/bin/sh -c id") } },          \
          .want = DENY, .rule = c ".sysctls", .reason = R_SYSCTLS },                             \
        { "the host's IPC namespace joined", base,                                               \
          .edits = { { "/OCI/Linux/Namespaces/1/Path", Q("/proc/1/ns/ipc") } },                  \
          .want = DENY, .rule = c ".namespaces", .reason = R_NAMESPACES },                       \
        { "a user namespace mapped to the guest's root", base,                                   \
          .edits = { { "/OCI/Linux/UIDMappings", "[{\"HostID\": 0, \"ContainerID\": 0, \"Size\": 1}]" } }, \
          .want = DENY, .rule = c ".linux", .reason = R_LINUX },                                 \
        { "the root filesystem's mounts propagated to the guest", base,                      \
          .edits = { { "/OCI/Linux/RootfsPropagation", Q("rshared") } },                         \
          .want = DENY, .rule = c ".linux", .reason = R_LINUX },                                 \
        { "a prestart hook", base, .edits = { { "/OCI/Hooks", PRESTART_HOOK } },                 \
          .want = DENY, .rule = c ".hooks", .reason = R_HOOKS },                                 \
        { "an annotation the policy does not list", base,                                        \
          .edits = { { "/OCI/Annotations/io.katacontainers.config.agent.policy", Q("e30=") } },  \
          .want = DENY, .rule = c ".annotations", .reason = R_ANNOTATIONS },                     \
        { "in the sandbox's PID namespace", base, .edits = { { "/sandbox_pidns", "true" } },     \
          .want = DENY, .rule = "containers.fields.sandbox_pidns",                              \
          .reason = R_FIELD("sandbox_pidns") },                                                  \
        { "core dumps of any size (rlimits)", base,                                              \
          .edits = { { "/OCI/Process/Rlimits", "[{\"Type\": \"RLIMIT_CORE\", "                 \
                                               "\"Hard\": \"18446744073709551615\", "               \
                                               "\"Soft\": \"18446744073709551615\"}]" } },          \
          .want = DENY, .rule = c ".rlimits", .reason = R_RLIMITS },                             \
        { "out of the OOM killer's reach", base,                                                 \
          .edits = { { "/OCI/Process/OOMScoreAdj", "-1000" } },                                  \
          .want = DENY, .rule = c ".oom_score_adj", .reason = R_OOM },                           \
        { "a console size without a terminal", base,                                             \
          .edits = { { "/OCI/Process/ConsoleSize", "{\"Height\": 24, \"Width\": 80}" } },        \
          .want = DENY, .rule = c ".terminal", .reason = R_TERMINAL },                           \
        { "another hostname", base, .edits = { { "/OCI/Hostname", Q("db") } },                   \
          .want = DENY, .rule = c ".hostname", .reason = R_HOSTNAME },                           \
        { "a memory limit of the host's choice", base,                                           \
          .edits = { { "/OCI/Linux/Resources/Memory", "{\"Limit\": 4096}" } },                  \
          .want = DENY, .rule = c ".resources", .reason = R_RESOURCES },                         \
        { "one process at most (pids limit)", base,                                              \
          .edits = { { "/OCI/Linux/Resources/Pids", "{\"Limit\": 1}" } },                       \
          .want = DENY, .rule = c ".resources", .reason = R_RESOURCES },                         \
        { "a seccomp profile that allows everything", base,                                      \
          .edits = { { "/OCI/Linux/Seccomp", "{\"DefaultAction\": \"SCMP_ACT_ALLOW\"}" } },     \
          .want = DENY, .rule = c ".seccomp", .reason = R_SECCOMP },                             \
        { "the init process under another exec id", base,                                        \
          .edits = { { "/exec_id", Q("00000000-0000-4000-8000-000000000000") } },                \
          .want = DENY, .rule = c ".io", .reason = R_IO },                                       \
        { "stdout over a host vsock port (passfd I/O)", base,                                    \
          .edits = { { "/stdout_port", "1025" } },                                               \
          .want = DENY, .rule = c ".io", .reason = R_IO },                                       \
        { "stdin from a host vsock port (passfd I/O)", base,                                     \
          .edits = { { "/stdin_port", "1026" } },                                                \
          .want = DENY, .rule = c ".io", .reason = R_IO }
static const struct step spec_locked[] = {
        { "another image", "locked/33-other-image",
          .want = DENY, .rule = "worker.image", .reason = R_IMAGE },
        { "into ccgate's cgroup (which may reach the agent)", "locked/03-create-worker",
          .edits = { { "/OCI/Linux/CgroupsPath", "\"/ccgate\"" } },
          .want = DENY, .rule = "worker.cgroups_path", .reason = R_CGROUPS },
        { "another command", "locked/34-other-args",
          .want = DENY, .rule = "worker.args", .reason = R_ARGS },
        { "an extra environment variable", "locked/35-extra-env",
          .want = DENY, .rule = "worker.env", .reason = R_ENV },
        { "CAP_SYS_ADMIN", "locked/36-privileged-caps",
          .want = DENY, .rule = "worker.capabilities", .reason = R_CAPS },
        { "no Capabilities at all (the agent would drop none)", "locked/03-create-worker",
          .edits = { { "/OCI/Process/Capabilities", NULL } },
          .want = DENY, .rule = "worker.capabilities", .reason = R_CAPS },
        { "privileged (nothing masked)", "locked/37-privileged-paths",
          .want = DENY, .rule = "worker.privileged", .reason = R_PRIVILEGED },
        { "root", "locked/38-root-user",
          .want = DENY, .rule = "worker.user", .reason = R_USER },
        { "a writable root filesystem", "locked/39-writable-root",
          .want = DENY, .rule = "worker.root", .reason = R_ROOT },
        { "the guest's root mounted in", "locked/40-extra-mount",
          .want = DENY, .rule = "worker.mounts", .reason = R_MOUNTS },
        { "another process's namespace joined", "locked/41-join-namespace",
          .want = DENY, .rule = "worker.namespaces", .reason = R_NAMESPACES },
        { "an OCI hook", "locked/42-hook",
          .want = DENY, .rule = "worker.hooks", .reason = R_HOOKS },
        { "the sandbox's PID namespace", "locked/44-shared-pid-namespace",
          .want = DENY, .rule = "containers.fields.sandbox_pidns", .reason = R_FIELD("sandbox_pidns") },
        SPEC_STEPS("worker", "locked/03-create-worker"),
        /* None of that bound anything: the real one is still created, once. */
        { "the worker as pod.yaml says", "locked/03-create-worker",
          .want = ALLOW, .rule = "worker" },
        { "the same container id again", "locked/03-create-worker",
          .want = DENY, .rule = "container-id", .reason = R_ID },
};
static const struct step spec_web[] = {
        { "another image", "web/27-other-image",
          .want = DENY, .rule = "nginx.image", .reason = R_IMAGE },
        { "into the pause container's cgroup", "web/03-create-nginx",
          .edits = { { "/OCI/Linux/CgroupsPath",
                       "\"kubepods-besteffort-pod1b4e28ba_2fa1_11d2_883f_0016d3cca427.slice:"
                       "cri-containerd:5d3a0e2f4b6c8d1e9f7a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d1e\"" } },
          .want = DENY, .rule = "nginx.cgroups_path", .reason = R_CGROUPS },
        { "another command (a shell on a port)", "web/28-other-args",
          .want = DENY, .rule = "nginx.args", .reason = R_ARGS },
        { "an extra environment variable", "web/29-extra-env",
          .want = DENY, .rule = "nginx.env", .reason = R_ENV },
        { "CAP_SYS_ADMIN", "web/30-privileged",
          .want = DENY, .rule = "nginx.capabilities", .reason = R_CAPS },
        { "root", "web/03-create-nginx",
          .edits = { { "/OCI/Process/User/UID", "0" }, { "/OCI/Process/User/GID", "0" },
                     { "/OCI/Process/User/AdditionalGids", NULL } },
          .want = DENY, .rule = "nginx.user", .reason = R_USER },
        { "the image's entrypoint replaced by a shell", "web/03-create-nginx",
          .edits = { { "/OCI/Process/Args/0", Q("/bin/sh") } },
          .want = DENY, .rule = "nginx.args", .reason = R_ARGS },
        SPEC_STEPS("nginx", "web/03-create-nginx"),
        { "nginx as pod.yaml says", "web/03-create-nginx",
          .want = ALLOW, .rule = "nginx" },
        { "the same container id again", "web/03-create-nginx",
          .want = DENY, .rule = "container-id", .reason = R_ID },
};

/* The sandbox: no guest code, nothing mounted or resolved but what the policy lists, created
 * once; the pause container once. */
#define R_SB_STORAGES "a sandbox storage is not one the policy allows"
#define R_SB_DNS "a resolv.conf line is not one the policy allows"
#define R_SB_HOSTNAME "the sandbox hostname differs from the policy's"
#define R_SB_PIDNS "the sandbox pid namespace setting differs from the policy's"
#define VIRTIO_FS(at)                                                                          \
        "{\"driver\": \"virtio-fs\", \"source\": \"kataShared\", \"fstype\": \"virtiofs\", "   \
        "\"options\": [\"nodev\"], \"mount_point\": \"" at "\"}"
#define SANDBOX_STEPS(ex)                                                                        \
        { "a sandbox with guest hooks", ex "/01-create-sandbox",                                 \
          .edits = { { "/guest_hook_path", Q("/usr/share/oci/hooks") } },                        \
          .want = DENY, .rule = "sandbox-guest-code", .reason = R_GUEST_CODE },                  \
        { "a sandbox loading a kernel module", ex "/01-create-sandbox",                          \
          .edits = { { "/kernel_modules", "[{\"name\": \"evil\"}]" } },                          \
          .want = DENY, .rule = "sandbox-guest-code", .reason = R_GUEST_CODE },                  \
        { "a sandbox with another hostname", ex "/01-create-sandbox",                            \
          .edits = { { "/hostname", Q("evil") } },                                               \
          .want = DENY, .rule = "sandbox-hostname", .reason = R_SB_HOSTNAME },                   \
        { "a sandbox sharing one PID namespace", ex "/01-create-sandbox",                        \
          .edits = { { "/sandbox_pidns", "true" } },                                             \
          .want = DENY, .rule = "sandbox-pidns", .reason = R_SB_PIDNS },                         \
        { "a host share mounted where every container's /dev/shm comes from",                    \
          ex "/01-create-sandbox",                                                               \
          .edits = { { "/storages/-", VIRTIO_FS("/run/kata-containers/sandbox/shm") } },         \
          .want = DENY, .rule = "sandbox-storages", .reason = R_SB_STORAGES },                   \
        { "kata's shm replaced by a host share", ex "/01-create-sandbox",                        \
          .edits = { { "/storages/0", VIRTIO_FS("/run/kata-containers/sandbox/shm") } },         \
          .want = DENY, .rule = "sandbox-storages", .reason = R_SB_STORAGES },                   \
        { "a host share over /usr/local/bin", ex "/01-create-sandbox",                           \
          .edits = { { "/storages/-", VIRTIO_FS("/usr/local/bin") } },                           \
          .want = DENY, .rule = "sandbox-storages", .reason = R_SB_STORAGES },                   \
        { "the shm executable", ex "/01-create-sandbox",                                         \
          .edits = { { "/storages/0/options/0", Q("exec") } },                                   \
          .want = DENY, .rule = "sandbox-storages", .reason = R_SB_STORAGES },                   \
        { "an extra nameserver", ex "/01-create-sandbox",                                        \
          .edits = { { "/dns/-", Q("nameserver 198.51.100.53") } },                              \
          .want = DENY, .rule = "sandbox-dns", .reason = R_SB_DNS },                             \
        { "an extra nameserver inside the cluster's line", ex "/01-create-sandbox",              \
          .edits = { { "/dns/1", Q("nameserver 10.96.0.10\\nnameserver 198.51.100.53") } },    \
          .want = DENY, .rule = "sandbox-dns", .reason = R_SB_DNS },                             \
        { "the pod's sandbox", ex "/01-create-sandbox", .want = ALLOW, .rule = "sandbox" },      \
        { "a second sandbox in the same VM", ex "/01-create-sandbox",                            \
          .want = DENY, .rule = "sandbox-once", .reason = R_SANDBOX_ONCE },                      \
        { "the pause image pulled from a registry (metadata not saying sandbox)",               \
          ex "/02-create-pause",                                                                 \
          .edits = { { "/storages/0/driver_options/0",                                           \
                       Q("image_guest_pull={\\\"metadata\\\":{\\\"io.kubernetes.cri.container-type\\\":\\\"container\\\"}}") } }, \
          .want = DENY, .rule = "sandbox:pause.image", .reason = R_IMAGE },                      \
        { "the pause container's image swapped for a registry image", ex "/02-create-pause",    \
          .edits = { { "/storages/0/source", Q("docker.io/library/busybox:latest") } },          \
          .want = DENY, .rule = "sandbox:pause.image", .reason = R_IMAGE },                      \
        { "the pause container with another hostname", ex "/02-create-pause",                   \
          .edits = { { "/OCI/Hostname", Q("db") } },                                             \
          .want = DENY, .rule = "sandbox:pause.hostname", .reason = R_HOSTNAME },                        \
        { "the pause container out of the OOM killer's reach", ex "/02-create-pause",            \
          .edits = { { "/OCI/Process/OOMScoreAdj", "-1000" } },                                  \
          .want = DENY, .rule = "sandbox:pause.oom_score_adj", .reason = R_OOM },                        \
        { "the pause container", ex "/02-create-pause", .want = ALLOW, .rule = "sandbox:pause" },        \
        { "a second pause container", ex "/02-create-pause",                                     \
          .edits = { { "/container_id", Q(SB2) }, { "/exec_id", Q(SB2) },                        \
                     { "/OCI/Root/Path", Q("/run/kata-containers/" SB2 "/rootfs") },             \
                     { "/storages/0/mount_point", Q("/run/kata-containers/" SB2 "/rootfs") } },  \
          .want = DENY, .rule = "sandbox:pause.once", .reason = R_ONCE }
static const struct step sandbox_locked[] = {
        SANDBOX_STEPS("locked"),
        { "a second pause container (locked's request)", "locked/08-second-pause",
          .want = DENY, .rule = "sandbox:pause.once", .reason = R_ONCE },
};
static const struct step sandbox_web[] = { SANDBOX_STEPS("web") };

/* State: a removed container, and a torn-down sandbox, take their permissions with them. */
static const struct step state_locked[] = {
        { "start the worker", "locked/04-start-worker",
          .want = ALLOW, .rule = "requests.StartContainerRequest" },
        { "wait for it", "locked/05-wait-worker",
          .want = ALLOW, .rule = "requests.WaitProcessRequest" },
        { "remove it", "threats/remove-container",
          .want = ALLOW, .rule = "requests.RemoveContainerRequest" },
        { "signal the removed worker", "locked/43-signal-removed",
          .want = DENY, .rule = "unknown-container-id", .reason = R_UNBOUND },
        { "start the removed worker", "locked/04-start-worker",
          .want = DENY, .rule = "unknown-container-id", .reason = R_UNBOUND },
        { "its output (no longer a pipe of the pod)", "locked/24-kubectl-logs-stdout",
          .want = DENY, .rule = "unknown-container-id", .reason = R_UNBOUND },
        { "the worker again, same id", "locked/03-create-worker",
          .want = ALLOW, .rule = "worker" },
        { "start it", "locked/04-start-worker",
          .want = ALLOW, .rule = "requests.StartContainerRequest" },
        { "tear the sandbox down", "threats/destroy-sandbox",
          .want = ALLOW, .rule = "requests.DestroySandboxRequest" },
        { "start the worker of the torn-down sandbox", "locked/04-start-worker",
          .want = DENY, .rule = "unknown-container-id", .reason = R_UNBOUND },
        { "a new sandbox in the same VM", "locked/01-create-sandbox",
          .want = DENY, .rule = "sandbox-once", .reason = R_SANDBOX_ONCE },
};
static const struct step state_web[] = {
        { "kubelet's liveness probe", "web/04-exec-liveness",
          .want = ALLOW, .rule = "nginx.liveness" },
        { "remove nginx", "threats/remove-container",
          .want = ALLOW, .rule = "requests.RemoveContainerRequest" },
        { "the probe in the removed container", "web/04-exec-liveness",
          .edits = { { "/exec_id", Q("1d7c9b63-8d2f-4c9f-8b66-4d3e2f1a0b98") } },
          .want = DENY, .rule = "unknown-container-id", .reason = R_UNBOUND },
        { "its logs", "web/06-logs-stdout",
          .want = DENY, .rule = "unknown-container-id", .reason = R_UNBOUND },
        { "the old probe's output", "web/05-read-probe-stdout",
          .want = DENY, .rule = "unknown-container-id", .reason = R_UNBOUND },
        { "nginx again, same id", "web/03-create-nginx",
          .want = ALLOW, .rule = "nginx" },
        /* The new container does not inherit the old one's execs. */
        { "the old probe's output, from the new container", "web/05-read-probe-stdout",
          .want = DRAIN, .rule = "unknown-exec-id" },
        { "its logs", "web/06-logs-stdout",
          .want = ALLOW, .rule = "nginx.streams.stdout" },
        { "tear the sandbox down", "threats/destroy-sandbox",
          .want = ALLOW, .rule = "requests.DestroySandboxRequest" },
        { "the probe after teardown", "web/04-exec-liveness",
          .want = DENY, .rule = "unknown-container-id", .reason = R_UNBOUND },
        { "a new sandbox in the same VM", "web/01-create-sandbox",
          .want = DENY, .rule = "sandbox-once", .reason = R_SANDBOX_ONCE },
};

/* State changes only when the agent answers OK: a failed create binds nothing. */
static const struct step agent_fails_locked[] = {
        { "the sandbox", "locked/01-create-sandbox", .want = ALLOW, .rule = "sandbox" },
        { "the pause container, which the agent fails", "locked/02-create-pause",
          .want = AGENT_FAILS, .rule = "sandbox:pause" },
        { "the worker, which the agent fails", "locked/03-create-worker",
          .want = AGENT_FAILS, .rule = "worker" },
        { "start it anyway", "locked/04-start-worker",
          .want = DENY, .rule = "unknown-container-id", .reason = R_UNBOUND },
        { "its output (not a pipe of the pod)", "locked/24-kubectl-logs-stdout",
          .want = DENY, .rule = "unknown-container-id", .reason = R_UNBOUND },
        { "the pause container again (none exists)", "locked/02-create-pause",
          .want = AGENT_FAILS, .rule = "sandbox:pause" },
};
static const struct step agent_fails_web[] = {
        { "the sandbox", "web/01-create-sandbox", .want = ALLOW, .rule = "sandbox" },
        { "the pause container, which the agent fails", "web/02-create-pause",
          .want = AGENT_FAILS, .rule = "sandbox:pause" },
        { "nginx, which the agent fails", "web/03-create-nginx",
          .want = AGENT_FAILS, .rule = "nginx" },
        { "the liveness probe anyway", "web/04-exec-liveness",
          .want = DENY, .rule = "unknown-container-id", .reason = R_UNBOUND },
        { "its logs (not a pipe of the pod)", "web/06-logs-stdout",
          .want = DENY, .rule = "unknown-container-id", .reason = R_UNBOUND },
        { "the pause container again (none exists)", "web/02-create-pause",
          .want = AGENT_FAILS, .rule = "sandbox:pause" },
};

/*
 * "privileged: false" (the default) keeps /proc and /sys masked and read-only
 * as containerd sets them. Keeping one path of each is not enough: the host
 * could hand a root process a writable /proc/sys (kernel.core_pattern: code as
 * root in the guest) or an unmasked /proc/kcore. More than the defaults is fine.
 */
#define DEFAULT_MASKED "\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\", " \
        "\"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\", " \
        "\"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\""
#define PATHS_STEPS(ex, create, ctr)                                                          \
        { "one masked and one read-only path kept (/proc/sys writable, /proc/kcore unmasked)", \
          ex "/" create,                                                                      \
          .edits = { { "/OCI/Linux/MaskedPaths", "[\"/proc/acpi\"]" },                          \
                     { "/OCI/Linux/ReadonlyPaths", "[\"/proc/bus\"]" } },                       \
          .want = DENY, .rule = ctr ".privileged", .reason = R_PRIVILEGED },                     \
        { "every default but /proc/sys read-only", ex "/" create,                              \
          .edits = { { "/OCI/Linux/ReadonlyPaths",                                             \
                       "[\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sysrq-trigger\"]" } },  \
          .want = DENY, .rule = ctr ".privileged", .reason = R_PRIVILEGED },                     \
        { "every default but /proc/kcore masked", ex "/" create,                               \
          .edits = { { "/OCI/Linux/MaskedPaths",                                               \
                       "[\"/proc/acpi\", \"/proc/asound\", \"/proc/keys\", "                      \
                       "\"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\", "   \
                       "\"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\"]" } },             \
          .want = DENY, .rule = ctr ".privileged", .reason = R_PRIVILEGED },                     \
        { "the cgroup mount with an option no kernel adds (exec)", ex "/" create,                \
          .edits = { { "/OCI/Mounts/5/options/-", Q("exec") } },                                 \
          .want = DENY, .rule = ctr ".mounts", .reason = R_MOUNTS },                             \
        { "the defaults, one more masked path, a newer kernel's cgroup2 flag", ex "/" create,   \
          .edits = { { "/OCI/Linux/MaskedPaths", "[" DEFAULT_MASKED ", \"/proc/extra\"]" },       \
                     { "/OCI/Mounts/5/options/-", Q("nsdelegate") } },                           \
          .want = ALLOW, .rule = ctr }
static const struct step paths_locked[] = { PATHS_STEPS("locked", "03-create-worker", "worker") };
static const struct step paths_web[] = { PATHS_STEPS("web", "03-create-nginx", "nginx") };

#define CASE(n, ex, up, steps) { n "@" ex, ex, up, NULL, steps, ELEMENTSOF(steps) }
static const struct threat_case threat_cases[] = {
        CASE("kubectl-exec", "locked", POD, exec_locked),
        CASE("kubectl-exec", "web", POD, exec_web),
        CASE("kubectl-cp", "locked", POD, cp_locked),
        CASE("kubectl-cp", "web", POD, cp_web),
        CASE("kubectl-logs", "locked", POD, logs_locked),
        CASE("kubectl-logs", "web", POD, logs_web),
        CASE("kubectl-attach", "locked", POD, attach_locked),
        CASE("kubectl-attach", "web", POD, attach_web),
        CASE("kubectl-debug", "locked", POD, debug_locked),
        CASE("kubectl-debug", "web", POD, debug_web),
        CASE("copy-file-traversal", "locked", POD, traversal_locked),
        CASE("copy-file-traversal", "web", POD, traversal_web),
        CASE("network-rewiring", "locked", POD, net_locked),
        CASE("network-rewiring", "web", POD, net_web),
        CASE("set-policy-swap", "locked", POD, swap_locked),
        CASE("set-policy-swap", "web", POD, swap_web),
        CASE("container-spec", "locked", SANDBOX, spec_locked),
        CASE("container-spec", "web", SANDBOX, spec_web),
        CASE("sandbox", "locked", NOTHING, sandbox_locked),
        CASE("sandbox", "web", NOTHING, sandbox_web),
        CASE("state-removal", "locked", POD, state_locked),
        CASE("state-removal", "web", POD, state_web),
        CASE("privileged-masked-paths", "locked", SANDBOX, paths_locked),
        CASE("privileged-masked-paths", "web", SANDBOX, paths_web),
        { "state-agent-fails@locked", "locked", NOTHING, "CreateContainer", agent_fails_locked,
          ELEMENTSOF(agent_fails_locked) },
        { "state-agent-fails@web", "web", NOTHING, "CreateContainer", agent_fails_web,
          ELEMENTSOF(agent_fails_web) },
};

/* ---- every request file of the examples, with its state rebuilt ---------- */

struct sweep_item {
        char name[256];
        char example[32];
        char file[128]; /* without .json */
};

static int by_name(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static bool str_is(const json_t *j, const char *s)
{
        return json_is_string(j) && strcmp(json_string_value(j), s) == 0;
}

/* The example's allowed request file of type request whose message has key == value. */
static bool find_allowed(const char *example, const char *request, const char *key,
                         const char *value, char *spec, size_t spec_len, char *rule, size_t rule_len)
{
        char dir[PATH_MAX], path[PATH_MAX * 2];
        struct dirent **entries = NULL;
        bool found = false;
        int n;

        snprintf(dir, sizeof(dir), "%s/%s/requests", examples_dir, example);
        n = scandir(dir, &entries, NULL, by_name);
        assert_true(n > 0);
        for (int i = 0; i < n; i++) {
                const char *f = entries[i]->d_name;
                size_t l = strlen(f);

                if (!found && l > 5 && strcmp(f + l - 5, ".json") == 0) {
                        _cleanup_json_ json_t *j = NULL;
                        const json_t *expect, *msg;
                        const char *v;

                        snprintf(path, sizeof(path), "%s/%s", dir, f);
                        j = json_file(path);
                        expect = json_object_get(j, "expect");
                        msg = json_object_get(j, "message");
                        v = key ? json_string_value(json_object_get(msg, key)) : "";
                        if (str_is(json_object_get(j, "request"), request) &&
                            str_is(json_object_get(expect, "decision"), "allow") && v &&
                            strcmp(v, value) == 0) {
                                snprintf(spec, spec_len, "%s/%.*s", example, (int)(l - 5), f);
                                snprintf(rule, rule_len, "%s",
                                         json_string_value(json_object_get(expect, "rule")));
                                found = true;
                        }
                }
                free(entries[i]);
        }
        free(entries);
        return found;
}

static void sweep_allowed(struct gate_env *e, struct ttrpc_client *c, const char *example,
                          const char *request, const char *key, const char *value)
{
        char spec[256], rule[128];
        struct step s = { "rebuild the state", spec, .want = ALLOW, .rule = rule };

        if (!find_allowed(example, request, key, value, spec, sizeof(spec), rule, sizeof(rule)))
                fail_msg("examples/%s/requests has no allowed %s with %s %s", example, request,
                         key ? key : "", value);
        run_step(e, c, example, &s);
}

static void run_sweep(void **state)
{
        struct threat_env *te = *state;
        const struct sweep_item *it = te->item;
        char spec[256];
        _cleanup_json_ json_t *j = NULL;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = start(te->e, it->example, NULL);
        const json_t *st, *expect, *v;
        struct step s = { 0 };
        size_t i;

        snprintf(spec, sizeof(spec), "%s/%s", it->example, it->file);
        j = fixture_load(spec);
        st = json_object_get(j, "state");
        expect = json_object_get(j, "expect");

        /* The state the file assumes, built the way it comes about: allowed requests, answered OK. */
        if (json_is_true(json_object_get(st, "sandbox_created"))) {
                char found[256], rule[128];

                if (find_allowed(it->example, "CreateSandboxRequest", NULL, "", found, sizeof(found),
                                 rule, sizeof(rule))) {
                        sweep_allowed(te->e, c, it->example, "CreateSandboxRequest", NULL, "");
                } else {
                        /* examples/sidecar has no request file of its own for it. */
                        char own[64];
                        struct step sb = { "rebuild the state", own, .want = ALLOW, .rule = "sandbox" };

                        snprintf(own, sizeof(own), "threats/%s-create-sandbox", it->example);
                        run_step(te->e, c, it->example, &sb);
                }
        }
        json_array_foreach(json_object_get(st, "containers"), i, v)
                sweep_allowed(te->e, c, it->example, "CreateContainerRequest", "container_id",
                              json_string_value(json_object_get(v, "container_id")));
        json_array_foreach(json_object_get(st, "execs"), i, v)
                sweep_allowed(te->e, c, it->example, "ExecProcessRequest", "exec_id",
                              json_string_value(json_object_get(v, "exec_id")));

        s.what = json_string_value(json_object_get(j, "comment")) ?: it->file;
        s.fixture = spec;
        s.rule = json_string_value(json_object_get(expect, "rule"));
        assert_non_null(s.rule);
        if (strcmp(json_string_value(json_object_get(expect, "decision")) ?: "", "allow") == 0)
                s.want = ALLOW;
        else
                s.want = json_is_true(json_object_get(expect, "drain")) ? DRAIN : DENY;
        run_step(te->e, c, it->example, &s);
}

static size_t sweep_collect(const char *example, struct sweep_item **items, size_t n)
{
        char dir[PATH_MAX];
        struct dirent **entries = NULL;
        int m;

        snprintf(dir, sizeof(dir), "%s/%s/requests", examples_dir, example);
        m = scandir(dir, &entries, NULL, by_name);
        if (m <= 0) {
                fprintf(stderr, "%s: %s\n", dir, m < 0 ? strerror(errno) : "empty");
                exit(1);
        }
        for (int i = 0; i < m; i++) {
                const char *f = entries[i]->d_name;
                size_t l = strlen(f);

                if (l > 5 && l - 5 < sizeof((*items)->file) && strcmp(f + l - 5, ".json") == 0) {
                        struct sweep_item *it;

                        *items = realloc(*items, (n + 1) * sizeof(**items));
                        if (!*items)
                                abort();
                        it = &(*items)[n++];
                        snprintf(it->example, sizeof(it->example), "%s", example);
                        snprintf(it->file, sizeof(it->file), "%.*s", (int)(l - 5), f);
                        snprintf(it->name, sizeof(it->name), "%s/%s", example, f);
                }
                free(entries[i]);
        }
        free(entries);
        return n;
}

/* ---- main ----------------------------------------------------------------- */

static int run_cases(const char *group, const struct threat_case *cases, size_t n)
{
        struct CMUnitTest *tests = calloc(n, sizeof(*tests));
        int r;

        assert_non_null(tests);
        for (size_t i = 0; i < n; i++)
                tests[i] = (struct CMUnitTest){ .name = cases[i].name,
                                                .test_func = run_case,
                                                .setup_func = case_setup,
                                                .teardown_func = case_teardown,
                                                .initial_state = (void *)&cases[i] };
        r = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
        free(tests);
        return r;
}

static int run_examples(void)
{
        static const char *const examples[] = { "locked", "web", "sidecar" };
        struct sweep_item *items = NULL;
        struct CMUnitTest *tests;
        size_t n = 0;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(examples); i++)
                n = sweep_collect(examples[i], &items, n);
        tests = calloc(n, sizeof(*tests));
        if (!tests)
                abort();
        for (size_t i = 0; i < n; i++)
                tests[i] = (struct CMUnitTest){ .name = items[i].name,
                                                .test_func = run_sweep,
                                                .setup_func = case_setup,
                                                .teardown_func = case_teardown,
                                                .initial_state = &items[i] };
        r = _cmocka_run_group_tests("examples", tests, n, NULL, NULL);
        free(tests);
        free(items);
        return r;
}

int main(int argc, char **argv)
{
        const char *v;

        if ((v = getenv("EXAMPLES_DIR")) && *v)
                examples_dir = v;
        if ((v = getenv("THREATS_DIR")) && *v)
                threats_dir = v;
        if (argc == 1)
                return run_cases("threats", threat_cases, ELEMENTSOF(threat_cases));
        if (argc == 2 && strcmp(argv[1], "examples") == 0)
                return run_examples();
        fprintf(stderr, "usage: %s [examples]\n", argv[0]);
        return 2;
}

/* SPDX-License-Identifier: Apache-2.0 */
#include "sample.h"

#include <stdbool.h>
#include <string.h>

#include "agent.pb-c.h"

struct audit_options sample_options(const char *path, uint64_t rotate_bytes)
{
        return (struct audit_options){
                .path = path,
                .sync = AUDIT_SYNC_EVERY,
                .rotate_bytes = rotate_bytes,
                .policy_digest = SAMPLE_DIGEST,
                .tee = "none",
                .hooks = "cgroup_connect_unix",
        };
}

size_t sample_count(void)
{
        return 8;
}

static int append_packed(struct audit_log *log, struct audit_event *ev, const ProtobufCMessage *m)
{
        uint8_t buf[4096];
        size_t n = protobuf_c_message_get_packed_size(m);

        if (n > sizeof(buf))
                return -E2BIG;
        protobuf_c_message_pack(m, buf);
        ev->request = m;
        ev->payload = buf;
        ev->payload_len = n;
        return audit_append(log, ev);
}

#define SVC "grpc.AgentService"
#define EVENT(i, req, meth)                                                                     \
        (struct audit_event){ .conn_id = 1 + (i) / 4, .stream_id = 1 + 2 * (uint32_t)(i),      \
                              .request_name = req, .service = SVC, .service_len = strlen(SVC), \
                              .method = meth, .method_len = strlen(meth),                      \
                              .verdict = VERDICT_ALLOW, .forwarded = true,                     \
                              .rule_id = "exec-probe", .reason = "listed probe",               \
                              .mode = POLICY_MODE_ENFORCE }

int sample_append(struct audit_log *log, size_t i)
{
        static char echo_secret[] = "echo " SAMPLE_SECRET, env_secret[] = "SECRET=" SAMPLE_SECRET;
        char *argv[] = { "/bin/sh", "-c", echo_secret };
        char *env[] = { "PATH=/usr/bin", env_secret };
        Grpc__Process proc = GRPC__PROCESS__INIT;
        Grpc__ExecProcessRequest exec = GRPC__EXEC_PROCESS_REQUEST__INIT;
        Grpc__WriteStreamRequest ws = GRPC__WRITE_STREAM_REQUEST__INIT;
        Grpc__CopyFileRequest cf = GRPC__COPY_FILE_REQUEST__INIT;
        Grpc__SetPolicyRequest sp = GRPC__SET_POLICY_REQUEST__INIT;
        struct audit_event ev;
        /* Hostile: a quote, control bytes, a lone continuation byte, an overlong NUL. */
        static const char bad_method[] = "Exec\"Pro\ncess\x01\x80\xc0\x80\xe2\x82\xac";

        proc.n_args = 3;
        proc.args = argv;
        proc.n_env = 2;
        proc.env = env;
        proc.cwd = "/" SAMPLE_SECRET;
        exec.container_id = "c0ffee";
        exec.exec_id = "probe-1";
        exec.process = &proc;

        switch (i % sample_count()) {
        case 0:
                ev = EVENT(i, "ExecProcessRequest", "ExecProcess");
                return append_packed(log, &ev, &exec.base);
        case 1:
                ev = EVENT(i, "ExecProcessRequest", "ExecProcess");
                ev.verdict = VERDICT_DENY;
                ev.forwarded = false;
                ev.rule_id = "exec-not-listed";
                ev.reason = "the command is not a listed probe";
                exec.exec_id = "shell-7";
                return append_packed(log, &ev, &exec.base);
        case 2:
                ev = EVENT(i, "WriteStreamRequest", "WriteStdin");
                ws.container_id = "c0ffee";
                ws.exec_id = "probe-1";
                ws.data = (ProtobufCBinaryData){ .len = 14, .data = (uint8_t *)"pw " SAMPLE_SECRET "\n\n\n\n" };
                ev.verdict = VERDICT_DENY;
                ev.forwarded = false;
                ev.rule_id = "stdin";
                ev.reason = "stdin is closed";
                return append_packed(log, &ev, &ws.base);
        case 3:
                ev = EVENT(i, "CopyFileRequest", "CopyFile");
                cf.path = "/run/kata-containers/shared/containers/c0ffee-resolv.conf";
                cf.data = (ProtobufCBinaryData){ .len = 7, .data = (uint8_t *)SAMPLE_SECRET };
                ev.rule_id = "copy-shared";
                ev.reason = "a shared file";
                return append_packed(log, &ev, &cf.base);
        case 4:
                ev = EVENT(i, "SetPolicyRequest", "SetPolicy");
                sp.policy = "version: 1\n# " SAMPLE_SECRET "\n";
                ev.verdict = VERDICT_DENY;
                ev.forwarded = true;
                ev.mode = POLICY_MODE_AUDIT;
                ev.rule_id = "set-policy";
                ev.reason = "the policy is sealed";
                return append_packed(log, &ev, &sp.base);
        case 5:
                /* An unknown method with hostile bytes, undecodable. */
                ev = EVENT(i, NULL, "x");
                ev.method = bad_method;
                ev.method_len = sizeof(bad_method) - 1;
                ev.payload = (const uint8_t *)"\xff\xff" SAMPLE_SECRET;
                ev.payload_len = 9;
                ev.verdict = VERDICT_DENY;
                ev.forwarded = false;
                ev.rule_id = "unknown-method";
                ev.reason = "not an agent method";
                return audit_append(log, &ev);
        case 6:
                /* No envelope at all: a frame that did not decode. */
                ev = (struct audit_event){ .conn_id = 9, .stream_id = 3, .verdict = VERDICT_DENY,
                                           .rule_id = "malformed-request",
                                           .reason = "the ttRPC envelope does not decode",
                                           .mode = POLICY_MODE_ENFORCE };
                return audit_append(log, &ev);
        default:
                ev = EVENT(i, "ReadStreamRequest", "ReadStdout");
                ev.verdict = VERDICT_DENY;
                ev.rule_id = "logs";
                ev.reason = "drained: output is not for the host";
                ev.payload = NULL;
                ev.payload_len = 0;
                return audit_append(log, &ev);
        }
}

/* Whether sample event i is forwarded (as sample_append() writes it). */
static bool sample_forwarded(size_t i)
{
        switch (i % sample_count()) {
        case 1: case 2: case 5: case 6:
                return false;
        default:
                return true;
        }
}

int sample_outcome(struct audit_log *log, size_t i)
{
        static const struct {
                enum audit_outcome outcome;
                bool has_code;
                int32_t code;
                const char *why;
        } kinds[] = {
                { AUDIT_OUTCOME_ANSWERED, true, 0, NULL },
                { AUDIT_OUTCOME_ANSWERED, true, 5, NULL },
                { AUDIT_OUTCOME_NOT_FORWARDED, true, 14, "agent-unavailable" },
                { AUDIT_OUTCOME_ABANDONED, true, 14, "agent-lost" },
                { AUDIT_OUTCOME_ABANDONED, false, 0, "host-closed" },
                { AUDIT_OUTCOME_ABANDONED, true, 14, "stopping" },
                { AUDIT_OUTCOME_ANSWERED, false, 0, NULL }, /* the answer did not decode */
        };
        static const char *const names[] = { "ExecProcessRequest", NULL, NULL, "CopyFileRequest",
                                             "SetPolicyRequest", NULL, NULL, "ReadStreamRequest" };
        size_t k = 0;

        if (!sample_forwarded(i))
                return 0;
        /* The n-th forwarded event gets the n-th kind. */
        for (size_t j = 0; j < i; j++)
                k += sample_forwarded(j);
        k %= ELEMENTSOF(kinds);
        return audit_outcome(log, &(struct audit_outcome_event){
                                          .conn_id = 1 + i / 4,
                                          .stream_id = 1 + 2 * (uint32_t)i,
                                          .decision_seq = audit_head_seq(log),
                                          .request_name = names[i % sample_count()],
                                          .outcome = kinds[k].outcome,
                                          .has_code = kinds[k].has_code,
                                          .code = kinds[k].code,
                                          .why = kinds[k].why,
                                  });
}

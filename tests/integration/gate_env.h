/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One integration-test world: a temp dir, a stub agent recording what reaches
 * it, and `ccgate run` between the test's client and that agent, all over real
 * unix sockets and as real processes. The binaries come from the environment
 * (CCGATE, STUB_AGENT, POLICY_DIR), set by meson.
 *
 * Every test runs under gate_env_setup/gate_env_teardown: the teardown stops
 * both processes whatever happened, and fails the test when ccgate died on its
 * own or did not exit cleanly on SIGTERM (a crash, or a sanitizer report).
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ttrpc_client.h"

#define AGENT_SERVICE "grpc.AgentService"

/* The integration policy's denial messages, as the host must see them. */
#define MSG_NO_EXEC \
        "ExecProcessRequest is blocked by policy: no-exec: the host may not run commands in the pod"
#define MSG_UNKNOWN_METHOD \
        "Request is blocked by policy: unknown-method: the service or method is not part of the agent API"

struct gate_env {
        char *dir;
        char host_sock[PATH_MAX];
        char host_addr[PATH_MAX + 8];
        char agent_sock[PATH_MAX];
        char agent_addr[PATH_MAX + 8];
        char record[PATH_MAX];
        char audit[PATH_MAX];
        char gate_log[PATH_MAX];
        char stub_log[PATH_MAX];
        pid_t stub;
        pid_t gate;
        /* gate_env_expect_audit(): checked against the audit log at teardown. */
        bool audit_expected;
        long audit_requests, audit_forwarded;
};

/* cmocka fixtures. */
int gate_env_setup(void **state);
int gate_env_teardown(void **state);

/* Start the stub agent on agent_sock with --record, plus NULL-terminated extra options. */
void gate_env_start_stub(struct gate_env *e, ...);

/* SIGKILL the stub agent (its socket file stays behind, as after a crash). */
void gate_env_kill_stub(struct gate_env *e);

/* Start ccgate with $POLICY_DIR/<policy> (an absolute path as it is), plus
 * NULL-terminated extra options; wait until it listens. */
void gate_env_start_gate(struct gate_env *e, const char *policy, ...);

/* Both, with the integration policy and no extra options. */
void gate_env_start(struct gate_env *e);

/* A client connected to ccgate (or to the stub, directly). */
struct ttrpc_client *gate_env_connect(const struct gate_env *e);
struct ttrpc_client *gate_env_connect_agent(const struct gate_env *e);

/*
 * An allowed GetGuestDetails round trip on c. ccgate relays one host
 * connection over one agent connection in order, so once this is answered the
 * agent has seen (and recorded) everything ccgate forwarded from c before it.
 */
void gate_env_barrier(struct ttrpc_client *c);

/* Lines recorded for "grpc.AgentService/<method>" (sha may be NULL). */
long gate_env_seen(const struct gate_env *e, const char *method, const char *sha);

/* A call that must be denied with exactly message, and never reach the agent. */
void gate_env_expect_denied(const struct gate_env *e, struct ttrpc_client *c, const char *service,
                            const char *method, const uint8_t *payload, size_t len,
                            const char *message);

/* Encoders for the request messages the tests use; return the length written. */
size_t pack_read_stream(const char *container_id, const char *exec_id, uint8_t *buf, size_t cap);
size_t pack_exec_process(const char *container_id, const char *exec_id, uint8_t *buf, size_t cap);

/* The data of a ReadStreamResponse payload, NUL-terminated into out. */
void read_stream_data(const struct ttrpc_reply *r, char *out, size_t cap);

/* A raw frame: header (length of payload, stream, type, flags) and payload into buf. */
size_t make_frame(uint8_t *buf, size_t cap, uint32_t stream_id, uint8_t type, uint8_t flags,
                  const uint8_t *payload, size_t len);

/* ---- The audit log ---- */

/* What the audit log (e->audit and its rotated files e->audit.N) holds. */
struct gate_env_audit {
        long files;     /* with at least one record */
        long records;   /* of every type */
        long runs;      /* genesis and start records: ccgate runs on this log */
        long stops;     /* stop records */
        long decisions, allowed, denied, forwarded;
        long outcomes;
        long max_seq;
};

/*
 * Read every record of the audit log and check what holds for any log: each
 * line is a record ending in a newline; the seqs of all files together run
 * 0, 1, 2, ... without a gap or a repeat; within one ccgate run no two
 * decision records name the same connection and stream id (one request, one
 * record); every outcome record follows up a forwarded decision of its run on
 * the same connection and stream; and every forwarded decision of a run that
 * ended with a stop record has exactly one. Returns 0 and *ret, or -EBADMSG
 * with why, or -errno.
 */
int gate_env_audit_read(const struct gate_env *e, struct gate_env_audit *ret, char *why,
                        size_t why_len);

/* What the audit log says about one request: its decision and its outcome. */
struct gate_env_request {
        int64_t conn, stream;
        char decision[8];  /* allow, deny */
        char rule[64];
        bool forwarded;
        int outcomes;      /* outcome records that follow it up */
        char outcome[16];  /* answered, not-forwarded, abandoned; "" without one */
        char why[24];      /* agent-lost, host-closed, ...; "" when answered */
        bool has_code;     /* the code the host was sent */
        int64_t code;
};

/*
 * The requests of the last ccgate run on the audit log, each with its outcome,
 * after the checks of gate_env_audit_read(). *ret is malloc'ed. Returns 0, or
 * -EBADMSG with why, or -errno.
 */
int gate_env_audit_requests(const struct gate_env *e, struct gate_env_request **ret,
                            size_t *ret_n, char *why, size_t why_len);

/* The request with conn and stream among r[0..n), or NULL. */
const struct gate_env_request *gate_env_request_find(const struct gate_env_request *r, size_t n,
                                                     int64_t conn, int64_t stream);

/*
 * Run `ccgate audit verify --closed` on the audit log's files (ccgate must
 * have stopped). Returns its wait status, or -errno; what it printed goes to
 * the test's stderr when it fails.
 */
int gate_env_audit_verify(const struct gate_env *e);

/*
 * The test sent `requests` requests through ccgate, of which `forwarded`
 * reached the agent: at teardown, once ccgate has stopped, the audit log must
 * hold exactly one decision record for each (see gate_env_audit_read()), that
 * many with "forwarded": true, and verify with --closed. Whether or not this is
 * called, teardown checks the log's chain and its one-record-per-request rule.
 */
void gate_env_expect_audit(struct gate_env *e, long requests, long forwarded);

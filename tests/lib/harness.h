/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Process and file helpers for tests that run real programs over real sockets:
 * a private temp dir, child processes that cannot outlive the test (they get
 * SIGKILL when the test process dies, and an atexit hook kills whatever is still
 * registered), bounded waits for a socket to listen, and the stub agent's
 * record file. No cmocka here, so benchmarks can use it too.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bound on any one wait for a child: start-up, listening, exit. */
#define HARNESS_WAIT_MS 10000

/* Make a fresh directory under $TMPDIR (or /tmp) named prefix-XXXXXX. Returns 0 and
 * *ret (free() it), or -errno. */
int harness_tmpdir(const char *prefix, char **ret);

/* Remove dir and everything in it (no symlinks are followed). NULL is fine. Returns 0 or -errno. */
int harness_rm_rf(const char *dir);

/*
 * Start argv[0] (a path) with argv, stdin from /dev/null and stdout/stderr
 * appended to log_path (NULL: inherited). The child is killed with SIGKILL if
 * this process dies, and is registered so that harness_kill_all() (also run at
 * exit) reaps it. Returns 0 and *ret_pid, or -errno.
 */
int harness_spawn(char *const argv[], const char *log_path, pid_t *ret_pid);

/* The same, in the working directory cwd (NULL: this one). */
int harness_spawn_at(const char *cwd, char *const argv[], const char *log_path, pid_t *ret_pid);

/*
 * Wait up to timeout_ms for pid to exit by itself and reap it; past that,
 * SIGKILL and reap it and return -ETIMEDOUT. Sets *pid to 0. Returns the wait
 * status (>= 0) or -errno.
 */
int harness_wait_exit(pid_t *pid, int timeout_ms);

/*
 * Wait until something accepts connections on the unix socket path, up to
 * timeout_ms. Returns 0, -ECHILD when pid (if > 0) exits first (it is not
 * reaped), or -ETIMEDOUT. It finds out by connecting: a server that counts
 * connections sees one more, closed at once, until it notices the close.
 */
int harness_wait_listening(const char *path, pid_t pid, int timeout_ms);

/*
 * Send sig to pid and reap it, escalating to SIGKILL if it has not exited
 * within HARNESS_WAIT_MS. Sets *pid to 0. Returns the wait status (>= 0), or
 * -errno; 0 and nothing done when *pid <= 0.
 */
int harness_stop(pid_t *pid, int sig);

/* Whether pid is still running (not exited); does not reap. */
bool harness_alive(pid_t pid);

/* SIGKILL and reap every child harness_spawn() started that is still registered. */
void harness_kill_all(void);

/* Lower-case hex SHA-256 of buf into out[65]. */
void harness_sha256_hex(const void *buf, size_t len, char out[65]);

/*
 * Count the lines of a stub agent record file ("<stream> <service>/<method>
 * <sha256>") for path_method ("grpc.AgentService/ExecProcess"); sha (may be NULL)
 * must match too when given. A missing file counts 0. Returns the count or -errno.
 */
long harness_record_count(const char *record, const char *path_method, const char *sha);

/* Lines in the record file, 0 when it does not exist, or -errno. */
long harness_record_lines(const char *record);

/*
 * Wait until the record file has at least n lines, up to timeout_ms.
 * Returns 0 or -ETIMEDOUT.
 */
int harness_record_wait(const char *record, long n, int timeout_ms);

/* The whole of a small file, NUL-terminated, into *ret (free() it). Returns its length or -errno. */
ssize_t harness_read_file(const char *path, char **ret);

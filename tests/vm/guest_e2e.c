/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guest_e2e: ccgate as a guest image runs it, inside the test VM (tests/vm),
 * with every hook the policy can require.
 *
 * The stub agent listens on /run/kata-agent.sock in the agent's cgroup
 * (system.slice/kata-agent.service, as systemd names it); `ccgate hooks
 * install` (the CLI, default pin directory and ccgate cgroup) installs
 * connect_unix and every LSM hook; `ccgate run --listen vsock:1024` serves a
 * policy that requires all six; containerd's Go ttrpc client (tests/goclient)
 * calls it over AF_VSOCK (vsock_loopback, CID 1) and ccgate forwards over unix
 * to the agent. Then processes in other cgroups try to go around ccgate: a
 * vsock socket of their own, the agent socket by its path, by a symlink and by
 * a hard link, ptrace, /proc/<pid>/mem and environ, setns+exec into a
 * container, pidfd_getfd() on ccgate. The same attempts are made once before
 * the hooks are installed (they must succeed, so each denial is the hooks'),
 * and once after `ccgate hooks remove`.
 *
 * The Go client runs in ccgate's cgroup: in the guest, lsm_vsock lets only
 * that cgroup make AF_VSOCK sockets, and on a real node the client is on the
 * host, outside the guest.
 *
 * Usage: guest_e2e CCGATE STUB_AGENT GOCLIENT POLICY
 * Prints "ok N - ..." per check, "PASS: N checks", or "FAIL: ..." and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/vm_sockets.h>

#include "bpf_test.h"
#include "cleanup.h"
#include "guard.h"
#include "harness.h"

#define AGENT_SOCK "/run/kata-agent.sock"
#define LISTEN "vsock:1024"
#define ALL_HOOKS "connect_unix,lsm_unix_inode,lsm_exec,lsm_ptrace,lsm_proc_mem,lsm_vsock"
#define WAIT_MS 20000

static const char *ccgate, *stub, *goclient, *policy;
static char root[PATH_MAX], cg_ccgate[PATH_MAX + 8], cg_slice[PATH_MAX + 16];
static char cg_agent[PATH_MAX + 48], cg_pods[PATH_MAX + 16], cg_qos[PATH_MAX + 32];
static char dir[] = "/tmp/ccgate-vm-XXXXXX";
static char rec[PATH_MAX], audit[PATH_MAX], alias[PATH_MAX], hardlink[PATH_MAX];

/* A container process: its own leaf cgroup under kubepods and its own mount
 * namespace, which container_new() opens (no hook asks for ptrace rights on a
 * descriptor held already, as a bind-mounted ns file would be); it execs only
 * at container_exec(), so that lsm_exec records its namespace. */
struct container {
        pid_t pid;
        int mntns;
        int ready, go;
};

static pid_t stub_pid, gate_pid;
static struct container c1 = { .pid = -1 }, c2 = { .pid = -1 };

/* ---- processes --------------------------------------------------------------- */

static void reap(pid_t *pid)
{
        if (*pid <= 0)
                return;
        (void)kill(*pid, SIGKILL);
        (void)waitpid(*pid, NULL, 0);
        *pid = 0;
}

static void cleanup(void)
{
        harness_kill_all();
        reap(&c1.pid);
        reap(&c2.pid);
        (void)guard_remove(NULL);
}

static void print_file(const char *title, const char *path)
{
        _cleanup_free_ char *text = NULL;

        if (harness_read_file(path, &text) >= 0)
                printf("# --- %s ---\n%s# ---\n", title, text);
}

/* argv[0] in cgroup cg (NULL: ours): a shell moves itself there, then execs. */
static pid_t spawn_in(const char *cg, const char *const *argv, const char *log)
{
        const char *full[24] = { "/bin/sh", "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", cg };
        size_t n = 4;
        pid_t pid;
        int r;

        for (size_t i = 0; argv[i] && n < ELEMENTSOF(full) - 1; i++)
                full[n++] = argv[i];
        full[n] = NULL;
        r = harness_spawn((char *const *)(cg ? full : argv), log, &pid);
        if (r < 0)
                bpf_test_fail("spawn %s: %s", argv[0], strerror(-r));
        return pid;
}

/* Run argv to completion (bounded); its exit status, output in log. */
static int run(const char *const *argv, const char *log)
{
        pid_t pid;
        int s;

        (void)unlink(log);
        pid = spawn_in(NULL, argv, log);
        s = harness_wait_exit(&pid, WAIT_MS);
        if (s < 0)
                bpf_test_fail("%s %s: %s", argv[0], argv[1], strerror(-s));
        return WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
}

static void container_new(struct container *c, const char *parent, const char *leaf)
{
        char buf[PATH_MAX];
        int rfd[2], gfd[2];

        if (pipe2(rfd, O_CLOEXEC) < 0 || pipe2(gfd, O_CLOEXEC) < 0)
                bpf_test_fail("pipe: %m");
        fflush(stdout);
        c->pid = fork();
        if (c->pid < 0)
                bpf_test_fail("fork: %m");
        if (c->pid == 0) {
                if (guard_cgroup_enter(parent, leaf, buf, sizeof(buf)) < 0 ||
                    unshare(CLONE_NEWNS) < 0 || write(rfd[1], "u", 1) != 1 ||
                    read(gfd[0], buf, 1) != 1)
                        _exit(1);
                (void)dup2(rfd[1], 3); /* not O_CLOEXEC: the parent learns exec happened */
                execl("/bin/sh", "sh", "-c", "echo >&3; exec sleep 600", (char *)NULL);
                _exit(1);
        }
        close(rfd[1]);
        close(gfd[0]);
        c->ready = rfd[0], c->go = gfd[1];
        if (read(c->ready, buf, 1) != 1)
                bpf_test_fail("container %s did not unshare", leaf);
        snprintf(buf, sizeof(buf), "/proc/%d/ns/mnt", (int)c->pid);
        c->mntns = open(buf, O_RDONLY | O_CLOEXEC);
        if (c->mntns < 0)
                bpf_test_fail("open %s: %m", buf);
}

static void container_exec(struct container *c)
{
        char b;

        if (write(c->go, "g", 1) != 1 || read(c->ready, &b, 1) != 1)
                bpf_test_fail("container %d did not exec", (int)c->pid);
        close(c->go);
        close(c->ready);
}

/* ---- what other processes try ---------------------------------------------- */

static int errno_status(int e)
{
        return e == 0 ? 0 : e == EPERM ? 1 : 100 + (e > 150 ? 150 : e);
}

static const char *status_name(int s)
{
        static char buf[48];

        if (s == 0)
                return "allowed";
        if (s == 1)
                return "EPERM";
        if (s >= 100 && s < 251)
                return strerror(s - 100);
        snprintf(buf, sizeof(buf), "child status %d", s);
        return buf;
}

/* An AF_VSOCK listener of its own on port 1025. */
static int try_vsock_listen(void *arg)
{
        struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = 1025 };
        _cleanup_close_ int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

        (void)arg;
        if (fd < 0)
                return errno_status(errno);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
                return errno_status(errno);
        return 0;
}

static int try_connect(void *path)
{
        return errno_status(bpf_test_connect_unix(path));
}

static int try_ptrace(void *pid)
{
        pid_t p = *(pid_t *)pid;

        if (ptrace(PTRACE_ATTACH, p, NULL, NULL) < 0)
                return errno_status(errno);
        (void)waitpid(p, NULL, __WALL);
        (void)ptrace(PTRACE_DETACH, p, NULL, NULL);
        return 0;
}

static int try_open(void *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

        return errno_status(fd < 0 ? errno : 0);
}

/* setns() by pidfd asks ptrace_may_access() (lsm_ptrace) first. */
static int try_setns_pidfd(void *pid)
{
        int pidfd = (int)syscall(SYS_pidfd_open, *(pid_t *)pid, 0);

        if (pidfd < 0)
                return 90;
        return errno_status(setns(pidfd, CLONE_NEWNS) < 0 ? errno : 0);
}

/* Into the mount namespace by a descriptor held already, then exec (lsm_exec). */
static int try_exec_in_ns(void *c)
{
        if (setns(((struct container *)c)->mntns, CLONE_NEWNS) < 0)
                return 91;
        execl("/bin/true", "true", (char *)NULL);
        return errno_status(errno);
}

/* pidfd_getfd() of ccgate's descriptor 0: would hand over any of its sockets. */
static int try_getfd(void *pid)
{
        _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, *(pid_t *)pid, 0);
        _cleanup_close_ int fd = -1;

        if (pidfd < 0)
                return 90;
        fd = (int)syscall(SYS_pidfd_getfd, pidfd, 0, 0);
        return errno_status(fd < 0 ? errno : 0);
}

/* fn in cgroup "<parent>/<leaf>"; fail unless it ends as want. */
static void expect(const char *parent, const char *leaf, int (*fn)(void *), void *arg, int want,
                   const char *what)
{
        int s = bpf_test_in_cgroup(parent, leaf, fn, arg);

        if (s != want)
                bpf_test_fail("%s: %s -> %s, expected %s", leaf, what, status_name(s),
                              status_name(want));
        bpf_test_ok("%s: %s -> %s", leaf, what, status_name(s));
}

/* Every way around ccgate, from a cgroup that is neither ccgate's nor the agent's:
 * want is 1 (EPERM) with the hooks in, 0 without. The pidfd_getfd() targets are
 * the agent and, while it runs, ccgate. */
static void around_ccgate(int want, const char *when)
{
        char what[128], mem[64], environ[64];

        snprintf(mem, sizeof(mem), "/proc/%d/mem", (int)c1.pid);
        snprintf(environ, sizeof(environ), "/proc/%d/environ", (int)c1.pid);
#define AROUND(fn, arg, text)                                              \
        do {                                                               \
                snprintf(what, sizeof(what), "%s (%s)", text, when);       \
                expect(root, "other", fn, arg, want, what);                \
        } while (0)
        AROUND(try_vsock_listen, NULL, "an AF_VSOCK listener of its own");
        AROUND(try_connect, AGENT_SOCK, "connect to the agent socket");
        AROUND(try_connect, alias, "connect to the agent socket by a symlink");
        AROUND(try_connect, hardlink, "connect to the agent socket by a hard link");
        AROUND(try_ptrace, &c1.pid, "ptrace a container process");
        AROUND(try_open, mem, "open /proc/<container>/mem");
        AROUND(try_open, environ, "open /proc/<container>/environ");
        AROUND(try_setns_pidfd, &c1.pid, "setns(pidfd) into a container");
        AROUND(try_exec_in_ns, &c1, "exec in a container's mount namespace");
        AROUND(try_getfd, &stub_pid, "pidfd_getfd() on the agent");
        if (gate_pid > 0)
                AROUND(try_getfd, &gate_pid, "pidfd_getfd() on ccgate");
#undef AROUND
}

/* ---- ccgate ------------------------------------------------------------------ */

static void install_hooks(void)
{
        char log[PATH_MAX + 16];
        const char *install[] = { ccgate, "hooks", "install", "--agent", "unix:" AGENT_SOCK,
                                  "--agent-cgroup", cg_agent, "--containers-cgroup", cg_pods, NULL };
        const char *status[] = { ccgate, "hooks", "status", "--require", "all", NULL };
        _cleanup_free_ char *out = NULL;

        snprintf(log, sizeof(log), "%s/hooks.log", dir);
        if (run(install, log) != 0) {
                print_file("ccgate hooks install", log);
                bpf_test_fail("ccgate hooks install failed");
        }
        print_file("ccgate hooks install", log);
        if (harness_read_file(log, &out) < 0 || strstr(out, "inactive"))
                bpf_test_fail("ccgate hooks install left a hook inactive");
        bpf_test_ok("ccgate hooks install: every hook active (" ALL_HOOKS ")");
        if (run(status, log) != 0) {
                print_file("ccgate hooks status --require all", log);
                bpf_test_fail("ccgate hooks status --require all");
        }
        bpf_test_ok("ccgate hooks status --require all: exit 0");
}

static void start_gate(void)
{
        char log[PATH_MAX + 16];
        const char *argv[] = { ccgate, "run", "--listen", LISTEN, "--agent", "unix:" AGENT_SOCK,
                               "--policy", policy, "--audit-log", audit, "--tee", "none", NULL };

        snprintf(log, sizeof(log), "%s/ccgate.log", dir);
        gate_pid = spawn_in(NULL, argv, log);
        for (int i = 0; i < WAIT_MS / 50; i++) {
                _cleanup_free_ char *text = NULL;

                if (harness_read_file(log, &text) >= 0 && strstr(text, "listening on " LISTEN)) {
                        bpf_test_ok("ccgate run listens on " LISTEN);
                        return;
                }
                if (!harness_alive(gate_pid))
                        break;
                usleep(50 * 1000);
        }
        print_file("ccgate run", log);
        bpf_test_fail("ccgate run did not come up on " LISTEN);
}

static void check_genesis(void)
{
        json_error_t err;
        _cleanup_free_ char *text = NULL;
        json_t *g;
        const char *hooks;

        if (harness_read_file(audit, &text) < 0)
                bpf_test_fail("no audit log %s", audit);
        text[strcspn(text, "\n")] = '\0';
        g = json_loads(text, 0, &err);
        hooks = g ? json_string_value(json_object_get(g, "hooks")) : NULL;
        if (!hooks || strcmp(hooks, ALL_HOOKS) != 0)
                bpf_test_fail("audit genesis hooks = %s, expected " ALL_HOOKS, hooks ? hooks : "(none)");
        json_decref(g);
        bpf_test_ok("audit genesis: hooks " ALL_HOOKS);
}

static void vsock_client(void)
{
        char log[PATH_MAX + 16];
        const char *argv[] = { goclient, "-addr", "vsock:1:1024", "-record", rec, NULL };
        pid_t pid;
        int s;

        snprintf(log, sizeof(log), "%s/goclient.log", dir);
        pid = spawn_in(cg_ccgate, argv, log);
        s = harness_wait_exit(&pid, WAIT_MS * 3);
        print_file("containerd ttrpc client over AF_VSOCK", log);
        if (s != 0)
                bpf_test_fail("the Go ttrpc client over vsock: status %d", s);
        bpf_test_ok("containerd's ttrpc client over AF_VSOCK -> ccgate -> unix -> agent: every check passed");
}

static void stop_gate(void)
{
        char log[PATH_MAX + 16];
        const char *verify[] = { ccgate, "audit", "verify", "--closed", audit, NULL };
        int s = harness_stop(&gate_pid, SIGTERM);

        if (s != 0)
                bpf_test_fail("ccgate run: exit status %#x after SIGTERM", s);
        bpf_test_ok("ccgate run stops cleanly on SIGTERM");
        snprintf(log, sizeof(log), "%s/verify.log", dir);
        if (run(verify, log) != 0) {
                print_file("ccgate audit verify", log);
                bpf_test_fail("ccgate audit verify --closed");
        }
        bpf_test_ok("ccgate audit verify --closed: the chain is intact");
}

/* ---- the test ---------------------------------------------------------------- */

static void make_dirs(void)
{
        const char *dirs[] = { cg_ccgate, cg_slice, cg_agent, cg_pods, cg_qos, NULL };

        snprintf(cg_ccgate, sizeof(cg_ccgate), "%s/ccgate", root);
        snprintf(cg_slice, sizeof(cg_slice), "%s/system.slice", root);
        snprintf(cg_agent, sizeof(cg_agent), "%s/kata-agent.service", cg_slice);
        snprintf(cg_pods, sizeof(cg_pods), "%s/kubepods", root);
        snprintf(cg_qos, sizeof(cg_qos), "%s/besteffort", cg_pods);
        for (size_t i = 0; dirs[i]; i++)
                bpf_test_cgroup_make(dirs[i]);
        if (!mkdtemp(dir))
                bpf_test_fail("mkdtemp: %m");
        snprintf(rec, sizeof(rec), "%s/record", dir);
        snprintf(audit, sizeof(audit), "%s/audit.log", dir);
        /* A hard link must be on the socket's file system (/run). */
        snprintf(alias, sizeof(alias), "/run/ccgate-vm-alias.sock");
        snprintf(hardlink, sizeof(hardlink), "/run/ccgate-vm-hardlink.sock");
}

int main(int argc, char **argv)
{
        char reason[256], log[PATH_MAX + 16];
        struct guard_status st;
        int r;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc != 5) {
                fprintf(stderr, "usage: guest_e2e CCGATE STUB_AGENT GOCLIENT POLICY\n");
                return 2;
        }
        ccgate = argv[1], stub = argv[2], goclient = argv[3], policy = argv[4];
        bpf_test_require_basics(root, sizeof(root));
        /* The guest exists to run this: a missing BPF LSM is a failure here. */
        r = guard_lsm_probe(reason, sizeof(reason));
        if (r < 0)
                bpf_test_fail("BPF LSM not active in the guest: %s", reason);
        if (access(goclient, X_OK) < 0)
                bpf_test_skip("no Go ttrpc client at %s (go or golang-github-containerd-ttrpc-dev "
                              "was missing when the guest was built)", goclient);
        bpf_test_atexit(cleanup);
        make_dirs();

        {
                const char *argv_stub[] = { stub, "--listen", "unix:" AGENT_SOCK, "--record", rec, NULL };

                snprintf(log, sizeof(log), "%s/stub.log", dir);
                stub_pid = spawn_in(cg_agent, argv_stub, log);
                r = harness_wait_listening(AGENT_SOCK, stub_pid, WAIT_MS);
                if (r < 0) {
                        print_file("stub agent", log);
                        bpf_test_fail("the stub agent did not listen on " AGENT_SOCK ": %s",
                                      strerror(-r));
                }
        }
        if (symlink(AGENT_SOCK, alias) < 0 || link(AGENT_SOCK, hardlink) < 0)
                bpf_test_fail("symlink/link to the agent socket: %m");

        /* Without the hooks, everything below is possible: the denials later are theirs. */
        /* Containers as kata's agent makes them: kubepods/<qos>/<container>. */
        container_new(&c1, cg_qos, "c1");
        container_new(&c2, cg_qos, "c2");
        around_ccgate(0, "no hooks yet");

        install_hooks();
        container_exec(&c1);
        container_exec(&c2);
        start_gate();
        vsock_client();
        check_genesis();

        around_ccgate(1, "hooks in");
        expect(cg_slice, "kata-agent.service", try_ptrace, &c1.pid, 0, "ptrace a container process");
        snprintf(log, sizeof(log), "/proc/%d/environ", (int)c1.pid);
        expect(cg_slice, "kata-agent.service", try_open, log, 0, "open /proc/<container>/environ");
        expect(cg_slice, "kata-agent.service", try_exec_in_ns, &c1, 0,
               "exec in a container's mount namespace");
        expect(cg_qos, "c2", try_ptrace, &c1.pid, 1, "ptrace another container's process");
        expect(root, "ccgate", try_connect, AGENT_SOCK, 0, "connect to the agent socket");

        stop_gate();
        {
                const char *remove[] = { ccgate, "hooks", "remove", NULL };

                snprintf(log, sizeof(log), "%s/remove.log", dir);
                if (run(remove, log) != 0 || guard_status(NULL, &st) < 0 || st.active != 0)
                        bpf_test_fail("ccgate hooks remove: hooks still active (%#x)", st.active);
                bpf_test_ok("ccgate hooks remove: nothing active");
        }
        around_ccgate(0, "hooks removed");
        printf("PASS: %d checks\n", bpf_test_checks());
        return 0;
}

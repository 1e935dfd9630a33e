/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lsm_guard for real where BPF LSM is active: a "container" process in
 * <scope>/containers/c1, children in <scope>/{agent,ccgate,other} try to reach it,
 * first with every LSM hook, then with each hook alone. tests/vm runs it inside
 * a guest (Debian's 6.12 kernel under qemu), as no test machine's kernel can.
 * Elsewhere: "SKIPPED: BPF LSM not active: <the kernel's reason>", exit 77 -- but
 * first the hook bodies are loaded as kprobe programs (lsm_verify.bpf.c) so that
 * the verifier has checked them even here; a rejection is a FAIL, not a skip.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf_test.h"
#include "cleanup.h"
#include "guard.h"
#if HAVE_BPF
#include <bpf/libbpf.h>

#include "lsm_verify.skel.h"
#endif

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static char scope[PATH_MAX], containers[PATH_MAX + 16], c1[PATH_MAX + 32];
static char cg_agent[PATH_MAX + 16], cg_ccgate[PATH_MAX + 16], cg_other[PATH_MAX + 16];
static char dir[] = "/tmp/ccgate-lsm-XXXXXX";
static char agent[PATH_MAX], alias[PATH_MAX], pin_dir[PATH_MAX];
static pid_t container_pid = -1;
static int container_mntns = -1; /* opened before the hooks: no ptrace check guards it */

static void cleanup(void)
{
        if (container_pid > 0) {
                (void)kill(container_pid, SIGKILL);
                (void)waitpid(container_pid, NULL, 0);
        }
        (void)guard_remove(pin_dir);
        bpf_test_cgroup_rmdir(c1);
        bpf_test_cgroup_rmdir(containers);
        bpf_test_cgroup_rmdir(cg_agent);
        bpf_test_cgroup_rmdir(cg_ccgate);
        bpf_test_cgroup_rmdir(cg_other);
        bpf_test_cgroup_rmdir(scope);
        (void)unlink(agent);
        (void)unlink(alias);
        (void)rmdir(dir);
}

#if HAVE_BPF
static char verify_log[1 << 20];

static int verify_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
        size_t n = strlen(verify_log);

        if (level != LIBBPF_DEBUG && n < sizeof(verify_log) - 1)
                (void)vsnprintf(verify_log + n, sizeof(verify_log) - n, fmt, ap);
        return 0;
}

/* Load (not attach) the hook bodies with every configuration value non-zero, so
 * that no branch is pruned as dead before the verifier sees it. */
static void verify_hook_bodies(void)
{
        struct lsm_verify *skel;
        libbpf_print_fn_t old = libbpf_set_print(verify_print);
        int r;

        skel = lsm_verify__open();
        if (!skel)
                bpf_test_fail("lsm_verify__open: %m");
        skel->rodata->ccgate_cgroup_id = 1;
        skel->rodata->agent_cgroup_id = 2;
        skel->rodata->containers_cgroup_id = 3;
        skel->rodata->agent_sock_ino = 4;
        skel->rodata->agent_sock_dev = 5;
        skel->rodata->host_mntns = 6;
        r = lsm_verify__load(skel);
        libbpf_set_print(old);
        lsm_verify__destroy(skel);
        if (r == -EPERM || r == -EOPNOTSUPP || r == -EINVAL) {
                /* Kprobe programs themselves may be refused (lockdown): say so. */
                if (strstr(verify_log, "kprobe") || !strstr(verify_log, "processed"))
                        printf("# could not load kprobe programs to verify the hook bodies: %s\n",
                               strerror(-r));
                else
                        bpf_test_fail("the verifier rejects the LSM hook bodies:\n%s", verify_log);
                return;
        }
        if (r < 0)
                bpf_test_fail("loading the LSM hook bodies: %s\n%s", strerror(-r), verify_log);
        bpf_test_ok("the LSM hook bodies pass the verifier (loaded as kprobe programs)");
}
#else
static void verify_hook_bodies(void)
{
}
#endif

static int errno_status(int e)
{
        return e == 0 ? 0 : e == EPERM ? 1 : 100 + (e > 150 ? 150 : e);
}

static int child_ptrace(void *arg)
{
        (void)arg;
        if (ptrace(PTRACE_ATTACH, container_pid, NULL, NULL) < 0)
                return errno_status(errno);
        (void)waitpid(container_pid, NULL, __WALL);
        (void)ptrace(PTRACE_DETACH, container_pid, NULL, NULL);
        return 0;
}

static int child_open_proc(void *arg)
{
        char path[64];
        _cleanup_close_ int fd = -1;

        snprintf(path, sizeof(path), "/proc/%d/%s", (int)container_pid, (const char *)arg);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        return errno_status(fd < 0 ? errno : 0);
}

/* setns() by pidfd asks ptrace_may_access() first (as opening /proc/<pid>/ns/mnt
 * does): lsm_ptrace refuses it before lsm_exec is ever asked. */
static int child_setns_pidfd(void *arg)
{
        int pidfd = (int)syscall(SYS_pidfd_open, container_pid, 0);

        (void)arg;
        if (pidfd < 0)
                return 90;
        return errno_status(setns(pidfd, CLONE_NEWNS) < 0 ? errno : 0);
}

/* A namespace descriptor obtained some other way (before the hooks here; a
 * bind-mounted ns file or an inherited descriptor elsewhere) needs no ptrace
 * check: entering works, and exec inside is lsm_exec's to refuse. */
static int child_exec_in_ns(void *arg)
{
        (void)arg;
        if (setns(container_mntns, CLONE_NEWNS) < 0)
                return 91;
        execl("/bin/true", "true", (char *)NULL);
        return errno_status(errno);
}

static int child_vsock(void *arg)
{
        int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

        (void)arg;
        if (fd < 0)
                return errno == EAFNOSUPPORT && strcmp(arg, "ccgate") == 0 ? 0 : errno_status(errno);
        close(fd);
        return 0;
}

static int child_connect(void *arg)
{
        return errno_status(bpf_test_connect_unix(arg));
}

static void expect(const char *who, int (*fn)(void *), void *arg, int want, const char *what)
{
        int s = bpf_test_in_cgroup(scope, who, fn, arg);

        if (s != want)
                bpf_test_fail("%s: %s -> status %d, expected %d", who, what, s, want);
        bpf_test_ok("%s: %s -> %s", who, what, s == 0 ? "allowed" : "EPERM");
}

/*
 * Each LSM hook installed alone (the others detached by the reinstall), so
 * that a denial is that hook's and not another's on the same path: the file
 * open of /proc/<pid>/mem also asks ptrace_may_access(), and so does setns()
 * by pidfd. Proves the loader detaches hooks no longer wanted, and that each
 * body works against this kernel's BTF (lsm_proc_mem reads the dentry's short
 * name, d_iname before Linux 6.14 and d_shortname after).
 */
static void each_hook_alone(const struct guard_config *all)
{
        struct guard_config cfg = *all;
        struct guard_status st;
        int r;

#define ALONE(hook)                                                                        \
        do {                                                                               \
                cfg.hooks = GUARD_HOOK_BIT(hook);                                          \
                memset(&st, 0, sizeof(st));                                                \
                r = guard_lsm_install(&cfg, pin_dir, &st);                                 \
                if (r < 0 || guard_status(pin_dir, &st) < 0 ||                             \
                    (st.active & GUARD_HOOKS_LSM) != GUARD_HOOK_BIT(hook))                 \
                        bpf_test_fail("%s alone: install %d, active %#x", #hook, r, st.active); \
                printf("# %s alone\n", guard_hook_name(hook));                             \
        } while (0)
        ALONE(GUARD_HOOK_LSM_PROC_MEM);
        expect("other", child_open_proc, "mem", 1, "open /proc/<container>/mem (lsm_proc_mem)");
        expect("other", child_open_proc, "environ", 1,
               "open /proc/<container>/environ (lsm_proc_mem)");
        expect("other", child_ptrace, NULL, 0, "ptrace attach (lsm_ptrace is off)");
        ALONE(GUARD_HOOK_LSM_PTRACE);
        expect("other", child_ptrace, NULL, 1, "ptrace attach (lsm_ptrace)");
        expect("other", child_setns_pidfd, NULL, 1, "setns(pidfd) (lsm_ptrace)");
        expect("other", child_exec_in_ns, NULL, 0, "exec in its mount namespace (lsm_exec is off)");
        ALONE(GUARD_HOOK_LSM_EXEC);
        expect("other", child_setns_pidfd, NULL, 0, "setns(pidfd) (lsm_ptrace is off)");
        expect("other", child_exec_in_ns, NULL, 1, "exec in its mount namespace (lsm_exec)");
        expect("other", child_open_proc, "environ", 0, "open /proc/<container>/environ (off)");
        ALONE(GUARD_HOOK_LSM_VSOCK);
        expect("other", child_vsock, "other", 1, "socket(AF_VSOCK) (lsm_vsock)");
        expect("other", child_connect, alias, 0, "connect by a symlink (lsm_unix_inode is off)");
        ALONE(GUARD_HOOK_LSM_UNIX_INODE);
        expect("other", child_connect, alias, 1, "connect by a symlink (lsm_unix_inode)");
        expect("ccgate", child_connect, alias, 0, "connect by a symlink (lsm_unix_inode)");
        expect("other", child_vsock, "other", 0, "socket(AF_VSOCK) (lsm_vsock is off)");
#undef ALONE
}

int main(void)
{
        char root[256], reason[256], entered[PATH_MAX];
        struct guard_status st;
        int r, lfd, pfd[2], gofd[2];

        setvbuf(stdout, NULL, _IOLBF, 0);
        bpf_test_require_basics(root, sizeof(root));
        verify_hook_bodies();
        r = guard_lsm_probe(reason, sizeof(reason));
        if (r < 0)
                bpf_test_skip("BPF LSM not active: %s (the vm suite runs this test inside a "
                              "guest whose kernel has it: meson test --suite vm)", reason);

        snprintf(scope, sizeof(scope), "%s/ccgate-lsm-%d", root, (int)getpid());
        snprintf(containers, sizeof(containers), "%s/containers", scope);
        snprintf(c1, sizeof(c1), "%s/c1", containers);
        snprintf(cg_agent, sizeof(cg_agent), "%s/agent", scope);
        snprintf(cg_ccgate, sizeof(cg_ccgate), "%s/ccgate", scope);
        snprintf(cg_other, sizeof(cg_other), "%s/other", scope);
        snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/ccgate-lsm-%d", (int)getpid());
        bpf_test_atexit(cleanup);
        if (!mkdtemp(dir))
                bpf_test_fail("mkdtemp: %m");
        snprintf(agent, sizeof(agent), "%s/agent.sock", dir);
        snprintf(alias, sizeof(alias), "%s/alias.sock", dir);
        bpf_test_cgroup_make(scope);
        bpf_test_cgroup_make(containers);
        bpf_test_cgroup_make(c1);
        bpf_test_cgroup_make(cg_agent);
        bpf_test_cgroup_make(cg_ccgate);
        bpf_test_cgroup_make(cg_other);
        lfd = bpf_test_listen_unix(agent);
        if (symlink(agent, alias) < 0)
                bpf_test_fail("symlink: %m");

        /* The container: its own mount namespace (which we open now, before the
         * hooks), then, once they are in, it execs (lsm_exec records the namespace)
         * and waits. */
        if (pipe2(pfd, O_CLOEXEC) < 0 || pipe2(gofd, O_CLOEXEC) < 0)
                bpf_test_fail("pipe: %m");
        container_pid = fork();
        if (container_pid < 0)
                bpf_test_fail("fork: %m");
        if (container_pid == 0) {
                if (guard_cgroup_enter(containers, "c1", entered, sizeof(entered)) < 0 ||
                    unshare(CLONE_NEWNS) < 0 || write(pfd[1], "u", 1) != 1 ||
                    read(gofd[0], entered, 1) != 1)
                        _exit(1);
                (void)dup2(pfd[1], 3); /* not O_CLOEXEC: tells the parent exec happened */
                execl("/bin/sh", "sh", "-c", "echo >&3; exec sleep 120", (char *)NULL);
                _exit(1);
        }
        close(pfd[1]);
        close(gofd[0]);
        if (read(pfd[0], entered, 1) != 1)
                bpf_test_fail("the container process did not unshare");
        snprintf(entered, sizeof(entered), "/proc/%d/ns/mnt", (int)container_pid);
        container_mntns = open(entered, O_RDONLY | O_CLOEXEC);
        if (container_mntns < 0)
                bpf_test_fail("open %s: %m", entered);

        struct guard_config cfg = {
                .agent_socket = agent,
                .ccgate_cgroup = cg_ccgate,
                .scope_cgroup = scope,
                .agent_cgroup = cg_agent,
                .containers_cgroup = containers,
                .hooks = GUARD_HOOKS_LSM,
        };
        r = guard_lsm_install(&cfg, pin_dir, &st);
        if (r < 0)
                bpf_test_fail("guard_lsm_install: %s (%s)", strerror(-r), st.lsm_reason);
        if (guard_status(pin_dir, &st) < 0 || (st.active & GUARD_HOOKS_LSM) != GUARD_HOOKS_LSM)
                bpf_test_fail("status: active=%#x, expected %#x", st.active, GUARD_HOOKS_LSM);
        bpf_test_ok("all LSM hooks installed and pinned");

        if (write(gofd[1], "g", 1) != 1 || read(pfd[0], entered, 1) != 1)
                bpf_test_fail("the container process did not start");
        close(pfd[0]);
        close(gofd[1]);

        expect("other", child_ptrace, NULL, 1, "ptrace attach to a container process");
        expect("agent", child_ptrace, NULL, 0, "ptrace attach to a container process");
        expect("other", child_open_proc, "mem", 1, "open /proc/<container>/mem");
        expect("other", child_open_proc, "environ", 1, "open /proc/<container>/environ");
        expect("agent", child_open_proc, "environ", 0, "open /proc/<container>/environ");
        expect("other", child_setns_pidfd, NULL, 1, "setns(pidfd) into the container");
        expect("other", child_exec_in_ns, NULL, 1, "exec in the container's mount namespace");
        expect("agent", child_exec_in_ns, NULL, 0, "exec in the container's mount namespace");
        expect("other", child_vsock, "other", 1, "socket(AF_VSOCK)");
        expect("ccgate", child_vsock, "ccgate", 0, "socket(AF_VSOCK)");
        expect("other", child_connect, alias, 1, "connect to the agent socket via a symlink");
        expect("ccgate", child_connect, alias, 0, "connect to the agent socket via a symlink");

        each_hook_alone(&cfg);

        if (guard_remove(pin_dir) < 0)
                bpf_test_fail("guard_remove");
        if (guard_status(pin_dir, &st) < 0 || (st.active & GUARD_HOOKS_LSM) != 0)
                bpf_test_fail("status after remove: active=%#x", st.active);
        expect("other", child_open_proc, "environ", 0, "after remove");
        close(lfd);
        printf("PASS: %d checks\n", bpf_test_checks());
        return 0;
}

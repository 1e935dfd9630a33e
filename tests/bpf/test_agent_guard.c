/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_guard for real: a listening "agent" socket, a scope cgroup with two
 * children ("ccgate" and "other"), the guard installed for "ccgate" by a loader
 * process that then exits. Children in each cgroup connect; the kernel answers.
 * The guard is attached to the test's scope cgroup only, so nothing else on the
 * machine is affected.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf_test.h"
#include "guard.h"

static char scope[PATH_MAX], cg_ccgate[PATH_MAX + 16], cg_other[PATH_MAX + 16];
static char dir[] = "/tmp/ccgate-bpf-XXXXXX";
static char agent[PATH_MAX], other_sock[PATH_MAX], dirlink[PATH_MAX], alias[PATH_MAX];
static char pin_dir[PATH_MAX];
static char abstract_name[64];

static void cleanup(void)
{
        (void)guard_remove(pin_dir);
        bpf_test_cgroup_rmdir(cg_ccgate);
        bpf_test_cgroup_rmdir(cg_other);
        bpf_test_cgroup_rmdir(scope);
        (void)unlink(agent);
        (void)unlink(other_sock);
        (void)unlink(dirlink);
        (void)unlink(alias);
        (void)rmdir(dir);
}

/* Child bodies: exit 0 connected, 1 EPERM, 100 + errno otherwise. */
static int errno_status(int e)
{
        return e == 0 ? 0 : e == EPERM ? 1 : 100 + (e > 150 ? 150 : e);
}

static int child_connect(void *arg)
{
        return errno_status(bpf_test_connect_unix(arg));
}

static int child_connect_relative(void *arg)
{
        if (chdir(dir) < 0)
                return 99;
        return errno_status(bpf_test_connect_unix(arg));
}

/*
 * In ccgate's cgroup already (as systemd starts the service), with the cgroup
 * mount read-only (ProtectControlGroups=yes): entering it again writes nothing
 * and succeeds; entering another cgroup still fails, with EROFS.
 */
static int child_enter_readonly(void *arg)
{
        const char *root = arg;
        char path[PATH_MAX];
        int r;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount(NULL, root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
                return 98;
        r = guard_cgroup_enter(scope, "ccgate", path, sizeof(path));
        if (r < 0)
                return errno_status(-r);
        r = guard_cgroup_enter(scope, "other", path, sizeof(path));
        return r == -EROFS ? 0 : 97;
}

static const char *status_name(int s)
{
        static char buf[64];

        if (s == 0)
                return "connected";
        if (s == 1)
                return "EPERM";
        if (s >= 100 && s < 251)
                return strerror(s - 100);
        snprintf(buf, sizeof(buf), "child status %d", s);
        return buf;
}

static void expect(const char *who, int (*fn)(void *), const char *path, int want, const char *why)
{
        int s = bpf_test_in_cgroup(scope, who, fn, (void *)path);

        if (s != want)
                bpf_test_fail("%s: %s -> %s, expected %s (%s)", who, path, status_name(s),
                              status_name(want), why);
        bpf_test_ok("%s: %s -> %s (%s)", who, path, status_name(s), why);
}

static void install(const char *sock, enum guard_match match, int want_r, struct guard_status *st)
{
        pid_t pid;
        int status;

        /* Install from a process that exits at once: the hook must outlive it. */
        fflush(stdout);
        pid = fork();
        if (pid < 0)
                bpf_test_fail("fork: %m");
        if (pid == 0) {
                struct guard_config cfg = {
                        .agent_socket = sock,
                        .ccgate_cgroup = cg_ccgate,
                        .scope_cgroup = scope,
                        .match = match,
                        .hooks = GUARD_HOOK_BIT(GUARD_HOOK_CONNECT_UNIX),
                };
                struct guard_status s;
                int r = guard_install(&cfg, pin_dir, &s);

                if (r == -EOPNOTSUPP)
                        _exit(BPF_TEST_SKIP);
                if (r < 0) {
                        printf("guard_install: %s\n", strerror(-r));
                        _exit(2);
                }
                _exit(r == 1 ? 11 : 10);
        }
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
                bpf_test_fail("loader process died");
        if (WEXITSTATUS(status) == BPF_TEST_SKIP)
                bpf_test_skip("the kernel has no BPF_CGROUP_UNIX_CONNECT (needs Linux >= 6.7)");
        if (WEXITSTATUS(status) != 10 + want_r)
                bpf_test_fail("install %s (%s): loader exit %d, expected %d", sock,
                              guard_match_name(match), WEXITSTATUS(status), 10 + want_r);
        bpf_test_ok("install %s match=%s from a loader process that exited (%s)", sock,
                    guard_match_name(match), want_r ? "reused the pinned hook" : "loaded");

        if (guard_status(pin_dir, st) < 0)
                bpf_test_fail("guard_status after the loader exited");
        if (!(st->active & GUARD_HOOK_BIT(GUARD_HOOK_CONNECT_UNIX)) ||
            strcmp(st->agent_socket, sock) != 0 || st->match != match)
                bpf_test_fail("status: active=%#x socket=%s match=%s", st->active, st->agent_socket,
                              guard_match_name(st->match));
        bpf_test_ok("pinned hook active after its loader exited: socket=%s cgroup id=%llu",
                    st->agent_socket, (unsigned long long)st->ccgate_cgroup_id);
}

int main(void)
{
        char root[256], path[PATH_MAX + 64];
        struct guard_status st;
        uint64_t id;
        int lfd, ofd, afd;

        setvbuf(stdout, NULL, _IOLBF, 0);
        bpf_test_require_basics(root, sizeof(root));

        snprintf(scope, sizeof(scope), "%s/ccgate-test-%d", root, (int)getpid());
        snprintf(cg_ccgate, sizeof(cg_ccgate), "%s/ccgate", scope);
        snprintf(cg_other, sizeof(cg_other), "%s/other", scope);
        snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/ccgate-test-%d", (int)getpid());
        snprintf(abstract_name, sizeof(abstract_name), "@ccgate-test-agent-%d", (int)getpid());
        bpf_test_atexit(cleanup);
        if (!mkdtemp(dir))
                bpf_test_fail("mkdtemp: %m");
        snprintf(agent, sizeof(agent), "%s/agent-%d.sock", dir, (int)getpid());
        snprintf(other_sock, sizeof(other_sock), "%s/other.sock", dir);
        snprintf(dirlink, sizeof(dirlink), "%s/dirlink", dir);
        snprintf(alias, sizeof(alias), "%s/alias.sock", dir);
        bpf_test_cgroup_make(scope);
        bpf_test_cgroup_make(cg_ccgate);
        bpf_test_cgroup_make(cg_other);

        lfd = bpf_test_listen_unix(agent);
        ofd = bpf_test_listen_unix(other_sock);
        afd = bpf_test_listen_unix(abstract_name);
        if (symlink(dir, dirlink) < 0 || symlink(agent, alias) < 0)
                bpf_test_fail("symlink: %m");

        /* Baseline: without the guard everyone connects (so a deny below is the guard's). */
        expect("other", child_connect, agent, 0, "no guard yet");

        install(agent, GUARD_MATCH_NAME, 0, &st);
        if (guard_cgroup_id(cg_ccgate, &id) < 0 || st.ccgate_cgroup_id != id)
                bpf_test_fail("status cgroup id %llu is not ccgate's cgroup",
                              (unsigned long long)st.ccgate_cgroup_id);
        bpf_test_ok("status names ccgate's cgroup (id %llu)", (unsigned long long)id);

        expect("other", child_connect, agent, 1, "outside ccgate's cgroup");
        expect("ccgate", child_connect, agent, 0, "ccgate's own cgroup");
        expect("other", child_connect, other_sock, 0, "a different socket is unaffected");
        expect("other", child_connect, abstract_name, 0, "an abstract socket is unaffected");

        /* Aliases of the same name: all denied under match=name. */
        snprintf(path, sizeof(path), "/%s", agent);
        expect("other", child_connect, path, 1, "leading //");
        snprintf(path, sizeof(path), "%s/./%s", dir, strrchr(agent, '/') + 1);
        expect("other", child_connect, path, 1, "/./ in the path");
        snprintf(path, sizeof(path), "/proc/self/root%s", agent);
        expect("other", child_connect, path, 1, "through /proc/self/root");
        snprintf(path, sizeof(path), "%s/%s", dirlink, strrchr(agent, '/') + 1);
        expect("other", child_connect, path, 1, "through a symlinked directory");
        expect("other", child_connect_relative, strrchr(agent, '/') + 1, 1,
               "relative path after chdir");
        /* Documented bypass (agent_guard.h): another name for the same inode. */
        if (bpf_test_in_cgroup(scope, "other", child_connect, alias) == 0)
                printf("# note: %s -> symlink to the agent socket under another name connects: "
                       "the documented path-matching bypass, closed only by lsm_unix_inode\n",
                       alias);

        /* Idempotent: the same configuration reuses the pinned hook. */
        install(agent, GUARD_MATCH_NAME, 1, &st);
        expect("other", child_connect, agent, 1, "still denied after reuse");

        /* A new configuration replaces the program behind the same link. */
        install(agent, GUARD_MATCH_PATH, 0, &st);
        expect("other", child_connect, agent, 1, "match=path: the exact path");
        snprintf(path, sizeof(path), "/%s", agent);
        expect("other", child_connect, path, 0, "match=path: // is another path");
        expect("ccgate", child_connect, agent, 0, "ccgate's own cgroup");

        /* Abstract socket. */
        install(abstract_name, GUARD_MATCH_NAME, 0, &st);
        expect("other", child_connect, abstract_name, 1, "abstract agent socket");
        expect("ccgate", child_connect, abstract_name, 0, "abstract, from ccgate's cgroup");
        snprintf(path, sizeof(path), "%sx", abstract_name);
        expect("other", child_connect, path, 100 + ECONNREFUSED, "a longer abstract name is another socket");
        expect("other", child_connect, agent, 0, "the pathname socket is no longer guarded");

        if (bpf_test_in_cgroup(scope, "ccgate", child_enter_readonly, root) != 0)
                bpf_test_fail("guard_cgroup_enter() into the cgroup it is in, cgroup mount read-only");
        bpf_test_ok("guard_cgroup_enter() into its own cgroup on a read-only cgroup mount: "
                    "nothing written, success; into another: EROFS");

        /* Remove: detached and unpinned; everyone connects again. */
        if (guard_remove(pin_dir) < 0)
                bpf_test_fail("guard_remove: %m");
        if (guard_status(pin_dir, &st) < 0 || st.active & GUARD_HOOK_BIT(GUARD_HOOK_CONNECT_UNIX))
                bpf_test_fail("status after remove: active=%#x", st.active);
        if (access(pin_dir, F_OK) == 0)
                bpf_test_fail("%s still exists after remove", pin_dir);
        bpf_test_ok("removed: nothing active, %s gone", pin_dir);
        expect("other", child_connect, agent, 0, "after remove");
        expect("other", child_connect, abstract_name, 0, "after remove (abstract)");

        close(lfd);
        close(ofd);
        close(afd);
        printf("PASS: %d checks\n", bpf_test_checks());
        return 0;
}

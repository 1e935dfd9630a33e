/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A ttRPC client not written in this project gets the same answers through
 * ccgate: tests/goclient, built at test time with Debian's packaged containerd
 * ttrpc (GOPATH mode, offline), runs against ccgate and the stub agent. The Go
 * program checks the answers itself; its report is printed here.
 *
 * Exits 77 (skipped) when go or the ttrpc sources are not installed.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "gate_env.h"
#include "harness.h"

/* go build cold takes seconds, more under load; a bound all the same. */
#define GO_BUILD_MS (5 * 60 * 1000)

static const char *env_or(const char *name, const char *fallback)
{
        const char *v = getenv(name);

        return v && *v ? v : fallback;
}

static void print_file(const char *path)
{
        _cleanup_free_ char *text = NULL;

        if (harness_read_file(path, &text) > 0)
                print_message("%s", text);
}

static void test_containerd_ttrpc_client(void **state)
{
        struct gate_env *e = *state;
        const char *out = env_or("GOCLIENT_OUT", "./goclient");
        char build_log[PATH_MAX], run_log[PATH_MAX], addr_arg[PATH_MAX + 16];
        char *build[] = { (char *)getenv("GO"), (char *)"build", (char *)"-o", (char *)out, (char *)".", NULL };
        char *run[] = { (char *)out, (char *)"-addr", addr_arg, (char *)"-record", e->record, NULL };
        pid_t pid = 0;
        int status;

        snprintf(build_log, sizeof(build_log), "%s/go-build.log", e->dir);
        snprintf(run_log, sizeof(run_log), "%s/goclient.log", e->dir);
        assert_int_equal(harness_spawn_at(getenv("GOCLIENT_SRC"), build, build_log, &pid), 0);
        status = harness_wait_exit(&pid, GO_BUILD_MS);
        if (status != 0) {
                print_file(build_log);
                fail_msg("go build failed (status %d)", status);
        }

        gate_env_start(e);
        snprintf(addr_arg, sizeof(addr_arg), "%s", e->host_addr);
        assert_int_equal(harness_spawn(run, run_log, &pid), 0);
        status = harness_wait_exit(&pid, HARNESS_WAIT_MS * 3);
        print_file(run_log);
        assert_true(status >= 0 && WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_containerd_ttrpc_client, gate_env_setup,
                                                gate_env_teardown),
        };
        const char *go = getenv("GO"), *gopath = env_or("GOPATH", "/usr/share/gocode");
        char ttrpc_dir[PATH_MAX];
        struct stat st;

        if (!go || !*go || access(go, X_OK) < 0) {
                printf("skipped: go is not installed (Debian: golang-go)\n");
                return 77;
        }
        snprintf(ttrpc_dir, sizeof(ttrpc_dir), "%s/src/github.com/containerd/ttrpc", gopath);
        if (stat(ttrpc_dir, &st) < 0) {
                printf("skipped: %s is missing (Debian: golang-github-containerd-ttrpc-dev)\n", ttrpc_dir);
                return 77;
        }
        if (!getenv("GOCLIENT_SRC") || !getenv("GOCACHE")) {
                printf("GOCLIENT_SRC and GOCACHE must be set (meson does)\n");
                return 2;
        }
        /* Offline, from Debian's GOPATH tree: no modules, no proxy, no cgo. */
        setenv("GOPATH", gopath, 1);
        setenv("GO111MODULE", "off", 1);
        setenv("GOFLAGS", "", 1);
        setenv("GOPROXY", "off", 1);
        setenv("CGO_ENABLED", "0", 1);
        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}

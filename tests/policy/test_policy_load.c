/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading policies: the first format (version, mode, requests) and a table of
 * bad policies with the exact error each must produce.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.pb-c.h"
#include "policy.h"
#include "policy_error.h"

static struct policy *load_ok(const char *yaml)
{
        struct policy *p = NULL;
        struct policy_error err = { 0 };
        char msg[1024];
        int r = policy_load_buffer("test.yaml", (const uint8_t *)yaml, strlen(yaml), &p, &err);

        if (r < 0) {
                policy_error_format(&err, msg, sizeof(msg));
                fail_msg("policy did not load: %s", msg);
        }
        assert_non_null(p);
        return p;
}

static void decide(const struct policy *p, struct policy_state *s, enum agent_method_id id,
                   struct decision *d)
{
        const struct agent_method *m = agent_method_get(id);

        assert_non_null(m);
        assert_int_equal(policy_decide(p, s, m, NULL, d), 0);
}

static const char first_format[] = "version: 1\n"
                                   "mode: enforce            # or audit\n"
                                   "requests:\n"
                                   "  CreateContainerRequest: allow\n"
                                   "  ReadStreamRequest: allow\n"
                                   "  ExecProcessRequest:\n"
                                   "    decision: deny\n"
                                   "    id: no-exec\n"
                                   "    reason: the host may not run commands in the pod\n";

static void test_first_format(void **state)
{
        _cleanup_(policy_freep) struct policy *p = load_ok(first_format);
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();
        struct decision d;
        size_t len = 0;
        const uint8_t *text;

        (void)state;
        assert_non_null(s);
        assert_int_equal(policy_mode(p), POLICY_MODE_ENFORCE);
        text = policy_text(p, &len);
        assert_int_equal(len, strlen(first_format));
        assert_memory_equal(text, first_format, len);

        decide(p, s, AGENT_CREATE_CONTAINER, &d);
        assert_int_equal(d.verdict, VERDICT_ALLOW);
        assert_string_equal(d.rule_id, "requests.CreateContainerRequest");
        assert_string_equal(d.reason, "the policy allows CreateContainerRequest");
        assert_false(d.drain);

        /* One request name covers both methods that take it. */
        decide(p, s, AGENT_READ_STDOUT, &d);
        assert_int_equal(d.verdict, VERDICT_ALLOW);
        decide(p, s, AGENT_READ_STDERR, &d);
        assert_int_equal(d.verdict, VERDICT_ALLOW);

        decide(p, s, AGENT_EXEC_PROCESS, &d);
        assert_int_equal(d.verdict, VERDICT_DENY);
        assert_string_equal(d.rule_id, "no-exec");
        assert_string_equal(d.reason, "the host may not run commands in the pod");
        assert_false(d.drain);
        assert_int_equal(d.effect.kind, POLICY_EFFECT_NONE);

        decide(p, s, AGENT_SET_POLICY, &d);
        assert_int_equal(d.verdict, VERDICT_DENY);
        assert_string_equal(d.rule_id, "default-deny");
        assert_string_equal(d.reason, "the policy does not list SetPolicyRequest");

        decide(p, s, AGENT_HEALTH_CHECK, &d);
        assert_int_equal(d.verdict, VERDICT_DENY);
        assert_string_equal(d.reason, "the policy does not list CheckRequest");
}

/* Every method is decided, and anything unlisted is denied with default-deny. */
static void test_default_deny_everything(void **state)
{
        _cleanup_(policy_freep) struct policy *p = load_ok("version: 1\n");
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();

        (void)state;
        for (int id = 0; id < _AGENT_METHOD_MAX; id++) {
                const struct agent_method *m = agent_method_get((enum agent_method_id)id);
                char want[256];
                struct decision d;

                assert_non_null(m);
                decide(p, s, (enum agent_method_id)id, &d);
                assert_int_equal(d.verdict, VERDICT_DENY);
                assert_string_equal(d.rule_id, "default-deny");
                snprintf(want, sizeof(want), "the policy does not list %s", m->request_name);
                assert_string_equal(d.reason, want);
                /* Only refused reads drain. */
                assert_int_equal(d.drain, id == AGENT_READ_STDOUT || id == AGENT_READ_STDERR);
        }
        assert_int_equal(policy_mode(p), POLICY_MODE_ENFORCE);
}

static void test_audit_mode(void **state)
{
        _cleanup_(policy_freep) struct policy *p =
                load_ok("version: 1\nmode: audit\nrequests: {GetMetricsRequest: deny}\n");

        (void)state;
        assert_int_equal(policy_mode(p), POLICY_MODE_AUDIT);
        assert_string_equal(policy_mode_to_string(policy_mode(p)), "audit");
        assert_string_equal(verdict_to_string(VERDICT_DENY), "deny");
}

static void test_denied_read_drains(void **state)
{
        _cleanup_(policy_freep) struct policy *p =
                load_ok("version: 1\nrequests:\n  ReadStreamRequest: deny\n"
                        "  WriteStreamRequest: deny\n");
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();
        struct decision d;

        (void)state;
        decide(p, s, AGENT_READ_STDOUT, &d);
        assert_int_equal(d.verdict, VERDICT_DENY);
        assert_true(d.drain);
        assert_string_equal(d.rule_id, "requests.ReadStreamRequest");
        decide(p, s, AGENT_READ_STDERR, &d);
        assert_true(d.drain);
        decide(p, s, AGENT_WRITE_STDIN, &d);
        assert_int_equal(d.verdict, VERDICT_DENY);
        assert_false(d.drain);
}

static void decide_msg(const struct policy *p, struct policy_state *s, enum agent_method_id id,
                       const void *msg, struct decision *d)
{
        assert_int_equal(policy_decide(p, s, agent_method_get(id), msg, d), 0);
}

static void test_sandbox_once(void **state)
{
        _cleanup_(policy_freep) struct policy *p =
                load_ok("version: 1\nrequests:\n  CreateSandboxRequest: allow\n"
                        "  DestroySandboxRequest: allow\n");
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();
        Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
        Grpc__KernelModule mod = GRPC__KERNEL_MODULE__INIT, *mods[] = { &mod };
        struct decision d;

        (void)state;
        /* The sandbox decision reads the request: without one it is an internal error. */
        assert_int_equal(policy_decide(p, s, agent_method_get(AGENT_CREATE_SANDBOX), NULL, &d),
                         -EINVAL);

        req.guest_hook_path = (char *)"/usr/share/oci/hooks";
        decide_msg(p, s, AGENT_CREATE_SANDBOX, &req, &d);
        assert_int_equal(d.verdict, VERDICT_DENY);
        assert_string_equal(d.rule_id, "sandbox-guest-code");
        req.guest_hook_path = (char *)"";
        mod.name = (char *)"kvm";
        req.n_kernel_modules = 1;
        req.kernel_modules = mods;
        decide_msg(p, s, AGENT_CREATE_SANDBOX, &req, &d);
        assert_string_equal(d.rule_id, "sandbox-guest-code");
        req.n_kernel_modules = 0;

        decide_msg(p, s, AGENT_CREATE_SANDBOX, &req, &d);
        assert_int_equal(d.verdict, VERDICT_ALLOW);
        assert_int_equal(d.effect.kind, POLICY_EFFECT_SANDBOX_CREATED);
        /* Not applied (the agent failed): still allowed. */
        decide_msg(p, s, AGENT_CREATE_SANDBOX, &req, &d);
        assert_int_equal(d.verdict, VERDICT_ALLOW);
        assert_int_equal(policy_state_apply(s, &d.effect), 0);
        decide_msg(p, s, AGENT_CREATE_SANDBOX, &req, &d);
        assert_int_equal(d.verdict, VERDICT_DENY);
        assert_string_equal(d.rule_id, "sandbox-once");

        decide(p, s, AGENT_DESTROY_SANDBOX, &d);
        assert_int_equal(d.verdict, VERDICT_ALLOW);
        assert_int_equal(d.effect.kind, POLICY_EFFECT_SANDBOX_DESTROYED);
        assert_int_equal(policy_state_apply(s, &d.effect), 0);
        decide_msg(p, s, AGENT_CREATE_SANDBOX, &req, &d);
        assert_int_equal(d.verdict, VERDICT_DENY);
}

/* Same bytes in, same bytes kept: comments, trailing spaces, CRLF, no final newline. */
static void test_text_is_exact(void **state)
{
        static const char text[] = "# tenant policy\r\nversion: 1   \r\nrequests: {}";
        _cleanup_(policy_freep) struct policy *p = load_ok(text);
        size_t len = 0;
        const uint8_t *t = policy_text(p, &len);

        (void)state;
        assert_int_equal(len, sizeof(text) - 1);
        assert_memory_equal(t, text, len);
}

static void test_load_file(void **state)
{
        char path[] = "/tmp/ccgate-policy-test-XXXXXX";
        _cleanup_close_ int fd = mkstemp(path);
        struct policy *p = NULL;
        struct policy_error err = { 0 };
        char msg[1024];

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "version: 1\nrequests: []\n", 24), 24);
        assert_int_equal(policy_load_file(path, &p, &err), -EINVAL);
        assert_null(p);
        assert_string_equal(err.file, path);
        assert_int_equal(err.line, 2);
        assert_int_equal(err.column, 11);
        policy_error_format(&err, msg, sizeof(msg));
        assert_non_null(strstr(msg, ":2:11: expected a mapping of request message names"));
        unlink(path);

        assert_int_equal(policy_load_file("/nonexistent/policy.yaml", &p, &err), -ENOENT);
        assert_null(p);
        assert_int_equal(err.line, 0);
        assert_string_equal(err.message, "cannot read: No such file or directory");
        policy_error_format(&err, msg, sizeof(msg));
        assert_string_equal(msg, "/nonexistent/policy.yaml: cannot read: No such file or directory");
}

struct bad_policy {
        const char *yaml;
        const char *error; /* "line:column: message" */
};

static const struct bad_policy bad_policies[] = {
        { "",
          "1:1: the policy is empty: expected a mapping with \"version: 1\"" },
        { "- version: 1\n",
          "1:1: expected a mapping with \"version: 1\" at the top of the policy, found a sequence" },
        { "requests: {}\n",
          "1:1: missing \"version\": a policy starts with \"version: 1\"" },
        { "mode: enforce\nversion: 2\n",
          "2:10: unsupported policy version \"2\"; expected 1" },
        { "version: \"1\"\n",
          "1:10: unsupported policy version \"1\"; expected 1" },
        { "version: [1]\n",
          "1:10: unsupported policy version; expected 1" },
        { "version: 1.0\n",
          "1:10: unsupported policy version \"1.0\"; expected 1" },
        { "version: 0\n",
          "1:10: unsupported policy version \"0\"; expected 1" },
        { "version:\n",
          "1:9: unsupported policy version \"\"; expected 1" },
        { "Version: 1\n",
          "1:1: missing \"version\": a policy starts with \"version: 1\"" },
        { "version: 1\nmod: audit\n",
          "2:1: unknown key \"mod\" in the policy; expected one of: version, mode, "
          "require_hooks, require_measurement, requests, containers, copy_file, sandbox, "
          "network" },
        { "version: 1\nrequire_hooks: connect_unix\n",
          "2:16: expected a sequence for require_hooks, found a scalar" },
        { "version: 1\nrequire_hooks: [connect_unix, lsm_ececve]\n",
          "2:31: invalid hook \"lsm_ececve\"; expected one of: connect_unix, lsm_unix_inode, "
          "lsm_exec, lsm_ptrace, lsm_proc_mem, lsm_vsock" },
        { "version: 1\nrequire_hooks: [lsm_exec, connect_unix, lsm_exec]\n",
          "2:41: hook \"lsm_exec\" is listed twice in require_hooks" },
        { "version: 1\nmode: permissive\n",
          "2:7: invalid mode \"permissive\"; expected one of: enforce, audit" },
        { "version: 1\nmode: [audit]\n",
          "2:7: expected one of enforce, audit for mode, found a sequence" },
        { "version: 1\nmode: AUDIT\n",
          "2:7: invalid mode \"AUDIT\"; expected one of: enforce, audit" },
        { "version: 1\nmode: \"\"\n",
          "2:7: invalid mode \"\"; expected one of: enforce, audit" },
        { "version: 1\nmode: 1\n",
          "2:7: invalid mode \"1\"; expected one of: enforce, audit" },
        { "version: 1\nrequests:\n  - ExecProcessRequest\n",
          "3:3: expected a mapping of request message names to decisions for \"requests\", found "
          "a sequence" },
        { "version: 1\nrequests:\n  ExecProcess: allow\n",
          "3:3: unknown request \"ExecProcess\"; expected an agent API request message name such "
          "as \"ExecProcessRequest\"" },
        { "version: 1\nrequests:\n  ExecProcessRequest: yes\n",
          "3:23: invalid decision \"yes\"; expected one of: allow, deny" },
        { "version: 1\nrequests:\n  ExecProcessRequest:\n",
          "3:22: expected one of allow, deny for decision, found nothing (null)" },
        { "version: 1\nrequests:\n  ExecProcessRequest: allow\n  ExecProcessRequest: deny\n",
          "4:3: duplicate key \"ExecProcessRequest\" (first at line 3)" },
        { "version: 1\nversion: 1\n",
          "2:1: duplicate key \"version\" (first at line 1)" },
        { "version: 1\nrequests:\n  ExecProcessRequest:\n    decision: deny\n    reason: no\n",
          "4:5: missing \"id\" in the rule for ExecProcessRequest" },
        { "version: 1\nrequests:\n  ExecProcessRequest:\n    decision: deny\n    id: x\n",
          "4:5: missing \"reason\" in the rule for ExecProcessRequest" },
        { "version: 1\nrequests:\n  ExecProcessRequest: {decision: maybe, id: x, reason: why}\n",
          "3:34: invalid decision \"maybe\"; expected one of: allow, deny" },
        { "version: 1\nrequests:\n  ExecProcessRequest: {decision: [allow], id: x, reason: why}\n",
          "3:34: expected one of allow, deny for decision, found a sequence" },
        /* "y" is a boolean to YAML 1.1 tools: strings that read as something else are quoted. */
        { "version: 1\nrequests:\n  ExecProcessRequest: {decision: deny, id: x, reason: y}\n",
          "3:55: expected a string for \"reason\", found y; quote it to mean the string" },
        { "version: 1\nrequests:\n  ExecProcessRequest: {decision: deny, id: \"\", reason: why}\n",
          "3:44: invalid rule id \"\"; expected up to 64 letters, digits and ._:/- starting with a "
          "letter or digit" },
        { "version: 1\nrequests:\n  ExecProcessRequest: {id: x, reason: y}\n",
          "3:23: missing \"decision\" in the rule for ExecProcessRequest; expected allow or deny" },
        { "version: 1\nrequests:\n  ExecProcessRequest: {decision: deny, id: x, reason: y, "
          "why: z}\n",
          "3:58: unknown key \"why\" in a request rule; expected one of: decision, id, reason, "
          "fields" },
        { "version: 1\nrequests:\n  ExecProcessRequest: {decision: deny, id: \"no exec\", "
          "reason: y}\n",
          "3:44: invalid rule id \"no exec\"; expected up to 64 letters, digits and ._:/- "
          "starting with a letter or digit" },
        { "version: 1\nrequests:\n  ExecProcessRequest: {decision: deny, id: 12, reason: y}\n",
          "3:44: expected a string for \"id\", found 12; quote it to mean the string" },
        { "version: 1\nrequests:\n  ExecProcessRequest: {decision: deny, id: a, reason: \"\"}\n",
          "3:55: a reason must be 1 to 256 characters" },
        { "version: 1\nrequests:\n  ExecProcessRequest: {decision: deny, id: a, reason: "
          "\"two\\nlines\"}\n",
          "3:55: a reason must be one line of text without control characters" },
        { "version: 1\nrequests:\n  ExecProcessRequest: {decision: deny, id: a, reason: b}\n"
          "  CopyFileRequest: {decision: deny, id: a, reason: b}\n",
          "4:41: duplicate rule id \"a\" (first at line 3)" },
        { "version: 1\nrequests:\n  ExecProcessRequest: {decision: deny, id: "
          "requests.CopyFileRequest, reason: b}\n  CopyFileRequest: deny\n",
          "4:3: duplicate rule id \"requests.CopyFileRequest\" (first at line 3)" },
        { "version: 1\nrequests: &r {}\n",
          "2:11: YAML anchors are not allowed in a policy" },
        { "version: 1\nrequests: !!map {}\n",
          "2:11: YAML tags are not allowed in a policy" },
        { "version: 1\n? [a]\n: b\n",
          "2:3: expected a plain key, found a sequence" },
        { "version: 1\n---\nversion: 1\n",
          "2:1: a policy is one YAML document, found a second one" },
        { "version: 1\nrequests: {\n",
          "3:1: invalid YAML: did not find expected node content while parsing a flow node" },
        { "version: 1\n  mode: audit\n",
          "2:7: invalid YAML: mapping values are not allowed in this context" },
        { "version: 1\nrequests:\n\tExecProcessRequest: allow\n",
          "3:1: invalid YAML: found character that cannot start any token while scanning for "
          "the next token" },
        /* The sandbox and network sections. */
        { "version: 1\nsandbox: [hostname]\n",
          "2:10: expected a mapping for \"sandbox\", found a sequence" },
        { "version: 1\nsandbox:\n  host_name: web\n",
          "3:3: unknown key \"host_name\" in \"sandbox\"; expected one of: hostname, sandbox_id, "
          "sandbox_pidns, dns, storages" },
        { "version: 1\nsandbox:\n  sandbox_pidns: \"false\"\n",
          "3:18: expected true or false for \"sandbox_pidns\"" },
        { "version: 1\nsandbox:\n  dns: nameserver 10.96.0.10\n",
          "3:8: expected a sequence for \"dns\", found a scalar" },
        { "version: 1\nsandbox:\n  storages:\n    - {driver: ephemeral, source: shm, fstype: tmpfs}\n",
          "4:7: missing \"mount_point\" in a storage" },
        { "version: 1\nnetwork:\n  interface: []\n",
          "3:3: unknown key \"interface\" in \"network\"; expected one of: interfaces, routes, "
          "neighbors" },
        { "version: 1\nnetwork:\n  interfaces:\n    - {name: eth0, mtu: 1450, addresses: []}\n",
          "4:7: missing \"hw_addr\" in an interface: the agent picks the link by its MAC address" },
        { "version: 1\nnetwork:\n  interfaces:\n    - {name: eth0, hw_addr: {from_ipv4: \"0A:58\"}, "
          "mtu: 1450, addresses: []}\n",
          "4:41: expected two lower-case hex octets such as \"0a:58\" for \"from_ipv4\", found "
          "\"0A:58\"" },
        { "version: 1\nnetwork:\n  interfaces:\n    - {name: eth0, hw_addr: x, addresses: []}\n",
          "4:7: missing \"mtu\" in an interface" },
        { "version: 1\nnetwork:\n  interfaces:\n    - {name: eth0, hw_addr: x, mtu: 1.5, addresses: []}\n",
          "4:37: expected a non-negative integer, a string, {regex: ...} or {one_of: [...]} for "
          "\"mtu\"" },
        { "version: 1\nnetwork:\n  interfaces:\n    - {name: eth0, hw_addr: x, mtu: 1450}\n",
          "4:7: missing \"addresses\" in an interface" },
        { "version: 1\nnetwork:\n  interfaces:\n    - {name: eth0, hw_addr: x, mtu: 1450, "
          "addresses: [{address: a}]}\n",
          "4:55: missing \"mask\" in an address" },
        { "version: 1\nnetwork:\n  interfaces:\n    - {name: eth0, hw_addr: a, mtu: 1, addresses: []}\n"
          "    - {name: eth0, hw_addr: b, mtu: 1, addresses: []}\n",
          "5:7: interface \"eth0\" is listed twice" },
        { "version: 1\nnetwork:\n  interfaces:\n    - {name: eth0, hw_addr: x, mtu: 1, addresses: [], "
          "min_addresses: 65}\n",
          "4:70: \"min_addresses\" is too large (at most 64)" },
        { "version: 1\nnetwork:\n  routes:\n    - {dest: \"\"}\n",
          "4:7: missing \"device\" in a route" },
        { "version: 1\nnetwork:\n  neighbors:\n    - {address: \"10.0.0.1\", device: eth0, lladdr: x}\n",
          "4:7: missing \"state\" in a neighbor" },
};

static void test_bad_policies(void **state)
{
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(bad_policies); i++) {
                const struct bad_policy *b = &bad_policies[i];
                struct policy *p = NULL;
                struct policy_error err = { 0 };
                char got[1024], want[1024];
                int r;

                r = policy_load_buffer("bad.yaml", (const uint8_t *)b->yaml, strlen(b->yaml), &p,
                                       &err);
                policy_error_format(&err, got, sizeof(got));
                snprintf(want, sizeof(want), "bad.yaml:%s", b->error);
                if (r != -EINVAL || p || strcmp(got, want) != 0)
                        fail_msg("bad policy #%zu:\n%s\n  r=%d\n  got:  %s\n  want: %s", i,
                                 b->yaml, r, got, want);
        }
}

static void test_nesting_limit(void **state)
{
        char yaml[256];
        struct policy *p = NULL;
        struct policy_error err = { 0 };
        size_t off;

        (void)state;
        off = (size_t)snprintf(yaml, sizeof(yaml), "version: 1\nx: ");
        for (int i = 0; i < 40; i++)
                yaml[off++] = '[';
        yaml[off] = '\0';
        assert_int_equal(policy_load_buffer("deep.yaml", (const uint8_t *)yaml, off, &p, &err),
                         -EINVAL);
        assert_string_equal(err.message, "the policy is nested too deeply");
        assert_int_equal(err.line, 2);
        assert_int_equal(err.column, 35);
}

/* Large mappings are checked by sorting; the duplicate reported is the first one. */
static void test_duplicate_in_large_map(void **state)
{
        char yaml[8192];
        size_t off = 0;
        struct policy *p = NULL;
        struct policy_error err = { 0 };

        (void)state;
        off += (size_t)snprintf(yaml + off, sizeof(yaml) - off, "version: 1\nbig:\n");
        for (int i = 0; i < 100; i++)
                off += (size_t)snprintf(yaml + off, sizeof(yaml) - off, "  k%d: v\n", i);
        off += (size_t)snprintf(yaml + off, sizeof(yaml) - off, "  k57: v\n  k3: v\n");
        assert_int_equal(policy_load_buffer("big.yaml", (const uint8_t *)yaml, off, &p, &err),
                         -EINVAL);
        assert_string_equal(err.message, "duplicate key \"k57\" (first at line 60)");
        assert_int_equal(err.line, 103);
        assert_int_equal(err.column, 3);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_first_format),
                cmocka_unit_test(test_default_deny_everything),
                cmocka_unit_test(test_audit_mode),
                cmocka_unit_test(test_denied_read_drains),
                cmocka_unit_test(test_sandbox_once),
                cmocka_unit_test(test_text_is_exact),
                cmocka_unit_test(test_load_file),
                cmocka_unit_test(test_bad_policies),
                cmocka_unit_test(test_nesting_limit),
                cmocka_unit_test(test_duplicate_in_large_map),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The full language: bad policies with their exact errors, matchers (anchored
 * regexes, match limits), field rules, CopyFile confinement, container state
 * (bindings, removal, limits) and what audit mode gets to apply.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "agent_api.h"
#include "decide.h"
#include "pbjson.h"
#include "policy.h"
#include "policy_error.h"
#include "policy_inspect.h"

static struct policy *load_ok(const char *yaml)
{
        struct policy *p = NULL;
        struct policy_error err = { 0 };
        char msg[1024];

        if (policy_load_buffer("t.yaml", (const uint8_t *)yaml, strlen(yaml), &p, &err) < 0) {
                policy_error_format(&err, msg, sizeof(msg));
                fail_msg("policy did not load: %s", msg);
        }
        return p;
}

/* Decide method id with a request given as JSON (printf-style). */
static struct decision decide_json(const struct policy *p, const struct policy_state *s,
                                   enum agent_method_id id, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static struct decision decide_json(const struct policy *p, const struct policy_state *s,
                                   enum agent_method_id id, const char *fmt, ...)
{
        const struct agent_method *m = agent_method_get(id);
        ProtobufCMessage *msg = NULL;
        struct decision d;
        json_error_t jerr;
        static char text[64 * 1024];
        char err[256];
        va_list ap;
        json_t *j;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        j = json_loads(text, 0, &jerr);
        if (!j)
                fail_msg("bad test JSON: %s: %s", jerr.text, text);
        if (pbjson_to_message(m->request, j, &msg, err, sizeof(err)) < 0)
                fail_msg("JSON does not fit %s: %s", m->request_name, err);
        json_decref(j);
        assert_int_equal(policy_decide(p, s, m, msg, &d), 0);
        protobuf_c_message_free_unpacked(msg, NULL);
        return d;
}

#define assert_decision(d, v, rule)                                           \
        do {                                                                  \
                struct decision d_ = (d);                                     \
                if (d_.verdict != (v) || strcmp(d_.rule_id, (rule)) != 0)     \
                        fail_msg("got %s (%s: %s), want %s (%s)",             \
                                 verdict_to_string(d_.verdict), d_.rule_id,   \
                                 d_.reason, verdict_to_string(v), (rule));    \
        } while (0)

/* ---- bad policies of the full language ---- */

struct bad_policy {
        const char *yaml;
        const char *error;
};

#define C0 "version: 1\ncontainers:\n"
#define C1 "  - {name: a, id: a, reason: r, image: \"i@sha256:" \
           "0000000000000000000000000000000000000000000000000000000000000000\", args: [x]"
#define Z64 "0000000000000000000000000000000000000000000000000000000000000000"
/* A container without args yet, and one in block style (its line 8 is free). */
#define C2 "  - {name: a, id: a, reason: r, image: \"i@sha256:" Z64 "\""
#define M0 "version: 1\ncontainers:\n  - name: a\n    id: a\n    reason: r\n" \
           "    image: \"i@sha256:" Z64 "\"\n    args: [x]\n"
#define R0 "version: 1\nrequests:\n" \
           "  ExecProcessRequest: {decision: allow, id: x, reason: why, fields: "

static const struct bad_policy bad_policies[] = {
        { C0 "  - name: a\n",
          "3:5: missing \"id\" in a container" },
        { C0 "  - {name: a, id: a, reason: r, image: nginx:latest, args: [x]}\n",
          "3:40: the image must be pinned by digest: NAME@sha256:<64 hex digits>" },
        { C0 C1 ", colour: red}\n",
          "3:128: unknown key \"colour\" in a container; expected one of: name, sandbox, id, "
          "reason, image, args, env, cwd, user, capabilities, no_new_privileges, terminal, "
          "privileged, readonly_root, mounts, storages, devices, sysctls, namespaces, "
          "annotations, hooks, seccomp, exec, streams, apparmor_profile, oom_score_adj, rlimits, "
          "hostname, resources, stdio_ports" },
        { C0 C1 ", args: []}\n",
          "3:128: duplicate key \"args\" (first at line 3)" },
        { C0 "  - {name: a, id: a, reason: r, image: \"i@sha256:"
          "0000000000000000000000000000000000000000000000000000000000000000\", args: []}\n",
          "3:123: \"args\" needs at least one element" },
        { C0 C1 ", args2: 1}\n",
          "3:128: unknown key \"args2\" in a container; expected one of: name, sandbox, id, "
          "reason, image, args, env, cwd, user, capabilities, no_new_privileges, terminal, "
          "privileged, readonly_root, mounts, storages, devices, sysctls, namespaces, "
          "annotations, hooks, seccomp, exec, streams, apparmor_profile, oom_score_adj, rlimits, "
          "hostname, resources, stdio_ports" },
        { C0 C1 ", env: [FOO]}\n",
          "3:134: expected NAME=value or {name: NAME, value: ...} for an env entry, found "
          "\"FOO\"" },
        { C0 C1 ", capabilities: [CAP_FLY]}\n",
          "3:143: unknown capability \"CAP_FLY\"; expected a name such as "
          "\"CAP_NET_BIND_SERVICE\"" },
        { C0 C1 ", user: {uid: -1, gid: 0}}\n",
          "3:140: expected a number for \"uid\"" },
        { C0 C1 ", cwd: {regex: \"(\"}}\n",
          "3:141: invalid regex at offset 1: missing closing parenthesis" },
        { C0 C1 ", cwd: {regex: a, one_of: [b]}}\n",
          "3:133: expected a string, {regex: ...} or {one_of: [...]} for \"cwd\", found a "
          "mapping with more than one key" },
        { C0 C1 ", streams: {stdout: maybe}}\n",
          "3:146: invalid stdout \"maybe\"; expected one of: allow, deny" },
        { C0 C1 ", namespaces: [pid, net]}\n",
          "3:146: invalid namespace \"net\"; expected one of: pid, network, mount, ipc, uts, "
          "user, cgroup, time" },
        { C0 C1 ", namespaces: [pid, pid]}\n",
          "3:146: namespace \"pid\" is listed twice" },
        { C0 "  - {name: \"\", id: a, reason: r, image: \"i@sha256:" Z64 "\", args: [x]}\n",
          "3:12: a container's \"name\" is empty; give the name pod.yaml gives it" },
        { C0 C1 ", seccomp: strict}\n",
          "3:137: invalid \"seccomp\" \"strict\"; expected one of: any, none" },
        { C0 C1 ", exec: [{id: p, argv: [x]}]}\n",
          "3:135: missing \"reason\" in an exec entry of container \"a\"" },
        { C0 C1 ", exec: [{id: a, reason: r, argv: [x]}]}\n",
          "3:140: duplicate rule id \"a\" (first at line 3)" },
        { C0 C1 ", mounts: [{destination: /x, type: bind}]}\n",
          "3:137: missing \"source\" in a mount" },
        { C0 C1 "}\n  - {name: a, id: b, reason: r, image: \"i@sha256:"
          "0000000000000000000000000000000000000000000000000000000000000000\", args: [x]}\n",
          "4:12: a second container named \"a\"" },
        /* Generated ids ("<container id>.<check>") are rule ids like any other. */
        { "version: 1\nrequests:\n  GetMetricsRequest: {decision: deny, id: a.image, reason: r}\n"
          "containers:\n" C1 "}\n",
          "5:19: duplicate rule id \"a.image\" (first at line 3)" },
        { "version: 1\ncopy_file:\n  - {id: c, reason: r, path: /x, types: [fifo]}\n",
          "3:42: invalid file type \"fifo\"; expected one of: file, directory, symlink" },
        { "version: 1\nrequests:\n  SetGuestDateTimeRequest:\n    decision: allow\n"
          "    id: t\n    reason: r\n    fields: {Seconds: \"0\"}\n",
          "7:14: unknown field \"Seconds\" in SetGuestDateTimeRequest: step 1 is not a field of "
          "the message it follows (names are the .proto's, e.g. \"interface.name\")" },
        { "version: 1\nrequests:\n  UpdateInterfaceRequest:\n    decision: allow\n"
          "    id: t\n    reason: r\n    fields: {interface: eth0}\n",
          "7:14: the field \"interface\" is a message or bytes; name a string, number, bool or "
          "enum inside it" },
        { "version: 1\nrequests:\n  UpdateInterfaceRequest:\n    decision: deny\n"
          "    id: t\n    reason: r\n    fields: {interface.name: eth0}\n",
          "7:13: \"fields\" only narrow an allow; UpdateInterfaceRequest is denied anyway" },
        { "version: 1\nrequests:\n  SetGuestDateTimeRequest:\n    decision: allow\n"
          "    id: t\n    reason: r\n    fields: {Sec: 0}\n",
          "7:19: expected a string for a field value, found 0; quote it to mean the string" },

        /* Wrong types: booleans, numbers, sequences and mappings where something else belongs. */
        { C0 C1 ", sandbox: maybe}\n",
          "3:137: expected true or false for \"sandbox\"" },
        { C0 C1 ", privileged: 1}\n",
          "3:140: expected true or false for \"privileged\"" },
        { C0 C1 ", no_new_privileges: \"true\"}\n",
          "3:147: expected true or false for \"no_new_privileges\"" },
        { C0 C1 ", terminal: yes}\n",
          "3:138: expected true or false for \"terminal\"" },
        { C0 C1 ", readonly_root: null}\n",
          "3:143: expected true or false for \"readonly_root\"" },
        { C0 C1 ", user: {uid: \"101\", gid: 101}}\n",
          "3:140: expected a number for \"uid\"" },
        { C0 C1 ", user: {uid: 4294967296, gid: 0}}\n",
          "3:140: \"uid\" is too large (at most 4294967295)" },
        { M0 "    user: {uid: 0, gid: 0, additional_gids: [a]}\n",
          "8:46: expected a number for a group id" },
        { C0 C2 ", args: x}\n",
          "3:123: expected a sequence for \"args\", found a scalar" },
        { C0 C2 ", args: [on]}\n",
          "3:124: expected a string for \"args\", found on; quote it to mean the string" },
        { C0 C2 ", args: [10]}\n",
          "3:124: expected a string for \"args\", found 10; quote it to mean the string" },
        { C0 C1 ", env: {A: b}}\n",
          "3:133: expected a sequence for \"env\", found a mapping" },
        { C0 C1 ", capabilities: CAP_CHOWN}\n",
          "3:142: expected a list of capabilities or a mapping of bounding, effective, "
          "inheritable, permitted, ambient for \"capabilities\", found a scalar" },
        { C0 C1 ", mounts: {destination: /x}}\n",
          "3:136: expected a sequence for \"mounts\", found a mapping" },
        { C0 C1 ", sysctls: [a]}\n",
          "3:137: expected a mapping for \"sysctls\", found a sequence" },
        { C0 C1 ", sysctls: {net.ipv4.x: 1}}\n",
          "3:150: expected a string for \"sysctls\", found 1; quote it to mean the string" },
        { C0 C1 ", namespaces: pid}\n",
          "3:140: expected a sequence for \"namespaces\", found a scalar" },
        { C0 C1 ", exec: {id: p}}\n",
          "3:134: expected a sequence for \"exec\", found a mapping" },
        { C0 C1 ", cwd: {one_of: a}}\n",
          "3:142: expected a sequence for \"one_of\", found a scalar" },
        { C0 C1 ", cwd: {regex: [a]}}\n",
          "3:141: expected a string for \"regex\", found a sequence" },
        { "version: 1\ncontainers: {}\n",
          "2:13: expected a sequence for \"containers\", found a mapping" },
        { "version: 1\ncontainers:\n",
          "2:12: expected a sequence for \"containers\", found nothing (null)" },
        { "version: 1\ncontainers: [a]\n",
          "2:14: expected a mapping for a container, found a scalar" },
        { "version: 1\ncopy_file: {}\n",
          "2:12: expected a sequence for \"copy_file\", found a mapping" },
        { "version: 1\ncopy_file: [{id: c, reason: r, path: /x, types: file}]\n",
          "2:49: expected a sequence for \"types\", found a scalar" },
        { R0 "[a]}\n",
          "3:69: expected a mapping for \"fields\", found a sequence" },
        { R0 "{process.Terminal: true}}\n",
          "3:88: expected a string for a field value, found true; quote it to mean the string" },

        /* Unknown keys, wherever they are. */
        { C0 C1 ", user: {uid: 101, gid: 101, groups: [1]}}\n",
          "3:155: unknown key \"groups\" in \"user\"; expected one of: uid, gid, additional_gids" },
        { C0 C1 ", env: [{name: A, value: b, extra: c}]}\n",
          "3:154: unknown key \"extra\" in an env entry; expected one of: name, value" },
        { C0 C1 ", capabilities: {bounding: [CAP_CHOWN], all: []}}\n",
          "3:166: unknown key \"all\" in \"capabilities\"; expected one of: bounding, effective, "
          "inheritable, permitted, ambient" },
        { C0 C1 ", mounts: [{destination: /x, source: y, type: bind, options: [ro], "
          "propagation: shared}]}\n",
          "3:193: unknown key \"propagation\" in a mount; expected one of: destination, source, "
          "type, options, optional_options" },
        { M0 "    storages: [{driver: local, source: local, fstype: local, mount_point: /x, "
          "options: [a], size: 1}]\n",
          "8:93: unknown key \"size\" in a storage; expected one of: driver, source, fstype, "
          "options, mount_point, driver_options, shared, fs_group" },
        { M0 "    hooks: [{stage: prestart, path: /x, args: [x], env: [A=b]}]\n",
          "8:52: unknown key \"env\" in a hook; expected one of: stage, path, args" },
        { C0 C1 ", seccomp: {default_action: SCMP_ACT_ERRNO, syscalls: [a]}}\n",
          "3:170: unknown key \"syscalls\" in \"seccomp\"; expected one of: default_action, "
          "allowed_syscalls" },
        { C0 C1 ", streams: {stdout: allow, stdio: allow}}\n",
          "3:153: unknown key \"stdio\" in \"streams\"; expected one of: stdout, stderr, stdin, "
          "tty_resize" },
        { C0 C1 ", exec: [{id: p, reason: r, argv: [x], shell: true}]}\n",
          "3:165: unknown key \"shell\" in an exec entry; expected one of: id, reason, argv, "
          "terminal, user, env, cwd, capabilities, no_new_privileges, streams, apparmor_profile, oom_score_adj, "
          "rlimits" },
        { M0 "    oom_score_adj: 1001\n",
          "8:20: \"oom_score_adj\" must be within [-1000, 1000]" },
        { M0 "    oom_score_adj: -1001\n",
          "8:20: \"oom_score_adj\" must be within [-1000, 1000]" },
        { M0 "    oom_score_adj: {min: 5, max: 2}\n",
          "8:20: \"oom_score_adj\": min is above max" },
        { M0 "    oom_score_adj: {min: 5}\n",
          "8:20: missing \"max\" in \"oom_score_adj\"" },
        { M0 "    oom_score_adj: --5\n",
          "8:20: expected a number for \"oom_score_adj\"" },
        { M0 "    rlimits: [{type: NOFILE, hard: 1, soft: 1}]\n",
          "8:22: an rlimit type is RLIMIT_<NAME>, found \"NOFILE\"" },
        { M0 "    rlimits: [{type: RLIMIT_NOFILE, hard: 1, soft: 2}]\n",
          "8:15: an rlimit's soft limit is above its hard limit" },
        { M0 "    rlimits: [{type: RLIMIT_NOFILE, hard: 1}]\n",
          "8:15: missing \"soft\" in an rlimit" },
        { M0 "    resources: {Memory.Nope: \"1\"}\n",
          "8:17: \"Memory.Nope\" is not a number, string or bool field of " "OCI.Linux.Resources (such as Memory.Limit, CPU.Shares)" },
        { M0 "    resources: {Memory: \"1\"}\n",
          "8:17: \"Memory\" is not a number, string or bool field of " "OCI.Linux.Resources (such as Memory.Limit, CPU.Shares)" },
        { M0 "    resources: {Devices.Allow: \"true\"}\n",
          "8:17: Resources.Devices is decided by \"devices\", not \"resources\"" },
        { M0 "    stdio_ports: yes\n",
          "8:18: expected true or false for \"stdio_ports\"" },
        { C0 C1 ", cwd: {glob: a}}\n",
          "3:134: unknown key \"glob\" in \"cwd\"; expected one of: regex, one_of" },
        { "version: 1\ncopy_file: [{id: c, reason: r, path: /x, mode: 0644}]\n",
          "2:42: unknown key \"mode\" in a copy_file rule; expected one of: id, reason, path, "
          "types, uid, gid" },
        { R0 "{process.Nope: a}}\n",
          "3:70: unknown field \"process.Nope\" in ExecProcessRequest: step 2 is not a field of "
          "the message it follows (names are the .proto's, e.g. \"interface.name\")" },

        /* Missing what is required. */
        { C0 "  - {id: a, reason: r, image: \"i@sha256:" Z64 "\", args: [x]}\n",
          "3:5: missing \"name\" in a container" },
        { C0 "  - {name: a, id: a, reason: r, args: [x]}\n",
          "3:5: missing \"image\" in a container" },
        { C0 C2 "}\n",
          "3:5: missing \"args\" in a container" },
        { C0 C1 ", user: {gid: 0}}\n",
          "3:134: missing \"uid\" in \"user\"" },
        { C0 C1 ", env: [{name: A}]}\n",
          "3:134: missing \"value\" in an env entry" },
        { C0 C1 ", storages: [{driver: local}]}\n",
          "3:139: missing \"source\" in a storage" },
        { C0 C1 ", devices: [{container_path: /dev/x}]}\n",
          "3:138: missing \"type\" in a device" },
        { C0 C1 ", exec: [{id: p, reason: r}]}\n",
          "3:135: missing \"argv\" in an exec entry of container \"a\"" },
        { C0 C1 ", exec: [{id: p, reason: r, argv: []}]}\n",
          "3:160: \"argv\" needs at least one element" },
        { C0 C1 ", cwd: {one_of: []}}\n",
          "3:142: \"one_of\" for \"cwd\" needs at least one value" },
        { R0 "{process.Cwd: {one_of: []}}}\n",
          "3:92: \"one_of\" for a field value needs at least one value" },
        { "version: 1\ncopy_file: [{id: c, reason: r}]\n",
          "2:13: missing \"path\" in a copy_file rule" },

        /* Values outside their sets. */
        { C0 C1 ", env: [\"=x\"]}\n",
          "3:134: expected NAME=value or {name: NAME, value: ...} for an env entry, found \"=x\"" },
        { C0 C1 ", capabilities: [cap_chown]}\n",
          "3:143: unknown capability \"cap_chown\"; expected a name such as "
          "\"CAP_NET_BIND_SERVICE\"" },
        { C0 C1 ", hooks: [{stage: prestart2, path: /x}]}\n",
          "3:144: invalid hook stage \"prestart2\"; expected one of: prestart, poststart, "
          "poststop, create_runtime, create_container, start_container" },
        { C0 C1 ", streams: maybe}\n",
          "3:137: invalid \"streams\" \"maybe\"; expected one of: allow, deny" },
        { C0 C1 ", exec: [{id: p, reason: r, argv: [x], streams: {stdin: open}}]}\n",
          "3:182: invalid stdin \"open\"; expected one of: allow, deny" },
        { C0 "  - {name: a, id: \"a b\", reason: r, image: \"i@sha256:" Z64 "\", args: [x]}\n",
          "3:19: invalid rule id \"a b\"; expected up to 64 letters, digits and ._:/- starting "
          "with a letter or digit" },

        /* Bad regexes: PCRE2's own words, at the regex. */
        { C0 C2 ", args: [{regex: \"a(\"}]}\n",
          "3:132: invalid regex at offset 2: missing closing parenthesis" },
        { C0 C1 ", annotations: {a: {regex: \"[\"}}}\n",
          "3:153: invalid regex at offset 1: missing terminating ] for character class" },
        { M0 "    devices: [{container_path: /dev/x, type: c, vm_path: {regex: \"*\"}}]\n",
          "8:66: invalid regex at offset 0: quantifier does not follow a repeatable item" },
        { "version: 1\ncopy_file: [{id: c, reason: r, path: {regex: \"[\"}}]\n",
          "2:46: invalid regex at offset 1: missing terminating ] for character class" },
        { R0 "{process.Args: {regex: \"(\"}}}\n",
          "3:92: invalid regex at offset 1: missing closing parenthesis" },
        { "version: 1\nrequests:\n  ExecProcessRequest:\n    decision: allow\n    id: x\n"
          "    reason: why\n    fields:\n      process.Cwd: {regex: \"a{2,1}\"}\n",
          "8:28: invalid regex at offset 5: numbers out of order in {} quantifier" },

        /* Images not pinned by a sha256 digest. */
        { C0 "  - {name: a, id: a, reason: r, image: \"i@sha256:"
          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\", args: [x]}\n",
          "3:40: the image must be pinned by digest: NAME@sha256:<64 hex digits>" },
        { C0 "  - {name: a, id: a, reason: r, image: \"i@sha256:"
          "000000000000000000000000000000000000000000000000000000000000000\", args: [x]}\n",
          "3:40: the image must be pinned by digest: NAME@sha256:<64 hex digits>" },
        { C0 "  - {name: a, id: a, reason: r, image: \"i@sha256:" Z64 "x\", args: [x]}\n",
          "3:40: the image must be pinned by digest: NAME@sha256:<64 hex digits>" },
        { C0 "  - {name: a, id: a, reason: r, image: \"@sha256:" Z64 "\", args: [x]}\n",
          "3:40: the image must be pinned by digest: NAME@sha256:<64 hex digits>" },
        { C0 "  - {name: a, id: a, reason: r, image: \"i@sha512:" Z64 Z64 "\", args: [x]}\n",
          "3:40: the image must be pinned by digest: NAME@sha256:<64 hex digits>" },

        /* Duplicates: one sandbox per pod, one rule per id (a container's id is a rule id). */
        { C0 C1 "}\n  - {name: b, sandbox: true, id: b, reason: r, image: p, args: [x]}\n"
          "  - {name: c, sandbox: true, id: c, reason: r, image: p, args: [x]}\n",
          "5:12: a second sandbox container; a pod has one" },
        { C0 C1 "}\n  - {name: b, id: a, reason: r, image: \"i@sha256:" Z64 "\", args: [x]}\n",
          "4:19: duplicate rule id \"a\" (first at line 3)" },
        { "version: 1\ncopy_file: [{id: c, reason: r, path: /x}, {id: c, reason: r, path: /y}]\n",
          "2:48: duplicate rule id \"c\" (first at line 2)" },
};

static void test_bad_full_policies(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(bad_policies) / sizeof(bad_policies[0]); i++) {
                const struct bad_policy *b = &bad_policies[i];
                struct policy *p = NULL;
                struct policy_error err = { 0 };
                char got[1024], want[1024];
                int r = policy_load_buffer("bad.yaml", (const uint8_t *)b->yaml, strlen(b->yaml),
                                           &p, &err);

                policy_error_format(&err, got, sizeof(got));
                snprintf(want, sizeof(want), "bad.yaml:%s", b->error);
                if (r != -EINVAL || p || strcmp(got, want) != 0)
                        fail_msg("bad policy #%zu:\n%s\n  r=%d\n  got:  %s\n  want: %s", i,
                                 b->yaml, r, got, want);
        }
}

/* ---- matchers ---- */

static void test_regex_anchored(void **state)
{
        _cleanup_(policy_freep) struct policy *p = load_ok(
                "version: 1\nrequests:\n  GetDiagnosticDataRequest:\n    decision: allow\n"
                "    id: diag\n    reason: r\n    fields:\n"
                "      log_type: {regex: \"journal|dmesg\"}\n"
                "      container_id: {one_of: [\"\", abc]}\n");
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();

        (void)state;
        assert_decision(decide_json(p, s, AGENT_GET_DIAGNOSTIC_DATA, "{\"log_type\": \"journal\"}"),
                        VERDICT_ALLOW, "diag");
        assert_decision(decide_json(p, s, AGENT_GET_DIAGNOSTIC_DATA, "{\"log_type\": \"dmesg\"}"),
                        VERDICT_ALLOW, "diag");
        /* A regex describes the whole value: no prefix, suffix or partial alternation. */
        assert_decision(decide_json(p, s, AGENT_GET_DIAGNOSTIC_DATA, "{\"log_type\": \"xjournal\"}"),
                        VERDICT_DENY, "diag.fields.log_type");
        assert_decision(decide_json(p, s, AGENT_GET_DIAGNOSTIC_DATA, "{\"log_type\": \"journal\\n\"}"),
                        VERDICT_DENY, "diag.fields.log_type");
        assert_decision(decide_json(p, s, AGENT_GET_DIAGNOSTIC_DATA, "{\"log_type\": \"journalx\"}"),
                        VERDICT_DENY, "diag.fields.log_type");
        assert_decision(decide_json(p, s, AGENT_GET_DIAGNOSTIC_DATA,
                                    "{\"log_type\": \"dmesg\", \"container_id\": \"abc\"}"),
                        VERDICT_ALLOW, "diag");
        assert_decision(decide_json(p, s, AGENT_GET_DIAGNOSTIC_DATA,
                                    "{\"log_type\": \"dmesg\", \"container_id\": \"abcd\"}"),
                        VERDICT_DENY, "diag.fields.container_id");
}

/* A host-chosen subject may not make a regex backtrack without bound: the match
 * limit stops it, and a stopped match is no match. The first alternative blows up
 * exponentially before the second (which matches) is tried. */
static void test_regex_match_limit(void **state)
{
        _cleanup_(policy_freep) struct policy *p = load_ok(
                "version: 1\nrequests:\n  GetDiagnosticDataRequest:\n    decision: allow\n"
                "    id: diag\n    reason: r\n    fields:\n"
                "      log_type: {regex: \"(?:a|aa)+b|a*\"}\n");
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();

        (void)state;
        assert_decision(decide_json(p, s, AGENT_GET_DIAGNOSTIC_DATA, "{\"log_type\": \"aaaa\"}"),
                        VERDICT_ALLOW, "diag");
        assert_decision(decide_json(p, s, AGENT_GET_DIAGNOSTIC_DATA,
                                    "{\"log_type\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                    "aaaaaaaaaaaaaaa\"}"),
                        VERDICT_DENY, "diag.fields.log_type");
}

/* Numbers, bools and enums are matched as text; repeated fields element by element. */
static void test_field_rules(void **state)
{
        _cleanup_(policy_freep) struct policy *p = load_ok(
                "version: 1\nrequests:\n"
                "  UpdateInterfaceRequest:\n    decision: allow\n    id: net\n    reason: r\n"
                "    fields:\n      interface.name: eth0\n"
                "      interface.mtu: {one_of: [\"1450\", \"1500\"]}\n"
                "      interface.IPAddresses.family: v4\n"
                "  OnlineCPUMemRequest:\n    decision: allow\n    id: cpu\n    reason: r\n"
                "    fields: {wait: \"true\", nb_cpus: {regex: \"[1-4]\"}}\n"
                /* The network section out of the way: the fields decide. */
                "network:\n  interfaces:\n    - {name: eth0, hw_addr: \"\", device: \"\", mtu: {regex: \"[0-9]+\"},\n"
                "       addresses: [{family: {one_of: [v4, v6]}, address: \"\", mask: \"\"}],\n"
                "       min_addresses: 0}\n");
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();

        (void)state;
        assert_decision(decide_json(p, s, AGENT_UPDATE_INTERFACE,
                                    "{\"interface\": {\"name\": \"eth0\", \"mtu\": 1500, "
                                    "\"IPAddresses\": [{\"family\": \"v4\"}, {\"family\": 0}]}}"),
                        VERDICT_ALLOW, "net");
        assert_decision(decide_json(p, s, AGENT_UPDATE_INTERFACE,
                                    "{\"interface\": {\"name\": \"eth0\", \"mtu\": 9000}}"),
                        VERDICT_DENY, "net.fields.interface.mtu");
        assert_decision(decide_json(p, s, AGENT_UPDATE_INTERFACE,
                                    "{\"interface\": {\"name\": \"eth0\", \"mtu\": 1450, "
                                    "\"IPAddresses\": [{\"family\": \"v4\"}, {\"family\": \"v6\"}]}}"),
                        VERDICT_DENY, "net.fields.interface.IPAddresses.family");
        /* An unset message reads as its defaults: name "" is not eth0. */
        assert_decision(decide_json(p, s, AGENT_UPDATE_INTERFACE, "{}"), VERDICT_DENY,
                        "net.fields.interface.name");
        assert_decision(decide_json(p, s, AGENT_ONLINE_CPU_MEM, "{\"wait\": true, \"nb_cpus\": 2}"),
                        VERDICT_ALLOW, "cpu");
        assert_decision(decide_json(p, s, AGENT_ONLINE_CPU_MEM, "{\"wait\": false, \"nb_cpus\": 2}"),
                        VERDICT_DENY, "cpu.fields.wait");
        assert_decision(decide_json(p, s, AGENT_ONLINE_CPU_MEM, "{\"wait\": true, \"nb_cpus\": 12}"),
                        VERDICT_DENY, "cpu.fields.nb_cpus");
}

/* ---- The sandbox section ---- */

#define SHM_STORAGE                                                                            \
        "{\"driver\": \"ephemeral\", \"source\": \"shm\", \"fstype\": \"tmpfs\", "             \
        "\"options\": [\"noexec\", \"nosuid\", \"nodev\", \"mode=1777\"], "                    \
        "\"mount_point\": \"/run/kata-containers/sandbox/shm\"}"
#define SANDBOX_OK "\"hostname\": \"web\", \"sandbox_id\": \"" ID64 "\", \"dns\": [\"nameserver 10.96.0.10\", " \
                   "\"search default.svc.cluster.local\", \"\"], \"storages\": [" SHM_STORAGE "]"
#define ID64 "4f2349ae4593394b3795b9358f04dea386880727d58e325404fcdaf8df135882"

static const char sandbox_policy[] =
        "version: 1\nrequests:\n  CreateSandboxRequest: {decision: allow, id: sb, reason: r}\n"
        "sandbox:\n  hostname: web\n  sandbox_id: {regex: \"[0-9a-f]{64}\"}\n"
        "  dns: [nameserver 10.96.0.10, {regex: \"search [a-z.]+\"}]\n"
        "  storages:\n    - {driver: ephemeral, source: shm, fstype: tmpfs,\n"
        "       options: [noexec, nosuid, nodev, mode=1777], mount_point: /run/kata-containers/sandbox/shm}\n";

static void test_sandbox_section(void **state)
{
        _cleanup_(policy_freep) struct policy *p = load_ok(sandbox_policy);
        _cleanup_(policy_freep) struct policy *bare =
                load_ok("version: 1\nrequests:\n  CreateSandboxRequest: allow\n");
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();
        static const struct {
                const char *what, *json, *rule;
        } deny[] = {
                { "another hostname", "{" SANDBOX_OK ", \"hostname\": \"db\"}", "sandbox-hostname" },
                { "a path as the id", "{\"hostname\": \"web\", \"sandbox_id\": \"../x\"}", "sandbox-id" },
                { "a shared pid namespace", "{\"hostname\": \"web\", \"sandbox_id\": \"" ID64 "\", "
                  "\"sandbox_pidns\": true}", "sandbox-pidns" },
                { "another nameserver", "{\"hostname\": \"web\", \"sandbox_id\": \"" ID64 "\", "
                  "\"dns\": [\"nameserver 198.51.100.53\"]}", "sandbox-dns" },
                { "a second line inside one element", "{\"hostname\": \"web\", \"sandbox_id\": \"" ID64
                  "\", \"dns\": [\"nameserver 10.96.0.10\\nnameserver 198.51.100.53\"]}", "sandbox-dns" },
                { "a carriage return", "{\"hostname\": \"web\", \"sandbox_id\": \"" ID64 "\", "
                  "\"dns\": [\"nameserver 10.96.0.10\\r\"]}", "sandbox-dns" },
                { "a non-ASCII space the agent would trim", "{\"hostname\": \"web\", \"sandbox_id\": \""
                  ID64 "\", \"dns\": [\"nameserver 10.96.0.10\\u00a0\"]}", "sandbox-dns" },
                { "a virtio-fs share over the shm", "{" SANDBOX_OK ", \"storages\": [" SHM_STORAGE ", "
                  "{\"driver\": \"virtio-fs\", \"source\": \"kataShared\", \"fstype\": \"virtiofs\", "
                  "\"mount_point\": \"/run/kata-containers/sandbox/shm\"}]}", "sandbox-storages" },
                { "the shm executable", "{\"hostname\": \"web\", \"sandbox_id\": \"" ID64 "\", "
                  "\"storages\": [{\"driver\": \"ephemeral\", \"source\": \"shm\", \"fstype\": \"tmpfs\", "
                  "\"options\": [\"exec\", \"nosuid\", \"nodev\", \"mode=1777\"], "
                  "\"mount_point\": \"/run/kata-containers/sandbox/shm\"}]}", "sandbox-storages" },
                { "the shm shared", "{\"hostname\": \"web\", \"sandbox_id\": \"" ID64 "\", "
                  "\"storages\": [{\"driver\": \"ephemeral\", \"source\": \"shm\", \"fstype\": \"tmpfs\", "
                  "\"options\": [\"noexec\", \"nosuid\", \"nodev\", \"mode=1777\"], \"shared\": true, "
                  "\"mount_point\": \"/run/kata-containers/sandbox/shm\"}]}", "sandbox-storages" },
                { "the shm with an fsGroup", "{\"hostname\": \"web\", \"sandbox_id\": \"" ID64 "\", "
                  "\"storages\": [{\"driver\": \"ephemeral\", \"source\": \"shm\", \"fstype\": \"tmpfs\", "
                  "\"options\": [\"noexec\", \"nosuid\", \"nodev\", \"mode=1777\"], \"fs_group\": {}, "
                  "\"mount_point\": \"/run/kata-containers/sandbox/shm\"}]}", "sandbox-storages" },
                { "guest hooks", "{" SANDBOX_OK ", \"guest_hook_path\": \"/h\"}", "sandbox-guest-code" },
        };

        (void)state;
        assert_decision(decide_json(p, s, AGENT_CREATE_SANDBOX, "{" SANDBOX_OK "}"), VERDICT_ALLOW, "sb");
        /* Lines are trimmed as the agent trims them; order and repetition are free. */
        assert_decision(decide_json(p, s, AGENT_CREATE_SANDBOX,
                                    "{\"hostname\": \"web\", \"sandbox_id\": \"" ID64 "\", \"dns\": "
                                    "[\" \\tnameserver 10.96.0.10 \", \"search a.b\", \"nameserver 10.96.0.10\"]}"),
                        VERDICT_ALLOW, "sb");
        for (size_t i = 0; i < ELEMENTSOF(deny); i++) {
                struct decision d = decide_json(p, s, AGENT_CREATE_SANDBOX, "%s", deny[i].json);
                if (d.verdict != VERDICT_DENY || strcmp(d.rule_id, deny[i].rule) != 0)
                        fail_msg("%s: got %s (%s), want %s", deny[i].what,
                                 verdict_to_string(d.verdict), d.rule_id, deny[i].rule);
        }
        /* Without the section: only an empty request (a plain id at most). */
        assert_decision(decide_json(bare, s, AGENT_CREATE_SANDBOX, "{}"), VERDICT_ALLOW,
                        "requests.CreateSandboxRequest");
        assert_decision(decide_json(bare, s, AGENT_CREATE_SANDBOX, "{\"sandbox_id\": \"" ID64 "\"}"),
                        VERDICT_ALLOW, "requests.CreateSandboxRequest");
        assert_decision(decide_json(bare, s, AGENT_CREATE_SANDBOX, "{\"hostname\": \"web\"}"),
                        VERDICT_DENY, "sandbox-hostname");
        assert_decision(decide_json(bare, s, AGENT_CREATE_SANDBOX, "{\"dns\": [\"nameserver 1.1.1.1\"]}"),
                        VERDICT_DENY, "sandbox-dns");
        assert_decision(decide_json(bare, s, AGENT_CREATE_SANDBOX, "{\"storages\": [" SHM_STORAGE "]}"),
                        VERDICT_DENY, "sandbox-storages");
}

/* ---- The network section ---- */

static const char network_policy[] =
        "version: 1\nrequests:\n"
        "  UpdateInterfaceRequest: {decision: allow, id: if, reason: r}\n"
        "  UpdateRoutesRequest: {decision: allow, id: rt, reason: r}\n"
        "  AddARPNeighborsRequest: {decision: allow, id: nb, reason: r}\n"
        "network:\n  interfaces:\n"
        "    - name: eth0\n      hw_addr: {from_ipv4: \"0a:58\"}\n      mtu: 1450\n      type: veth\n"
        "      addresses:\n        - {address: {regex: \"10\\\\.244\\\\.1\\\\.[0-9]+\"}, mask: \"24\"}\n"
        "        - {family: v6, address: {regex: \"fd00::[0-9a-f]+\"}, mask: \"64\"}\n"
        "    - {name: eth1, hw_addr: \"02:00:00:00:00:01\", mtu: {one_of: [\"1500\", \"9000\"]},\n"
        "       raw_flags: 128, device_path: \"01/02\", addresses: [], min_addresses: 0}\n"
        "  routes:\n    - {dest: 0.0.0.0/0, gateway: \"10.244.1.1\", device: eth0}\n"
        "    - {dest: \"::/0\", gateway: \"fd00::1\", device: eth0, family: v6}\n"
        "  neighbors:\n    - {address: \"10.244.1.1\", device: eth0, lladdr: \"0a:58:0a:f4:01:01\", state: 2}\n";

#define ETH0(extra)                                                                            \
        "{\"interface\": {\"name\": \"eth0\", \"device\": \"eth0\", \"mtu\": 1450, \"type\": \"veth\", " \
        "\"hwAddr\": \"0a:58:0a:f4:01:07\", \"IPAddresses\": [{\"address\": \"10.244.1.7\", "      \
        "\"mask\": \"24\"}, {\"family\": \"v6\", \"address\": \"fd00::7\", \"mask\": \"64\"}]" extra "}}"
#define ROUTE(extra) "{\"routes\": {\"Routes\": [{\"dest\": \"0.0.0.0/0\", \"gateway\": \"10.244.1.1\", " \
                     "\"device\": \"eth0\"" extra "}]}}"
#define NEIGH(extra) "{\"neighbors\": {\"ARPNeighbors\": [{\"toIPAddress\": {\"address\": \"10.244.1.1\"" \
                     "}, \"device\": \"eth0\", \"lladdr\": \"0a:58:0a:f4:01:01\", \"state\": 2" extra "}]}}"

static void test_network_section(void **state)
{
        _cleanup_(policy_freep) struct policy *p = load_ok(network_policy);
        _cleanup_(policy_freep) struct policy *bare = load_ok(
                "version: 1\nrequests:\n  UpdateInterfaceRequest: allow\n  UpdateRoutesRequest: allow\n"
                "  AddARPNeighborsRequest: allow\n");
        _cleanup_(policy_freep) struct policy *derived = load_ok(
                "version: 1\nrequests:\n  AddARPNeighborsRequest: allow\nnetwork:\n  neighbors:\n"
                "    - {address: {regex: \"10\\\\.244\\\\.1\\\\.[0-9]+\"}, device: eth0,\n"
                "       lladdr: {from_ipv4: \"0a:58\"}, state: 2}\n");
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();
        static const struct {
                enum agent_method_id id;
                const char *what, *json, *rule;
        } deny[] = {
                { AGENT_UPDATE_INTERFACE, "another MAC", ETH0(", \"hwAddr\": \"0a:58:0a:f4:01:63\""),
                  "network-interface.hw_addr" },
                { AGENT_UPDATE_INTERFACE, "the MAC in capitals", ETH0(", \"hwAddr\": \"0A:58:0A:F4:01:07\""),
                  "network-interface.hw_addr" },
                { AGENT_UPDATE_INTERFACE, "another name", ETH0(", \"name\": \"eth2\""), "network-interface" },
                { AGENT_UPDATE_INTERFACE, "another device", ETH0(", \"device\": \"lo\""),
                  "network-interface.device" },
                { AGENT_UPDATE_INTERFACE, "another MTU", ETH0(", \"mtu\": 68"), "network-interface.mtu" },
                { AGENT_UPDATE_INTERFACE, "IFF_PROMISC", ETH0(", \"raw_flags\": 256"),
                  "network-interface.raw_flags" },
                { AGENT_UPDATE_INTERFACE, "another type", ETH0(", \"type\": \"macvlan\""),
                  "network-interface.type" },
                { AGENT_UPDATE_INTERFACE, "a device path", ETH0(", \"devicePath\": \"01/03\""),
                  "network-interface.device_path" },
                { AGENT_UPDATE_INTERFACE, "no addresses", ETH0(", \"IPAddresses\": []"),
                  "network-interface.addresses" },
                { AGENT_UPDATE_INTERFACE, "a /1 prefix", ETH0(", \"IPAddresses\": [{\"address\": "
                  "\"10.244.1.7\", \"mask\": \"1\"}]"), "network-interface.addresses" },
                { AGENT_UPDATE_INTERFACE, "an IPv4 address as IPv6", ETH0(", \"IPAddresses\": [{\"family\": "
                  "\"v6\", \"address\": \"10.244.1.7\", \"mask\": \"24\"}]"), "network-interface.addresses" },
                { AGENT_UPDATE_INTERFACE, "an address with leading zeros: no MAC derives from it",
                  ETH0(", \"IPAddresses\": [{\"address\": \"10.244.1.07\", \"mask\": \"24\"}]"),
                  "network-interface.hw_addr" },
                { AGENT_UPDATE_INTERFACE, "no interface", "{}", "network-interface" },
                { AGENT_UPDATE_ROUTES, "another gateway", ROUTE(", \"gateway\": \"10.244.1.66\""),
                  "network-route" },
                { AGENT_UPDATE_ROUTES, "another scope", ROUTE(", \"scope\": 253"), "network-route" },
                { AGENT_UPDATE_ROUTES, "flags", ROUTE(", \"flags\": 4"), "network-route" },
                { AGENT_UPDATE_ROUTES, "a route MTU", ROUTE(", \"mtu\": 68"), "network-route" },
                { AGENT_UPDATE_ROUTES, "a source", ROUTE(", \"source\": \"127.0.0.1\""), "network-route" },
                { AGENT_UPDATE_ROUTES, "the IPv4 route as IPv6", ROUTE(", \"family\": \"v6\""),
                  "network-route" },
                { AGENT_UPDATE_ROUTES, "no routes message", "{}", "network-route" },
                { AGENT_ADD_ARP_NEIGHBORS, "another lladdr", NEIGH(", \"lladdr\": \"0a:58:0a:f4:01:63\""),
                  "network-neighbor" },
                { AGENT_ADD_ARP_NEIGHBORS, "state 0 (permanent)", NEIGH(", \"state\": 0"),
                  "network-neighbor" },
                { AGENT_ADD_ARP_NEIGHBORS, "flags", NEIGH(", \"flags\": 1"), "network-neighbor" },
                { AGENT_ADD_ARP_NEIGHBORS, "another device", NEIGH(", \"device\": \"lo\""),
                  "network-neighbor" },
                { AGENT_ADD_ARP_NEIGHBORS, "no address", "{\"neighbors\": {\"ARPNeighbors\": [{\"device\": "
                  "\"eth0\", \"lladdr\": \"0a:58:0a:f4:01:01\", \"state\": 2}]}}", "network-neighbor" },
                { AGENT_ADD_ARP_NEIGHBORS, "no neighbors message", "{}", "network-neighbor" },
        };

        (void)state;
        assert_decision(decide_json(p, s, AGENT_UPDATE_INTERFACE, ETH0("")), VERDICT_ALLOW, "if");
        assert_decision(decide_json(p, s, AGENT_UPDATE_INTERFACE,
                                    "{\"interface\": {\"name\": \"eth1\", \"device\": \"eth1\", \"mtu\": 9000, "
                                    "\"hwAddr\": \"02:00:00:00:00:01\", \"raw_flags\": 128, "
                                    "\"devicePath\": \"01/02\"}}"),
                        VERDICT_ALLOW, "if");
        assert_decision(decide_json(p, s, AGENT_UPDATE_ROUTES, ROUTE("")), VERDICT_ALLOW, "rt");
        assert_decision(decide_json(p, s, AGENT_UPDATE_ROUTES, "{\"routes\": {}}"), VERDICT_ALLOW, "rt");
        assert_decision(decide_json(p, s, AGENT_ADD_ARP_NEIGHBORS, NEIGH("")), VERDICT_ALLOW, "nb");
        for (size_t i = 0; i < ELEMENTSOF(deny); i++) {
                struct decision d = decide_json(p, s, deny[i].id, "%s", deny[i].json);
                if (d.verdict != VERDICT_DENY || strcmp(d.rule_id, deny[i].rule) != 0)
                        fail_msg("%s: got %s (%s), want %s", deny[i].what,
                                 verdict_to_string(d.verdict), d.rule_id, deny[i].rule);
        }
        /* A neighbour's MAC derived from its own IPv4 address. */
        assert_decision(decide_json(derived, s, AGENT_ADD_ARP_NEIGHBORS, NEIGH("")), VERDICT_ALLOW,
                        "requests.AddARPNeighborsRequest");
        assert_decision(decide_json(derived, s, AGENT_ADD_ARP_NEIGHBORS,
                                    NEIGH(", \"lladdr\": \"0a:58:0a:f4:01:63\"")),
                        VERDICT_DENY, "network-neighbor");
        /* Without the section nothing is allowed, an empty route list aside. */
        assert_decision(decide_json(bare, s, AGENT_UPDATE_INTERFACE, ETH0("")), VERDICT_DENY,
                        "network-interface");
        assert_decision(decide_json(bare, s, AGENT_UPDATE_ROUTES, ROUTE("")), VERDICT_DENY,
                        "network-route");
        assert_decision(decide_json(bare, s, AGENT_ADD_ARP_NEIGHBORS, NEIGH("")), VERDICT_DENY,
                        "network-neighbor");
}

/* ---- CopyFile ---- */

static void test_copy_path_normalise(void **state)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "/run/x", "/run/x" },       { "//run///x/", "/run/x" },
                { "/run/./x/.", "/run/x" },   { "/", "/" },
                { "/run/..", NULL },          { "/run/x/../../etc", NULL },
                { "run/x", NULL },            { "", NULL },
                { "/run/..x/y..", "/run/..x/y.." },
        };
        char out[64];

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int r = copy_path_normalise(cases[i].in, strlen(cases[i].in), out, sizeof(out));
                if (!cases[i].out) {
                        assert_int_equal(r, -EINVAL);
                        continue;
                }
                assert_int_equal(r, (int)strlen(cases[i].out));
                assert_string_equal(out, cases[i].out);
        }
        /* Too long for the output: refused, not truncated. */
        assert_int_equal(copy_path_normalise("/aaaaaaaaaa/bbbbbbbbbb", 22, out, 12), -EINVAL);
}

static const char copy_policy[] =
        "version: 1\nrequests:\n  CopyFileRequest: allow\n"
        "copy_file:\n"
        "  - id: shared\n    reason: r\n    path: {regex: \"/run/shared/[a-z]+(/[a-z.]+)*\"}\n"
        "    types: [file, directory, symlink]\n"
        "  - id: tokens\n    reason: r\n    path: {regex: \"/run/tokens/[a-z]+\"}\n";

static void test_copy_file(void **state)
{
        _cleanup_(policy_freep) struct policy *p = load_ok(copy_policy);
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();

        (void)state;
        assert_decision(decide_json(p, s, AGENT_COPY_FILE,
                                    "{\"path\": \"/run/shared/a/b.txt\", \"file_mode\": %u}", 0100644),
                        VERDICT_ALLOW, "shared");
        assert_decision(decide_json(p, s, AGENT_COPY_FILE,
                                    "{\"path\": \"/run/shared//a/./b.txt\", \"file_mode\": 33188}"),
                        VERDICT_ALLOW, "shared");
        assert_decision(decide_json(p, s, AGENT_COPY_FILE,
                                    "{\"path\": \"/run/shared/a/../../tokens/x\", \"file_mode\": 33188}"),
                        VERDICT_DENY, "copy-file-path");
        assert_decision(decide_json(p, s, AGENT_COPY_FILE, "{\"path\": \"/run/tokens/x\", \"file_mode\": %u}",
                                    040755),
                        VERDICT_DENY, "copy-file-unlisted");
        assert_decision(decide_json(p, s, AGENT_COPY_FILE, "{\"path\": \"/run/tokens/x\", \"file_mode\": %u}",
                                    0100600),
                        VERDICT_ALLOW, "tokens");
        /* Special files and set-id bits are never copied. */
        assert_decision(decide_json(p, s, AGENT_COPY_FILE, "{\"path\": \"/run/tokens/x\", \"file_mode\": %u}",
                                    010644),
                        VERDICT_DENY, "copy-file-type");
        assert_decision(decide_json(p, s, AGENT_COPY_FILE, "{\"path\": \"/run/tokens/x\", \"file_mode\": %u}",
                                    0104755),
                        VERDICT_DENY, "copy-file-type");
        /* Container root filesystems are off limits whatever the rules say. */
        assert_decision(decide_json(p, s, AGENT_COPY_FILE,
                                    "{\"path\": \"/run/kata-containers/abc/rootfs/etc/passwd\", "
                                    "\"file_mode\": 33188}"),
                        VERDICT_DENY, "copy-file-rootfs");
        assert_decision(decide_json(p, s, AGENT_COPY_FILE,
                                    "{\"path\": \"/run/kata-containers/shared/containers/abc/rootfs\", "
                                    "\"file_mode\": %u}",
                                    040755),
                        VERDICT_DENY, "copy-file-rootfs");
        /* Symlinks: relative, normalised, landing where the same rule allows. base64("b.txt") */
        assert_decision(decide_json(p, s, AGENT_COPY_FILE,
                                    "{\"path\": \"/run/shared/a/link\", \"file_mode\": %u, "
                                    "\"data\": \"Yi50eHQ=\"}",
                                    0120777),
                        VERDICT_ALLOW, "shared");
        /* "/etc/shadow" */
        assert_decision(decide_json(p, s, AGENT_COPY_FILE,
                                    "{\"path\": \"/run/shared/a/link\", \"file_mode\": %u, "
                                    "\"data\": \"L2V0Yy9zaGFkb3c=\"}",
                                    0120777),
                        VERDICT_DENY, "copy-file-symlink");
        /* "../../tokens/x": escapes its rule's area */
        assert_decision(decide_json(p, s, AGENT_COPY_FILE,
                                    "{\"path\": \"/run/shared/a/link\", \"file_mode\": %u, "
                                    "\"data\": \"Li4vLi4vdG9rZW5zL3g=\"}",
                                    0120777),
                        VERDICT_DENY, "copy-file-symlink");
        /* An empty target */
        assert_decision(decide_json(p, s, AGENT_COPY_FILE,
                                    "{\"path\": \"/run/shared/a/link\", \"file_mode\": %u}", 0120777),
                        VERDICT_DENY, "copy-file-symlink");
}

/* ---- containers and state ---- */

#define IMG "i@sha256:1111111111111111111111111111111111111111111111111111111111111111"

static const char pod_policy[] =
        "version: 1\n"
        "requests:\n"
        "  CreateContainerRequest: allow\n  RemoveContainerRequest: allow\n"
        "  ExecProcessRequest: allow\n  ReadStreamRequest: allow\n  WaitProcessRequest: allow\n"
        "  SignalProcessRequest: allow\n  WriteStreamRequest: allow\n"
        "containers:\n"
        "  - {name: pause, sandbox: true, id: pause, reason: r, image: pause, args: [/pause]}\n"
        "  - name: app\n    id: app\n    reason: r\n    image: \"" IMG "\"\n"
        "    args: [/app, {regex: \"--port=[0-9]+\"}]\n"
        "    env: [A=1, {name: B, value: {one_of: [x, w]}}]\n"
        "    streams: {stdout: allow, stderr: deny}\n"
        "    exec:\n"
        "      - {id: probe, reason: r, argv: [/bin/true], streams: {stdout: allow, stdin: allow}}\n";

/* What containerd sets for an unprivileged container, as privileged: false requires. */
#define DEFAULT_LINUX_PATHS                                                                  \
        "\"MaskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\","     \
        " \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\","                  \
        " \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\"],"                             \
        " \"ReadonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\","         \
        " \"/proc/sysrq-trigger\"]"

/* A CreateContainerRequest; cgroups is Linux.CgroupsPath (NULL: the container's
 * own, as containerd's cgroupfs driver names it). */
static const char *create_json_in(char *buf, size_t len, const char *cid, const char *type,
                                  const char *name, const char *image, const char *args,
                                  const char *env, const char *cgroups)
{
        char own[256];
        int k;

        snprintf(own, sizeof(own), "/kubepods/besteffort/pod1b4e28ba-2fa1-11d2/%s", cid);
        k = snprintf(buf, len,
                 "{\"container_id\": \"%s\", \"exec_id\": \"%s\","
                 " \"storages\": [{\"driver\": \"image_guest_pull\", \"source\": \"%s\","
                 "   \"driver_options\": [\"image_guest_pull={\\\"metadata\\\":"
                 " {\\\"io.kubernetes.cri.container-type\\\": \\\"%s\\\"}}\"],"
                 "   \"fstype\": \"overlay\", \"mount_point\": \"/run/kata-containers/%s/rootfs\"}],"
                 " \"OCI\": {\"Process\": {\"Args\": %s, \"Env\": %s, \"Cwd\": \"/\","
                 "   \"User\": {\"UID\": 0, \"GID\": 0}, \"Capabilities\": {}},"
                 "  \"Root\": {\"Path\": \"/run/kata-containers/%s/rootfs\"},"
                 "  \"Annotations\": {\"io.kubernetes.cri.container-type\": \"%s\","
                 "                   \"io.kubernetes.cri.container-name\": \"%s\"},"
                 "  \"Linux\": {\"CgroupsPath\": \"%s\", " DEFAULT_LINUX_PATHS "}}}",
                 cid, cid, image, type, cid, args, env, cid, type, name, cgroups ? cgroups : own);
        assert_true(k > 0 && (size_t)k < len);
        return buf;
}

static const char *create_json(char *buf, size_t len, const char *cid, const char *type,
                               const char *name, const char *image, const char *args,
                               const char *env)
{
        return create_json_in(buf, len, cid, type, name, image, args, env, NULL);
}

/* Linux.CgroupsPath: the container's own cgroup under kubepods, nothing else. */
static void test_create_cgroups_path(void **state)
{
        static const struct {
                const char *path;
                bool ok;
        } cases[] = {
                { "/kubepods/besteffort/pod1b4e28ba-2fa1-11d2/c1", true },
                { "/kubepods/burstable/pod1b4e28ba-2fa1-11d2/c1", true },
                { "/kubepods/pod1b4e28ba-2fa1-11d2/c1", true },
                { "kubepods-besteffort-pod1b4e28ba_2fa1_11d2.slice:cri-containerd:c1", true },
                { "kubepods-pod1b4e28ba_2fa1_11d2.slice:cri-containerd:c1", true },
                { "", false },
                { "/ccgate", false },                                  /* ccgate's own cgroup */
                { "/kubepods/besteffort/pod1b4e28ba-2fa1-11d2/c2", false }, /* another container's */
                { "/kubepods/besteffort/pod1b4e28ba-2fa1-11d2/../../../ccgate/c1", false },
                { "/kubepods/besteffort/pod/c1", false },
                { "/kubepods/guaranteed/pod1b4e28ba/c1", false },
                { "/kubepods/besteffort/pod1b4e28ba/c1/", false },
                { "kubepods-besteffort-pod1b4e28ba.slice:cri-containerd:c1x", false },
                { "kubepods-besteffort-pod1b4e28ba.slice:docker:c1", false },
                { "system.slice:cri-containerd:c1", false },
        };
        _cleanup_(policy_freep) struct policy *p = load_ok(pod_policy);
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();
        static char buf[48 * 1024];

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct decision d = decide_json(
                        p, s, AGENT_CREATE_CONTAINER, "%s",
                        create_json_in(buf, sizeof(buf), "c1", "container", "app", IMG,
                                       "[\"/app\", \"--port=1\"]", "[]", cases[i].path));
                if (cases[i].ok)
                        assert_decision(d, VERDICT_ALLOW, "app");
                else
                        assert_decision(d, VERDICT_DENY, "app.cgroups_path");
        }
}

static struct decision create(const struct policy *p, const struct policy_state *s,
                              const char *cid, const char *args, const char *env)
{
        static char buf[48 * 1024];
        return decide_json(p, s, AGENT_CREATE_CONTAINER, "%s",
                           create_json(buf, sizeof(buf), cid, "container", "app", IMG, args, env));
}

static void test_create_container(void **state)
{
        _cleanup_(policy_freep) struct policy *p = load_ok(pod_policy);
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();
        char buf[4096];
        struct decision d;

        (void)state;
        d = create(p, s, "c1", "[\"/app\", \"--port=80\"]", "[\"A=1\", \"B=w\"]");
        assert_decision(d, VERDICT_ALLOW, "app");
        assert_int_equal(d.effect.kind, POLICY_EFFECT_BIND_CONTAINER);
        assert_string_equal(d.effect.container_id, "c1");
        assert_int_equal(d.effect.entry, 1);

        assert_decision(create(p, s, "c1", "[\"/app\", \"--port=80x\"]", "[]"), VERDICT_DENY,
                        "app.args");
        assert_decision(create(p, s, "c1", "[\"/app\"]", "[]"), VERDICT_DENY, "app.args");
        assert_decision(create(p, s, "c1", "[\"/app\", \"--port=1\"]", "[\"B=z\"]"), VERDICT_DENY,
                        "app.env");
        assert_decision(create(p, s, "c1", "[\"/app\", \"--port=1\"]", "[\"C=1\"]"), VERDICT_DENY,
                        "app.env");
        assert_decision(create(p, s, "c1", "[\"/app\", \"--port=1\"]", "[\"A\"]"), VERDICT_DENY,
                        "app.env");
        /* Ids become guest paths: plain names of bounded length only. */
        assert_decision(create(p, s, "../c1", "[\"/app\", \"--port=1\"]", "[]"), VERDICT_DENY,
                        "container-id");
        memset(buf, 'a', POLICY_ID_MAX + 1);
        buf[POLICY_ID_MAX + 1] = '\0';
        assert_decision(create(p, s, buf, "[\"/app\", \"--port=1\"]", "[]"), VERDICT_DENY,
                        "container-id");
        buf[POLICY_ID_MAX] = '\0';
        assert_decision(create(p, s, buf, "[\"/app\", \"--port=1\"]", "[]"), VERDICT_ALLOW, "app");

        /* Chosen by the runtime's annotations: other names, types or none are not ours. */
        assert_decision(decide_json(p, s, AGENT_CREATE_CONTAINER, "%s",
                                    create_json(buf, sizeof(buf), "c2", "container", "debug", IMG,
                                                "[\"/app\", \"--port=1\"]", "[]")),
                        VERDICT_DENY, "unknown-container");
        assert_decision(decide_json(p, s, AGENT_CREATE_CONTAINER, "%s",
                                    create_json(buf, sizeof(buf), "c2", "weird", "app", IMG,
                                                "[\"/app\", \"--port=1\"]", "[]")),
                        VERDICT_DENY, "unknown-container");
        assert_decision(decide_json(p, s, AGENT_CREATE_CONTAINER, "%s",
                                    create_json(buf, sizeof(buf), "c2", "container", "app",
                                                "i@sha256:2222222222222222222222222222222222222222222222222222222222222222",
                                                "[\"/app\", \"--port=1\"]", "[]")),
                        VERDICT_DENY, "app.image");
        assert_decision(decide_json(p, s, AGENT_CREATE_CONTAINER, "{\"container_id\": \"c3\"}"),
                        VERDICT_DENY, "container-spec");
}

/* Appends to buf[*len] the varint v. */
static void put_varint(uint8_t *buf, size_t cap, size_t *len, uint64_t v)
{
        do {
                assert_true(*len < cap);
                buf[(*len)++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
                v >>= 7;
        } while (v);
}

/* Appends a length-delimited field. */
static void put_bytes(uint8_t *buf, size_t cap, size_t *len, uint32_t field, const void *p,
                      size_t n)
{
        put_varint(buf, cap, len, (uint64_t)field << 3 | 2);
        put_varint(buf, cap, len, n);
        assert_true(n <= cap - *len);
        memcpy(buf + *len, p, n);
        *len += n;
}

static uint32_t field_id(const ProtobufCMessageDescriptor *d, const char *name)
{
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, name);
        assert_non_null(f);
        return f->id;
}

/*
 * A CreateContainer whose OCI annotations carry container-name twice: `first`
 * in the message pbjson builds, then `last` in a second OCI field appended to
 * its bytes (which protobuf merges into the first). Decided as the agent
 * reads it: the last value of a map key wins.
 */
static struct decision create_twice_named(const struct policy *p, const struct policy_state *s,
                                          const char *first, const char *last)
{
        const struct agent_method *m = agent_method_get(AGENT_CREATE_CONTAINER);
        const ProtobufCFieldDescriptor *oci_f =
                protobuf_c_message_descriptor_get_field_by_name(m->request, "OCI");
        const ProtobufCMessageDescriptor *spec = oci_f->descriptor;
        const ProtobufCMessageDescriptor *entry =
                protobuf_c_message_descriptor_get_field_by_name(spec, "Annotations")->descriptor;
        static uint8_t bytes[64 * 1024];
        static char text[48 * 1024];
        uint8_t e[256], o[512];
        size_t len, el = 0, ol = 0;
        ProtobufCMessage *msg = NULL;
        struct decision d;
        char err[256];
        json_t *j;

        j = json_loads(create_json(text, sizeof(text), "c9", "container", first, IMG,
                                   "[\"/app\", \"--port=1\"]", "[]"),
                       0, NULL);
        assert_non_null(j);
        assert_int_equal(pbjson_to_message(m->request, j, &msg, err, sizeof(err)), 0);
        json_decref(j);
        len = protobuf_c_message_get_packed_size(msg);
        assert_true(len < sizeof(bytes) / 2);
        protobuf_c_message_pack(msg, bytes);
        protobuf_c_message_free_unpacked(msg, NULL);

        put_bytes(e, sizeof(e), &el, field_id(entry, "key"), "io.kubernetes.cri.container-name",
                  strlen("io.kubernetes.cri.container-name"));
        put_bytes(e, sizeof(e), &el, field_id(entry, "value"), last, strlen(last));
        put_bytes(o, sizeof(o), &ol, field_id(spec, "Annotations"), e, el);
        put_bytes(bytes, sizeof(bytes), &len, oci_f->id, o, ol);

        msg = protobuf_c_message_unpack(m->request, NULL, len, bytes);
        assert_non_null(msg);
        assert_int_equal(policy_decide(p, s, m, msg, &d), 0);
        protobuf_c_message_free_unpacked(msg, NULL);
        return d;
}

static void test_create_duplicate_annotation(void **state)
{
        _cleanup_(policy_freep) struct policy *p = load_ok(pod_policy);
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();

        (void)state;
        assert_decision(create_twice_named(p, s, "debug", "app"), VERDICT_ALLOW, "app");
        assert_decision(create_twice_named(p, s, "app", "debug"), VERDICT_DENY,
                        "unknown-container");
}

static void apply(struct policy_state *s, const struct decision *d)
{
        assert_int_equal(policy_state_apply(s, &d->effect), 0);
}

static void test_state_lifecycle(void **state)
{
        _cleanup_(policy_freep) struct policy *p = load_ok(pod_policy);
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();
        char buf[4096];
        struct decision d;

        (void)state;
        /* Nothing is bound until the agent said OK (the effect was applied). */
        d = create(p, s, "c1", "[\"/app\", \"--port=80\"]", "[]");
        assert_decision(decide_json(p, s, AGENT_EXEC_PROCESS,
                                    "{\"container_id\": \"c1\", \"exec_id\": \"e1\","
                                    " \"process\": {\"Args\": [\"/bin/true\"], \"Cwd\": \"/\"}}"),
                        VERDICT_DENY, "unknown-container-id");
        apply(s, &d);
        /* The container's own streams. */
        assert_decision(decide_json(p, s, AGENT_READ_STDOUT, "{\"container_id\": \"c1\", \"exec_id\": \"c1\"}"),
                        VERDICT_ALLOW, "app.streams.stdout");
        d = decide_json(p, s, AGENT_READ_STDERR, "{\"container_id\": \"c1\", \"exec_id\": \"c1\"}");
        assert_decision(d, VERDICT_DENY, "app.streams.stderr");
        assert_true(d.drain);
        assert_decision(decide_json(p, s, AGENT_WRITE_STDIN, "{\"container_id\": \"c1\", \"exec_id\": \"c1\"}"),
                        VERDICT_DENY, "app.streams.stdin");

        /* Exec: only the listed argv; its streams follow the exec entry. */
        assert_decision(decide_json(p, s, AGENT_EXEC_PROCESS,
                                    "{\"container_id\": \"c1\", \"exec_id\": \"e1\","
                                    " \"process\": {\"Args\": [\"/bin/sh\"], \"Cwd\": \"/\"}}"),
                        VERDICT_DENY, "app.exec");
        assert_decision(decide_json(p, s, AGENT_EXEC_PROCESS,
                                    "{\"container_id\": \"c1\", \"exec_id\": \"c1\","
                                    " \"process\": {\"Args\": [\"/bin/true\"], \"Cwd\": \"/\"}}"),
                        VERDICT_DENY, "container-id");
        assert_decision(decide_json(p, s, AGENT_EXEC_PROCESS,
                                    "{\"container_id\": \"c1\", \"exec_id\": \"e1\", \"string_user\": {\"uid\": \"0\"},"
                                    " \"process\": {\"Args\": [\"/bin/true\"], \"Cwd\": \"/\"}}"),
                        VERDICT_DENY, "app.process");
        d = decide_json(p, s, AGENT_EXEC_PROCESS,
                        "{\"container_id\": \"c1\", \"exec_id\": \"e1\","
                        " \"process\": {\"Args\": [\"/bin/true\"], \"Cwd\": \"/\"}}");
        assert_decision(d, VERDICT_ALLOW, "probe");
        assert_int_equal(d.effect.kind, POLICY_EFFECT_ADD_EXEC);
        /* Not yet applied: its streams are unknown. */
        d = decide_json(p, s, AGENT_READ_STDOUT, "{\"container_id\": \"c1\", \"exec_id\": \"e1\"}");
        assert_decision(d, VERDICT_DENY, "unknown-exec-id");
        assert_true(d.drain);
        d = decide_json(p, s, AGENT_EXEC_PROCESS,
                        "{\"container_id\": \"c1\", \"exec_id\": \"e1\","
                        " \"process\": {\"Args\": [\"/bin/true\"], \"Cwd\": \"/\"}}");
        apply(s, &d);
        assert_decision(decide_json(p, s, AGENT_READ_STDOUT, "{\"container_id\": \"c1\", \"exec_id\": \"e1\"}"),
                        VERDICT_ALLOW, "probe.streams.stdout");
        d = decide_json(p, s, AGENT_READ_STDERR, "{\"container_id\": \"c1\", \"exec_id\": \"e1\"}");
        assert_decision(d, VERDICT_DENY, "probe.streams.stderr");
        assert_true(d.drain);
        assert_decision(decide_json(p, s, AGENT_WRITE_STDIN, "{\"container_id\": \"c1\", \"exec_id\": \"e1\"}"),
                        VERDICT_ALLOW, "probe.streams.stdin");
        assert_decision(decide_json(p, s, AGENT_WAIT_PROCESS, "{\"container_id\": \"c1\", \"exec_id\": \"e1\"}"),
                        VERDICT_ALLOW, "requests.WaitProcessRequest");
        assert_decision(decide_json(p, s, AGENT_WAIT_PROCESS, "{\"container_id\": \"c1\", \"exec_id\": \"e2\"}"),
                        VERDICT_DENY, "unknown-exec-id");
        /* The same exec id twice is refused (kata would clash on it). */
        assert_decision(decide_json(p, s, AGENT_EXEC_PROCESS,
                                    "{\"container_id\": \"c1\", \"exec_id\": \"e1\","
                                    " \"process\": {\"Args\": [\"/bin/true\"], \"Cwd\": \"/\"}}"),
                        VERDICT_DENY, "container-id");
        /* A live id cannot be created again. */
        assert_decision(create(p, s, "c1", "[\"/app\", \"--port=80\"]", "[]"), VERDICT_DENY,
                        "container-id");

        /* Removal: the id and its execs are unusable afterwards; a read of it is not drained. */
        d = decide_json(p, s, AGENT_REMOVE_CONTAINER, "{\"container_id\": \"c1\"}");
        assert_decision(d, VERDICT_ALLOW, "requests.RemoveContainerRequest");
        assert_int_equal(d.effect.kind, POLICY_EFFECT_UNBIND_CONTAINER);
        apply(s, &d);
        d = decide_json(p, s, AGENT_READ_STDOUT, "{\"container_id\": \"c1\", \"exec_id\": \"e1\"}");
        assert_decision(d, VERDICT_DENY, "unknown-container-id");
        assert_false(d.drain);
        assert_decision(decide_json(p, s, AGENT_SIGNAL_PROCESS, "{\"container_id\": \"c1\", \"signal\": 9}"),
                        VERDICT_DENY, "unknown-container-id");

        /* The sandbox container is created once. */
        d = decide_json(p, s, AGENT_CREATE_CONTAINER, "%s",
                        create_json(buf, sizeof(buf), "sb", "sandbox", "", "pause", "[\"/pause\"]", "[]"));
        assert_decision(d, VERDICT_ALLOW, "pause");
        apply(s, &d);
        assert_decision(decide_json(p, s, AGENT_CREATE_CONTAINER, "%s",
                                    create_json(buf, sizeof(buf), "sb2", "sandbox", "", "pause",
                                                "[\"/pause\"]", "[]")),
                        VERDICT_DENY, "pause.once");
}

static void test_state_limits(void **state)
{
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();
        _cleanup_(policy_freep) struct policy *p = load_ok(pod_policy);
        struct policy_effect e = { .kind = POLICY_EFFECT_BIND_CONTAINER, .entry = 1 };
        unsigned i;

        (void)state;
        for (i = 0; i < 256; i++) {
                snprintf(e.container_id, sizeof(e.container_id), "c%u", i);
                assert_int_equal(policy_state_apply(s, &e), 0);
        }
        snprintf(e.container_id, sizeof(e.container_id), "c%u", i);
        assert_int_equal(policy_state_apply(s, &e), -ENOSPC);
        /* Rebinding a known id is no new entry. */
        snprintf(e.container_id, sizeof(e.container_id), "c7");
        assert_int_equal(policy_state_apply(s, &e), 0);
        /* Removing one makes room again. */
        e.kind = POLICY_EFFECT_UNBIND_CONTAINER;
        assert_int_equal(policy_state_apply(s, &e), 0);
        e.kind = POLICY_EFFECT_BIND_CONTAINER;
        snprintf(e.container_id, sizeof(e.container_id), "new");
        assert_int_equal(policy_state_apply(s, &e), 0);
        assert_decision(decide_json(p, s, AGENT_READ_STDOUT, "{\"container_id\": \"new\", \"exec_id\": \"new\"}"),
                        VERDICT_ALLOW, "app.streams.stdout");
        assert_decision(decide_json(p, s, AGENT_READ_STDOUT, "{\"container_id\": \"c7\", \"exec_id\": \"c7\"}"),
                        VERDICT_DENY, "unknown-container-id");
        assert_decision(decide_json(p, s, AGENT_READ_STDOUT, "{\"container_id\": \"c200\", \"exec_id\": \"c200\"}"),
                        VERDICT_ALLOW, "app.streams.stdout");

        /* Exec ids: the oldest is forgotten when the table comes round (probes make new
         * ones forever); the newest stay usable. */
        for (i = 0; i < 1100; i++) {
                char eid[32];
                snprintf(eid, sizeof(eid), "e%u", i);
                assert_int_equal(policy_state_exec_named(p, s, "c1", eid, "probe"), 0);
        }
        assert_decision(decide_json(p, s, AGENT_READ_STDOUT, "{\"container_id\": \"c1\", \"exec_id\": \"e1099\"}"),
                        VERDICT_ALLOW, "probe.streams.stdout");
        assert_decision(decide_json(p, s, AGENT_READ_STDOUT, "{\"container_id\": \"c1\", \"exec_id\": \"e76\"}"),
                        VERDICT_ALLOW, "probe.streams.stdout");
        assert_decision(decide_json(p, s, AGENT_READ_STDOUT, "{\"container_id\": \"c1\", \"exec_id\": \"e75\"}"),
                        VERDICT_DENY, "unknown-exec-id");
        assert_decision(decide_json(p, s, AGENT_READ_STDOUT, "{\"container_id\": \"c1\", \"exec_id\": \"e0\"}"),
                        VERDICT_DENY, "unknown-exec-id");

        /* Effects carrying ids longer than the state holds are refused. */
        memset(e.container_id, 'x', sizeof(e.container_id));
        assert_int_equal(policy_state_apply(s, &e), -EINVAL);
}

/* Audit mode forwards a denied CreateContainer; its binding must follow so that later
 * requests are decided against the right container (and audited as such). */
static void test_denied_create_carries_binding(void **state)
{
        _cleanup_(policy_freep) struct policy *p = load_ok(pod_policy);
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();
        struct decision d;

        (void)state;
        d = create(p, s, "c9", "[\"/bin/sh\"]", "[]");
        assert_decision(d, VERDICT_DENY, "app.args");
        assert_int_equal(d.effect.kind, POLICY_EFFECT_BIND_CONTAINER);
        assert_int_equal(d.effect.entry, 1);
}

/* Likewise a removal the table refuses still forgets the id when it goes through. */
static void test_denied_remove_carries_unbinding(void **state)
{
        _cleanup_(policy_freep) struct policy *p = load_ok(
                "version: 1\nrequests: {RemoveContainerRequest: deny}\ncontainers:\n"
                "  - {name: app, id: app, reason: r, image: \"" IMG "\", args: [/app]}\n");
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();
        struct decision d;

        (void)state;
        d = decide_json(p, s, AGENT_REMOVE_CONTAINER, "{\"container_id\": \"c1\"}");
        assert_decision(d, VERDICT_DENY, "requests.RemoveContainerRequest");
        assert_int_equal(d.effect.kind, POLICY_EFFECT_UNBIND_CONTAINER);
        assert_string_equal(d.effect.container_id, "c1");
}

/* Without a containers section, the table alone decides (the first format). */
static void test_table_only(void **state)
{
        _cleanup_(policy_freep) struct policy *p =
                load_ok("version: 1\nrequests: {ExecProcessRequest: allow, ReadStreamRequest: deny}\n");
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();
        struct decision d;

        (void)state;
        assert_false(policy_has_containers(p));
        assert_decision(decide_json(p, s, AGENT_EXEC_PROCESS, "{\"container_id\": \"x\", \"exec_id\": \"y\"}"),
                        VERDICT_ALLOW, "requests.ExecProcessRequest");
        d = decide_json(p, s, AGENT_READ_STDOUT, "{\"container_id\": \"x\", \"exec_id\": \"y\"}");
        assert_decision(d, VERDICT_DENY, "requests.ReadStreamRequest");
        assert_true(d.drain);
}

/* Equal regexes are compiled once; many distinct ones grow the index. Both must
 * still match what they say. */
static void test_many_regexes(void **state)
{
        static char yaml[64 * 1024], req[32 * 1024];
        size_t off = 0, roff = 0;
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();
        struct policy *p;

        (void)state;
        off += (size_t)snprintf(yaml + off, sizeof(yaml) - off,
                                "version: 1\nrequests: {CreateContainerRequest: allow}\n"
                                "containers:\n  - name: app\n    id: app\n    reason: r\n"
                                "    image: \"" IMG "\"\n    args: [/app, --port=1]\n    env:\n");
        roff += (size_t)snprintf(req + roff, sizeof(req) - roff, "[");
        for (int i = 0; i < 300; i++) {
                off += (size_t)snprintf(yaml + off, sizeof(yaml) - off,
                                        "      - {name: S%d, value: {regex: \"[0-9]+\"}}\n"
                                        "      - {name: D%d, value: {regex: \"d%d-[a-z]+\"}}\n",
                                        i, i, i);
                roff += (size_t)snprintf(req + roff, sizeof(req) - roff,
                                         "%s\"S%d=%d\", \"D%d=d%d-x\"", i ? ", " : "", i, i, i, i);
        }
        roff += (size_t)snprintf(req + roff, sizeof(req) - roff, "]");
        p = load_ok(yaml);
        assert_decision(create(p, s, "c1", "[\"/app\", \"--port=1\"]", req), VERDICT_ALLOW, "app");
        /* D7's regex is d7-..., not d8-... */
        assert_decision(create(p, s, "c1", "[\"/app\", \"--port=1\"]", "[\"D7=d8-x\"]"),
                        VERDICT_DENY, "app.env");
        assert_decision(create(p, s, "c1", "[\"/app\", \"--port=1\"]", "[\"S7=x\"]"),
                        VERDICT_DENY, "app.env");
        policy_free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bad_full_policies),
                cmocka_unit_test(test_regex_anchored),
                cmocka_unit_test(test_regex_match_limit),
                cmocka_unit_test(test_field_rules),
                cmocka_unit_test(test_sandbox_section),
                cmocka_unit_test(test_network_section),
                cmocka_unit_test(test_copy_path_normalise),
                cmocka_unit_test(test_copy_file),
                cmocka_unit_test(test_create_container),
                cmocka_unit_test(test_create_duplicate_annotation),
                cmocka_unit_test(test_create_cgroups_path),
                cmocka_unit_test(test_state_lifecycle),
                cmocka_unit_test(test_state_limits),
                cmocka_unit_test(test_denied_create_carries_binding),
                cmocka_unit_test(test_denied_remove_carries_unbinding),
                cmocka_unit_test(test_table_only),
                cmocka_unit_test(test_many_regexes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent.pb-c.h"
#include "agent_api.h"
#include "cleanup.h"
#include "fill.h"
#include "health.pb-c.h"
#include "pbjson.h"
#include "pbjson_test.pb-c.h"

static void free_msg(ProtobufCMessage **m)
{
        if (*m)
                protobuf_c_message_free_unpacked(*m, NULL);
}
#define _cleanup_msg_ _cleanup_(free_msg)

static json_t *parse(const char *text)
{
        json_error_t e;
        json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);

        if (!j)
                fail_msg("bad test JSON %s: %s", text, e.text);
        return j;
}

/* Convert JSON text to a message of type d; the test fails unless it works. */
static ProtobufCMessage *from_text(const ProtobufCMessageDescriptor *d, const char *text)
{
        json_auto_t *j = parse(text);
        ProtobufCMessage *m = NULL;
        char err[256];
        int r = pbjson_to_message(d, j, &m, err, sizeof(err));

        if (r < 0)
                fail_msg("%s: %d %s", text, r, err);
        return m;
}

static void assert_same_encoding(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
        _cleanup_free_ uint8_t *wa = NULL, *wb = NULL;
        size_t na, nb;

        wa = fill_pack(a, &na);
        wb = fill_pack(b, &nb);
        assert_int_equal(na, nb);
        assert_memory_equal(wa, wb, na);
}

/* Every request type, fully populated, survives message -> JSON text -> message. */
static void test_roundtrip_every_request(void **state)
{
        (void)state;
        for (int id = 0; id < _AGENT_METHOD_MAX; id++) {
                const struct agent_method *m = agent_method_get((enum agent_method_id)id);
                _cleanup_msg_ ProtobufCMessage *orig = fill_message(m->request);
                _cleanup_msg_ ProtobufCMessage *back = NULL;
                _cleanup_free_ char *text = NULL;
                json_auto_t *j = pbjson_from_message(orig);
                json_auto_t *j2 = NULL;
                char err[256];

                assert_non_null(j);
                text = json_dumps(j, JSON_COMPACT);
                assert_non_null(text);
                j2 = parse(text);
                if (pbjson_to_message(m->request, j2, &back, err, sizeof(err)) < 0)
                        fail_msg("%s: %s", m->request_name, err);
                assert_ptr_equal(back->descriptor, m->request);
                assert_same_encoding(orig, back);
                assert_true(m->request->n_fields == 0 || json_object_size(j) == m->request->n_fields ||
                            m->request == &grpc__mem_agent_memcg_config__descriptor ||
                            m->request == &grpc__mem_agent_compact_config__descriptor);
        }
}

static void test_create_container_from_json(void **state)
{
        _cleanup_msg_ ProtobufCMessage *m = NULL;
        const Grpc__CreateContainerRequest *r;
        json_auto_t *back = NULL;

        (void)state;
        m = from_text(&grpc__create_container_request__descriptor,
                      "{\"container_id\": \"c1\", \"stdout_port\": \"1025\", \"sandbox_pidns\": true,"
                      " \"OCI\": {\"Version\": \"1.1.0\","
                      "   \"Process\": {\"Args\": [\"/bin/sh\", \"-c\", \"true\"], \"Terminal\": false,"
                      "                 \"User\": {\"UID\": 1000, \"AdditionalGids\": [4, 5]},"
                      "                 \"Capabilities\": {\"Bounding\": [\"CAP_CHOWN\"]},"
                      "                 \"OOMScoreAdj\": -999},"
                      "   \"Annotations\": {\"io.kubernetes.cri.sandbox-id\": \"abc\", \"b\": \"\"},"
                      "   \"Linux\": {\"Sysctl\": {}, \"Seccomp\": {\"Syscalls\": ["
                      "       {\"Names\": [\"ptrace\"], \"errnoret\": 1}, {\"Names\": [\"read\"]}]}}},"
                      " \"storages\": [{\"driver\": \"virtio-fs\", \"fs_group\": {\"group_id\": 7,"
                      "     \"group_change_policy\": \"OnRootMismatch\"}}, {\"fs_group\": null}],"
                      " \"string_user\": null}");
        r = (const Grpc__CreateContainerRequest *)m;
        assert_string_equal(r->container_id, "c1");
        assert_int_equal(r->stdout_port, 1025);
        assert_true(r->sandbox_pidns);
        assert_null(r->string_user);
        assert_string_equal(r->oci->version, "1.1.0");
        assert_int_equal(r->oci->process->n_args, 3);
        assert_string_equal(r->oci->process->args[2], "true");
        assert_int_equal(r->oci->process->user->uid, 1000);
        assert_int_equal(r->oci->process->user->n_additionalgids, 2);
        assert_int_equal(r->oci->process->user->additionalgids[1], 5);
        assert_string_equal(r->oci->process->capabilities->bounding[0], "CAP_CHOWN");
        assert_int_equal(r->oci->process->oomscoreadj, -999);
        assert_int_equal(r->oci->n_annotations, 2);
        assert_string_equal(r->oci->annotations[0]->key, "io.kubernetes.cri.sandbox-id");
        assert_string_equal(r->oci->annotations[0]->value, "abc");
        assert_string_equal(r->oci->annotations[1]->value, "");
        assert_int_equal(r->oci->linux->n_sysctl, 0);
        assert_int_equal(r->oci->linux->seccomp->n_syscalls, 2);
        assert_int_equal(r->oci->linux->seccomp->syscalls[0]->errno_ret_case,
                         GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET);
        assert_int_equal(r->oci->linux->seccomp->syscalls[0]->errnoret, 1);
        assert_int_equal(r->oci->linux->seccomp->syscalls[1]->errno_ret_case,
                         GRPC__LINUX_SYSCALL__ERRNO_RET__NOT_SET);
        assert_int_equal(r->n_storages, 2);
        assert_int_equal(r->storages[0]->fs_group->group_id, 7);
        assert_int_equal(r->storages[0]->fs_group->group_change_policy,
                         TYPES__FSGROUP_CHANGE_POLICY__OnRootMismatch);
        assert_null(r->storages[1]->fs_group);

        /* Back out: names as in the .proto, defaults left out, enums by name. */
        back = pbjson_from_message(m);
        assert_non_null(back);
        assert_string_equal(json_string_value(json_object_get(back, "container_id")), "c1");
        assert_int_equal(json_integer_value(json_object_get(back, "stdout_port")), 1025);
        assert_null(json_object_get(back, "stdin_port"));
        assert_null(json_object_get(back, "string_user"));
        assert_string_equal(json_string_value(json_object_get(
                                    json_object_get(json_array_get(json_object_get(back, "storages"), 0),
                                                    "fs_group"),
                                    "group_change_policy")),
                            "OnRootMismatch");
        {
                json_t *oci = json_object_get(back, "OCI");
                json_t *ann = json_object_get(oci, "Annotations");

                assert_true(json_is_object(ann));
                assert_string_equal(json_string_value(json_object_get(ann, "io.kubernetes.cri.sandbox-id")),
                                    "abc");
                assert_null(json_object_get(json_object_get(oci, "Process"), "Terminal"));
                assert_null(json_object_get(json_object_get(oci, "Linux"), "Sysctl"));
                /* The oneof member is present exactly when chosen, even at zero. */
                assert_int_equal(json_integer_value(json_object_get(
                                         json_array_get(json_object_get(json_object_get(json_object_get(
                                                                                oci, "Linux"),
                                                                        "Seccomp"),
                                                        "Syscalls"),
                                                        0),
                                         "errnoret")),
                                 1);
        }
}

static void test_scalars(void **state)
{
        _cleanup_msg_ ProtobufCMessage *a = NULL, *b = NULL, *c = NULL, *d = NULL;
        json_auto_t *ja = NULL, *jb = NULL, *jc = NULL;

        (void)state;
        /* 64-bit extremes, as integers and as strings. */
        a = from_text(&grpc__set_guest_date_time_request__descriptor,
                      "{\"Sec\": \"-9223372036854775808\", \"Usec\": 9223372036854775807}");
        assert_int_equal(((Grpc__SetGuestDateTimeRequest *)a)->sec, INT64_MIN);
        assert_int_equal(((Grpc__SetGuestDateTimeRequest *)a)->usec, INT64_MAX);
        ja = pbjson_from_message(a);
        assert_int_equal(json_integer_value(json_object_get(ja, "Sec")), INT64_MIN);

        /* uint64 above INT64_MAX only fits a string, and comes back out as one. */
        b = from_text(&grpc__mem_hotplug_by_probe_request__descriptor,
                      "{\"memHotplugProbeAddr\": [\"18446744073709551615\", 0, \"42\"]}");
        assert_int_equal(((Grpc__MemHotplugByProbeRequest *)b)->memhotplugprobeaddr[0], UINT64_MAX);
        assert_int_equal(((Grpc__MemHotplugByProbeRequest *)b)->memhotplugprobeaddr[2], 42);
        jb = pbjson_from_message(b);
        assert_string_equal(json_string_value(json_array_get(json_object_get(jb, "memHotplugProbeAddr"), 0)),
                            "18446744073709551615");
        assert_int_equal(json_integer_value(json_array_get(json_object_get(jb, "memHotplugProbeAddr"), 1)), 0);

        /* bytes: base64 both ways, URL-safe and unpadded accepted on input. */
        c = from_text(&grpc__write_stream_request__descriptor, "{\"data\": \"Zm9vYmE_-w\"}");
        assert_int_equal(((Grpc__WriteStreamRequest *)c)->data.len, 7);
        assert_memory_equal(((Grpc__WriteStreamRequest *)c)->data.data, "fooba?\xfb", 7);
        jc = pbjson_from_message(c);
        assert_string_equal(json_string_value(json_object_get(jc, "data")), "Zm9vYmE/+w==");

        /* Explicit presence: set-to-zero is kept, unset is left out. */
        d = from_text(&grpc__mem_agent_memcg_config__descriptor,
                      "{\"disabled\": false, \"swappiness_max\": 0, \"period_secs\": null}");
        {
                const Grpc__MemAgentMemcgConfig *mc = (const Grpc__MemAgentMemcgConfig *)d;
                json_auto_t *jd = pbjson_from_message(d);

                assert_int_equal(mc->opt_disabled_case, GRPC__MEM_AGENT_MEMCG_CONFIG__OPT_DISABLED_DISABLED);
                assert_int_equal(mc->opt_swappiness_max_case,
                                 GRPC__MEM_AGENT_MEMCG_CONFIG__OPT_SWAPPINESS_MAX_SWAPPINESS_MAX);
                assert_int_equal(mc->opt_period_secs_case,
                                 GRPC__MEM_AGENT_MEMCG_CONFIG__OPT_PERIOD_SECS__NOT_SET);
                assert_int_equal(json_object_size(jd), 2);
                assert_true(json_is_false(json_object_get(jd, "disabled")));
                assert_int_equal(json_integer_value(json_object_get(jd, "swappiness_max")), 0);
        }
}

static void test_enums(void **state)
{
        _cleanup_msg_ ProtobufCMessage *m = NULL;
        Types__Route *rt;
        json_auto_t *j = NULL;

        (void)state;
        m = from_text(&grpc__update_routes_request__descriptor,
                      "{\"routes\": {\"Routes\": [{\"family\": \"v6\"}, {\"family\": 1},"
                      " {\"family\": 7}, {\"family\": \"v4\"}]}}");
        rt = ((Grpc__UpdateRoutesRequest *)m)->routes->routes[0];
        assert_int_equal(rt->family, TYPES__IPFAMILY__v6);
        assert_int_equal(((Grpc__UpdateRoutesRequest *)m)->routes->routes[1]->family, 1);
        /* Open enum: an unnamed number is kept, and comes back as a number. */
        assert_int_equal(((Grpc__UpdateRoutesRequest *)m)->routes->routes[2]->family, 7);
        j = pbjson_from_message(m);
        {
                json_t *routes = json_object_get(json_object_get(j, "routes"), "Routes");

                assert_string_equal(json_string_value(json_object_get(json_array_get(routes, 1), "family")),
                                    "v6");
                assert_int_equal(json_integer_value(json_object_get(json_array_get(routes, 2), "family")), 7);
                /* v4 is the default (0): left out. */
                assert_int_equal(json_object_size(json_array_get(routes, 3)), 0);
        }
}

/* A table of bad inputs and the exact error each gives. */
static void test_errors(void **state)
{
        static const struct {
                const ProtobufCMessageDescriptor *d;
                const char *json;
                int r;
                const char *err;
        } bad[] = {
#define CC &grpc__create_container_request__descriptor
                { CC, "{\"OCI\": {\"Process\": {\"Args\": [\"a\", \"b\", 3]}}}", -EINVAL,
                  "OCI.Process.Args[2]: expected string, got an integer" },
                { CC, "[]", -EINVAL,
                  "(top level): expected an object (CreateContainerRequest), got an array" },
                { CC, "{\"container_idx\": \"a\"}", -EINVAL,
                  "container_idx: unknown field of grpc.CreateContainerRequest" },
                { CC, "{\"ContainerId\": \"a\"}", -EINVAL,
                  "ContainerId: unknown field of grpc.CreateContainerRequest" },
                { CC, "{\"oci\": {}}", -EINVAL, "oci: unknown field of grpc.CreateContainerRequest" },
                { CC, "{\"OCI\": {\"Process\": {\"Capabilities\": {\"Bounding\": [], \"Ambiant\": []}}}}",
                  -EINVAL, "OCI.Process.Capabilities.Ambiant: unknown field of grpc.LinuxCapabilities" },
                { CC, "{\"OCI\": {\"Process\": \"sh\"}}", -EINVAL,
                  "OCI.Process: expected an object (Process), got a string" },
                { CC, "{\"OCI\": {\"Process\": {\"Args\": \"sh\"}}}", -EINVAL,
                  "OCI.Process.Args: expected an array, got a string" },
                { CC, "{\"OCI\": {\"Process\": {\"Args\": [\"sh\", null]}}}", -EINVAL,
                  "OCI.Process.Args[1]: null is not allowed in an array" },
                { CC, "{\"container_id\": \"a\\u0000b\"}", -EINVAL,
                  "container_id: string contains a NUL character" },
                { CC, "{\"OCI\": {\"Annotations\": {\"k\": 1}}}", -EINVAL,
                  "OCI.Annotations[\"k\"]: expected string, got an integer" },
                { CC, "{\"OCI\": {\"Annotations\": {\"k\": null}}}", -EINVAL,
                  "OCI.Annotations[\"k\"]: null is not allowed as a map value" },
                { CC, "{\"OCI\": {\"Annotations\": [\"k\"]}}", -EINVAL,
                  "OCI.Annotations: expected an object (a map), got an array" },
                { CC, "{\"stdout_port\": 4294967296}", -EINVAL, "stdout_port: integer out of range" },
                { CC, "{\"stdout_port\": -1}", -EINVAL, "stdout_port: integer out of range" },
                { CC, "{\"stdout_port\": \"-1\"}", -EINVAL, "stdout_port: integer out of range" },
                { CC, "{\"stdout_port\": 1.5}", -EINVAL,
                  "stdout_port: expected an integer, got a real number" },
                { CC, "{\"stdout_port\": \"+1\"}", -EINVAL,
                  "stdout_port: expected an integer, got \"+1\"" },
                { CC, "{\"stdout_port\": \" 1\"}", -EINVAL,
                  "stdout_port: expected an integer, got \" 1\"" },
                { CC, "{\"stdout_port\": \"\"}", -EINVAL, "stdout_port: expected an integer, got \"\"" },
                { CC, "{\"stdout_port\": true}", -EINVAL,
                  "stdout_port: expected an integer, got a boolean" },
                { CC, "{\"sandbox_pidns\": 1}", -EINVAL,
                  "sandbox_pidns: expected true or false, got an integer" },
                { CC, "{\"storages\": [{}, {\"fs_group\": {\"group_change_policy\": \"always\"}}]}",
                  -EINVAL,
                  "storages[1].fs_group.group_change_policy: \"always\" is not a value of "
                  "types.FSGroupChangePolicy" },
                { CC, "{\"storages\": [{\"fs_group\": {\"group_change_policy\": 2147483648}}]}", -EINVAL,
                  "storages[0].fs_group.group_change_policy: integer out of range" },
                { CC, "{\"storages\": [{\"fs_group\": {\"group_change_policy\": 1.0}}]}", -EINVAL,
                  "storages[0].fs_group.group_change_policy: expected an enum name or number, got a "
                  "real number" },
#undef CC
                { &grpc__set_guest_date_time_request__descriptor, "{\"Sec\": \"9223372036854775808\"}",
                  -EINVAL, "Sec: integer out of range" },
                { &grpc__set_guest_date_time_request__descriptor, "{\"Usec\": \"-9223372036854775809\"}",
                  -EINVAL, "Usec: integer out of range" },
                { &grpc__mem_hotplug_by_probe_request__descriptor,
                  "{\"memHotplugProbeAddr\": [\"18446744073709551616\"]}", -EINVAL,
                  "memHotplugProbeAddr[0]: integer out of range" },
                { &grpc__mem_hotplug_by_probe_request__descriptor,
                  "{\"memHotplugProbeAddr\": [\"99999999999999999999999\"]}", -EINVAL,
                  "memHotplugProbeAddr[0]: expected an integer, got \"99999999999999999999999\"" },
                { &grpc__write_stream_request__descriptor, "{\"data\": \"Zm9=\"}", -EINVAL,
                  "data: invalid base64" },
                { &grpc__write_stream_request__descriptor, "{\"data\": \"Z\"}", -EINVAL,
                  "data: invalid base64" },
                { &grpc__write_stream_request__descriptor, "{\"data\": \"Zm8==\"}", -EINVAL,
                  "data: invalid base64" },
                { &grpc__write_stream_request__descriptor, "{\"data\": \"Zm 8\"}", -EINVAL,
                  "data: invalid base64" },
                { &grpc__write_stream_request__descriptor, "{\"data\": [1, 2]}", -EINVAL,
                  "data: expected a base64 string, got an array" },
                { &grpc__update_interface_request__descriptor,
                  "{\"interface\": {\"IPAddresses\": [{\"family\": \"v5\"}]}}", -EINVAL,
                  "interface.IPAddresses[0].family: \"v5\" is not a value of types.IPFamily" },
                { &grpc__check_request__descriptor, "\"grpc.Health\"", -EINVAL,
                  "(top level): expected an object (CheckRequest), got a string" },
        };

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                json_auto_t *j = parse(bad[i].json);
                ProtobufCMessage *sentinel = (ProtobufCMessage *)&bad[i], *m = sentinel;
                char err[256];
                int r = pbjson_to_message(bad[i].d, j, &m, err, sizeof(err));

                if (r != bad[i].r || strcmp(err, bad[i].err) != 0)
                        fail_msg("%s:\n  got      %d \"%s\"\n  expected %d \"%s\"", bad[i].json, r, err,
                                 bad[i].r, bad[i].err);
                assert_ptr_equal(m, sentinel); /* out-param untouched */
        }
}

/* A key with a NUL inside is not the field whose name is its prefix. The parser
 * refuses such keys, but a json_t built in code can hold one. */
static void test_key_with_nul(void **state)
{
        json_auto_t *j = json_object();
        ProtobufCMessage *m = NULL;
        char err[256];

        (void)state;
        assert_int_equal(json_object_setn_new(j, "container_id\0x", 14, json_string("a")), 0);
        assert_int_equal(pbjson_to_message(&grpc__create_container_request__descriptor, j, &m, err,
                                           sizeof(err)),
                         -EINVAL);
        assert_string_equal(err, "container_id: unknown field of grpc.CreateContainerRequest");
        assert_null(m);
}

static void test_error_buffer(void **state)
{
        json_auto_t *j = parse("{\"OCI\": {\"Process\": {\"Args\": [1]}}}");
        ProtobufCMessage *m = NULL;
        char err[8];

        (void)state;
        memset(err, 'x', sizeof(err));
        assert_int_equal(pbjson_to_message(&grpc__create_container_request__descriptor, j, &m, err,
                                           sizeof(err)),
                         -EINVAL);
        assert_string_equal(err, "OCI.Pro"); /* cut, still terminated */
        assert_int_equal(pbjson_to_message(&grpc__create_container_request__descriptor, j, &m, NULL, 0),
                         -EINVAL);
        assert_null(m);
        assert_int_equal(pbjson_to_message(NULL, j, &m, NULL, 0), -EINVAL);
        assert_int_equal(pbjson_to_message(&grpc__create_container_request__descriptor, NULL, &m, NULL, 0),
                         -EINVAL);
}

static void test_from_message_edges(void **state)
{
        Grpc__CreateContainerRequest empty = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        Grpc__CheckRequest bad_utf8 = GRPC__CHECK_REQUEST__INIT;
        Grpc__WriteStreamRequest ws = GRPC__WRITE_STREAM_REQUEST__INIT;
        json_auto_t *je = NULL, *jw = NULL;
        json_t *jb;

        (void)state;
        je = pbjson_from_message(&empty.base);
        assert_non_null(je);
        assert_int_equal(json_object_size(je), 0);

        /* The wire does not check UTF-8; JSON cannot carry it. */
        bad_utf8.service = "grpc.\xff";
        jb = pbjson_from_message(&bad_utf8.base);
        assert_null(jb);
        assert_int_equal(errno, EILSEQ);

        ws.data.data = (uint8_t *)"fo";
        ws.data.len = 2;
        jw = pbjson_from_message(&ws.base);
        assert_string_equal(json_string_value(json_object_get(jw, "data")), "Zm8=");

        errno = 0;
        assert_null(pbjson_from_message(NULL));
        assert_int_equal(errno, EINVAL);
}

/* Response and envelope types too: maps with message and integer values. */
static void test_roundtrip_other_types(void **state)
{
        const ProtobufCMessageDescriptor *ds[] = {
                &grpc__stats_container_response__descriptor, &grpc__health_check_response__descriptor,
                &grpc__guest_details_response__descriptor,   &grpc__read_stream_response__descriptor,
                &grpc__volume_stats_response__descriptor,    &grpc__interfaces__descriptor,
        };

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(ds); i++) {
                _cleanup_msg_ ProtobufCMessage *orig = fill_message(ds[i]);
                _cleanup_msg_ ProtobufCMessage *back = NULL;
                json_auto_t *j = pbjson_from_message(orig);
                char err[256];

                assert_non_null(j);
                if (pbjson_to_message(ds[i], j, &back, err, sizeof(err)) < 0)
                        fail_msg("%s: %s", ds[i]->name, err);
                assert_same_encoding(orig, back);
        }
}

static const char all_json[] =
        "{\"f\": 1.5, \"d\": -2.25, \"si32\": -7, \"si64\": \"-9000000000\", \"fx32\": 4294967295,"
        " \"fx64\": \"18446744073709551615\", \"sfx32\": -2147483648, \"sfx64\": -1,"
        " \"rf\": [\"NaN\", \"Infinity\", \"-Infinity\", 0.5, 3],"
        " \"rd\": [1e300, -0.0], \"rb\": [true, false, true], \"rc\": [\"BLUE\", 1, \"RED\"],"
        " \"rby\": [\"\", \"AA==\", \"/w\"],"
        " \"by_int\": {\"-5\": \"minus five\", \"2147483647\": \"max\"},"
        " \"by_bool\": {\"true\": {\"s\": \"yes\"}, \"false\": {}},"
        " \"by_u64\": {\"18446744073709551615\": \"GREEN\", \"0\": \"BLUE\"},"
        " \"leaf\": {\"s\": \"chosen\"}, \"colour\": \"BLUE\", \"i32\": 0}";

static void test_all_types(void **state)
{
        _cleanup_msg_ ProtobufCMessage *m = NULL, *back = NULL;
        const Pbjsontest__All *a;
        json_auto_t *j = NULL;
        char err[256];

        (void)state;
        m = from_text(&pbjsontest__all__descriptor, all_json);
        a = (const Pbjsontest__All *)m;
        assert_true(a->f == 1.5f);
        assert_true(a->d == -2.25);
        assert_int_equal(a->si32, -7);
        assert_int_equal(a->si64, -9000000000LL);
        assert_int_equal(a->fx32, UINT32_MAX);
        assert_int_equal(a->fx64, UINT64_MAX);
        assert_int_equal(a->sfx32, INT32_MIN);
        assert_int_equal(a->sfx64, -1);
        assert_int_equal(a->n_rf, 5);
        assert_true(a->rf[0] != a->rf[0]);
        assert_true(a->rf[1] > 3.4e38f && a->rf[2] < -3.4e38f);
        assert_true(a->rf[4] == 3.0f);
        assert_int_equal(a->n_rc, 3);
        assert_int_equal(a->rc[0], PBJSONTEST__COLOUR__BLUE);
        assert_int_equal(a->rby[0].len, 0);
        assert_int_equal(a->rby[1].len, 1);
        assert_int_equal(a->rby[1].data[0], 0);
        assert_int_equal(a->rby[2].data[0], 0xff);
        assert_int_equal(a->n_by_int, 2);
        assert_int_equal(a->by_int[0]->key, -5);
        assert_string_equal(a->by_int[0]->value, "minus five");
        assert_true(a->by_bool[0]->key);
        assert_string_equal(a->by_bool[0]->value->s, "yes");
        assert_false(a->by_bool[1]->key);
        assert_int_equal(a->by_u64[0]->key, UINT64_MAX);
        assert_int_equal(a->by_u64[1]->value, PBJSONTEST__COLOUR__BLUE);
        assert_int_equal(a->choice_case, PBJSONTEST__ALL__CHOICE_LEAF);
        assert_string_equal(a->leaf->s, "chosen");

        /* Out and back in again: the same message. */
        j = pbjson_from_message(m);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_array_get(json_object_get(j, "rf"), 0)), "NaN");
        assert_string_equal(json_string_value(json_array_get(json_object_get(j, "rf"), 2)), "-Infinity");
        assert_string_equal(json_string_value(json_object_get(j, "fx64")), "18446744073709551615");
        assert_string_equal(json_string_value(json_object_get(j, "colour")), "BLUE");
        assert_null(json_object_get(j, "i32"));
        assert_non_null(json_object_get(json_object_get(j, "by_bool"), "false"));
        assert_non_null(json_object_get(json_object_get(j, "by_int"), "-5"));
        assert_non_null(json_object_get(json_object_get(j, "by_u64"), "18446744073709551615"));
        assert_null(json_object_get(j, "name"));
        /* -0.0 is not the default and is kept. */
        assert_true(json_is_real(json_array_get(json_object_get(j, "rd"), 1)));
        if (pbjson_to_message(&pbjsontest__all__descriptor, j, &back, err, sizeof(err)) < 0)
                fail_msg("%s", err);
        assert_same_encoding(m, back);
}

static void test_all_types_errors(void **state)
{
        static const struct {
                const char *json, *err;
        } bad[] = {
                { "{\"name\": \"a\", \"number\": 1}",
                  "number: another member of the same oneof is already set" },
                { "{\"leaf\": {}, \"name\": \"a\"}",
                  "name: another member of the same oneof is already set" },
                { "{\"f\": 1e39}", "f: number out of range for float" },
                { "{\"f\": \"nan\"}", "f: expected a number, got a string" },
                { "{\"rd\": [1, true]}", "rd[1]: expected a number, got a boolean" },
                { "{\"by_int\": {\"x\": \"a\"}}", "by_int[\"x\"]: expected an integer, got \"x\"" },
                { "{\"by_int\": {\"2147483648\": \"a\"}}", "by_int[\"2147483648\"]: integer out of range" },
                { "{\"by_bool\": {\"yes\": {}}}", "by_bool[\"yes\"]: map key must be true or false" },
                { "{\"by_bool\": {\"true\": {\"t\": 1}}}",
                  "by_bool[\"true\"].t: unknown field of pbjsontest.Leaf" },
                { "{\"by_u64\": {\"1\": \"PURPLE\"}}",
                  "by_u64[\"1\"]: \"PURPLE\" is not a value of pbjsontest.Colour" },
                { "{\"si32\": -2147483649}", "si32: integer out of range" },
                { "{\"sfx64\": 1.0}", "sfx64: expected an integer, got a real number" },
                { "{\"rc\": [\"RED\", \"red\"]}", "rc[1]: \"red\" is not a value of pbjsontest.Colour" },
                { "{\"rby\": [\"AA==\", \"A===\"]}", "rby[1]: invalid base64" },
        };

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                json_auto_t *j = parse(bad[i].json);
                ProtobufCMessage *m = NULL;
                char err[256];
                int r = pbjson_to_message(&pbjsontest__all__descriptor, j, &m, err, sizeof(err));

                if (r != -EINVAL || strcmp(err, bad[i].err) != 0)
                        fail_msg("%s:\n  got      %d \"%s\"\n  expected \"%s\"", bad[i].json, r, err,
                                 bad[i].err);
                assert_null(m);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip_every_request),
                cmocka_unit_test(test_create_container_from_json),
                cmocka_unit_test(test_scalars),
                cmocka_unit_test(test_enums),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_roundtrip_other_types),
                cmocka_unit_test(test_all_types),
                cmocka_unit_test(test_all_types_errors),
                cmocka_unit_test(test_key_with_nul),
                cmocka_unit_test(test_error_buffer),
                cmocka_unit_test(test_from_message_edges),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

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
#include "agent_request.h"
#include "cleanup.h"
#include "fill.h"
#include "health.pb-c.h"

static void free_msg(ProtobufCMessage **m)
{
        if (*m)
                protobuf_c_message_free_unpacked(*m, NULL);
}
#define _cleanup_msg_ _cleanup_(free_msg)

/* ---------------------------------------------------------------- the table */

static void test_table_matches_services(void **state)
{
        const ProtobufCServiceDescriptor *svcs[] = { &grpc__agent_service__descriptor,
                                                    &grpc__health__descriptor };
        size_t total = 0;

        (void)state;
        assert_int_equal(grpc__agent_service__descriptor.n_methods, 42);
        assert_int_equal(grpc__health__descriptor.n_methods, 2);

        /* Every rpc of the schemas is in the table with the schema's request type. */
        for (size_t s = 0; s < ELEMENTSOF(svcs); s++) {
                for (unsigned i = 0; i < svcs[s]->n_methods; i++) {
                        const ProtobufCMethodDescriptor *md = &svcs[s]->methods[i];
                        const struct agent_method *m =
                                agent_method_lookup(svcs[s]->name, strlen(svcs[s]->name),
                                                    md->name, strlen(md->name));

                        assert_non_null(m);
                        assert_string_equal(m->service, svcs[s]->name);
                        assert_string_equal(m->method, md->name);
                        assert_ptr_equal(m->request, md->input);
                        assert_string_equal(m->request_name, md->input->short_name);
                        total++;
                }
        }
        assert_int_equal(total, _AGENT_METHOD_MAX);

        /* And the table holds nothing else: ids are dense and self-consistent. */
        for (int id = 0; id < _AGENT_METHOD_MAX; id++) {
                const struct agent_method *m = agent_method_get((enum agent_method_id)id);

                assert_non_null(m);
                assert_int_equal(m->id, id);
                assert_ptr_equal(agent_method_lookup(m->service, strlen(m->service), m->method,
                                                     strlen(m->method)),
                                 m);
        }
        assert_null(agent_method_get(_AGENT_METHOD_MAX));
        assert_null(agent_method_get(_AGENT_METHOD_INVALID));
        assert_null(agent_method_get((enum agent_method_id)1000));
}

static void test_policy_keys(void **state)
{
        static const struct {
                const char *method, *request_name;
        } keys[] = {
                { "ReadStdout", "ReadStreamRequest" },
                { "ReadStderr", "ReadStreamRequest" },
                { "WriteStdin", "WriteStreamRequest" },
                { "GetGuestDetails", "GuestDetailsRequest" },
                { "MemAgentMemcgSet", "MemAgentMemcgConfig" },
                { "MemAgentCompactSet", "MemAgentCompactConfig" },
                { "GetVolumeStats", "VolumeStatsRequest" },
                { "AddARPNeighbors", "AddARPNeighborsRequest" },
                { "OnlineCPUMem", "OnlineCPUMemRequest" },
                { "GetOOMEvent", "GetOOMEventRequest" },
                { "CreateContainer", "CreateContainerRequest" },
        };

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const struct agent_method *m = agent_method_lookup(
                        "grpc.AgentService", 17, keys[i].method, strlen(keys[i].method));

                assert_non_null(m);
                assert_string_equal(m->request_name, keys[i].request_name);
        }
}

static void test_by_request_name(void **state)
{
        enum agent_method_id ids[4] = { _AGENT_METHOD_INVALID, _AGENT_METHOD_INVALID,
                                        _AGENT_METHOD_INVALID, _AGENT_METHOD_INVALID };

        (void)state;
        /* ReadStdout and ReadStderr share their request message. */
        assert_int_equal(agent_methods_by_request_name("ReadStreamRequest", ids, 4), 2);
        assert_int_equal(ids[0], AGENT_READ_STDOUT);
        assert_int_equal(ids[1], AGENT_READ_STDERR);
        assert_ptr_equal(agent_method_get(AGENT_READ_STDOUT)->request,
                         agent_method_get(AGENT_READ_STDERR)->request);
        assert_ptr_equal(agent_method_get(AGENT_READ_STDOUT)->request,
                         &grpc__read_stream_request__descriptor);

        assert_int_equal(agent_methods_by_request_name("CheckRequest", ids, 4), 2);
        assert_int_equal(ids[0], AGENT_HEALTH_CHECK);
        assert_int_equal(ids[1], AGENT_HEALTH_VERSION);

        assert_int_equal(agent_methods_by_request_name("GuestDetailsRequest", ids, 4), 1);
        assert_int_equal(ids[0], AGENT_GET_GUEST_DETAILS);
        assert_int_equal(agent_methods_by_request_name("MemAgentMemcgConfig", ids, 4), 1);
        assert_int_equal(ids[0], AGENT_MEM_AGENT_MEMCG_SET);

        /* The count is reported even when the array is too small; nothing is
         * written past it. */
        ids[1] = _AGENT_METHOD_INVALID;
        assert_int_equal(agent_methods_by_request_name("ReadStreamRequest", ids, 1), 2);
        assert_int_equal(ids[0], AGENT_READ_STDOUT);
        assert_int_equal(ids[1], _AGENT_METHOD_INVALID);
        assert_int_equal(agent_methods_by_request_name("ReadStreamRequest", NULL, 0), 2);

        /* Method names, near misses, and messages that are not requests. */
        assert_int_equal(agent_methods_by_request_name("GetGuestDetailsRequest", ids, 4), 0);
        assert_int_equal(agent_methods_by_request_name("ReadStdout", ids, 4), 0);
        assert_int_equal(agent_methods_by_request_name("readstreamrequest", ids, 4), 0);
        assert_int_equal(agent_methods_by_request_name("ReadStreamResponse", ids, 4), 0);
        assert_int_equal(agent_methods_by_request_name("", ids, 4), 0);
}

static void test_lookup_misses(void **state)
{
        static const struct {
                const char *service;
                size_t service_len;
                const char *method;
                size_t method_len;
        } misses[] = {
#define S(x) x, sizeof(x) - 1
                { S("grpc.AgentService"), S("CreateContaine") },    /* prefix */
                { S("grpc.AgentService"), S("CreateContainerX") },  /* extension */
                { S("grpc.AgentService"), S("createContainer") },   /* case */
                { S("grpc.AgentService"), S("CREATECONTAINER") },
                { S("grpc.AgentService"), "CreateContainer", 16 },  /* trailing NUL */
                { S("grpc.AgentService"), S("Create\0Container") }, /* embedded NUL */
                { S("grpc.AgentService"), S("Create\0ontainer") },
                { "grpc.AgentService", 18, S("CreateContainer") },  /* NUL in service */
                { S("grpc.AgentServic"), S("CreateContainer") },
                { S("grpc.agentservice"), S("CreateContainer") },
                { S("AgentService"), S("CreateContainer") },        /* no package */
                { S("grpc.AgentService."), S("CreateContainer") },
                { S("grpc.AgentServiceCreateContainer"), S("") },   /* separator moved */
                { S("grpc.AgentServic"), S("eCreateContainer") },
                { S("grpc.Health"), S("CreateContainer") },         /* wrong service */
                { S("grpc.AgentService"), S("Check") },
                { S("grpc.AgentService"), S("Version") },
                { S("grpc.health.v1.Health"), S("Check") },         /* standard gRPC health */
                { S("grpc.AgentService"), S("ReadStreamRequest") }, /* message, not method */
                { S("grpc.AgentService"), S("GetVolumeStatsRequest") },
                { S("grpc.AgentService"), S("") },
                { S(""), S("") },
                { S(""), S("CreateContainer") },
#undef S
        };

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(misses); i++)
                assert_null(agent_method_lookup(misses[i].service, misses[i].service_len,
                                                misses[i].method, misses[i].method_len));
        assert_null(agent_method_lookup(NULL, 0, NULL, 0));
        assert_null(agent_method_lookup(NULL, 17, "CreateContainer", 15));
        assert_null(agent_method_lookup("grpc.AgentService", 17, NULL, 15));

        /* The names need no NUL termination: a longer buffer, exact lengths. */
        assert_ptr_equal(agent_method_lookup("grpc.AgentService/x", 17, "CopyFileXYZ", 8),
                         agent_method_get(AGENT_COPY_FILE));
        assert_ptr_equal(agent_method_lookup("grpc.Health", 11, "Check", 5),
                         agent_method_get(AGENT_HEALTH_CHECK));
}

/* ----------------------------------------------------------- the type graph */

enum { WHITE, GREY, BLACK };

struct visit {
        const ProtobufCMessageDescriptor *d[256];
        uint8_t colour[256];
        size_t n;
        const char *cycle; /* a type on a cycle, once one is found */
};

static uint8_t *colour_of(struct visit *v, const ProtobufCMessageDescriptor *d)
{
        for (size_t i = 0; i < v->n; i++)
                if (v->d[i] == d)
                        return &v->colour[i];
        assert_true(v->n < ELEMENTSOF(v->d));
        v->d[v->n] = d;
        v->colour[v->n] = WHITE;
        return &v->colour[v->n++];
}

/* Depth-first search over message-typed fields (maps included: their entries
 * are messages); a GREY type met again is a back edge, i.e. a cycle. */
static void walk_types(struct visit *v, const ProtobufCMessageDescriptor *d)
{
        assert_int_equal(d->magic, PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
        if (*colour_of(v, d) == GREY) {
                v->cycle = d->name;
                return;
        }
        if (*colour_of(v, d) == BLACK)
                return;
        *colour_of(v, d) = GREY;
        for (unsigned i = 0; i < d->n_fields; i++)
                if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE)
                        walk_types(v, d->fields[i].descriptor);
        *colour_of(v, d) = BLACK;
}

/*
 * agent_request_decode() recurses over nested messages without a depth limit;
 * that is only safe because no request type can contain itself, so nesting depth
 * is fixed by the schema. This test is what keeps it so.
 */
static void test_type_graph_acyclic(void **state)
{
        struct visit v = { 0 };
        size_t n_create = 0;

        (void)state;
        for (int id = 0; id < _AGENT_METHOD_MAX; id++) {
                struct visit one = { 0 };

                walk_types(&one, agent_method_get((enum agent_method_id)id)->request);
                if (one.cycle)
                        fail_msg("request type graph has a cycle through %s", one.cycle);
                if (id == AGENT_CREATE_CONTAINER)
                        n_create = one.n;
        }
        walk_types(&v, &grpc__read_stream_response__descriptor);
        assert_null(v.cycle);
        /* The walk really went deep: CreateContainerRequest reaches the whole OCI spec. */
        assert_true(n_create > 30);
}

/* The detector can fail: pretend Process is already on the path from Spec. */
static void test_type_graph_detects_cycle(void **state)
{
        struct visit v = { 0 };

        (void)state;
        *colour_of(&v, &grpc__process__descriptor) = GREY;
        walk_types(&v, &grpc__spec__descriptor);
        assert_non_null(v.cycle);
        assert_string_equal(v.cycle, "grpc.Process");
}

/* ------------------------------------------------------------------ decoding */

/* An allocator that counts, so tests can see every allocation is returned. */
struct counting {
        ProtobufCAllocator a;
        size_t allocs, frees;
        size_t fail_after; /* bytes; 0: never fail */
        size_t bytes;
};

static void *counting_alloc(void *data, size_t size)
{
        struct counting *c = data;

        if (c->fail_after && c->bytes + size > c->fail_after)
                return NULL;
        c->bytes += size;
        c->allocs++;
        return malloc(size);
}

static void counting_free(void *data, void *p)
{
        struct counting *c = data;

        if (p)
                c->frees++;
        free(p);
}

static void counting_init(struct counting *c)
{
        *c = (struct counting){ .a = { .alloc = counting_alloc, .free = counting_free } };
        c->a.allocator_data = c;
}

/* Every method decodes a fully populated request to the same message. */
static void test_decode_every_method(void **state)
{
        (void)state;
        for (int id = 0; id < _AGENT_METHOD_MAX; id++) {
                const struct agent_method *m = agent_method_get((enum agent_method_id)id);
                _cleanup_msg_ ProtobufCMessage *orig = fill_message(m->request);
                _cleanup_free_ uint8_t *wire = NULL, *again = NULL;
                ProtobufCMessage *dec = NULL;
                struct counting c;
                size_t n, n2;

                counting_init(&c);
                wire = fill_pack(orig, &n);
                /* Empty messages encode to nothing; everything else must carry data. */
                assert_true(n > 0 || m->request->n_fields == 0);

                assert_int_equal(agent_request_decode(m, wire, n, &c.a, &dec), 0);
                assert_non_null(dec);
                assert_ptr_equal(dec->descriptor, m->request);
                again = fill_pack(dec, &n2);
                assert_int_equal(n2, n);
                assert_memory_equal(again, wire, n);
                agent_request_free(dec, &c.a);
                assert_true(c.allocs > 0);
                assert_int_equal(c.allocs, c.frees);

                /* And with the default allocator. */
                assert_int_equal(agent_request_decode(m, wire, n, NULL, &dec), 0);
                agent_request_free(dec, NULL);

                /* An empty payload is every request with all defaults. */
                assert_int_equal(agent_request_decode(m, NULL, 0, NULL, &dec), 0);
                assert_ptr_equal(dec->descriptor, m->request);
                agent_request_free(dec, NULL);
        }
}

/* Spot checks that the values land in the typed fields policy code reads. */
static void test_decode_typed_values(void **state)
{
        Grpc__LinuxCapabilities caps = GRPC__LINUX_CAPABILITIES__INIT;
        Grpc__Process proc = GRPC__PROCESS__INIT;
        Grpc__Spec spec = GRPC__SPEC__INIT;
        Grpc__CreateContainerRequest req = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        Grpc__ReadStreamRequest rs = GRPC__READ_STREAM_REQUEST__INIT;
        Grpc__MemAgentMemcgConfig memcg = GRPC__MEM_AGENT_MEMCG_CONFIG__INIT;
        char *args[] = { "/bin/sh", "-c", "true" };
        char *bounding[] = { "CAP_NET_ADMIN" };
        _cleanup_free_ uint8_t *wire = NULL, *wire2 = NULL, *wire3 = NULL;
        ProtobufCMessage *dec = NULL;
        size_t n;

        (void)state;
        caps.n_bounding = 1;
        caps.bounding = bounding;
        proc.n_args = 3;
        proc.args = args;
        proc.capabilities = &caps;
        proc.cwd = "/work";
        spec.process = &proc;
        req.container_id = "c1";
        req.oci = &spec;
        req.stdout_port = 1025;
        wire = fill_pack(&req.base, &n);
        assert_int_equal(agent_request_decode(agent_method_get(AGENT_CREATE_CONTAINER), wire, n,
                                              NULL, &dec),
                         0);
        {
                Grpc__CreateContainerRequest *r = (Grpc__CreateContainerRequest *)dec;

                assert_string_equal(r->container_id, "c1");
                assert_int_equal(r->stdout_port, 1025);
                assert_non_null(r->oci);
                assert_non_null(r->oci->process);
                assert_int_equal(r->oci->process->n_args, 3);
                assert_string_equal(r->oci->process->args[2], "true");
                assert_string_equal(r->oci->process->cwd, "/work");
                assert_string_equal(r->oci->process->capabilities->bounding[0], "CAP_NET_ADMIN");
                assert_null(r->oci->linux);
        }
        agent_request_free(dec, NULL);

        rs.container_id = "c1";
        rs.exec_id = "e1";
        rs.len = 32768;
        wire2 = fill_pack(&rs.base, &n);
        for (int id = AGENT_READ_STDOUT; id <= AGENT_READ_STDERR; id++) {
                assert_int_equal(agent_request_decode(agent_method_get((enum agent_method_id)id),
                                                      wire2, n, NULL, &dec),
                                 0);
                assert_ptr_equal(dec->descriptor, &grpc__read_stream_request__descriptor);
                assert_int_equal(((Grpc__ReadStreamRequest *)dec)->len, 32768);
                assert_string_equal(((Grpc__ReadStreamRequest *)dec)->exec_id, "e1");
                agent_request_free(dec, NULL);
        }

        /* Explicit presence survives: set-to-false differs from unset. */
        memcg.opt_disabled_case = GRPC__MEM_AGENT_MEMCG_CONFIG__OPT_DISABLED_DISABLED;
        memcg.disabled = 0;
        wire3 = fill_pack(&memcg.base, &n);
        assert_int_equal(n, 2);
        assert_int_equal(agent_request_decode(agent_method_get(AGENT_MEM_AGENT_MEMCG_SET), wire3, n,
                                              NULL, &dec),
                         0);
        assert_int_equal(((Grpc__MemAgentMemcgConfig *)dec)->opt_disabled_case,
                         GRPC__MEM_AGENT_MEMCG_CONFIG__OPT_DISABLED_DISABLED);
        assert_int_equal(((Grpc__MemAgentMemcgConfig *)dec)->opt_swap_case,
                         GRPC__MEM_AGENT_MEMCG_CONFIG__OPT_SWAP__NOT_SET);
        agent_request_free(dec, NULL);
}

static uint8_t unknown_varint[] = { 0x01 };
static ProtobufCMessageUnknownField unknown_field = {
        .tag = 99, .wire_type = PROTOBUF_C_WIRE_TYPE_VARINT, .len = 1, .data = unknown_varint,
};

static void set_unknown(ProtobufCMessage *m)
{
        m->n_unknown_fields = 1;
        m->unknown_fields = &unknown_field;
}

/* Pack a stack-built message and decode it as CreateContainer. */
static int decode_create(const ProtobufCMessage *m)
{
        _cleanup_free_ uint8_t *wire = NULL;
        ProtobufCMessage *dec = NULL;
        struct counting c;
        size_t n;
        int r;

        counting_init(&c);
        wire = fill_pack(m, &n);
        r = agent_request_decode(agent_method_get(AGENT_CREATE_CONTAINER), wire, n, &c.a, &dec);
        if (r == 0)
                agent_request_free(dec, &c.a);
        else
                assert_null(dec);
        /* Failure paths return everything too. */
        assert_int_equal(c.allocs, c.frees);
        return r;
}

static void test_unknown_fields(void **state)
{
        Grpc__LinuxCapabilities caps = GRPC__LINUX_CAPABILITIES__INIT;
        Grpc__Process proc = GRPC__PROCESS__INIT;
        Grpc__Spec spec = GRPC__SPEC__INIT;
        Grpc__Spec__AnnotationsEntry ann[2] = { GRPC__SPEC__ANNOTATIONS_ENTRY__INIT,
                                                GRPC__SPEC__ANNOTATIONS_ENTRY__INIT };
        Grpc__Spec__AnnotationsEntry *annp[2] = { &ann[0], &ann[1] };
        Grpc__Storage st[2] = { GRPC__STORAGE__INIT, GRPC__STORAGE__INIT };
        Grpc__Storage *stp[2] = { &st[0], &st[1] };
        Grpc__FSGroup fsg = GRPC__FSGROUP__INIT;
        Grpc__Linux lnx = GRPC__LINUX__INIT;
        Grpc__LinuxSeccomp secc = GRPC__LINUX_SECCOMP__INIT;
        Grpc__LinuxSyscall sc = GRPC__LINUX_SYSCALL__INIT, *scp = &sc;
        Grpc__CreateContainerRequest req = GRPC__CREATE_CONTAINER_REQUEST__INIT;

        (void)state;
        ann[0].key = "a";
        ann[0].value = "1";
        ann[1].key = "b";
        ann[1].value = "2";
        spec.n_annotations = 2;
        spec.annotations = annp;
        proc.capabilities = &caps;
        spec.process = &proc;
        secc.n_syscalls = 1;
        secc.syscalls = &scp;
        sc.errno_ret_case = GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET;
        sc.errnoret = 1;
        lnx.seccomp = &secc;
        spec.linux = &lnx;
        st[1].fs_group = &fsg;
        req.n_storages = 2;
        req.storages = stp;
        req.oci = &spec;
        assert_int_equal(decode_create(&req.base), 0);

        /* Top level. */
        set_unknown(&req.base);
        assert_int_equal(decode_create(&req.base), -EPROTO);
        req.base.n_unknown_fields = 0;

        /* Three levels down: CreateContainerRequest.OCI.Process.Capabilities. */
        set_unknown(&caps.base);
        assert_int_equal(decode_create(&req.base), -EPROTO);
        caps.base.n_unknown_fields = 0;

        /* Inside a map entry: OCI.Annotations["b"]. */
        set_unknown(&ann[1].base);
        assert_int_equal(decode_create(&req.base), -EPROTO);
        ann[1].base.n_unknown_fields = 0;

        /* In the second element of a repeated field, one level further down. */
        set_unknown(&fsg.base);
        assert_int_equal(decode_create(&req.base), -EPROTO);
        fsg.base.n_unknown_fields = 0;

        /* In a message beside a oneof: OCI.Linux.Seccomp.Syscalls[0]. */
        set_unknown(&sc.base);
        assert_int_equal(decode_create(&req.base), -EPROTO);
        sc.base.n_unknown_fields = 0;

        assert_int_equal(decode_create(&req.base), 0);
}

static void test_unknown_field_raw(void **state)
{
        /* container_id "c" then field 99 varint 1: hand-encoded, no protobuf-c help. */
        static const uint8_t top[] = { 0x0a, 0x01, 'c', 0x98, 0x06, 0x01 };
        /* OCI { Process { Capabilities { field 15 fixed32 } } } */
        static const uint8_t deep[] = { 0x32, 0x09, 0x12, 0x07, 0x3a, 0x05,
                                        0x7d, 0x01, 0x02, 0x03, 0x04 };
        ProtobufCMessage *dec = NULL;

        (void)state;
        assert_int_equal(agent_request_decode(agent_method_get(AGENT_CREATE_CONTAINER), top,
                                              sizeof(top), NULL, &dec),
                         -EPROTO);
        assert_null(dec);
        assert_int_equal(agent_request_decode(agent_method_get(AGENT_CREATE_CONTAINER), deep,
                                              sizeof(deep), NULL, &dec),
                         -EPROTO);
        assert_null(dec);
        /* Unknown field numbers are unknown for every method. */
        assert_int_equal(agent_request_decode(agent_method_get(AGENT_DESTROY_SANDBOX), top + 3,
                                              3, NULL, &dec),
                         -EPROTO);
}

static void test_malformed(void **state)
{
        static const struct {
                const char *what;
                uint8_t bytes[16];
                size_t len;
        } bad[] = {
                { "tag without value", { 0x0a }, 1 },
                { "length past end", { 0x0a, 0x05, 'a', 'b' }, 4 },
                { "varint never ends", { 0x48, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff }, 12 },
                { "wire type 7", { 0x0f, 0x00 }, 2 },
                { "field number 0", { 0x00, 0x00 }, 2 },
                { "string field sent as varint", { 0x08, 0x01 }, 2 },
                { "message field sent as fixed64", { 0x31, 1, 2, 3, 4, 5, 6, 7, 8 }, 9 },
                { "garbage", { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 8 },
                { "sub-message garbage", { 0x32, 0x02, 0xff, 0xff }, 4 },
        };
        const struct agent_method *m = agent_method_get(AGENT_CREATE_CONTAINER);
        _cleanup_msg_ ProtobufCMessage *full = fill_message(m->request);
        _cleanup_free_ uint8_t *wire = NULL;
        ProtobufCMessage *dec = NULL;
        size_t n, n_bad = 0;

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r = agent_request_decode(m, bad[i].bytes, bad[i].len, NULL, &dec);

                if (r != -EBADMSG)
                        fail_msg("%s: got %d", bad[i].what, r);
                assert_null(dec);
        }

        /* Truncation: one byte short always breaks the last field; every other cut
         * either lands on a field boundary (valid) or fails as -EBADMSG. */
        wire = fill_pack(full, &n);
        assert_int_equal(agent_request_decode(m, wire, n - 1, NULL, &dec), -EBADMSG);
        for (size_t cut = 0; cut < n; cut++) {
                int r = agent_request_decode(m, wire, cut, NULL, &dec);

                assert_true(r == 0 || r == -EBADMSG);
                if (r == 0)
                        agent_request_free(dec, NULL);
                else
                        n_bad++;
                dec = NULL;
        }
        assert_true(n_bad > n / 2);

        /* Invalid arguments. */
        assert_int_equal(agent_request_decode(NULL, wire, n, NULL, &dec), -EINVAL);
        assert_int_equal(agent_request_decode(m, NULL, 1, NULL, &dec), -EINVAL);
        assert_int_equal(agent_request_decode(m, wire, n, NULL, NULL), -EINVAL);
        assert_null(dec);
}

/* n empty Device messages: two payload bytes each, ~90 decoded bytes each. */
static uint8_t *many_devices(size_t n, size_t *ret_len)
{
        uint8_t *b = malloc(2 * n);

        assert_non_null(b);
        for (size_t i = 0; i < n; i++) {
                b[2 * i] = 0x22; /* field 4 (devices), length-delimited */
                b[2 * i + 1] = 0x00;
        }
        *ret_len = 2 * n;
        return b;
}

static void test_budget(void **state)
{
        const struct agent_method *m = agent_method_get(AGENT_CREATE_CONTAINER);
        _cleanup_free_ uint8_t *small = NULL, *big = NULL;
        ProtobufCMessage *dec = NULL;
        struct counting c;
        size_t n;

        (void)state;
        /* 100k elements: ~9 MB decoded, within the budget. */
        small = many_devices(100000, &n);
        assert_int_equal(agent_request_decode(m, small, n, NULL, &dec), 0);
        assert_int_equal(((Grpc__CreateContainerRequest *)dec)->n_devices, 100000);
        agent_request_free(dec, NULL);
        dec = NULL;

        /* 1M elements: 2 MB on the wire (under the 4 MiB frame limit), ~90 MB decoded. */
        big = many_devices(1000000, &n);
        assert_true(n < 4u * 1024 * 1024);
        counting_init(&c);
        assert_int_equal(agent_request_decode(m, big, n, &c.a, &dec), -E2BIG);
        assert_null(dec);
        assert_int_equal(c.allocs, c.frees);
        assert_true(c.bytes <= AGENT_DECODE_MAX_BYTES);

        /* The caller's allocator running dry first is reported as such. */
        counting_init(&c);
        c.fail_after = 1024 * 1024;
        assert_int_equal(agent_request_decode(m, small, 2 * 100000, &c.a, &dec), -ENOMEM);
        assert_null(dec);
        assert_int_equal(c.allocs, c.frees);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table_matches_services),
                cmocka_unit_test(test_policy_keys),
                cmocka_unit_test(test_by_request_name),
                cmocka_unit_test(test_lookup_misses),
                cmocka_unit_test(test_type_graph_acyclic),
                cmocka_unit_test(test_type_graph_detects_cycle),
                cmocka_unit_test(test_decode_every_method),
                cmocka_unit_test(test_decode_typed_values),
                cmocka_unit_test(test_unknown_fields),
                cmocka_unit_test(test_unknown_field_raw),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_budget),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent API table: every method of grpc.AgentService (kata's agent.proto) and
 * grpc.Health, with the protobuf-c descriptor of its request message: data about
 * the API, built from the .proto files beside it. Decoding request payloads is
 * the wire layer's (enforcer/wire/agent_request.h). Pure: no sockets, no logging.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

enum agent_method_id {
        AGENT_CREATE_CONTAINER,
        AGENT_START_CONTAINER,
        AGENT_REMOVE_CONTAINER,
        AGENT_EXEC_PROCESS,
        AGENT_SIGNAL_PROCESS,
        AGENT_WAIT_PROCESS,
        AGENT_UPDATE_CONTAINER,
        AGENT_UPDATE_EPHEMERAL_MOUNTS,
        AGENT_STATS_CONTAINER,
        AGENT_PAUSE_CONTAINER,
        AGENT_RESUME_CONTAINER,
        AGENT_REMOVE_STALE_VIRTIOFS_SHARE_MOUNTS,
        AGENT_GET_DIAGNOSTIC_DATA,
        AGENT_WRITE_STDIN,
        AGENT_READ_STDOUT,
        AGENT_READ_STDERR,
        AGENT_CLOSE_STDIN,
        AGENT_TTY_WIN_RESIZE,
        AGENT_UPDATE_INTERFACE,
        AGENT_UPDATE_ROUTES,
        AGENT_LIST_INTERFACES,
        AGENT_LIST_ROUTES,
        AGENT_ADD_ARP_NEIGHBORS,
        AGENT_GET_IP_TABLES,
        AGENT_SET_IP_TABLES,
        AGENT_GET_METRICS,
        AGENT_MEM_AGENT_MEMCG_SET,
        AGENT_MEM_AGENT_COMPACT_SET,
        AGENT_CREATE_SANDBOX,
        AGENT_DESTROY_SANDBOX,
        AGENT_ONLINE_CPU_MEM,
        AGENT_RESEED_RANDOM_DEV,
        AGENT_GET_GUEST_DETAILS,
        AGENT_MEM_HOTPLUG_BY_PROBE,
        AGENT_SET_GUEST_DATE_TIME,
        AGENT_COPY_FILE,
        AGENT_GET_OOM_EVENT,
        AGENT_ADD_SWAP,
        AGENT_ADD_SWAP_PATH,
        AGENT_GET_VOLUME_STATS,
        AGENT_RESIZE_VOLUME,
        AGENT_SET_POLICY,
        AGENT_HEALTH_CHECK,   /* grpc.Health/Check */
        AGENT_HEALTH_VERSION, /* grpc.Health/Version */
        _AGENT_METHOD_MAX,
        _AGENT_METHOD_INVALID = -22, /* -EINVAL */
};

struct agent_method {
        enum agent_method_id id;
        const char *service;      /* "grpc.AgentService" or "grpc.Health" */
        const char *method;       /* "ReadStdout" */
        const char *request_name; /* "ReadStreamRequest": what policy rules are keyed by */
        const ProtobufCMessageDescriptor *request;
};

/* The method with this id, or NULL when id is out of range. */
const struct agent_method *agent_method_get(enum agent_method_id id);

/*
 * Look up a method by service and method name as they arrive in a ttRPC Request
 * (not NUL-terminated). O(1). Returns NULL for anything unknown.
 */
const struct agent_method *agent_method_lookup(const char *service, size_t service_len,
                                               const char *method, size_t method_len);

/*
 * Whether name is the request message name of at least one method; the methods
 * sharing it (ReadStdout/ReadStderr share ReadStreamRequest) are written to
 * ret_ids (up to n_ids) and their count returned, 0 when unknown.
 */
size_t agent_methods_by_request_name(const char *name, enum agent_method_id *ret_ids, size_t n_ids);

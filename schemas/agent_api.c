/* SPDX-License-Identifier: Apache-2.0 */
/* The agent API table: every method, its service, name and request descriptor, and the lookups. */
#include "agent_api.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "agent.pb-c.h"
#include "health.pb-c.h"

#define SVC_AGENT "grpc.AgentService"
#define SVC_HEALTH "grpc.Health"

/* One row per method; request_name is the descriptor's short name, which is what
 * kata's policies (and ours) key rules by. The unit tests check each row against
 * the service descriptors generated from schemas/agent.proto and health.proto. */
#define ROW(id_, svc, meth, type, desc)                                                     \
        [id_] = { .id = id_, .service = svc, .method = meth, .request_name = type,         \
                  .request = &desc }
#define A(id_, meth, type, desc) ROW(id_, SVC_AGENT, meth, type, desc)

static const struct agent_method agent_methods[_AGENT_METHOD_MAX] = {
        A(AGENT_CREATE_CONTAINER, "CreateContainer", "CreateContainerRequest",
          grpc__create_container_request__descriptor),
        A(AGENT_START_CONTAINER, "StartContainer", "StartContainerRequest",
          grpc__start_container_request__descriptor),
        A(AGENT_REMOVE_CONTAINER, "RemoveContainer", "RemoveContainerRequest",
          grpc__remove_container_request__descriptor),
        A(AGENT_EXEC_PROCESS, "ExecProcess", "ExecProcessRequest",
          grpc__exec_process_request__descriptor),
        A(AGENT_SIGNAL_PROCESS, "SignalProcess", "SignalProcessRequest",
          grpc__signal_process_request__descriptor),
        A(AGENT_WAIT_PROCESS, "WaitProcess", "WaitProcessRequest",
          grpc__wait_process_request__descriptor),
        A(AGENT_UPDATE_CONTAINER, "UpdateContainer", "UpdateContainerRequest",
          grpc__update_container_request__descriptor),
        A(AGENT_UPDATE_EPHEMERAL_MOUNTS, "UpdateEphemeralMounts", "UpdateEphemeralMountsRequest",
          grpc__update_ephemeral_mounts_request__descriptor),
        A(AGENT_STATS_CONTAINER, "StatsContainer", "StatsContainerRequest",
          grpc__stats_container_request__descriptor),
        A(AGENT_PAUSE_CONTAINER, "PauseContainer", "PauseContainerRequest",
          grpc__pause_container_request__descriptor),
        A(AGENT_RESUME_CONTAINER, "ResumeContainer", "ResumeContainerRequest",
          grpc__resume_container_request__descriptor),
        A(AGENT_REMOVE_STALE_VIRTIOFS_SHARE_MOUNTS, "RemoveStaleVirtiofsShareMounts",
          "RemoveStaleVirtiofsShareMountsRequest",
          grpc__remove_stale_virtiofs_share_mounts_request__descriptor),
        A(AGENT_GET_DIAGNOSTIC_DATA, "GetDiagnosticData", "GetDiagnosticDataRequest",
          grpc__get_diagnostic_data_request__descriptor),
        A(AGENT_WRITE_STDIN, "WriteStdin", "WriteStreamRequest",
          grpc__write_stream_request__descriptor),
        A(AGENT_READ_STDOUT, "ReadStdout", "ReadStreamRequest",
          grpc__read_stream_request__descriptor),
        A(AGENT_READ_STDERR, "ReadStderr", "ReadStreamRequest",
          grpc__read_stream_request__descriptor),
        A(AGENT_CLOSE_STDIN, "CloseStdin", "CloseStdinRequest",
          grpc__close_stdin_request__descriptor),
        A(AGENT_TTY_WIN_RESIZE, "TtyWinResize", "TtyWinResizeRequest",
          grpc__tty_win_resize_request__descriptor),
        A(AGENT_UPDATE_INTERFACE, "UpdateInterface", "UpdateInterfaceRequest",
          grpc__update_interface_request__descriptor),
        A(AGENT_UPDATE_ROUTES, "UpdateRoutes", "UpdateRoutesRequest",
          grpc__update_routes_request__descriptor),
        A(AGENT_LIST_INTERFACES, "ListInterfaces", "ListInterfacesRequest",
          grpc__list_interfaces_request__descriptor),
        A(AGENT_LIST_ROUTES, "ListRoutes", "ListRoutesRequest",
          grpc__list_routes_request__descriptor),
        A(AGENT_ADD_ARP_NEIGHBORS, "AddARPNeighbors", "AddARPNeighborsRequest",
          grpc__add_arpneighbors_request__descriptor),
        A(AGENT_GET_IP_TABLES, "GetIPTables", "GetIPTablesRequest",
          grpc__get_iptables_request__descriptor),
        A(AGENT_SET_IP_TABLES, "SetIPTables", "SetIPTablesRequest",
          grpc__set_iptables_request__descriptor),
        A(AGENT_GET_METRICS, "GetMetrics", "GetMetricsRequest",
          grpc__get_metrics_request__descriptor),
        A(AGENT_MEM_AGENT_MEMCG_SET, "MemAgentMemcgSet", "MemAgentMemcgConfig",
          grpc__mem_agent_memcg_config__descriptor),
        A(AGENT_MEM_AGENT_COMPACT_SET, "MemAgentCompactSet", "MemAgentCompactConfig",
          grpc__mem_agent_compact_config__descriptor),
        A(AGENT_CREATE_SANDBOX, "CreateSandbox", "CreateSandboxRequest",
          grpc__create_sandbox_request__descriptor),
        A(AGENT_DESTROY_SANDBOX, "DestroySandbox", "DestroySandboxRequest",
          grpc__destroy_sandbox_request__descriptor),
        A(AGENT_ONLINE_CPU_MEM, "OnlineCPUMem", "OnlineCPUMemRequest",
          grpc__online_cpumem_request__descriptor),
        A(AGENT_RESEED_RANDOM_DEV, "ReseedRandomDev", "ReseedRandomDevRequest",
          grpc__reseed_random_dev_request__descriptor),
        A(AGENT_GET_GUEST_DETAILS, "GetGuestDetails", "GuestDetailsRequest",
          grpc__guest_details_request__descriptor),
        A(AGENT_MEM_HOTPLUG_BY_PROBE, "MemHotplugByProbe", "MemHotplugByProbeRequest",
          grpc__mem_hotplug_by_probe_request__descriptor),
        A(AGENT_SET_GUEST_DATE_TIME, "SetGuestDateTime", "SetGuestDateTimeRequest",
          grpc__set_guest_date_time_request__descriptor),
        A(AGENT_COPY_FILE, "CopyFile", "CopyFileRequest", grpc__copy_file_request__descriptor),
        A(AGENT_GET_OOM_EVENT, "GetOOMEvent", "GetOOMEventRequest",
          grpc__get_oomevent_request__descriptor),
        A(AGENT_ADD_SWAP, "AddSwap", "AddSwapRequest", grpc__add_swap_request__descriptor),
        A(AGENT_ADD_SWAP_PATH, "AddSwapPath", "AddSwapPathRequest",
          grpc__add_swap_path_request__descriptor),
        A(AGENT_GET_VOLUME_STATS, "GetVolumeStats", "VolumeStatsRequest",
          grpc__volume_stats_request__descriptor),
        A(AGENT_RESIZE_VOLUME, "ResizeVolume", "ResizeVolumeRequest",
          grpc__resize_volume_request__descriptor),
        A(AGENT_SET_POLICY, "SetPolicy", "SetPolicyRequest", grpc__set_policy_request__descriptor),
        ROW(AGENT_HEALTH_CHECK, SVC_HEALTH, "Check", "CheckRequest", grpc__check_request__descriptor),
        ROW(AGENT_HEALTH_VERSION, SVC_HEALTH, "Version", "CheckRequest",
            grpc__check_request__descriptor),
};

const struct agent_method *agent_method_get(enum agent_method_id id)
{
        if ((int)id < 0 || id >= _AGENT_METHOD_MAX)
                return NULL;
        return &agent_methods[id];
}

/*
 * Lookup index: open addressing over a power-of-two table more than twice the
 * number of methods, FNV-1a over "service" 0x00 "method" (the separator cannot
 * occur in a known name, so no two distinct pairs collide by concatenation).
 * Built once into static storage; a lookup hashes, probes a few slots and
 * compares lengths and bytes: no allocation, no dependence on NUL termination.
 */
#define INDEX_SLOTS 128u
#define INDEX_EMPTY 0xffu

static uint8_t agent_index[INDEX_SLOTS];
static pthread_once_t agent_index_once = PTHREAD_ONCE_INIT;

static uint32_t fnv1a(uint32_t h, const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                h ^= (uint8_t)s[i];
                h *= 16777619u;
        }
        return h;
}

static uint32_t method_hash(const char *service, size_t service_len, const char *method,
                            size_t method_len)
{
        uint32_t h = fnv1a(2166136261u, service, service_len);

        h = fnv1a(h, "", 1);
        return fnv1a(h, method, method_len);
}

static void agent_index_build(void)
{
        _Static_assert(_AGENT_METHOD_MAX < INDEX_EMPTY, "method ids must fit a slot byte");
        _Static_assert(2 * _AGENT_METHOD_MAX < INDEX_SLOTS, "index too full");

        memset(agent_index, INDEX_EMPTY, sizeof(agent_index));
        for (size_t i = 0; i < _AGENT_METHOD_MAX; i++) {
                const struct agent_method *m = &agent_methods[i];
                uint32_t s = method_hash(m->service, strlen(m->service), m->method,
                                         strlen(m->method)) & (INDEX_SLOTS - 1);

                while (agent_index[s] != INDEX_EMPTY)
                        s = (s + 1) & (INDEX_SLOTS - 1);
                agent_index[s] = (uint8_t)i;
        }
}

static bool name_eq(const char *known, const char *s, size_t n)
{
        return strlen(known) == n && memcmp(known, s, n) == 0;
}

const struct agent_method *agent_method_lookup(const char *service, size_t service_len,
                                               const char *method, size_t method_len)
{
        uint32_t s;

        if ((!service && service_len) || (!method && method_len))
                return NULL;
        (void)pthread_once(&agent_index_once, agent_index_build);

        s = method_hash(service, service_len, method, method_len) & (INDEX_SLOTS - 1);
        /* The table is never full, so an empty slot ends every probe sequence. */
        for (; agent_index[s] != INDEX_EMPTY; s = (s + 1) & (INDEX_SLOTS - 1)) {
                const struct agent_method *m = &agent_methods[agent_index[s]];

                if (name_eq(m->method, method, method_len) &&
                    name_eq(m->service, service, service_len))
                        return m;
        }
        return NULL;
}

size_t agent_methods_by_request_name(const char *name, enum agent_method_id *ret_ids, size_t n_ids)
{
        size_t n = 0;

        /* Policy-load time only: a scan of the table is plenty. */
        for (size_t i = 0; i < _AGENT_METHOD_MAX; i++) {
                if (strcmp(agent_methods[i].request_name, name) != 0)
                        continue;
                if (n < n_ids)
                        ret_ids[n] = (enum agent_method_id)i;
                n++;
        }
        return n;
}

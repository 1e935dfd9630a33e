/* SPDX-License-Identifier: Apache-2.0 */
/* The table of request fields the policy engine does not check, with the reasons. */
#include "field_coverage.h"

/*
 * One line per field, so that a check that lands takes out exactly its lines (the
 * completeness test says which). A request's name alone stands for every field of
 * a request that is decided as a whole.
 */
#define WHOLE_DENIED                                                                      \
        "decided as a whole: the generated policies do not allow it (default deny or an " \
        "explicit deny); a policy that allows it allows every value unless it adds "      \
        "`fields:` matchers"
#define RESOURCES                                                                         \
        "presence alone: an empty message sets nothing (kata's trans.rs turns 0 and \"\" "  \
        "into None); every setting in it is checked by the container's `resources:`"
#define DEVICE_RULES                                                                      \
        "a device cgroup rule's type, numbers and access: a deny rule only takes access "  \
        "away, and any allow rule is refused unless the container lists devices"
#define NOT_PROVED_STREAM                                                                 \
        "checked against the container and exec bindings like every container request "  \
        "(decide_policy.c), but no corpus lifecycle sends it, so the completeness test "  \
        "cannot prove it"

const struct field_unchecked field_unchecked[] = {
        /* Methods the generated policies never allow. */
        { "UpdateContainerRequest", WHOLE_DENIED },
        { "UpdateEphemeralMountsRequest", WHOLE_DENIED },
        { "PauseContainerRequest", WHOLE_DENIED },
        { "ResumeContainerRequest", WHOLE_DENIED },
        { "WriteStreamRequest", WHOLE_DENIED },
        { "TtyWinResizeRequest", WHOLE_DENIED },
        { "GetIPTablesRequest", WHOLE_DENIED },
        { "SetIPTablesRequest", WHOLE_DENIED },
        { "MemAgentMemcgConfig", WHOLE_DENIED },
        { "MemAgentCompactConfig", WHOLE_DENIED },
        { "OnlineCPUMemRequest", WHOLE_DENIED },
        { "ReseedRandomDevRequest", WHOLE_DENIED },
        { "MemHotplugByProbeRequest", WHOLE_DENIED },
        { "SetGuestDateTimeRequest", WHOLE_DENIED },
        { "AddSwapRequest", WHOLE_DENIED },
        { "AddSwapPathRequest", WHOLE_DENIED },
        { "VolumeStatsRequest", WHOLE_DENIED },
        { "ResizeVolumeRequest", WHOLE_DENIED },

        /* Allowed as a whole, and harmless. */
        { "GuestDetailsRequest.mem_block_size", "asks the agent to report the guest's memory block size: an answer, no action" },
        { "GuestDetailsRequest.mem_hotplug_probe", "asks the agent whether memory hot-plug probing exists: an answer, no action" },
        { "CheckRequest.service", "the health check's service name: kata's agent answers SERVING whatever it is" },
        { "RemoveContainerRequest.timeout", "how long the agent waits for the container to stop; removing a listed container is allowed by policy" },
        { "SignalProcessRequest.signal", "which signal a process of a bound container gets: the host can stop or kill the pod anyway (the process is checked by its bindings)" },
        { "ReadStreamRequest.len", "how many bytes of output to return: the agent allocates that many per read (rpc.rs read_stream, up to 4 GiB; denial of service only, which the host has anyway); which streams may be read is checked by the ids" },
        { "GetDiagnosticDataRequest.container_id", "whose termination message the runtime fetches at a container's stop: it goes to kubelet, which shows it to the host anyway" },
        { "CloseStdinRequest.container_id", NOT_PROVED_STREAM },
        { "CloseStdinRequest.exec_id", NOT_PROVED_STREAM },

        /* Presence alone: the agent treats an empty message as an absent one. */
        { "CreateContainerRequest.OCI.Hooks", "absent or empty, no hook runs; every hook in it is checked" },
        { "ExecProcessRequest.process.Capabilities", "absent, the agent gives the exec the container's own capabilities (rustjail container.rs `No capabilities, inherit from container process`); present, its sets are checked" },

        /* Ignored by kata's agent. */
        { "CreateContainerRequest.OCI.Version", "the runtime-spec version string: the agent only reports it back in the container's state (rustjail container.rs oci_state), which hooks read, and every hook is checked" },

        /* Linux.Resources of CreateContainer: settings by `resources:`, device rules by `devices:`. */
        { "CreateContainerRequest.OCI.Linux.Resources", RESOURCES },
        { "CreateContainerRequest.OCI.Linux.Resources.Devices", RESOURCES },
        { "CreateContainerRequest.OCI.Linux.Resources.Devices.Type", DEVICE_RULES },
        { "CreateContainerRequest.OCI.Linux.Resources.Devices.Major", DEVICE_RULES },
        { "CreateContainerRequest.OCI.Linux.Resources.Devices.Minor", DEVICE_RULES },
        { "CreateContainerRequest.OCI.Linux.Resources.Devices.Access", DEVICE_RULES },
        { "CreateContainerRequest.OCI.Linux.Resources.Memory", RESOURCES },
        { "CreateContainerRequest.OCI.Linux.Resources.CPU", RESOURCES },
        { "CreateContainerRequest.OCI.Linux.Resources.Pids", RESOURCES },
        { "CreateContainerRequest.OCI.Linux.Resources.BlockIO", RESOURCES },
        { "CreateContainerRequest.OCI.Linux.Resources.BlockIO.WeightDevice", RESOURCES },
        { "CreateContainerRequest.OCI.Linux.Resources.BlockIO.ThrottleReadBpsDevice", RESOURCES },
        { "CreateContainerRequest.OCI.Linux.Resources.BlockIO.ThrottleWriteBpsDevice", RESOURCES },
        { "CreateContainerRequest.OCI.Linux.Resources.BlockIO.ThrottleReadIOPSDevice", RESOURCES },
        { "CreateContainerRequest.OCI.Linux.Resources.BlockIO.ThrottleWriteIOPSDevice", RESOURCES },
        { "CreateContainerRequest.OCI.Linux.Resources.HugepageLimits", RESOURCES },
        { "CreateContainerRequest.OCI.Linux.Resources.Network", RESOURCES },
        { "CreateContainerRequest.OCI.Linux.Resources.Network.Priorities", RESOURCES },
};

const size_t field_unchecked_n = sizeof(field_unchecked) / sizeof(field_unchecked[0]);

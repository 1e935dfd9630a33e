/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_guard: a cgroup connect_unix program (kernel >= 6.7) that lets only
 * ccgate's cgroup connect to the kata agent's unix socket.
 *
 * Shared by the BPF program and its loader (bpf/guard.c): plain constants, no
 * types from either side's headers.
 *
 * How the socket is recognised, and what that cannot see
 * -------------------------------------------------------
 * The hook runs in connect(2) (stream and seqpacket: unix_stream_connect; datagram:
 * unix_dgram_connect) after the address was validated and BEFORE the kernel resolves
 * the path, so all it sees is the caller's sockaddr_un: sun_path and its length. It
 * cannot know which inode a path resolves to. The loader records the agent socket as
 * a path ("/run/kata/agent.sock") or an abstract name ("@name"), and the program
 * denies callers outside ccgate's cgroup when:
 *
 *   AGENT_GUARD_MATCH_PATH  sun_path equals the configured path byte for byte
 *                           (up to the first NUL within the given length), or the
 *                           abstract name equals it with the same length;
 *   AGENT_GUARD_MATCH_NAME  (pathname sockets) the last component of sun_path
 *                           equals the last component of the configured path,
 *                           whatever directories come before it.
 *
 * MATCH_NAME is the default: it also catches "//run/kata/agent.sock",
 * "/run/./kata/agent.sock", "/x/../run/kata/agent.sock", relative paths after a
 * chdir, "/proc/self/root/run/kata/agent.sock", "/proc/<pid>/cwd/agent.sock",
 * symlinked or bind-mounted DIRECTORIES -- every path that reaches the socket through
 * its own name. Its price: a connect to any other socket of the same name is denied
 * too, so give the agent socket a distinctive name.
 *
 * Known bypasses (path matching cannot close them; see guard.h for mitigations):
 *   - a symlink to the socket under another name (any writable directory will do);
 *   - a hard link to the socket inode under another name (link(2) works on sockets;
 *     needs a writable directory on the same filesystem);
 *   - a bind mount of the socket file itself onto another name.
 * These reach the same inode through a name the program never saw. The LSM program
 * (lsm_guard: unix_stream_connect / unix_may_send) closes them by comparing the
 * listening socket's inode where BPF LSM is active; on kernels without BPF LSM the
 * defence is that container processes run in their own mount namespace (no path to
 * the guest's /run) and that /proc/<pid>/root of guest processes needs ptrace
 * access. Abstract names have no inode and no aliases: matched exactly.
 *
 * Caller identity is bpf_get_current_cgroup_id(): the cgroup v2 of the task calling
 * connect(), not the cgroup that created the socket, so a socket made inside ccgate's
 * cgroup and passed out is still refused to its new owner.
 */
#pragma once

#define AGENT_GUARD_MATCH_PATH 0x1u
#define AGENT_GUARD_MATCH_NAME 0x2u
#define AGENT_GUARD_MATCH_ALL (AGENT_GUARD_MATCH_PATH | AGENT_GUARD_MATCH_NAME)

/* sizeof(((struct sockaddr_un *)0)->sun_path) */
#define AGENT_GUARD_SUN_PATH_MAX 108
/* Buffers are a power of two so indexes can be masked for the verifier. */
#define AGENT_GUARD_BUF 128

/* Kernel enum bpf_attach_type value of BPF_CGROUP_UNIX_CONNECT (6.7+); old uapi
 * headers and libbpf 1.1 do not know it. */
#define AGENT_GUARD_ATTACH_TYPE 49

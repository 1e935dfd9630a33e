#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Write (or --check) the traffic corpus's lifecycle files from the pods and images.json.

Each lifecycle is one pod's life as one of kata's runtimes drives the agent, request by
request, in the order they are sent. The facts (which request, which field, from what)
are in model.py, each with the kata or containerd source it follows; this file puts the
requests in order for the Go shim (containerd-shim-kata-v2) and for runtime-rs.
Needs python3-yaml (tools/install-deps lists it). Run with /usr/bin/python3.
"""

import argparse
import json
import os
import sys

import yaml

import model as M
from copyfiles import CopyFiles
from model import GO, RS, b64, h, uuid4

HERE = os.path.dirname(os.path.abspath(__file__))
AGENT, HEALTH = "grpc.AgentService", "grpc.Health"
RS_SRC = "src/runtime-rs/crates/runtimes/virt_container/src/"

# (pod dir, runtime, network, options). ip: the pod's last IPv4 octet.
LIFECYCLES = [
    ("web", GO, "ipv4", {"ip": 7}),
    ("web", RS, "ipv4", {"ip": 7}),
    ("web", GO, "dual-stack", {"ip": 7, "neighbors": True}),
    ("sidecar", GO, "ipv4", {"ip": 8}),
    ("sidecar", RS, "ipv4", {"ip": 8}),
    ("locked", GO, "ipv4", {"ip": 9}),
    ("volumes", GO, "dual-stack", {"ip": 10, "neighbors": True}),
    ("volumes", RS, "dual-stack", {"ip": 10, "neighbors": True}),
    ("emptydir", GO, "ipv4", {"ip": 11, "emptydir_mode": "shared-fs"}),
    ("deployment", GO, "ipv4", {"ip": 12}),
    ("deployment", RS, "ipv4", {"ip": 12}),
]

RUNTIME_NAMES = {
    GO: "kata Go runtime, containerd-shim-kata-v2 (src/runtime), configuration-qemu-snp.toml",
    RS: "kata runtime-rs (src/runtime-rs), configuration-qemu-snp-runtime-rs.toml",
}
POLICY_ANNO = "io.katacontainers.config.agent.policy"
INITDATA_ANNO = "io.katacontainers.config.hypervisor.cc_init_data"


class Lifecycle(CopyFiles):
    def __init__(self, pod_dir, rt, net, opts, images):
        self.pod_dir, self.rt, self.net, self.opts = pod_dir, rt, net, opts
        self.key = "%s/%s-%s" % (pod_dir, rt, net)
        with open(os.path.join(HERE, pod_dir, "pod.yaml")) as f:
            self.pod = M.Pod(list(yaml.safe_load_all(f)), pod_dir, opts["ip"])
        self.images = images
        self.emptydir_mode = opts.get("emptydir_mode", "block-encrypted")
        self.sid = h("sandbox", self.key)
        self.netns = "%s/cni-%s" % (M.NETNS_DIR, uuid4("netns", self.key))
        self.steps = []
        self.cids = {}
        self.copied_emptydirs = {}
        self.policy = None
        if POLICY_ANNO in self.pod.annotations and rt == GO:
            self.policy = self.pod.annotations[POLICY_ANNO]

    # --- helpers ------------------------------------------------------------------------
    def step(self, method, request, message, comment, source, service=AGENT, blocking=False):
        for short, full in (("container_manager/", RS_SRC + "container_manager/"),
                            ("virt_container/", "src/runtime-rs/crates/runtimes/virt_container/")):
            if source.startswith(short):
                source = full + source[len(short):]
        s = {"service": service, "method": method, "request": request, "message": message,
             "comment": comment, "source": source}
        if blocking:
            s["blocking"] = True
        self.steps.append(s)

    def cid(self, name):
        return self.cids.setdefault(name, h("container", self.key, name))

    def salt(self, *parts):
        return h("salt", self.key, *parts)[:16]

    def exec_id(self, cname, what):
        if self.rt == GO:
            return uuid4("exec", self.key, cname, what)   # kata_agent.go exec: uuid.Generate()
        return h("exec", self.key, cname, what)            # containerd CRI execInternal GenerateID

    def guest_copy_path(self, cid, dest):
        # Go fs_share_linux.go shareFileName; runtime-rs share_fs_volume.rs
        # generate_copy_file_guest_path: <cid>-<16 hex>-<basename(destination)>
        return "%s/%s-%s-%s" % (M.GUEST_SHARED, cid, self.salt(cid, dest), os.path.basename(dest))

    # --- the network, as the runtimes scan the pod's netns ---------------------------------
    def network_steps(self):
        p = self.pod
        addrs = [{"address": p.ipv4(), "mask": "24"}]
        if self.net == "dual-stack":
            addrs += [{"family": "v6", "address": p.ipv6(), "mask": "64"},
                      {"family": "v6", "address": p.link_local(), "mask": "64"}]
        iface = {"device": "eth0", "name": "eth0", "IPAddresses": addrs, "mtu": 1450,
                 "hwAddr": p.mac(), "type": "veth"}
        routes = [{"dest": "0.0.0.0/0", "gateway": "10.244.1.1", "device": "eth0"}]
        if self.net == "dual-stack":
            routes.append({"dest": "::/0", "gateway": "fd00:10:244:1::1", "device": "eth0",
                           "family": "v6"})
        if self.rt == RS:
            for r in routes:
                del r["dest"]      # rtnetlink: a default route has no RTA_DST attribute
        if self.rt == GO:
            src = ("src/runtime/virtcontainers/network.go generateVCNetworkStructures, "
                   "kata_agent.go setupNetworks")
        else:
            src = ("src/runtime-rs/crates/resource/src/network/network_info/"
                   "network_info_from_link.rs, manager_inner.rs apply_network_to_agent")
        what = ("every non-loopback address of eth0, the IPv6 link-local fe80::/64 included"
                if self.net == "dual-stack" else
                "its IPv4 address (IPv6 is disabled in this pod network's netns)")
        self.step("UpdateInterface", "UpdateInterfaceRequest", {"interface": iface},
                  "the pod's veth as scanned in its netns: %s; mtu; MAC (the agent picks the "
                  "guest link by hwAddr and renames it to name); type; raw_flags keeps only "
                  "IFF_NOARP (0 here); devicePath is empty for a cold-plugged virtio-net" % what,
                  src)
        route_comment = ("every route on eth0 except the kernel's own (RTPROT_KERNEL: the "
                         "connected subnets and fe80::/64), here the default route(s); ")
        if self.rt == GO:
            self.step("UpdateRoutes", "UpdateRoutesRequest", {"routes": {"Routes": routes}},
                      route_comment + "vishvananda/netlink 1.3 reports a default route as "
                      "0.0.0.0/0 (::/0)", src)
            if self.opts.get("neighbors"):
                self.step("AddARPNeighbors", "AddARPNeighborsRequest",
                          {"neighbors": {"ARPNeighbors": [
                              {"toIPAddress": {"address": "10.244.1.1"}, "device": "eth0",
                               "lladdr": "0a:58:0a:f4:01:01", "state": 2}]}},
                          "permanent neighbours, and the default gateway when it is REACHABLE "
                          "(state 2) in the netns at scan time, as modelled here; with neither, "
                          "no AddARPNeighbors is sent",
                          "src/runtime/virtcontainers/network_linux.go validGuestNeighbor")
        else:
            self.step("UpdateRoutes", "UpdateRoutesRequest", {"routes": {"Routes": routes}},
                      route_comment + "rtnetlink leaves dest empty for a default route. "
                      "runtime-rs sends neighbours before routes and only NUD_PERMANENT ones "
                      "(manager_inner.rs handle_neighbours), so the REACHABLE gateway the Go "
                      "shim sends is not sent here", src)

    # --- the sandbox ---------------------------------------------------------------------
    def pod_user(self, image):
        psc = self.pod.spec.get("securityContext") or {}
        if "runAsUser" in psc:
            uid, gid = psc["runAsUser"], psc.get("runAsGroup", 0)
        else:
            u, _, g = image["config"].get("User", "0").partition(":")
            uid, gid = int(u), int(g or 0)
        extra = [gid]
        for g in list(psc.get("supplementalGroups", [])) + ([psc["fsGroup"]] if "fsGroup" in psc else []):
            if g not in extra:
                extra.append(g)
        return {"UID": uid, "GID": gid, "AdditionalGids": extra}

    def passthrough(self, annotations):
        """containerd passes the pod's io.katacontainers.* annotations (kata-deploy's
        pod_annotations) to the sandbox and every container. The Go shim deletes the policy
        and initdata ones (katautils/create.go); runtime-rs only the initdata one
        (container.rs update_ocispec_annotations)."""
        for k, v in self.pod.annotations.items():
            if k.startswith("io.katacontainers."):
                if k == INITDATA_ANNO or (k == POLICY_ANNO and self.rt == GO):
                    continue
                annotations[k] = v

    def sandbox_steps(self):
        p, sid = self.pod, self.sid
        pause = self.images.lookup(M.PAUSE_IMAGE)
        res = M.sandbox_resources(p)
        dns = self.resolv_conf().decode().split("\n")
        self.step("CreateSandbox", "CreateSandboxRequest",
                  {"hostname": p.hostname, "dns": dns,
                   "storages": [{"driver": "ephemeral", "source": "shm", "fstype": "tmpfs",
                                 "options": ["noexec", "nosuid", "nodev", "mode=1777",
                                             "size=%d" % M.SHM_SIZE],
                                 "mount_point": M.GUEST_SHM}],
                   "sandbox_id": sid},
                  "hostname from the sandbox spec; dns is the sandbox's resolv.conf (kubelet's "
                  "ClusterFirst config, written by containerd) split at every newline, so its "
                  "last element is empty; the one storage is the guest tmpfs behind every "
                  "container's /dev/shm (size measured from containerd's 64 MiB sandbox shm); "
                  "no virtio-fs storage (shared_fs=none); no guest hooks, no kernel modules",
                  "src/runtime/virtcontainers/kata_agent.go startSandbox, setupStorages"
                  if self.rt == GO else
                  "src/runtime-rs/crates/runtimes/virt_container/src/sandbox.rs start, "
                  "resource/src/manager_inner.rs get_storage_for_sandbox, runtimes/src/manager.rs")
        self.step("GetGuestDetails", "GuestDetailsRequest",
                  {"mem_block_size": True, "mem_hotplug_probe": True},
                  "memory block size and probe support, for later memory hotplug",
                  "src/runtime/virtcontainers/sandbox.go getAndStoreGuestDetails"
                  if self.rt == GO else "virt_container/src/sandbox.rs store_guest_details")
        if self.rt == RS:
            self.step("GetOOMEvent", "GetOOMEventRequest", {},
                      "the OOM watcher's long poll, started once the sandbox exists; "
                      "re-sent after every answer",
                      "virt_container/src/sandbox.rs start (oom watcher)", blocking=True)

        guest_resolv = self.guest_copy_path(sid, "/etc/resolv.conf")
        self.copy_file(guest_resolv, M.S_IFREG | 0o644, self.resolv_conf(),
                       "the pause container's /etc/resolv.conf (containerd mounts the sandbox's "
                       "resolv.conf into it \"for katacontainers to setup the DNS\"): copied, "
                       "no shared filesystem", "ShareFsVolume::new -> copy_file_to_guest")
        anno = {"io.kubernetes.cri.container-type": "sandbox",
                "io.kubernetes.cri.sandbox-id": sid,
                "io.kubernetes.cri.sandbox-name": p.name,
                "io.kubernetes.cri.sandbox-namespace": p.namespace,
                "io.kubernetes.cri.sandbox-uid": p.uid,
                "io.kubernetes.cri.sandbox-log-directory": "/var/log/pods/%s_%s_%s" % (p.namespace, p.name, p.uid),
                "io.kubernetes.cri.podsandbox.image-name": M.PAUSE_IMAGE,
                "io.kubernetes.cri.sandbox-cpu-period": str(res["period"]),
                "io.kubernetes.cri.sandbox-cpu-quota": str(res["quota"]),
                "io.kubernetes.cri.sandbox-cpu-shares": str(res["shares"]),
                "io.kubernetes.cri.sandbox-memory": str(res["memory"]),
                "io.katacontainers.pkg.oci.bundle_path": "/run/containerd/io.containerd.runtime.v2.task/k8s.io/" + sid,
                "io.katacontainers.pkg.oci.container_type": "pod_sandbox",
                "nerdctl/network-namespace": self.netns}
        self.passthrough(anno)
        spec = {
            "Version": M.OCI_VERSION,
            "Process": {"User": self.pod_user(pause), "Args": ["/pause"],
                        "Env": list(pause["config"]["Env"]), "Cwd": "/",
                        "Capabilities": {"Bounding": list(M.DEFAULT_CAPS),
                                         "Effective": list(M.DEFAULT_CAPS),
                                         "Permitted": list(M.DEFAULT_CAPS)},
                        "NoNewPrivileges": True, "OOMScoreAdj": -998},
            "Root": {"Path": "/run/kata-containers/%s/rootfs" % sid, "Readonly": True},
            "Hostname": p.hostname,
            "Mounts": [M.mount("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
                       M.mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
                       M.mount("/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
                       M.mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
                       M.mount("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"]),
                       M.mount("/dev/shm", M.GUEST_SHM, "bind", ["rbind"]),
                       M.mount("/etc/resolv.conf", guest_resolv, "bind", ["rbind", "ro", "nosuid", "nodev", "noexec"])],
            "Annotations": anno,
            "Linux": {"Sysctl": {"net.ipv4.ip_unprivileged_port_start": "0",
                                 "net.ipv4.ping_group_range": "0 2147483647"},
                      "Resources": {"CPU": {"Shares": 2}},
                      "CgroupsPath": p.cgroups_path(sid),
                      "Namespaces": M.kata_namespaces(self.rt, ["pid", "ipc", "uts", "mount", "network"]),
                      "MaskedPaths": list(M.CONTAINERD_MASKED),
                      "ReadonlyPaths": list(M.READONLY)}}
        storage = M.image_pull_storage(self.rt, sid, "pause", anno, pause["layer_digest"], self.key)
        msg = {"container_id": sid, "storages": [storage], "OCI": spec}
        if self.rt == GO:
            msg = {"container_id": sid, "exec_id": sid, "storages": [storage], "OCI": spec}
        self.step("CreateContainer", "CreateContainerRequest", msg,
                  "the pause container. Its image storage's source is \"pause\", not an image "
                  "reference; the agent decides by the metadata's io.kubernetes.cri.container-type "
                  "= sandbox to use its built-in pause bundle (agent storage/image_pull_handler.rs, "
                  "confidential_data_hub/image.rs is_sandbox) and then replaces this Process with "
                  "the bundle's (get_process). containerd: default spec without seccomp, "
                  "AppArmor or rlimits, pause image Args/Env, pod user (or the image's "
                  "65535:65535), sysctls, /dev/shm and resolv.conf binds, shares 2, OOM -998, "
                  "containerd's masked paths. kata: /dev/shm onto the sandbox shm (handleShm), "
                  "resolv.conf onto its copy, root in the guest, namespaces trimmed, device "
                  "cgroup rules dropped, bundle_path, container_type and nerdctl/network-namespace "
                  "(the netns path) annotations added" +
                  (", exec_id the container id" if self.rt == GO else
                   ", exec_id empty (ContainerProcessID::new(cid, \"\"))"),
                  "containerd internal/cri/server/podsandbox/sandbox_run_linux.go; "
                  + ("src/runtime/virtcontainers/kata_agent.go createContainer, "
                     "fs_share_linux.go ShareRootFilesystem, pkg/katautils/create.go"
                     if self.rt == GO else
                     "src/runtime-rs/crates/runtimes/virt_container/src/container_manager/"
                     "container.rs create, resource/src/rootfs/virtual_volume.rs"))
        self.step("StartContainer", "StartContainerRequest", {"container_id": sid},
                  "the shim starts the sandbox's containers (the pause one)",
                  "src/runtime/virtcontainers/sandbox.go Start" if self.rt == GO
                  else "container_manager/container.rs start")
        self.step("WaitProcess", "WaitProcessRequest", self.proc_id(sid),
                  "the pause container has no stdio, so the shim waits on it at once; the "
                  "answer comes when the pod is torn down",
                  "src/runtime/pkg/containerd-shim-v2/wait.go" if self.rt == GO
                  else "container_manager/process.rs run_io_wait", blocking=True)
        if self.rt == GO:
            self.step("GetOOMEvent", "GetOOMEventRequest", {},
                      "watchOOMEvents' long poll, started with the sandbox; re-sent after "
                      "every answer", "src/runtime/pkg/containerd-shim-v2/start.go, wait.go",
                      blocking=True)
        self.health("the sandbox monitor's health check (every 5 s)" if self.rt == GO else
                    "the health monitor's check (every 30 s)")

    def health(self, comment, method="Check"):
        self.step(method, "CheckRequest", {}, comment,
                  "src/runtime/virtcontainers/monitor.go" if self.rt == GO
                  else "src/runtime-rs/crates/runtimes/virt_container/src/health_check.rs",
                  service=HEALTH)

    def proc_id(self, cid, exec_id=None):
        """The process a request names: Go uses the container id as the init process's
        exec id, runtime-rs an empty one."""
        if exec_id:
            return {"container_id": cid, "exec_id": exec_id}
        if self.rt == GO:
            return {"container_id": cid, "exec_id": cid}
        return {"container_id": cid}

    # --- one container -------------------------------------------------------------------
    def cri_mounts(self, c):
        """kubelet makeMounts (volume mounts, /etc/hosts, the termination log), then
        containerd linuxContainerMounts (/etc/hostname, /etc/resolv.conf, /dev/shm) and the
        image's VOLUMEs, sorted by depth (stable): internal/cri/opts/spec_linux_opts.go."""
        sc = c.get("securityContext") or {}
        ro_root = bool(sc.get("readOnlyRootFilesystem"))
        out = []
        for vm in c.get("volumeMounts", []):
            # kubelet makeMounts: ReadOnly = mount.ReadOnly || mustMountRO, true for the
            # configMap, secret, projected and downwardAPI plugins (their
            # GetAttributes().ReadOnly, since Kubernetes 1.10: kubernetes#58720).
            vol = self.pod.volumes.get(vm["name"], {})
            must_ro = any(k in vol for k in ("configMap", "secret", "projected", "downwardAPI"))
            out.append((vm["mountPath"], ("volume", vm["name"]), bool(vm.get("readOnly")) or must_ro))
        out.append(("/etc/hosts", ("hosts",), False))
        out.append((c.get("terminationMessagePath", "/dev/termination-log"), ("termlog",), False))
        have = {m[0] for m in out}
        for dst, kind in (("/etc/hostname", "hostname"), ("/etc/resolv.conf", "resolv")):
            if dst not in have:
                out.append((dst, (kind,), ro_root))
        out.append(("/dev/shm", ("shm",), False))
        image = self.images.lookup(c["image"])
        for dst in sorted(image["config"].get("Volumes", {})):
            out.append((dst, ("imagevolume",), False))
        return sorted(out, key=lambda m: m[0].rstrip("/").count("/"))

    def container_mounts(self, c, cid, storages):
        """The OCI mounts as the agent gets them, sending the CopyFiles on the way."""
        mounts = [M.mount("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
                  M.mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
                  M.mount("/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
                  M.mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
                  M.mount("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"]),
                  M.mount("/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", "ro"])]
        name = c["name"]
        for dst, kind, ro in self.cri_mounts(c):
            opts = ["rbind", "rprivate", "ro" if ro else "rw"]
            if kind[0] == "shm":
                mounts.append(M.mount(dst, M.GUEST_SHM, "bind", ["rbind"]))
                continue
            guest = self.guest_copy_path(cid, dst)
            if kind[0] == "hosts":
                self.copy_file(guest, M.S_IFREG | 0o644, self.etc_hosts(),
                               "%s: kubelet's /etc/hosts (pods/<uid>/etc-hosts)" % name,
                               "ShareFsVolume::new -> copy_file_to_guest")
            elif kind[0] == "termlog":
                self.copy_file(guest, M.S_IFREG | 0o666, b"",
                               "%s: the termination-log file kubelet made (empty, chmod 0666)" % name,
                               "ShareFsVolume::new -> copy_file_to_guest")
            elif kind[0] == "hostname":
                self.copy_file(guest, M.S_IFREG | 0o644, (self.pod.hostname + "\n").encode(),
                               "%s: containerd's sandbox hostname file" % name,
                               "ShareFsVolume::new -> copy_file_to_guest")
            elif kind[0] == "resolv":
                self.copy_file(guest, M.S_IFREG | 0o644, self.resolv_conf(),
                               "%s: containerd's sandbox resolv.conf" % name,
                               "ShareFsVolume::new -> copy_file_to_guest")
            elif kind[0] == "imagevolume":
                self.copy_file(guest, M.S_IFDIR | 0o755, b"",
                               "%s: the image's VOLUME %s, an empty directory containerd made "
                               "under its container root" % (name, dst),
                               "ShareFsVolume::new -> copy_directory_to_guest",
                               dir_mode=M.RS_DIR_MODE)
            else:
                vol = self.pod.volumes[kind[1]]
                if "emptyDir" in vol and self.emptydir_mode == "block-encrypted":
                    src = "0:0"
                    point = "%s/%s" % (M.GUEST_STORAGE, b64(src.encode()).replace("+", "-").replace("/", "_"))
                    st = {"driver": "scsi", "driver_options": ["encryption_key=ephemeral", "create_filesystem"],
                          "source": src, "fstype": "ext4", "mount_point": point, "shared": True}
                    if st not in storages:
                        storages.append(st)
                    mounts.append(M.mount(dst, point, "bind", opts))
                    continue
                if "emptyDir" in vol:
                    # Go fs_share_linux.go ShareFile: mustCopyEmptyDir, copied once per pod
                    guest = self.copied_emptydirs.get(kind[1])
                    if guest is None:
                        guest = "%s/sandbox-%s-%s" % (M.GUEST_SHARED, self.salt("emptydir", kind[1]), kind[1])
                        self.copied_emptydirs[kind[1]] = guest
                        self.copy_file(guest, M.S_IFDIR | 0o777, b"",
                                       "%s: the emptyDir %r, copied (still empty) the first time "
                                       "a container mounts it; the others share this guest "
                                       "directory" % (name, kind[1]), "")
                    mounts.append(M.mount(dst, guest, "bind", opts))
                    continue
                root, entries = self.volume_tree(vol)
                self.copy_tree(guest, root, entries, "%s: volume %r" % (name, kind[1]))
            mounts.append(M.mount(dst, guest, "bind", opts))
        return mounts

    def container_spec(self, c, cid, mounts):
        p = self.pod
        image = self.images.lookup(c["image"])
        sc = c.get("securityContext") or {}
        anno = {"io.kubernetes.cri.container-type": "container",
                "io.kubernetes.cri.container-name": c["name"],
                "io.kubernetes.cri.image-name": c["image"],
                "io.kubernetes.cri.sandbox-id": self.sid,
                "io.kubernetes.cri.sandbox-name": p.name,
                "io.kubernetes.cri.sandbox-namespace": p.namespace,
                "io.kubernetes.cri.sandbox-uid": p.uid,
                "io.kubernetes.container.terminationMessagePath":
                    c.get("terminationMessagePath", "/dev/termination-log"),
                "io.kubernetes.container.terminationMessagePolicy":
                    c.get("terminationMessagePolicy", "File"),
                "io.katacontainers.pkg.oci.bundle_path": "/run/containerd/io.containerd.runtime.v2.task/k8s.io/" + cid,
                "io.katacontainers.pkg.oci.container_type": "pod_container"}
        self.passthrough(anno)
        proc = {"User": M.user_of(p, c, image), "Args": M.process_args(c, image),
                "Env": M.container_env(p, c, image, (self.key, c["name"])),
                "Cwd": c.get("workingDir") or image["config"].get("WorkingDir") or "/",
                "Capabilities": M.capabilities(c)}
        if sc.get("allowPrivilegeEscalation") is False:
            proc["NoNewPrivileges"] = True
        proc["ApparmorProfile"] = M.APPARMOR
        proc["OOMScoreAdj"] = M.oom_score_adj(p, c)
        root = {"Path": "/run/kata-containers/%s/rootfs" % cid}
        if sc.get("readOnlyRootFilesystem"):
            root["Readonly"] = True
        spec = {"Version": M.OCI_VERSION, "Process": proc, "Root": root, "Mounts": mounts,
                "Annotations": anno,
                "Linux": {"Resources": M.container_resources(c),
                          "CgroupsPath": p.cgroups_path(cid),
                          "Namespaces": M.kata_namespaces(
                              self.rt, ["pid", "ipc", "uts", "mount", "network", "cgroup"]),
                          "MaskedPaths": list(M.KUBELET_MASKED),
                          "ReadonlyPaths": list(M.READONLY)}}
        return spec, anno, image

    def create_container(self, c):
        cid = self.cid(c["name"])
        storages = []
        mounts = self.container_mounts(c, cid, storages)
        spec, anno, image = self.container_spec(c, cid, mounts)
        rootfs = M.image_pull_storage(self.rt, cid, c["image"], anno, image["layer_digest"],
                                      (self.key, c["name"]))
        msg = {"container_id": cid}
        if self.rt == GO:
            msg["exec_id"] = cid
        msg["storages"] = [rootfs] + storages
        msg["OCI"] = spec
        notes = ["the image storage's source is the pod's image string verbatim "
                 "(io.kubernetes.cri.image-name: containerd 2.x sets it from kubelet's "
                 "user_specified_image), pulled in the guest",
                 "Env: PATH and HOSTNAME, the image's env, then kubelet's in Go map order "
                 "(random on every start; fixed here)",
                 "AppArmor profile from containerd on an AppArmor host",
                 "no Seccomp (disable_guest_seccomp = true), no Hooks, no device cgroup rules",
                 "the two io.kubernetes.container.terminationMessage* annotations pass through "
                 "(kata-deploy's container_annotations)"]
        if self.rt == GO:
            notes.append("namespaces: pid, network and cgroup dropped")
        else:
            notes.append("namespaces: pid and network dropped, the cgroup namespace kept; "
                         "exec_id empty")
            if POLICY_ANNO in anno:
                notes.append("the agent.policy annotation stays (runtime-rs neither reads nor "
                             "strips it), in OCI.Annotations and in the image_guest_pull metadata")
        if any(s["driver"] == "scsi" for s in storages):
            notes.append("the emptyDir is an encrypted virtio-scsi disk (emptydir_mode = "
                         "block-encrypted) mounted once at sandbox/storage/<base64url(source)>; "
                         "every container of the pod sends the same storage")
        self.step("CreateContainer", "CreateContainerRequest", msg,
                  "container %r: %s" % (c["name"], "; ".join(notes)),
                  "containerd internal/cri/server/container_create.go buildLinuxSpec; "
                  + ("src/runtime/virtcontainers/kata_agent.go createContainer, constrainGRPCSpec, "
                     "handlePidNamespace" if self.rt == GO else
                     "src/runtime-rs/crates/runtimes/virt_container/src/container_manager/"
                     "container.rs create, amend_spec"))
        self.step("StartContainer", "StartContainerRequest", {"container_id": cid},
                  "containerd StartTask", "src/runtime/pkg/containerd-shim-v2/start.go"
                  if self.rt == GO else "container_manager/container.rs start")
        n = 32768 if self.rt == GO else 8192
        for m, stream in (("ReadStdout", "stdout"), ("ReadStderr", "stderr")):
            self.step(m, "ReadStreamRequest", dict(self.proc_id(cid), len=n),
                      "%s's %s, read by the shim in a loop from start to exit and written to "
                      "containerd's log pipe: what `kubectl logs` shows; %s" %
                      (c["name"], stream, "a 32 KiB buffer" if self.rt == GO else
                       "the space left in tokio::io::copy's 8 KiB buffer"),
                      "src/runtime/pkg/containerd-shim-v2/start.go ioCopy, stream.go"
                      if self.rt == GO else "container_manager/io/container_io.rs",
                      blocking=True)
        return cid

    def container_exit(self, c, why):
        """After the container's process exits (its streams closed): the Go shim's wait()
        stops it (kill, wait, termination message, remove); runtime-rs's run_io_wait calls
        stop_process (termination message, kill, remove)."""
        cid = self.cid(c["name"])
        self.step("WaitProcess", "WaitProcessRequest", self.proc_id(cid),
                  "%s: %s; the shim waits once the streams are closed" % (c["name"], why),
                  "src/runtime/pkg/containerd-shim-v2/wait.go" if self.rt == GO
                  else "container_manager/process.rs run_io_wait")
        diag = {"log_type": "termination_log", "container_id": cid}
        dcomment = ("%s: shared_fs=none and terminationMessagePolicy File, so the runtime asks "
                    "the agent for the termination message and writes it to kubelet's file" % c["name"])
        if self.rt == GO:
            self.step("SignalProcess", "SignalProcessRequest", {"container_id": cid, "signal": 9},
                      "%s: Container.stop kills whatever is left (SIGKILL, all processes)" % c["name"],
                      "src/runtime/virtcontainers/container.go stop")
            self.step("WaitProcess", "WaitProcessRequest", self.proc_id(cid),
                      "%s: Container.stop waits again" % c["name"],
                      "src/runtime/virtcontainers/container.go stop")
            self.step("GetDiagnosticData", "GetDiagnosticDataRequest", diag, dcomment,
                      "src/runtime/virtcontainers/container.go stop")
        else:
            self.step("GetDiagnosticData", "GetDiagnosticDataRequest", diag, dcomment,
                      "container_manager/container.rs copy_termination_log")
            self.step("SignalProcess", "SignalProcessRequest", {"container_id": cid, "signal": 9},
                      "%s: stop_process kills the init process (SIGKILL)" % c["name"],
                      "container_manager/container_inner.rs stop_process")
        self.step("RemoveContainer", "RemoveContainerRequest", {"container_id": cid},
                  "%s: removed from the guest (timeout 0)" % c["name"],
                  "src/runtime/virtcontainers/kata_agent.go stopContainer" if self.rt == GO
                  else "container_manager/container_inner.rs cleanup_container")

    # --- exec probes ----------------------------------------------------------------------
    def probe(self, c, kind):
        probe = c.get(kind) or {}
        if "exec" not in probe:
            return
        cid = self.cid(c["name"])
        image = self.images.lookup(c["image"])
        eid = self.exec_id(c["name"], kind)
        argv = list(probe["exec"]["command"])
        full = {"User": M.user_of(self.pod, c, image), "Args": argv,
                "Env": M.container_env(self.pod, c, image, (self.key, c["name"])),
                "Cwd": c.get("workingDir") or image["config"].get("WorkingDir") or "/"}
        if self.rt == GO:
            proc = full
            how = ("the Go shim builds the process from containerd's exec spec through "
                   "types.Cmd (cmdToKataProcess): Terminal, User, Args, Env, Cwd only, so no "
                   "Capabilities, no NoNewPrivileges, no AppArmor profile; the exec id is a "
                   "fresh UUID, not containerd's")
        else:
            proc = dict(full, Capabilities=M.capabilities(c))
            if (c.get("securityContext") or {}).get("allowPrivilegeEscalation") is False:
                proc["NoNewPrivileges"] = True
            proc["ApparmorProfile"] = M.APPARMOR
            proc["OOMScoreAdj"] = M.oom_score_adj(self.pod, c)
            how = ("runtime-rs passes containerd's exec process whole (the container's process "
                   "with the probe's argv) and containerd's exec id (64 hex)")
        self.step("ExecProcess", "ExecProcessRequest",
                  {"container_id": cid, "exec_id": eid, "process": proc},
                  "%s: kubelet's exec %s (CRI ExecSync); %s" % (c["name"], kind, how),
                  "src/runtime/pkg/containerd-shim-v2/exec.go newExec, "
                  "virtcontainers/kata_agent.go exec" if self.rt == GO else
                  "container_manager/container_inner.rs start_exec_process")
        n = 32768 if self.rt == GO else 8192
        for m in ("ReadStdout", "ReadStderr"):
            self.step(m, "ReadStreamRequest", dict(self.proc_id(cid, eid), len=n),
                      "%s: the probe's %s, which kubelet reads" % (c["name"], m[4:].lower()),
                      "src/runtime/pkg/containerd-shim-v2/start.go startExec ioCopy"
                      if self.rt == GO else "container_manager/io/container_io.rs",
                      blocking=True)
        self.step("WaitProcess", "WaitProcessRequest", self.proc_id(cid, eid),
                  "%s: the probe's exit status" % c["name"],
                  "src/runtime/pkg/containerd-shim-v2/wait.go" if self.rt == GO
                  else "container_manager/process.rs")

    # --- the whole life -------------------------------------------------------------------
    def run(self):
        if self.rt == RS and self.emptydir_mode == "shared-fs":
            raise SystemExit("runtime-rs turns a shared-fs emptyDir into guest-local storage; "
                             "not modelled")
        if self.rt == GO:
            self.health("the shim checks that the agent serves before anything else")
        if self.policy:
            import base64
            self.step("SetPolicy", "SetPolicyRequest",
                      {"policy": base64.b64decode(self.policy).decode()},
                      "the pod's io.katacontainers.config.agent.policy annotation, base64-decoded "
                      "(pkg/oci/utils.go addAgentConfigOverrides), sent before the sandbox is "
                      "set up; with the policy in initdata instead nothing is sent",
                      "src/runtime/virtcontainers/kata_agent.go startSandbox")
        self.network_steps()
        self.sandbox_steps()
        for c in self.pod.init_containers:
            self.create_container(c)
            self.container_exit(c, "the init container ran to completion (exit 0)")
        for c in self.pod.containers:
            self.create_container(c)
        for c in self.pod.containers:
            self.probe(c, "livenessProbe")
            self.probe(c, "readinessProbe")
        for c in self.pod.containers:
            self.step("StatsContainer", "StatsContainerRequest",
                      {"container_id": self.cid(c["name"])},
                      "%s: kubelet's container stats through containerd's task metrics" % c["name"],
                      "src/runtime/pkg/containerd-shim-v2/service.go Stats" if self.rt == GO
                      else "container_manager/container.rs stats")
        self.health("another periodic health check")
        if self.rt == RS:
            self.health("every tenth health check is a Version check (5 minutes)", "Version")
        # kubectl delete pod: kubelet stops the containers, then the sandbox.
        for c in self.pod.containers:
            image = self.images.lookup(c["image"])
            sig = {"SIGQUIT": 3}.get(image["config"].get("StopSignal"), 15)
            self.step("SignalProcess", "SignalProcessRequest",
                      {"container_id": self.cid(c["name"]), "signal": sig},
                      "%s: kubelet's StopContainer; containerd sends the image's StopSignal "
                      "(%s) to the init process (empty exec id)" % (
                          c["name"], image["config"].get("StopSignal", "SIGTERM")),
                      "src/runtime/pkg/containerd-shim-v2/service.go Kill" if self.rt == GO
                      else "container_manager/container.rs kill_process")
            self.container_exit(c, "the process exited on the signal")
        sid = self.sid
        self.step("SignalProcess", "SignalProcessRequest", {"container_id": sid, "signal": 9},
                  "StopPodSandbox: containerd kills the sandbox (pause) container",
                  "src/runtime/pkg/containerd-shim-v2/service.go Kill" if self.rt == GO
                  else "container_manager/container.rs kill_process")
        self.step("SignalProcess", "SignalProcessRequest", {"container_id": sid, "signal": 9},
                  "the pause container's wait returned: the shim stops it (SIGKILL again)",
                  "src/runtime/virtcontainers/container.go stop (from sandbox.go Stop)"
                  if self.rt == GO else "container_manager/container_inner.rs stop_process")
        if self.rt == GO:
            self.step("WaitProcess", "WaitProcessRequest", self.proc_id(sid),
                      "Container.stop waits on the pause process", "src/runtime/virtcontainers/container.go stop")
        self.step("RemoveContainer", "RemoveContainerRequest", {"container_id": sid},
                  "the pause container is removed (it has no termination message)",
                  "src/runtime/virtcontainers/kata_agent.go stopContainer" if self.rt == GO
                  else "container_manager/container_inner.rs cleanup_container")
        if self.rt == GO:
            self.step("DestroySandbox", "DestroySandboxRequest", {},
                      "stopVM: the agent tears the sandbox down, then the VM stops",
                      "src/runtime/virtcontainers/kata_agent.go stopSandbox")
        return self

    def document(self):
        p = self.pod
        notes = NOTES[self.rt] + " " + EXTRA_NOTES.get((self.pod_dir, self.rt, self.net), "")
        ids = {"pod_name": p.name, "pod_namespace": p.namespace, "pod_uid": p.uid,
               "sandbox_id": self.sid, "netns": self.netns,
               "containers": {n: c for n, c in self.cids.items()}}
        if p.owner:
            ids["owner"] = p.owner
            ids["pod_labels"] = p.labels
        return {"runtime": RUNTIME_NAMES[self.rt], "runtime_id": self.rt,
                "kata": "%s (%s)" % (M.KATA, M.KATA_DESCRIBE),
                "containerd": M.CONTAINERD,
                "network": self.net, "pod": "pod.yaml",
                "config": {"shared_fs": "none", "image_pull": "guest (nydus-snapshotter, proxy mode)",
                           "emptydir_mode": self.emptydir_mode,
                           "disable_guest_seccomp": True, "static_sandbox_resource_mgmt": True,
                           "policy_delivery": "annotation (SetPolicy)" if self.policy else
                           ("annotation ignored by runtime-rs" if POLICY_ANNO in p.annotations
                            else "initdata (no SetPolicy)"),
                           "cgroup_driver": "systemd", "apparmor": True},
                "notes": notes.strip(), "ids": ids, "steps": self.steps}


NOTES = {
    GO: ("The Go runtime's order: Check, (SetPolicy), UpdateInterface, UpdateRoutes, "
         "(AddARPNeighbors), CreateSandbox, GetGuestDetails, then the pause container and the "
         "pod's containers (each preceded by the CopyFiles of its kubelet files and volumes), "
         "probes, stats, and at the end per container SignalProcess, WaitProcess, SignalProcess, "
         "WaitProcess, GetDiagnosticData, RemoveContainer, then the pause container and "
         "DestroySandbox. Steps marked blocking are long polls the runtime keeps outstanding "
         "(the agent answers them later, e.g. at exit); a replay sends them in this order and "
         "may answer at once. No OnlineCPUMem: static_sandbox_resource_mgmt sizes the VM at start."),
    RS: ("runtime-rs's order: (SetPolicy only from its TOML config), UpdateInterface, "
         "(AddARPNeighbors, NUD_PERMANENT only), UpdateRoutes, CreateSandbox, GetGuestDetails, "
         "GetOOMEvent, then the containers as the Go runtime does but with empty exec ids for "
         "init processes, full exec processes, 8 KiB reads, the cgroup namespace kept, "
         "GetDiagnosticData before the kill, and no DestroySandbox (the VM is just stopped). "
         "No initial Check: the health monitor starts after the sandbox, every 30 s. "
         "Blocking steps as for the Go runtime."),
}
EXTRA_NOTES = {
    ("deployment", GO, "ipv4"): "The pod carries the legacy agent-policy annotation: SetPolicy "
                                "is the second request.",
    ("deployment", RS, "ipv4"): "The pod carries the legacy agent-policy annotation, which "
                                "runtime-rs does not turn into SetPolicy: it reaches the agent "
                                "inside every CreateContainer instead.",
    ("emptydir", GO, "ipv4"): "emptydir_mode = shared-fs (not CoCo's default): the emptyDir is "
                              "copied once and shared in the guest.",
}


def main():
    ap = argparse.ArgumentParser(description="Write the corpus lifecycles, or check them.")
    ap.add_argument("--check", action="store_true",
                    help="fail if a lifecycle file differs from what the model gives")
    args = ap.parse_args()
    with open(os.path.join(HERE, "images.json")) as f:
        images = M.Images(json.load(f))
    bad = 0
    for pod_dir, rt, net, opts in LIFECYCLES:
        doc = Lifecycle(pod_dir, rt, net, opts, images).run().document()
        text = json.dumps(doc, indent=2) + "\n"
        path = os.path.join(HERE, pod_dir, "%s-%s.json" % (rt, net))
        if args.check:
            try:
                with open(path) as f:
                    same = f.read() == text
            except FileNotFoundError:
                same = False
            if not same:
                print("gen_lifecycles: %s is not what the model gives" % path, file=sys.stderr)
                bad += 1
        else:
            with open(path, "w") as f:
                f.write(text)
            print("%s: %d steps" % (os.path.relpath(path, HERE), len(doc["steps"])))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: Apache-2.0
"""What kubelet, containerd and kata's runtimes put into each agent request, for one pod.

A model written from the peers' source (paths below are in kata-containers at the
commit in KATA, and in containerd/containerd at CONTAINERD), used by
gen_lifecycles.py to write the corpus. Every function names where its facts come
from. Messages are built directly in the project's JSON form (enforcer/cli/pbjson.h:
.proto field names, proto3 defaults omitted, bytes base64).

Nothing here is run against a real cluster: the output is a model, and the corpus
says so. Randomness (ids, file-name salts, Go map order) is replaced by hashes of
stable names, so the corpus is reproducible.
"""

import base64
import hashlib
import json
import random

KATA = "7c6ba40c54ea29b459b4997cff948caaba4e658b"
KATA_DESCRIBE = "4.1.0-23-g7c6ba40c54 (2026-08-22)"
CONTAINERD = "v2.3 behaviour, read at 301026e58c619e63d09c0ec411012e54c0124b03 (v2.4.0-beta.0-70)"

GO, RS = "go-shim", "runtime-rs"

# --- the modelled cluster -------------------------------------------------------------
CLUSTER_DNS = "10.96.0.10"
KUBERNETES_SVC = "10.96.0.1"
NODE_MEMORY = 8 * 1024 ** 3          # for the burstable OOM score
OCI_VERSION = "1.3.0"                # containerd 2.3 vendors runtime-spec v1.3.0
PAUSE_IMAGE = "registry.k8s.io/pause:3.10.2"   # containerd 2.3 DefaultSandboxImage
APPARMOR = "cri-containerd.apparmor.d"         # containerd's default profile on an AppArmor host
SHM_SIZE = 67108864                  # containerd's sandbox shm (size=65536k), measured by kata
NETNS_DIR = "/var/run/netns"

DEFAULT_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
                "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
                "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
# containerd pkg/oci/spec.go populateDefaultUnixSpec: the sandbox keeps these.
CONTAINERD_MASKED = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                     "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                     "/proc/sched_debug", "/sys/firmware", "/sys/devices/virtual/powercap",
                     "/proc/scsi"]
# kubelet's default masked paths (pkg/securitycontext), passed for every container.
KUBELET_MASKED = ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
                  "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                  "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
                  "/sys/devices/virtual/powercap"]
READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# kata paths (src/runtime/virtcontainers/kata_agent.go, runtime-rs resource/src/share_fs)
GUEST_SHARED = "/run/kata-containers/shared/containers"
GUEST_SHM = "/run/kata-containers/sandbox/shm"
GUEST_STORAGE = "/run/kata-containers/sandbox/storage"
GO_DIR_MODE = 0x80000000 | 0o750     # uint32(os.FileMode(0750)|os.ModeDir): Go's bits, not S_IFDIR
RS_DIR_MODE = 0o40750                # runtime-rs DIR_MODE_PERMS = S_IFDIR | 0o750
S_IFREG, S_IFDIR, S_IFLNK, S_ISVTX = 0o100000, 0o040000, 0o120000, 0o1000


def h(*parts):
    return hashlib.sha256("\0".join(str(p) for p in parts).encode()).hexdigest()


def uuid4(*parts):
    x = list(h("uuid", *parts)[:32])
    x[12] = "4"
    x[16] = "89ab"[int(x[16], 16) % 4]
    s = "".join(x)
    return "%s-%s-%s-%s-%s" % (s[:8], s[8:12], s[12:16], s[16:20], s[20:])


def b64(data):
    return base64.b64encode(data).decode()


def shuffled(items, *seed):
    """Go map iteration order: random in reality, a fixed permutation here."""
    out = list(items)
    random.Random(h("order", *seed)).shuffle(out)
    return out


def mount(dst, src, typ, opts):
    return {"destination": dst, "source": src, "type": typ, "options": list(opts)}


# --- image references -----------------------------------------------------------------

def normalize(ref):
    """docker reference normalisation: the form containerd stores and image-rs pulls."""
    name = ref.split("@")[0]
    head, _, last = name.rpartition("/")
    if ":" in last:
        name = (head + "/" if head else "") + last.split(":")[0]
    first = name.split("/")[0]
    if "/" not in name or ("." not in first and ":" not in first and first != "localhost"):
        name = "docker.io/" + ("library/" + name if "/" not in name else name)
    return name


class Images:
    def __init__(self, doc):
        self.by_name = {}
        for im in doc["images"]:
            self.by_name[(im["name"], im["tag"])] = im

    def lookup(self, ref):
        """The images.json entry a pod's image string means (tag and/or digest)."""
        digest = ref.split("@")[1] if "@" in ref else None
        name_tag = ref.split("@")[0]
        name = normalize(ref)
        tag = None
        last = name_tag.rsplit("/", 1)[-1]
        if ":" in last:
            tag = last.split(":")[1]
        for (n, t), im in self.by_name.items():
            if n != name:
                continue
            if digest and im["digest"] != digest:
                continue
            if tag and t != tag:
                continue
            return im
        raise KeyError("image %r is not in images.json (or its digest differs)" % ref)


# --- the pod as kubelet sees it -------------------------------------------------------

class Pod:
    """A Pod (or a Deployment's pod, with the names the ReplicaSet controller makes)."""

    def __init__(self, docs, key, ip_octet):
        self.objects = {(d["kind"], d["metadata"]["name"]): d for d in docs if d}
        top = [d for d in docs if d and d["kind"] in ("Pod", "Deployment")][0]
        self.kind = top["kind"]
        if top["kind"] == "Deployment":
            tmpl = top["spec"]["template"]
            meta = dict(tmpl.get("metadata") or {})
            self.template_hash = h("pod-template-hash", key)
            alphabet = "bcdfghjklmnpqrstvwxz2456789"     # k8s rand.SafeEncodeString
            th = "".join(alphabet[int(self.template_hash[i:i + 2], 16) % 27] for i in range(0, 20, 2))
            sfx = "".join(alphabet[int(self.template_hash[i:i + 2], 16) % 27] for i in range(20, 30, 2))
            self.name = "%s-%s-%s" % (top["metadata"]["name"], th, sfx)
            self.labels = dict(meta.get("labels") or {}, **{"pod-template-hash": th})
            self.spec = tmpl["spec"]
            self.annotations = dict(meta.get("annotations") or {})
            self.namespace = top["metadata"].get("namespace", "default")
            self.owner = "ReplicaSet/%s-%s" % (top["metadata"]["name"], th)
        else:
            self.name = top["metadata"]["name"]
            self.labels = dict(top["metadata"].get("labels") or {})
            self.spec = top["spec"]
            self.annotations = dict(top["metadata"].get("annotations") or {})
            self.namespace = top["metadata"].get("namespace", "default")
            self.owner = None
        self.uid = uuid4("pod-uid", self.namespace, self.name)
        self.ip_octet = ip_octet
        self.hostname = self.spec.get("hostname", self.name)
        self.volumes = {v["name"]: v for v in self.spec.get("volumes", [])}
        self.containers = list(self.spec.get("containers", []))
        self.init_containers = list(self.spec.get("initContainers", []))
        if self.spec.get("automountServiceAccountToken", True):
            # The ServiceAccount admission plugin adds the projected token volume.
            vol = "kube-api-access-" + "".join("bcdfghjklmnpqrstvwxz2456789"[int(c, 16) % 27]
                                               for c in h("sa", self.name)[:5])
            self.volumes[vol] = {"name": vol, "projected": {"sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace",
                                            "fieldRef": {"fieldPath": "metadata.namespace"}}]}}]}}
            for c in self.containers + self.init_containers:
                c.setdefault("volumeMounts", []).append(
                    {"name": vol, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                     "readOnly": True})

    # kubelet pkg/kubelet/qos and cm: QoS class, cgroup parent, OOM score.
    def qos(self):
        req = lim = False
        guaranteed = True
        for c in self.containers + self.init_containers:
            r = c.get("resources") or {}
            rq, lm = r.get("requests") or {}, r.get("limits") or {}
            req |= bool(rq)
            lim |= bool(lm)
            for k in ("cpu", "memory"):
                if k not in lm or (k in rq and rq[k] != lm[k]):
                    guaranteed = False
        if not req and not lim:
            return "BestEffort"
        return "Guaranteed" if guaranteed else "Burstable"

    def cgroup_parent(self):
        """systemd cgroup driver: the pod slice kubelet makes (cm/pod_container_manager)."""
        uid = self.uid.replace("-", "_")
        q = self.qos()
        if q == "Guaranteed":
            return "kubepods-pod%s.slice" % uid
        return "kubepods-%s-pod%s.slice" % (q.lower(), uid)

    def cgroups_path(self, cid):
        # containerd internal/cri/server/helpers_linux.go getCgroupsPath (systemd driver)
        return "%s:cri-containerd:%s" % (self.cgroup_parent(), cid)

    def ipv4(self):
        return "10.244.1.%d" % self.ip_octet

    def ipv6(self):
        return "fd00:10:244:1::%x" % self.ip_octet

    def mac(self):
        # bridge CNI / ovn style 0a:58:<IPv4 bytes>
        return "0a:58:0a:f4:01:%02x" % self.ip_octet

    def link_local(self):
        # EUI-64 from the MAC (flip the universal/local bit): the kernel's fe80::/64 address.
        b = [int(x, 16) for x in self.mac().split(":")]
        b[0] ^= 0x02
        eui = b[:3] + [0xff, 0xfe] + b[3:]
        groups = ["%x" % (eui[i] << 8 | eui[i + 1]) for i in range(0, 8, 2)]
        return "fe80::" + ":".join(groups)


def milli_cpu(q):
    """A CPU quantity ("100m", "1", "0.5") in millicores."""
    q = str(q)
    if q.endswith("m"):
        return int(q[:-1])
    return int(round(float(q) * 1000))


def mem_bytes(q):
    """A memory quantity ("64Mi", "1G", "1048576") in bytes."""
    q = str(q)
    for u, m in (("Ki", 1024), ("Mi", 1024 ** 2), ("Gi", 1024 ** 3),
                 ("k", 1000), ("M", 1000 ** 2), ("G", 1000 ** 3)):
        if q.endswith(u):
            return int(q[:-len(u)]) * m
    return int(q)


def container_resources(c):
    """kubelet kuberuntime_container_linux.go calculateLinuxResources, then containerd
    WithResources: shares from the request, quota/period from the limit, memory limit,
    swap = limit when the swap controller is there (cgroup v2)."""
    r = c.get("resources") or {}
    rq, lm = r.get("requests") or {}, r.get("limits") or {}
    cpu_req = milli_cpu(rq["cpu"]) if "cpu" in rq else (milli_cpu(lm["cpu"]) if "cpu" in lm else 0)
    shares = max(2, cpu_req * 1024 // 1000)
    cpu = {"Shares": shares, "Period": 100000}
    if "cpu" in lm:
        cpu["Quota"] = milli_cpu(lm["cpu"]) * 100000 // 1000
    mem = {}
    if "memory" in lm:
        mem = {"Limit": mem_bytes(lm["memory"]), "Swap": mem_bytes(lm["memory"])}
    return {"Memory": mem, "CPU": cpu}


def sandbox_resources(pod):
    """kubelet calculateSandboxResources: the pod-level totals containerd writes into the
    io.kubernetes.cri.sandbox-* annotations."""
    shares = quota = mem = 0
    for c in pod.containers:
        r = container_resources(c)
        shares += r["CPU"]["Shares"] if (c.get("resources") or {}).get("requests", {}).get("cpu") else 0
        quota += r["CPU"].get("Quota", 0)
        mem += r["Memory"].get("Limit", 0)
    return {"period": 100000, "quota": quota, "shares": max(2, shares), "memory": mem}


def oom_score_adj(pod, c):
    """kubelet pkg/kubelet/qos/policy.go GetContainerOOMScoreAdjust."""
    q = pod.qos()
    if q == "BestEffort":
        return 1000
    if q == "Guaranteed":
        return -997
    req = mem_bytes(((c.get("resources") or {}).get("requests") or {}).get("memory", "0"))
    adj = 1000 - (1000 * req) // NODE_MEMORY
    return max(2, min(999, adj))


def service_env():
    """kubelet's env for the default/kubernetes Service (always added, even with
    enableServiceLinks: false)."""
    ip = KUBERNETES_SVC
    return [("KUBERNETES_SERVICE_HOST", ip), ("KUBERNETES_SERVICE_PORT", "443"),
            ("KUBERNETES_SERVICE_PORT_HTTPS", "443"), ("KUBERNETES_PORT", "tcp://%s:443" % ip),
            ("KUBERNETES_PORT_443_TCP", "tcp://%s:443" % ip),
            ("KUBERNETES_PORT_443_TCP_PROTO", "tcp"), ("KUBERNETES_PORT_443_TCP_PORT", "443"),
            ("KUBERNETES_PORT_443_TCP_ADDR", ip)]


def container_env(pod, c, image, seed):
    """containerd buildLinuxSpec: WithDefaultPathEnv, HOSTNAME, then image env and the CRI
    env (replace in place or append). kubelet makeEnvironmentVariables hands the CRI env
    as container env (Go map order) followed by service env (Go map order)."""
    env = [PATH_ENV, "HOSTNAME=" + pod.hostname]

    def put(kv):
        k = kv.split("=", 1)[0]
        for i, e in enumerate(env):
            if e.split("=", 1)[0] == k:
                env[i] = kv
                return
        env.append(kv)

    for e in image["config"].get("Env", []):
        put(e)
    own = []
    for e in c.get("env", []):
        if "value" in e:
            own.append((e["name"], str(e["value"])))
        elif "valueFrom" in e and "fieldRef" in e["valueFrom"]:
            f = e["valueFrom"]["fieldRef"]["fieldPath"]
            own.append((e["name"], {"metadata.name": pod.name, "metadata.namespace": pod.namespace,
                                    "status.podIP": pod.ipv4()}[f]))
    svc = [kv for kv in service_env() if kv[0] not in dict(own)]
    for k, v in shuffled(own, seed, "env") + shuffled(svc, seed, "svc"):
        put("%s=%s" % (k, v))
    return env


def process_args(c, image):
    """kubelet + containerd WithProcessArgs: command replaces Entrypoint, args replace Cmd."""
    cfg = image["config"]
    if c.get("command"):
        return list(c["command"]) + list(c.get("args", []))
    return list(cfg.get("Entrypoint", [])) + list(c.get("args", cfg.get("Cmd", [])))


def user_of(pod, c, image):
    """containerd platformSpecOpts + WithUser: runAsUser[:runAsGroup], else the image USER.
    With guest pull the host's rootfs snapshot is empty, so a bare uid gets gid 0
    (genpolicy warns about exactly this, policy.rs exit_if_guest_pull_needs_security_context)."""
    psc = pod.spec.get("securityContext") or {}
    sc = c.get("securityContext") or {}
    uid = sc.get("runAsUser", psc.get("runAsUser"))
    gid = sc.get("runAsGroup", psc.get("runAsGroup"))
    if uid is None:
        u = image["config"].get("User", "")
        uid, _, g = u.partition(":")
        uid = int(uid) if uid else 0
        gid = int(g) if g else (gid or 0)
    gid = gid or 0
    extra = [gid]                    # ensureAdditionalGids: the primary gid comes first
    for g in list(psc.get("supplementalGroups", [])) + ([psc["fsGroup"]] if "fsGroup" in psc else []):
        if g not in extra:
            extra.append(g)
    return {"UID": uid, "GID": gid, "AdditionalGids": extra}


def capabilities(c):
    """containerd WithCapabilities: drop ALL empties every set; adds are CAP_-prefixed;
    nothing said keeps containerd's 14 defaults (Bounding, Effective, Permitted)."""
    caps = (c.get("securityContext") or {}).get("capabilities")
    if not caps:
        return {"Bounding": list(DEFAULT_CAPS), "Effective": list(DEFAULT_CAPS),
                "Permitted": list(DEFAULT_CAPS)}
    base = [] if "ALL" in caps.get("drop", []) else [x for x in DEFAULT_CAPS
                                                      if x[4:] not in caps.get("drop", [])]
    for a in caps.get("add", []):
        a = a if a.startswith("CAP_") else "CAP_" + a
        if a not in base:
            base.append(a)
    if not base:
        return {}
    return {"Bounding": list(base), "Effective": list(base), "Permitted": list(base)}


def image_pull_storage(rt, cid, source, annotations, layer_digest, seed):
    """The rootfs storage both runtimes send with image guest pull through the nydus
    snapshotter in proxy mode (docs/how-to/how-to-pull-images-in-guest-with-kata.md).
    nydus-snapshotter snapshot/mount_option.go puts its rafs annotations
    (containerd.io/snapshot/cri.layer-digest, containerd.io/snapshot/nydus-proxy-mode) into
    the KataVirtualVolume's image_pull metadata; kata merges every container annotation
    over them: Go virtcontainers/kata_agent.go handleImageGuestPullBlockVolume,
    runtime-rs resource/src/rootfs/virtual_volume.rs handle_virtual_volume_storage. The
    source is "pause" for the sandbox, else io.kubernetes.cri.image-name."""
    meta = {"containerd.io/snapshot/cri.layer-digest": layer_digest,
            "containerd.io/snapshot/nydus-proxy-mode": "true"}
    meta.update(annotations)
    if rt == GO:
        # encoding/json sorts map keys and escapes <, >, & as \u003c ...
        text = json.dumps({"metadata": dict(sorted(meta.items()))}, separators=(",", ":"))
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    else:
        # serde_json over a HashMap: no defined order
        keys = shuffled(sorted(meta), seed, "serde")
        text = json.dumps({"metadata": {k: meta[k] for k in keys}}, separators=(",", ":"))
    return {"driver": "image_guest_pull",
            "driver_options": ["image_guest_pull=" + text],
            "source": source,
            "fstype": "overlay",
            "mount_point": "/run/kata-containers/%s/rootfs" % cid}


def kata_namespaces(rt, containerd_ns):
    """Go: handlePidNamespace drops pid, constrainGRPCSpec drops network, cgroup and time and
    empties every path. runtime-rs container.rs amend_spec drops pid, network and time only
    (the cgroup namespace stays) and empties paths."""
    drop = {"pid", "network", "time"} | ({"cgroup"} if rt == GO else set())
    return [{"Type": t} for t in containerd_ns if t not in drop]

# SPDX-License-Identifier: Apache-2.0
"""The files kubelet and containerd leave for a pod's containers, and how each kata
runtime copies them into the guest with CopyFile when there is no shared filesystem
(shared_fs = "none"). A mixin of gen_lifecycles.Lifecycle: it uses self.pod, self.net,
self.rt, self.key and self.step.

Go: src/runtime/virtcontainers/fs_share_linux.go ShareFile walks the source with
filepath.WalkDir and kata_agent.go copyFile sends one request per entry.
runtime-rs: src/runtime-rs/crates/resource/src/volume/share_fs_volume.rs
copy_file_to_guest, copy_directory_to_guest and copy_dir_recursively.
"""

import model as M
from model import GO, b64

TIMESTAMP = "..2026_08_22_10_15_03.3381549720"   # kubelet AtomicWriter's ..<UTC time>.<random>


class CopyFiles:
    # --- the pod's files on the host ----------------------------------------------------
    def resolv_conf(self):
        ns = self.pod.namespace
        return ("search %s.svc.cluster.local svc.cluster.local cluster.local\n"
                "nameserver %s\noptions ndots:5\n" % (ns, M.CLUSTER_DNS)).encode()

    def etc_hosts(self):
        # kubelet kubelet_pods.go managedHostsFileContent
        s = ("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"
             "::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
             "fe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n")
        s += "%s\t%s\n" % (self.pod.ipv4(), self.pod.hostname)
        if self.net == "dual-stack":
            s += "%s\t%s\n" % (self.pod.ipv6(), self.pod.hostname)
        return s.encode()

    def volume_tree(self, vol):
        """(root mode, [(relpath, kind, mode, data)]) as kubelet's AtomicWriter leaves a
        configMap, secret or projected volume: secret and projected are tmpfs (mode 1777),
        configMap a disk directory chmod 0777; key files 0644 in ..<timestamp>."""
        files = {}
        if "configMap" in vol:
            cm = self.pod.objects[("ConfigMap", vol["configMap"]["name"])]
            files = {k: v.encode() for k, v in cm["data"].items()}
            root = M.S_IFDIR | 0o777
        elif "secret" in vol:
            sec = self.pod.objects[("Secret", vol["secret"]["secretName"])]
            files = {k: v.encode() for k, v in sec["stringData"].items()}
            root = M.S_IFDIR | M.S_ISVTX | 0o777
        else:
            token = ("eyJhbGciOiJSUzI1NiIsImtpZCI6ImNvcnB1cyJ9.eyJhdWQiOlsiaHR0cHM6Ly9rdWJlcm5ldGVz"
                     "LmRlZmF1bHQuc3ZjIl0sInN1YiI6InN5c3RlbTpzZXJ2aWNlYWNjb3VudDpkZWZhdWx0OmRlZmF1"
                     "bHQifQ.bW9kZWxsZWQtc2lnbmF0dXJl")
            files = {"ca.crt": b"-----BEGIN CERTIFICATE-----\nMIIBmodelledCorpusCA=\n"
                               b"-----END CERTIFICATE-----\n",
                     "namespace": self.pod.namespace.encode(), "token": token.encode()}
            root = M.S_IFDIR | M.S_ISVTX | 0o777
        entries = [(TIMESTAMP, "dir", M.S_IFDIR | 0o755, None)]
        for k in sorted(files):
            entries.append((TIMESTAMP + "/" + k, "file", M.S_IFREG | 0o644, files[k]))
        entries.append(("..data", "link", M.S_IFLNK | 0o777, TIMESTAMP.encode()))
        for k in sorted(files):
            entries.append((k, "link", M.S_IFLNK | 0o777, ("..data/" + k).encode()))
        return root, entries

    # --- CopyFile, the two runtimes' ways --------------------------------------------------
    def copy_file(self, path, mode, data, what, src, dir_mode=None):
        msg = {"path": path, "file_mode": mode}
        if self.rt == GO:
            msg["dir_mode"] = M.GO_DIR_MODE
            if mode & 0o170000 == M.S_IFREG and data:
                msg["file_size"] = len(data)
        else:
            if dir_mode:
                msg["dir_mode"] = dir_mode
            if data and mode & 0o170000 in (M.S_IFREG, M.S_IFLNK):
                msg["file_size"] = len(data)
        if data:
            msg["data"] = b64(data)
        if self.rt == GO:
            source = "src/runtime/virtcontainers/kata_agent.go copyFile (via fs_share_linux.go ShareFile)"
        else:
            source = "src/runtime-rs/crates/resource/src/volume/share_fs_volume.rs " + src
        self.step("CopyFile", "CopyFileRequest", msg, what, source)

    def copy_tree(self, guest, root_mode, entries, what):
        if self.rt == GO:
            # filepath.WalkDir: the root, then lexical depth-first order; symlinks lstat'ed
            self.copy_file(guest, root_mode, b"", what + ": the volume directory", "")
            for rel, kind, mode, data in entries:
                self.copy_file(guest + "/" + rel, mode, data or b"", "%s: %s" % (what, rel), "")
            return
        # runtime-rs copy_directory_to_guest + copy_dir_recursively: the root with
        # DIR_MODE_PERMS, then breadth first in read_dir order (not sorted); a symlink's
        # file_mode is bare S_IFLNK, its file_size the target's length.
        self.copy_file(guest, root_mode, b"", what + ": the volume directory",
                       "copy_directory_to_guest", dir_mode=M.RS_DIR_MODE)
        top = [e for e in entries if "/" not in e[0]]
        for rel, kind, mode, data in M.shuffled(top, self.key, guest):
            if kind == "link":
                self.copy_file(guest + "/" + rel, M.S_IFLNK, data, "%s: %s" % (what, rel),
                               "copy_dir_recursively")
            elif kind == "dir":
                self.copy_file(guest + "/" + rel, mode, b"", "%s: %s" % (what, rel),
                               "copy_dir_recursively", dir_mode=mode)
            else:
                self.copy_file(guest + "/" + rel, mode, data, "%s: %s" % (what, rel),
                               "copy_dir_recursively")
        for rel, kind, mode, data in M.shuffled([e for e in entries if "/" in e[0]], self.key, "sub"):
            self.copy_file(guest + "/" + rel, mode, data, "%s: %s" % (what, rel),
                           "copy_dir_recursively")

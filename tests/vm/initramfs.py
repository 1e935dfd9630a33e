"""initramfs: the guest's root file system, from what is installed on this machine.

A newc cpio archive (the format the kernel unpacks into its rootfs) with:
busybox-static and its applets; the kernel modules asked for and what they
depend on (modules.dep), decompressed here so busybox insmod can load them;
the binaries asked for with the shared libraries ldd names for them (and the
dynamic loader); and plain files. Uncompressed: under TCG, unpacking a
compressed archive costs the guest more than loading a larger one.
"""
import lzma
import os
import re
import stat
import subprocess

S_IFDIR, S_IFREG, S_IFLNK = 0o040000, 0o100000, 0o120000


class Cpio:
    """Entries by absolute path; parents are created as directories."""

    def __init__(self):
        self.entries = {}  # path -> (mode, data bytes)
        self.add_dir("/")

    def add_dir(self, path, mode=0o755):
        path = os.path.normpath(path)
        if path == "/":
            self.entries.setdefault("/", (S_IFDIR | mode, b""))
            return
        self.add_dir(os.path.dirname(path))
        old = self.entries.get(path)
        if old and not stat.S_ISDIR(old[0]):
            raise ValueError("%s: a directory where a file is" % path)
        self.entries[path] = (S_IFDIR | mode, b"")

    def add_file(self, path, data, mode=0o644):
        path = os.path.normpath(path)
        self.add_dir(os.path.dirname(path))
        self.entries[path] = (S_IFREG | mode, data)

    def add_symlink(self, path, target):
        path = os.path.normpath(path)
        self.add_dir(os.path.dirname(path))
        self.entries[path] = (S_IFLNK | 0o777, target.encode())

    def has(self, path):
        return os.path.normpath(path) in self.entries

    def write(self, out):
        """The archive, parents before children, ending with TRAILER!!!."""
        with open(out, "wb") as f:
            ino = 1
            for path in sorted(self.entries, key=lambda p: (p.count("/") if p != "/" else 0, p)):
                mode, data = self.entries[path]
                name = "." if path == "/" else path.lstrip("/")
                self._entry(f, ino, mode, name, data)
                ino += 1
            self._entry(f, 0, 0, "TRAILER!!!", b"")

    @staticmethod
    def _entry(f, ino, mode, name, data):
        nameb = name.encode() + b"\0"
        nlink = 2 if stat.S_ISDIR(mode) else 1
        hdr = "070701" + "".join("%08X" % v for v in (
            ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(nameb), 0))
        f.write(hdr.encode() + nameb)
        f.write(b"\0" * (-(110 + len(nameb)) % 4))
        f.write(data)
        f.write(b"\0" * (-len(data) % 4))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def is_dynamic(path):
    """Whether the ELF file has a program interpreter (PT_INTERP)."""
    data = read(path)
    if data[:4] != b"\x7fELF" or data[4] != 2:  # ELFCLASS64 only
        return False
    little = data[5] == 1
    order = "little" if little else "big"
    phoff = int.from_bytes(data[32:40], order)
    phentsize = int.from_bytes(data[54:56], order)
    phnum = int.from_bytes(data[56:58], order)
    for i in range(phnum):
        off = phoff + i * phentsize
        if int.from_bytes(data[off:off + 4], order) == 3:  # PT_INTERP
            return True
    return False


def shared_libraries(binary):
    """The absolute paths ldd resolves for binary (loader included)."""
    if not is_dynamic(binary):
        return []
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libs = []
    for line in out.splitlines():
        if "not found" in line:
            raise RuntimeError("%s: ldd: %s" % (binary, line.strip()))
        m = re.search(r"(/\S+)\s+\(0x", line)
        if m:
            libs.append(m.group(1))
    return libs


def find_library(name):
    """The path the dynamic linker's cache has for name (x86-64), or None."""
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = line.strip().split(" => ")
        if len(f) == 2 and f[0].split()[0] == name and "x86-64" in f[0]:
            return f[1]
    return None


def add_dlopened(cpio, names):
    """Libraries loaded with dlopen(), which ldd does not name (tpm2-tss's TCTIs)."""
    for name in names:
        path = find_library(name)
        if path and not cpio.has(path):
            add_binary(cpio, path, path)


def add_binary(cpio, src, dest, mode=0o755):
    """src at dest, and every shared library it needs at the path ldd names."""
    cpio.add_file(dest, read(src), mode)
    for lib in shared_libraries(src):
        if not cpio.has(lib):
            cpio.add_file(lib, read(os.path.realpath(lib)), 0o755)


def add_busybox(cpio, busybox):
    """busybox at /bin/busybox and a symlink per applet in /bin."""
    if is_dynamic(busybox):
        raise RuntimeError("%s is not statically linked (Debian: busybox-static)" % busybox)
    cpio.add_file("/bin/busybox", read(busybox), 0o755)
    applets = subprocess.run([busybox, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for a in applets:
        if a != "busybox":
            cpio.add_symlink("/bin/" + a, "busybox")
    cpio.add_symlink("/sbin", "bin")


def module_order(moddir, names):
    """The modules named (e.g. "vsock_loopback") and their dependencies, each
    after what it needs, as paths relative to moddir."""
    deps = {}
    by_name = {}
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            mod, _, rest = line.partition(":")
            deps[mod] = rest.split()
            base = os.path.basename(mod).split(".ko")[0]
            by_name[base.replace("-", "_")] = mod
    order = []

    def visit(mod, depth=0):
        if depth > 64:
            raise RuntimeError("modules.dep: dependency loop at " + mod)
        if mod in order:
            return
        for d in deps.get(mod, []):
            visit(d, depth + 1)
        order.append(mod)

    for n in names:
        mod = by_name.get(n.replace("-", "_"))
        if not mod:
            raise RuntimeError("%s: no module %s in modules.dep" % (moddir, n))
        visit(mod)
    return order


def add_modules(cpio, moddir, names, dest="/lib/modules"):
    """The modules (decompressed) under dest, and dest/load.list in load order."""
    listing = []
    for rel in module_order(moddir, names):
        data = read(os.path.join(moddir, rel))
        if rel.endswith(".xz"):
            data, rel = lzma.decompress(data), rel[:-3]
        elif rel.endswith(".zst") or rel.endswith(".gz"):
            raise RuntimeError("%s: only .ko and .ko.xz modules are handled" % rel)
        path = dest + "/" + os.path.basename(rel)
        cpio.add_file(path, data)
        listing.append(path)
    cpio.add_file(dest + "/load.list", ("\n".join(listing) + "\n").encode())
    return listing

#!/usr/bin/env python3
"""The guest VM suite: boot a real Linux guest and run ccgate's hook and vsock
tests inside it, where BPF LSM is active and AF_VSOCK works (vsock_loopback),
which the test machines' own kernels do not offer.

The guest is Debian's: the newest /boot/vmlinuz-* whose modules have
vsock_loopback (linux-image-6.12-amd64 on Debian 12; or the same unpacked
under /var/cache/ccgate/guest-kernel, see tools/install-deps),
busybox-static as PID 1 (tests/vm/init.sh), and the binaries given with --bin and the libraries ldd
finds for them, in an initramfs built here (initramfs.py). qemu runs it with
TCG (one vCPU) unless KVM works here: with CCGATE_VM_ACCEL=auto (the default)
KVM is tried first when /dev/kvm can be opened, and given up for TCG as soon
as qemu reports a KVM internal error or dies before the guest's first line
(nested KVM on these CPUs). The guest's
tests are the lines of --tests; each runs as a child of PID 1 with its own
timeout, and each boot is bounded (--timeout). Results come back on the
second serial port. With --builddir a second guest follows, with systemd as
init and the tree `meson install` produces (systemd_image.py): ccgate's units
for real.

Output is TAP: one line per guest test; a guest test's own output follows as
comments. Exit 0 when every guest test passed, 1 otherwise, and "1..0 # SKIP"
with the reason when qemu, the kernel or busybox-static is not installed.

Environment: CCGATE_VM_ACCEL=auto|kvm|tcg, CCGATE_VM_KERNEL=/boot/vmlinuz-X
(its modules must be in /lib/modules/X), CCGATE_VM_KEEP=1 keeps the run
directory's logs (always kept on failure), CCGATE_VM_APPEND adds to the
kernel command line (e.g. "systemd.log_level=debug loglevel=7"). GO,
GOCLIENT_SRC, GOCACHE: build containerd's ttrpc client (tests/goclient) for
the guest.

Both guests have a TPM 2.0 when swtpm is installed here (Debian: swtpm): a
fresh swtpm socket process per boot, attached with qemu's tpm-tis device. The
busybox guest's runtime measurement test is --tpm-test; in the systemd guest,
ccgate.service as installed measures into it. That test prints its PCR value
("PCR N HEX") and ccgate's event log ("EVENT LINE"); the replay of those
events is computed here once more (hashlib, the attestation agent's event
digest) and must equal the PCR, as its own TAP line.
"""
import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import initramfs  # noqa: E402
import systemd_image  # noqa: E402

GUEST_ROOT = "/var/cache/ccgate/guest-kernel"  # tools/install-deps unpacks it here
MODULES = ["vsock", "vmw_vsock_virtio_transport_common", "vsock_loopback"]
KVM_GIVE_UP_S = 60  # a working KVM guest reaches init in a few seconds


def skip(why):
    print("1..0 # SKIP %s" % why)
    sys.exit(0)


def version_key(v):
    return [(0, int(x), "") if x.isdigit() else (1, 0, x) for x in re.split(r"[.+~-]", v)]


def find_kernel():
    """(vmlinuz, modules dir) of the kernel to boot, or skip. Installed kernels
    first, then one tools/install-deps unpacked into GUEST_ROOT."""
    want = os.environ.get("CCGATE_VM_KERNEL")
    candidates = []
    for root in ("", GUEST_ROOT):
        candidates += sorted(glob.glob(root + "/boot/vmlinuz-*"), reverse=True,
                             key=lambda p: version_key(p.split("vmlinuz-", 1)[1]))
    if want:
        candidates = [want]
    reasons = []
    for k in candidates:
        ver = os.path.basename(k).split("vmlinuz-", 1)[-1]
        moddir = os.path.normpath(os.path.dirname(os.path.dirname(k)) + "/lib/modules/" + ver)
        if not os.access(k, os.R_OK):
            reasons.append("%s is not readable" % k)
        elif not glob.glob(moddir + "/kernel/net/vmw_vsock/vsock_loopback.ko*"):
            reasons.append("%s has no vsock_loopback module" % moddir)
        else:
            return k, moddir
    skip("no guest kernel: %s (Debian: apt-get install linux-image-6.12-amd64; tools/install-deps "
         "does)" % ("; ".join(reasons) or "no /boot/vmlinuz-*"))


def build_goclient(out):
    """containerd's ttrpc client for the guest, or None with the reason printed."""
    go, src = os.environ.get("GO"), os.environ.get("GOCLIENT_SRC")
    gopath = os.environ.get("GOPATH", "/usr/share/gocode")
    if not go or not src or not os.access(go, os.X_OK):
        print("# no go: the guest's vsock client (containerd's ttrpc) cannot be built")
        return None
    if not os.path.isdir(gopath + "/src/github.com/containerd/ttrpc"):
        print("# %s/src/github.com/containerd/ttrpc is missing "
              "(golang-github-containerd-ttrpc-dev)" % gopath)
        return None
    env = dict(os.environ, GOPATH=gopath, GO111MODULE="off", GOFLAGS="", GOPROXY="off",
               CGO_ENABLED="0")
    env.setdefault("GOCACHE", os.path.join(out, "go-cache"))
    r = subprocess.run([go, "build", "-o", out + "/goclient", "."], cwd=src, env=env,
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        print("# go build failed:\n# " + r.stderr.replace("\n", "\n# "))
        return None
    return out + "/goclient"


def sanitizer_env():
    """The sanitizers' options of this environment, for init.sh to export: the
    guest's processes start from PID 1's empty environment."""
    lines = []
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        value = os.environ.get(var)
        if value is not None and re.fullmatch(r"[A-Za-z0-9_=:,./-]*", value):
            lines.append("export %s='%s'\n" % (var, value))
    return "".join(lines).encode()


def build_image(args, run_dir, goclient):
    cpio = initramfs.Cpio()
    initramfs.add_busybox(cpio, args.busybox)
    for d in ("/proc", "/sys", "/dev", "/tmp", "/run", "/etc"):
        cpio.add_dir(d)
    cpio.add_file("/etc/passwd", b"root:x:0:0:root:/:/bin/sh\n")
    cpio.add_file("/etc/group", b"root:x:0:\n")
    initramfs.add_modules(cpio, args.moddir, MODULES)
    bins = list(args.bin) + ([goclient] if goclient else [])
    for b in bins:
        initramfs.add_binary(cpio, b, "/ccgate/bin/" + os.path.basename(b))
    initramfs.add_dlopened(cpio, args.dlopen)
    for spec in args.file:
        src, dest = spec.split(":", 1)
        cpio.add_file(dest, initramfs.read(src))
    cpio.add_file("/ccgate/tests.list", initramfs.read(args.tests))
    cpio.add_file("/ccgate/env", sanitizer_env())
    cpio.add_file("/init", initramfs.read(args.init), 0o755)
    image = os.path.join(run_dir, "initramfs.cpio")
    cpio.write(image)
    return image


def start_swtpm(run_dir, name):
    """A fresh swtpm for one guest: (process, qemu arguments), or (None, []) without swtpm."""
    swtpm = shutil.which("swtpm")
    if not swtpm:
        print("# no swtpm here (Debian: swtpm): the %s guest has no TPM" % name)
        return None, []
    state, sock = run_dir + "/tpm-" + name, run_dir + "/swtpm-%s.sock" % name
    os.makedirs(state, exist_ok=True)
    proc = subprocess.Popen([swtpm, "socket", "--tpm2", "--tpmstate", "dir=" + state,
                             "--ctrl", "type=unixio,path=" + sock, "--log",
                             "file=%s/swtpm-%s.log,level=1" % (run_dir, name)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    return proc, ["-chardev", "socket,id=chrtpm,path=" + sock,
                  "-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-tis,tpmdev=tpm0"]


def replay_tpm_test(tap, lines):
    """The PCR a guest test read, against this side's replay of the events it printed."""
    pcr = next((l.split()[1:3] for l in lines if l.startswith("PCR ")), None)
    events = [json.loads(l[6:]) for l in lines if l.startswith("EVENT ")]
    if not pcr or not events:
        return
    reg = bytes(32)
    for ev in events:
        text = ("%s %s %s" % (ev["domain"], ev["operation"], ev["content"])).encode()
        digest = hashlib.sha256(struct.pack("<II", 0x4141454c, len(text)) + text).digest()
        reg = hashlib.sha256(reg + digest).digest()
    tap.line(reg.hex() == pcr[1], "the guest's PCR %s (tpm2 pcrread) equals the replay of "
             "ccgate's %d events here (Python hashlib): %s" % (pcr[0], len(events), pcr[1]))


def kvm_usable():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return False, "/dev/kvm: %s" % e.strerror
    os.close(fd)
    return True, ""


def boot(args, kernel, image, run_dir, name, cmdline, accel, budget, extra=()):
    """Run qemu once. Returns (outcome, seconds, stderr) where outcome is "done",
    "kvm-failed", "timeout" or "exited"; the serial ports go to
    run_dir/NAME-console.log and NAME-results.log."""
    console, results = run_dir + "/%s-console.log" % name, run_dir + "/%s-results.log" % name
    for f in (console, results):
        if os.path.exists(f):
            os.unlink(f)
    # One vCPU under TCG: with two (MTTCG) Debian's 6.12 oopsed in 1 of 9 boots
    # here (int3 in sched_clock_cpu: static-key text patching racing the other vCPU).
    cpu = ["-accel", "kvm", "-cpu", "host", "-smp", "2"] if accel == "kvm" else \
        ["-accel", "tcg", "-cpu", "max", "-smp", "1"]
    cmd = [args.qemu, *cpu, "-m", "1024", "-nodefaults", "-no-user-config", "-display", "none",
           "-no-reboot", "-kernel", kernel, "-initrd", image,
           "-append", "console=ttyS0 panic=-1 rdinit=/init loglevel=4 " + cmdline + " " +
           os.environ.get("CCGATE_VM_APPEND", ""),
           "-serial", "file:" + console, "-serial", "file:" + results, *extra]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    err = []
    reader = threading.Thread(target=lambda: err.extend(proc.stderr), daemon=True)
    reader.start()
    outcome = None
    while outcome is None:
        try:
            proc.wait(timeout=0.5)
            # Under KVM, a qemu that dies before the guest wrote a line has
            # failed at KVM (seen here: an MSR qemu cannot set aborts it).
            outcome = "kvm-failed" if accel == "kvm" and not read_text(results) else "exited"
        except subprocess.TimeoutExpired:
            pass
        elapsed = time.monotonic() - start
        if accel == "kvm" and any("KVM internal error" in line for line in err):
            outcome = "kvm-failed"
        elif accel == "kvm" and elapsed > KVM_GIVE_UP_S and not read_text(results):
            outcome = "kvm-failed"
        elif elapsed > budget:
            outcome = "timeout"
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    reader.join(5)
    if outcome == "exited" and "VM-DONE" in read_text(results):
        outcome = "done"
    return outcome, time.monotonic() - start, "".join(err)


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def parse(results):
    """(up, facts, tests): init's uptime, VM-FACTs, and [name, status, lines, t0, t1]."""
    up, facts, tests, cur = None, [], [], None
    for line in results.splitlines():
        if line.startswith("VM-UP "):
            up = float(line.split()[1])
        elif line.startswith("VM-FACT "):
            facts.append(line[8:])
        elif line.startswith("VM-BEGIN "):
            _, name, t0 = line.split()
            cur = [name, None, [], float(t0), None]
            tests.append(cur)
        elif line.startswith("VM-END ") and cur:
            _, name, status, t1 = line.split()
            cur[1], cur[4] = int(status), float(t1)
            cur = None
        elif line.startswith("VM-DONE"):
            pass
        elif cur:
            cur[2].append(line)
    return up, facts, tests


def expected_tests(path):
    """The test names of the tests list (lines: name timeout command...)."""
    out = []
    for line in read_text(path).splitlines():
        f = line.split()
        if f and not f[0].startswith("#"):
            out.append(f[0])
    return out


class Tap:
    """TAP lines with a running number; the plan goes last."""

    def __init__(self):
        self.n, self.failed = 0, False

    def line(self, ok, what):
        self.n += 1
        self.failed = self.failed or not ok
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, what))

    def skip(self, what, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, what, why))


def choose_accel(args, kernel):
    """"kvm" or "tcg", and whether KVM is only being tried (auto)."""
    accel = os.environ.get("CCGATE_VM_ACCEL", "auto")
    if accel != "auto":
        return accel, False
    ok, why = kvm_usable()
    if ok and os.path.exists(args.kvm_failed):
        ok, why = False, "KVM failed here before (%s; remove %s to try it again)" % (
            read_text(args.kvm_failed).strip(), args.kvm_failed)
    if not ok:
        print("# TCG: %s" % why)
    return ("kvm", True) if ok else ("tcg", False)


def run_guest(args, tap, kernel, image, name, cmdline, names, extra=()):
    """Boot one guest, report its tests as TAP; returns the qemu seconds."""
    accel, trying = args.accel
    outcome, secs, err = boot(args, kernel, image, args.run_dir, name, cmdline, accel, args.timeout,
                              extra)
    if outcome == "kvm-failed" and trying:
        first = next((l for l in err.splitlines() if "kvm" in l.lower()), "no output from init")
        print("# KVM does not work here (%s, after %.1f s): TCG instead" % (first.strip(), secs))
        with open(args.kvm_failed, "w") as f:
            f.write("%s, qemu %s, kernel %s\n" % (first.strip(), args.qemu, kernel))
        accel = "tcg"
        args.accel = (accel, False)
        outcome, secs, err = boot(args, kernel, image, args.run_dir, name, cmdline, accel,
                                  args.timeout, extra)
    results = read_text(args.run_dir + "/%s-results.log" % name)
    up, facts, tests = parse(results)
    print("# %s guest: accel %s; qemu ran %.1f s; init started at %s s of guest uptime" % (
        name, accel, secs, "%.2f" % up if up is not None else "(never)"))
    for f in facts:
        print("# %s guest %s" % (name, f))
    if outcome != "done":
        tap.line(False, "the %s guest ran to the end (%s after %.1f s)" % (name, outcome, secs))
        for line in err.splitlines()[-20:]:
            print("# qemu: " + line)
        for line in read_text(args.run_dir + "/%s-console.log" % name).splitlines()[-60:]:
            print("# console: " + line)
    else:
        tap.line(True, "the %s guest booted, ran its tests and powered off (%.1f s)" % (name, secs))
    by_name = {t[0]: t for t in tests}
    for tname in names:
        t = by_name.get(tname)
        if not t:
            tap.line(False, "%s: never ran" % tname)
            continue
        for line in t[2]:
            print("# " + line)
        status, dur = t[1], (t[4] - t[3]) if t[4] is not None else 0.0
        last = next((l for l in reversed(t[2]) if l.startswith(("PASS", "SKIPPED", "FAIL"))), "")
        if status == 0:
            tap.line(True, "%s in the guest (%.1f s) %s" % (tname, dur, last))
            if tname == args.tpm_test:
                replay_tpm_test(tap, t[2])
        elif status == 77 and tname in args.may_skip:
            tap.skip(tname, last)
        else:
            what = "killed at its timeout" if status == 137 else \
                "skipped, which the guest exists to prevent" if status == 77 else \
                "exit status %s" % status
            tap.line(False, "%s in the guest: %s %s" % (tname, what, last))
    return secs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="directory for the images and logs")
    ap.add_argument("--bin", action="append", default=[], help="a binary for /ccgate/bin")
    ap.add_argument("--file", action="append", default=[], help="SRC:DEST, a file for the guest")
    ap.add_argument("--tests", required=True, help="the guest's test list")
    ap.add_argument("--init", required=True, help="the guest's PID 1 script")
    ap.add_argument("--may-skip", action="append", default=[],
                    help="a guest test that may report SKIPPED (others must pass)")
    ap.add_argument("--timeout", type=float, default=420, help="bound on each boot, in seconds")
    ap.add_argument("--busybox", default="/bin/busybox")
    ap.add_argument("--builddir", help="the meson build directory: also boot a systemd guest "
                    "with what `meson install` installs")
    ap.add_argument("--stub", help="the stub agent, for the systemd guest")
    ap.add_argument("--policy", help="the policy the systemd guest's initdata carries")
    ap.add_argument("--skip-systemd", metavar="WHY", help="report the systemd guest as skipped")
    ap.add_argument("--dlopen", action="append", default=[],
                    help="a library the guest's binaries dlopen() (found with ldconfig -p)")
    ap.add_argument("--tpm-test", help="the guest test that needs the TPM (swtpm)")
    args = ap.parse_args()

    args.qemu = shutil.which("qemu-system-x86_64")
    if not args.qemu:
        skip("qemu-system-x86_64 is not installed (Debian: qemu-system-x86; tools/install-deps "
             "installs it)")
    if not os.path.exists(args.busybox) or initramfs.is_dynamic(args.busybox):
        skip("%s is not a static busybox (Debian: busybox-static)" % args.busybox)
    kernel, args.moddir = find_kernel()
    args.modules = MODULES

    t_start = time.monotonic()
    os.makedirs(args.out, exist_ok=True)
    args.run_dir = os.path.join(args.out, "run")
    args.kvm_failed = os.path.join(args.out, "kvm-failed")
    shutil.rmtree(args.run_dir, ignore_errors=True)
    os.makedirs(args.run_dir)
    goclient = build_goclient(args.out)
    image = build_image(args, args.run_dir, goclient)
    print("# guest kernel %s, busybox initramfs %.1f MiB, built in %.1f s" % (
        kernel, os.path.getsize(image) / 1048576, time.monotonic() - t_start))
    args.accel = choose_accel(args, kernel)
    tap = Tap()
    swtpm, tpm_args = start_swtpm(args.run_dir, "busybox")
    if args.tpm_test and (not swtpm or not goclient or not shutil.which("tpm2")):
        args.may_skip.append(args.tpm_test)
    try:
        qemu = run_guest(args, tap, kernel, image, "busybox", "", expected_tests(args.tests),
                         tpm_args)
    finally:
        if swtpm:
            swtpm.terminate()
            swtpm.wait(10)

    if args.builddir:
        why = args.skip_systemd or systemd_image.available() or \
            (None if goclient else "no Go ttrpc client")
        if why:
            tap.skip("the units under systemd", why)
        else:
            t0 = time.monotonic()
            image2 = systemd_image.build(args, args.run_dir, goclient,
                                         initramfs.read(args.policy).decode())
            print("# systemd initramfs %.1f MiB, built in %.1f s" % (
                os.path.getsize(image2) / 1048576, time.monotonic() - t0))
            swtpm, tpm_args = start_swtpm(args.run_dir, "systemd")
            try:
                qemu += run_guest(args, tap, kernel, image2, "systemd", systemd_image.CMDLINE,
                                  ["systemd_units"], tpm_args)
            finally:
                if swtpm:
                    swtpm.terminate()
                    swtpm.wait(10)
            image = image + " " + image2
    print("1..%d" % tap.n)
    print("# total %.1f s, of which qemu %.1f s" % (time.monotonic() - t_start, qemu))
    if tap.failed or os.environ.get("CCGATE_VM_KEEP"):
        print("# logs: %s/*-console.log and *-results.log" % args.run_dir)
    else:
        for i in image.split():
            os.unlink(i)
    sys.exit(1 if tap.failed else 0)


if __name__ == "__main__":
    main()

"""systemd_image: the second test guest, with systemd as init and ccgate's
units as `meson install` lays them out (tests/vm/vm.py boots it after the
busybox guest).

Into the initramfs go: this machine's systemd (the manager, systemctl, their
libraries) and its target and slice units; the tree `meson install --destdir`
produced (ccgate, its units and drop-ins, the agent's configuration); kata's
two units, stood in for by files written here from what kata-containers'
src/agent/kata-agent.service.in and kata-containers.target declare, with
systemd/kata-agent (a script) as /usr/bin/kata-agent; the test's own target,
service (systemd/checks.sh) and a drop-in for ccgate.service; an initdata
document carrying the policy. systemd/init.sh moves it all into a tmpfs and
switch_roots to systemd.
"""
import glob
import os
import re
import shutil
import subprocess

import initramfs

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEMD = "/lib/systemd/systemd"
SYSTEMCTL = "/usr/bin/systemctl"
# What a hostile host puts on the kernel command line; the units must not care.
HOSTILE_CMDLINE = ("systemd.setenv=KATA_AGENT_SERVER_ADDR=vsock://-1:1024 "
                   "agent.server_addr=vsock://-1:1024 agent.debug_console agent.log_vport=1025")
CMDLINE = "systemd.unit=vm-test.target systemd.show_status=0 " + HOSTILE_CMDLINE

KATA_AGENT_UNIT = """\
# Stand-in for kata-containers' src/agent/kata-agent.service.in, as installed
# (BINDIR /usr/bin), written by the test from its fields.
[Unit]
Description=Kata Containers Agent (test stand-in)
Wants=kata-containers.target

[Service]
StandardOutput=tty
Type=simple
ExecStart=/usr/bin/kata-agent
LimitNOFILE=1073741824
OOMScoreAdjust=-997
"""
KATA_TARGET = """\
# Stand-in for kata-containers' src/agent/kata-containers.target.
[Unit]
Description=Kata Containers Agent Target (test stand-in)
Requires=basic.target
Requires=kata-agent.service
After=basic.target
AllowIsolate=yes
"""
TEST_TARGET = """\
[Unit]
Description=ccgate vm suite: kata's target and the checks
Requires=kata-containers.target vm-test.service
After=kata-containers.target
AllowIsolate=yes
"""
TEST_SERVICE = """\
[Unit]
Description=ccgate vm suite: the units under systemd (tests/vm/systemd/checks.sh)
After=kata-containers.target

[Service]
Type=oneshot
ExecStart=/bin/sh /ccgate/checks.sh
StandardOutput=file:/dev/ttyS1
StandardError=inherit
"""


def available():
    """None, or why there is no systemd guest on this machine."""
    for p in (SYSTEMD, SYSTEMCTL):
        if not os.access(p, os.X_OK):
            return "%s is not installed (Debian: systemd)" % p
    return None


def exec_start(unit_text):
    """The ExecStart= line of a unit, continuation lines joined."""
    m = re.search(r"^ExecStart=((?:.*\\\n)*.*)$", unit_text, re.M)
    return m.group(1).replace("\\\n", " ") if m else None


def initdata(policy_text):
    """A CoCo initdata document carrying the policy (docs/attestation.md)."""
    return ('version = "0.1.0"\nalgorithm = "sha256"\n\n[data]\n"ccgate.yaml" = \'\'\'\n%s\'\'\'\n'
            % policy_text)


def install_tree(builddir, dest):
    shutil.rmtree(dest, ignore_errors=True)
    r = subprocess.run(["meson", "install", "-C", builddir, "--destdir", dest, "--no-rebuild",
                        "--quiet"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("meson install --destdir %s: %s" % (dest, r.stdout + r.stderr))


def add_tree(cpio, root):
    """Every file of root at its path below root (binaries with their libraries)."""
    for d, _, files in os.walk(root):
        for f in files:
            src = os.path.join(d, f)
            dest = src[len(root):]
            if os.access(src, os.X_OK) and initramfs.is_dynamic(src):
                initramfs.add_binary(cpio, src, dest)
            else:
                cpio.add_file(dest, initramfs.read(src), os.stat(src).st_mode & 0o777)


def build(args, run_dir, goclient, policy):
    """The systemd guest's initramfs; returns its path."""
    tree = os.path.join(args.out, "install-root")
    install_tree(args.builddir, tree)
    services = glob.glob(tree + "/**/systemd/system/ccgate.service", recursive=True)
    if len(services) != 1:
        raise RuntimeError("meson install put %d ccgate.service files in %s" % (len(services), tree))
    start = exec_start(initramfs.read(services[0]).decode())

    cpio = initramfs.Cpio()
    initramfs.add_busybox(cpio, args.busybox)
    for d in ("/proc", "/sys", "/dev", "/tmp", "/run", "/var/tmp", "/var/log", "/etc/systemd/system"):
        cpio.add_dir(d)
    cpio.add_file("/etc/passwd", b"root:x:0:0:root:/:/bin/sh\n")
    cpio.add_file("/etc/group", b"root:x:0:\n")
    cpio.add_file("/etc/os-release", b"ID=ccgate-vm\nNAME=\"ccgate test guest\"\n")
    initramfs.add_modules(cpio, args.moddir, args.modules)
    initramfs.add_binary(cpio, SYSTEMD, "/lib/systemd/systemd")
    initramfs.add_binary(cpio, SYSTEMCTL, "/usr/bin/systemctl")
    units = "/usr/lib/systemd/system"
    host_units = units if os.path.isdir(units) else "/lib/systemd/system"
    for u in glob.glob(host_units + "/*.target") + glob.glob(host_units + "/*.slice"):
        if os.path.isfile(u):
            cpio.add_file(units + "/" + os.path.basename(u), initramfs.read(u))
    add_tree(cpio, tree)

    cpio.add_file(units + "/kata-agent.service", KATA_AGENT_UNIT.encode())
    cpio.add_file(units + "/kata-containers.target", KATA_TARGET.encode())
    cpio.add_file("/etc/systemd/system/vm-test.target", TEST_TARGET.encode())
    cpio.add_file("/etc/systemd/system/vm-test.service", TEST_SERVICE.encode())
    cpio.add_file("/etc/systemd/system/ccgate.service.d/90-vm-test.conf", (
        "# The test guest has no TEE, and no journal.\n[Service]\nExecStart=\n"
        "ExecStart=%s --tee none\nStandardOutput=append:/var/log/ccgate-vm.log\n"
        "StandardError=append:/var/log/ccgate-vm.log\n" % start).encode())
    cpio.add_file("/usr/bin/kata-agent", initramfs.read(HERE + "/systemd/kata-agent"), 0o755)
    cpio.add_file("/ccgate/checks.sh", initramfs.read(HERE + "/systemd/checks.sh"), 0o755)
    cpio.add_file("/ccgate/initdata.toml", initdata(policy).encode())
    for b in (args.stub, goclient):
        initramfs.add_binary(cpio, b, "/ccgate/bin/" + os.path.basename(b))
    initramfs.add_dlopened(cpio, args.dlopen)
    # ccgate for the checks (hooks status, audit verify): the installed one.
    bindir = os.path.dirname(start.split()[0])
    cpio.add_symlink("/ccgate/bin/ccgate", bindir + "/ccgate")
    cpio.add_file("/init", initramfs.read(HERE + "/systemd/init.sh"), 0o755)
    image = os.path.join(run_dir, "initramfs-systemd.cpio")
    cpio.write(image)
    return image

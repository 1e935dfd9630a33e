#!/usr/bin/env python3
"""The systemd units as `meson install` lays them out, checked by
systemd-analyze verify (syntax, every directive known, every command
executable, every dependency resolvable) in a root of their own.

  units_test.py BUILDDIR

`meson install --destdir ROOT` fills ROOT; the machine's own units (for
sysinit.target and the like) are copied next to them, and kata's two units are
stood in for by files written here from what kata-containers'
src/agent/kata-agent.service.in and kata-containers.target declare (the
drop-ins must apply to them). Exit 77 with the reason without systemd-analyze.
"""
import glob, os, shutil, subprocess, sys, tempfile

BUILD = os.path.abspath(sys.argv[1])
analyze = shutil.which("systemd-analyze")
if not analyze:
    print("SKIPPED: systemd-analyze is not installed (Debian: systemd)")
    sys.exit(77)
host_units = next((d for d in ("/usr/lib/systemd/system", "/lib/systemd/system")
                   if os.path.isfile(d + "/sysinit.target")), None)
if not host_units:
    print("SKIPPED: no systemd unit directory with sysinit.target on this machine")
    sys.exit(77)

passed, failed = 0, 0

def check(cond, what, detail=""):
    global passed, failed
    print(("ok   " if cond else "FAIL ") + what)
    if detail and not cond:
        print("     " + detail.strip().replace("\n", "\n     "))
    if cond:
        passed += 1
    else:
        failed += 1

root = tempfile.mkdtemp(prefix="ccgate-units-")
try:
    r = subprocess.run(["meson", "install", "-C", BUILD, "--destdir", root, "--no-rebuild",
                        "--quiet"], capture_output=True, text=True)
    check(r.returncode == 0, "meson install --destdir", r.stdout + r.stderr)
    services = glob.glob(root + "/**/systemd/system/ccgate.service", recursive=True)
    check(len(services) == 1, "ccgate.service installed once: %s" % services)
    unitdir = os.path.dirname(services[0])
    rel_unitdir = unitdir[len(root):]

    # The machine's units, for what ours and kata's pull in by default.
    dest = root + "/usr/lib/systemd/system"
    if os.path.realpath(dest) != os.path.realpath(unitdir):
        shutil.copytree(host_units, dest, symlinks=True, dirs_exist_ok=True)
    # kata's units, as kata declares them (fields of kata-agent.service.in and
    # kata-containers.target), and an executable where kata installs its agent.
    with open(dest + "/kata-agent.service", "w") as f:
        f.write("[Unit]\nDescription=Kata Containers Agent (stand-in)\nWants=kata-containers.target\n"
                "[Service]\nStandardOutput=tty\nType=simple\nExecStart=/usr/bin/kata-agent\n"
                "LimitNOFILE=1073741824\nFailureAction=poweroff\nOOMScoreAdjust=-997\n")
    with open(dest + "/kata-containers.target", "w") as f:
        f.write("[Unit]\nDescription=Kata Containers Agent Target (stand-in)\nRequires=basic.target\n"
                "Requires=kata-agent.service\nAfter=basic.target\nAllowIsolate=yes\n")
    os.makedirs(root + "/usr/bin", exist_ok=True)
    shutil.copy("/bin/true", root + "/usr/bin/kata-agent")

    for unit in ("ccgate.service", "ccgate.path", "kata-agent.service", "kata-containers.target"):
        path = (unitdir if unit.startswith("ccgate") else dest) + "/" + unit
        r = subprocess.run([analyze, "verify", "--root=" + root, "--man=no", "--generators=no",
                            path], capture_output=True, text=True)
        out = (r.stdout + r.stderr).strip()
        check(r.returncode == 0 and out == "", "systemd-analyze verify %s%s" % (
            unit, " (with ccgate's drop-in)" if unit.startswith("kata") else ""), out)

    # The drop-ins are where systemd finds them, and say what they must.
    dropin = unitdir + "/kata-agent.service.d/50-ccgate.conf"
    text = open(dropin).read() if os.path.exists(dropin) else ""
    conf = [l for l in text.splitlines() if l.startswith("ExecStart=")]
    check(conf[:1] == ["ExecStart="] and len(conf) == 2 and "--config " in conf[1],
          "%s/kata-agent.service.d/50-ccgate.conf: ExecStart reset, then the agent with --config"
          % rel_unitdir, text)
    agent_conf = conf[1].split("--config ", 1)[1].strip() if len(conf) == 2 else ""
    check(os.path.isfile(root + agent_conf), "the agent's configuration %s is installed" % agent_conf)
    toml = open(root + agent_conf).read() if os.path.isfile(root + agent_conf) else ""
    check('server_addr = "unix:///run/kata-agent.sock"' in toml,
          "the agent's configuration puts it on unix:///run/kata-agent.sock")
    svc = open(services[0]).read()
    check("--agent unix:/run/kata-agent.sock" in svc and "--listen vsock:1024" in svc,
          "ccgate.service listens on vsock:1024 and forwards to the same socket")
    path_unit = open(unitdir + "/ccgate.path").read()
    check("PathExists=/run/kata-agent.sock" in path_unit, "ccgate.path waits for that socket")
    target = open(unitdir + "/kata-containers.target.d/50-ccgate.conf").read()
    check("Wants=ccgate.path" in target, "kata-containers.target wants ccgate.path")
finally:
    shutil.rmtree(root, ignore_errors=True)

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)

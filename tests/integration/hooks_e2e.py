#!/usr/bin/env python3
"""require_hooks through a real ccgate run, between a client and the stub agent.

  hooks_e2e.py CCGATE missing   a policy requiring hooks that are not active:
                                every request is denied (required-hooks), none
                                reaches the agent. Needs nothing special.
  hooks_e2e.py CCGATE guarded   as root with cgroup connect_unix: `ccgate hooks
                                install` for the agent socket (attached to a
                                test subtree, own pin dir), then ccgate moves
                                into the allowed cgroup, reports the hook in the
                                audit genesis, and serves a policy requiring
                                connect_unix; from any other cgroup its agent
                                connections are refused (UNAVAILABLE).
Exit 77 with the reason when the guarded case cannot run here."""
import json, os, shutil, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ttrpc_peer import StubAgent, connect, call, ccgate_cmd

CCGATE, MODE = sys.argv[1], sys.argv[2]
A = "grpc.AgentService"
passed, failures = 0, []

def check(cond, what):
    global passed
    print(("ok   " if cond else "FAIL ") + what)
    if cond: passed += 1
    else: failures.append(what)

def policy(tmp, hooks):
    path = tmp + "/policy.yaml"
    with open(path, "w") as f:
        f.write("version: 1\nrequire_hooks: [%s]\nrequests:\n  GuestDetailsRequest: allow\n"
                % ", ".join(hooks))
    return path

def serve(tmp, pol, extra=()):
    agent = StubAgent(tmp + "/agent.sock")
    gate = subprocess.Popen([*ccgate_cmd(CCGATE), "run", "--listen", "unix:" + tmp + "/host.sock",
                             "--agent", "unix:" + tmp + "/agent.sock", "--policy", pol,
                             "--audit-log", tmp + "/audit.log", "--tee", "none", *extra])
    return agent, gate

def stop(gate):
    gate.terminate()
    return gate.wait(10)

def genesis(tmp):
    with open(tmp + "/audit.log") as f:
        return json.loads(f.readline())

def missing():
    tmp = tempfile.mkdtemp(prefix="ccgate-hooks-")
    pin = tmp + "/no-pins"  # nothing pinned here: no hook is active
    agent, gate = serve(tmp, policy(tmp, ["connect_unix", "lsm_vsock"]), ["--pin-dir", pin])
    try:
        s = connect(tmp + "/host.sock")
        code, msg, _ = call(s, 1, A, "GetGuestDetails")
        check(code == 7 and ": required-hooks: " in msg and "connect_unix,lsm_vsock" in msg,
              "required hooks missing: an allowed request is denied: %r" % msg)
        check(agent.seen(A + "/GetGuestDetails") == 0, "required hooks missing: nothing reached the agent")
        check(genesis(tmp).get("hooks") == "none", "the audit genesis says no hooks are active")
    finally:
        check(stop(gate) == 0, "stops cleanly")
    shutil.rmtree(tmp, ignore_errors=True)

def cgroup2_root():
    for line in open("/proc/self/mountinfo"):
        parts = line.split()
        sep = parts.index("-")
        if parts[sep + 1] == "cgroup2":
            return parts[4]
    return None

def guarded():
    if os.geteuid() != 0:
        print("SKIPPED: the connect_unix hook needs root (euid %d)" % os.geteuid())
        sys.exit(77)
    root = cgroup2_root()
    if not root or not os.path.isdir("/sys/fs/bpf"):
        print("SKIPPED: no cgroup2 mount or no /sys/fs/bpf here")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="ccgate-hooks-")
    scope = "%s/ccgate-hooks-test-%d" % (root, os.getpid())
    pin = "/sys/fs/bpf/ccgate-hooks-test-%d" % os.getpid()
    os.makedirs(scope + "/gate", exist_ok=True)
    os.makedirs(scope + "/other", exist_ok=True)
    try:
        r = subprocess.run([CCGATE, "hooks", "install", "--agent", "unix:" + tmp + "/agent.sock",
                            "--ccgate-cgroup", scope + "/gate", "--scope-cgroup", scope,
                            "--no-lsm", "--pin-dir", pin], capture_output=True, text=True)
        if r.returncode != 0:
            print("SKIPPED: ccgate hooks install failed here: %s" % r.stderr.strip())
            sys.exit(77)
        pol = policy(tmp, ["connect_unix"])
        agent, gate = serve(tmp, pol, ["--pin-dir", pin, "--cgroup", scope + "/gate"])
        try:
            s = connect(tmp + "/host.sock")
            code, msg, _ = call(s, 1, A, "GetGuestDetails")
            check(code == 0, "connect_unix active, required, ccgate in its cgroup: allowed (%d %r)" % (code, msg))
            check(agent.seen(A + "/GetGuestDetails") == 1, "the request reached the agent")
            check(genesis(tmp).get("hooks") == "connect_unix", "the audit genesis names connect_unix")
            procs = open(scope + "/gate/cgroup.procs").read().split()
            check(str(gate.pid) in procs, "ccgate moved itself into %s/gate" % scope)
        finally:
            check(stop(gate) == 0, "stops cleanly")
        os.unlink(tmp + "/audit.log")
        agent.close()
        agent, gate = serve(tmp, pol, ["--pin-dir", pin, "--cgroup", scope + "/other"])
        try:
            s = connect(tmp + "/host.sock")
            code, msg, _ = call(s, 1, A, "GetGuestDetails")
            check(code == 14, "ccgate outside the allowed cgroup: the hook refuses its agent connection, "
                  "the host gets UNAVAILABLE (%d %r)" % (code, msg))
            check(agent.seen(A + "/GetGuestDetails") == 0, "...and nothing reached the agent")
        finally:
            stop(gate)
    finally:
        subprocess.run([CCGATE, "hooks", "remove", "--pin-dir", pin], capture_output=True)
        for d in ("gate", "other", ""):
            try: os.rmdir(os.path.join(scope, d))
            except OSError: pass
        shutil.rmtree(tmp, ignore_errors=True)

{"missing": missing, "guarded": guarded}[MODE]()
print("%d passed, %d failed" % (passed, len(failures)))
sys.exit(1 if failures else 0)

#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""`ccgate policy check` and `ccgate policy explain`, end to end.

Every example policy checks clean; bad fixtures fail with FILE:LINE:COLUMN;
usage errors exit 2; every examples/*/requests/*.json is explained with the
exit status and rule its "expect" names (0 allow, 1 deny).
Usage: cli_test.py CCGATE SOURCE_ROOT
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile


def run(*args):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def main():
    ccgate, root = sys.argv[1], sys.argv[2]
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    for policy in sorted(glob.glob(os.path.join(root, "examples", "*", "policy.yaml"))):
        rc, out, err = run(ccgate, "policy", "check", "--strict", policy)
        expect(rc == 0, f"check {policy}: exit {rc}: {err}")
        expect("valid policy, version 1, mode enforce" in out, f"check {policy}: summary")
        expect("Containers:" in out and "exec" in out, f"check {policy}: containers listed")
        expect("\nSandbox: hostname " in out and "ephemeral (tmpfs) at "
               "\"/run/kata-containers/sandbox/shm\"" in out, f"check {policy}: the sandbox")
        expect("  eth0: hw_addr from IPv4 after 0a:58, 2 address entries, at least 1 address"
               in out and "[only as the network section allows]" in out,
               f"check {policy}: the network")

    # Requests the runtimes always send, allowed without the section that decides them.
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write("version: 1\nrequests:\n  CreateSandboxRequest: allow\n"
                "  UpdateInterfaceRequest: allow\n  UpdateRoutesRequest: allow\n"
                "  AddARPNeighborsRequest: allow\n")
    rc, out, err = run(ccgate, "policy", "check", "--strict", f.name)
    os.unlink(f.name)
    expect(rc == 1, f"check --strict without sections: exit {rc}")
    for want in ("CreateSandboxRequest is allowed without a sandbox section",
                 "UpdateInterfaceRequest is allowed but the network section lists no interface",
                 "UpdateRoutesRequest is allowed but the network section lists no route",
                 "AddARPNeighborsRequest is allowed but the network section lists no neighbour"):
        expect("warning: " + want in err, f"check without sections: {want!r} in {err!r}")

    bad = os.path.join(root, "tests", "policy", "fixtures", "bad", "unpinned-image.yaml")
    rc, out, err = run(ccgate, "policy", "check", bad)
    expect(rc == 1, f"check bad: exit {rc}")
    expect(err.strip() == f"{bad}:3:44: the image must be pinned by digest: "
           "NAME@sha256:<64 hex digits>", f"check bad: {err!r}")

    rc, out, err = run(ccgate, "policy", "check")
    expect(rc == 2, f"check without FILE: exit {rc}")
    rc, out, err = run(ccgate, "policy", "check", "--help")
    expect(rc == 0 and "Usage: ccgate policy check" in out, "check --help")
    rc, out, err = run(ccgate, "policy", "explain", "--help")
    expect(rc == 0 and "Usage: ccgate policy explain" in out, "explain --help")

    # Warnings: exec allowed while its WaitProcess is denied hangs the client.
    hang = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"ccgate-cli-test-{os.getpid()}.yaml")
    with open(hang, "w") as f:
        f.write("version: 1\nrequests: {ExecProcessRequest: allow, CreateContainerRequest: allow}\n"
                "containers:\n  - {name: p, sandbox: true, id: p, reason: r, image: pause, args: [/pause],\n"
                "     exec: [{id: e, reason: r, argv: [/bin/true]}]}\n")
    try:
        rc, out, err = run(ccgate, "policy", "check", "-q", hang)
        expect(rc == 0 and "WaitProcessRequest is denied: the client waits for it forever" in err,
               f"hang warning: {rc} {err!r}")
        rc, out, err = run(ccgate, "policy", "check", "-q", "--strict", hang)
        expect(rc == 1, f"--strict with warnings: exit {rc}")
    finally:
        os.unlink(hang)

    n = 0
    for req in sorted(glob.glob(os.path.join(root, "examples", "*", "requests", "*.json"))):
        policy = os.path.join(os.path.dirname(os.path.dirname(req)), "policy.yaml")
        with open(req) as f:
            want = json.load(f)["expect"]
        rc, out, err = run(ccgate, "policy", "explain", policy, req)
        rule = re.search(r"^rule: +(\S+)$", out, re.M)
        expect(rc == (0 if want["decision"] == "allow" else 1) and rule and rule.group(1) == want["rule"],
               f"explain {req}: exit {rc}, rule {rule.group(1) if rule else None}: {err}")
        if want["decision"] == "deny" and not want.get("drain"):
            expect(f"{json.load(open(req))['request']} is blocked by policy: {want['rule']}: " in out,
                   f"explain {req}: denial message")
        n += 1
    expect(n >= 40, f"only {n} request files")

    for f in failures:
        print("FAIL", f)
    print(f"{n} requests explained, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""ccgate run bound to a TEE report: an SNP report (built byte for byte from the
published layout by tests/attest/gen_reports.py) whose HOST_DATA is the policy's
SHA-256 lets the policy decide; a one-bit difference denies every request with
the reason, and nothing reaches the agent; --tee-required refuses to serve.
Usage: attest_e2e.py CCGATE POLICY_DIR ATTEST_TEST_DIR"""
import hashlib, os, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, sys.argv[3])
from ttrpc_peer import StubAgent, connect, call
import gen_reports

CCGATE, POLICY = sys.argv[1], os.path.join(sys.argv[2], "gate.yaml")
passed, failures = 0, []

def check(cond, what):
    global passed
    print(("ok   " if cond else "FAIL ") + what)
    if cond: passed += 1
    else: failures.append(what)

digest = hashlib.sha256(open(POLICY, "rb").read()).digest()
bad = bytes([digest[0] ^ 1]) + digest[1:]

def serve(report, extra=()):
    tmp = tempfile.mkdtemp(prefix="ccgate-attest-")
    with open(tmp + "/report.bin", "wb") as f:
        f.write(report)
    agent = StubAgent(tmp + "/agent.sock")
    gate = subprocess.Popen([CCGATE, "run", "--listen", "unix:" + tmp + "/host.sock",
                             "--agent", "unix:" + tmp + "/agent.sock", "--policy", POLICY,
                             "--audit-log", tmp + "/audit.log", "--tee", "snp",
                             "--tee-report", tmp + "/report.bin", *extra])
    return tmp, agent, gate

def stop(gate):
    gate.terminate()
    return gate.wait(10)

A = "grpc.AgentService"
tmp, agent, gate = serve(gen_reports.snp_report(digest))
try:
    s = connect(tmp + "/host.sock")
    check(call(s, 1, A, "GetGuestDetails")[0] == 0, "matching HOST_DATA: the policy allows GetGuestDetails")
    check(call(s, 3, A, "ExecProcess")[0] == 7, "matching HOST_DATA: the policy denies ExecProcess")
finally:
    check(stop(gate) == 0, "stops cleanly")

tmp, agent, gate = serve(gen_reports.snp_report(bad))
try:
    s = connect(tmp + "/host.sock")
    code, msg, _ = call(s, 1, A, "GetGuestDetails")
    check(code == 7 and ": attestation: " in msg, "one bit off: even an allowed request is denied: %r" % msg)
    check(agent.seen(A + "/GetGuestDetails") == 0, "one bit off: nothing reached the agent")
    audit = open(tmp + "/audit.log").read()
    check('"attestation"' in audit, "one bit off: the audit log records the attestation denial")
finally:
    stop(gate)

tmp, agent, gate = serve(gen_reports.snp_report(bad), ["--tee-required"])
try:
    rc = gate.wait(10)
except subprocess.TimeoutExpired:
    rc = stop(gate)
check(rc == 1, "one bit off with --tee-required: exits 1 (rc %s)" % rc)

print("%d passed, %d failed" % (passed, len(failures)))
sys.exit(1 if failures else 0)

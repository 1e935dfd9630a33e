#!/usr/bin/env python3
"""ccgate run bound to a TEE report: an SNP report (built byte for byte from the
published layout by tests/attest/gen_reports.py) whose HOST_DATA is the policy's
SHA-256 lets the policy decide; a one-bit difference denies every request with
the reason, and nothing reaches the agent; --tee-required refuses to serve.
Usage: attest_e2e.py CCGATE POLICY_DIR ATTEST_TEST_DIR"""
import hashlib, json, os, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, sys.argv[3])
from ttrpc_peer import StubAgent, connect, call, field_bytes, ccgate_cmd
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

def serve(report, extra=(), source=("--policy", POLICY), tee="snp"):
    tmp = tempfile.mkdtemp(prefix="ccgate-attest-")
    tee_args = ["--tee", tee]
    if report is not None:
        with open(tmp + "/report.bin", "wb") as f:
            f.write(report)
        tee_args += ["--tee-report", tmp + "/report.bin"]
    agent = StubAgent(tmp + "/agent.sock")
    gate = subprocess.Popen([*ccgate_cmd(CCGATE), "run", "--listen", "unix:" + tmp + "/host.sock",
                             "--agent", "unix:" + tmp + "/agent.sock", *source,
                             "--audit-log", tmp + "/audit.log", *tee_args, *extra])
    return tmp, agent, gate

def records(tmp):
    return [json.loads(l) for l in open(tmp + "/audit.log")]

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

# --- TDX: MRCONFIGID holds the SHA-384 of the policy --------------------------
d384 = hashlib.sha384(open(POLICY, "rb").read()).digest()
for name, report in (("TDREPORT", gen_reports.tdreport(d384)),
                     ("TD quote v4", gen_reports.td_quote(d384))):
    tmp, agent, gate = serve(report, tee="tdx")
    try:
        s = connect(tmp + "/host.sock")
        check(call(s, 1, A, "GetGuestDetails")[0] == 0, "TDX %s, matching MRCONFIGID: allowed" % name)
        check(call(s, 3, A, "ExecProcess")[0] == 7, "TDX %s, matching MRCONFIGID: ExecProcess denied" % name)
        check(records(tmp)[0]["tee"] == "tdx", "TDX %s: the audit log's genesis names tdx" % name)
    finally:
        stop(gate)
tmp, agent, gate = serve(gen_reports.tdreport(gen_reports.flip(d384)), tee="tdx")
try:
    s = connect(tmp + "/host.sock")
    code, msg, _ = call(s, 1, A, "GetGuestDetails")
    check(code == 7 and ": attestation: " in msg and "MRCONFIGID" in msg,
          "TDX one bit off: denied with the reason: %r" % msg)
    check(agent.seen(A + "/GetGuestDetails") == 0, "TDX one bit off: nothing reached the agent")
finally:
    stop(gate)

# --- no TEE at all and no --tee none: denied, with what was tried ---------------
tees = ["/dev/sev-guest", "/dev/tdx_guest", "/sys/kernel/config/tsm/report"]
if any(os.path.exists(p) for p in tees):
    print("SKIP no-TEE check: this machine has a TEE interface (%s)" %
          ", ".join(p for p in tees if os.path.exists(p)))
else:
    tmp, agent, gate = serve(None, tee="auto")
    try:
        s = connect(tmp + "/host.sock")
        code, msg, _ = call(s, 1, A, "GetGuestDetails")
        check(code == 7 and ": attestation: " in msg, "no TEE, --tee auto: denied: %r" % msg)
        check(agent.seen(A + "/GetGuestDetails") == 0, "no TEE: nothing reached the agent")
        check(records(tmp)[0]["tee"] == "unknown", "no TEE, --tee auto: the audit log says unknown")
    finally:
        stop(gate)

# --- the policy delivered by SetPolicyRequest (--policy-from-host) -------------
def set_policy(s, stream, text):
    return call(s, stream, A, "SetPolicy", field_bytes(1, text))

text = open(POLICY, "rb").read()
other = text + b"# one more line\n"
tmp, agent, gate = serve(gen_reports.snp_report(digest), source=("--policy-from-host",))
try:
    s = connect(tmp + "/host.sock")
    code, msg, _ = call(s, 1, A, "GetGuestDetails")
    check(code == 7 and ": no-policy: " in msg, "from host, before SetPolicy: denied: %r" % msg)
    code, msg, _ = set_policy(s, 3, other)
    check(code == 7 and ": attestation: SetPolicy refused: " in msg,
          "SetPolicy with a wrong digest: rejected: %r" % msg)
    code, msg, _ = call(s, 5, A, "GetGuestDetails")
    check(code == 7 and ": no-policy: " in msg, "after the rejected SetPolicy: still no policy")
    code, msg, _ = set_policy(s, 7, text)
    check(code == 0, "SetPolicy with the attested digest: accepted (%d %r)" % (code, msg))
    check(call(s, 9, A, "GetGuestDetails")[0] == 0, "after SetPolicy: the policy allows GetGuestDetails")
    check(call(s, 11, A, "ExecProcess")[0] == 7, "after SetPolicy: the policy denies ExecProcess")
    code, msg, _ = set_policy(s, 13, other)
    check(code == 7, "sealed: a second SetPolicy is decided by the policy: %r" % msg)
    check(call(s, 15, A, "GetGuestDetails")[0] == 0, "sealed: the accepted policy still decides")
    check(agent.seen(A + "/SetPolicy") == 0, "no SetPolicyRequest ever reached the agent")
    recs = records(tmp)
    acc = [r for r in recs if r.get("rule") == "setpolicy"]
    check(len(acc) == 1 and acc[0]["decision"] == "allow" and acc[0]["forwarded"] is False
          and digest.hex() in acc[0]["reason"], "the audit log records the accepted policy once")
    later = [r for r in recs if r.get("type") == "decision" and r["seq"] > acc[0]["seq"]]
    check(later and all(r["policy"] == digest.hex() for r in later),
          "records after SetPolicy carry the policy digest")
    check(recs[0]["policy"] == "none", "the genesis record says no policy yet")
finally:
    check(stop(gate) == 0, "from host: stops cleanly")

bad_yaml = b"version: 1\nrequests: [\n"
tmp, agent, gate = serve(gen_reports.snp_report(hashlib.sha256(bad_yaml).digest()),
                         source=("--policy-from-host",))
try:
    s = connect(tmp + "/host.sock")
    code, msg, _ = set_policy(s, 1, bad_yaml)
    check(code == 7 and ": setpolicy-invalid: " in msg and "line" in msg,
          "an attested policy that does not load: rejected: %r" % msg)
    code, msg, _ = set_policy(s, 3, text)
    check(code == 7 and ": attestation: " in msg, "...and a policy the TEE does not hold after it: rejected")
    check(call(s, 5, A, "GetGuestDetails")[0] == 7, "...and still nothing is allowed")
finally:
    stop(gate)

tmp, agent, gate = serve(None, source=("--policy-from-host",), tee="none")
try:
    s = connect(tmp + "/host.sock")
    code, msg, _ = set_policy(s, 1, text)
    check(code == 0, "--tee none: SetPolicy accepted unattested")
    check(call(s, 3, A, "GetGuestDetails")[0] == 0, "--tee none: the delivered policy decides")
    acc = [r for r in records(tmp) if r.get("rule") == "setpolicy"]
    check(len(acc) == 1 and "WITHOUT attestation" in acc[0]["reason"] and acc[0]["tee"] == "none",
          "--tee none: the audit record says the policy was not attested")
finally:
    stop(gate)

tmp, agent, gate = serve(gen_reports.snp_report(bad), ["--tee-required"], source=("--policy-from-host",))
try:
    s = connect(tmp + "/host.sock")
    check(set_policy(s, 1, text)[0] == 7,
          "from host, --tee-required: serves, and refuses a policy the report does not hold")
finally:
    stop(gate)

tmp, agent, gate = serve(None, ["--tee-required"], source=("--policy-from-host",), tee="snp")
try:
    rc = gate.wait(10)
except subprocess.TimeoutExpired:
    rc = stop(gate)
if os.path.exists("/dev/sev-guest") or os.path.exists("/sys/kernel/config/tsm/report"):
    print("SKIP from host without a report: this machine has an SNP interface")
else:
    check(rc == 1, "from host, no report, --tee-required: exits 1 (rc %s)" % rc)

# --- the policy inside an initdata document (--initdata) -------------------------
def initdata(policy):
    body = policy.decode().replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return ('algorithm = "sha384"\nversion = "0.1.0"\n\n[data]\n"ccgate.yaml" = "%s"\n' % body).encode()

doc = initdata(text)
doc_field = hashlib.sha384(doc).digest()[:32]  # SNP HOST_DATA: truncated to 32 bytes
def serve_initdata(field, extra=()):
    t = tempfile.mkdtemp(prefix="ccgate-initdata-")
    open(t + "/initdata.toml", "wb").write(doc)
    return serve(gen_reports.snp_report(field), extra, source=("--initdata", t + "/initdata.toml"))

tmp, agent, gate = serve_initdata(doc_field)
try:
    s = connect(tmp + "/host.sock")
    check(call(s, 1, A, "GetGuestDetails")[0] == 0, "initdata digest in HOST_DATA: the policy allows")
    check(call(s, 3, A, "ExecProcess")[0] == 7, "initdata digest in HOST_DATA: the policy denies ExecProcess")
    check(records(tmp)[0]["policy"] == digest.hex(), "initdata: the audit log names the policy's SHA-256")
    check(records(tmp)[0]["tee"] == "snp", "initdata: the audit log names the TEE whose report was read")
finally:
    stop(gate)
tmp, agent, gate = serve_initdata(gen_reports.flip(doc_field))
try:
    s = connect(tmp + "/host.sock")
    code, msg, _ = call(s, 1, A, "GetGuestDetails")
    check(code == 7 and ": attestation: " in msg, "initdata one bit off: denied: %r" % msg)
    check(agent.seen(A + "/GetGuestDetails") == 0, "initdata one bit off: nothing reached the agent")
finally:
    stop(gate)
tmp, agent, gate = serve_initdata(hashlib.sha256(text).digest())
try:
    s = connect(tmp + "/host.sock")
    check(call(s, 1, A, "GetGuestDetails")[0] == 7,
          "initdata binding with the policy's own digest in HOST_DATA: denied")
finally:
    stop(gate)

# --- usage: exactly one policy source --------------------------------------------
for args in ([], ["--policy", POLICY, "--policy-from-host"]):
    r = subprocess.run([CCGATE, "run", "--listen", "unix:/tmp/x", "--agent", "unix:/tmp/y",
                        "--audit-log", "/tmp/z", *args], capture_output=True, text=True)
    check(r.returncode == 2 and "exactly one of --policy" in r.stderr,
          "policy sources %s: usage error 2" % (args or "none"))

print("%d passed, %d failed" % (passed, len(failures)))
sys.exit(1 if failures else 0)

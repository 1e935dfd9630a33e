#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""schemas/audit-record.schema.json against real records, by a real validator.

A real ccgate (with a recording stub agent) decides allowed and denied
requests, unknown methods with hostile names, undecodable payloads and
envelopes, over-long ids, a restart under an audit-mode policy, and a run
whose agent is not there, with the log rotating at 4 KiB; every record it
wrote, and every audit-gen sample record (with outcome records of each kind),
must be valid, and together they must cover every record type and the
optional fields. Records broken in one field at a time must be rejected, so
the schema is not one that accepts anything.

Usage: schema_test.py CCGATE AUDIT_GEN SOURCE_ROOT
"""
import copy
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError as e:
    print("SKIPPED: %s (Debian: python3-jsonschema)" % e)
    sys.exit(77)

CCGATE, GEN, ROOT = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from ttrpc_peer import StubAgent, ccgate_cmd, connect, call, field_bytes, frame, read_frame, \
    request  # noqa: E402

A = "grpc.AgentService"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def pb_str(num, s):
    return field_bytes(num, s.encode() if isinstance(s, str) else s)


def start_gate(policy, host, agent_sock, log, logfile):
    """ccgate on the log; agent_sock may name no socket at all (the agent is not there)."""
    return subprocess.Popen([*ccgate_cmd(CCGATE), "run", "--listen", "unix:" + host,
                             "--agent", "unix:" + agent_sock,
                             "--policy", os.path.join(ROOT, "tests", "integration", "policies", policy),
                             "--audit-log", log, "--audit-rotate", "4K", "--audit-sync", "5",
                             "--tee", "none"], stdout=logfile, stderr=logfile)


def stop_gate(gate):
    gate.send_signal(signal.SIGTERM)
    return gate.wait(timeout=20)


with open(os.path.join(ROOT, "schemas", "audit-record.schema.json")) as f:
    schema = json.load(f)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

tmp = tempfile.mkdtemp(prefix="ccgate-audit-schema-")
try:
    host, agent_sock, log = tmp + "/host.sock", tmp + "/agent.sock", tmp + "/audit.log"
    agent = StubAgent(agent_sock)
    with open(tmp + "/ccgate.out", "wb") as out:
        # ---- a run under the enforcing policy -------------------------------
        gate = start_gate("integration.yaml", host, agent_sock, log, out)
        s = connect(host)
        sid = iter(range(1, 1 << 20, 2))
        sent = 0
        # ExecProcessRequest{container_id, exec_id, process{Args, Env}}.
        exec_req = pb_str(1, "c1") + pb_str(2, "e1") + field_bytes(
            4, pb_str(4, "/bin/cat") + pb_str(4, "/secrets/key") + pb_str(5, "PASSWORD=hunter2"))
        for i in range(12):
            call(s, next(sid), A, "GetGuestDetails")                    # allowed
            call(s, next(sid), A, "ReadStdout", pb_str(1, "c%d" % i) + pb_str(2, "x%d" % i))
            code, msg, _ = call(s, next(sid), A, "ExecProcess", exec_req)  # denied
            sent += 3
        check(code == 7 and "no-exec" in msg, "ExecProcess denied (%d %r)" % (code, msg))
        call(s, next(sid), A, "CreateContainer")                         # default-deny
        call(s, next(sid), A, "Exec\"Pro\ncess\x01\x1b[2J")               # unknown, hostile
        s.sendall(frame(next(sid), 1, pb_str(1, A) + pb_str(2, b"Get\xff\xfeDetails")))
        read_frame(s)                                                    # not UTF-8
        call(s, next(sid), A, "GetGuestDetails", b"\x0a\xff")            # undecodable
        call(s, next(sid), A, "ReadStdout", pb_str(1, "c" * 300) + pb_str(2, "\u20ac" * 100))
        s.sendall(frame(next(sid), 1, b"\x0a\x7f"))                      # envelope broken
        read_frame(s)
        sent += 6
        s.close()
        check(stop_gate(gate) == 0, "ccgate stopped cleanly")

        # ---- a restart on the same log, in audit mode ------------------------
        gate = start_gate("audit-mode.yaml", host, agent_sock, log, out)
        s = connect(host)
        code, _, _ = call(s, 1, A, "ExecProcess", exec_req)
        check(code == 0, "audit mode forwards a denied ExecProcess (%d)" % code)
        code, _, _ = call(s, 3, A, "GetGuestDetails")
        sent += 2
        s.close()
        check(stop_gate(gate) == 0, "ccgate (audit mode) stopped cleanly")

        # ---- a run whose agent is not there: answered UNAVAILABLE, not forwarded
        gate = start_gate("integration.yaml", host, tmp + "/no-agent.sock", log, out)
        s = connect(host)
        code, _, _ = call(s, 1, A, "GetGuestDetails")
        check(code == 14, "no agent: UNAVAILABLE (%d)" % code)
        sent += 1
        s.close()
        check(stop_gate(gate) == 0, "ccgate (no agent) stopped cleanly")
    agent.close()

    files = sorted(glob.glob(log + "*"))
    check(len(files) >= 3, "the log rotated at 4 KiB: %d files" % len(files))
    rc = subprocess.run([CCGATE, "audit", "verify", "--closed", *files], capture_output=True,
                        text=True)
    check(rc.returncode == 0, "ccgate audit verify --closed passes on the run's files: %s"
          % rc.stderr.strip())
    with open(tmp + "/ccgate.out", "rb") as f:
        anchors = re.findall(rb"ends at ([0-9]+:[0-9a-f]{64})", f.read())
    check(len(anchors) == 3, "each run logs the head it stopped at: %s" % anchors)
    if anchors:
        rc = subprocess.run([CCGATE, "audit", "verify", "--closed", "--anchor",
                             anchors[-1].decode(), *files], capture_output=True, text=True)
        check(rc.returncode == 0, "the head logged at stop verifies as an --anchor: %s"
              % rc.stderr.strip())
        last = max(json.loads(l)["seq"] for p in files for l in open(p, "rb") if l.strip())
        check(int(anchors[-1].split(b":")[0]) == last, "... and it is the stop record's seq")

    real = []
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        check(b"hunter2" not in data and b"/secrets/key" not in data,
              "%s: no request contents (env, argv)" % os.path.basename(path))
        real += [json.loads(l) for l in data.split(b"\n") if l]
    real.sort(key=lambda r: r["seq"])
    decisions = [r for r in real if r["type"] == "decision"]
    check(len(decisions) == sent, "one decision record per request: %d for %d" %
          (len(decisions), sent))
    outcomes = [r for r in real if r["type"] == "outcome"]
    forwarded = {r["seq"]: r for r in decisions if r["forwarded"]}
    check(sorted(r["decision_seq"] for r in outcomes) == sorted(forwarded),
          "one outcome record per forwarded request: %d for %d" % (len(outcomes), len(forwarded)))
    check(all(forwarded[r["decision_seq"]]["stream"] == r["stream"] and r["seq"] > r["decision_seq"]
              for r in outcomes if r["decision_seq"] in forwarded),
          "each outcome follows its decision, on the same stream")

    # ---- every real and sample record is valid -------------------------------
    gen_log = tmp + "/gen.log"
    subprocess.run([GEN, gen_log, "0", "16", "outcomes"], check=True, timeout=30)
    with open(gen_log, "rb") as f:
        samples = [json.loads(l) for l in f.read().split(b"\n") if l]
    bad = 0
    for origin, recs in (("ccgate run", real), ("audit-gen", samples)):
        for r in recs:
            errors = list(validator.iter_errors(r))
            if errors:
                bad += 1
                print("  %s seq %d: %s" % (origin, r["seq"], "; ".join(e.message for e in errors)))
        check(all(validator.is_valid(r) for r in recs),
              "every %s record (%d) is valid against the schema" % (origin, len(recs)))

    types = {r["type"] for r in real}
    check(types == {"genesis", "start", "decision", "outcome", "stop"},
          "the run has every type: %s" % types)
    check({(r["outcome"], r["why"]) for r in outcomes} ==
          {("answered", None), ("not-forwarded", "agent-unavailable")},
          "answered, and not forwarded for want of an agent: %s" %
          {(r["outcome"], r["why"]) for r in outcomes})
    sample_outcomes = {(r["outcome"], r["why"], r["code"]) for r in samples
                       if r["type"] == "outcome"}
    check({o for o, _, _ in sample_outcomes} == {"answered", "not-forwarded", "abandoned"} and
          {w for _, w, _ in sample_outcomes} >= {"agent-lost", "host-closed", "stopping"} and
          None in {c for _, _, c in sample_outcomes},
          "the samples have every outcome, why, and a null code: %s" % sample_outcomes)
    check({r["decision"] for r in decisions} == {"allow", "deny"}, "allowed and denied decisions")
    check(any(r["mode"] == "audit" and r["forwarded"] and r["decision"] == "deny"
              for r in decisions), "an audit-mode denial that was forwarded")
    check(any(r["request"] is None for r in decisions), "an unknown method (request null)")
    check(any(r["service"] is None for r in decisions), "a broken envelope (service null)")
    check(sum(r["rule"] == "malformed-request" and r["service"] is None for r in decisions) == 2,
          "an envelope whose method is not UTF-8 is malformed, as is a broken one")
    check(any(set(r.get("truncated", [])) == {"container_id", "exec_id"} for r in decisions),
          "over-long ids are cut and named in \"truncated\"")
    check(any(r["container_id"] == "c3" and r["exec_id"] == "x3" for r in decisions),
          "container and exec ids are recorded")
    envelope = request(A, "ExecProcess", exec_req)
    digest = hashlib.sha256(envelope).hexdigest()
    check(sum(r["request_sha256"] == digest and r["request_bytes"] == len(envelope) and
              r["rule"] == "no-exec" for r in decisions) == 13,
          "request_sha256 is the SHA-256 of the request as sent, for each of the 13 ExecProcess")

    # ---- broken records are rejected -------------------------------------------
    decision = next(r for r in real if r["type"] == "decision" and r["decision"] == "deny")
    genesis = real[0]
    stop = next(r for r in real if r["type"] == "stop")
    outcome = next(r for r in real if r["type"] == "outcome")

    def broken(rec, change):
        r = copy.deepcopy(rec)
        change(r)
        return r

    mutants = [
        ("no prev", broken(decision, lambda r: r.pop("prev"))),
        ("prev not hex", broken(decision, lambda r: r.update(prev="X" * 64))),
        ("negative seq", broken(decision, lambda r: r.update(seq=-1))),
        ("v 2", broken(decision, lambda r: r.update(v=2))),
        ("time without nanoseconds", broken(decision, lambda r: r.update(time="2026-11-22T20:03:36Z"))),
        ("time not UTC", broken(decision, lambda r: r.update(time="2026-11-22T20:03:36.000000000+01:00"))),
        ("decision maybe", broken(decision, lambda r: r.update(decision="maybe"))),
        ("a secret field", broken(decision, lambda r: r.update(env=["PASSWORD=hunter2"]))),
        ("no request_sha256", broken(decision, lambda r: r.pop("request_sha256"))),
        ("short request_sha256", broken(decision, lambda r: r.update(request_sha256="ab"))),
        ("mode unknown", broken(decision, lambda r: r.update(mode="permissive"))),
        ("stream too big", broken(decision, lambda r: r.update(stream=1 << 32))),
        ("forwarded a string", broken(decision, lambda r: r.update(forwarded="yes"))),
        ("truncated unknown name", broken(decision, lambda r: r.update(truncated=["env"]))),
        ("decision with seq 0", broken(decision, lambda r: r.update(seq=0))),
        ("policy digest wrong length", broken(decision, lambda r: r.update(policy="abc"))),
        ("genesis at seq 5", broken(genesis, lambda r: r.update(seq=5))),
        ("genesis without version", broken(genesis, lambda r: r.pop("ccgate_version"))),
        ("genesis with a prev", broken(genesis, lambda r: r.update(prev="1" * 64))),
        ("stop with decision fields", broken(stop, lambda r: r.update(decision="allow"))),
        ("outcome unknown", broken(outcome, lambda r: r.update(outcome="lost"))),
        ("outcome answered with a why", broken(outcome, lambda r: r.update(why="agent-lost"))),
        ("outcome abandoned without a why", broken(outcome, lambda r: r.update(outcome="abandoned"))),
        ("outcome why unknown", broken(outcome, lambda r: r.update(outcome="abandoned", why="tired"))),
        ("outcome code a string", broken(outcome, lambda r: r.update(code="OK"))),
        ("outcome without decision_seq", broken(outcome, lambda r: r.pop("decision_seq"))),
        ("outcome with decision fields", broken(outcome, lambda r: r.update(rule="x"))),
        ("type unknown", broken(stop, lambda r: r.update(type="pause"))),
        ("an array", [decision]),
    ]
    for name, m in mutants:
        check(not validator.is_valid(m), "rejected: %s" % name)
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print("%d failures" % len(failures))
sys.exit(1 if failures else 0)

#!/usr/bin/env python3
"""End-to-end: ccgate between a client and a recording stub agent, over real
unix sockets, as real processes. Every denial is also checked against the
agent's record: a denied request must never reach it.

Usage: e2e.py CCGATE_BINARY POLICY_DIR
"""
import os, socket, struct, subprocess, sys, tempfile, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

CCGATE, POLICIES = sys.argv[1], sys.argv[2]
failures = []
passed = [0]

def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if cond:
        passed[0] += 1
    else:
        failures.append(what)

from ttrpc_peer import *

tmp = tempfile.mkdtemp(prefix="ccgate-e2e-")
host, agent_path, audit = tmp + "/host.sock", tmp + "/agent.sock", tmp + "/audit.log"
agent = StubAgent(agent_path)
gate = subprocess.Popen([*ccgate_cmd(CCGATE), "run", "--listen", "unix:" + host, "--agent", "unix:" + agent_path,
                         "--policy", POLICIES + "/gate.yaml", "--audit-log", audit, "--tee", "none"])
try:
    s = connect(host)
    A = "grpc.AgentService"

    code, msg, body = call(s, 1, A, "GetGuestDetails")
    check(code == 0, "allowed GetGuestDetails answered OK")
    check(body == b"agent-answer:" + A.encode() + b"/GetGuestDetails:" + bytes(range(256)),
          "the agent's response payload reaches the client byte for byte")
    check(agent.seen(A + "/GetGuestDetails") == 1, "the allowed request reached the agent once")

    code, msg, _ = call(s, 3, A, "ExecProcess")
    check(code == 7, "ExecProcess denied with PERMISSION_DENIED (got %d)" % code)
    check(msg == "ExecProcessRequest is blocked by policy: no-exec: the host may not run commands in the pod",
          "denial message names request, rule id and reason: %r" % msg)
    check(agent.seen(A + "/ExecProcess") == 0, "the denied ExecProcess never reached the agent")

    code, msg, _ = call(s, 5, A, "CreateContainer")
    check(code == 7 and "default-deny" in msg, "unlisted CreateContainer denied by default-deny: %r" % msg)
    check(agent.seen(A + "/CreateContainer") == 0, "the unlisted request never reached the agent")

    code, msg, _ = call(s, 7, A, "NoSuchMethod")
    check(code == 7 and "unknown-method" in msg, "unknown method denied: %r" % msg)
    check(agent.seen(A + "/NoSuchMethod") == 0, "the unknown method never reached the agent")

    code, msg, _ = call(s, 9, A, "GetGuestDetails", varint(99 << 3) + varint(1))
    check(code == 7 and "unknown-field" in msg, "a protobuf field the schema lacks is denied: %r" % msg)
    code, msg, _ = call(s, 11, A, "GetGuestDetails", b"\x0a\xff")
    check(code == 7 and "undecodable-request" in msg, "an undecodable payload is denied: %r" % msg)
    check(agent.seen(A + "/GetGuestDetails") == 1, "neither bad GetGuestDetails reached the agent")

    # Pipelined: several requests before reading any answer.
    for sid in (13, 15, 17, 19):
        s.sendall(frame(sid, 1, request(A, "GetGuestDetails" if sid % 4 == 1 else "ExecProcess")))
    answers = {}
    for _ in range(4):
        sid, _, body = read_frame(s)
        answers[sid] = response(body)[0]
    check(answers == {13: 0, 15: 7, 17: 0, 19: 7}, "pipelined requests answered on their own streams: %r" % answers)

    # An oversized frame closes that connection only.
    bad = connect(host)
    bad.sendall(struct.pack(">IIBB", 4 * 1024 * 1024 + 1, 1, 1, 0))
    try:
        closed = bad.recv(1) == b""
    except OSError:
        closed = True
    check(closed, "a frame of 4 MiB + 1 closes its connection")
    code, _, _ = call(s, 21, A, "GetGuestDetails")
    check(code == 0, "the other connection still works")

    # 100 concurrent clients.
    results = []
    def client(i):
        c = connect(host)
        ok = call(c, 1, A, "GetGuestDetails")[0] == 0 and call(c, 3, A, "ExecProcess")[0] == 7
        c.close()
        results.append(ok)
    before = agent.seen(A + "/ExecProcess")
    threads = [threading.Thread(target=client, args=(i,)) for i in range(100)]
    for t in threads: t.start()
    for t in threads: t.join()
    check(len(results) == 100 and all(results), "100 concurrent clients all answered correctly")
    check(agent.seen(A + "/ExecProcess") == before, "none of their 100 ExecProcess reached the agent")

    # Agent down: UNAVAILABLE, ccgate keeps serving, and serves again when it is back.
    agent.close()
    c = connect(host)
    code, _, _ = call(c, 1, A, "GetGuestDetails")
    check(code == 14, "agent unreachable -> UNAVAILABLE (got %d)" % code)
    code, _, _ = call(c, 3, A, "ExecProcess")
    check(code == 7, "denials still answered while the agent is down")
    agent = StubAgent(agent_path)
    code, _, _ = call(c, 5, A, "GetGuestDetails")
    check(code == 0, "served again once the agent is back")
    check(gate.poll() is None, "ccgate is still running")

    with open(audit) as f:
        lines = [l for l in f if l.strip()]
    check(len(lines) > 200, "the audit log has a record per decision (%d lines)" % len(lines))
    check(all("hunter2" not in l for l in lines), "no secrets in the audit log")
finally:
    gate.terminate()
    try:
        rc = gate.wait(10)
    except subprocess.TimeoutExpired:
        gate.kill(); rc = gate.wait()
    check(rc == 0, "ccgate stops cleanly on SIGTERM (rc %s)" % rc)

print("%d passed, %d failed" % (passed[0], len(failures)))
sys.exit(1 if failures else 0)

#!/usr/bin/env python3
"""End-to-end: ccgate between a client and a recording stub agent, over real
unix sockets, as real processes. Every denial is also checked against the
agent's record: a denied request must never reach it.

Usage: e2e.py CCGATE_BINARY POLICY_DIR
"""
import os, socket, struct, subprocess, sys, tempfile, threading, time

CCGATE, POLICIES = sys.argv[1], sys.argv[2]
failures = []
passed = [0]

def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if cond:
        passed[0] += 1
    else:
        failures.append(what)

# --- protobuf, just what the ttRPC envelope needs -------------------------
def varint(n):
    out = b""
    while True:
        b = n & 0x7F; n >>= 7
        if n: out += bytes([b | 0x80])
        else: return out + bytes([b])

def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data

def request(service, method, payload=b""):
    return field_bytes(1, service.encode()) + field_bytes(2, method.encode()) + field_bytes(3, payload)

def parse(buf):
    """Fields of one message as {num: [values]} (varints as int, else bytes)."""
    i, out = 0, {}
    while i < len(buf):
        key = 0; shift = 0
        while True:
            b = buf[i]; i += 1; key |= (b & 0x7F) << shift; shift += 7
            if not b & 0x80: break
        num, wt = key >> 3, key & 7
        if wt == 0:
            v = 0; shift = 0
            while True:
                b = buf[i]; i += 1; v |= (b & 0x7F) << shift; shift += 7
                if not b & 0x80: break
        elif wt == 2:
            n = 0; shift = 0
            while True:
                b = buf[i]; i += 1; n |= (b & 0x7F) << shift; shift += 7
                if not b & 0x80: break
            v = buf[i:i + n]; i += n
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(num, []).append(v)
    return out

def frame(stream, ftype, payload):
    return struct.pack(">IIBB", len(payload), stream, ftype, 0) + payload

def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data

def read_frame(s):
    length, stream, ftype, flags = struct.unpack(">IIBB", recv_exact(s, 10))
    return stream, ftype, recv_exact(s, length)

def response(payload):
    f = parse(payload)
    status = parse(f[1][0]) if 1 in f else {}
    code = status.get(1, [0])[0]
    msg = status.get(2, [b""])[0].decode()
    return code, msg, f.get(2, [b""])[0]

# --- the stub agent ----------------------------------------------------------
class StubAgent:
    def __init__(self, path):
        self.path, self.record, self.lock = path, [], threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path); self.sock.listen(256)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.conn, args=(c,), daemon=True).start()

    def conn(self, c):
        try:
            while True:
                stream, ftype, payload = read_frame(c)
                req = parse(payload)
                name = req[1][0].decode() + "/" + req[2][0].decode()
                with self.lock:
                    self.record.append(name)
                body = b"agent-answer:" + name.encode() + b":" + bytes(range(256))
                c.sendall(frame(stream, 2, field_bytes(1, b"") + field_bytes(2, body)))
        except (EOFError, OSError):
            c.close()

    def seen(self, name):
        with self.lock:
            return self.record.count(name)

    def close(self):
        self.sock.close()
        os.unlink(self.path)

# --- the run ----------------------------------------------------------------
def connect(path, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path); s.settimeout(20); return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)

def call(s, stream, service, method, payload=b""):
    s.sendall(frame(stream, 1, request(service, method, payload)))
    sid, ftype, body = read_frame(s)
    assert sid == stream and ftype == 2, (sid, ftype)
    return response(body)

tmp = tempfile.mkdtemp(prefix="ccgate-e2e-")
host, agent_path, audit = tmp + "/host.sock", tmp + "/agent.sock", tmp + "/audit.log"
agent = StubAgent(agent_path)
gate = subprocess.Popen([CCGATE, "run", "--listen", "unix:" + host, "--agent", "unix:" + agent_path,
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

#!/usr/bin/env python3
"""The memory budget (issue 18 item 6), against a real ccgate and stub agent
over real unix sockets.

flood: 1,000 host connections (MEMORY_E2E_CONNS), each sending the header of
  a maximal (4 MiB) request frame and then as much of its body as ccgate
  takes, one byte short. Before the fix each held its frame: 1,000 x 4 MiB.
  With the default --memory-budget (64M), ccgate's VmRSS and its peak
  (VmHWM, /proc/PID/status) must stay under the budget plus a baseline: its
  VmRSS serving one request before the flood, plus 16 MiB for 1,000
  connections' own bookkeeping (connection and epoll structures, the stub
  agent's side, the allocator). Meanwhile another connection is served, and
  once the flood is gone a maximal frame is served too.
queue: --memory-budget 8M takes one maximal frame at a time. A holds one,
  unfinished; B asks for one and waits; A goes and reconnects at once (A2)
  with another: B's turn came first. B is answered; A2, still waiting, is
  what a reconnect buys: a place at the back. (Its frame timeout ran from
  its first byte, as for everyone.)

Usage: memory_e2e.py CCGATE STUB_AGENT POLICY_DIR CASE
"""
import os, resource, socket, struct, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ttrpc_peer import connect, call, frame, request, read_frame, response, ccgate_cmd

CCGATE, STUB, POLICY, CASE = sys.argv[1], sys.argv[2], os.path.join(sys.argv[3], "gate.yaml"), sys.argv[4]
A = "grpc.AgentService"
MAX = 4 * 1024 * 1024
passed, failures = 0, []

def check(cond, what):
    global passed
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if cond: passed += 1
    else: failures.append(what)

def status(pid, key):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(key + ":"):
            return int(line.split()[1])  # kB
    return -1

def serve(extra):
    tmp = tempfile.mkdtemp(prefix="ccgate-mem-")
    # The recording stub agent (tests/stub): one epoll thread for 1,000 connections.
    agent = subprocess.Popen([STUB, "--listen", "unix:" + tmp + "/agent.sock",
                              "--record", tmp + "/record"], stderr=open(tmp + "/stub.log", "w"))
    connect(tmp + "/agent.sock").close()
    log = open(tmp + "/ccgate.log", "w")
    gate = subprocess.Popen([*ccgate_cmd(CCGATE), "run", "--listen", "unix:" + tmp + "/host.sock",
                             "--agent", "unix:" + tmp + "/agent.sock", "--policy", POLICY,
                             "--audit-log", tmp + "/audit.log", "--tee", "none",
                             "--audit-sync", "1000", "--frame-timeout", "3600", *extra],
                            stderr=log)
    connect(tmp + "/host.sock").close()
    return tmp, agent, gate

def maximal_request():
    """A maximal request envelope (4 MiB): GetGuestDetails, its payload 4 MiB of zero
    bytes, which ccgate reads whole and refuses (field number 0: undecodable)."""
    head = request(A, "GetGuestDetails")[:-2]   # without its empty payload field
    pad = MAX - len(head) - 1 - 4                # 4 MiB needs a 4-byte length varint
    env = head + b"\x1a" + varint(pad) + b"\x00" * pad
    assert len(env) == MAX
    return env

def varint(n):
    out = b""
    while True:
        b = n & 0x7F; n >>= 7
        if n: out += bytes([b | 0x80])
        else: return out + bytes([b])

def start_partial(sock_path, body_len=MAX):
    """A connection sending the header of a body_len frame; the body follows by push()."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    s.setblocking(False)
    s.sendall(struct.pack(">IIBB", body_len, 1, 1, 0))
    return [s, 0, body_len - 1]  # socket, body bytes sent, body bytes to send

BODY = memoryview(b"\x00" * MAX)

def push(p):
    """Send what the socket takes of p's body; the number of bytes sent."""
    s, done, total = p
    sent = 0
    while done < total:
        try:
            n = s.send(BODY[done:min(total, done + 256 * 1024)])
        except BlockingIOError:
            break
        done += n; sent += n
    p[1] = done
    return sent

def served(sock_path, what):
    c = connect(sock_path)
    code, msg, payload = call(c, 1, A, "GetGuestDetails")
    c.close()
    check(code == 0 and b"stub-agent" in payload, "%s: code %d %r" % (what, code, msg))

def flood():
    n = int(os.environ.get("MEMORY_E2E_CONNS", "1000"))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 256
    if hard != resource.RLIM_INFINITY and hard < want:
        print("SKIP: RLIMIT_NOFILE hard limit %d < %d" % (hard, want)); sys.exit(77)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    tmp, agent, gate = serve([])
    sock = tmp + "/host.sock"
    try:
        served(sock, "served before the flood")
        base = status(gate.pid, "VmRSS")
        budget_kib = 64 * 1024
        allowed = budget_kib + base + 16 * 1024
        print("baseline VmRSS %d KiB; allowed %d KiB (64 MiB budget + baseline + 16 MiB)" % (base, allowed))
        conns = [start_partial(sock) for _ in range(n)]
        # Push until nothing moves in a whole pass: ccgate then takes nothing more.
        total, passes = 0, 0
        while True:
            moved = sum(push(p) for p in conns)
            total += moved; passes += 1
            if moved == 0:
                # ccgate may still be reading what the sockets hold: settle, then once more.
                time.sleep(0.5)
                if sum(push(p) for p in conns) == 0:
                    break
        rss, hwm = status(gate.pid, "VmRSS"), status(gate.pid, "VmHWM")
        print("%d connections pushed %d MiB in %d passes; ccgate VmRSS %d KiB, VmHWM %d KiB"
              % (n, total >> 20, passes, rss, hwm))
        check(gate.poll() is None, "ccgate is running")
        check(rss < allowed, "VmRSS %d KiB < %d KiB" % (rss, allowed))
        check(hwm < allowed, "VmHWM %d KiB < %d KiB" % (hwm, allowed))
        served(sock, "another connection served during the flood")
        log = open(tmp + "/ccgate.log").read()
        check("connections wait for their frames' buffers" in log, "the log says connections wait")
        for p in conns:
            p[0].close()
        # Once the flood is gone, a maximal frame has its memory again.
        c = connect(sock)
        c.sendall(frame(3, 1, maximal_request()))
        sid, _, body = read_frame(c)
        code, msg, _ = response(body)
        c.close()
        check(sid == 3 and code == 7 and "undecodable-request" in msg,
              "a maximal frame after the flood: read and decided (%d %r)" % (code, msg))
        served(sock, "served after the flood")
    finally:
        gate.terminate()
        check(gate.wait(30) == 0, "ccgate stops cleanly")
        agent.terminate()
        agent.wait(30)

def queue():
    tmp, agent, gate = serve(["--memory-budget", "8M"])
    sock = tmp + "/host.sock"
    try:
        a = start_partial(sock)
        while push(a):
            pass
        time.sleep(0.2)
        while push(a):
            pass
        # B: a whole maximal request, which cannot get its memory while A holds its own.
        b = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        b.connect(sock)
        b.setblocking(False)
        bframe = memoryview(frame(1, 1, maximal_request()))
        bp = [0]
        def push_b():
            while bp[0] < len(bframe):
                try:
                    bp[0] += b.send(bframe[bp[0]:bp[0] + 256 * 1024])
                except BlockingIOError:
                    return
        push_b()
        # A goes and comes back at once with another maximal frame.
        a[0].close()
        a2 = start_partial(sock)
        push(a2)
        b.setblocking(True)
        b.settimeout(60)
        b.sendall(bframe[bp[0]:])
        sid, _, body = read_frame(b)
        code, msg, _ = response(body)
        check(sid == 1 and code == 7 and "undecodable-request" in msg,
              "B, which asked first, is read and answered (%d %r)" % (code, msg))
        served(sock, "a small request served meanwhile")
        a2[0].close()
        b.close()
        served(sock, "served at the end")
    finally:
        gate.terminate()
        check(gate.wait(30) == 0, "ccgate stops cleanly")
        agent.terminate()
        agent.wait(30)

{"flood": flood, "queue": queue}[CASE]()
print("%d passed, %d failed" % (passed, len(failures)))
sys.exit(1 if failures else 0)

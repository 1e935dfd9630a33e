#!/usr/bin/env python3
"""Runtime measurement through a real ccgate run, between a client and the stub agent.

  measure_e2e.py CCGATE aa OUTDIR      a recording attestation agent (tests/measure/aastub,
                                       containerd's Go ttrpc, built here with go in GOPATH
                                       mode): the events arrive as ExtendRuntimeMeasurement
                                       calls, as the event log has them; RegisterIndex only
                                       with --measure-pcr; a failing agent under
                                       require_measurement denies everything
  measure_e2e.py CCGATE rtmr           a fixture TDX register tree: each event's SHA-384 is
                                       written to rtmr3:sha384, and verify replays them
  measure_e2e.py CCGATE required       require_measurement with no extender: every request is
                                       denied (measurement-unavailable); an extender named
                                       explicitly that cannot be opened stops ccgate
  measure_e2e.py CCGATE tpm            swtpm (Debian's) as the TPM, over tpm2-tss's swtpm
                                       TCTI: tpm2_pcrread's PCR 13 equals the replay (here,
                                       in Python, from the attestation agent's formula, and
                                       by verify --pcr); a cut audit log is detected; PCR 17
                                       cannot be extended from locality 0
Exit 77 with the reason when a mode cannot run here."""
import hashlib, json, os, shutil, signal, socket, struct, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from ttrpc_peer import StubAgent, connect, call, ccgate_cmd, field_bytes, frame, read_frame

CCGATE, MODE = sys.argv[1], sys.argv[2]
A = "grpc.AgentService"
HERE = os.path.dirname(os.path.abspath(__file__))
passed, failures = 0, []

def check(cond, what):
    global passed
    print(("ok   " if cond else "FAIL ") + what)
    if cond: passed += 1
    else: failures.append(what)

def skip(why):
    print("SKIPPED: " + why)
    sys.exit(77)

def policy(tmp, extra=""):
    path = tmp + "/policy.yaml"
    with open(path, "w") as f:
        f.write("version: 1\n%srequests:\n  GuestDetailsRequest: allow\n" % extra)
    return path

def serve(tmp, pol, extra=()):
    agent = StubAgent(tmp + "/agent.sock")
    source = ["--policy-from-host"] if pol is None else ["--policy", pol]
    gate = subprocess.Popen([*ccgate_cmd(CCGATE), "run", "--listen", "unix:" + tmp + "/host.sock",
                             "--agent", "unix:" + tmp + "/agent.sock", *source,
                             "--audit-log", tmp + "/audit.log", "--tee", "none", *extra],
                            stderr=subprocess.PIPE, text=True)
    return agent, gate

def stop(gate, agent):
    gate.send_signal(signal.SIGTERM)
    _, err = gate.communicate(timeout=20)
    agent.close()
    sys.stdout.write(err)
    return gate.returncode, err

def requests(tmp, n, first=1):
    s = connect(tmp + "/host.sock")
    out = [call(s, first + 2 * i, A, "GetGuestDetails") for i in range(n)]
    s.close()
    return out

def lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f]

def wait_for(cond, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False

def aael_digest(h, ev):
    text = ("%s %s %s" % (ev["domain"], ev["operation"], ev["content"])).encode()
    return h(struct.pack("<II", 0x4141454c, len(text)) + text).digest()

def replay(h, events):
    reg = bytes(h().digest_size)
    for ev in events:
        reg = h(reg + aael_digest(h, ev)).digest()
    return reg

def schema_check(tmp, what):
    """The event lines and audit records of a run against their JSON Schemas (python3-jsonschema)."""
    try:
        import jsonschema
    except ImportError:
        print("# no python3-jsonschema: the schemas are not checked")
        return
    root = os.path.join(HERE, "..", "..", "schemas")
    for name, path in (("measure-event", tmp + "/events.audit.log"),
                       ("audit-record", tmp + "/audit.log")):
        with open("%s/%s.schema.json" % (root, name)) as f:
            v = jsonschema.Draft202012Validator(json.load(f))
        bad = [e.message for r in lines(path) for e in v.iter_errors(r)]
        check(not bad, "%s: every line of %s matches %s.schema.json%s" % (
            what, os.path.basename(path), name, (": " + bad[0]) if bad else ""))

def verify(*args):
    return subprocess.run([CCGATE, "audit", "verify", *args], capture_output=True, text=True)

# ---- the attestation agent --------------------------------------------------------
def build_aastub(out):
    go = shutil.which("go")
    gopath = os.environ.get("GOPATH", "/usr/share/gocode")
    if not go:
        skip("go is not installed (Debian: golang-go)")
    if not os.path.isdir(gopath + "/src/github.com/containerd/ttrpc"):
        skip("containerd's ttrpc is not in %s (Debian: golang-github-containerd-ttrpc-dev)" % gopath)
    env = dict(os.environ, GOPATH=gopath, GO111MODULE="off", GOFLAGS="", GOPROXY="off",
               CGO_ENABLED="0", GOCACHE=out + "/go-cache")
    exe = out + "/aastub"
    r = subprocess.run([go, "build", "-o", exe, "."], cwd=HERE + "/aastub", env=env,
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        print(r.stderr)
        sys.exit(1)
    return exe

def aa_run(stub, tmp, pol, stub_args=(), gate_args=(), n=3):
    rec = tmp + "/aa.jsonl"
    aa = subprocess.Popen([stub, "-socket", tmp + "/aa.sock", "-record", rec, *stub_args])
    wait_for(lambda: os.path.exists(tmp + "/aa.sock"))
    agent, gate = serve(tmp, pol, ["--measure", "aa", "--aa-socket", "unix://" + tmp + "/aa.sock",
                                   "--measure-audit", "records=1", *gate_args])
    answers = requests(tmp, n)
    # The tick measures the head within a second or two; the stub records it.
    wait_for(lambda: os.path.exists(rec) and sum(1 for _ in open(rec)) >= 2, 10)
    rc, err = stop(gate, agent)
    aa.terminate(); aa.wait(10)
    return answers, rc, err, (lines(rec) if os.path.exists(rec) else [])

class BadAgent:
    """An attestation agent that misbehaves: never answers, answers garbage, or
    answers on another stream and hangs up."""
    def __init__(self, path, how):
        import threading
        self.how, self.conns = how, []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path); self.sock.listen(8)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            try:
                stream, _, _ = read_frame(c)
                if self.how == "garbage":
                    c.sendall(frame(stream, 2, b"\xff\xff\xff"))
                elif self.how == "other-stream":
                    c.sendall(frame(stream + 2, 2, b""))
                    c.close()
            except (EOFError, OSError):
                pass

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()

def mode_aa_faults(tmp):
    for how, said in (("silent", "did not answer in time"), ("garbage", "does not decode"),
                      ("other-stream", "closed the connection")):
        os.makedirs(tmp + "/" + how)
        d = tmp + "/" + how
        bad = BadAgent(d + "/aa.sock", how)
        agent, gate = serve(d, policy(d, "require_measurement: true\n"),
                            ["--measure", "aa", "--aa-socket", "unix://" + d + "/aa.sock"])
        answers = requests(d, 1)
        rc, err = stop(gate, agent)
        bad.close()
        check(answers[0][0] == 7 and ": measurement-unavailable: " in answers[0][1] and said in err,
              "aa %s: the Start is not measured (\"%s\"), every request denied" % (how, said))
        check(not os.path.exists(d + "/events.audit.log") or os.path.getsize(d + "/events.audit.log") == 0,
              "aa %s: nothing in the event log" % how)

def mode_aa(out):
    stub = build_aastub(out)
    tmp = tempfile.mkdtemp(prefix="ccgate-measure-")
    answers, rc, err, got = aa_run(stub, tmp, policy(tmp))
    check(rc == 0, "aa: ccgate stops cleanly (%s)" % rc)
    check(all(a[0] == 0 for a in answers), "aa: the requests are served")
    events = lines(tmp + "/events.audit.log")
    ops = [e["operation"] for e in got]
    check(ops[:1] == ["Start"] and ops[-1:] == ["Stop"] and "AuditHead" in ops,
          "aa: the agent got Start, AuditHead and Stop: %s" % ops)
    check(len(got) == len(events) and all(
        g["domain"] == "ccgate" and g["operation"] == e["operation"] and g["content"] == e["content"]
        for g, e in zip(got, events)), "aa: each call carries the event log's domain, operation and content")
    check(all(g["register_index"] is None for g in got), "aa: no RegisterIndex unless --measure-pcr")
    start = json.loads(got[0]["content"])
    check(start["extender"] == "aa" and start["tee"] == "none" and start["mode"] == "enforce" and
          start["audit_seq"] == 0 and len(start["policy"]) == 64,
          "aa: the Start content names the extender, TEE, mode, policy and the genesis: %s" % start)
    audit = lines(tmp + "/audit.log")
    check(audit[0]["measure"] == "aa", "aa: the genesis record names the extender")
    measured = [r for r in audit if r["type"] == "measure"]
    check([m["event"] for m in measured] == list(range(len(events) - 1)),
          "aa: a measure record for every event but Stop")
    with open(tmp + "/events.audit.log", "rb") as f:
        shas = [hashlib.sha256(l.rstrip(b"\n")).hexdigest() for l in f]
    check([m["event_sha256"] for m in measured] == shas[:-1],
          "aa: each measure record chains its event line's SHA-256")
    stop_head = json.loads(got[-1]["content"])
    check(stop_head["audit_seq"] == audit[-1]["seq"] and audit[-1]["type"] == "stop",
          "aa: Stop names the stop record")
    r = verify("--events", tmp + "/events.audit.log", tmp + "/audit.log")
    check(r.returncode == 0 and "reaches the measured head" in r.stdout,
          "aa: verify --events: the log reaches the measured head")
    schema_check(tmp, "aa")
    shutil.rmtree(tmp, ignore_errors=True)

    tmp = tempfile.mkdtemp(prefix="ccgate-measure-")
    _, rc, _, got = aa_run(stub, tmp, policy(tmp), gate_args=["--measure-pcr", "13"], n=1)
    check(rc == 0 and got and all(g["register_index"] == 13 for g in got),
          "aa --measure-pcr 13: every call names RegisterIndex 13")
    check(lines(tmp + "/audit.log")[0]["measure"] == "aa:pcr13", "aa: the genesis says aa:pcr13")
    shutil.rmtree(tmp, ignore_errors=True)

    # The agent fails from its second call on: Start is measured, the head is not.
    tmp = tempfile.mkdtemp(prefix="ccgate-measure-")
    rec = tmp + "/aa.jsonl"
    aa = subprocess.Popen([stub, "-socket", tmp + "/aa.sock", "-record", rec, "-fail-after", "1"])
    wait_for(lambda: os.path.exists(tmp + "/aa.sock"))
    agent, gate = serve(tmp, policy(tmp, "require_measurement: true\n"),
                        ["--measure", "aa", "--aa-socket", "unix://" + tmp + "/aa.sock",
                         "--measure-audit", "records=1"])
    first = requests(tmp, 1)
    denied = wait_for(lambda: (requests(tmp, 1, 11)[0][0] == 7), 15)
    late = requests(tmp, 1, 21)
    rc, err = stop(gate, agent)
    aa.terminate(); aa.wait(10)
    check(first[0][0] == 0, "aa failing later: served while the measurement worked")
    check(denied and ": measurement-unavailable: " in late[0][1],
          "aa failing later, require_measurement: then every request is denied: %r" % (late[0][1],))
    check("AA extend runtime measurement failed" in err or "code 13" in err,
          "aa failing later: ccgate logs the agent's answer")
    shutil.rmtree(tmp, ignore_errors=True)

    # NOT_ENABLED from the start: nothing is measured, and the policy is not served.
    tmp = tempfile.mkdtemp(prefix="ccgate-measure-")
    answers, rc, err, got = aa_run(stub, tmp, policy(tmp, "require_measurement: true\n"),
                                   stub_args=["-result", "2"], n=1)
    check(answers[0][0] == 7 and ": measurement-unavailable: " in answers[0][1],
          "aa NOT_ENABLED, require_measurement: denied (%r)" % (answers[0][1],))
    check("NOT_ENABLED" in err, "aa NOT_ENABLED: ccgate says why")
    shutil.rmtree(tmp, ignore_errors=True)

    tmp = tempfile.mkdtemp(prefix="ccgate-measure-")
    mode_aa_faults(tmp)
    shutil.rmtree(tmp, ignore_errors=True)

    # --measure auto: an agent whose event log is off (NOT_ENABLED, its default)
    # is passed over for the registers ccgate extends itself (here no TPM, an RTMR).
    tmp = tempfile.mkdtemp(prefix="ccgate-measure-")
    regs = tmp + "/measurements"
    os.mkdir(regs)
    with open(regs + "/rtmr3:sha384", "wb") as f:
        f.write(bytes(48))
    rec = tmp + "/aa.jsonl"
    aa = subprocess.Popen([stub, "-socket", tmp + "/aa.sock", "-record", rec, "-result", "2"])
    wait_for(lambda: os.path.exists(tmp + "/aa.sock"))
    agent, gate = serve(tmp, policy(tmp, "require_measurement: true\n"),
                        ["--aa-socket", "unix://" + tmp + "/aa.sock", "--rtmr-dir", regs,
                         "--tpm-tcti", "device:" + tmp + "/no-tpm"])
    answers = requests(tmp, 1)
    rc, err = stop(gate, agent)
    aa.terminate(); aa.wait(10)
    events = lines(tmp + "/events.audit.log")
    check(answers[0][0] == 0 and "runtime measurement into rtmr:3 instead" in err and
          [e["register"] for e in events] == ["rtmr:3", "rtmr:3"] and
          json.loads(events[0]["content"])["extender"] == "rtmr:3",
          "auto: the agent answers NOT_ENABLED, ccgate measures into rtmr:3 instead, and serves")
    r = verify("--events", tmp + "/events.audit.log", "--rtmr", replay(hashlib.sha384, events).hex(),
               tmp + "/audit.log")
    check(r.returncode == 0, "auto fallback: verify --rtmr")
    shutil.rmtree(tmp, ignore_errors=True)

# ---- a TDX RTMR fixture ---------------------------------------------------------------
def mode_rtmr():
    tmp = tempfile.mkdtemp(prefix="ccgate-measure-")
    regs = tmp + "/measurements"
    os.mkdir(regs)
    for i in range(4):
        with open("%s/rtmr%d:sha384" % (regs, i), "wb") as f:
            f.write(bytes(48))
    agent, gate = serve(tmp, policy(tmp), ["--measure", "rtmr", "--rtmr-dir", regs,
                                           "--measure-audit", "records=1"])
    requests(tmp, 2)
    wait_for(lambda: os.path.exists(tmp + "/events.audit.log") and
             sum(1 for _ in open(tmp + "/events.audit.log")) >= 2, 10)
    rc, _ = stop(gate, agent)
    events = lines(tmp + "/events.audit.log")
    with open(regs + "/rtmr3:sha384", "rb") as f:
        last_write = f.read()
    check(rc == 0 and len(events) >= 3, "rtmr: ccgate stops cleanly after %d events" % len(events))
    check(last_write == aael_digest(hashlib.sha384, events[-1]) and
          events[-1]["sha384"] == last_write.hex(),
          "rtmr: the last write to rtmr3:sha384 is the Stop event's SHA-384, 48 bytes")
    with open(regs + "/rtmr2:sha384", "rb") as f:
        check(f.read() == bytes(48), "rtmr: the other registers are not written")
    value = replay(hashlib.sha384, events).hex()
    r = verify("--events", tmp + "/events.audit.log", "--rtmr", value, tmp + "/audit.log")
    check(r.returncode == 0, "rtmr: verify --rtmr with the replayed value: %s" % r.stderr.strip())
    r = verify("--events", tmp + "/events.audit.log", "--pcr", "00" * 32, tmp + "/audit.log")
    check(r.returncode == 1 and "not a TPM PCR" in r.stderr, "rtmr: --pcr against RTMR events is refused")
    r = verify("--events", tmp + "/events.audit.log", "--rtmr", "00" * 48, tmp + "/audit.log")
    check(r.returncode == 1 and "replay to" in r.stderr, "rtmr: another register value is refused")
    shutil.rmtree(tmp, ignore_errors=True)

    # --policy-from-host: Start names no policy, the accepted SetPolicy names it.
    tmp = tempfile.mkdtemp(prefix="ccgate-measure-")
    regs = tmp + "/measurements"
    os.mkdir(regs)
    with open(regs + "/rtmr3:sha384", "wb") as f:
        f.write(bytes(48))
    text = open(policy(tmp), "rb").read()
    agent, gate = serve(tmp, None, ["--measure", "rtmr", "--rtmr-dir", regs])
    s = connect(tmp + "/host.sock")
    code, msg, _ = call(s, 1, A, "SetPolicy", field_bytes(1, text))
    served = call(s, 3, A, "GetGuestDetails")[0]
    s.close()
    rc, _ = stop(gate, agent)
    events = lines(tmp + "/events.audit.log")
    contents = [json.loads(e["content"]) for e in events]
    check(code == 0 and served == 0, "rtmr, --policy-from-host: SetPolicy accepted (%d %r)" % (code, msg))
    check([e["operation"] for e in events] == ["Start", "SetPolicy", "Stop"],
          "rtmr, --policy-from-host: Start, SetPolicy, Stop")
    check(contents[0]["policy"] == "none" and contents[0]["mode"] == "none" and
          contents[1]["policy"] == hashlib.sha256(text).hexdigest() and contents[1]["mode"] == "enforce",
          "rtmr: Start has no policy, SetPolicy the accepted policy's SHA-256 and mode")
    r = verify("--events", tmp + "/events.audit.log", "--rtmr", replay(hashlib.sha384, events).hex(),
               tmp + "/audit.log")
    check(r.returncode == 0, "rtmr, --policy-from-host: verify --rtmr")
    schema_check(tmp, "rtmr, --policy-from-host")
    shutil.rmtree(tmp, ignore_errors=True)

# ---- required, and nothing works ----------------------------------------------------
def mode_required():
    tmp = tempfile.mkdtemp(prefix="ccgate-measure-")
    agent, gate = serve(tmp, policy(tmp, "require_measurement: true\n"), ["--measure", "none"])
    answers = requests(tmp, 1)
    rc, err = stop(gate, agent)
    check(answers[0][0] == 7 and ": measurement-unavailable: " in answers[0][1],
          "required, --measure none: denied with measurement-unavailable (%r)" % (answers[0][1],))
    check(agent.seen(A + "/GetGuestDetails") == 0, "required: nothing reached the agent")
    check("require_measurement" in err, "required: ccgate logs why")
    check(lines(tmp + "/audit.log")[0]["measure"] == "none", "required: the genesis says measure none")
    shutil.rmtree(tmp, ignore_errors=True)

    # An extender, but no event log: ccgate serves unmeasured, and a policy
    # requiring measurement gets denials (it does not stop: the host would
    # see nothing either way, and this says why).
    tmp = tempfile.mkdtemp(prefix="ccgate-measure-")
    regs = tmp + "/measurements"
    os.mkdir(regs)
    with open(regs + "/rtmr3:sha384", "wb") as f:
        f.write(bytes(48))
    for req, want in (("require_measurement: true\n", 7), ("", 0)):
        agent, gate = serve(tmp, policy(tmp, req), ["--measure", "rtmr", "--rtmr-dir", regs,
                                                    "--measure-log", tmp + "/no/such/dir/events"])
        answers = requests(tmp, 1)
        rc, err = stop(gate, agent)
        check(answers[0][0] == want and rc == 0 and "cannot open the event log" in err,
              "no event log%s: %s (%r)" % (", required" if req else "", "denied" if want else "served",
                                          answers[0][1]))
        os.unlink(tmp + "/audit.log")
    with open(regs + "/rtmr3:sha384", "rb") as f:
        check(f.read() == bytes(48), "no event log: the register was not extended")
    shutil.rmtree(tmp, ignore_errors=True)

    # A delivered policy that requires measurement is refused the same way.
    tmp = tempfile.mkdtemp(prefix="ccgate-measure-")
    text = open(policy(tmp, "require_measurement: true\n"), "rb").read()
    agent, gate = serve(tmp, None, ["--measure", "none"])
    s = connect(tmp + "/host.sock")
    code, msg, _ = call(s, 1, A, "SetPolicy", field_bytes(1, text))
    s.close()
    stop(gate, agent)
    check(code == 7 and ": measurement-unavailable: " in msg and "delivered policy" in msg,
          "required, SetPolicy: refused with measurement-unavailable (%r)" % msg)
    shutil.rmtree(tmp, ignore_errors=True)

    tmp = tempfile.mkdtemp(prefix="ccgate-measure-")
    r = subprocess.run([CCGATE, "run", "--listen", "unix:" + tmp + "/host.sock", "--agent",
                        "unix:" + tmp + "/agent.sock", "--policy", policy(tmp), "--audit-log",
                        tmp + "/audit.log", "--tee", "none", "--measure", "rtmr", "--rtmr-dir",
                        tmp + "/none"], capture_output=True, text=True, timeout=20)
    check(r.returncode == 1 and "no TDX measurement registers" in r.stderr,
          "an explicit extender that cannot be opened stops ccgate: %s" % r.stderr.strip()[-120:])
    r = subprocess.run([CCGATE, "run", "--measure-audit", "every 5"], capture_output=True, text=True)
    check(r.returncode == 2 and "records=N, ms=N or stop" in r.stderr, "--measure-audit syntax is checked")
    for args, said in ((["--pcr", "00" * 32], "go with --events"),
                       (["--events", "e", "--pcr", "00" * 31], "64 hex digits"),
                       (["--events", "e", "--rtmr", "zz" * 48], "96 hex digits"),
                       (["--events", "e", "--pcr", "00" * 32, "--rtmr", "00" * 48], "one register"),
                       (["--events", "e", "--anchor", "1:" + "00" * 32], "give --anchor or --events")):
        r = verify(*args, "audit.log")
        check(r.returncode == 2 and said in r.stderr, "verify %s: usage error (%s)" % (args[0], said))
    shutil.rmtree(tmp, ignore_errors=True)

# ---- swtpm ----------------------------------------------------------------------------
def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p

def pcrread(tcti, pcr):
    r = subprocess.run(["tpm2_pcrread", "-T", tcti, "sha256:%d" % pcr], capture_output=True,
                       text=True, timeout=30)
    for line in r.stdout.splitlines():
        if line.strip().startswith("%d" % pcr) and ":" in line:
            return line.split(":", 1)[1].strip().lower().removeprefix("0x")
    raise RuntimeError("tpm2_pcrread: %s %s" % (r.stdout, r.stderr))

def mode_tpm():
    for tool in ("swtpm", "tpm2_pcrread", "tpm2_pcrextend"):
        if not shutil.which(tool):
            skip("%s is not installed (Debian: swtpm, tpm2-tools)" % tool)
    tmp = tempfile.mkdtemp(prefix="ccgate-measure-")
    os.mkdir(tmp + "/tpm")
    port = free_port()  # the swtpm TCTI takes the control channel on port + 1
    ctrl = port + 1
    tpm = subprocess.Popen(["swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + tmp + "/tpm",
                            "--server", "type=tcp,port=%d,bindaddr=127.0.0.1" % port,
                            "--ctrl", "type=tcp,port=%d,bindaddr=127.0.0.1" % ctrl,
                            "--flags", "not-need-init,startup-clear"])
    tcti = "swtpm:host=127.0.0.1,port=%d" % port
    try:
        wait_for(lambda: subprocess.run(["tpm2_pcrread", "-T", tcti, "sha256:13"],
                                        capture_output=True).returncode == 0, 20)
        before = pcrread(tcti, 13)
        check(before == "00" * 32, "tpm: PCR 13 starts at zero")
        # The swtpm TCTI opens a TCP control connection for each command, which
        # the sandbox's socket rule (unix and vsock only) refuses; the device
        # TCTI of a guest does not (tests/vm runs it with the sandbox).
        agent, gate = serve(tmp, policy(tmp), ["--measure", "tpm", "--tpm-tcti", tcti,
                                               "--measure-audit", "records=1", "--no-sandbox"])
        requests(tmp, 3)
        wait_for(lambda: os.path.exists(tmp + "/events.audit.log") and
                 sum(1 for _ in open(tmp + "/events.audit.log")) >= 2, 10)
        rc, _ = stop(gate, agent)
        check(rc == 0, "tpm: ccgate stops cleanly")
        events = lines(tmp + "/events.audit.log")
        value = pcrread(tcti, 13)
        check(value == replay(hashlib.sha256, events).hex(),
              "tpm: tpm2_pcrread's PCR 13 equals the replay of %d events (Python, the agent's "
              "formula)" % len(events))
        r = verify("--events", tmp + "/events.audit.log", "--pcr", value, tmp + "/audit.log")
        check(r.returncode == 0, "tpm: ccgate audit verify --events --pcr: %s" % r.stderr.strip())
        with open(tmp + "/audit.log") as f:
            all_lines = f.readlines()
        with open(tmp + "/cut.log", "w") as f:
            f.writelines(all_lines[:-1])
        r = verify("--events", tmp + "/events.audit.log", "--pcr", value, tmp + "/cut.log")
        check(r.returncode == 1 and "records were removed from the end" in r.stderr,
              "tpm: the log cut after the last measured head is detected: %s" % r.stderr.strip()[:100])
        with open(tmp + "/events.audit.log") as f:
            ev_lines = f.readlines()
        with open(tmp + "/events-cut.log", "w") as f:
            f.writelines(ev_lines[:-1])
        r = verify("--events", tmp + "/events-cut.log", "--pcr", value, tmp + "/cut.log")
        check(r.returncode == 1 and "replay to" in r.stderr,
              "tpm: cutting the event log too does not match the PCR")
        r = subprocess.run(["tpm2_pcrextend", "-T", tcti, "17:sha256=" + "11" * 32],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode != 0 and "locality" in (r.stdout + r.stderr).lower(),
              "tpm: PCR 17 cannot be extended from locality 0 (the agent's default index)")
    finally:
        tpm.terminate(); tpm.wait(10)
    shutil.rmtree(tmp, ignore_errors=True)

if MODE == "aa":
    mode_aa(sys.argv[3])
elif MODE == "rtmr":
    mode_rtmr()
elif MODE == "required":
    mode_required()
elif MODE == "tpm":
    mode_tpm()
else:
    print("usage: measure_e2e.py CCGATE aa OUTDIR|rtmr|required|tpm")
    sys.exit(2)
print("%d passed, %d failed" % (passed, len(failures)))
sys.exit(1 if failures else 0)

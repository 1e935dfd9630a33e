#!/usr/bin/env python3
"""The demo: ccgate in front of the recording stub agent (tests/stub) with
examples/demo/policy.yaml, the policy `ccgate policy generate --logs deny` writes
for examples/web/pod.yaml. kata's Go runtime starts that pod through ccgate, request
by request as the traffic corpus models it (tests/corpus/web/go-shim-ipv4.json),
and every request is allowed; then the host tries what the threat model fears
(exec, cp, logs, a debug container, network rewiring, a policy swap) and each is
refused. It shows what the host got, what reached the agent, and the operator's
view of the audit log (ccgate audit show / verify).

Usage: demo.py CCGATE STUB_AGENT PB_VIEW
(PB_VIEW, tests/diff/pb_view, turns the corpus's JSON messages into protobuf.)"""
import base64, copy, hashlib, json, os, shutil, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", ".."))
sys.path.insert(0, os.path.join(root, "tests", "integration"))
from ttrpc_peer import connect, call, parse

ccgate, stub_agent, pb_view_path = sys.argv[1:4]
LIFECYCLE = "tests/corpus/web/go-shim-ipv4.json"
START_STEPS = 20  # Check ... the liveness probe's ExecProcess: the pod is up

with open(os.path.join(root, LIFECYCLE)) as f:
    lifecycle = json.load(f)
steps = lifecycle["steps"]
nginx = lifecycle["ids"]["containers"]["nginx"]

view = subprocess.Popen([pb_view_path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def encode(method, message):
    view.stdin.write(json.dumps({"op": "encode", "method": method, "message": message}) + "\n")
    view.stdin.flush()
    r = json.loads(view.stdout.readline())
    if not r.get("ok"):
        raise SystemExit("demo: %s does not encode: %s" % (method, r.get("error")))
    return base64.b64decode(r["data"])


def step(i):
    s = steps[i]
    return s["service"], s["method"], copy.deepcopy(s["message"])


def what(method, msg):
    """A word for a step of the pod's start."""
    if method == "CreateContainer" or method == "StartContainer":
        return "nginx" if msg.get("container_id") == nginx else "pause"
    if method == "UpdateInterface":
        return msg["interface"]["name"]
    if method == "ExecProcess":
        return "liveness probe"
    return ""


tmp = tempfile.mkdtemp(prefix="ccgate-demo-")
host, agent_sock = tmp + "/host.sock", tmp + "/agent.sock"
audit, record = tmp + "/audit.log", tmp + "/record"
agent = subprocess.Popen([stub_agent, "--listen", "unix:" + agent_sock, "--record", record],
                         stderr=subprocess.DEVNULL)
while not os.path.exists(agent_sock):
    time.sleep(0.01)
gate = subprocess.Popen([ccgate, "run", "--listen", "unix:" + host, "--agent", "unix:" + agent_sock,
                         "--policy", os.path.join(here, "policy.yaml"), "--audit-log", audit,
                         "--tee", "none", "--log-level", "warning"],
                        stderr=open(tmp + "/ccgate.log", "w"))
sent = []  # (stream, sha256 of the payload, whether it must reach the agent)
stream = 1


def send(service, method, payload):
    global stream
    code, msg, body = call(s, stream, service, method, payload)
    data = b""
    if code == 0 and method in ("ReadStdout", "ReadStderr"):
        data = parse(body).get(1, [b""])[0] if body else b""
    sent.append((stream, hashlib.sha256(payload).hexdigest(), code == 0))
    stream += 2
    return code, msg, data


try:
    s = connect(host)
    print("\n== kata's Go runtime starts examples/web's pod through ccgate (%s)" % LIFECYCLE)
    tokens, failed, drained, i = [], [], 0, 0
    while i < START_STEPS:
        method = steps[i]["method"]
        n = 1
        while method == "CopyFile" and i + n < START_STEPS and steps[i + n]["method"] == method:
            n += 1
        for k in range(i, i + n):
            code, reason, data = send(steps[k]["service"], method, encode(method, step(k)[2]))
            if code != 0:
                failed.append("  step %d %s -> code %d: %s" % (k, method, code, reason))
            drained += code == 0 and method in ("ReadStdout", "ReadStderr") and not data
        words = what(method, steps[i]["message"])
        tokens.append(method + (" x%d" % n if n > 1 else "") + (" (%s)" % words if words else ""))
        i += n
    line = " "
    for t in tokens:
        if len(line) + len(t) + 2 > 90:
            print(line.rstrip(","))
            line = " "
        line += " " + t + ","
    print(line.rstrip(","))
    print("  -> %d requests answered by the agent: %d allowed, the runtime's %d reads of nginx's"
          "\n     output drained (--logs deny: forwarded, answered empty)" % (
              START_STEPS - len(failed), START_STEPS - len(failed) - drained, drained))
    for f in failed:
        print(f)

    print("\n== the host tries (a refusal is code 7 and '<Request> is blocked by policy: "
          "<rule>: <reason>')")
    _, _, probe = step(19)
    _, _, logs = step(17)
    _, _, copy_msg = step(11)
    _, _, iface = step(1)
    _, _, create = step(15)
    attacks = []
    m = copy.deepcopy(probe)
    m["exec_id"] = "2b0c1d9e-55aa-4e7f-8c3b-0d1e2f3a4b5c"
    m["process"]["Args"], m["process"]["Terminal"] = ["/bin/sh"], True
    attacks.append(("kubectl exec -it web -- sh", "ExecProcess", m))
    m = copy.deepcopy(probe)
    m["exec_id"] = "3c1d2e0f-66bb-4f80-9d4c-1e2f3a4b5c6d"
    m["process"]["Args"] = ["tar", "cf", "-", "/etc"]
    attacks.append(("kubectl cp web:/etc (tar)", "ExecProcess", m))
    attacks.append(("kubectl logs web", "ReadStdout", copy.deepcopy(logs)))
    m = copy.deepcopy(copy_msg)
    m["path"] = "/run/kata-containers/%s/rootfs/usr/sbin/nginx" % nginx
    attacks.append(("a binary into nginx's rootfs", "CopyFile", m))
    debugger = "7e1f2e3d4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
    m = json.loads(json.dumps(create).replace(nginx, debugger))
    m["OCI"]["Annotations"]["io.kubernetes.cri.container-name"] = "debugger"
    attacks.append(("kubectl debug (a new container)", "CreateContainer", m))
    m = copy.deepcopy(iface)
    m["interface"]["IPAddresses"][0]["address"] = "192.168.9.9"
    m["interface"]["hwAddr"] = "0a:58:c0:a8:09:09"  # the bridge CNI's MAC for that address
    attacks.append(("eth0 moved to another network", "UpdateInterface", m))
    attacks.append(("the policy swapped", "SetPolicy",
                    {"policy": "package agent_policy\ndefault AllowRequestsFailingPolicy := true\n"}))
    refused = 0
    for words, method, m in attacks:
        code, reason, data = send("grpc.AgentService", method, encode(method, m))
        if code == 0 and method == "ReadStdout" and not data:
            result, refused = "OK, empty (drained: nothing leaves the pod)", refused + 1
        elif code == 7 and " is blocked by policy: " in reason:
            result, refused = "7 " + reason.split(" is blocked by policy: ", 1)[1], refused + 1
        else:
            result = "code %d: %s  <- NOT REFUSED" % (code, reason)
        print("  %-31s %-15s -> %s" % (words, method, result))
    s.close()
finally:
    gate.terminate()
    gate.wait(10)
    agent.terminate()
    agent.wait(10)
    view.stdin.close()
    view.wait(10)

with open(record) as f:
    seen = [line.split()[2] for line in f]
due = [sha for _, sha, reached in sent if reached]
print("\n== what reached the agent: %d requests, %s" % (
    len(seen), "the pod's %d and the drained kubectl logs read, in order; none of the refused"
    % START_STEPS if seen == due else "NOT what ccgate let through"))
print("\n== what an operator sees: ccgate audit show --decision deny")
subprocess.run([ccgate, "audit", "show", "--decision", "deny", audit], check=True)
print("\n== ccgate audit verify --closed: the chain is intact and ends with a stop record")
subprocess.run([ccgate, "audit", "verify", "--closed", audit], check=True)
shutil.rmtree(tmp, ignore_errors=True)
sys.exit(0 if seen == due and not failed and refused == len(attacks) else 1)

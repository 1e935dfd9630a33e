#!/usr/bin/env python3
"""The demo: ccgate in front of a recording stub agent with examples/demo/policy.yaml.
Sends allowed and denied requests as the host would, shows what the client got,
what reached the agent, the audit log, and the operator's view of it (ccgate
audit show / verify). Usage: demo.py CCGATE"""
import json, os, subprocess, sys, tempfile
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "integration"))
from ttrpc_peer import StubAgent, connect, call

ccgate = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="ccgate-demo-")
host, agent_sock, audit = tmp + "/host.sock", tmp + "/agent.sock", tmp + "/audit.log"
agent = StubAgent(agent_sock)
gate = subprocess.Popen([ccgate, "run", "--listen", "unix:" + host, "--agent", "unix:" + agent_sock,
                         "--policy", os.path.join(here, "policy.yaml"), "--audit-log", audit,
                         "--tee", "none", "--log-level", "warning"])
try:
    s = connect(host)
    print("\n== the host calls the agent through ccgate")
    for sid, method in enumerate(["GetGuestDetails", "ExecProcess", "CopyFile", "UpdateInterface",
                                  "SetPolicy", "ReadStdout"]):
        code, msg, _ = call(s, 2 * sid + 1, "grpc.AgentService", method)
        print("  %-16s -> %s" % (method, "OK" if code == 0 else "code %d: %s" % (code, msg)))
    print("\n== what reached the agent")
    for name in agent.record:
        print("  " + name)
finally:
    gate.terminate()
    gate.wait(10)
print("\n== the audit log (%s): hash-chained JSON records, one per decision and one per outcome"
      % audit)
with open(audit) as f:
    for line in f:
        r = json.loads(line)
        print("  " + json.dumps({k: r[k] for k in r if k in
              ("seq", "type", "request", "decision", "rule", "reason", "outcome", "code",
               "prev")}))
print("\n== what an operator sees: ccgate audit show --decision deny")
subprocess.run([ccgate, "audit", "show", "--decision", "deny", audit], check=True)
print("\n== ccgate audit verify --closed: the chain is intact and ends with a stop record")
subprocess.run([ccgate, "audit", "verify", "--closed", audit], check=True)

#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Decide a corpus lifecycle (or its mutations) step by step with `ccgate policy explain`.

For each step this writes the request file `ccgate policy explain` reads (request,
method, message, and the state the earlier steps established, as if each earlier step
had been allowed and answered OK) and prints the decision. A step whose message does
not fit the schema makes explain exit 2; this script then fails, so running it with any
policy checks that every message of the corpus parses.

With --mutations MUTATIONS.json, each mutation of the given lifecycle is applied to its
step and decided with the same state as the unmutated step. Standard library only.
"""

import argparse
import copy
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CCGATE = os.path.join(HERE, "..", "..", "build", "ccgate")

PATH_TOKEN = re.compile(r'\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')


def parse_path(path):
    """OCI.Process.Args[0], OCI.Annotations["io.kubernetes.cri.container-name"]."""
    out, pos = [], 0
    while pos < len(path):
        m = PATH_TOKEN.match(path, pos)
        if not m or m.end() == pos:
            raise ValueError("bad path %r at %d" % (path, pos))
        if m.group(1) is not None:
            out.append(m.group(1))
        elif m.group(2) is not None:
            out.append(int(m.group(2)))
        else:
            out.append(json.loads('"%s"' % m.group(3)))
        pos = m.end()
    return out


def apply_mutation(message, path, op, value=None):
    """set: replace (or create) the value at path; add: append to the array at path, or
    create a key that must not exist; remove: delete the array element or key at path."""
    msg = copy.deepcopy(message)
    keys = parse_path(path)
    node = msg
    for k in keys[:-1]:
        if isinstance(k, int):
            node = node[k]
        else:
            node = node.setdefault(k, {})
    last = keys[-1]
    if op == "set":
        if isinstance(last, int) and last >= len(node):
            raise IndexError("%s: no element %d" % (path, last))
        node[last] = value
    elif op == "add":
        if isinstance(node, dict) and not isinstance(node.get(last), list):
            if last in node:
                raise KeyError("%s: exists already" % path)
            node[last] = value
        else:
            node.setdefault(last, []).append(value)
    elif op == "remove":
        del node[last]
    else:
        raise ValueError("unknown op %r" % op)
    return msg


class State:
    """What `ccgate policy explain` calls state, as earlier allowed steps leave it."""

    def __init__(self):
        self.sandbox = False
        self.containers = {}       # id -> entry
        self.execs = {}            # exec id -> entry

    def json(self):
        st = {}
        if self.sandbox:
            st["sandbox_created"] = True
        if self.containers:
            st["containers"] = list(self.containers.values())
        if self.execs:
            st["execs"] = list(self.execs.values())
        return st

    def after(self, step, verdict):
        m, msg = step["method"], step["message"]
        if m == "CreateSandbox":
            self.sandbox = True
        elif m == "CreateContainer":
            anno = msg.get("OCI", {}).get("Annotations", {})
            cid = msg["container_id"]
            if anno.get("io.kubernetes.cri.container-type") == "sandbox":
                self.containers[cid] = {"container_id": cid, "sandbox": True}
            else:
                self.containers[cid] = {"container_id": cid,
                                        "container": anno.get("io.kubernetes.cri.container-name", "")}
        elif m == "RemoveContainer":
            self.containers.pop(msg["container_id"], None)
            for k in [k for k, e in self.execs.items() if e["container_id"] == msg["container_id"]]:
                del self.execs[k]
        elif m == "ExecProcess" and verdict and verdict["decision"] == "allow":
            self.execs[msg["exec_id"]] = {"container_id": msg["container_id"],
                                          "exec_id": msg["exec_id"], "exec": verdict["rule"]}
        elif m == "DestroySandbox":
            self.containers.clear()
            self.execs.clear()


def explain(ccgate, policy, step, message, state):
    req = {"request": step["request"], "method": step["method"], "message": message}
    st = state.json() if state else {}
    if st:
        req["state"] = st
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(req, f)
        name = f.name
    try:
        p = subprocess.run([ccgate, "policy", "explain", policy, name],
                           capture_output=True, text=True)
    finally:
        os.unlink(name)
    if p.returncode == 2:
        raise SystemExit("explain_corpus: %s: %s\n%s" % (step["method"], p.stderr.strip(),
                                                          json.dumps(message)[:400]))
    out = {}
    for line in p.stdout.splitlines():
        k, _, v = line.partition(":")
        out[k.strip()] = v.strip()
    return {"decision": out.get("decision", "?"), "rule": out.get("rule", ""),
            "reason": out.get("reason", p.stderr.strip())}


def main():
    ap = argparse.ArgumentParser(description="Decide every step of a corpus lifecycle with "
                                             "`ccgate policy explain`.")
    ap.add_argument("policy", help="the policy YAML")
    ap.add_argument("lifecycle", help="a tests/corpus/<pod>/<runtime>-<network>.json file")
    ap.add_argument("--ccgate", default=DEFAULT_CCGATE, help="the ccgate binary (default: build/ccgate)")
    ap.add_argument("--mutations", metavar="FILE",
                    help="decide this lifecycle's mutations from FILE instead of its steps")
    ap.add_argument("--all", action="store_true", help="print allowed steps too")
    ap.add_argument("--json", action="store_true", help="print one JSON object per decision")
    ap.add_argument("--parse-only", action="store_true",
                    help="send no state (for policies that do not list the pod's containers): "
                         "checks that every message parses")
    args = ap.parse_args()

    with open(args.lifecycle) as f:
        doc = json.load(f)
    rel = os.path.relpath(os.path.abspath(args.lifecycle), HERE)
    muts = {}
    if args.mutations:
        with open(args.mutations) as f:
            for i, mu in enumerate(json.load(f)["mutations"]):
                if mu["file"] == rel:
                    muts.setdefault(mu["step"], []).append((i, mu))
    state = None if args.parse_only else State()
    denied = 0
    for n, step in enumerate(doc["steps"]):
        v = explain(args.ccgate, args.policy, step, step["message"], state)
        todo = [(None, None, step["message"], v)] if not args.mutations else []
        for i, mu in muts.get(n, []):
            msg = apply_mutation(step["message"], mu["path"], mu["op"], mu.get("value"))
            todo.append((i, mu, msg, explain(args.ccgate, args.policy, step, msg, state)))
        for i, mu, msg, d in todo:
            if d["decision"] != "allow":
                denied += 1
            if d["decision"] == "allow" and not args.all and not args.mutations:
                continue
            rec = {"step": n, "method": step["method"], "decision": d["decision"],
                   "rule": d["rule"], "reason": d["reason"]}
            if mu is not None:
                rec.update(mutation=i, path=mu["path"], op=mu["op"])
            if args.json:
                print(json.dumps(rec))
            else:
                what = "" if mu is None else " mutation %d %s %s" % (i, mu["op"], mu["path"])
                print("%3d %-18s %-5s %s: %s%s" % (n, step["method"], d["decision"], d["rule"],
                                                   d["reason"], what))
        if state:
            state.after(step, v)
    print("%s: %d steps, %d denied" % (rel, len(doc["steps"]), denied), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""The differential test (issue 18): for every request ccgate allows, a
standard protobuf decoder reads the bytes the agent got as the message ccgate
decided on.

The requests: every examples/*/requests/*.json and every step of every
lifecycle of the traffic corpus (tests/corpus/*/*.json), each encoded twice,
by Debian's python3-protobuf (from the JSON, with _pb2 modules that protoc
generated from schemas/*.proto at build time) and by protobuf-c (pbjson, as
the integration tests build requests). Each encoding goes through ccgate (a
real process) under a permissive policy to the recording stub agent
(tests/stub, a real process); each lifecycle and each example gets a fresh
pair, so state builds up as a pod's would. For every request ccgate allows:
  - the stub agent recorded it once, with the SHA-256 of exactly these bytes
    (ccgate forwards the host's bytes unchanged);
  - python3-protobuf's reading of those bytes equals ccgate's, which is
    agent_request_decode() (the strict wire check, then protobuf-c) printed as
    JSON by pbjson (tests/diff/pb_view.c), field by field.
Every corpus step must be allowed (the permissive policy denies nothing the
corpus sends); example files that ccgate's fixed rules refuse (a path
traversal, say) are counted, and must not reach the agent.

Then the hostile encodings, made from each allowed request: a non-repeated
field sent twice at the top level, an empty second copy of an embedded
message (protobuf keeps the first copy's scalars, protobuf-c zeroes them), the
same one level or more down, and the envelope's method twice. Each must be
refused (`undecodable-request`, or `malformed-request` for the envelope) and
never reach the agent; the test also counts how many of them protobuf-c alone
(without the wire check) reads differently from python3-protobuf: the class
the check exists for.

Usage: diff.py CCGATE STUB_AGENT PB_VIEW PB2_DIR SOURCE_ROOT
Exits 77 (skipped) when python3-protobuf or the _pb2 modules are missing.
"""
import base64, glob, hashlib, json, os, shutil, struct, subprocess, sys, tempfile, time

CCGATE, STUB, PB_VIEW, PB2_DIR, ROOT = sys.argv[1:6]
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from ttrpc_peer import connect, call, frame, field_bytes, read_frame, response, varint, ccgate_cmd

try:
    from google.protobuf import json_format
    from google.protobuf.descriptor import FieldDescriptor as FD
except ImportError:
    print("SKIP: python3-protobuf is not installed (apt-get install python3-protobuf)")
    sys.exit(77)
if not os.path.exists(os.path.join(PB2_DIR, "agent_pb2.py")):
    print("SKIP: no agent_pb2.py in %s (protoc, from protobuf-compiler, was not found)" % PB2_DIR)
    sys.exit(77)
sys.path.insert(0, PB2_DIR)
import agent_pb2, health_pb2

failures, counts = [], {}

def count(what, n=1):
    counts[what] = counts.get(what, 0) + n

def fail(what):
    failures.append(what)
    print("FAIL " + what, flush=True)

# ---- the API, from the python side's own descriptors -------------------------
methods = {}   # method name -> (service full name, request class)
by_request = {}
for mod, svc in ((agent_pb2, "AgentService"), (health_pb2, "Health")):
    sd = mod.DESCRIPTOR.services_by_name[svc]
    for m in sd.methods:
        cls = getattr(sys.modules[m.input_type.file.name[:-len(".proto")] + "_pb2"],
                      m.input_type.name)
        methods[m.name] = (sd.full_name, cls)
        by_request.setdefault(m.input_type.name, m.name)

# ---- ccgate's view ------------------------------------------------------------
view = subprocess.Popen([PB_VIEW], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

def pb_view(op, method, data=None, message=None):
    req = {"op": op, "method": method}
    if data is not None:
        req["data"] = base64.b64encode(data).decode()
    if message is not None:
        req["message"] = message
    view.stdin.write(json.dumps(req) + "\n")
    view.stdin.flush()
    return json.loads(view.stdout.readline())

# ---- both readings in one form: {field name: value}, set fields only ---------
def canon_value(fd, v):
    if fd.type == FD.TYPE_MESSAGE:
        return canon_msg(v)
    if fd.type == FD.TYPE_ENUM:
        return int(v)
    if fd.type == FD.TYPE_FLOAT:
        return struct.pack("<f", v)
    if fd.type == FD.TYPE_DOUBLE:
        return struct.pack("<d", v)
    return v

def is_map(fd):
    return fd.type == FD.TYPE_MESSAGE and fd.message_type.GetOptions().map_entry

def canon_msg(msg):
    out = {}
    for fd, v in msg.ListFields():
        if is_map(fd):
            vf = fd.message_type.fields_by_name["value"]
            out[fd.name] = {k: canon_value(vf, x) for k, x in v.items()}
        elif fd.label == FD.LABEL_REPEATED:
            out[fd.name] = [canon_value(fd, x) for x in v]
        else:
            out[fd.name] = canon_value(fd, v)
    return out

def js_value(fd, v, path):
    """One value of pbjson's JSON (encoding in enforcer/cli/pbjson.h) as canon_value has it."""
    t = fd.type
    if t == FD.TYPE_MESSAGE:
        return js_msg(fd.message_type, v, path)
    if t == FD.TYPE_ENUM:
        return v if isinstance(v, int) else fd.enum_type.values_by_name[v].number
    if t in (FD.TYPE_FLOAT, FD.TYPE_DOUBLE):
        f = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}.get(v, v)
        return struct.pack("<f" if t == FD.TYPE_FLOAT else "<d", float(f))
    if t == FD.TYPE_BYTES:
        return base64.b64decode(v)
    if t == FD.TYPE_BOOL:
        return bool(v)
    if t == FD.TYPE_STRING:
        return v
    return int(v)

def js_key(fd, k):
    if fd.type == FD.TYPE_STRING:
        return k
    if fd.type == FD.TYPE_BOOL:
        return k == "true"
    return int(k)

def js_msg(desc, j, path):
    out = {}
    for name, v in j.items():
        fd = desc.fields_by_name.get(name)
        if fd is None:
            raise ValueError("%s.%s: not a field of %s" % (path, name, desc.full_name))
        p = path + "." + name
        if is_map(fd):
            kf = fd.message_type.fields_by_name["key"]
            vf = fd.message_type.fields_by_name["value"]
            out[name] = {js_key(kf, k): js_value(vf, x, p) for k, x in v.items()}
        elif fd.label == FD.LABEL_REPEATED:
            out[name] = [js_value(fd, x, "%s[%d]" % (p, i)) for i, x in enumerate(v)]
        else:
            out[name] = js_value(fd, v, p)
    return out

def first_difference(a, b, path=""):
    if type(a) != type(b):
        return "%s: %r vs %r" % (path or "(message)", a, b)
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                return "%s.%s: only in %s" % (path, k, "python3-protobuf" if k in a else "ccgate")
            d = first_difference(a[k], b[k], "%s.%s" % (path, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s: %d vs %d elements" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    return None if a == b else "%s: %r vs %r" % (path, a, b)

# ---- a pod's world: the stub agent and ccgate, fresh for each group ----------
def permissive_policy(path, requests):
    with open(path, "w") as f:
        f.write("# The differential test's policy: every request the group sends is allowed.\n")
        f.write("version: 1\nrequests:\n")
        for r in sorted(requests):
            f.write("  %s: allow\n" % r)
        f.write("copy_file:\n  - id: anything\n    reason: the differential test copies anything\n"
                "    path: {regex: \".*\"}\n    types: [file, directory, symlink]\n")
        # The sandbox and network sections allow nothing when absent: allow what the
        # corpus and the examples send (kata's shm storage; eth0, and eth1 the examples
        # rewire to), every value of every other field.
        any_ = '{regex: "(?s).*"}'
        f.write("sandbox:\n  hostname: %s\n  sandbox_id: %s\n  dns: [%s]\n" % (any_, any_, any_))
        f.write("  storages:\n    - {driver: ephemeral, source: shm, fstype: tmpfs, options: [noexec, "
                "nosuid, nodev, mode=1777, size=67108864], mount_point: /run/kata-containers/sandbox/shm}\n")
        f.write("network:\n  interfaces:\n")
        for name in ("eth0", "eth1"):
            f.write("    - {name: %s, hw_addr: %s, device: %s, mtu: %s, raw_flags: %s, type: %s,\n"
                    "       device_path: %s, min_addresses: 0,\n"
                    "       addresses: [{family: %s, address: %s, mask: %s}]}\n"
                    % ((name,) + (any_,) * 9))
        f.write("  routes:\n    - {%s}\n" % ", ".join(
            "%s: %s" % (k, any_) for k in ("dest", "gateway", "device", "source", "scope", "family",
                                            "flags", "mtu")))
        f.write("  neighbors:\n    - {%s}\n" % ", ".join(
            "%s: %s" % (k, any_) for k in ("address", "family", "mask", "device", "lladdr", "state",
                                            "flags")))

class World:
    def __init__(self, requests):
        self.tmp = tempfile.mkdtemp(prefix="ccgate-diff-")
        self.record = self.tmp + "/record"
        policy = self.tmp + "/policy.yaml"
        permissive_policy(policy, requests)
        self.stub = subprocess.Popen([STUB, "--listen", "unix:" + self.tmp + "/agent.sock",
                                      "--record", self.record],
                                     stderr=open(self.tmp + "/stub.log", "w"))
        connect(self.tmp + "/agent.sock").close()
        self.gate = subprocess.Popen([*ccgate_cmd(CCGATE), "run", "--listen", "unix:" + self.tmp + "/host.sock",
                                      "--agent", "unix:" + self.tmp + "/agent.sock", "--policy", policy,
                                      "--audit-log", self.tmp + "/audit.log", "--tee", "none",
                                      "--audit-sync", "1000"],
                                     stderr=open(self.tmp + "/ccgate.log", "w"))
        self.sock = connect(self.tmp + "/host.sock")
        self.stream = 1

    def send(self, service, method, payload, envelope=None):
        """The answer's (code, message), and the record lines it added."""
        before = self.lines()
        s = self.stream
        self.stream += 2
        if envelope is None:
            code, msg, _ = call(self.sock, s, service, method, payload)
        else:
            self.sock.sendall(frame(s, 1, envelope))
            sid, _, body = read_frame(self.sock)
            code, msg, _ = response(body)
        # A barrier: ccgate relays a connection in order, so once this is
        # answered everything forwarded before it is on record.
        self.stream += 2
        bcode, _, _ = call(self.sock, self.stream - 2, "grpc.AgentService", "GetGuestDetails", b"")
        if bcode != 0:
            fail("the barrier was not answered OK (%d)" % bcode)
        return code, msg, self.lines()[len(before):-1]

    def lines(self):
        try:
            return open(self.record).read().splitlines()
        except FileNotFoundError:
            return []

    def close(self):
        self.sock.close()
        for p in (self.gate, self.stub):
            p.terminate()
            try:
                rc = p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                rc = p.wait()
            if p is self.gate and rc != 0:
                fail("ccgate exited %d (log %s/ccgate.log)" % (rc, self.tmp))
                return
        shutil.rmtree(self.tmp, ignore_errors=True)

# ---- wire surgery for the hostile encodings ----------------------------------
def read_varint(b, i):
    v = shift = 0
    while True:
        x = b[i]; i += 1
        v |= (x & 0x7F) << shift; shift += 7
        if not x & 0x80:
            return v, i

def fields(b):
    """[(number, wire type, the field's whole bytes, its body for wire type 2)]."""
    i, out = 0, []
    while i < len(b):
        start = i
        tag, i = read_varint(b, i)
        wt = tag & 7
        body = None
        if wt == 0:
            _, i = read_varint(b, i)
        elif wt == 1:
            i += 8
        elif wt == 5:
            i += 4
        elif wt == 2:
            n, i = read_varint(b, i)
            body = b[i:i + n]; i += n
        else:
            raise ValueError("wire type %d" % wt)
        out.append((tag >> 3, wt, b[start:i], body))
    return out

def single(desc, num):
    fd = desc.fields_by_number.get(num)
    return fd if fd is not None and fd.label != FD.LABEL_REPEATED else None

def dup_top(desc, b):
    """The first non-repeated field, sent again as it is."""
    for num, wt, whole, _ in fields(b):
        if single(desc, num):
            return b + whole
    return None

def empty_copy(desc, b):
    """An empty second copy of the first non-repeated embedded message."""
    for num, wt, whole, body in fields(b):
        fd = single(desc, num)
        if fd and fd.type == FD.TYPE_MESSAGE:
            return b + varint(num << 3 | 2) + b"\x00"
    return None

def deep_variant(desc, b):
    """(bytes, depth) with a field twice at the deepest level reachable, or None."""
    best = None
    for num, wt, whole, body in fields(b):
        fd = single(desc, num)
        if fd and fd.type == FD.TYPE_MESSAGE and not is_map(fd) and body:
            inner = deep_variant(fd.message_type, body)
            if inner is None:
                again = dup_top(fd.message_type, body)
                inner = (again, 1) if again is not None else None
            else:
                inner = (inner[0], inner[1] + 1)
            if inner and (best is None or inner[1] > best[1]):
                i = b.index(whole)
                best = (b[:i] + field_bytes(num, inner[0]) + b[i + len(whole):], inner[1])
    return best

# ---- the requests ---------------------------------------------------------------
def groups():
    """(name, [(what, method, message JSON)]) per example and per corpus lifecycle."""
    for d in sorted(glob.glob(os.path.join(ROOT, "examples", "*", "requests"))):
        items = []
        for f in sorted(glob.glob(os.path.join(d, "*.json"))):
            j = json.load(open(f))
            method = j.get("method") or by_request.get(j["request"])
            items.append((os.path.relpath(f, ROOT), method, j.get("message", {})))
        yield os.path.relpath(d, ROOT), items, False
    for f in sorted(glob.glob(os.path.join(ROOT, "tests", "corpus", "*", "*.json"))):
        j = json.load(open(f))
        if not isinstance(j, dict) or "steps" not in j:
            continue
        items = [("%s step %d (%s)" % (os.path.relpath(f, ROOT), i, s["method"]), s["method"], s["message"])
                 for i, s in enumerate(j["steps"])]
        yield os.path.relpath(f, ROOT), items, True

def encodings(what, method, message):
    cls = methods[method][1]
    out = []
    try:
        out.append(("python3-protobuf", json_format.ParseDict(message, cls()).SerializeToString()))
    except json_format.ParseError as e:
        fail("%s: python3-protobuf cannot read the JSON: %s" % (what, e))
    r = pb_view("encode", method, message=message)
    if r["ok"]:
        out.append(("protobuf-c", base64.b64decode(r["data"])))
    else:
        fail("%s: pbjson cannot read the JSON: %s" % (what, r["error"]))
    seen, uniq = set(), []
    for name, b in out:
        if b not in seen:
            seen.add(b); uniq.append((name, b))
    return uniq

def compare(what, method, payload):
    """python3-protobuf and ccgate read payload the same way."""
    cls = methods[method][1]
    mine = canon_msg(cls.FromString(payload))
    r = pb_view("decode", method, payload)
    if not r["ok"]:
        fail("%s: allowed and forwarded, but ccgate's decoder now says %s" % (what, r["error"]))
        return
    try:
        theirs = js_msg(cls.DESCRIPTOR, r["message"], cls.DESCRIPTOR.name)
    except (ValueError, KeyError) as e:
        fail("%s: ccgate's JSON does not fit the schema: %s" % (what, e))
        return
    d = first_difference(mine, theirs)
    if d:
        fail("%s: python3-protobuf and ccgate read it differently at %s" % (what, d))
    else:
        count("allowed, forwarded as sent, read the same by both")

def hostile(world, what, method, payload):
    service, cls = methods[method]
    desc = cls.DESCRIPTOR
    variants = [("a non-repeated field twice", dup_top(desc, payload)),
                ("an empty second copy of a message", empty_copy(desc, payload))]
    deep = deep_variant(desc, payload)
    if deep:
        variants.append(("a field twice %d level(s) down" % deep[1], deep[0]))
    for how, b in variants:
        if b is None:
            continue
        code, msg, recorded = world.send(service, method, b)
        want = "is blocked by policy: undecodable-request"
        if code != 7 or want not in msg or recorded:
            fail("%s, %s: got %d '%s', reached the agent %d times" % (what, how, code, msg, len(recorded)))
            continue
        count("hostile: refused, never forwarded")
        # What it would have been decided as without the check.
        raw = pb_view("decode-raw", method, b)
        if raw["ok"]:
            theirs = js_msg(desc, raw["message"], desc.name)
            if first_difference(canon_msg(cls.FromString(b)), theirs):
                count("hostile: read differently by protobuf-c alone and python3-protobuf")

def run_group(name, items, is_corpus):
    requests = {methods[m][1].DESCRIPTOR.name for _, m, _ in items if m in methods}
    requests.add("GuestDetailsRequest")
    world = World(requests)
    allowed = []
    try:
        for what, method, message in items:
            if method not in methods:
                fail("%s: no method %s in the schemas" % (what, method))
                continue
            service = methods[method][0]
            for enc, payload in encodings(what, method, message):
                label = "%s, encoded by %s" % (what, enc)
                sha = hashlib.sha256(payload).hexdigest()
                code, msg, recorded = world.send(service, method, payload)
                if code != 0:
                    if recorded:
                        fail("%s: denied (%s) but the agent saw it" % (label, msg))
                    elif is_corpus:
                        fail("%s: denied under the permissive policy: %s" % (label, msg))
                    else:
                        count("example requests ccgate's fixed rules refuse")
                    continue
                want = "%s/%s %s" % (service, method, sha)
                if [l.split(" ", 1)[1] for l in recorded] != [want]:
                    fail("%s: the agent's record is %r, not these bytes once" % (label, recorded))
                    continue
                compare(label, method, payload)
                allowed.append((label, method, payload))
        for label, method, payload in allowed:
            hostile(world, label, method, payload)
        # The envelope: Request{service, method: GetGuestDetails, method: <the real one>}.
        env = (field_bytes(1, b"grpc.AgentService") + field_bytes(2, b"GetGuestDetails") +
               field_bytes(2, b"ExecProcess") + field_bytes(3, b""))
        code, msg, recorded = world.send(None, None, None, envelope=env)
        if code != 7 or "malformed-request" not in msg or recorded:
            fail("%s: the envelope's method twice: got %d '%s'" % (name, code, msg))
        else:
            count("hostile: refused, never forwarded")
    finally:
        world.close()
    print("ok   %s: %d requests allowed and compared" % (name, len(allowed)), flush=True)

n_groups = 0
for name, items, is_corpus in groups():
    run_group(name, items, is_corpus)
    n_groups += 1
view.stdin.close()
view.wait()

for k in sorted(counts):
    print("%6d  %s" % (counts[k], k))
if n_groups < 10 or counts.get("allowed, forwarded as sent, read the same by both", 0) < 300:
    fail("too little was compared: %d groups, %s" % (n_groups, counts))
if not counts.get("hostile: read differently by protobuf-c alone and python3-protobuf"):
    fail("no hostile encoding showed the differential the wire check exists for")
if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok: every allowed request read the same by python3-protobuf and ccgate")

#!/usr/bin/env python3
"""ccgate run --initdata with the document as kata delivers it to the guest: a block
device image whose gzip is made by gzip(1) and whose header is written here from kata's
documented layout (virtcontainers/hypervisor.go prepareInitdataImage: b"initdata", the
gzip's length as a little-endian u64, the gzip, zero padding to 512 bytes). The SEV-SNP
report (tests/attest/gen_reports.py) holds the SHA-384 of the TOML, truncated to 32
bytes, as kata puts it into HOST_DATA. Also: the gzip file and the TOML as the agent
writes it out; the digest of the wrong bytes; a cut image; a loop device when root.
Usage: initdata_e2e.py CCGATE POLICY_DIR ATTEST_TEST_DIR"""
import base64, gzip, hashlib, json, os, shutil, struct, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
sys.path.insert(0, sys.argv[3])
from ttrpc_peer import StubAgent, connect, call, ccgate_cmd
import gen_reports

CCGATE, POLICY = sys.argv[1], os.path.join(sys.argv[2], "gate.yaml")
A = "grpc.AgentService"
passed, failures = 0, []

def check(cond, what):
    global passed
    print(("ok   " if cond else "FAIL ") + what)
    if cond: passed += 1
    else: failures.append(what)

if not shutil.which("gzip"):
    print("SKIPPED: no gzip(1)")
    sys.exit(77)

policy = open(POLICY, "rb").read()
assert b"'''" not in policy
rego = b"package agent_policy\n\ndefault GuestDetailsRequest := true\n"
doc = (b'version = "0.1.0"\nalgorithm = "sha384"\n\n[data]\n"ccgate.yaml" = \'\'\'\n' + policy +
       b"'''\n\"policy.rego\" = '''\n" + rego + b"'''\n")
host_data = hashlib.sha384(doc).digest()[:32]

work = tempfile.mkdtemp(prefix="ccgate-initdata-e2e-")
open(work + "/initdata.toml", "wb").write(doc)
gz = subprocess.run(["gzip", "-9", "-n", "-c", work + "/initdata.toml"], check=True,
                    capture_output=True).stdout
open(work + "/initdata.toml.gz", "wb").write(gz)

def image(data, length=None):
    b = b"initdata" + struct.pack("<Q", len(data) if length is None else length) + data
    return b + b"\0" * ((-len(b)) % 512)

open(work + "/initdata.img", "wb").write(image(gz))
open(work + "/cut.img", "wb").write(image(gz)[:16 + len(gz) // 2])

def serve(source, report):
    tmp = tempfile.mkdtemp(prefix="ccgate-initdata-")
    open(tmp + "/report.bin", "wb").write(report)
    agent = StubAgent(tmp + "/agent.sock")
    log = open(tmp + "/ccgate.log", "wb")
    gate = subprocess.Popen([*ccgate_cmd(CCGATE), "run", "--listen", "unix:" + tmp + "/host.sock",
                             "--agent", "unix:" + tmp + "/agent.sock", "--initdata", source,
                             "--audit-log", tmp + "/audit.log", "--tee", "snp",
                             "--tee-report", tmp + "/report.bin"], stderr=log)
    return tmp, agent, gate

def stop(gate):
    gate.terminate()
    return gate.wait(10)

def records(tmp):
    return [json.loads(l) for l in open(tmp + "/audit.log")]

# --- each form the guest may hold: the policy in force, bound by the TOML's digest
for name, path in (("block device image", work + "/initdata.img"),
                   ("gzip", work + "/initdata.toml.gz"),
                   ("TOML as the agent writes it", work + "/initdata.toml")):
    tmp, agent, gate = serve(path, gen_reports.snp_report(host_data))
    try:
        s = connect(tmp + "/host.sock")
        check(call(s, 1, A, "GetGuestDetails")[0] == 0, "%s: the policy allows GetGuestDetails" % name)
        check(call(s, 3, A, "ExecProcess")[0] == 7, "%s: the policy denies ExecProcess" % name)
        check(agent.seen(A + "/GetGuestDetails") == 1 and agent.seen(A + "/ExecProcess") == 0,
              "%s: only the allowed request reached the agent" % name)
        check(records(tmp)[0]["policy"] == hashlib.sha256(policy).hexdigest(),
              "%s: the audit log names the policy's SHA-256" % name)
    finally:
        check(stop(gate) == 0, "%s: stops cleanly" % name)

# --- the digest is the TOML's, not the image's or the gzip's
for name, wrong in (("the gzip's", gz), ("the image's", image(gz))):
    tmp, agent, gate = serve(work + "/initdata.img",
                             gen_reports.snp_report(hashlib.sha384(wrong).digest()[:32]))
    try:
        s = connect(tmp + "/host.sock")
        code, msg, _ = call(s, 1, A, "GetGuestDetails")
        check(code == 7 and ": attestation: " in msg, "HOST_DATA of %s bytes: denied: %r" % (name, msg))
        check(agent.seen(A + "/GetGuestDetails") == 0, "HOST_DATA of %s bytes: nothing reached the agent" % name)
    finally:
        stop(gate)

# --- a cut image: no policy, every request denied, and the log says why
tmp, agent, gate = serve(work + "/cut.img", gen_reports.snp_report(host_data))
try:
    s = connect(tmp + "/host.sock")
    code, msg, _ = call(s, 1, A, "GetGuestDetails")
    check(code == 7 and "policy-invalid" in msg, "cut image: denied (policy-invalid): %r" % msg)
    check(agent.seen(A + "/GetGuestDetails") == 0, "cut image: nothing reached the agent")
finally:
    stop(gate)
log = open(tmp + "/ccgate.log").read()
check("cut.img" in log and "bytes of gzip data its header announces" in log,
      "cut image: the log names the file and the reason")

# --- ccgate policy digest reads the same forms, and prints the annotation kata reads
outs = [subprocess.run([CCGATE, "policy", "digest", "--for", "initdata", work + f], check=True,
                       capture_output=True, text=True).stdout
        for f in ("/initdata.toml", "/initdata.toml.gz", "/initdata.img")]
check(outs[0] == outs[1] == outs[2], "policy digest: the same values for the three forms")
check("snp-host-data: %s\n" % host_data.hex() in outs[0], "policy digest: HOST_DATA as kata computes it")
ann = [l.split(": ", 1)[1] for l in outs[0].splitlines()
       if l.startswith("io.katacontainers.config.hypervisor.cc_init_data: ")]
check(len(ann) == 1 and gzip.decompress(base64.b64decode(ann[0], validate=True)) == doc,
      "policy digest: the annotation is base64 of a gzip of the document (Python decodes it)")
check('agent-policy: [data] "policy.rego", %d bytes\n' % len(rego) in outs[0],
      "policy digest: names the agent's policy.rego")

# --- the real thing: a block device (a read-only loop device on the image), when root
loop = None
if os.geteuid() == 0 and shutil.which("losetup"):
    r = subprocess.run(["losetup", "--find", "--show", "--read-only", work + "/initdata.img"],
                       capture_output=True, text=True)
    if r.returncode == 0:
        loop = r.stdout.strip()
    else:
        print("SKIP loop device: losetup: %s" % r.stderr.strip())
else:
    print("SKIP loop device: needs root and losetup")
def attach(path):
    r = subprocess.run(["losetup", "--find", "--show", "--read-only", path], capture_output=True,
                       text=True)
    return r.stdout.strip() if r.returncode == 0 else None

if loop:
    # Devices that are not initdata: no magic (the TOML itself), and one that ends
    # before the gzip data its header announces (512 bytes of a longer image).
    open(work + "/short.img", "wb").write(image(gz, length=4096)[:512])
    for name, path, want in (("no magic", work + "/initdata.toml", "a block device without the initdata header"),
                             ("short", work + "/short.img", "it ends before the 4096 bytes of gzip data")):
        dev = attach(path)
        if not dev:
            check(False, "loop device (%s): losetup failed" % name)
            continue
        try:
            r = subprocess.run([CCGATE, "policy", "digest", "--for", "initdata", dev],
                               capture_output=True, text=True)
            check(r.returncode == 2 and want in r.stderr and dev in r.stderr,
                  "loop device, %s: refused with the reason: %r" % (name, r.stderr.strip()))
        finally:
            subprocess.run(["losetup", "--detach", dev])
    try:
        tmp, agent, gate = serve(loop, gen_reports.snp_report(host_data))
        try:
            s = connect(tmp + "/host.sock")
            check(call(s, 1, A, "GetGuestDetails")[0] == 0, "loop device %s: the policy allows" % loop)
            check(call(s, 3, A, "ExecProcess")[0] == 7, "loop device %s: the policy denies" % loop)
        finally:
            check(stop(gate) == 0, "loop device: stops cleanly")
    finally:
        subprocess.run(["losetup", "--detach", loop])

print("%d passed, %d failed" % (passed, len(failures)))
sys.exit(1 if failures else 0)

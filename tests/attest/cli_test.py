#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""`ccgate policy digest` against coreutils: what it prints for HOST_DATA and
MRCONFIGID must be what sha256sum/sha384sum say about the same file, and the
initdata fields must be the document's digest truncated or zero-padded.

Usage: cli_test.py CCGATE SOURCE_DIR
"""
import os
import subprocess
import sys
import tempfile

ccgate, src = sys.argv[1:3]
failures = 0


def run(*args):
    p = subprocess.run([ccgate, "policy", "digest", *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def coreutils(tool, path):
    out = subprocess.run([tool, path], capture_output=True, text=True, check=True).stdout
    return out.split()[0]


def check(name, cond, detail=""):
    global failures
    if not cond:
        failures += 1
        print(f"FAIL {name} {detail}")
    else:
        print(f"ok   {name}")


policy = os.path.join(src, "policy.yaml")
init384 = os.path.join(src, "initdata-sha384.toml")
init256 = os.path.join(src, "initdata-sha256.toml")
s256 = coreutils("sha256sum", policy)
s384 = coreutils("sha384sum", policy)

rc, out, err = run(policy, "--for", "snp")
check("snp = sha256sum", rc == 0 and out == s256 + "\n", repr((rc, out, err)))
rc, out, err = run("--for", "tdx", policy)
check("tdx = sha384sum", rc == 0 and out == s384 + "\n", repr((rc, out, err)))
rc, out, err = run(policy)
check("default prints both", rc == 0 and f"snp-host-data: {s256}\n" in out
      and f"tdx-mrconfigid: {s384}\n" in out, repr((rc, out, err)))

d384 = coreutils("sha384sum", init384)
d256 = coreutils("sha256sum", init256)
rc, out, err = run(init384, "--for", "initdata", "--initdata-for", "snp")
check("initdata sha384 on snp: truncated", rc == 0 and out == d384[:64] + "\n", repr((rc, out, err)))
rc, out, err = run(init384, "--for", "initdata", "--initdata-for", "tdx")
check("initdata sha384 on tdx: whole", rc == 0 and out == d384 + "\n", repr((rc, out, err)))
rc, out, err = run(init256, "--initdata-for", "tdx")
check("initdata sha256 on tdx: zero-padded", rc == 0 and out == d256 + "0" * 32 + "\n",
      repr((rc, out, err)))
rc, out, err = run(init256, "--for", "initdata")
check("initdata summary", rc == 0 and f"algorithm: sha256\n" in out and f"digest: {d256}\n" in out
      and f"snp-host-data: {d256}\n" in out and f"tdx-mrconfigid: {d256}{'0' * 32}\n" in out,
      repr((rc, out, err)))

# Usage and input errors: exit status 2 and a message on stderr.
for args in ([], ["--for", "sev", policy], [policy, policy], ["--for", "snp", "--initdata-for", "tdx", policy],
             ["--bogus", policy], [os.path.join(src, "does-not-exist.yaml")]):
    rc, out, err = run(*args)
    check(f"usage error {args}", rc == 2 and out == "" and err != "", repr((rc, out, err)))
rc, out, err = run(policy, "--for", "initdata")
check("policy is not initdata", rc == 2 and "initdata" in err and out == "", repr((rc, out, err)))

with tempfile.NamedTemporaryFile(suffix=".yaml") as empty:
    rc, out, err = run(empty.name, "--for", "snp")
    check("empty file = sha256 of nothing", rc == 0 and out ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n", repr((rc, out, err)))

p = subprocess.run([ccgate, "policy", "digest", "--for", "tdx", "-"], input=open(policy, "rb").read(),
                   capture_output=True)
check("stdin", p.returncode == 0 and p.stdout.decode() == s384 + "\n", repr(p))

with tempfile.NamedTemporaryFile(suffix=".yaml") as big:
    big.write(b"#" * (4 * 1024 * 1024 + 1))
    big.flush()
    rc, out, err = run(big.name)
    check("over 4 MiB refused", rc == 2 and "larger than 4 MiB" in err and out == "", repr((rc, out, err)))

rc, out, err = run("--help")
check("--help", rc == 0 and "HOST_DATA" in out and "MRCONFIGID" in out and "initdata" in out,
      repr((rc, out[:200], err)))

sys.exit(1 if failures else 0)

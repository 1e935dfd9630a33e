#!/usr/bin/env python3
"""The man pages say what the program does: ccgate(8) describes every option
that each command's --help prints and names every command; ccgate-policy(5)
describes every key of schemas/policy.schema.json and every hook; both
format without a groff warning.

  man_test.py CCGATE MANDIR SCHEMA
"""
import json, re, shutil, subprocess, sys

CCGATE, MANDIR, SCHEMA = sys.argv[1:4]
COMMANDS = ["run", "policy check", "policy explain", "policy digest", "policy generate",
            "audit verify",
            "audit show", "hooks install", "hooks status", "hooks remove"]
HOOKS = ["connect_unix", "lsm_unix_inode", "lsm_exec", "lsm_ptrace", "lsm_proc_mem", "lsm_vsock"]
passed, failed = 0, 0

def check(cond, what):
    global passed, failed
    print(("ok   " if cond else "FAIL ") + what)
    if cond:
        passed += 1
    else:
        failed += 1

def page(name):
    # The roff source as words: \- is a hyphen.
    return open("%s/%s" % (MANDIR, name)).read().replace("\\-", "-")

man8, man5 = page("ccgate.8"), page("ccgate-policy.5")

for cmd in COMMANDS:
    r = subprocess.run([CCGATE, *cmd.split(), "--help"], capture_output=True, text=True)
    opts = sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", r.stdout)) - {"--help"})
    missing = [o for o in opts if not re.search(re.escape(o) + r"(?![a-z-])", man8)]
    check(r.returncode == 0, "ccgate %s --help: %d options" % (cmd, len(opts)))
    check(not missing, "ccgate(8) describes every option of ccgate %s%s" % (
        cmd, ": missing " + " ".join(missing) if missing else ""))
    check(".SS ccgate " + cmd in man8, "ccgate(8) has a section for ccgate %s" % cmd)

top = subprocess.run([CCGATE, "--help"], capture_output=True, text=True).stdout
listed = re.findall(r"^  ((?:policy |audit |hooks )?[a-z]+)  ", top, re.M)
check(sorted(listed) == sorted(COMMANDS), "ccgate --help lists the commands this test knows: %s"
      % listed)

keys = set()
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "properties" and isinstance(v, dict):
                keys.update(v)
            walk(v)
    elif isinstance(o, list):
        for x in o:
            walk(x)
walk(json.load(open(SCHEMA)))
missing = sorted(k for k in keys if not re.search(r"(?<![\w])" + re.escape(k) + r"(?![\w])", man5))
check(len(keys) > 30, "policy.schema.json has its keys (%d)" % len(keys))
check(not missing, "ccgate-policy(5) describes every schema key%s" % (
    ": missing " + " ".join(missing) if missing else ""))
for h in HOOKS:
    check(h in man5 and h in man8, "both pages name the hook %s" % h)

groff = shutil.which("groff")
for name in ("ccgate.8", "ccgate-policy.5"):
    if not groff:
        print("# groff is not installed (Debian: groff-base): %s not linted" % name)
        continue
    r = subprocess.run([groff, "-man", "-ww", "-z", "%s/%s" % (MANDIR, name)],
                       capture_output=True, text=True)
    check(r.returncode == 0 and not r.stderr.strip(), "groff -man -ww: %s formats without a "
          "warning%s" % (name, (": " + r.stderr.strip()) if r.stderr.strip() else ""))
    check(not re.search(r"@[A-Z]+@", open("%s/%s" % (MANDIR, name)).read()),
          "%s: every @VARIABLE@ was substituted" % name)

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)

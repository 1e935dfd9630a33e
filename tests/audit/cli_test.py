#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""`ccgate audit verify` and `ccgate audit show` on fixtures.

Logs are written by audit-gen (the real writer, sample events); each kind of
tampering is applied to a copy and verify must exit 1 naming FILE:LINE of the
first bad record. show is checked against the records themselves: filters,
--json (the stored lines, unchanged), chain order of rotated files, and that
hostile host strings never reach the terminal as control characters.

Usage: cli_test.py CCGATE AUDIT_GEN
"""
import glob
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

CCGATE, GEN = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(*args):
    p = subprocess.run([CCGATE, "audit", *args], capture_output=True, text=True,
                       errors="surrogateescape", timeout=30)
    return p.returncode, p.stdout, p.stderr


def gen(path, rotate=0, count=8):
    subprocess.run([GEN, path, str(rotate), str(count)], check=True, timeout=30)


def read_lines(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")[:-1]


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def records(path):
    return [json.loads(l) for l in read_lines(path)]


tmp = tempfile.mkdtemp(prefix="ccgate-audit-cli-")
try:
    base = os.path.join(tmp, "base.log")
    gen(base)  # genesis, 8 samples, stop: 10 lines
    good = read_lines(base)
    check(len(good) == 10, "audit-gen wrote 10 lines (got %d)" % len(good))

    # ---- verify: an intact log -------------------------------------------
    rc, out, err = run("verify", base)
    check(rc == 0, "verify of an intact log exits 0 (%d: %s)" % (rc, err.strip()))
    m = re.search(r"head\s+(\d+):([0-9a-f]{64})", out)
    check(m is not None and m.group(1) == "9", "verify prints the head as SEQ:HASH: %r" % out)
    anchor = "%s:%s" % (m.group(1), m.group(2)) if m else "9:" + "0" * 64
    check("records  10" in out and "a stop record" in out, "verify summarises records and the end")
    rc, out, err = run("verify", "-q", "--closed", "--anchor", anchor, base)
    check(rc == 0 and out == "" and err == "", "verify -q --closed --anchor: silent, exit 0")

    # ---- verify: each kind of tampering, FILE:LINE of the first bad record --
    def tampered(name, lines, tail=b"\n"):
        path = os.path.join(tmp, name + ".log")
        write(path, b"\n".join(lines) + (tail if lines else b""))
        return path

    edit = list(good)
    edit[3] = edit[3].replace(b'"deny"', b'"alow"', 1)
    swapped = list(good)
    swapped[3], swapped[4] = swapped[4], swapped[3]
    garbage = list(good)
    garbage[2] = b'{"v":1,"seq":2, oops'
    seq_edit = list(good)
    seq_edit[4] = seq_edit[4].replace(b'"seq":4,', b'"seq":7,', 1)
    cases = [
        # name, file, extra options, exit, line, phrase
        ("edit", tampered("edit", edit), [], 1, 4, "was changed after it was written"),
        ("seq edited", tampered("seq", seq_edit), [], 1, 5, "its seq was changed"),
        ("removal", tampered("removal", good[:4] + good[5:]), [], 1, 5, "were removed"),
        ("reorder", tampered("reorder", swapped), [], 1, 4, "removed or moved"),
        ("repeat", tampered("repeat", good[:6] + good[5:]), [], 1, 7, "reordered or repeated"),
        ("not JSON", tampered("garbage", garbage), [], 1, 3, "not JSON"),
        ("truncation mid-record",
         tampered("trunc", good[:5] + [good[5][:30]], tail=b""), [], 1, 6, "no newline"),
        ("cut last line", tampered("cutlast", good[:9] + [good[9][:-4]], tail=b""), [], 1, 10,
         "no newline"),
        ("genesis removed", tampered("nogenesis", good[1:]), [], 1, 1, "not at its genesis"),
        # Whole records cut off the end: the chain alone cannot tell; the stop
        # record (--closed) and an anchor can.
        ("records cut off the end, --closed", tampered("cutend", good[:7]), ["--closed"], 1, 7,
         "not a stop record"),
        ("records cut off the end, --anchor", tampered("cutend2", good[:7]),
         ["--anchor", anchor], 1, 7, "removed from the end"),
        ("last record edited, --anchor",
         tampered("editlast", good[:9] + [good[9].replace(b'"none"', b'"nonf"')]),
         ["--anchor", anchor], 1, 10, "does not match the anchor"),
    ]
    for name, path, opts, want_rc, line, phrase in cases:
        rc, out, err = run("verify", *opts, path)
        first = err.splitlines()[0] if err else ""
        want = "%s:%d: " % (path, line)
        check(rc == want_rc and first.startswith(want) and phrase in first,
              "verify finds %s: exit %d, %r" % (name, rc, first))
    rc, _, _ = run("verify", tampered("cutend3", good[:7]))
    check(rc == 0, "without --closed/--anchor a log cut at a record boundary verifies (the "
                   "chain alone cannot see it; documented)")

    # ---- verify across rotation -------------------------------------------
    rdir = os.path.join(tmp, "rot")
    os.mkdir(rdir)
    live = os.path.join(rdir, "audit.log")
    gen(live, rotate=2500, count=60)
    files = sorted(glob.glob(live + "*"))
    check(len(files) >= 4, "rotation at 2500 bytes made %d files" % len(files))
    shuffled = list(files)
    random.Random(5).shuffle(shuffled)
    rc, out, err = run("verify", "--closed", *shuffled)
    check(rc == 0 and "records  62" in out, "rotated files verify in any order: %d %s" % (rc, err))
    rc, out, err = run("verify", live)
    check(rc == 1 and err.startswith(live + ":1: ") and "not at its genesis" in err,
          "the live file alone: the chain does not start at genesis: %r" % err)
    rc, out, err = run("verify", "--partial", live)
    check(rc == 0 and "NOT from the genesis" in out, "--partial verifies a tail")
    missing = [f for f in files if not f.endswith(".2")]
    rc, out, err = run("verify", *missing)
    check(rc == 1 and err.startswith(live + ".3:1: ") and "were removed" in err,
          "a rotated file left out: the next file's first record: %r" % err)
    # Edit the third line of audit.log.2 in place.
    two = live + ".2"
    lines2 = read_lines(two)
    saved = b"\n".join(lines2) + b"\n"
    lines2[2] = re.sub(rb'"stream":(\d)', lambda m: b'"stream":' + str((int(m.group(1)) + 2) % 10).encode(),
                       lines2[2], count=1)
    write(two, b"\n".join(lines2) + b"\n")
    rc, out, err = run("verify", *files)
    check(rc == 1 and err.startswith(two + ":3: ") and "was changed" in err,
          "an edit in a rotated file is named by that file and line: %r" % err)
    write(two, saved[:-1])  # its last newline cut
    rc, out, err = run("verify", *files)
    check(rc == 1 and err.startswith("%s:%d: " % (two, len(lines2))) and "no newline" in err,
          "a rotated file whose last line was cut: %r" % err)
    write(two, saved)
    rc, _, _ = run("verify", *files)
    check(rc == 0, "restored, the chain verifies again")

    # ---- verify: usage and I/O errors exit 2 ----------------------------------
    rc, out, err = run("verify")
    check(rc == 2 and "no FILE" in err, "verify without files: exit 2")
    rc, out, err = run("verify", "--anchor", "12:zz", base)
    check(rc == 2 and "--anchor" in err, "a malformed --anchor: exit 2")
    rc, out, err = run("verify", "--frobnicate", base)
    check(rc == 2, "an unknown option: exit 2")
    rc, out, err = run("verify", os.path.join(tmp, "nonexistent.log"))
    check(rc == 2 and "cannot open" in err, "a file that does not exist: exit 2: %r" % err)
    rc, out, err = run("verify", "--help")
    check(rc == 0 and all(s in out for s in ("Usage: ccgate audit verify", "Options:",
                                              "Exit status:", "Examples:", "--anchor",
                                              "--closed", "--partial")),
          "verify --help: synopsis, options, exit status, examples")

    # ---- show ----------------------------------------------------------------
    recs = records(base)
    rc, out, err = run("show", base)
    rows = out.splitlines()
    check(rc == 0 and rows[0].startswith("SEQ") and len(rows) == 1 + len(recs),
          "show: a header and one row per record (%d rows)" % len(rows))
    deny_row = [r for r in rows if "exec-not-listed" in r]
    check(len(deny_row) == 1 and all(s in deny_row[0] for s in (
        "deny", "ExecProcessRequest", "c0ffee", "shell-7",
        "exec-not-listed: the command is not a listed probe")),
        "show: the denied exec's row names request, ids, rule and reason: %r" % deny_row)
    check(any(r.split()[0] == "0" and "genesis: policy" in r and "ccgate 0.1" in r for r in rows),
          "show: the genesis row names the policy and the ccgate version")
    check(any("deny+fwd" in r for r in rows), "show: a denied but forwarded request is marked")
    check(not any((ord(ch) < 0x20 and ch != "\n") or ord(ch) == 0x7f for ch in out)
          and "\\x0a" in out and "\\x01" in out,
          "show: the hostile method's newline and control byte are escaped, not printed")

    def shown(*opts):
        rc, out, err = run("show", "--json", *opts, base)
        return rc, [json.loads(l) for l in out.splitlines()]

    rc, got = shown()
    check(rc == 0 and [json.dumps(r, sort_keys=True) for r in got] ==
          [json.dumps(r, sort_keys=True) for r in recs], "show --json: every record")
    rc, out, err = run("show", "--json", base)
    check(out.encode("utf-8", "surrogateescape") == b"\n".join(good) + b"\n",
          "show --json prints the stored lines byte for byte")
    decisions = [r for r in recs if r["type"] == "decision"]
    for opts, want in [
        (["--decision", "deny"], [r for r in decisions if r["decision"] == "deny"]),
        (["--decision", "allow"], [r for r in decisions if r["decision"] == "allow"]),
        (["--request", "ExecProcessRequest"],
         [r for r in decisions if r["request"] == "ExecProcessRequest"]),
        (["--request", "ReadStdout"], [r for r in decisions if r["method"] == "ReadStdout"]),
        (["--container", "c0ffee"], [r for r in decisions if r["container_id"] == "c0ffee"]),
        (["--decision", "deny", "--container", "c0ffee"],
         [r for r in decisions if r["container_id"] == "c0ffee" and r["decision"] == "deny"]),
        (["--since", "2000-01-01"], recs),
        (["--since", "2999-01-01"], []),
        (["--until", "2000-01-01T00:00:00Z"], []),
        (["--since", recs[5]["time"]], [r for r in recs if r["time"] >= recs[5]["time"]]),
        (["--until", recs[5]["time"]], [r for r in recs if r["time"] < recs[5]["time"]]),
    ]:
        rc, got = shown(*opts)
        check(rc == 0 and [r["seq"] for r in got] == [r["seq"] for r in want] and
              (len(want) > 0 or opts[0] != "--request"),
              "show %s: seqs %s" % (" ".join(opts), [r["seq"] for r in got]))

    # Rotated files, given in any order, are shown in chain order.
    rc, out, err = run("show", "--json", *reversed(files))
    seqs = [json.loads(l)["seq"] for l in out.splitlines()]
    check(rc == 0 and seqs == list(range(62)), "show of rotated files: seqs 0..61 in order")

    # Terminal escapes in a host string (a record edited by hand: show does
    # not verify) are printed as text.
    evil = list(good)
    evil[2] = evil[2].replace(b'"shell-7"', b'"\\u001b[2J\\u009b31m\\u202eX"')
    path = tampered("evil", evil)
    rc, out, err = run("show", path)
    check(rc == 0 and "\x1b" not in out and "\u009b" not in out and "\u202e" not in out and
          "\\x1b[2J" in out and "\\u009b" in out and "\\u202e" in out,
          "show escapes ESC, C1 controls and bidi overrides")

    # Lines that are not records are named and skipped; the rest is shown.
    path = tampered("garbage2", garbage)
    rc, out, err = run("show", path)
    check(rc == 1 and err.startswith(path + ":3: not JSON") and len(out.splitlines()) == 10,
          "show skips a line that is not a record, names it, exits 1: %r" % err)

    # ---- outcome records: shown on rows of their own, checked by verify ------
    olog = os.path.join(tmp, "outcomes.log")
    subprocess.run([GEN, olog, "0", "16", "outcomes"], check=True, timeout=30)
    orecs = records(olog)
    rc, out, err = run("show", olog)
    rows = out.splitlines()
    check(rc == 0 and len(rows) == 1 + len(orecs), "show: one row per record with outcomes too")
    for r in orecs:
        if r["type"] != "outcome":
            continue
        row = next(x for x in rows if x.split()[0] == str(r["seq"]))
        word = {"answered": "answered", "not-forwarded": "unsent", "abandoned": "abandoned"}
        want = ["%d:%d" % (r["conn"], r["stream"]), word[r["outcome"]],
                "(decision %d)" % r["decision_seq"]]
        want += ["code %d" % r["code"]] if r["code"] is not None else []
        want += [r["why"]] if r["why"] else []
        check(all(w in row for w in want), "show: the outcome row of seq %d: %r" % (r["seq"], row))
    rc, out, err = run("verify", "--closed", olog)
    check(rc == 0, "verify: each outcome follows up its forwarded decision (%d %s)" % (rc, err))

    def rechained(lines, k):
        """lines with line k changed, every later prev recomputed: an intact chain."""
        out = list(lines)
        for i in range(k + 1, len(out)):
            prev = hashlib.sha256(out[i - 1]).hexdigest().encode()
            out[i] = re.sub(rb'"prev":"[0-9a-f]{64}"', b'"prev":"' + prev + b'"', out[i])
        return out

    olines = read_lines(olog)
    at = [i for i, l in enumerate(olines) if b'"type":"outcome"' in l]
    first, second = at[0], at[1]
    other = list(olines)
    other[first] = re.sub(rb'"stream":(\d+)', lambda m: b'"stream":' + str(int(m.group(1)) + 2).encode(),
                          other[first], count=1)
    undecided = list(olines)  # seq 3 is the denied exec
    undecided[second] = re.sub(rb'"decision_seq":\d+', b'"decision_seq":3', undecided[second],
                               count=1)
    twice = list(olines)
    twice[first + 1:first + 1] = [olines[first]]
    twice = [re.sub(rb'"seq":(\d+)', lambda m, i=i: b'"seq":' + str(i).encode(), l, count=1)
             for i, l in enumerate(twice)]
    # name, lines, the first line changed, the line verify must name, what it says
    for name, lines, changed, k, phrase in [
            ("an outcome for another stream", other, first, first, "but decision seq"),
            ("an outcome of a decision that was not forwarded", undecided, second, second,
             "which is not a forwarded decision"),
            ("an outcome given twice", twice, first, first + 1,
             "which is not a forwarded decision")]:
        path = tampered(name.replace(" ", "-"), rechained(lines, changed))
        rc, out, err = run("verify", path)
        check(rc == 1 and err.startswith("%s:%d: " % (path, k + 1)) and phrase in err,
              "verify finds %s (the chain rehashed): %r" % (name, err))

    rc, out, err = run("show", "--decision", "maybe", base)
    check(rc == 2 and "--decision" in err, "show --decision maybe: exit 2")
    rc, out, err = run("show", "--since", "yesterday", base)
    check(rc == 2 and "--since" in err, "show --since yesterday: exit 2")
    rc, out, err = run("show", os.path.join(tmp, "nonexistent.log"))
    check(rc == 2 and "cannot open" in err, "show of a missing file: exit 2")
    rc, out, err = run("show")
    check(rc == 2, "show without files: exit 2")
    rc, out, err = run("show", "--help")
    check(rc == 0 and all(s in out for s in ("Usage: ccgate audit show", "--decision",
                                              "--request", "--container", "--since", "--json",
                                              "Exit status:", "Examples:")),
          "show --help: synopsis, filters, exit status, examples")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print("%d failures" % len(failures))
sys.exit(1 if failures else 0)

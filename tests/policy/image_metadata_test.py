#!/usr/bin/python3
"""ccgate's reader of image_guest_pull driver options against Python's json module, on
the same bytes: for every case, ccgate may refuse what kata's agent (serde_json) would
read, but where ccgate reads it, it must read what the agent reads (sandbox or not).

The oracle: the text after "image_guest_pull=" is one JSON object whose only key is
"metadata", an object of strings (serde: HashMap<String, String>; the last of a
repeated key wins); it says sandbox when io.kubernetes.cri.container-type or
io.kubernetes.cri-o.ContainerType is "sandbox" (kata's is_sandbox). Lone surrogates
are refused, as serde_json refuses them.

  image_metadata_test.py READER
"""
import json, random, subprocess, sys, tempfile

READER = sys.argv[1]
KEYS = ("io.kubernetes.cri.container-type", "io.kubernetes.cri-o.ContainerType")
PREFIX = "image_guest_pull="


def oracle(s):
    """What the agent reads: 1 or 0, None when serde would fail, "dup" when it reads a
    repeated container-type key (ccgate must refuse those: readers disagree on them)."""
    if not s.startswith(PREFIX):
        return None
    try:
        top = json.loads(s[len(PREFIX):], object_pairs_hook=lambda p: p)
    except ValueError:
        return None
    if not isinstance(top, list) or [k for k, _ in top] != ["metadata"]:
        return None
    meta = top[0][1]
    if not isinstance(meta, list) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta):
        return None
    try:
        for k, v in meta:
            k.encode("utf-8"), v.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if any(sum(1 for k, _ in meta if k == t) > 1 for t in KEYS):
        return "dup"
    d = dict(meta)
    return 1 if any(d.get(t) == "sandbox" for t in KEYS) else 0


def cases():
    base = [
        '{"metadata":{"io.kubernetes.cri.container-type":"sandbox"}}',
        '{"metadata":{"io.kubernetes.cri.container-type":"container"}}',
        '{"metadata":{"io.kubernetes.cri-o.ContainerType":"sandbox"}}',
        '{"metadata":{}}',
        '{ "metadata" : { "a" : "b" , "io.kubernetes.cri.container-type" : "sandbox" } }\n',
        '{"metadata":{"io.kubernetes.cri.container-type":"sand\\u0062ox"}}',
        '{"metadata":{"io.kubernetes.cri.container\\u002dtype":"sandbox"}}',
        '{"\\u006detadata":{"io.kubernetes.cri.container-type":"sandbox"}}',
        '{"metadata":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.container-type":"sandbox"}}',
        '{"metadata":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri-o.ContainerType":"sandbox"}}',
        '{"metadata":{"k":"\\ud83d\\ude00","io.kubernetes.cri.container-type":"sandbox"}}',
        '{"metadata":{"k":"\\ud83d","io.kubernetes.cri.container-type":"sandbox"}}',
        '{"metadata":{"k":"\\ude00"}}',
        '{"metadata":{"k":"caf\u00e9 \\n\\t\\/\\\\\\""}}',
        '{"metadata":{"k":1}}',
        '{"metadata":{"k":null}}',
        '{"metadata":{"k":["sandbox"]}}',
        '{"metadata":{"io.kubernetes.cri.container-type":"sandbox"},"x":1}',
        '{"metadata":{"io.kubernetes.cri.container-type":"sandbox"}} x',
        '{"metadata":{"io.kubernetes.cri.container-type":"sandbox"},}',
        '{"metadata":{"io.kubernetes.cri.container-type":"sandbox",}}',
        '{"metadata":{"io.kubernetes.cri.container-type":"sandbox"}',
        '{"metadata":{"io.kubernetes.cri.container-type" "sandbox"}}',
        '{"metadata":{"k":"a\x01b"}}',
        '{"metadata":{"k":"\\x41"}}',
        '{"metadata":{"k":"\\u12"}}',
        '',
        '{}',
        '[]',
        '{"metadata":{"io.kubernetes.cri.container-type":"Sandbox"}}',
        '{"metadata":{"io.kubernetes.cri.container-type":"sandbox "}}',
        '{"metadata":{"' + "k" * 300 + '":"' + "v" * 300 + '"}}',
        '{"metadata":{"io.kubernetes.cri.container-type":"' + "sandbox" * 20 + '"}}',
    ]
    out = [PREFIX + b for b in base]
    out += ["image_guest_pull " + base[0], "x" + PREFIX + base[0], base[0]]
    rnd = random.Random(18)
    alphabet = '{}[]:,"\\ unatmdesbox-0.\\u00'
    for _ in range(400):
        s = list(rnd.choice(base))
        for _ in range(rnd.randint(1, 3)):
            i = rnd.randrange(len(s) + 1)
            op = rnd.randrange(3)
            if op == 0 and s:
                del s[min(i, len(s) - 1)]
            elif op == 1:
                s.insert(i, rnd.choice(alphabet))
            elif s:
                s[min(i, len(s) - 1)] = rnd.choice(alphabet)
        out.append(PREFIX + "".join(s))
    return out


def main():
    cs = cases()
    with tempfile.NamedTemporaryFile("w", suffix=".hex") as f:
        for c in cs:
            f.write(c.encode("utf-8", "surrogatepass").hex() + "\n")
        f.flush()
        got = subprocess.run([READER, f.name], capture_output=True, text=True, check=True).stdout.split()
    bad = 0
    readable = refused_readable = 0
    for c, g in zip(cs, got):
        want, g = oracle(c), int(g)
        if want in (0, 1):
            readable += 1
            refused_readable += g == -1
        ok = g == -1 if want in (None, "dup") else g in (want, -1)
        if not ok:
            bad += 1
            print("MISMATCH: %r: ccgate %d, agent %r" % (c, g, want))
    # The runtimes' shapes (the first five base cases) must be read, not just refused.
    for c, w in zip(cs[:5], (1, 0, 1, 0, 1)):
        if int(got[cs.index(c)]) != w:
            bad += 1
            print("NOT READ: %r" % c)
    print("%d cases, %d the agent reads, of which ccgate refuses %d; %d mismatches" % (
        len(cs), readable, refused_readable, bad))
    return 1 if bad or len(got) != len(cs) else 0


if __name__ == "__main__":
    sys.exit(main())

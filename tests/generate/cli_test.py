#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""`ccgate policy generate` end to end, with real files and the real ccgate.

- Every corpus pod, for each runtime its lifecycles use: the generated policy is
  `ccgate policy check --strict` clean (the Go shim's deployment allows SetPolicy,
  pinned to the pod's agent policy, and check warns about it: that warning and no other).
- The examples' pod.yaml give the policies the corpus copies give, but for the comments.
- PyYAML (YAML 1.1, as editors read it) and python3-jsonschema accept every
  generated policy against schemas/policy.schema.json.
- A docker-archive tar gives what the OCI layout gives.
- A multi-platform image index gives the settings' platform's config; a blob whose
  content does not match its digest is refused.
- --initdata writes a document `ccgate policy digest --for initdata` accepts, with the
  SNP/TDX values it prints.
- Errors: a tag-only image names the image, its position and the digest to pin.

Usage: cli_test.py CCGATE SOURCE_ROOT LAYOUTS_DIR
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib

import jsonschema  # python3-jsonschema (tools/install-deps)
import yaml  # python3-yaml

CCGATE, ROOT, LAYOUTS = sys.argv[1:4]
CORPUS = os.path.join(ROOT, "tests", "corpus")
GEN_CMD = [CCGATE, "policy", "generate"]

failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg)


def layouts():
    out = []
    for d in sorted(os.listdir(LAYOUTS)):
        out += ["--images", os.path.join(LAYOUTS, d)]
    return out


def generate(args, expect_ok=True):
    p = subprocess.run(GEN_CMD + args, capture_output=True, text=True)
    if expect_ok and p.returncode != 0:
        fail("%s: exit %d: %s" % (" ".join(args[-1:]), p.returncode, p.stderr.strip()))
    return p


def lifecycle_runtimes(pod):
    rts = {}
    for f in sorted(os.listdir(os.path.join(CORPUS, pod))):
        if f.endswith(".json"):
            with open(os.path.join(CORPUS, pod, f)) as fh:
                lc = json.load(fh)
            rts[lc["runtime_id"]] = lc["config"].get("emptydir_mode", "block-encrypted")
    return rts


def without_comments(text):
    """The policy's meaning: YAML without comments or trailing blanks."""
    out = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        line = re.sub(r'\s+#\s.*$', "", line)
        out.append(line.rstrip())
    return "\n".join(out)


def validate(path):
    """Another reader of the YAML, and the schema editors use."""
    with open(os.path.join(ROOT, "schemas", "policy.schema.json")) as f:
        schema = json.load(f)
    with open(path) as f:
        doc = yaml.safe_load(f)
    try:
        jsonschema.validate(doc, schema)
    except jsonschema.ValidationError as e:
        fail("%s: the schema refuses %s: %s" % (path, list(e.path), e.message[:200]))


def check_corpus(tmp):
    pods = sorted(d for d in os.listdir(CORPUS) if os.path.isfile(os.path.join(CORPUS, d, "pod.yaml")))
    for pod in pods:
        for rt, mode in lifecycle_runtimes(pod).items():
            settings = os.path.join(tmp, "settings-%s.yaml" % mode)
            with open(settings, "w") as f:
                f.write("kata:\n  emptydir_mode: %s\n" % mode)
            out = os.path.join(tmp, "%s-%s.yaml" % (pod, rt))
            p = generate(layouts() + ["--settings", settings, "--runtime", rt, "--logs", "allow",
                                      "--output", out, os.path.join(CORPUS, pod, "pod.yaml")])
            if p.returncode:
                continue
            validate(out)
            c = subprocess.run([CCGATE, "policy", "check", "--quiet", "--strict", out],
                               capture_output=True, text=True)
            want = ""
            if pod == "deployment" and rt == "go-shim":
                want = ("warning: SetPolicyRequest is allowed: the host may replace the policy "
                        "inside the agent\n")
            if c.stderr != want or c.returncode != (1 if want else 0):
                fail("%s/%s: policy check: exit %d: %s" % (pod, rt, c.returncode, c.stderr))


def check_examples():
    for ex in ("web", "sidecar", "locked"):
        a = generate(layouts() + [os.path.join(ROOT, "examples", ex, "pod.yaml")])
        b = generate(layouts() + [os.path.join(CORPUS, ex, "pod.yaml")])
        if a.returncode or b.returncode:
            continue
        if without_comments(a.stdout) != without_comments(b.stdout):
            fail("examples/%s/pod.yaml and tests/corpus/%s/pod.yaml give different policies" % (ex, ex))


def check_archive(tmp):
    subprocess.run(["/usr/bin/python3", os.path.join(CORPUS, "mkimages.py"),
                    "--docker-archive", os.path.join(tmp, "tars")], check=True, capture_output=True)
    tars = sorted(os.path.join(tmp, "tars", t) for t in os.listdir(os.path.join(tmp, "tars")))
    pod = os.path.join(CORPUS, "sidecar", "pod.yaml")
    a = generate(sum((["--images", t] for t in tars), []) + [pod])
    b = generate(layouts() + [pod])
    if without_comments(a.stdout) != without_comments(b.stdout):
        fail("a docker-archive tar and the OCI layout give different policies")


def blob(root, data):
    import hashlib
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(root, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + d, "size": len(data)}


def multi_platform_layout(root, platforms):
    """An OCI layout: index.json -> an image index -> one manifest per platform."""
    entries = []
    for arch in platforms:
        cfg = blob(root, json.dumps({"architecture": arch, "os": "linux",
                                     "config": {"Cmd": ["/bin/" + arch]}}).encode())
        man = blob(root, json.dumps({"schemaVersion": 2,
                                     "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                     "config": dict(cfg, mediaType="application/vnd.oci.image.config.v1+json"),
                                     "layers": []}).encode())
        entries.append(dict(man, mediaType="application/vnd.oci.image.manifest.v1+json",
                            platform={"architecture": arch, "os": "linux"}))
    idx = blob(root, json.dumps({"schemaVersion": 2, "manifests": entries,
                                 "mediaType": "application/vnd.oci.image.index.v1+json"}).encode())
    with open(os.path.join(root, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion": "1.0.0"}')
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [dict(
            idx, mediaType="application/vnd.oci.image.index.v1+json",
            annotations={"io.containerd.image.name": "example.org/multi:1"})]}, f)
    return idx["digest"], entries


def check_platforms(tmp):
    root = os.path.join(tmp, "multi")
    digest, entries = multi_platform_layout(root, ["amd64", "arm64"])
    pod = os.path.join(tmp, "multi.yaml")
    with open(pod, "w") as f:
        f.write("apiVersion: v1\nkind: Pod\nmetadata: {name: m}\nspec:\n"
                "  automountServiceAccountToken: false\n  enableServiceLinks: false\n"
                "  containers:\n  - {name: c, image: \"example.org/multi:1@%s\"}\n" % digest)
    arm = os.path.join(tmp, "arm.yaml")
    with open(arm, "w") as f:
        f.write("images: {platform: linux/arm64}\n")
    for settings, want in ((None, "/bin/amd64"), (arm, "/bin/arm64")):
        p = generate(["--images", root] + (["--settings", settings] if settings else []) + [pod])
        if p.returncode == 0 and ("      - %s  # the image config's Cmd" % want) not in p.stdout:
            fail("multi-platform index: %s is not the argv for %s" % (want, settings or "amd64"))
    # Only the amd64 image copied: arm64 is not there.
    os.unlink(os.path.join(root, "blobs", "sha256", entries[1]["digest"][7:]))
    p = generate(["--images", root, "--settings", arm, pod], expect_ok=False)
    if p.returncode == 0 or "the image index with this digest has no linux/arm64 image" not in p.stderr:
        fail("multi-platform index without arm64: %s" % p.stderr)
    # A changed blob is refused.
    cfg = json.load(open(os.path.join(root, "blobs", "sha256", entries[0]["digest"][7:])))
    cfg_digest = cfg["config"]["digest"][7:]
    with open(os.path.join(root, "blobs", "sha256", cfg_digest), "ab") as f:
        f.write(b" ")
    p = generate(["--images", root, pod], expect_ok=False)
    if p.returncode == 0 or "the blob was changed" not in p.stderr:
        fail("a changed config blob was not refused: %s" % p.stderr)


def check_initdata(tmp):
    doc = os.path.join(tmp, "initdata.toml")
    pol = os.path.join(tmp, "initdata-policy.yaml")
    p = generate(layouts() + ["--output", pol, "--initdata", doc, "--initdata-algorithm", "sha384",
                              os.path.join(CORPUS, "web", "pod.yaml")])
    if p.returncode:
        return
    # generate prints what `policy digest --for initdata` prints for the document.
    d = subprocess.run([CCGATE, "policy", "digest", "--for", "initdata", doc], capture_output=True,
                       text=True)
    if d.returncode or p.stdout != d.stdout:
        fail("--initdata: generate printed %r, policy digest %r" % (p.stdout, d.stdout))
    want = "algorithm: sha384\n"
    if want not in d.stdout or ("policy: [data] \"ccgate.yaml\", %d bytes" % os.path.getsize(pol)) not in d.stdout:
        fail("--initdata: the document does not carry the policy written: %s" % d.stdout)
    # Python's own TOML reader sees the policy written, and the agent's allow-all policy.rego.
    with open(doc, "rb") as f:
        data = tomllib.load(f)["data"]
    with open(pol) as f:
        if data.get("ccgate.yaml") != f.read():
            fail("--initdata: tomllib does not read the policy written from [data] \"ccgate.yaml\"")
    rego = data.get("policy.rego", "")
    if "package agent_policy\n" not in rego or "default ExecProcessRequest := true\n" not in rego:
        fail("--initdata: no allow-all policy.rego by default: %r" % rego[:200])
    if "agent-policy: [data] \"policy.rego\", %d bytes\n" % len(rego.encode()) not in d.stdout:
        fail("--initdata: policy digest does not name the agent's policy: %s" % d.stdout)
    if "io.katacontainers.config.hypervisor.cc_init_data: " not in p.stdout:
        fail("--initdata: no annotation value printed: %s" % p.stdout)
    # --initdata-rego: the tenant's own file, byte for byte, even where a literal string
    # cannot hold it (three quotes and a backslash).
    own = os.path.join(tmp, "own.rego")
    with open(own, "w") as f:
        f.write("package agent_policy\n# it's " + "'" * 3 + " here, and a \\ too\n"
                "default CreateContainerRequest := false\n")
    p = generate(layouts() + ["--output", pol, "--initdata", doc, "--initdata-rego", own,
                              os.path.join(CORPUS, "web", "pod.yaml")])
    with open(doc, "rb") as f, open(own) as g:
        if p.returncode or tomllib.load(f)["data"].get("policy.rego") != g.read():
            fail("--initdata-rego: the document does not carry the file: %s" % p.stderr)
    for args, want in ((["--initdata-rego", own], "--initdata-rego needs --initdata FILE"),
                       (["--output", pol, "--initdata", doc, "--initdata-rego", own + ".missing"],
                        "--initdata-rego %s.missing: No such file or directory" % own)):
        p = generate(layouts() + args + [os.path.join(CORPUS, "web", "pod.yaml")], expect_ok=False)
        if p.returncode != 2 or want not in p.stderr:
            fail("%s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr))
    p = generate(layouts() + ["--initdata", doc, os.path.join(CORPUS, "web", "pod.yaml")],
                 expect_ok=False)
    if p.returncode != 2 or "--initdata needs --output FILE" not in p.stderr:
        fail("--initdata without --output: exit %d: %s" % (p.returncode, p.stderr))


def check_allow_exec(tmp):
    pod = os.path.join(CORPUS, "web", "pod.yaml")
    p = generate(layouts() + [pod, "--allow-exec", "nginx", "--", "/bin/sh", "-c", "nginx -s reload",
                              "--allow-exec", "nginx", "--", "/bin/ls"])
    for want in ("      - id: nginx.allow-exec.1  # --allow-exec nginx\n",
                 "          - /bin/sh\n          - -c\n          - \"nginx -s reload\"\n",
                 "      - id: nginx.allow-exec.2  # --allow-exec nginx\n        reason: the tenant "
                 "allows this command (kubectl exec)\n        argv:\n          - /bin/ls\n"):
        if want not in p.stdout:
            fail("--allow-exec: missing %r" % want)
    p = generate(layouts() + [pod, "--allow-exec", "nginx", "/bin/ls"], expect_ok=False)
    if p.returncode != 2:
        fail("--allow-exec without --: exit %d" % p.returncode)


def check_errors(tmp):
    pod = os.path.join(tmp, "tag.yaml")
    with open(os.path.join(CORPUS, "deployment", "pod.yaml")) as f:
        text = f.read()
    with open(pod, "w") as f:
        f.write(re.sub(r"@sha256:[0-9a-f]{64}", "", text))
    p = generate(layouts() + [pod], expect_ok=False)
    want = ("%s:39:18: spec.template.spec.containers[0].image: \"redis:7.4.2\" names a tag, and the "
            "guest pulls the string the pod gives; pin it in the pod: \"redis:7.4.2@sha256:"
            "94c40ee9e3a97d58d3b86fc4af3c6438f4fd2e89b46d77b1e437242207bfc09c\" (from %s/"
            "docker.io_library_redis_7.4.2)" % (pod, LAYOUTS))
    if p.returncode == 0 or want not in p.stderr:
        fail("tag-only image: exit %d, %s" % (p.returncode, p.stderr))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        check_corpus(tmp)
        check_examples()
        check_archive(tmp)
        check_platforms(tmp)
        check_initdata(tmp)
        check_allow_exec(tmp)
        check_errors(tmp)
    print("%d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

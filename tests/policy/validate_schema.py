#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Validate policies against schemas/policy.schema.json with a real validator.

Every YAML file under examples/ is either a policy or a Kubernetes manifest
(apiVersion + kind); every policy there, and every
tests/policy/fixtures/good/*.yaml, must be valid. Every
tests/policy/fixtures/bad/*.yaml must be rejected, and for the reason it
names: its "# schema: /json/pointer" line says where, and every error the
validator reports must be there or inside it (the C loader rejects the same
files with the exact error of their "# loader:" line: test-policy-examples).
Usage: validate_schema.py SOURCE_ROOT
"""
import glob
import json
import os
import re
import sys

try:
    import jsonschema
    import yaml
except ImportError as e:
    print(f"skipped: {e} (Debian: python3-jsonschema python3-yaml)")
    sys.exit(77)


def errors_of(validator, doc):
    """Every error, with those under oneOf/anyOf, as (JSON pointer, message)."""
    def walk(errs):
        for e in errs:
            yield e
            yield from walk(e.context or [])
    return [("/" + "/".join(map(str, e.absolute_path)), e.message)
            for e in walk(validator.iter_errors(doc))]


def example_files(root):
    """Every YAML file under examples/, split into policies and Kubernetes manifests."""
    policies, manifests, unknown = [], [], []
    for path in sorted(glob.glob(os.path.join(root, "examples", "**", "*.y*ml"), recursive=True)):
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        doc = docs[0] if len(docs) == 1 else None
        if docs and all(isinstance(d, dict) and "apiVersion" in d and "kind" in d for d in docs):
            manifests.append(path)  # a pod with its ConfigMaps and Secrets: several documents
        elif isinstance(doc, dict) and "version" in doc:
            policies.append(path)
        else:
            unknown.append(path)
    return policies, manifests, unknown


def main():
    root = sys.argv[1]
    with open(os.path.join(root, "schemas", "policy.schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failures = 0

    policies, manifests, unknown = example_files(root)
    for path in unknown:
        print(f"FAIL {os.path.relpath(path, root)}: neither a policy nor a Kubernetes manifest")
        failures += 1
    # Each example directory with a policy.yaml contributes it, and nothing is missed.
    dirs = sorted(d for d in glob.glob(os.path.join(root, "examples", "*"))
                  if os.path.isfile(os.path.join(d, "policy.yaml")))
    for d in dirs:
        if os.path.join(d, "policy.yaml") not in policies:
            print(f"FAIL {os.path.relpath(d, root)}/policy.yaml was not recognised as a policy")
            failures += 1
    good = policies + sorted(glob.glob(os.path.join(root, "tests", "policy", "fixtures", "good", "*.yaml")))
    bad = sorted(glob.glob(os.path.join(root, "tests", "policy", "fixtures", "bad", "*.yaml")))
    if len(dirs) < 3 or len(good) < len(dirs) + 2 or len(bad) < 8:
        print(f"too few files found under {root}: {len(dirs)} examples, {len(good)} good, "
              f"{len(bad)} bad")
        return 1

    for path in good:
        with open(path) as f:
            doc = yaml.safe_load(f)
        errors = errors_of(validator, doc)
        for where, message in errors:
            print(f"{path}: {where}: {message}")
        failures += bool(errors)
        print(f"{'ok  ' if not errors else 'FAIL'} valid:    {os.path.relpath(path, root)}")

    for path in bad:
        with open(path) as f:
            text = f.read()
        wanted = re.findall(r"^# schema: (/\S*)$", text, re.M)
        errors = errors_of(validator, yaml.safe_load(text))
        if len(wanted) != 1:
            ok, why = False, 'needs one "# schema: /json/pointer" line'
        elif not errors:
            ok, why = False, "accepted"
        else:
            stray = [e for e in errors if not (e[0] + "/").startswith(wanted[0].rstrip("/") + "/")]
            ok = not stray
            why = "; ".join(f"{w}: {m}" for w, m in stray)
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} rejected: {os.path.relpath(path, root)}"
              f"{'' if ok else ': ' + why}")
    print(f"{len(policies)} example policies, {len(manifests)} example manifests, "
          f"{len(good)} valid, {len(bad)} rejected")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

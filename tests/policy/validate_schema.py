#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Validate policies against schemas/policy.schema.json with a real validator.

Every examples/*/policy.yaml and tests/policy/fixtures/good/*.yaml must be
valid; every tests/policy/fixtures/bad/*.yaml must be rejected (the C loader
rejects them too: test-policy-rules checks the same files).
Usage: validate_schema.py SOURCE_ROOT
"""
import glob
import json
import os
import sys

try:
    import jsonschema
    import yaml
except ImportError as e:
    print(f"skipped: {e} (Debian: python3-jsonschema python3-yaml)")
    sys.exit(77)


def main():
    root = sys.argv[1]
    with open(os.path.join(root, "schemas", "policy.schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    good = sorted(glob.glob(os.path.join(root, "examples", "*", "policy.yaml")) +
                  glob.glob(os.path.join(root, "tests", "policy", "fixtures", "good", "*.yaml")))
    bad = sorted(glob.glob(os.path.join(root, "tests", "policy", "fixtures", "bad", "*.yaml")))
    if len(good) < 4 or len(bad) < 4:
        print(f"too few files found under {root}: {len(good)} good, {len(bad)} bad")
        return 1
    failures = 0
    for path in good:
        with open(path) as f:
            doc = yaml.safe_load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors:
            print(f"{path}: {'/'.join(map(str, e.path))}: {e.message}")
        failures += bool(errors)
        print(f"{'ok  ' if not errors else 'FAIL'} valid:    {os.path.relpath(path, root)}")
    for path in bad:
        with open(path) as f:
            doc = yaml.safe_load(f)
        rejected = not validator.is_valid(doc)
        failures += not rejected
        print(f"{'ok  ' if rejected else 'FAIL'} rejected: {os.path.relpath(path, root)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

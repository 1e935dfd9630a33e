#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Build the traffic corpus's images from images.json, deterministically.

For every image in images.json this writes an OCI image layout directory
(oci-layout, index.json tagged with org.opencontainers.image.ref.name, and
blobs/sha256/ holding one config, one manifest and one tiny uncompressed tar
layer) and, with --docker-archive, a docker-archive tar of the same blobs
(manifest.json with RepoTags, plus the OCI layout files, as docker 25+ writes
it). The same images.json always gives the same bytes, so the digests are
real sha256 digests of something a test can rebuild.

Prints one line per image: NAME:TAG DIGEST (the manifest digest, which the
corpus's pods and lifecycles pin). Standard library only; run with
/usr/bin/python3.
"""

import argparse
import hashlib
import io
import json
import os
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar"


def canonical(obj):
    """The one JSON encoding used for every blob: sorted keys, no spaces."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(name, tag):
    """A tar with a single small file naming the image; fixed metadata."""
    content = ("modelled image %s:%s for the ccgate traffic corpus; not the real image\n"
               % (name, tag)).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for dname in ("ccgate-corpus",):
            d = tarfile.TarInfo(dname)
            d.type = tarfile.DIRTYPE
            d.mode = 0o755
            d.mtime = 0
            d.uid = d.gid = 0
            d.uname = d.gname = ""
            tar.addfile(d)
        f = tarfile.TarInfo("ccgate-corpus/image")
        f.size = len(content)
        f.mode = 0o644
        f.mtime = 0
        f.uid = f.gid = 0
        f.uname = f.gname = ""
        tar.addfile(f, io.BytesIO(content))
    return buf.getvalue()


def build(image, created):
    """The blobs of one image: (manifest bytes, config bytes, layer bytes)."""
    layer = layer_tar(image["name"], image["tag"])
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": image["config"],
        "rootfs": {"type": "layers", "diff_ids": [sha256(layer)]},
        "history": [{"created": created,
                     "created_by": "ccgate corpus mkimages.py (modelled image)"}],
    }
    config_b = canonical(config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": {"mediaType": MT_CONFIG, "digest": sha256(config_b), "size": len(config_b)},
        "layers": [{"mediaType": MT_LAYER, "digest": sha256(layer), "size": len(layer)}],
    }
    return canonical(manifest), config_b, layer


def ref(image):
    return "%s:%s" % (image["name"], image["tag"])


def dir_name(image):
    return ref(image).replace("/", "_").replace(":", "_")


def index_for(image, manifest_b):
    return canonical({
        "schemaVersion": 2,
        "mediaType": MT_INDEX,
        "manifests": [{
            "mediaType": MT_MANIFEST,
            "digest": sha256(manifest_b),
            "size": len(manifest_b),
            "platform": {"architecture": "amd64", "os": "linux"},
            "annotations": {
                "org.opencontainers.image.ref.name": image["tag"],
                "io.containerd.image.name": ref(image),
            },
        }],
    })


def blobs_of(manifest_b, config_b, layer):
    return [(sha256(b)[len("sha256:"):], b) for b in (manifest_b, config_b, layer)]


def write_layout(root, image, manifest_b, config_b, layer):
    out = os.path.join(root, dir_name(image))
    blobdir = os.path.join(out, "blobs", "sha256")
    os.makedirs(blobdir, exist_ok=True)
    for hexd, b in blobs_of(manifest_b, config_b, layer):
        with open(os.path.join(blobdir, hexd), "wb") as f:
            f.write(b)
    with open(os.path.join(out, "oci-layout"), "wb") as f:
        f.write(canonical({"imageLayoutVersion": "1.0.0"}))
    with open(os.path.join(out, "index.json"), "wb") as f:
        f.write(index_for(image, manifest_b))
    return out


def add_member(tar, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = 0o644
    ti.mtime = 0
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    tar.addfile(ti, io.BytesIO(data))


def write_docker_archive(root, image, manifest_b, config_b, layer):
    path = os.path.join(root, dir_name(image) + ".tar")
    chex = sha256(config_b)[len("sha256:"):]
    lhex = sha256(layer)[len("sha256:"):]
    legacy = canonical([{
        "Config": "blobs/sha256/" + chex,
        "RepoTags": [ref(image)],
        "Layers": ["blobs/sha256/" + lhex],
    }])
    with open(path, "wb") as f, tarfile.open(fileobj=f, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for hexd, b in sorted(blobs_of(manifest_b, config_b, layer)):
            add_member(tar, "blobs/sha256/" + hexd, b)
        add_member(tar, "index.json", index_for(image, manifest_b))
        add_member(tar, "manifest.json", legacy)
        add_member(tar, "oci-layout", canonical({"imageLayoutVersion": "1.0.0"}))
    return path


def main():
    ap = argparse.ArgumentParser(
        description="Build the corpus images (OCI layouts, optionally docker-archive tars) "
                    "from images.json and check their digests.")
    ap.add_argument("--images", default=os.path.join(HERE, "images.json"),
                    help="the image list (default: images.json beside this script)")
    ap.add_argument("--layout", metavar="DIR",
                    help="write one OCI image layout per image under DIR")
    ap.add_argument("--docker-archive", metavar="DIR",
                    help="write one docker-archive tar per image under DIR")
    ap.add_argument("--update", action="store_true",
                    help="rewrite the digests recorded in images.json instead of checking them")
    args = ap.parse_args()

    with open(args.images) as f:
        doc = json.load(f)
    bad = 0
    for image in doc["images"]:
        manifest_b, config_b, layer = build(image, doc["created"])
        got = {"digest": sha256(manifest_b), "config_digest": sha256(config_b),
               "layer_digest": sha256(layer)}
        for k, v in got.items():
            if args.update:
                image[k] = v
            elif image.get(k) != v:
                print("mkimages: %s: %s is %s, images.json says %s"
                      % (ref(image), k, v, image.get(k)), file=sys.stderr)
                bad += 1
        if args.layout:
            write_layout(args.layout, image, manifest_b, config_b, layer)
        if args.docker_archive:
            os.makedirs(args.docker_archive, exist_ok=True)
            write_docker_archive(args.docker_archive, image, manifest_b, config_b, layer)
        print("%s %s" % (ref(image), got["digest"]))
    if args.update:
        with open(args.images, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

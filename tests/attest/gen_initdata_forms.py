#!/usr/bin/env python3
"""Initdata in the forms kata delivers it, built by Python's gzip and struct (not by
ccgate's code), for test_initdata_forms.c: the gzip of the TOML, kata's block device
image (b"initdata", the gzip's length as a little-endian u64, the gzip, zero padding
to 512 bytes: virtcontainers/hypervisor.go prepareInitdataImage), and broken ones.
Usage: gen_initdata_forms.py OUTDIR DOC.toml"""
import gzip, struct, sys, zlib

out, doc = sys.argv[1], open(sys.argv[2], "rb").read()

def write(name, data):
    with open(out + "/" + name, "wb") as f:
        f.write(data)

def image(gz, length=None, pad=b"\0"):
    b = b"initdata" + struct.pack("<Q", len(gz) if length is None else length) + gz
    return b + pad * ((-len(b)) % 512)

gz = gzip.compress(doc, mtime=0)
write("doc.toml.gz", gz)
write("doc.img", image(gz))
# What the agent does not read: padding that is not zero.
write("doc-padding.img", image(gz, pad=b"\xa5"))
# Broken gzip: two members, bytes after the member, a flipped CRC-32, cut short, a
# flipped byte in the deflate data, a bomb (5 MiB of zeros: over the 4 MiB limit).
write("two-members.gz", gz + gz)
write("trailing.gz", gz + b"\0\0\0\0")
crc = bytearray(gz); crc[-8] ^= 1
write("bad-crc.gz", bytes(crc))
write("cut.gz", gz[:len(gz) // 2])
flip = bytearray(gz); flip[12] ^= 0xff
write("corrupt.gz", bytes(flip))
write("bomb.gz", gzip.compress(b"\0" * (5 * 1024 * 1024), mtime=0))
# A raw deflate stream (no gzip header) and a zlib stream are not gzip.
write("zlib.img", image(zlib.compress(doc)))
# Broken images: header cut short, length 0, length past the end, length over the
# limit, the gzip of the image cut at the length it announces.
write("short-header.img", b"initdata\x10\0\0")
write("zero-length.img", image(b"", length=0))
write("past-end.img", (b"initdata" + struct.pack("<Q", len(gz) + 4096) + gz))
write("huge-length.img", b"initdata" + struct.pack("<Q", 1 << 40) + gz)
write("cut-inside.img", image(gz, length=len(gz) - 10))

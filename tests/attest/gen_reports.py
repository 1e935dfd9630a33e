#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Build fixture TEE reports byte for byte from the published structure layouts.

Usage: gen_reports.py OUTDIR POLICY INITDATA_SHA384 INITDATA_SHA256

Every structure is written field by field, in the order and with the sizes the
specifications give, and its total size and the offsets of the fields ccgate
reads are asserted against the offsets the specifications state. The digests come
from Python's hashlib, independently of the OpenSSL code under test. Signatures,
MACs and certificates are zero: ccgate reads its own report through the guest
kernel and does not verify signatures (that is the remote verifier's job).

Sources:
  SEV-SNP ATTESTATION_REPORT: AMD SEV-SNP ABI specification (pub. 56860),
    "ATTESTATION_REPORT Structure"; report_data 0x50, measurement 0x90,
    host_data 0xC0, signature 0x2A0, size 0x4A0.
  TDREPORT_STRUCT: Intel TDX module ABI (REPORTMACSTRUCT 256, TEE_TCB_INFO 239,
    reserved 17, TDINFO_STRUCT 512); mrconfigid at 512 + 64.
  TDX quote v4/v5: Intel TDX DCAP Quoting Library API, appendix (header 48
    bytes, TD quote body 584 bytes for TDX 1.0 / 648 for TDX 1.5; v5 adds a
    body descriptor: type u16, size u32).
"""
import hashlib
import os
import struct
import sys

NONCE = bytes(range(64))  # the REPORT_DATA the tests request from the fake configfs-tsm


class Layout:
    """Append named fields; remember where each one starts."""

    def __init__(self):
        self.buf = bytearray()
        self.off = {}

    def put(self, name, data):
        self.off[name] = len(self.buf)
        self.buf += data

    def u8(self, name, v):
        self.put(name, struct.pack("<B", v))

    def u16(self, name, v):
        self.put(name, struct.pack("<H", v))

    def u32(self, name, v):
        self.put(name, struct.pack("<I", v))

    def u64(self, name, v):
        self.put(name, struct.pack("<Q", v))

    def raw(self, name, n, data=b""):
        assert len(data) <= n, name
        self.put(name, data + bytes(n - len(data)))


def filler(tag, n):
    """Recognisable non-zero bytes for fields ccgate must not confuse with the bound one."""
    return (tag.encode() * n)[:n]


def snp_report(host_data, report_data=bytes(64), version=2):
    L = Layout()
    L.u32("version", version)
    L.u32("guest_svn", 1)
    L.u64("policy", 0x30000)
    L.raw("family_id", 16, filler("F", 16))
    L.raw("image_id", 16, filler("I", 16))
    L.u32("vmpl", 0)
    L.u32("signature_algo", 1)  # ECDSA P-384 with SHA-384
    L.u64("current_tcb", 0)
    L.u64("platform_info", 0)
    L.u32("flags", 0)
    L.u32("reserved0", 0)
    L.raw("report_data", 64, report_data)
    L.raw("measurement", 48, filler("M", 48))
    L.raw("host_data", 32, host_data)
    L.raw("id_key_digest", 48)
    L.raw("author_key_digest", 48)
    L.raw("report_id", 32, filler("R", 32))
    L.raw("report_id_ma", 32)
    L.u64("reported_tcb", 0)
    L.raw("reserved1", 24)  # cpuid fam/mod/step in version 3
    L.raw("chip_id", 64, filler("C", 64))
    L.u64("committed_tcb", 0)
    L.raw("current_version", 4)
    L.raw("committed_version", 4)
    L.u64("launch_tcb", 0)
    L.raw("reserved2", 168)
    L.raw("signature", 512)
    assert len(L.buf) == 0x4A0
    assert L.off["report_data"] == 0x50
    assert L.off["measurement"] == 0x90
    assert L.off["host_data"] == 0xC0
    assert L.off["chip_id"] == 0x1A0
    assert L.off["signature"] == 0x2A0
    return bytes(L.buf)


def tdreport(mrconfigid, report_data=bytes(64)):
    L = Layout()
    # REPORTMACSTRUCT
    L.raw("report_type", 4, bytes([0x81, 0, 0, 0]))  # type TDX, subtype, version
    L.raw("reserved_mac1", 12)
    L.raw("cpusvn", 16)
    L.raw("tee_tcb_info_hash", 48)
    L.raw("tee_info_hash", 48)
    L.raw("reportdata", 64, report_data)
    L.raw("reserved_mac2", 32)
    L.raw("mac", 32)
    assert len(L.buf) == 256
    # TEE_TCB_INFO
    L.raw("valid", 8)
    L.raw("tee_tcb_svn", 16)
    L.raw("mrseam", 48, filler("S", 48))
    L.raw("mrsignerseam", 48)
    L.raw("attributes", 8)
    L.raw("tee_tcb_svn2", 16)
    L.raw("reserved_tcb", 95)
    assert len(L.buf) == 256 + 239
    L.raw("reserved", 17)
    # TDINFO_STRUCT
    L.u64("td_attributes", 0)
    L.u64("xfam", 0xE7)
    L.raw("mrtd", 48, filler("T", 48))
    L.raw("mrconfigid", 48, mrconfigid)
    L.raw("mrowner", 48, filler("O", 48))
    L.raw("mrownerconfig", 48, filler("W", 48))
    L.raw("rtmr", 4 * 48)
    L.raw("servtd_hash", 48)
    L.raw("reserved_tdinfo", 64)
    assert len(L.buf) == 1024
    assert L.off["reportdata"] == 128
    assert L.off["td_attributes"] == 512
    assert L.off["mrconfigid"] == 576
    return bytes(L.buf)


def td_quote(mrconfigid, report_data=bytes(64), version=4):
    L = Layout()
    L.u16("version", version)
    L.u16("att_key_type", 2)  # ECDSA-256-with-P-256
    L.u32("tee_type", 0x81)
    L.u16("qe_svn", 0)
    L.u16("pce_svn", 0)
    L.raw("qe_vendor_id", 16, bytes.fromhex("939a7233f79c4ca9940a0db3957f0607"))
    L.raw("user_data", 20)
    assert len(L.buf) == 48
    if version == 5:
        L.u16("body_type", 3)  # TD report, TDX 1.5
        L.u32("body_size", 648)
    body = len(L.buf)
    L.raw("tee_tcb_svn", 16)
    L.raw("mrseam", 48, filler("S", 48))
    L.raw("mrsignerseam", 48)
    L.raw("seam_attributes", 8)
    L.raw("td_attributes", 8)
    L.raw("xfam", 8)
    L.raw("mrtd", 48, filler("T", 48))
    L.raw("mrconfigid", 48, mrconfigid)
    L.raw("mrowner", 48, filler("O", 48))
    L.raw("mrownerconfig", 48)
    L.raw("rtmr", 4 * 48)
    L.raw("report_data", 64, report_data)
    assert len(L.buf) - body == 584
    if version == 5:
        L.raw("tee_tcb_svn2", 16)
        L.raw("mrservicetd", 48)
        assert len(L.buf) - body == 648
    assert L.off["mrconfigid"] - body == 184
    assert L.off["report_data"] - body == 520
    # Quote signature data: its length and an all-zero body (not verified here).
    L.u32("signature_data_len", 64)
    L.raw("signature_data", 64)
    return bytes(L.buf)


def flip(b):
    """The same bytes with one bit changed (the lowest bit of the last byte)."""
    return b[:-1] + bytes([b[-1] ^ 1])


def main():
    out, policy_path, init384_path, init256_path = sys.argv[1:5]
    policy = open(policy_path, "rb").read()
    init384 = open(init384_path, "rb").read()
    init256 = open(init256_path, "rb").read()
    p256 = hashlib.sha256(policy).digest()
    p384 = hashlib.sha384(policy).digest()
    # Initdata: the document's own algorithm, truncated or zero-padded to the field.
    i384_snp = hashlib.sha384(init384).digest()[:32]
    i256_tdx = hashlib.sha256(init256).digest() + bytes(16)

    files = {
        "snp-good.bin": snp_report(p256),
        "snp-v3-good.bin": snp_report(p256, version=3),
        "snp-flip.bin": snp_report(flip(p256)),
        "tdx-report-good.bin": tdreport(p384),
        "tdx-report-flip.bin": tdreport(flip(p384)),
        "tdx-quote4-good.bin": td_quote(p384),
        "tdx-quote5-good.bin": td_quote(p384, version=5),
        "tdx-quote4-flip.bin": td_quote(flip(p384)),
        "snp-initdata.bin": snp_report(i384_snp),
        "tdx-initdata.bin": tdreport(i256_tdx),
        # configfs-tsm outblobs: they echo the tests' REPORT_DATA.
        "tsm-snp.bin": snp_report(p256, NONCE),
        "tsm-tdx.bin": td_quote(p384, NONCE),
        "tsm-snp-stale.bin": snp_report(p256, bytes(64)),
    }
    os.makedirs(out, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attestation binding: enforce only the policy the TEE hardware vouches for.
 *
 * The host puts a digest of the tenant's policy into a launch-time field that the
 * TEE then reports and signs: SEV-SNP HOST_DATA (32 bytes), TDX MRCONFIGID
 * (48 bytes). ccgate reads its own report from inside the guest, extracts that field
 * and compares it with the digest of the policy it is about to enforce. Two bindings:
 *
 *   DIRECT    the field is SHA-256 (SNP) / SHA-384 (TDX) of the exact policy bytes;
 *   INITDATA  the field is the digest of a CoCo initdata TOML document (algorithm
 *             named in the document), truncated or zero-padded to the field as the
 *             kata runtime does; the policy travels in the document under
 *             [data] "ccgate.yaml".
 *
 * No network I/O and no logging here: the daemon logs the verdicts. A verdict (bound or
 * not, and why) is not an error; functions return -errno only for bad arguments or
 * allocation failure.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATTEST_SNP_HOST_DATA_LEN 32
#define ATTEST_TDX_MRCONFIGID_LEN 48
#define ATTEST_FIELD_MAX 48
#define ATTEST_DIGEST_MAX 64 /* SHA-512 */
#define ATTEST_REPORT_DATA_LEN 64
/* The largest report we accept: the kernel's TSM_OUTBLOB_MAX (32 KiB). */
#define ATTEST_REPORT_MAX (32u * 1024u)
/* Initdata and policies are bounded by the ttRPC frame limit. */
#define ATTEST_INPUT_MAX (4u * 1024u * 1024u)
/* Where the policy lives inside an initdata document's [data] table. */
#define ATTEST_INITDATA_POLICY_KEY "ccgate.yaml"
/* The kata agent's own policy beside it, which the agent reads (its initdata.rs). */
#define ATTEST_INITDATA_AGENT_POLICY_KEY "policy.rego"
/*
 * The block device kata attaches (virtcontainers/hypervisor.go prepareInitdataImage,
 * runtime-rs coco_data/initdata_block.rs; read by the agent's initdata.rs): the
 * 8 bytes "initdata", the length of the gzip data as a little-endian u64, the gzip
 * of the TOML document, zero padding to a 512-byte sector.
 */
#define ATTEST_INITDATA_MAGIC "initdata"
#define ATTEST_INITDATA_HEADER_LEN 16u

enum attest_tee {
        ATTEST_TEE_NONE, /* development: no attestation, explicitly requested */
        ATTEST_TEE_AUTO, /* whatever the guest offers: configfs-tsm, then the devices */
        ATTEST_TEE_SNP,
        ATTEST_TEE_TDX,
        _ATTEST_TEE_MAX,
        _ATTEST_TEE_INVALID = -EINVAL,
};

enum attest_binding {
        ATTEST_BINDING_DIRECT,
        ATTEST_BINDING_INITDATA,
        _ATTEST_BINDING_MAX,
        _ATTEST_BINDING_INVALID = -EINVAL,
};

enum attest_hash {
        ATTEST_HASH_SHA256,
        ATTEST_HASH_SHA384,
        ATTEST_HASH_SHA512,
        _ATTEST_HASH_MAX,
        _ATTEST_HASH_INVALID = -EINVAL,
};

/* The shape of the report bytes the bound field was read from. */
enum attest_format {
        ATTEST_FORMAT_SNP_REPORT,  /* AMD SEV-SNP ATTESTATION_REPORT */
        ATTEST_FORMAT_TDX_REPORT,  /* Intel TDX TDREPORT_STRUCT (1024 bytes) */
        ATTEST_FORMAT_TDX_QUOTE,   /* Intel TDX DCAP quote, version 4 or 5 */
        _ATTEST_FORMAT_MAX,
        _ATTEST_FORMAT_INVALID = -EINVAL,
};

/*
 * Where to read the report from. NULL paths take the defaults
 * (/sys/kernel/config/tsm, /dev/sev-guest, /dev/tdx_guest). Everything is
 * injectable so tests can use fixture trees and files.
 */
struct attest_config {
        enum attest_tee tee;
        enum attest_binding binding;
        const char *tsm_root;      /* holds report/; "" disables configfs-tsm */
        const char *tsm_entry;     /* entry name under report/; default "ccgate-<pid>" */
        const char *sev_guest_dev; /* "" disables */
        const char *tdx_guest_dev; /* "" disables */
        const char *report_file;   /* raw report bytes; when set, nothing else is read */
        /* REPORT_DATA to request; NULL: 64 fresh random bytes. The report must echo it. */
        const uint8_t *report_data;
};

/* A verdict and what it was based on; every string is NUL-terminated. */
struct attest_result {
        bool bound;        /* the attested field equals the digest of the given bytes */
        bool dev_mode;     /* --tee none: nothing attested, explicitly */
        bool have_report;  /* a report was read and parsed; tee/format/field valid */
        enum attest_tee tee;
        enum attest_format format;
        char tee_name[16]; /* "snp", "tdx", "none" or "unknown" */
        char source[64];   /* "configfs-tsm (sev_guest)", "/dev/tdx_guest", "report file" */
        uint8_t field[ATTEST_FIELD_MAX]; /* HOST_DATA or MRCONFIGID as reported */
        size_t field_len;
        char actual_hex[2 * ATTEST_FIELD_MAX + 1];
        char expected_hex[2 * ATTEST_FIELD_MAX + 1];
        /* Human reason; the proxy uses it verbatim in every denial when !bound. */
        char reason[512];
};

/* An initdata document, parsed. policy points into a heap copy owned by the struct. */
struct attest_initdata {
        enum attest_hash algorithm;
        char *policy; /* the [data] "ccgate.yaml" string, unescaped, NUL-terminated */
        size_t policy_len;
        bool has_agent_policy; /* [data] "policy.rego" is there (for the agent) */
        size_t agent_policy_len;
};

/* Names for printing and option parsing; from_string returns -EINVAL when unknown. */
const char *attest_tee_to_string(enum attest_tee t);
enum attest_tee attest_tee_from_string(const char *s);
const char *attest_hash_to_string(enum attest_hash h);

/* Digest of buf with h into out (ATTEST_DIGEST_MAX bytes); *ret_len = digest size. */
int attest_digest(enum attest_hash h, const void *buf, size_t len, uint8_t out[ATTEST_DIGEST_MAX],
                  size_t *ret_len);

/* The same as lowercase hex into ret; -ENOBUFS when ret_len cannot take it and its NUL. */
int attest_digest_hex(enum attest_hash h, const void *buf, size_t len, char *ret, size_t ret_len);

/*
 * Length of the bound field for tee (32 for SNP, 48 for TDX) or -EINVAL for
 * NONE/AUTO.
 */
int attest_field_len(enum attest_tee tee);

/*
 * The value the host puts into the TEE's field for these bytes: DIRECT is SHA-256
 * (SNP) or SHA-384 (TDX) of the bytes; INITDATA validates the document and returns
 * its digest truncated or zero-padded to the field. Returns the field length.
 * -EBADMSG (with a reason in why, if given) when the initdata document is invalid.
 */
int attest_expected_field(enum attest_tee tee, enum attest_binding b, const uint8_t *buf,
                          size_t len, uint8_t out[ATTEST_FIELD_MAX], char *why, size_t why_len);

/*
 * Parse an initdata TOML document strictly: version = "0.1.0", algorithm =
 * sha256|sha384|sha512, one [data] table of string values that must hold
 * ATTEST_INITDATA_POLICY_KEY. Anything else (other tables, arrays, numbers,
 * unknown keys, duplicate keys, unsupported escapes) is rejected with -EBADMSG
 * and a reason in why (which may be NULL). ret is untouched on failure; release
 * with attest_initdata_done().
 */
int attest_initdata_parse(const uint8_t *doc, size_t len, struct attest_initdata *ret, char *why,
                          size_t why_len);
void attest_initdata_done(struct attest_initdata *d);

/* The forms an initdata document arrives in. */
enum attest_initdata_form {
        ATTEST_INITDATA_TOML,  /* the document itself (as the agent writes it out) */
        ATTEST_INITDATA_GZIP,  /* one gzip member holding it */
        ATTEST_INITDATA_BLOCK, /* kata's block device image: header, gzip, padding */
        _ATTEST_INITDATA_FORM_MAX,
        _ATTEST_INITDATA_FORM_INVALID = -EINVAL,
};

const char *attest_initdata_form_to_string(enum attest_initdata_form f);

/*
 * The TOML document in buf, by its first bytes: the block header's magic, the gzip
 * magic (1f 8b), or else the document as it is. The gzip data must be exactly one
 * member, end where the block header says (or where buf ends), pass its CRC and
 * length checks, and decompress to at most ATTEST_INPUT_MAX bytes; the block
 * image's padding after the gzip data is not read, as the agent does not read it.
 * Returns 0 with *ret (heap, free()), *ret_len and *ret_form; -EBADMSG with a
 * reason in why (may be NULL) when the bytes are none of the forms; -ENOMEM.
 * Digests cover the TOML document: what kata digests and the agent writes out.
 */
int attest_initdata_unpack(const uint8_t *buf, size_t len, uint8_t **ret, size_t *ret_len,
                           enum attest_initdata_form *ret_form, char *why, size_t why_len);

/*
 * Read path (a file, a block device, "-" for standard input) and unpack it. A block
 * device is read to the end of the gzip data its header announces; anything else
 * whole, bounded (the document's limit, plus the header and a sector of padding).
 * Returns as attest_initdata_unpack(), or the -errno of opening or reading with
 * the reason in why (which does not repeat path).
 */
int attest_initdata_read(const char *path, uint8_t **ret, size_t *ret_len,
                         enum attest_initdata_form *ret_form, char *why, size_t why_len);

/* The pod annotation kata reads the document from. */
#define ATTEST_INITDATA_ANNOTATION "io.katacontainers.config.hypervisor.cc_init_data"

/*
 * The annotation's value for the TOML document doc: base64 (standard alphabet,
 * padded) of its gzip (one member, no name, time 0), as kata's runtimes decode it
 * (virtcontainers pkg/oci utils.go addHypervisorInitdataOverrides). Returns 0 with
 * *ret (heap, NUL-terminated), -E2BIG over ATTEST_INPUT_MAX, -ENOMEM.
 */
int attest_initdata_annotation(const uint8_t *doc, size_t len, char **ret);

/*
 * Parse raw report bytes. expect narrows the accepted formats (SNP or TDX; AUTO
 * tries all). Fills the TEE, format, bound field and the echoed REPORT_DATA.
 * -EBADMSG when the bytes are not a report this module understands.
 */
int attest_report_parse(const uint8_t *buf, size_t len, enum attest_tee expect,
                        enum attest_tee *ret_tee, enum attest_format *ret_format,
                        uint8_t ret_field[ATTEST_FIELD_MAX], size_t *ret_field_len,
                        uint8_t ret_report_data[ATTEST_REPORT_DATA_LEN]);

/*
 * Read this guest's report as c says and record it in ret (bound = false). When
 * no report can be read, have_report is false and reason says what was tried.
 * tee NONE gives dev_mode. Returns 0 with a verdict in ret, -EINVAL on bad args.
 */
int attest_measure(const struct attest_config *c, struct attest_result *ret);

/*
 * Compare a measurement with the digest of buf (policy or initdata by b) in
 * constant time. ret is a copy of measured with bound, expected_hex and reason
 * filled. Without a report the verdict keeps measured's reason; in dev mode the
 * result stays unbound with dev_mode set.
 */
int attest_match(const struct attest_result *measured, enum attest_binding b, const uint8_t *buf,
                 size_t len, struct attest_result *ret);

/* attest_measure() then attest_match() with c->binding: the check at `ccgate run`. */
int attest_verify_policy(const struct attest_config *c, const uint8_t *buf, size_t len,
                         struct attest_result *ret);

/*
 * A policy delivered by SetPolicyRequest: accepted (ret->bound) only if its
 * SHA-256/SHA-384 matches the field measured at start. Under the INITDATA binding
 * the policy comes from initdata, and SetPolicy is always refused. Dev mode
 * accepts nothing as bound; the caller decides (and records) what dev mode allows.
 * Sealing (refusing a second SetPolicy) is the caller's state.
 */
int attest_check_setpolicy(const struct attest_config *c, const struct attest_result *measured,
                           const uint8_t *policy, size_t len, struct attest_result *ret);

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attestation binding against fixture reports built by gen_reports.py from the
 * published SEV-SNP and TDX layouts (digests from Python's hashlib, not from the
 * OpenSSL code under test), a fake configfs-tsm tree in a temporary directory,
 * and initdata known answers computed with coreutils.
 *
 * Usage: test-attest FIXTURE_DIR SOURCE_DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "attest.h"
#include "cleanup.h"

static const char *fixdir, *srcdir;
static uint8_t *policy, *init384, *init256, *init512;
static size_t policy_len, init384_len, init256_len, init512_len;

/*
 * Known answers, computed independently with coreutils on the committed files:
 *   sha256sum tests/attest/policy.yaml
 *   sha384sum tests/attest/policy.yaml
 *   sha384sum tests/attest/initdata-sha384.toml  (SNP: first 32 bytes)
 *   sha256sum tests/attest/initdata-sha256.toml  (TDX: zero-padded to 48 bytes)
 * (run once on 2026-11-22 and pasted here; the files must not change).
 */
#define KAT_POLICY_SHA256 "2c3a5b3dc16c393da2ecfe535dd1c6df6bc70ea82473e82954a9dd3aea39214d"
#define KAT_POLICY_SHA384                                                                   \
        "3d49c7a92e605f2b68ae91a34b9fc68ae526f436ad60488a0ca245247d4e2d173242377b1bfe4a6c" \
        "e2f48a01da9c205a"
#define KAT_INIT384_SNP "a232812ab79a3585de8bab1b4c5cf3cb948f767513a85bf36cd6dde76e991b1c"
#define KAT_INIT256_TDX                                                                     \
        "8c4c1524d1dc8d04e57c5e748c55511b41c6f9bff9a3bd3dcba21068bac59357"                 \
        "00000000000000000000000000000000"
/* sha512sum tests/attest/initdata-sha512.toml, first 48 and first 32 bytes. */
#define KAT_INIT512_TDX                                                                     \
        "15563d2bd1390f54eba5480f1779b30ecab06e10a17dd595a422b42faa875105b011f5e3310d2d90" \
        "1ca1f88e3e27611c"
#define KAT_INIT512_SNP "15563d2bd1390f54eba5480f1779b30ecab06e10a17dd595a422b42faa875105"

static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
        char path[4096];
        uint8_t *b;
        FILE *f;
        long n;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "rbe");
        if (!f)
                fail_msg("cannot open %s: %s", path, strerror(errno));
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        assert_true(n >= 0);
        rewind(f);
        b = malloc((size_t)n + 1);
        assert_non_null(b);
        assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        *len = (size_t)n;
        return b;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
        for (size_t i = 0; i < n; i++)
                sprintf(out + 2 * i, "%02x", b[i]);
        out[2 * n] = '\0';
}

/* A config that reads only the fixture file: no configfs, no devices. */
static struct attest_config file_config(enum attest_tee tee, const char *name, char *path,
                                        size_t path_len)
{
        snprintf(path, path_len, "%s/%s", fixdir, name);
        return (struct attest_config){
                .tee = tee, .binding = ATTEST_BINDING_DIRECT, .tsm_root = "",
                .sev_guest_dev = "", .tdx_guest_dev = "", .report_file = path,
        };
}

static void verify_file(enum attest_tee tee, enum attest_binding b, const char *name,
                        const uint8_t *buf, size_t len, struct attest_result *res)
{
        char path[4096];
        struct attest_config c = file_config(tee, name, path, sizeof(path));

        c.binding = b;
        memset(res, 0xA5, sizeof(*res));
        assert_int_equal(attest_verify_policy(&c, buf, len, res), 0);
}

/* ---- digests and known answers ---- */

static void test_digest_kat(void **state)
{
        uint8_t d[ATTEST_DIGEST_MAX], f[ATTEST_FIELD_MAX];
        char h[2 * ATTEST_DIGEST_MAX + 1];
        size_t n = 0;
        (void)state;

        assert_int_equal(attest_digest(ATTEST_HASH_SHA256, policy, policy_len, d, &n), 0);
        assert_int_equal(n, 32);
        hex(d, n, h);
        assert_string_equal(h, KAT_POLICY_SHA256);
        assert_int_equal(attest_digest(ATTEST_HASH_SHA384, policy, policy_len, d, &n), 0);
        assert_int_equal(n, 48);
        hex(d, n, h);
        assert_string_equal(h, KAT_POLICY_SHA384);

        assert_int_equal(attest_expected_field(ATTEST_TEE_SNP, ATTEST_BINDING_DIRECT, policy,
                                               policy_len, f, NULL, 0), 32);
        hex(f, 32, h);
        assert_string_equal(h, KAT_POLICY_SHA256);
        assert_int_equal(attest_expected_field(ATTEST_TEE_TDX, ATTEST_BINDING_DIRECT, policy,
                                               policy_len, f, NULL, 0), 48);
        hex(f, 48, h);
        assert_string_equal(h, KAT_POLICY_SHA384);
        assert_int_equal(attest_expected_field(ATTEST_TEE_AUTO, ATTEST_BINDING_DIRECT, policy,
                                               policy_len, f, NULL, 0), -EINVAL);
}

/* SHA-384 document on SNP: truncated to 32; SHA-256 document on TDX: zero-padded to 48. */
static void test_initdata_truncate_pad(void **state)
{
        uint8_t f[ATTEST_FIELD_MAX];
        char h[2 * ATTEST_FIELD_MAX + 1];
        (void)state;

        assert_int_equal(attest_expected_field(ATTEST_TEE_SNP, ATTEST_BINDING_INITDATA, init384,
                                               init384_len, f, NULL, 0), 32);
        hex(f, 32, h);
        assert_string_equal(h, KAT_INIT384_SNP);
        /* The bytes past the field are zero: nothing of the longer digest leaks out. */
        for (size_t i = 32; i < ATTEST_FIELD_MAX; i++)
                assert_int_equal(f[i], 0);
        assert_int_equal(attest_expected_field(ATTEST_TEE_TDX, ATTEST_BINDING_INITDATA, init256,
                                               init256_len, f, NULL, 0), 48);
        hex(f, 48, h);
        assert_string_equal(h, KAT_INIT256_TDX);
        /* SHA-512 is longer than either field: truncated on both. */
        assert_int_equal(attest_expected_field(ATTEST_TEE_TDX, ATTEST_BINDING_INITDATA, init512,
                                               init512_len, f, NULL, 0), 48);
        hex(f, 48, h);
        assert_string_equal(h, KAT_INIT512_TDX);
        assert_int_equal(attest_expected_field(ATTEST_TEE_SNP, ATTEST_BINDING_INITDATA, init512,
                                               init512_len, f, NULL, 0), 32);
        hex(f, 32, h);
        assert_string_equal(h, KAT_INIT512_SNP);
        for (size_t i = 32; i < ATTEST_FIELD_MAX; i++)
                assert_int_equal(f[i], 0);
}

static void test_initdata_parse_ok(void **state)
{
        struct attest_initdata id = {};
        char why[256] = "";
        static const char want[] = "version: 1\nmode: enforce\nrequests:\n  CreateSandbox: allow\n";
        (void)state;

        assert_int_equal(attest_initdata_parse(init384, init384_len, &id, why, sizeof(why)), 0);
        assert_int_equal(id.algorithm, ATTEST_HASH_SHA384);
        assert_int_equal(id.policy_len, strlen(want));
        assert_string_equal(id.policy, want);
        attest_initdata_done(&id);

        assert_int_equal(attest_initdata_parse(init256, init256_len, &id, why, sizeof(why)), 0);
        assert_int_equal(id.algorithm, ATTEST_HASH_SHA256);
        assert_string_equal(id.policy, "version: 1\nmode: audit\n");
        attest_initdata_done(&id);

        /* Multi-line basic string: escapes apply, the first newline is trimmed. */
        assert_int_equal(attest_initdata_parse(init512, init512_len, &id, why, sizeof(why)), 0);
        assert_int_equal(id.algorithm, ATTEST_HASH_SHA512);
        assert_string_equal(id.policy, "version: 1\nmode: enforce # \"quoted\" and \\ escaped\n");
        attest_initdata_done(&id);
}

/* Bad documents and the exact reason each must give. */
static void test_initdata_parse_bad(void **state)
{
        static const struct {
                const char *doc, *why;
        } bad[] = {
                { "version = \"0.1.0\"\n[data]\n\"ccgate.yaml\" = \"x\"\n",
                  "initdata: algorithm must be sha256, sha384 or sha512" },
                { "version = \"0.1.0\"\nalgorithm = \"md5\"\n[data]\n\"ccgate.yaml\" = \"x\"\n",
                  "initdata: algorithm must be sha256, sha384 or sha512" },
                { "version = \"0.2.0\"\nalgorithm = \"sha256\"\n[data]\n\"ccgate.yaml\" = \"x\"\n",
                  "initdata: version must be \"0.1.0\"" },
                { "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n\"policy.rego\" = \"x\"\n",
                  "initdata: no [data] \"ccgate.yaml\" policy" },
                { "version = \"0.1.0\"\nalgorithm = \"sha256\"\nextra = \"1\"\n",
                  "initdata line 3: unknown top-level key (expected version, algorithm, [data])" },
                { "version = \"0.1.0\"\nversion = \"0.1.0\"\n",
                  "initdata line 2: duplicate key" },
                { "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\na = \"1\"\na = \"2\"\n",
                  "initdata line 5: duplicate key in [data]" },
                { "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[other]\n",
                  "initdata line 3: the only table allowed is [data]" },
                { "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[[data]]\n",
                  "initdata line 3: arrays of tables are not supported" },
                { "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n[data]\n",
                  "initdata line 4: [data] defined twice" },
                { "version = 1\n", "initdata line 1: expected a string value" },
                { "version = \"0.1.0\" trailing\n",
                  "initdata line 1: unexpected text after the value" },
                { "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n\"ccgate.yaml\" = \"\\u0041\"\n",
                  "initdata line 4: unsupported escape sequence" },
                { "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n\"ccgate.yaml\" = '''open\n",
                  "initdata line 5: unterminated string" },
                { "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n\"ccgate.yaml\" = \"a\nb\"\n",
                  "initdata line 4: newline in a single-line string" },
                { "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\nccgate.yaml = \"x\"\n",
                  "initdata line 4: dotted keys are not supported" },
                { "version \"0.1.0\"\n", "initdata line 1: expected '=' after the key" },
                { "= \"0.1.0\"\n", "initdata line 1: expected a key" },
                { "version = \"0.1\x01\"\n", "initdata line 1: control character in a string" },
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct attest_initdata id = { .policy = (char *)"untouched" };
                char why[256] = "";
                int r = attest_initdata_parse((const uint8_t *)bad[i].doc, strlen(bad[i].doc), &id,
                                              why, sizeof(why));

                if (r != -EBADMSG || strcmp(why, bad[i].why) != 0)
                        fail_msg("case %zu: r=%d why='%s', want '%s'", i, r, why, bad[i].why);
                assert_string_equal(id.policy, "untouched");
        }

        /* A NUL byte anywhere, and a document over the bound, are refused. */
        {
                static const uint8_t nul[] = "version = \"0.1.0\"\0\n";
                struct attest_initdata id;

                assert_int_equal(attest_initdata_parse(nul, sizeof(nul) - 1, &id, NULL, 0), -EBADMSG);
                assert_int_equal(attest_initdata_parse(nul, ATTEST_INPUT_MAX + 1, &id, NULL, 0),
                                 -EBADMSG);
        }
}

/*
 * Every prefix of each document, and each byte replaced by the characters that
 * steer the reader, gives either a document or -EBADMSG: never another error, a
 * crash, or (under the sanitizers) a read out of bounds.
 */
static void test_initdata_mutations(void **state)
{
        static const char steer[] = { '"', '\'', '\n', '\\', '[', ']', '=', '#', '.', ' ', '\r', 0 };
        const uint8_t *docs[] = { init384, init256, init512 };
        const size_t lens[] = { init384_len, init256_len, init512_len };
        (void)state;

        for (size_t d = 0; d < ELEMENTSOF(docs); d++) {
                _cleanup_free_ uint8_t *m = malloc(lens[d]);

                assert_non_null(m);
                for (size_t cut = 0; cut <= lens[d]; cut++) {
                        struct attest_initdata id;
                        int r = attest_initdata_parse(docs[d], cut, &id, NULL, 0);

                        assert_true(r == 0 || r == -EBADMSG);
                        if (r == 0)
                                attest_initdata_done(&id);
                }
                for (size_t i = 0; i < lens[d]; i++)
                        for (size_t k = 0; k < ELEMENTSOF(steer); k++) {
                                struct attest_initdata id;
                                char why[256];
                                int r;

                                memcpy(m, docs[d], lens[d]);
                                m[i] = (uint8_t)steer[k];
                                r = attest_initdata_parse(m, lens[d], &id, why, sizeof(why));
                                if (r != 0 && r != -EBADMSG)
                                        fail_msg("doc %zu byte %zu -> 0x%02x: %d", d, i, steer[k], r);
                                if (r == 0)
                                        attest_initdata_done(&id);
                        }
        }
}

/* ---- fixture reports ---- */

static void test_snp_bound(void **state)
{
        static const char *const files[] = { "snp-good.bin", "snp-v3-good.bin" };
        struct attest_result r;
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                verify_file(ATTEST_TEE_SNP, ATTEST_BINDING_DIRECT, files[i], policy, policy_len, &r);
                assert_true(r.bound);
                assert_false(r.dev_mode);
                assert_true(r.have_report);
                assert_string_equal(r.tee_name, "snp");
                assert_int_equal(r.format, ATTEST_FORMAT_SNP_REPORT);
                assert_string_equal(r.actual_hex, KAT_POLICY_SHA256);
                assert_string_equal(r.expected_hex, KAT_POLICY_SHA256);
        }
        /* AUTO recognises the report on its own. */
        verify_file(ATTEST_TEE_AUTO, ATTEST_BINDING_DIRECT, "snp-good.bin", policy, policy_len, &r);
        assert_true(r.bound);
        assert_int_equal(r.tee, ATTEST_TEE_SNP);
}

static void test_snp_one_bit(void **state)
{
        struct attest_result r;
        char want[sizeof(r.reason)], flipped[65];
        (void)state;

        /* The fixture flips the lowest bit of host_data's last byte (0x4d -> 0x4c). */
        snprintf(flipped, sizeof(flipped), "%s", KAT_POLICY_SHA256);
        flipped[63] = 'c';
        verify_file(ATTEST_TEE_SNP, ATTEST_BINDING_DIRECT, "snp-flip.bin", policy, policy_len, &r);
        assert_false(r.bound);
        assert_true(r.have_report);
        snprintf(want, sizeof(want),
                 "policy not attested: snp HOST_DATA is %s, the policy digest is %s", flipped,
                 KAT_POLICY_SHA256);
        assert_string_equal(r.reason, want);
}

static void test_tdx_bound(void **state)
{
        static const struct {
                const char *file;
                enum attest_format fmt;
        } ok[] = {
                { "tdx-report-good.bin", ATTEST_FORMAT_TDX_REPORT },
                { "tdx-quote4-good.bin", ATTEST_FORMAT_TDX_QUOTE },
                { "tdx-quote5-good.bin", ATTEST_FORMAT_TDX_QUOTE },
        };
        struct attest_result r;
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                verify_file(ATTEST_TEE_TDX, ATTEST_BINDING_DIRECT, ok[i].file, policy, policy_len, &r);
                if (!r.bound)
                        fail_msg("%s: %s", ok[i].file, r.reason);
                assert_int_equal(r.format, ok[i].fmt);
                assert_string_equal(r.tee_name, "tdx");
                assert_string_equal(r.actual_hex, KAT_POLICY_SHA384);
                verify_file(ATTEST_TEE_AUTO, ATTEST_BINDING_DIRECT, ok[i].file, policy, policy_len, &r);
                assert_true(r.bound);
        }
}

static void test_tdx_one_bit(void **state)
{
        static const char *const files[] = { "tdx-report-flip.bin", "tdx-quote4-flip.bin" };
        struct attest_result r;
        char want[sizeof(r.reason)], flipped[97];
        (void)state;

        snprintf(flipped, sizeof(flipped), "%s", KAT_POLICY_SHA384);
        flipped[95] = 'b'; /* ...5a -> ...5b */
        snprintf(want, sizeof(want),
                 "policy not attested: tdx MRCONFIGID is %s, the policy digest is %s", flipped,
                 KAT_POLICY_SHA384);
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                verify_file(ATTEST_TEE_TDX, ATTEST_BINDING_DIRECT, files[i], policy, policy_len, &r);
                assert_false(r.bound);
                assert_string_equal(r.reason, want);
        }
}

/* The SNP report's HOST_DATA is not a TDX field: asking for TDX must not accept it. */
static void test_wrong_tee(void **state)
{
        struct attest_result r;
        (void)state;

        verify_file(ATTEST_TEE_TDX, ATTEST_BINDING_DIRECT, "snp-good.bin", policy, policy_len, &r);
        assert_false(r.bound);
        assert_false(r.have_report);
        assert_non_null(strstr(r.reason, "not understood (1184 bytes): not a TDX report"));
        verify_file(ATTEST_TEE_SNP, ATTEST_BINDING_DIRECT, "tdx-report-good.bin", policy,
                    policy_len, &r);
        assert_false(r.bound);
        assert_non_null(strstr(r.reason, "not a SEV-SNP report"));
}

static void test_initdata_reports(void **state)
{
        struct attest_result r;
        (void)state;

        verify_file(ATTEST_TEE_SNP, ATTEST_BINDING_INITDATA, "snp-initdata.bin", init384,
                    init384_len, &r);
        assert_true(r.bound);
        assert_string_equal(r.actual_hex, KAT_INIT384_SNP);
        verify_file(ATTEST_TEE_TDX, ATTEST_BINDING_INITDATA, "tdx-initdata.bin", init256,
                    init256_len, &r);
        assert_true(r.bound);
        assert_string_equal(r.actual_hex, KAT_INIT256_TDX);
        /* The other document is not the attested one. */
        verify_file(ATTEST_TEE_SNP, ATTEST_BINDING_INITDATA, "snp-initdata.bin", init256,
                    init256_len, &r);
        assert_false(r.bound);
        assert_non_null(strstr(r.reason, "the initdata digest is"));
        /* A document the reader refuses is not bound, and says why. */
        verify_file(ATTEST_TEE_SNP, ATTEST_BINDING_INITDATA, "snp-initdata.bin", policy,
                    policy_len, &r);
        assert_false(r.bound);
        assert_non_null(strstr(r.reason, "policy not bound: initdata line "));
}

static void test_tee_none(void **state)
{
        struct attest_config c = { .tee = ATTEST_TEE_NONE, .tsm_root = "/nonexistent" };
        struct attest_result r;
        (void)state;

        assert_int_equal(attest_verify_policy(&c, policy, policy_len, &r), 0);
        assert_false(r.bound);
        assert_true(r.dev_mode);
        assert_false(r.have_report);
        assert_string_equal(r.tee_name, "none");
        assert_non_null(strstr(r.reason, "development mode"));
}

static void test_missing_tee(void **state)
{
        struct attest_config c = {
                .tee = ATTEST_TEE_AUTO, .tsm_root = "/nonexistent-tsm",
                .sev_guest_dev = "/nonexistent/sev-guest", .tdx_guest_dev = "/nonexistent/tdx_guest",
        };
        struct attest_result r;
        (void)state;

        assert_int_equal(attest_verify_policy(&c, policy, policy_len, &r), 0);
        assert_false(r.bound);
        assert_false(r.dev_mode);
        assert_false(r.have_report);
        assert_string_equal(r.reason,
                            "TEE report unreadable: configfs-tsm /nonexistent-tsm/report: No such "
                            "file or directory; /nonexistent/sev-guest: No such file or directory; "
                            "/nonexistent/tdx_guest: No such file or directory");
        /* A device that exists but is not a TEE device. */
        c.tsm_root = "";
        c.sev_guest_dev = "/dev/null";
        c.tdx_guest_dev = "";
        assert_int_equal(attest_verify_policy(&c, policy, policy_len, &r), 0);
        assert_false(r.bound);
        assert_non_null(strstr(r.reason, "TEE report unreadable: /dev/null SNP_GET_REPORT: "));
}

/* ---- a fake configfs-tsm tree ---- */

struct tsm_tree {
        char root[256];
        char entry[320];
};

/*
 * A real configfs creates inblob/outblob/provider on mkdir and generates the report
 * when outblob is read; a plain directory cannot, so the entry is pre-populated
 * with the provider and an outblob that already echoes the REPORT_DATA (bytes
 * 0..63) the test requests.
 */
static void tsm_make(struct tsm_tree *t, const char *provider, const char *outblob_fixture)
{
        char p[512];
        size_t n;
        _cleanup_free_ uint8_t *blob = NULL;
        FILE *f;

        snprintf(t->root, sizeof(t->root), "%s/tsm-XXXXXX", P_tmpdir);
        assert_non_null(mkdtemp(t->root));
        snprintf(p, sizeof(p), "%s/report", t->root);
        assert_int_equal(mkdir(p, 0700), 0);
        snprintf(t->entry, sizeof(t->entry), "%s/report/test", t->root);
        assert_int_equal(mkdir(t->entry, 0700), 0);
        snprintf(p, sizeof(p), "%s/provider", t->entry);
        f = fopen(p, "we");
        assert_non_null(f);
        fprintf(f, "%s\n", provider);
        fclose(f);
        snprintf(p, sizeof(p), "%s/inblob", t->entry);
        f = fopen(p, "we");
        assert_non_null(f);
        fclose(f);
        blob = slurp(fixdir, outblob_fixture, &n);
        snprintf(p, sizeof(p), "%s/outblob", t->entry);
        f = fopen(p, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(blob, 1, n, f), n);
        fclose(f);
}

static void tsm_remove(struct tsm_tree *t)
{
        static const char *const files[] = { "provider", "inblob", "outblob" };
        char p[512];

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                snprintf(p, sizeof(p), "%s/%s", t->entry, files[i]);
                (void)unlink(p);
        }
        (void)rmdir(t->entry);
        snprintf(p, sizeof(p), "%s/report", t->root);
        (void)rmdir(p);
        (void)rmdir(t->root);
}

static uint8_t nonce[ATTEST_REPORT_DATA_LEN];

static struct attest_config tsm_config(const struct tsm_tree *t, enum attest_tee tee)
{
        return (struct attest_config){
                .tee = tee, .binding = ATTEST_BINDING_DIRECT, .tsm_root = t->root,
                .tsm_entry = "test", .sev_guest_dev = "", .tdx_guest_dev = "",
                .report_data = nonce,
        };
}

static void test_tsm_snp(void **state)
{
        struct tsm_tree t;
        struct attest_config c;
        struct attest_result r;
        uint8_t in[2 * ATTEST_REPORT_DATA_LEN];
        char p[512];
        size_t n;
        (void)state;

        tsm_make(&t, "sev_guest", "tsm-snp.bin");
        c = tsm_config(&t, ATTEST_TEE_AUTO);
        assert_int_equal(attest_verify_policy(&c, policy, policy_len, &r), 0);
        if (!r.bound)
                fail_msg("%s", r.reason);
        assert_string_equal(r.source, "configfs-tsm (sev_guest)");
        assert_string_equal(r.tee_name, "snp");
        /* What ccgate wrote to inblob: exactly the 64 REPORT_DATA bytes. */
        snprintf(p, sizeof(p), "%s/inblob", t.entry);
        {
                FILE *f = fopen(p, "rbe");

                assert_non_null(f);
                n = fread(in, 1, sizeof(in), f);
                fclose(f);
        }
        assert_int_equal(n, ATTEST_REPORT_DATA_LEN);
        assert_memory_equal(in, nonce, ATTEST_REPORT_DATA_LEN);

        /* The same tree while --tee tdx is asked for: refused, with both named. */
        c = tsm_config(&t, ATTEST_TEE_TDX);
        assert_int_equal(attest_verify_policy(&c, policy, policy_len, &r), 0);
        assert_false(r.bound);
        assert_string_equal(r.reason,
                            "TEE report from configfs-tsm (sev_guest) is snp, but --tee tdx");
        tsm_remove(&t);
}

static void test_tsm_tdx_quote(void **state)
{
        struct tsm_tree t;
        struct attest_config c;
        struct attest_result r;
        (void)state;

        tsm_make(&t, "tdx_guest", "tsm-tdx.bin");
        c = tsm_config(&t, ATTEST_TEE_TDX);
        assert_int_equal(attest_verify_policy(&c, policy, policy_len, &r), 0);
        if (!r.bound)
                fail_msg("%s", r.reason);
        assert_int_equal(r.format, ATTEST_FORMAT_TDX_QUOTE);
        assert_string_equal(r.source, "configfs-tsm (tdx_guest)");
        tsm_remove(&t);
}

/* An outblob that does not echo the requested REPORT_DATA is not this request's report. */
static void test_tsm_stale(void **state)
{
        struct tsm_tree t;
        struct attest_config c;
        struct attest_result r;
        (void)state;

        tsm_make(&t, "sev_guest", "tsm-snp-stale.bin");
        c = tsm_config(&t, ATTEST_TEE_SNP);
        assert_int_equal(attest_verify_policy(&c, policy, policy_len, &r), 0);
        assert_false(r.bound);
        assert_false(r.have_report);
        assert_string_equal(r.reason, "TEE report from configfs-tsm (sev_guest) does not carry the "
                                      "requested REPORT_DATA (stale or foreign report)");
        tsm_remove(&t);
}

/* An unknown provider falls through to the devices, and the reason lists both. */
static void test_tsm_unknown_provider(void **state)
{
        struct tsm_tree t;
        struct attest_config c;
        struct attest_result r;
        (void)state;

        tsm_make(&t, "arm_cca_guest", "tsm-snp.bin");
        c = tsm_config(&t, ATTEST_TEE_AUTO);
        c.sev_guest_dev = "/nonexistent/sev-guest";
        assert_int_equal(attest_verify_policy(&c, policy, policy_len, &r), 0);
        assert_false(r.bound);
        assert_string_equal(r.reason, "TEE report unreadable: configfs-tsm provider 'arm_cca_guest' "
                                      "is not supported; /nonexistent/sev-guest: No such file or "
                                      "directory");
        tsm_remove(&t);
}

/* ---- SetPolicy ---- */

static void test_setpolicy(void **state)
{
        char path[4096];
        struct attest_config c = file_config(ATTEST_TEE_SNP, "snp-good.bin", path, sizeof(path));
        struct attest_result m, r;
        static const uint8_t other[] = "version: 1\nmode: audit\n";
        (void)state;

        assert_int_equal(attest_measure(&c, &m), 0);
        assert_true(m.have_report);
        assert_false(m.bound);

        assert_int_equal(attest_check_setpolicy(&c, &m, other, sizeof(other) - 1, &r), 0);
        assert_false(r.bound);
        assert_non_null(strstr(r.reason, "SetPolicy refused: policy not attested: snp HOST_DATA is " KAT_POLICY_SHA256));
        /* The measurement is not consumed: the right policy is still accepted. */
        assert_int_equal(attest_check_setpolicy(&c, &m, policy, policy_len, &r), 0);
        assert_true(r.bound);

        /* Under the initdata binding SetPolicy never binds. */
        c.binding = ATTEST_BINDING_INITDATA;
        assert_int_equal(attest_check_setpolicy(&c, &m, policy, policy_len, &r), 0);
        assert_false(r.bound);
        assert_string_equal(r.reason, "SetPolicy refused: the policy is bound through initdata");
}

/* ---- report parser: truncations and foreign bytes ---- */

static void test_report_parse_bad(void **state)
{
        static const char *const files[] = { "snp-good.bin", "tdx-report-good.bin",
                                             "tdx-quote4-good.bin", "tdx-quote5-good.bin" };
        enum attest_tee tee = ATTEST_TEE_NONE;
        enum attest_format fmt = _ATTEST_FORMAT_INVALID;
        uint8_t field[ATTEST_FIELD_MAX], rd[ATTEST_REPORT_DATA_LEN];
        size_t flen = 0;
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                size_t n;
                _cleanup_free_ uint8_t *b = slurp(fixdir, files[i], &n);

                assert_int_equal(attest_report_parse(b, n, ATTEST_TEE_AUTO, &tee, &fmt, field,
                                                     &flen, rd), 0);
                /* Every shorter prefix is refused for the two fixed-size structures;
                 * quotes are refused once the body is cut. */
                for (size_t cut = 0; cut < n; cut++) {
                        int r = attest_report_parse(b, cut, ATTEST_TEE_AUTO, &tee, &fmt, field,
                                                    &flen, rd);

                        if (strstr(files[i], "quote") && cut >= n - 68)
                                continue; /* the signature data is not read */
                        if (r != -EBADMSG)
                                fail_msg("%s cut at %zu: %d", files[i], cut, r);
                }
        }
        /* A TDREPORT whose type is not TDX. */
        {
                size_t n;
                _cleanup_free_ uint8_t *b = slurp(fixdir, "tdx-report-good.bin", &n);

                b[0] = 0x00;
                assert_int_equal(attest_report_parse(b, n, ATTEST_TEE_AUTO, &tee, &fmt, field,
                                                     &flen, rd), -EBADMSG);
        }
        /* An SNP report of version 1 (pre-ABI) and one with trailing bytes. */
        {
                size_t n;
                _cleanup_free_ uint8_t *b = slurp(fixdir, "snp-good.bin", &n);
                uint8_t *big;

                b[0] = 1;
                assert_int_equal(attest_report_parse(b, n, ATTEST_TEE_SNP, &tee, &fmt, field,
                                                     &flen, rd), -EBADMSG);
                b[0] = 2;
                big = calloc(1, n + 1);
                assert_non_null(big);
                memcpy(big, b, n);
                assert_int_equal(attest_report_parse(big, n + 1, ATTEST_TEE_SNP, &tee, &fmt, field,
                                                     &flen, rd), -EBADMSG);
                free(big);
        }
        assert_int_equal(attest_report_parse(field, 0, ATTEST_TEE_NONE, &tee, &fmt, field, &flen,
                                             rd), -EINVAL);
}

int main(int argc, char **argv)
{
        static const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_digest_kat),
                cmocka_unit_test(test_initdata_truncate_pad),
                cmocka_unit_test(test_initdata_parse_ok),
                cmocka_unit_test(test_initdata_parse_bad),
                cmocka_unit_test(test_initdata_mutations),
                cmocka_unit_test(test_snp_bound),
                cmocka_unit_test(test_snp_one_bit),
                cmocka_unit_test(test_tdx_bound),
                cmocka_unit_test(test_tdx_one_bit),
                cmocka_unit_test(test_wrong_tee),
                cmocka_unit_test(test_initdata_reports),
                cmocka_unit_test(test_tee_none),
                cmocka_unit_test(test_missing_tee),
                cmocka_unit_test(test_tsm_snp),
                cmocka_unit_test(test_tsm_tdx_quote),
                cmocka_unit_test(test_tsm_stale),
                cmocka_unit_test(test_tsm_unknown_provider),
                cmocka_unit_test(test_setpolicy),
                cmocka_unit_test(test_report_parse_bad),
        };
        int r;

        if (argc != 3) {
                fprintf(stderr, "usage: %s FIXTURE_DIR SOURCE_DIR\n", argv[0]);
                return 2;
        }
        fixdir = argv[1];
        srcdir = argv[2];
        for (size_t i = 0; i < sizeof(nonce); i++)
                nonce[i] = (uint8_t)i;
        policy = slurp(srcdir, "policy.yaml", &policy_len);
        init384 = slurp(srcdir, "initdata-sha384.toml", &init384_len);
        init256 = slurp(srcdir, "initdata-sha256.toml", &init256_len);
        init512 = slurp(srcdir, "initdata-sha512.toml", &init512_len);
        r = cmocka_run_group_tests(tests, NULL, NULL);
        free(policy);
        free(init384);
        free(init256);
        free(init512);
        return r;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Initdata in the forms kata delivers it (attest_initdata_read/unpack): the TOML,
 * its gzip and kata's block device image, each built by gen_initdata_forms.py with
 * Python's gzip and struct, give back the TOML byte for byte, and so its digest;
 * every broken form is refused with its reason.
 *
 * Usage: test-initdata-forms FIXTURE_DIR SOURCE_DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attest.h"
#include "cleanup.h"

static const char *fixdir, *srcdir;
static uint8_t *doc;
static size_t doc_len;

/* sha384sum tests/attest/initdata-sha384.toml, first 32 bytes (test_attest.c's). */
#define KAT_INIT384_SNP "a232812ab79a3585de8bab1b4c5cf3cb948f767513a85bf36cd6dde76e991b1c"

static char *path_of(const char *dir, const char *name)
{
        static char path[4096];

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return path;
}

static uint8_t *slurp(const char *path, size_t *len)
{
        uint8_t *b;
        FILE *f = fopen(path, "rbe");
        long n;

        assert_non_null(f);
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

static void read_ok(const char *path, enum attest_initdata_form want)
{
        _cleanup_free_ uint8_t *got = NULL;
        enum attest_initdata_form form = _ATTEST_INITDATA_FORM_INVALID;
        uint8_t field[ATTEST_FIELD_MAX];
        char why[256] = "", hex[2 * ATTEST_FIELD_MAX + 1];
        size_t len = 0;
        int r;

        r = attest_initdata_read(path, &got, &len, &form, why, sizeof(why));
        if (r < 0)
                fail_msg("%s: %s", path, why);
        assert_int_equal(form, want);
        assert_int_equal(len, doc_len);
        assert_memory_equal(got, doc, doc_len);
        /* The digest is the TOML's, whatever the form. */
        assert_int_equal(attest_expected_field(ATTEST_TEE_SNP, ATTEST_BINDING_INITDATA, got, len,
                                               field, why, sizeof(why)),
                         ATTEST_SNP_HOST_DATA_LEN);
        for (size_t i = 0; i < ATTEST_SNP_HOST_DATA_LEN; i++)
                snprintf(hex + 2 * i, 3, "%02x", field[i]);
        assert_string_equal(hex, KAT_INIT384_SNP);
}

static void test_toml(void **state)
{
        (void)state;
        read_ok(path_of(srcdir, "initdata-sha384.toml"), ATTEST_INITDATA_TOML);
}

static void test_gzip(void **state)
{
        (void)state;
        read_ok(path_of(fixdir, "doc.toml.gz"), ATTEST_INITDATA_GZIP);
}

static void test_block_image(void **state)
{
        (void)state;
        read_ok(path_of(fixdir, "doc.img"), ATTEST_INITDATA_BLOCK);
        /* The padding after the gzip data is not read, by the agent or by ccgate. */
        read_ok(path_of(fixdir, "doc-padding.img"), ATTEST_INITDATA_BLOCK);
}

static void test_stdin(void **state)
{
        int fd = open(path_of(fixdir, "doc.img"), O_RDONLY | O_CLOEXEC);
        int saved = dup(0);

        (void)state;
        assert_true(fd >= 0 && saved >= 0);
        assert_int_equal(dup2(fd, 0), 0);
        read_ok("-", ATTEST_INITDATA_BLOCK);
        assert_int_equal(dup2(saved, 0), 0);
        close(fd);
        close(saved);
}

static void test_forms_named(void **state)
{
        (void)state;
        assert_string_equal(attest_initdata_form_to_string(ATTEST_INITDATA_TOML), "toml");
        assert_string_equal(attest_initdata_form_to_string(ATTEST_INITDATA_GZIP), "gzip");
        assert_string_equal(attest_initdata_form_to_string(ATTEST_INITDATA_BLOCK),
                            "block device image");
        assert_null(attest_initdata_form_to_string(_ATTEST_INITDATA_FORM_MAX));
}

static void test_broken(void **state)
{
        static const struct {
                const char *file;
                int error;
                const char *why;
        } cases[] = {
                { "two-members.gz", -EBADMSG, "initdata gzip: 185 bytes follow the end of the gzip data (one gzip member only)" },
                { "trailing.gz", -EBADMSG, "initdata gzip: 4 bytes follow the end of the gzip data" },
                { "bad-crc.gz", -EBADMSG, "initdata gzip: the gzip data is corrupt (incorrect data check)" },
                { "cut.gz", -EBADMSG, "initdata gzip: the gzip data ends early" },
                { "corrupt.gz", -EBADMSG, "initdata gzip: the gzip data is corrupt" },
                { "bomb.gz", -EBADMSG, "initdata gzip: the gzip data decompresses to more than 4194304 bytes" },
                { "zlib.img", -EBADMSG, "initdata block image: the data after the header is not gzip" },
                { "short-header.img", -EBADMSG, "initdata block image: the header is cut short (11 of 16 bytes)" },
                { "zero-length.img", -EBADMSG, "initdata block image: the header announces no data" },
                { "past-end.img", -EBADMSG, "initdata block image: it ends after 185 of the 4281 bytes of gzip data its header announces" },
                { "huge-length.img", -EBADMSG, "initdata block image: the header announces 1099511627776 bytes of gzip data, more than" },
                { "cut-inside.img", -EBADMSG, "initdata block image: the gzip data ends early, after 175 bytes" },
                { "no-such-file", -ENOENT, "No such file or directory" },
                { ".", -EISDIR, "Is a directory" },
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint8_t *got = (uint8_t *)"untouched";
                size_t len = 7;
                enum attest_initdata_form form = ATTEST_INITDATA_GZIP;
                char why[256] = "";
                int r = attest_initdata_read(path_of(fixdir, cases[i].file), &got, &len, &form,
                                             why, sizeof(why));
                if (r != cases[i].error || !strstr(why, cases[i].why))
                        fail_msg("%s: %d \"%s\", expected %d \"%s\"", cases[i].file, r, why,
                                 cases[i].error, cases[i].why);
                assert_string_equal((const char *)got, "untouched");
                assert_int_equal(len, 7);
                assert_int_equal(form, ATTEST_INITDATA_GZIP);
        }
}

/* A file larger than any initdata form can be is refused before it is read. */
static void test_too_large(void **state)
{
        char tmpl[] = "/tmp/ccgate-initdata-XXXXXX";
        _cleanup_free_ uint8_t *got = NULL;
        enum attest_initdata_form form;
        char why[256] = "";
        size_t len;
        int fd = mkstemp(tmpl);

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, 6 * 1024 * 1024), 0);
        close(fd);
        assert_int_equal(attest_initdata_read(tmpl, &got, &len, &form, why, sizeof(why)), -EFBIG);
        assert_non_null(strstr(why, "larger than the"));
        unlink(tmpl);
}

/* In memory: a TOML over the document limit; the arguments. */
static void test_unpack_bounds(void **state)
{
        _cleanup_free_ uint8_t *big = calloc(1, ATTEST_INPUT_MAX + 1);
        uint8_t *got = NULL;
        enum attest_initdata_form form;
        char why[256] = "";
        size_t len;

        (void)state;
        assert_non_null(big);
        memset(big, 'x', ATTEST_INPUT_MAX + 1);
        assert_int_equal(attest_initdata_unpack(big, ATTEST_INPUT_MAX + 1, &got, &len, &form, why,
                                                sizeof(why)),
                         -EBADMSG);
        assert_non_null(strstr(why, "more than the 4194304 a document may have"));
        assert_int_equal(attest_initdata_unpack(NULL, 0, &got, &len, &form, NULL, 0), -EINVAL);
        assert_int_equal(attest_initdata_read(NULL, &got, &len, &form, NULL, 0), -EINVAL);
        /* A NULL why is fine. */
        assert_int_equal(attest_initdata_unpack((const uint8_t *)"initdata", 8, &got, &len, &form,
                                                NULL, 0),
                         -EBADMSG);
        assert_null(got);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_toml),
                cmocka_unit_test(test_gzip),
                cmocka_unit_test(test_block_image),
                cmocka_unit_test(test_stdin),
                cmocka_unit_test(test_forms_named),
                cmocka_unit_test(test_broken),
                cmocka_unit_test(test_too_large),
                cmocka_unit_test(test_unpack_bounds),
        };
        int r;

        if (argc != 3) {
                fprintf(stderr, "usage: %s FIXTURE_DIR SOURCE_DIR\n", argv[0]);
                return 2;
        }
        fixdir = argv[1];
        srcdir = argv[2];
        doc = slurp(path_of(srcdir, "initdata-sha384.toml"), &doc_len);
        r = cmocka_run_group_tests(tests, NULL, NULL);
        free(doc);
        return r;
}

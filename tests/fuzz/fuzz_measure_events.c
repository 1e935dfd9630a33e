/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runtime measurement event logs on hostile files (`ccgate audit verify
 * --events`, which a verifier runs on what a guest sent it): the bounded line
 * reader, event parsing with its digests and canonical content, and the
 * replay of one boot. measure_replay_file() takes a path, so the file is a
 * memfd named by /proc/self/fd.
 *
 * Oracles: a failure is -EBADMSG or -ENOENT with a message; a replay that
 * succeeds has events, names the boot it replayed, gives the same value when
 * that boot is asked for by name, and differs between SHA-256 and SHA-384 in
 * nothing but the value. Every line that parses is "ccgate OP CONTENT" with OP
 * its operation, and its text digests to the digests it carries.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "measure_event.h"
#include "measure_log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        return 0;
}

static void check_lines(const uint8_t *data, size_t size)
{
        const uint8_t *p = data, *end = data + size;
        unsigned n = 0;

        while (p < end && n++ < 256) {
                const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
                size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
                struct measure_logged e;
                uint8_t d[MEASURE_DIGEST_MAX];
                char why[256] = "", prefix[80];

                if (measure_event_parse((const char *)p, len, &e, why, sizeof(why)) == 0) {
                        snprintf(prefix, sizeof(prefix), "ccgate %s ", measure_op_name(e.op));
                        FUZZ_CHECK(strncmp(e.text, prefix, strlen(prefix)) == 0);
                        FUZZ_CHECK(strlen(e.text) == e.text_len);
                        FUZZ_CHECK(e.has_audit);
                        FUZZ_CHECK(measure_digest(MEASURE_ALG_SHA256, e.text, e.text_len, d) == 0);
                        FUZZ_CHECK(memcmp(d, e.sha256, MEASURE_SHA256_LEN) == 0);
                        FUZZ_CHECK(measure_digest(MEASURE_ALG_SHA384, e.text, e.text_len, d) == 0);
                        FUZZ_CHECK(memcmp(d, e.sha384, MEASURE_SHA384_LEN) == 0);
                } else
                        FUZZ_CHECK(why[0] != '\0');
                p += len + 1;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct measure_replay a, b, c;
        struct audit_problem pa = { 0 }, pb = { 0 }, pc = { 0 };
        char path[64];
        int fd, ra, rb, rc;

        check_lines(data, size);
        fd = memfd_create("events", MFD_CLOEXEC);
        if (fd < 0)
                fuzz_die("memfd_create", errno);
        if (size > 0 && write(fd, data, size) != (ssize_t)size)
                fuzz_die("write memfd", EIO);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

        ra = measure_replay_file(path, MEASURE_ALG_SHA256, NULL, &a, &pa);
        rb = measure_replay_file(path, MEASURE_ALG_SHA384, NULL, &b, &pb);
        FUZZ_CHECK(ra == rb);
        if (ra < 0) {
                FUZZ_CHECK(ra == -EBADMSG || ra == -ENOENT);
                FUZZ_CHECK(pa.message[0] != '\0');
        } else {
                FUZZ_CHECK(a.n_events > 0 && a.n_events == b.n_events);
                FUZZ_CHECK(strcmp(a.boot, b.boot) == 0 && strcmp(a.reg, b.reg) == 0);
                FUZZ_CHECK(a.has_head == b.has_head && a.head_seq == b.head_seq);
                rc = measure_replay_file(path, MEASURE_ALG_SHA256, a.boot, &c, &pc);
                FUZZ_CHECK(rc == 0 && memcmp(c.value, a.value, MEASURE_SHA256_LEN) == 0);
        }
        close(fd);
        return 0;
}

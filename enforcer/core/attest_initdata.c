/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoCo initdata documents: a strict reader for the subset of TOML that initdata
 * uses (attest_initdata_parse() in attest.h), and the forms the document arrives
 * in (the TOML, its gzip, kata's block device). Anything outside them is refused
 * with the reason, so what ccgate accepts is exactly what it understood.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/base64.h>
#include <zlib.h>

#include "attest.h"
#include "cleanup.h"
#include "fileio.h"

#define INITDATA_MAX_KEYS 64
#define INITDATA_MAX_KEY_LEN 256

struct toml_cursor {
        const char *p, *end;
        unsigned line;
        char *why;
        size_t why_len;
};

/* A reason for the caller, which may not want one (why NULL). */
static void reason_set(char *why, size_t why_len, const char *msg)
{
        if (why && why_len > 0)
                snprintf(why, why_len, "%s", msg);
}

static int toml_fail(struct toml_cursor *t, const char *what)
{
        if (t->why && t->why_len > 0)
                snprintf(t->why, t->why_len, "initdata line %u: %s", t->line, what);
        return -EBADMSG;
}

static void toml_skip_blank(struct toml_cursor *t)
{
        while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
                t->p++;
}

/* After a value or header: blanks, an optional comment, then a newline or the end. */
static int toml_end_of_line(struct toml_cursor *t)
{
        toml_skip_blank(t);
        if (t->p < t->end && *t->p == '#')
                while (t->p < t->end && *t->p != '\n')
                        t->p++;
        if (t->p < t->end && *t->p == '\r')
                t->p++;
        if (t->p == t->end)
                return 0;
        if (*t->p != '\n')
                return toml_fail(t, "unexpected text after the value");
        t->p++;
        t->line++;
        return 0;
}

/* Append one byte to a growing buffer bounded by ATTEST_INPUT_MAX. */
static int buf_put(char **b, size_t *n, size_t *cap, char c)
{
        if (*n + 1 >= *cap) {
                size_t ncap = *cap ? *cap * 2 : 256;
                char *nb;

                if (ncap > ATTEST_INPUT_MAX + 1)
                        return -E2BIG;
                nb = realloc(*b, ncap);
                if (!nb)
                        return -ENOMEM;
                *b = nb;
                *cap = ncap;
        }
        (*b)[(*n)++] = c;
        (*b)[*n] = '\0';
        return 0;
}

static int toml_escape(struct toml_cursor *t, char **b, size_t *n, size_t *cap)
{
        char c;

        if (t->p >= t->end)
                return toml_fail(t, "unterminated escape");
        switch (*t->p++) {
        case '"': c = '"'; break;
        case '\\': c = '\\'; break;
        case 'n': c = '\n'; break;
        case 't': c = '\t'; break;
        case 'r': c = '\r'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        default:
                /* \uXXXX, \UXXXXXXXX and line-ending backslashes are valid TOML that
                 * this reader does not implement: refuse rather than guess. */
                return toml_fail(t, "unsupported escape sequence");
        }
        return buf_put(b, n, cap, c);
}

/*
 * A string value: "basic", 'literal', """multi-line basic""" or '''multi-line
 * literal'''. Control characters other than tab (and newline in multi-line
 * strings) are rejected as TOML requires.
 */
static int toml_string(struct toml_cursor *t, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *b = NULL;
        size_t n = 0, cap = 0;
        char q;
        bool multi;
        int r;

        if (t->p >= t->end || (*t->p != '"' && *t->p != '\''))
                return toml_fail(t, "expected a string value");
        q = *t->p;
        multi = t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q;
        t->p += multi ? 3 : 1;
        if (multi) {
                /* A newline right after the opening delimiter is trimmed. */
                if (t->p < t->end && *t->p == '\n')
                        t->p++, t->line++;
                else if (t->end - t->p >= 2 && t->p[0] == '\r' && t->p[1] == '\n')
                        t->p += 2, t->line++;
        }
        r = buf_put(&b, &n, &cap, '\0'); /* allocate even for "" */
        if (r < 0)
                return r;
        n = 0;
        for (;;) {
                unsigned char c;

                if (t->p >= t->end)
                        return toml_fail(t, "unterminated string");
                c = (unsigned char)*t->p;
                if (c == (unsigned char)q) {
                        if (!multi) {
                                t->p++;
                                break;
                        }
                        if (t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q) {
                                /* Up to two quotes may precede the closing three. */
                                int extra = 0;

                                while (extra < 2 && t->end - t->p >= 4 + extra &&
                                       t->p[3 + extra] == q)
                                        extra++;
                                for (int i = 0; i < extra; i++) {
                                        r = buf_put(&b, &n, &cap, q);
                                        if (r < 0)
                                                return r;
                                }
                                t->p += 3 + extra;
                                break;
                        }
                }
                if (q == '"' && c == '\\') {
                        t->p++;
                        r = toml_escape(t, &b, &n, &cap);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (c == '\n') {
                        if (!multi)
                                return toml_fail(t, "newline in a single-line string");
                        t->line++;
                } else if (c == '\r') {
                        if (!multi || t->end - t->p < 2 || t->p[1] != '\n')
                                return toml_fail(t, "bare carriage return in a string");
                } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
                        return toml_fail(t, "control character in a string");
                }
                r = buf_put(&b, &n, &cap, (char)c);
                if (r < 0)
                        return r == -E2BIG ? toml_fail(t, "string too long") : r;
                t->p++;
        }
        *ret_len = n;
        *ret = TAKE_PTR(b);
        return 0;
}

/* A key: bare (A-Za-z0-9_-) or a single-line quoted string. Dotted keys are refused. */
static int toml_key(struct toml_cursor *t, char **ret)
{
        _cleanup_free_ char *k = NULL;
        size_t n = 0;
        int r;

        if (t->p < t->end && (*t->p == '"' || *t->p == '\'')) {
                if (t->end - t->p >= 3 && t->p[1] == *t->p && t->p[2] == *t->p)
                        return toml_fail(t, "multi-line strings cannot be keys");
                r = toml_string(t, &k, &n);
                if (r < 0)
                        return r;
                if (strlen(k) != n)
                        return toml_fail(t, "NUL in a key");
        } else {
                const char *s = t->p;

                while (t->p < t->end && (*t->p == '_' || *t->p == '-' ||
                                         (*t->p >= 'a' && *t->p <= 'z') ||
                                         (*t->p >= 'A' && *t->p <= 'Z') ||
                                         (*t->p >= '0' && *t->p <= '9')))
                        t->p++;
                n = (size_t)(t->p - s);
                if (n == 0)
                        return toml_fail(t, "expected a key");
                k = strndup(s, n);
                if (!k)
                        return -ENOMEM;
        }
        if (n > INITDATA_MAX_KEY_LEN)
                return toml_fail(t, "key too long");
        toml_skip_blank(t);
        if (t->p < t->end && *t->p == '.')
                return toml_fail(t, "dotted keys are not supported");
        *ret = TAKE_PTR(k);
        return 0;
}

struct initdata_state {
        char *version, *algorithm, *policy;
        size_t policy_len;
        bool has_agent_policy;
        size_t agent_policy_len;
        char *seen[INITDATA_MAX_KEYS]; /* [data] keys, for duplicate detection */
        size_t n_seen;
        bool in_data, had_data;
};

static void initdata_state_done(struct initdata_state *s)
{
        free(s->version);
        free(s->algorithm);
        free(s->policy);
        for (size_t i = 0; i < s->n_seen; i++)
                free(s->seen[i]);
}

static int initdata_header(struct toml_cursor *t, struct initdata_state *s)
{
        t->p++; /* '[' */
        if (t->p < t->end && *t->p == '[')
                return toml_fail(t, "arrays of tables are not supported");
        toml_skip_blank(t);
        if (t->end - t->p < 4 || memcmp(t->p, "data", 4) != 0)
                return toml_fail(t, "the only table allowed is [data]");
        t->p += 4;
        toml_skip_blank(t);
        if (t->p >= t->end || *t->p != ']')
                return toml_fail(t, "the only table allowed is [data]");
        t->p++;
        if (s->had_data)
                return toml_fail(t, "[data] defined twice");
        s->in_data = s->had_data = true;
        return toml_end_of_line(t);
}

static int initdata_pair(struct toml_cursor *t, struct initdata_state *s)
{
        _cleanup_free_ char *key = NULL, *val = NULL;
        size_t val_len = 0;
        unsigned line = t->line, end_line;
        int r;

        r = toml_key(t, &key);
        if (r < 0)
                return r;
        toml_skip_blank(t);
        if (t->p >= t->end || *t->p != '=')
                return toml_fail(t, "expected '=' after the key");
        t->p++;
        toml_skip_blank(t);
        r = toml_string(t, &val, &val_len);
        if (r < 0)
                return r;
        r = toml_end_of_line(t);
        if (r < 0)
                return r;
        /* Errors below are about this pair: report the line it started on. */
        end_line = t->line;
        t->line = line;

        if (!s->in_data) {
                char **slot;

                if (strcmp(key, "version") == 0)
                        slot = &s->version;
                else if (strcmp(key, "algorithm") == 0)
                        slot = &s->algorithm;
                else
                        return toml_fail(t, "unknown top-level key (expected version, algorithm, [data])");
                if (*slot)
                        return toml_fail(t, "duplicate key");
                *slot = TAKE_PTR(val);
                t->line = end_line;
                return 0;
        }

        for (size_t i = 0; i < s->n_seen; i++)
                if (strcmp(s->seen[i], key) == 0)
                        return toml_fail(t, "duplicate key in [data]");
        if (s->n_seen >= INITDATA_MAX_KEYS)
                return toml_fail(t, "too many keys in [data]");
        if (strcmp(key, ATTEST_INITDATA_POLICY_KEY) == 0) {
                s->policy = TAKE_PTR(val);
                s->policy_len = val_len;
        } else if (strcmp(key, ATTEST_INITDATA_AGENT_POLICY_KEY) == 0) {
                s->has_agent_policy = true;
                s->agent_policy_len = val_len;
        }
        s->seen[s->n_seen++] = TAKE_PTR(key);
        t->line = end_line;
        return 0;
}

int attest_initdata_parse(const uint8_t *doc, size_t len, struct attest_initdata *ret, char *why,
                          size_t why_len)
{
        _cleanup_(initdata_state_done) struct initdata_state s = {};
        struct toml_cursor t = {
                .p = (const char *)doc, .end = (const char *)doc + len, .line = 1,
                .why = why, .why_len = why_len,
        };
        enum attest_hash alg = _ATTEST_HASH_INVALID;
        int r;

        if (!doc || !ret)
                return -EINVAL;
        if (len > ATTEST_INPUT_MAX)
                return toml_fail(&t, "document too large");
        if (memchr(doc, '\0', len))
                return toml_fail(&t, "NUL byte in the document");

        while (t.p < t.end) {
                toml_skip_blank(&t);
                if (t.p >= t.end)
                        break;
                if (*t.p == '#' || *t.p == '\n' || *t.p == '\r')
                        r = toml_end_of_line(&t);
                else if (*t.p == '[')
                        r = initdata_header(&t, &s);
                else
                        r = initdata_pair(&t, &s);
                if (r < 0)
                        return r;
        }

        /* Whole-document checks: no line to point at. */
        if (!s.version || strcmp(s.version, "0.1.0") != 0) {
                reason_set(why, why_len, "initdata: version must be \"0.1.0\"");
                return -EBADMSG;
        }
        for (int i = 0; s.algorithm && i < _ATTEST_HASH_MAX; i++)
                if (strcmp(s.algorithm, attest_hash_to_string((enum attest_hash)i)) == 0)
                        alg = (enum attest_hash)i;
        if (alg == _ATTEST_HASH_INVALID) {
                reason_set(why, why_len, "initdata: algorithm must be sha256, sha384 or sha512");
                return -EBADMSG;
        }
        if (!s.policy) {
                reason_set(why, why_len, "initdata: no [data] \"" ATTEST_INITDATA_POLICY_KEY "\" policy");
                return -EBADMSG;
        }

        *ret = (struct attest_initdata){
                .algorithm = alg,
                .policy = TAKE_PTR(s.policy),
                .policy_len = s.policy_len,
                .has_agent_policy = s.has_agent_policy,
                .agent_policy_len = s.agent_policy_len,
        };
        return 0;
}

void attest_initdata_done(struct attest_initdata *d)
{
        if (!d)
                return;
        free(d->policy);
        d->policy = NULL;
        d->policy_len = 0;
}


/* --- the forms it arrives in: the TOML, its gzip, kata's block device ---------- */

/* Bytes a whole file may hold: the largest document's gzip (a stored deflate adds
 * little, and anything larger than the document could not decompress to it) with
 * the block header and one sector of padding. */
#define INITDATA_FILE_MAX (ATTEST_INPUT_MAX + ATTEST_INITDATA_HEADER_LEN + 512u + 4096u)
#define INITDATA_GZIP_MAX (ATTEST_INPUT_MAX + 4096u)

static const uint8_t gzip_magic[2] = { 0x1f, 0x8b };

const char *attest_initdata_form_to_string(enum attest_initdata_form f)
{
        static const char *const names[_ATTEST_INITDATA_FORM_MAX] = {
                [ATTEST_INITDATA_TOML] = "toml",
                [ATTEST_INITDATA_GZIP] = "gzip",
                [ATTEST_INITDATA_BLOCK] = "block device image",
        };

        return (int)f >= 0 && f < _ATTEST_INITDATA_FORM_MAX ? names[f] : NULL;
}

static int unpack_fail(char *why, size_t why_len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int unpack_fail(char *why, size_t why_len, const char *fmt, ...)
{
        va_list ap;

        if (why && why_len > 0) {
                va_start(ap, fmt);
                vsnprintf(why, why_len, fmt, ap);
                va_end(ap);
        }
        return -EBADMSG;
}

static void inflate_endp(z_stream *z)
{
        inflateEnd(z);
}

/* One gzip member, exactly len bytes of it, to at most ATTEST_INPUT_MAX bytes. */
static int gunzip(const uint8_t *in, size_t len, const char *what, uint8_t **ret, size_t *ret_len,
                  char *why, size_t why_len)
{
        _cleanup_(inflate_endp) z_stream z = { 0 };
        _cleanup_free_ uint8_t *out = NULL;
        size_t cap = 0, used = 0;
        int zr;

        if (len > INITDATA_GZIP_MAX)
                return unpack_fail(why, why_len, "%s: %zu bytes of gzip data, more than %u", what,
                                   len, INITDATA_GZIP_MAX);
        /* 16 + MAX_WBITS: a gzip header and trailer (CRC-32, length), nothing else. */
        if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
                return -ENOMEM;
        z.next_in = (Bytef *)(uintptr_t)in;
        z.avail_in = (uInt)len;
        do {
                if (used == cap) {
                        size_t ncap = cap ? cap * 2 : 64u * 1024u;
                        uint8_t *n;
                        if (cap > ATTEST_INPUT_MAX)
                                return unpack_fail(why, why_len,
                                                   "%s: the gzip data decompresses to more than "
                                                   "%u bytes", what, ATTEST_INPUT_MAX);
                        if (ncap > ATTEST_INPUT_MAX + 1u)
                                ncap = ATTEST_INPUT_MAX + 1u;
                        n = realloc(out, ncap);
                        if (!n)
                                return -ENOMEM;
                        out = n;
                        cap = ncap;
                }
                z.next_out = out + used;
                z.avail_out = (uInt)(cap - used);
                zr = inflate(&z, Z_NO_FLUSH);
                used = cap - z.avail_out;
                if (zr == Z_MEM_ERROR)
                        return -ENOMEM;
                if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT || zr == Z_STREAM_ERROR)
                        return unpack_fail(why, why_len, "%s: the gzip data is corrupt (%s)", what,
                                           z.msg ? z.msg : "inflate failed");
                if (zr == Z_BUF_ERROR && z.avail_in == 0)
                        return unpack_fail(why, why_len,
                                           "%s: the gzip data ends early, after %zu bytes", what,
                                           len);
                if (used > ATTEST_INPUT_MAX)
                        return unpack_fail(why, why_len,
                                           "%s: the gzip data decompresses to more than %u bytes",
                                           what, ATTEST_INPUT_MAX);
        } while (zr != Z_STREAM_END);
        if (z.avail_in != 0)
                return unpack_fail(why, why_len,
                                   "%s: %u bytes follow the end of the gzip data (one gzip "
                                   "member only)", what, z.avail_in);
        *ret_len = used;
        *ret = TAKE_PTR(out);
        return 0;
}

static uint64_t le64(const uint8_t *p)
{
        uint64_t v = 0;

        for (int i = 7; i >= 0; i--)
                v = v << 8 | p[i];
        return v;
}

int attest_initdata_unpack(const uint8_t *buf, size_t len, uint8_t **ret, size_t *ret_len,
                           enum attest_initdata_form *ret_form, char *why, size_t why_len)
{
        const size_t magic_len = sizeof(ATTEST_INITDATA_MAGIC) - 1;
        uint8_t *out;
        size_t out_len;
        int r;

        if (!buf || !ret || !ret_len || !ret_form)
                return -EINVAL;
        if (len >= magic_len && memcmp(buf, ATTEST_INITDATA_MAGIC, magic_len) == 0) {
                uint64_t n;
                if (len < ATTEST_INITDATA_HEADER_LEN)
                        return unpack_fail(why, why_len,
                                           "initdata block image: the header is cut short (%zu "
                                           "of %u bytes)", len, ATTEST_INITDATA_HEADER_LEN);
                n = le64(buf + magic_len);
                if (n == 0)
                        return unpack_fail(why, why_len,
                                           "initdata block image: the header announces no data");
                if (n > INITDATA_GZIP_MAX)
                        return unpack_fail(why, why_len,
                                           "initdata block image: the header announces %" PRIu64
                                           " bytes of gzip data, more than %u", n, INITDATA_GZIP_MAX);
                if (n > len - ATTEST_INITDATA_HEADER_LEN)
                        return unpack_fail(why, why_len,
                                           "initdata block image: it ends after %zu of the %" PRIu64
                                           " bytes of gzip data its header announces",
                                           len - ATTEST_INITDATA_HEADER_LEN, n);
                if (n < 2 || memcmp(buf + ATTEST_INITDATA_HEADER_LEN, gzip_magic, 2) != 0)
                        return unpack_fail(why, why_len,
                                           "initdata block image: the data after the header is "
                                           "not gzip");
                r = gunzip(buf + ATTEST_INITDATA_HEADER_LEN, (size_t)n, "initdata block image",
                           &out, &out_len, why, why_len);
                if (r < 0)
                        return r;
                *ret_form = ATTEST_INITDATA_BLOCK;
        } else if (len >= 2 && memcmp(buf, gzip_magic, 2) == 0) {
                r = gunzip(buf, len, "initdata gzip", &out, &out_len, why, why_len);
                if (r < 0)
                        return r;
                *ret_form = ATTEST_INITDATA_GZIP;
        } else {
                if (len > ATTEST_INPUT_MAX)
                        return unpack_fail(why, why_len,
                                           "initdata: %zu bytes, more than the %u a document may "
                                           "have", len, ATTEST_INPUT_MAX);
                out = malloc(len ? len : 1);
                if (!out)
                        return -ENOMEM;
                memcpy(out, buf, len);
                out_len = len;
                *ret_form = ATTEST_INITDATA_TOML;
        }
        *ret = out;
        *ret_len = out_len;
        return 0;
}

/* Exactly len bytes at offset off of fd, or -EBADMSG when it ends first. */
static int pread_all(int fd, uint8_t *buf, size_t len, off_t off)
{
        size_t got = 0;

        while (got < len) {
                ssize_t n = pread(fd, buf + got, len - got, off + (off_t)got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EBADMSG;
                got += (size_t)n;
        }
        return 0;
}

/* A block device: the header, then the gzip data it announces, and no more. */
static int read_block_device(int fd, uint8_t **ret, size_t *ret_len, char *why,
                             size_t why_len)
{
        _cleanup_free_ uint8_t *buf = NULL;
        uint8_t head[ATTEST_INITDATA_HEADER_LEN];
        uint64_t n;
        int r;

        r = pread_all(fd, head, sizeof(head), 0);
        if (r < 0 || memcmp(head, ATTEST_INITDATA_MAGIC, sizeof(ATTEST_INITDATA_MAGIC) - 1) != 0)
                return r < 0 && r != -EBADMSG
                               ? (unpack_fail(why, why_len, "%s", strerror(-r)), r)
                               : unpack_fail(why, why_len,
                                             "a block device without the initdata header "
                                             "(\"" ATTEST_INITDATA_MAGIC "\" and a length)");
        n = le64(head + sizeof(ATTEST_INITDATA_MAGIC) - 1);
        if (n == 0 || n > INITDATA_GZIP_MAX)
                return attest_initdata_unpack(head, sizeof(head), ret, ret_len,
                                              &(enum attest_initdata_form){ 0 }, why, why_len);
        buf = malloc(ATTEST_INITDATA_HEADER_LEN + (size_t)n);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, head, sizeof(head));
        r = pread_all(fd, buf + sizeof(head), (size_t)n, (off_t)sizeof(head));
        if (r == -EBADMSG)
                return unpack_fail(why, why_len,
                                   "initdata block device: it ends before the %" PRIu64
                                   " bytes of gzip data its header announces", n);
        if (r < 0)
                return unpack_fail(why, why_len, "%s", strerror(-r)), r;
        *ret_len = ATTEST_INITDATA_HEADER_LEN + (size_t)n;
        *ret = TAKE_PTR(buf);
        return 0;
}

int attest_initdata_read(const char *path, uint8_t **ret, size_t *ret_len,
                         enum attest_initdata_form *ret_form, char *why, size_t why_len)
{
        _cleanup_free_ uint8_t *raw = NULL;
        _cleanup_close_ int fd = -1;
        size_t raw_len = 0;
        struct stat st;
        int r;

        if (!path || !ret || !ret_len || !ret_form)
                return -EINVAL;
        if (strcmp(path, "-") != 0) {
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0) {
                        r = -errno;
                        unpack_fail(why, why_len, "%s", strerror(-r));
                        return r;
                }
                if (fstat(fd, &st) < 0) {
                        r = -errno;
                        unpack_fail(why, why_len, "%s", strerror(-r));
                        return r;
                }
        }
        if (fd >= 0 && S_ISBLK(st.st_mode))
                r = read_block_device(fd, &raw, &raw_len, why, why_len);
        else {
                r = read_file_bounded(path, INITDATA_FILE_MAX, &raw, &raw_len);
                if (r == -EFBIG)
                        unpack_fail(why, why_len, "larger than the %u bytes an initdata file may have",
                                    INITDATA_FILE_MAX);
                else if (r < 0)
                        unpack_fail(why, why_len, "%s", strerror(-r));
        }
        if (r < 0)
                return r;
        return attest_initdata_unpack(raw, raw_len, ret, ret_len, ret_form, why, why_len);
}

static void deflate_endp(z_stream *z)
{
        deflateEnd(z);
}

int attest_initdata_annotation(const uint8_t *doc, size_t len, char **ret)
{
        _cleanup_(deflate_endp) z_stream z = { 0 };
        _cleanup_free_ uint8_t *gz = NULL;
        char *b64;
        uLong cap;

        if (!doc || !ret)
                return -EINVAL;
        if (len > ATTEST_INPUT_MAX)
                return -E2BIG;
        /* 16 + MAX_WBITS: a gzip wrapper; zlib writes no name and time 0. */
        if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
                return -ENOMEM;
        cap = deflateBound(&z, (uLong)len);
        gz = malloc(cap);
        if (!gz)
                return -ENOMEM;
        z.next_in = (Bytef *)(uintptr_t)doc;
        z.avail_in = (uInt)len;
        z.next_out = gz;
        z.avail_out = (uInt)cap;
        if (deflate(&z, Z_FINISH) != Z_STREAM_END)
                return -ENOMEM; /* deflateBound() makes room for everything */
        b64 = malloc(BASE64_ENCODE_RAW_LENGTH(z.total_out) + 1);
        if (!b64)
                return -ENOMEM;
        base64_encode_raw(b64, z.total_out, gz);
        b64[BASE64_ENCODE_RAW_LENGTH(z.total_out)] = '\0';
        *ret = b64;
        return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TEE reports: their layouts, and the sources they are read from, one table
 * (a fixture file, configfs-tsm, /dev/sev-guest, /dev/tdx_guest).
 *
 * Report layouts (all little-endian, offsets in bytes):
 *  SEV-SNP ATTESTATION_REPORT (AMD SEV-SNP ABI spec 56860, "ATTESTATION_REPORT
 *  Structure"; same layout in virtee/sev and the kernel's sev-guest selftests):
 *    0x000 version u32 (>= 2), 0x050 report_data[64], 0x090 measurement[48],
 *    0x0C0 host_data[32], 0x2A0 signature[512]; total 0x4A0 (1184) bytes.
 *  MSG_REPORT_RSP (SNP_GET_REPORT response): status u32, report_size u32,
 *    reserved to 0x20, report at 0x20.
 *  TDX TDREPORT_STRUCT (1024 bytes; TDX module ABI): REPORTMACSTRUCT[256]
 *    (type u8 = 0x81 at 0, report_data[64] at 128), TEE_TCB_INFO[239] at 256,
 *    reserved[17] at 495, TDINFO at 512 (attributes 8, xfam 8, mrtd 48,
 *    mrconfigid 48 at 512+64 = 576, ...).
 *  TDX DCAP quote (Intel TDX DCAP Quoting Library API, appendix): header 48
 *    bytes (version u16, att_key_type u16, tee_type u32 = 0x81, ...); v4: TD
 *    quote body at 48; v5: body type u16 and size u32 at 48, body at 54. In the
 *    body: mrconfigid[48] at 184, report_data[64] at 520; body size 584 (TDX 1.0)
 *    or 648 (TDX 1.5).
 */#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/memops.h>

#include "attest.h"
#include "cleanup.h"
#include "fileio.h"
#include "hex.h"

#define SNP_REPORT_LEN 0x4A0u
#define SNP_OFF_VERSION 0x000u
#define SNP_OFF_REPORT_DATA 0x050u
#define SNP_OFF_HOST_DATA 0x0C0u
#define SNP_RSP_OFF_STATUS 0x00u
#define SNP_RSP_OFF_SIZE 0x04u
#define SNP_RSP_OFF_REPORT 0x20u
#define SNP_RSP_BUF_LEN 4000u /* struct snp_report_resp */
#define TDX_TDREPORT_LEN 1024u
#define TDX_TYPE_TDX 0x81u
#define TDX_REPORT_OFF_REPORT_DATA 128u
#define TDX_REPORT_OFF_MRCONFIGID (512u + 64u)
#define TDX_QUOTE_HEADER_LEN 48u
#define TDX_QUOTE_BODY10_LEN 584u
#define TDX_QUOTE_BODY15_LEN 648u
#define TDX_BODY_OFF_MRCONFIGID 184u
#define TDX_BODY_OFF_REPORT_DATA 520u
#define DEFAULT_TSM_ROOT "/sys/kernel/config/tsm"
#define DEFAULT_SEV_GUEST "/dev/sev-guest"
#define DEFAULT_TDX_GUEST "/dev/tdx_guest"

/* Kernel UAPI (include/uapi/linux/sev-guest.h, tdx-guest.h), spelled out so the
 * build does not depend on the headers of the build host's kernel. */
struct attest_snp_report_req {
        uint8_t user_data[64];
        uint32_t vmpl;
        uint8_t rsvd[28];
};

struct attest_snp_guest_request_ioctl {
        uint8_t msg_version;
        uint64_t req_data;
        uint64_t resp_data;
        uint64_t exitinfo2;
};

#define ATTEST_SNP_GET_REPORT _IOWR('S', 0x0, struct attest_snp_guest_request_ioctl)

struct attest_tdx_report_req {
        uint8_t reportdata[64];
        uint8_t tdreport[1024];
};

#define ATTEST_TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct attest_tdx_report_req)

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

static void why_set(char *why, size_t why_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void why_set(char *why, size_t why_len, const char *fmt, ...)
{
        va_list ap;

        if (!why || why_len == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(why, why_len, fmt, ap);
        va_end(ap);
}

/* ---- report parsing ----------------------------------------------------------- */
int attest_report_parse(const uint8_t *buf, size_t len, enum attest_tee expect,
                        enum attest_tee *ret_tee, enum attest_format *ret_format,
                        uint8_t ret_field[ATTEST_FIELD_MAX], size_t *ret_field_len,
                        uint8_t ret_report_data[ATTEST_REPORT_DATA_LEN])
{
        enum attest_tee tee;
        enum attest_format fmt;
        size_t off_field, off_rd, flen;

        if (!buf || expect == ATTEST_TEE_NONE || expect < 0 || expect >= _ATTEST_TEE_MAX)
                return -EINVAL;

        if (expect != ATTEST_TEE_SNP && len >= TDX_QUOTE_HEADER_LEN &&
            (le16(buf) == 4 || le16(buf) == 5) && le32(buf + 4) == TDX_TYPE_TDX) {
                size_t body = TDX_QUOTE_HEADER_LEN, body_len = TDX_QUOTE_BODY10_LEN;

                if (le16(buf) == 5) {
                        uint16_t type;

                        if (len < TDX_QUOTE_HEADER_LEN + 6)
                                return -EBADMSG;
                        type = le16(buf + TDX_QUOTE_HEADER_LEN);
                        body_len = le32(buf + TDX_QUOTE_HEADER_LEN + 2);
                        if (!((type == 2 && body_len == TDX_QUOTE_BODY10_LEN) ||
                              (type == 3 && body_len == TDX_QUOTE_BODY15_LEN)))
                                return -EBADMSG;
                        body += 6;
                }
                if (len < body + body_len)
                        return -EBADMSG;
                tee = ATTEST_TEE_TDX;
                fmt = ATTEST_FORMAT_TDX_QUOTE;
                off_field = body + TDX_BODY_OFF_MRCONFIGID;
                off_rd = body + TDX_BODY_OFF_REPORT_DATA;
        } else if (expect != ATTEST_TEE_SNP && len == TDX_TDREPORT_LEN && buf[0] == TDX_TYPE_TDX) {
                tee = ATTEST_TEE_TDX;
                fmt = ATTEST_FORMAT_TDX_REPORT;
                off_field = TDX_REPORT_OFF_MRCONFIGID;
                off_rd = TDX_REPORT_OFF_REPORT_DATA;
        } else if (expect != ATTEST_TEE_TDX && len == SNP_REPORT_LEN &&
                   le32(buf + SNP_OFF_VERSION) >= 2) {
                /* Exact length: the report is fixed-size in every published version;
                 * anything longer is not a bare report. */
                tee = ATTEST_TEE_SNP;
                fmt = ATTEST_FORMAT_SNP_REPORT;
                off_field = SNP_OFF_HOST_DATA;
                off_rd = SNP_OFF_REPORT_DATA;
        } else {
                return -EBADMSG;
        }

        flen = (size_t)attest_field_len(tee);
        /* Every branch checked len against the structure; assert the arithmetic. */
        if (off_field + flen > len || off_rd + ATTEST_REPORT_DATA_LEN > len)
                return -EBADMSG;
        *ret_tee = tee;
        *ret_format = fmt;
        memset(ret_field, 0, ATTEST_FIELD_MAX);
        memcpy(ret_field, buf + off_field, flen);
        *ret_field_len = flen;
        memcpy(ret_report_data, buf + off_rd, ATTEST_REPORT_DATA_LEN);
        return 0;
}

/* ---- reading the report -------------------------------------------------------- */
static int write_all_at(int dirfd, const char *path, const uint8_t *b, size_t n)
{
        _cleanup_close_ int fd = -1;
        ssize_t k;

        fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_TRUNC);
        if (fd < 0)
                return -errno;
        /* configfs binary attributes take the whole blob in one write. */
        do
                k = write(fd, b, n);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return -errno;
        return (size_t)k == n ? 0 : -EIO;
}

struct report_bytes {
        uint8_t *buf;
        size_t len;
        enum attest_tee tee; /* what the source says it is, or AUTO */
        char source[64];
};

static void report_bytes_done(struct report_bytes *r)
{
        free(r->buf);
}

/*
 * configfs-tsm: mkdir report/<entry>, write inblob, read provider and outblob,
 * rmdir. A real configfs creates the attributes on mkdir; test fixtures
 * pre-create the entry with its files, so EEXIST is accepted (the REPORT_DATA echo
 * check catches a stale outblob) and a failing rmdir is ignored.
 */
static int read_tsm(const struct attest_config *c, const uint8_t rd[ATTEST_REPORT_DATA_LEN],
                    struct report_bytes *out, char *why, size_t why_len)
{
        const char *root = c->tsm_root ? c->tsm_root : DEFAULT_TSM_ROOT;
        _cleanup_close_ int rfd = -1, efd = -1;
        _cleanup_free_ uint8_t *prov = NULL, *blob = NULL;
        char entry[64], rdir[4096];
        size_t prov_len = 0, blob_len = 0;
        enum attest_tee tee;
        int r;

        if (c->tsm_entry)
                snprintf(entry, sizeof(entry), "%s", c->tsm_entry);
        else
                snprintf(entry, sizeof(entry), "ccgate-%ld", (long)getpid());
        if (!entry[0] || strchr(entry, '/') || strcmp(entry, ".") == 0 || strcmp(entry, "..") == 0)
                return -EINVAL;
        if ((size_t)snprintf(rdir, sizeof(rdir), "%s/report", root) >= sizeof(rdir))
                return -ENAMETOOLONG;
        rfd = open(rdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rfd < 0) {
                r = -errno;
                why_set(why, why_len, "configfs-tsm %s: %s", rdir, strerror(-r));
                return r;
        }
        if (mkdirat(rfd, entry, 0700) < 0 && errno != EEXIST) {
                r = -errno;
                why_set(why, why_len, "configfs-tsm mkdir %s/%s: %s", rdir, entry, strerror(-r));
                return r;
        }
        efd = openat(rfd, entry, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (efd < 0) {
                r = -errno;
                goto out;
        }
        r = write_all_at(efd, "inblob", rd, ATTEST_REPORT_DATA_LEN);
        if (r < 0) {
                why_set(why, why_len, "configfs-tsm write inblob: %s", strerror(-r));
                goto out;
        }
        r = read_file_bounded_at(efd, "provider", 64, &prov, &prov_len);
        if (r < 0) {
                why_set(why, why_len, "configfs-tsm read provider: %s", strerror(-r));
                goto out;
        }
        while (prov_len > 0 && (prov[prov_len - 1] == '\n' || prov[prov_len - 1] == ' '))
                prov_len--;
        if (prov_len == strlen("sev_guest") && memcmp(prov, "sev_guest", prov_len) == 0) {
                tee = ATTEST_TEE_SNP;
        } else if (prov_len == strlen("tdx_guest") && memcmp(prov, "tdx_guest", prov_len) == 0) {
                tee = ATTEST_TEE_TDX;
        } else {
                why_set(why, why_len, "configfs-tsm provider '%.*s' is not supported",
                        (int)(prov_len < 32 ? prov_len : 32), (const char *)prov);
                r = -EOPNOTSUPP;
                goto out;
        }
        /* The read is what makes the kernel generate the report. */
        r = read_file_bounded_at(efd, "outblob", ATTEST_REPORT_MAX, &blob, &blob_len);
        if (r < 0) {
                why_set(why, why_len, "configfs-tsm read outblob (%s): %s", attest_tee_to_string(tee),
                        strerror(-r));
                goto out;
        }
        out->buf = TAKE_PTR(blob);
        out->len = blob_len;
        out->tee = tee;
        snprintf(out->source, sizeof(out->source), "configfs-tsm (%s)",
                 tee == ATTEST_TEE_SNP ? "sev_guest" : "tdx_guest");
        r = 0;
out:
        efd = safe_close(efd);
        (void)unlinkat(rfd, entry, AT_REMOVEDIR);
        return r;
}

static int read_sev_guest(const char *dev, const uint8_t rd[ATTEST_REPORT_DATA_LEN],
                          struct report_bytes *out, char *why, size_t why_len)
{
        struct attest_snp_report_req req = {};
        _cleanup_free_ uint8_t *resp = NULL;
        struct attest_snp_guest_request_ioctl io = {};
        _cleanup_close_ int fd = -1;
        uint32_t size;
        int r;

        fd = open(dev, O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                why_set(why, why_len, "%s: %s", dev, strerror(-r));
                return r;
        }
        resp = calloc(1, SNP_RSP_BUF_LEN);
        if (!resp)
                return -ENOMEM;
        memcpy(req.user_data, rd, ATTEST_REPORT_DATA_LEN);
        req.vmpl = 0;
        io.msg_version = 1;
        io.req_data = (uint64_t)(uintptr_t)&req;
        io.resp_data = (uint64_t)(uintptr_t)resp;
        if (ioctl(fd, ATTEST_SNP_GET_REPORT, &io) < 0) {
                r = -errno;
                why_set(why, why_len, "%s SNP_GET_REPORT: %s (firmware error 0x%llx)", dev,
                        strerror(-r), (unsigned long long)io.exitinfo2);
                return r;
        }
        size = le32(resp + SNP_RSP_OFF_SIZE);
        if (le32(resp + SNP_RSP_OFF_STATUS) != 0 || size != SNP_REPORT_LEN) {
                why_set(why, why_len, "%s: report status 0x%x, size %u", dev,
                        le32(resp + SNP_RSP_OFF_STATUS), size);
                return -EBADMSG;
        }
        out->buf = malloc(SNP_REPORT_LEN);
        if (!out->buf)
                return -ENOMEM;
        memcpy(out->buf, resp + SNP_RSP_OFF_REPORT, SNP_REPORT_LEN);
        out->len = SNP_REPORT_LEN;
        out->tee = ATTEST_TEE_SNP;
        snprintf(out->source, sizeof(out->source), "%s", dev);
        return 0;
}

static int read_tdx_guest(const char *dev, const uint8_t rd[ATTEST_REPORT_DATA_LEN],
                          struct report_bytes *out, char *why, size_t why_len)
{
        _cleanup_free_ struct attest_tdx_report_req *req = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        fd = open(dev, O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                why_set(why, why_len, "%s: %s", dev, strerror(-r));
                return r;
        }
        req = calloc(1, sizeof(*req));
        if (!req)
                return -ENOMEM;
        memcpy(req->reportdata, rd, ATTEST_REPORT_DATA_LEN);
        if (ioctl(fd, ATTEST_TDX_CMD_GET_REPORT0, req) < 0) {
                r = -errno;
                why_set(why, why_len, "%s TDX_CMD_GET_REPORT0: %s", dev, strerror(-r));
                return r;
        }
        out->buf = malloc(TDX_TDREPORT_LEN);
        if (!out->buf)
                return -ENOMEM;
        memcpy(out->buf, req->tdreport, TDX_TDREPORT_LEN);
        out->len = TDX_TDREPORT_LEN;
        out->tee = ATTEST_TEE_TDX;
        snprintf(out->source, sizeof(out->source), "%s", dev);
        return 0;
}

/* Join what each tried source said, for the reason of an unreadable report. */
static void why_append(char *acc, size_t acc_len, const char *part)
{
        size_t n = strlen(acc);

        if (n + 1 >= acc_len)
                return;
        snprintf(acc + n, acc_len - n, "%s%s", n ? "; " : "", part);
}

static int read_file_source(const struct attest_config *c,
                            const uint8_t rd[ATTEST_REPORT_DATA_LEN], struct report_bytes *out,
                            char *why, size_t why_len)
{
        int r;

        (void)rd; /* a fixture is taken as it is: it cannot echo fresh REPORT_DATA */
        r = read_file_bounded_at(AT_FDCWD, c->report_file, ATTEST_REPORT_MAX, &out->buf, &out->len);
        if (r < 0) {
                why_set(why, why_len, "report file %s: %s", c->report_file, strerror(-r));
                return r;
        }
        out->tee = c->tee;
        snprintf(out->source, sizeof(out->source), "report file");
        return 0;
}

static const char *sev_dev(const struct attest_config *c)
{
        return c->sev_guest_dev ? c->sev_guest_dev : DEFAULT_SEV_GUEST;
}

static const char *tdx_dev(const struct attest_config *c)
{
        return c->tdx_guest_dev ? c->tdx_guest_dev : DEFAULT_TDX_GUEST;
}

static bool file_wanted(const struct attest_config *c)
{
        return c->report_file;
}

static bool tsm_wanted(const struct attest_config *c)
{
        return !c->tsm_root || c->tsm_root[0];
}

static bool sev_wanted(const struct attest_config *c)
{
        return c->tee != ATTEST_TEE_TDX && sev_dev(c)[0];
}

static bool tdx_wanted(const struct attest_config *c)
{
        return c->tee != ATTEST_TEE_SNP && tdx_dev(c)[0];
}

static int read_sev_source(const struct attest_config *c, const uint8_t rd[ATTEST_REPORT_DATA_LEN],
                           struct report_bytes *out, char *why, size_t why_len)
{
        return read_sev_guest(sev_dev(c), rd, out, why, why_len);
}

static int read_tdx_source(const struct attest_config *c, const uint8_t rd[ATTEST_REPORT_DATA_LEN],
                           struct report_bytes *out, char *why, size_t why_len)
{
        return read_tdx_guest(tdx_dev(c), rd, out, why, why_len);
}

/* Where a report can come from, in the order they are tried; the first that
 * gives one wins, and each one that fails says why. */
static const struct report_source {
        bool (*wanted)(const struct attest_config *c); /* configured, and for the TEE asked */
        int (*read)(const struct attest_config *c, const uint8_t rd[ATTEST_REPORT_DATA_LEN],
                    struct report_bytes *out, char *why, size_t why_len);
        bool exclusive; /* when wanted, nothing else is tried */
} report_sources[] = {
        { file_wanted, read_file_source, true },
        { tsm_wanted, read_tsm, false },
        { sev_wanted, read_sev_source, false },
        { tdx_wanted, read_tdx_source, false },
};

static int read_report(const struct attest_config *c, const uint8_t rd[ATTEST_REPORT_DATA_LEN],
                       struct report_bytes *out, char *why, size_t why_len)
{
        char part[192];
        int r = -ENODEV;

        why[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(report_sources); i++) {
                const struct report_source *src = &report_sources[i];

                if (!src->wanted(c))
                        continue;
                part[0] = '\0';
                r = src->read(c, rd, out, part, sizeof(part));
                if (r >= 0)
                        return r;
                why_append(why, why_len, part);
                if (src->exclusive)
                        return r;
        }
        if (!why[0])
                snprintf(why, why_len, "no TEE report interface configured");
        return r < 0 ? r : -ENODEV;
}

int attest_measure(const struct attest_config *c, struct attest_result *ret)
{
        _cleanup_(report_bytes_done) struct report_bytes rb = {};
        struct attest_result res = {};
        uint8_t rd[ATTEST_REPORT_DATA_LEN], echoed[ATTEST_REPORT_DATA_LEN];
        char why[sizeof(res.reason) - 32]; /* room for the prefix */
        int r;

        if (!c || !ret || c->tee < 0 || c->tee >= _ATTEST_TEE_MAX || c->binding < 0 ||
            c->binding >= _ATTEST_BINDING_MAX)
                return -EINVAL;

        snprintf(res.tee_name, sizeof(res.tee_name), "%s", attest_tee_to_string(c->tee));
        res.tee = c->tee;
        res.format = _ATTEST_FORMAT_INVALID;
        if (c->tee == ATTEST_TEE_NONE) {
                res.dev_mode = true;
                snprintf(res.source, sizeof(res.source), "none");
                snprintf(res.reason, sizeof(res.reason),
                         "attestation disabled (--tee none): development mode, the policy is not "
                         "bound to TEE hardware");
                *ret = res;
                return 0;
        }

        if (c->report_data)
                memcpy(rd, c->report_data, sizeof(rd));
        else if (getrandom(rd, sizeof(rd), 0) != (ssize_t)sizeof(rd))
                return -EIO; /* 64 bytes never come back short once the pool is ready */

        r = read_report(c, rd, &rb, why, sizeof(why));
        if (r < 0) {
                snprintf(res.reason, sizeof(res.reason), "TEE report unreadable: %s", why);
                *ret = res;
                return 0;
        }
        snprintf(res.source, sizeof(res.source), "%s", rb.source);
        if (c->tee != ATTEST_TEE_AUTO && rb.tee != ATTEST_TEE_AUTO && rb.tee != c->tee) {
                snprintf(res.reason, sizeof(res.reason), "TEE report from %s is %s, but --tee %s",
                         rb.source, attest_tee_to_string(rb.tee), attest_tee_to_string(c->tee));
                *ret = res;
                return 0;
        }
        r = attest_report_parse(rb.buf, rb.len, rb.tee, &res.tee, &res.format, res.field,
                                &res.field_len, echoed);
        if (r < 0) {
                snprintf(res.reason, sizeof(res.reason),
                         "TEE report from %s not understood (%zu bytes): not a %s report", rb.source,
                         rb.len, rb.tee == ATTEST_TEE_AUTO ? "SEV-SNP or TDX" :
                         rb.tee == ATTEST_TEE_SNP ? "SEV-SNP" : "TDX");
                *ret = res;
                return 0;
        }
        snprintf(res.tee_name, sizeof(res.tee_name), "%s", attest_tee_to_string(res.tee));
        /* A report that does not echo our REPORT_DATA was not made for this request:
         * stale, replayed, or from a concurrent writer of the same configfs entry. A
         * fixture report file is taken as it is. */
        if (!c->report_file && !memeql_sec(echoed, rd, sizeof(rd))) {
                snprintf(res.reason, sizeof(res.reason),
                         "TEE report from %s does not carry the requested REPORT_DATA "
                         "(stale or foreign report)", rb.source);
                *ret = res;
                return 0;
        }
        hex_encode(res.field, res.field_len, res.actual_hex, sizeof(res.actual_hex));
        res.have_report = true;
        snprintf(res.reason, sizeof(res.reason), "no policy compared yet");
        *ret = res;
        return 0;
}

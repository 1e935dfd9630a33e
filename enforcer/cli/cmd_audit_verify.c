/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `ccgate audit verify FILE...`: check the audit log's hash chain (audit.h)
 * across rotated files and name the first bad record as FILE:LINE; with
 * --events, replay the runtime measurement events into the register value the
 * TEE reports and check that the log reaches the last head they measured.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "cleanup.h"
#include "commands.h"
#include "hex.h"
#include "measure_log.h"

static void verify_usage(FILE *f)
{
        fputs("Usage: ccgate audit verify [OPTIONS] FILE...\n"
              "\n"
              "Check the hash chain of a ccgate audit log. Every record carries the SHA-256\n"
              "of the line before it (\"prev\") and a sequence number (\"seq\") that goes up by\n"
              "one from the genesis record (seq 0) across restarts and rotated files. Give\n"
              "the live file and every rotated file (FILE.1, FILE.2, ...): they are put in\n"
              "chain order by their first record, so the order on the command line and the\n"
              "file names do not matter.\n"
              "\n"
              "The first bad record is reported as FILE:LINE: what is wrong. Found:\n"
              "  - a record edited after it was written (its hash no longer matches the\n"
              "    next record's \"prev\"), or a line that is not a record;\n"
              "  - records removed, repeated or reordered (a gap or step back in \"seq\"),\n"
              "    in one file or across rotated files, or a rotated file left out;\n"
              "  - a file cut in the middle of a record (its last line has no newline);\n"
              "  - a chain that does not start at its genesis record (without --partial);\n"
              "  - an outcome record that does not follow up a forwarded decision of the\n"
              "    same run, connection and stream (or follows one up twice).\n"
              "A hash chain without a secret cannot show, on its own, whole records cut\n"
              "off the end, or an edit followed by a rewrite of every later record: for\n"
              "those, compare with a head published elsewhere (--anchor), and on a log\n"
              "ccgate has closed, require its stop record (--closed).\n"
              "\n"
              "Options:\n"
              "      --anchor SEQ:HASH  the record with this seq must be in the log and its\n"
              "                         line must hash to HASH (the \"head\" line printed by\n"
              "                         an earlier verify, or the \"ends at SEQ:HASH\" that\n"
              "                         ccgate run logs when it stops, kept somewhere the\n"
              "                         log is not)\n"
              "      --closed           the log must end with a stop record, as it does once\n"
              "                         ccgate has stopped cleanly: anything else means\n"
              "                         records were cut off the end (or ccgate was killed)\n"
              "      --partial          accept a chain that starts after its genesis record\n"
              "                         (older rotated files were deleted by retention)\n"
              "      --events FILE      ccgate's runtime measurement event log (ccgate run\n"
              "                         --measure-log): replay this boot's events and take\n"
              "                         the last audit head they measured as the anchor, so\n"
              "                         a log cut after a measured head is detected\n"
              "      --pcr HEX          with --events: the TPM PCR's SHA-256 value (64 hex\n"
              "                         digits, as tpm2_pcrread prints it); the events must\n"
              "                         replay to it from zero\n"
              "      --rtmr HEX         with --events: the TDX RTMR's value (96 hex digits,\n"
              "                         from the attested TD quote); replayed with SHA-384\n"
              "      --boot ID          replay the events of this boot (default: the boot of\n"
              "                         the last event)\n"
              "  -q, --quiet            print nothing when the chain is intact\n"
              "  -h, --help             show this help\n"
              "\n"
              "Exit status: 0 the chain is intact (and the events replay to the register and\n"
              "the log reaches their head), 1 it is broken (the first bad record is named),\n"
              "the events do not replay to the register, or the log does not reach the\n"
              "measured head, 2 usage errors or a file that cannot be read.\n"
              "\n"
              "Examples:\n"
              "  ccgate audit verify /var/log/ccgate/audit.log*\n"
              "  ccgate audit verify --closed --anchor 10002:6f1c...e9 audit.log audit.log.1\n"
              "  ccgate audit verify --events events.audit.log --pcr 5d0c...a1 audit.log\n",
              f);
}

static int parse_anchor(const char *s, struct audit_verify_options *o)
{
        const char *colon = strchr(s, ':');
        char *end;
        unsigned long long seq;

        if (!colon || colon == s || *s < '0' || *s > '9' || strlen(colon + 1) != AUDIT_HASH_HEX)
                return -EINVAL;
        errno = 0;
        seq = strtoull(s, &end, 10);
        if (errno != 0 || end != colon)
                return -EINVAL;
        for (size_t i = 0; i < AUDIT_HASH_HEX; i++) {
                char ch = colon[1 + i];

                if (ch >= 'A' && ch <= 'F')
                        ch = (char)(ch - 'A' + 'a');
                if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
                        return -EINVAL;
                o->anchor_hash[i] = ch;
        }
        o->anchor_hash[AUDIT_HASH_HEX] = '\0';
        o->anchor_seq = seq;
        o->have_anchor = true;
        return 0;
}

/* What --events, --pcr, --rtmr and --boot ask for. */
struct events_check {
        const char *path, *boot;
        bool have_reg;
        enum measure_alg alg;
        uint8_t reg[MEASURE_DIGEST_MAX];
        struct measure_replay rp;
};

static int parse_register(const char *s, size_t n, uint8_t *ret)
{
        if (strlen(s) != 2 * n)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                unsigned v;

                if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
                    !strchr("0123456789abcdefABCDEF", s[2 * i + 1]))
                        return -EINVAL;
                ret[i] = (uint8_t)v;
        }
        return 0;
}

static void print_problem(const struct audit_problem *p)
{
        if (p->file && p->line > 0)
                fprintf(stderr, "%s:%lu: %s\n", p->file, p->line, p->message);
        else if (p->file)
                fprintf(stderr, "%s: %s\n", p->file, p->message);
        else
                fprintf(stderr, "ccgate audit verify: %s\n", p->message);
}

static void print_report(char **paths, size_t n_paths, const struct audit_verify_report *rep)
{
        _cleanup_free_ size_t *order = calloc(n_paths, sizeof(size_t));
        struct audit_problem p;

        printf("ok: the chain is intact\n");
        printf("  records  %" PRIu64 ", seq %" PRIu64 " to %" PRIu64 ", %s\n", rep->n_records,
               rep->first_seq, rep->last_seq,
               rep->from_genesis ? "from the genesis record" : "NOT from the genesis record (--partial)");
        printf("  files    %zu with records:", rep->n_files);
        if (order && audit_files_order(paths, n_paths, order, &p) == 0)
                for (size_t i = 0; i < rep->n_files && i < n_paths; i++)
                        printf(" %s", paths[order[i]]);
        printf("\n");
        printf("  head     %" PRIu64 ":%s\n", rep->last_seq, rep->head);
        if (rep->clean_stop)
                printf("  end      a stop record: ccgate closed the log\n");
        else
                printf("  end      not a stop record: ccgate is running or was killed, or records\n"
                       "           were cut off the end (compare the head with a published one)\n");
}

/*
 * Replay the events and compare with the register. Returns 0 (the anchor for
 * the chain set from the measured head), 1 when they do not agree (said), 2
 * when the event log cannot be read or is not one (said).
 */
static int check_events(struct events_check *e, struct audit_verify_options *o, bool quiet)
{
        enum measure_alg alg = e->have_reg ? e->alg : MEASURE_ALG_SHA256;
        size_t n = measure_alg_len(alg);
        char hex[2 * MEASURE_DIGEST_MAX + 1], want[2 * MEASURE_DIGEST_MAX + 1];
        struct audit_problem p = { 0 };
        int r;

        r = measure_replay_file(e->path, alg, e->boot, &e->rp, &p);
        if (r < 0) {
                /* No event of the boot explains nothing: as broken as a bad one. */
                print_problem(&p);
                return r == -EBADMSG || r == -ENOENT ? 1 : 2;
        }
        hex_encode(e->rp.value, n, hex, sizeof(hex));
        if (e->have_reg) {
                bool pcr = alg == MEASURE_ALG_SHA256;

                if (strncmp(e->rp.reg, pcr ? "tpm:" : "rtmr:", pcr ? 4 : 5) != 0 &&
                    strncmp(e->rp.reg, "aa", 2) != 0) {
                        fprintf(stderr, "%s: the events went into %s, not a%s\n", e->path,
                                e->rp.reg, pcr ? " TPM PCR (--pcr)" : " TDX RTMR (--rtmr)");
                        return 1;
                }
                if (memcmp(e->rp.value, e->reg, n) != 0) {
                        hex_encode(e->reg, n, want, sizeof(want));
                        fprintf(stderr, "%s: the %" PRIu64 " events of boot %s replay to %s, and "
                                        "the register holds %s: events were removed, added or "
                                        "changed, or something else extended %s\n",
                                e->path, e->rp.n_events, e->rp.boot, hex, want, e->rp.reg);
                        return 1;
                }
        }
        if (!quiet) {
                printf("ok: %s\n", e->have_reg ? "the events replay to the register"
                                               : "the events replay (no register value given)");
                printf("  events   %" PRIu64 " of boot %s, into %s, the last a %s event\n",
                       e->rp.n_events, e->rp.boot, e->rp.reg, measure_op_name(e->rp.last_op));
                printf("  %-8s %s\n", alg == MEASURE_ALG_SHA256 ? "sha256" : "sha384", hex);
                if (strncmp(e->rp.reg, "aa", 2) == 0)
                        printf("  note     the attestation agent's register also holds the agent's "
                               "other events:\n           replay its event log (AAEL) as Trustee "
                               "does\n");
        }
        if (e->rp.has_head) {
                o->have_anchor = true;
                o->anchor_seq = e->rp.head_seq;
                memcpy(o->anchor_hash, e->rp.head, sizeof(o->anchor_hash));
        }
        return 0;
}

int cmd_audit_verify(int argc, char **argv)
{
        enum { OPT_ANCHOR = 256, OPT_CLOSED, OPT_PARTIAL, OPT_EVENTS, OPT_PCR, OPT_RTMR, OPT_BOOT };
        static const struct option longopts[] = {
                { "anchor", required_argument, NULL, OPT_ANCHOR },
                { "closed", no_argument, NULL, OPT_CLOSED },
                { "partial", no_argument, NULL, OPT_PARTIAL },
                { "events", required_argument, NULL, OPT_EVENTS },
                { "pcr", required_argument, NULL, OPT_PCR },
                { "rtmr", required_argument, NULL, OPT_RTMR },
                { "boot", required_argument, NULL, OPT_BOOT },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct audit_verify_options o = { 0 };
        struct events_check ev = { 0 };
        struct audit_verify_report rep;
        struct audit_problem p;
        bool quiet = false;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) >= 0) {
                switch (c) {
                case OPT_ANCHOR:
                        if (parse_anchor(optarg, &o) < 0) {
                                fprintf(stderr, "ccgate audit verify: --anchor: expected SEQ:HASH "
                                                "(a number, a colon, 64 hex digits), got '%s'\n",
                                        optarg);
                                return 2;
                        }
                        break;
                case OPT_CLOSED: o.closed = true; break;
                case OPT_PARTIAL: o.partial = true; break;
                case OPT_EVENTS: ev.path = optarg; break;
                case OPT_BOOT: ev.boot = optarg; break;
                case OPT_PCR:
                case OPT_RTMR:
                        ev.alg = c == OPT_PCR ? MEASURE_ALG_SHA256 : MEASURE_ALG_SHA384;
                        if (ev.have_reg ||
                            parse_register(optarg, measure_alg_len(ev.alg), ev.reg) < 0) {
                                fprintf(stderr, "ccgate audit verify: --%s: expected one register "
                                                "value of %zu hex digits, got '%s'\n",
                                        c == OPT_PCR ? "pcr" : "rtmr",
                                        2 * measure_alg_len(ev.alg), optarg);
                                return 2;
                        }
                        ev.have_reg = true;
                        break;
                case 'q': quiet = true; break;
                case 'h': verify_usage(stdout); return 0;
                default:
                        fprintf(stderr, "Try 'ccgate audit verify --help'.\n");
                        return 2;
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "ccgate audit verify: no FILE given. Try 'ccgate audit verify --help'.\n");
                return 2;
        }

        if ((ev.have_reg || ev.boot) && !ev.path) {
                fprintf(stderr, "ccgate audit verify: --pcr, --rtmr and --boot go with --events "
                                "FILE\n");
                return 2;
        }
        if (ev.path && o.have_anchor) {
                fprintf(stderr, "ccgate audit verify: --events takes its anchor from the events: "
                                "give --anchor or --events\n");
                return 2;
        }
        if (ev.path) {
                r = check_events(&ev, &o, quiet);
                if (r != 0)
                        return r;
        }

        r = audit_verify(argv + optind, (size_t)(argc - optind), &o, &rep, &p);
        if (r == -EBADMSG) {
                print_problem(&p);
                if (ev.path && ev.rp.has_head)
                        fprintf(stderr, "ccgate audit verify: the events measured the audit head "
                                        "%" PRIu64 ":%s; the log must reach it\n",
                                ev.rp.head_seq, ev.rp.head);
                return 1;
        }
        if (r < 0) {
                if (p.file)
                        print_problem(&p);
                else
                        fprintf(stderr, "ccgate audit verify: %s\n", strerror(-r));
                return 2;
        }
        if (!quiet) {
                if (ev.path && ev.rp.has_head)
                        printf("ok: the audit log reaches the measured head %" PRIu64 ":%s\n",
                               ev.rp.head_seq, ev.rp.head);
                print_report(argv + optind, (size_t)(argc - optind), &rep);
        }
        return 0;
}

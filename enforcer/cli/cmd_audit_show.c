/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `ccgate audit show FILE...`: print audit records for people (a table) or for
 * jq (the stored lines), filtered. Reading is bounded by audit_reader;
 * jansson's allocations are fine off the request path.
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

static void show_usage(FILE *f)
{
        fputs("Usage: ccgate audit show [OPTIONS] FILE...\n"
              "\n"
              "Print the records of a ccgate audit log: a table for people, or with --json\n"
              "the records exactly as stored, one JSON object per line, for jq. Give the\n"
              "live file and the rotated ones (FILE.1, ...): they are read in chain order.\n"
              "show does not check the chain: run 'ccgate audit verify' for that.\n"
              "\n"
              "The table has one row per record:\n"
              "  SEQ          the record's sequence number\n"
              "  TIME         when it was written (UTC, to the millisecond)\n"
              "  CONN:STREAM  ccgate's connection number and the ttRPC stream id, as in\n"
              "               ccgate's own log\n"
              "  DECISION     allow or deny; 'deny+fwd' when a denied request still went to\n"
              "               the agent (a drained read, or the policy's audit mode)\n"
              "  REQUEST      the request message, or '?' and the method for one the agent\n"
              "               API does not have\n"
              "  CONTAINER, EXEC   the ids the request names ('-': none)\n"
              "  RULE: REASON the rule that decided, and why\n"
              "An outcome record says what became of a forwarded request, on a row of its\n"
              "own with the same CONN:STREAM: DECISION is 'answered' (by the agent),\n"
              "'unsent' (it never reached the agent) or 'abandoned' (no answer came, or\n"
              "the host was gone), followed by the status code the host was sent, why,\n"
              "and the seq of the decision it follows up.\n"
              "Records that are not about requests (genesis, start, stop) show what was\n"
              "running: the policy digest, the TEE, the ccgate version and the eBPF hooks.\n"
              "Control characters and bidirectional overrides in host strings are printed\n"
              "as \\xNN / \\uNNNN, never sent to the terminal.\n"
              "\n"
              "Filters (all given must match; with --decision, --request or --container\n"
              "only decision records are shown):\n"
              "      --decision allow|deny  only records with this decision\n"
              "      --request NAME         only this request message (ExecProcessRequest) or\n"
              "                             method (ExecProcess, ReadStdout)\n"
              "      --container ID         only requests naming this container id\n"
              "      --since TIME           only records written at or after TIME\n"
              "      --until TIME           only records written before TIME\n"
              "  TIME is RFC 3339 (2026-11-22T20:03:36Z, 2026-11-22T21:03:36.5+01:00) or a\n"
              "  date (2026-11-22: its midnight UTC).\n"
              "\n"
              "Options:\n"
              "      --json                 print the matching records as stored, one per line\n"
              "  -h, --help                 show this help\n"
              "\n"
              "Exit status: 0 success, 1 some lines were not records (each is named on\n"
              "stderr and skipped), 2 usage errors or a file that cannot be read.\n"
              "\n"
              "Examples:\n"
              "  ccgate audit show /var/log/ccgate/audit.log\n"
              "  ccgate audit show --decision deny --since 2026-11-22 audit.log*\n"
              "  ccgate audit show --request ExecProcess --container 3f2a... audit.log\n"
              "  ccgate audit show --json --decision deny audit.log | jq -r .rule | sort | uniq -c\n",
              f);
}

struct show_filter {
        const char *decision, *request, *container;
        bool have_since, have_until;
        struct timespec since, until;
        bool json;
};

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
        return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static const char *str_or_null(const json_t *j, const char *key)
{
        return json_string_value(json_object_get(j, key));
}

static bool str_eq(const char *a, const char *b)
{
        return a && b && strcmp(a, b) == 0;
}

static bool show_match(const struct show_filter *f, const json_t *j, const struct audit_record *rec)
{
        bool decision = strcmp(rec->type, "decision") == 0;

        if ((f->decision || f->request || f->container) && !decision)
                return false;
        if (f->decision && !str_eq(str_or_null(j, "decision"), f->decision))
                return false;
        if (f->request && !str_eq(str_or_null(j, "request"), f->request) &&
            !str_eq(str_or_null(j, "method"), f->request))
                return false;
        if (f->container && !str_eq(str_or_null(j, "container_id"), f->container))
                return false;
        if (f->have_since || f->have_until) {
                struct timespec t;

                if (audit_parse_time(str_or_null(j, "time"), &t) < 0)
                        return false;
                if (f->have_since && ts_before(&t, &f->since))
                        return false;
                if (f->have_until && !ts_before(&t, &f->until))
                        return false;
        }
        return true;
}

/*
 * Print s for a terminal: control characters (C0, DEL, C1) and the
 * bidirectional overrides and isolates escaped, so a hostile host string
 * cannot move the cursor or reorder what is shown. Pads to width columns.
 */
static void put_safe(const char *s, int width)
{
        const unsigned char *u = (const unsigned char *)(s ? s : "-");
        int cols = 0;

        for (size_t i = 0; u[i]; i++) {
                unsigned char ch = u[i];

                if (ch < 0x20 || ch == 0x7f) {
                        cols += printf("\\x%02x", ch);
                } else if (ch == 0xc2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f) {
                        cols += printf("\\u%04x", u[i + 1]);
                        i++;
                } else if (ch == 0xe2 && u[i + 1] == 0x80 && u[i + 2] >= 0xaa && u[i + 2] <= 0xae) {
                        cols += printf("\\u%04x", 0x2000 | (u[i + 2] - 0x80));
                        i += 2;
                } else if (ch == 0xe2 && u[i + 1] == 0x81 && u[i + 2] >= 0xa6 && u[i + 2] <= 0xa9) {
                        cols += printf("\\u%04x", 0x2040 | (u[i + 2] - 0x80));
                        i += 2;
                } else {
                        putchar(ch);
                        cols += (ch & 0xc0) != 0x80; /* one column per character */
                }
        }
        for (; cols < width; cols++)
                putchar(' ');
}

static void put_time(const char *t)
{
        /* 2026-11-22T20:03:36.123456789Z -> 2026-11-22 20:03:36.123 */
        if (t && strlen(t) == 30 && t[10] == 'T' && t[19] == '.' && t[29] == 'Z') {
                printf("%.10s %.12s", t, t + 11);
                return;
        }
        put_safe(t, 23);
}

static void show_header(void)
{
        printf("%-7s %-23s %-11s %-9s %-24s %-16s %-12s %s\n", "SEQ", "TIME", "CONN:STREAM",
               "DECISION", "REQUEST", "CONTAINER", "EXEC", "RULE: REASON");
}

static void put_conn_stream(const json_t *j)
{
        char cs[48];

        snprintf(cs, sizeof(cs), "%" JSON_INTEGER_FORMAT ":%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(j, "conn")),
                 json_integer_value(json_object_get(j, "stream")));
        printf("%-11s ", cs);
}

/* 1:3  answered  ExecProcessRequest  -  -  code 0 (decision 11) */
static void show_outcome(const json_t *j)
{
        const char *o = str_or_null(j, "outcome"), *why = str_or_null(j, "why");
        const json_t *code = json_object_get(j, "code");

        put_conn_stream(j);
        put_safe(str_eq(o, "not-forwarded") ? "unsent" : o, 9);
        putchar(' ');
        put_safe(str_or_null(j, "request"), 24);
        printf(" %-16s %-12s ", "-", "-");
        if (why) {
                put_safe(why, 0);
                printf(", ");
        }
        if (json_is_integer(code))
                printf("code %" JSON_INTEGER_FORMAT, json_integer_value(code));
        else
                printf("%s", str_eq(o, "answered") ? "an answer that did not decode"
                                                  : "nothing sent to the host");
        printf(" (decision %" JSON_INTEGER_FORMAT ")\n",
               json_integer_value(json_object_get(j, "decision_seq")));
}

static void show_row(const json_t *j, const struct audit_record *rec)
{
        printf("%-7" PRIu64 " ", rec->seq);
        put_time(str_or_null(j, "time"));
        putchar(' ');

        if (strcmp(rec->type, "outcome") == 0) {
                show_outcome(j);
                return;
        }
        if (strcmp(rec->type, "measure") == 0) {
                printf("%-11s measure: event %" JSON_INTEGER_FORMAT " ", "-",
                       json_integer_value(json_object_get(j, "event")));
                put_safe(str_or_null(j, "operation"), 0);
                printf(" into ");
                put_safe(str_or_null(j, "register"), 0);
                putchar('\n');
                return;
        }
        if (strcmp(rec->type, "decision") != 0) {
                const char *version = str_or_null(j, "ccgate_version");

                printf("%-11s %s: policy ", "-", rec->type);
                put_safe(str_or_null(j, "policy"), 0);
                printf(", tee ");
                put_safe(str_or_null(j, "tee"), 0);
                if (version) {
                        printf(", ccgate ");
                        put_safe(version, 0);
                        printf(", hooks ");
                        put_safe(str_or_null(j, "hooks"), 0);
                        if (str_or_null(j, "measure")) {
                                printf(", measure ");
                                put_safe(str_or_null(j, "measure"), 0);
                        }
                }
                putchar('\n');
                return;
        }

        {
                const char *d = str_or_null(j, "decision");
                const char *req = str_or_null(j, "request");

                put_conn_stream(j);
                if (str_eq(d, "deny") && json_is_true(json_object_get(j, "forwarded")))
                        printf("%-9s ", "deny+fwd");
                else {
                        put_safe(d, 9);
                        putchar(' ');
                }
                if (req || !str_or_null(j, "method"))
                        put_safe(req, 24);
                else {
                        /* Unknown method: what the host sent, marked. */
                        putchar('?');
                        put_safe(str_or_null(j, "method"), 23);
                }
                putchar(' ');
                put_safe(str_or_null(j, "container_id"), 16);
                putchar(' ');
                put_safe(str_or_null(j, "exec_id"), 12);
                putchar(' ');
                put_safe(str_or_null(j, "rule"), 0);
                printf(": ");
                put_safe(str_or_null(j, "reason"), 0);
                putchar('\n');
        }
}

/* Returns 0, 1 when lines were skipped, or -errno (reported). */
static int show_file(const char *path, const struct show_filter *f)
{
        _cleanup_(audit_reader_freep) struct audit_reader *rd = NULL;
        unsigned long lineno = 0;
        const char *line;
        size_t len;
        int k, skipped = 0;

        k = audit_reader_open(path, &rd);
        if (k < 0) {
                fprintf(stderr, "%s: cannot open: %s\n", path, strerror(-k));
                return k;
        }
        for (;;) {
                struct audit_record rec;
                char why[256];
                json_t *j;

                k = audit_reader_next(rd, &line, &len, &lineno);
                if (k == 0)
                        break;
                if (k == -E2BIG) {
                        fprintf(stderr, "%s:%lu: line too long to be a record; the rest of the "
                                        "file is skipped\n", path, lineno);
                        return 1;
                }
                if (k == -EBADMSG) {
                        fprintf(stderr, "%s:%lu: cut: the last line has no newline; skipped\n",
                                path, lineno);
                        skipped = 1;
                        break;
                }
                if (k < 0) {
                        fprintf(stderr, "%s:%lu: cannot read: %s\n", path, lineno, strerror(-k));
                        return k;
                }
                if (audit_record_parse(line, len, &j, &rec, why, sizeof(why)) < 0) {
                        fprintf(stderr, "%s:%lu: %s; skipped\n", path, lineno, why);
                        skipped = 1;
                        continue;
                }
                if (show_match(f, j, &rec)) {
                        if (f->json) {
                                fwrite(line, 1, len, stdout);
                                putchar('\n');
                        } else
                                show_row(j, &rec);
                }
                json_decref(j);
        }
        return skipped;
}

int cmd_audit_show(int argc, char **argv)
{
        enum { OPT_DECISION = 256, OPT_REQUEST, OPT_CONTAINER, OPT_SINCE, OPT_UNTIL, OPT_JSON };
        static const struct option longopts[] = {
                { "decision", required_argument, NULL, OPT_DECISION },
                { "request", required_argument, NULL, OPT_REQUEST },
                { "container", required_argument, NULL, OPT_CONTAINER },
                { "since", required_argument, NULL, OPT_SINCE },
                { "until", required_argument, NULL, OPT_UNTIL },
                { "json", no_argument, NULL, OPT_JSON },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct show_filter f = { 0 };
        _cleanup_free_ size_t *order = NULL;
        struct audit_problem p;
        char **paths;
        size_t n;
        int c, r, status = 0;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
                switch (c) {
                case OPT_DECISION:
                        if (strcmp(optarg, "allow") != 0 && strcmp(optarg, "deny") != 0) {
                                fprintf(stderr, "ccgate audit show: --decision: expected allow or "
                                                "deny, got '%s'\n", optarg);
                                return 2;
                        }
                        f.decision = optarg;
                        break;
                case OPT_REQUEST: f.request = optarg; break;
                case OPT_CONTAINER: f.container = optarg; break;
                case OPT_SINCE:
                case OPT_UNTIL:
                        if (audit_parse_time(optarg, c == OPT_SINCE ? &f.since : &f.until) < 0) {
                                fprintf(stderr, "ccgate audit show: --%s: expected an RFC 3339 "
                                                "time or a date (2026-11-22T20:03:36Z, "
                                                "2026-11-22), got '%s'\n",
                                        c == OPT_SINCE ? "since" : "until", optarg);
                                return 2;
                        }
                        if (c == OPT_SINCE)
                                f.have_since = true;
                        else
                                f.have_until = true;
                        break;
                case OPT_JSON: f.json = true; break;
                case 'h': show_usage(stdout); return 0;
                default:
                        fprintf(stderr, "Try 'ccgate audit show --help'.\n");
                        return 2;
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "ccgate audit show: no FILE given. Try 'ccgate audit show --help'.\n");
                return 2;
        }
        paths = argv + optind;
        n = (size_t)(argc - optind);

        order = calloc(n, sizeof(*order));
        if (!order) {
                fprintf(stderr, "ccgate audit show: %s\n", strerror(ENOMEM));
                return 2;
        }
        r = audit_files_order(paths, n, order, &p);
        if (r == -EBADMSG) {
                /* Still show what is there, in the order given. */
                fprintf(stderr, "%s:%lu: %s; files shown in the order given\n", p.file, p.line,
                        p.message);
                for (size_t i = 0; i < n; i++)
                        order[i] = i;
                status = 1;
        } else if (r < 0) {
                if (p.file)
                        fprintf(stderr, "%s: %s\n", p.file, p.message);
                else
                        fprintf(stderr, "ccgate audit show: %s\n", strerror(-r));
                return 2;
        }

        if (!f.json)
                show_header();
        for (size_t i = 0; i < n; i++) {
                r = show_file(paths[order[i]], &f);
                if (r < 0)
                        return 2;
                if (r > 0)
                        status = 1;
        }
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "ccgate audit show: writing the output: %s\n", strerror(errno));
                return 2;
        }
        return status;
}

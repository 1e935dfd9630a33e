/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit-gen LOG [ROTATE_BYTES [COUNT [outcomes]]]: write sample records into
 * LOG (one run: open, COUNT events, close), for the schema and CLI tests; with
 * "outcomes", each forwarded one is followed up by an outcome record.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"

int main(int argc, char **argv)
{
        struct audit_options o;
        struct audit_log *log = NULL;
        unsigned long long rotate = 0, count;
        bool outcomes;
        int r;

        if (argc < 2 || argc > 5 || (argc == 5 && strcmp(argv[4], "outcomes") != 0)) {
                fprintf(stderr, "usage: audit-gen LOG [ROTATE_BYTES [COUNT [outcomes]]]\n");
                return 2;
        }
        outcomes = argc == 5;
        rotate = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;
        count = argc > 3 ? strtoull(argv[3], NULL, 10) : sample_count();
        o = sample_options(argv[1], rotate);
        r = audit_open(&o, &log);
        if (r < 0) {
                fprintf(stderr, "audit_open %s: %s\n", argv[1], strerror(-r));
                return 1;
        }
        for (unsigned long long i = 0; i < count; i++) {
                r = sample_append(log, (size_t)i);
                if (r >= 0 && outcomes)
                        r = sample_outcome(log, (size_t)i);
                if (r < 0) {
                        fprintf(stderr, "audit_append %llu: %s\n", i, strerror(-r));
                        audit_close(log);
                        return 1;
                }
        }
        audit_close(log);
        return 0;
}

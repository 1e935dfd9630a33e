/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What ccgate's reader of image_guest_pull driver options (rules/decide_image.c)
 * makes of each line of a file, for image_metadata_test.py: each input line is one
 * option in hex; each output line is 1 (metadata says sandbox), 0 (it does not) or
 * -1 (refused).
 *
 * Usage: image-metadata-read FILE
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"

static int unhex(const char *s, size_t n, char *out)
{
        for (size_t i = 0; i < n; i += 2) {
                unsigned v;
                if (sscanf(s + i, "%2x", &v) != 1)
                        return -EINVAL;
                out[i / 2] = (char)v;
        }
        return 0;
}

int main(int argc, char **argv)
{
        static char line[65536], opt[32768];
        FILE *f;

        if (argc != 2 || !(f = fopen(argv[1], "re"))) {
                fprintf(stderr, "usage: %s FILE\n", argv[0]);
                return 2;
        }
        while (fgets(line, sizeof(line), f)) {
                size_t n = strcspn(line, "\n");
                int r;

                if (n % 2 || n / 2 >= sizeof(opt) || unhex(line, n, opt) < 0) {
                        fprintf(stderr, "bad input line\n");
                        fclose(f);
                        return 2;
                }
                r = image_pull_is_sandbox(opt, n / 2);
                printf("%d\n", r < 0 ? -1 : r);
        }
        fclose(f);
        return 0;
}

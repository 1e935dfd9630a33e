/* SPDX-License-Identifier: Apache-2.0 */
/* ccgate hooks remove: detach and unpin the eBPF hooks (bpf/guard.h). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "guard.h"

static void remove_usage(FILE *f)
{
        fprintf(f,
                "Usage: ccgate hooks remove [--pin-dir DIR]\n"
                "\n"
                "Detach every hook pinned under the pin directory, unpin it and remove the\n"
                "directory. Nothing pinned is not an error.\n"
                "\n"
                "Options:\n"
                "      --pin-dir DIR         bpffs directory (default " GUARD_PIN_DIR ")\n"
                "  -h, --help                this text\n"
                "\n"
                "Exit status: 0 removed, 1 could not remove, 2 usage error.\n");
}

int cmd_hooks_remove(int argc, char **argv)
{
        enum { OPT_PIN_DIR = 256 };
        static const struct option longopts[] = {
                { "pin-dir", required_argument, NULL, OPT_PIN_DIR },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *pin_dir = NULL;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
                switch (c) {
                case OPT_PIN_DIR: pin_dir = optarg; break;
                case 'h': remove_usage(stdout); return 0;
                default: remove_usage(stderr); return 2;
                }
        }
        if (optind < argc) {
                remove_usage(stderr);
                return 2;
        }
        r = guard_remove(pin_dir);
        if (r < 0) {
                fprintf(stderr, "ccgate hooks remove: %s\n", strerror(-r));
                return 1;
        }
        return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
#include "fuzz.h"

#include <errno.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FUZZ_SOURCE_ROOT
#error "FUZZ_SOURCE_ROOT must be defined by the build"
#endif

const char *fuzz_source_root(void)
{
        const char *e = getenv("CCGATE_FUZZ_SRCDIR");

        return e && *e ? e : FUZZ_SOURCE_ROOT;
}

void fuzz_die(const char *what, int error)
{
        fprintf(stderr, "fuzz setup: %s%s%s\n", what, error ? ": " : "",
                error ? strerror(error < 0 ? -error : error) : "");
        exit(1);
}

static char scratch[64];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        (void)remove(path);
        return 0;
}

static void scratch_remove(void)
{
        if (scratch[0])
                (void)nftw(scratch, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_scratch_dir(void)
{
        const char *bases[] = { "/dev/shm", getenv("TMPDIR"), "/tmp" };

        if (scratch[0])
                return scratch;
        for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
                if (!bases[i] || !*bases[i] || access(bases[i], W_OK) < 0)
                        continue;
                snprintf(scratch, sizeof(scratch), "%s/ccgate-fuzz-XXXXXX", bases[i]);
                if (mkdtemp(scratch)) {
                        atexit(scratch_remove);
                        return scratch;
                }
        }
        scratch[0] = '\0';
        fuzz_die("no writable scratch directory", errno);
}

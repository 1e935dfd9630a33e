/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Corpus replay: run a fuzz target's LLVMFuzzerTestOneInput on each file given,
 * or on each file in each directory given (in name order), so that the corpus
 * runs as an ordinary test in every build, gcc and sanitizers included. In the
 * manner of systemd's src/fuzz/fuzz-main.c.
 * Usage: FUZZ-replay FILE|DIR...
 * Exit: 0 when every input ran, 1 when a file cannot be read or no input was
 * given (an empty corpus is a broken test, not a pass); a failing input aborts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "fuzz.h"

/* Far above any corpus file; libFuzzer's own -max_len is much smaller. */
#define REPLAY_INPUT_MAX (16u * 1024u * 1024u)

static int run_file(int dirfd, const char *name, const char *shown)
{
        uint8_t *buf = NULL, *exact;
        size_t len = 0;
        int r;

        r = read_file_bounded_at(dirfd, name, REPLAY_INPUT_MAX, &buf, &len);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", shown, strerror(-r));
                return r;
        }
        /* An allocation of exactly the input's size, so that reading past the
         * end is caught by ASan as it would be under libFuzzer. */
        exact = malloc(len ? len : 1);
        if (!exact) {
                free(buf);
                return -ENOMEM;
        }
        if (len)
                memcpy(exact, buf, len);
        free(buf);
        fprintf(stderr, "running %s (%zu bytes)\n", shown, len);
        (void)LLVMFuzzerTestOneInput(exact, len);
        free(exact);
        return 0;
}

static int filter_visible(const struct dirent *d)
{
        return d->d_name[0] != '.';
}

static int run_dir(const char *path, size_t *n_run)
{
        struct dirent **names = NULL;
        int n, fd, r = 0;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = scandir(path, &names, filter_visible, alphasort);
        if (n < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        for (int i = 0; i < n; i++) {
                char shown[4096];
                struct stat st;

                snprintf(shown, sizeof(shown), "%s/%s", path, names[i]->d_name);
                if (r == 0 && fstatat(fd, names[i]->d_name, &st, 0) == 0 && S_ISREG(st.st_mode)) {
                        r = run_file(fd, names[i]->d_name, shown);
                        if (r == 0)
                                (*n_run)++;
                }
                free(names[i]);
        }
        free(names);
        close(fd);
        return r;
}

int main(int argc, char **argv)
{
        size_t n_run = 0;
        int r;

        if (argc < 2) {
                fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
                return 1;
        }
        (void)LLVMFuzzerInitialize(&argc, &argv);

        for (int i = 1; i < argc; i++) {
                struct stat st;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                        return 1;
                }
                if (S_ISDIR(st.st_mode))
                        r = run_dir(argv[i], &n_run);
                else {
                        r = run_file(AT_FDCWD, argv[i], argv[i]);
                        if (r == 0)
                                n_run++;
                }
                if (r < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(-r));
                        return 1;
                }
        }
        if (n_run == 0) {
                fprintf(stderr, "no inputs: an empty corpus tests nothing\n");
                return 1;
        }
        printf("%zu inputs ran\n", n_run);
        return 0;
}

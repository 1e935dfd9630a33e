/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every fuzz target defines, and what they share. A target is linked either
 * with libFuzzer (-Dfuzzing=true, clang) or with fuzz_main.c, which replays a
 * corpus through the same entry points as an ordinary test.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Run one input. Returns 0 (libFuzzer reserves other values). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Once, before the first input (every target defines it, even when it has nothing to do). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * An invariant of the code under test. A violation aborts, which libFuzzer and
 * the replay both report as a crash with the input that caused it. Not assert():
 * it must hold in NDEBUG builds too.
 */
#define FUZZ_CHECK(cond)                                                                   \
        do {                                                                               \
                if (!(cond)) {                                                             \
                        fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__,        \
                                __LINE__, #cond);                                          \
                        abort();                                                           \
                }                                                                          \
        } while (0)

/*
 * The source tree (for the example policies and requests the targets load
 * once): $CCGATE_FUZZ_SRCDIR when set, else the tree the binary was built from.
 */
const char *fuzz_source_root(void);

/* Setup that cannot fail in a working tree: print why and exit 1. */
void fuzz_die(const char *what, int error) __attribute__((noreturn));

/* A fresh scratch directory (under /dev/shm when possible), removed at exit. */
const char *fuzz_scratch_dir(void);

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The generated policy for one lifecycle of the traffic corpus (tests/corpus): its
 * pod.yaml, every image layout mkimages.py built, and the settings the lifecycle's
 * "runtime_id" and "config" call for. For the corpus tests here and for the replay
 * tests through ccgate.
 */
#pragma once

#include <jansson.h>

#include "generate.h"

/*
 * Generate for the lifecycle document lc (its file at lifecycle_path, whose directory
 * holds pod.yaml), with the images under layouts_dir (one OCI layout per
 * subdirectory) and --logs logs. *ret is filled as gen_generate() does.
 */
int corpus_generate(const char *lifecycle_path, const json_t *lc, const char *layouts_dir,
                    enum gen_logs logs, struct gen_output *ret, struct policy_error *err);

/* SPDX-License-Identifier: Apache-2.0 */
/* The generated policy for a traffic corpus lifecycle (see corpus_gen.h). */
#include "corpus_gen.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "policy_error.h"

int corpus_generate(const char *lifecycle_path, const json_t *lc, const char *layouts_dir,
                    enum gen_logs logs, struct gen_output *ret, struct policy_error *err)
{
        _cleanup_(gen_input_freep) struct gen_input *in = NULL;
        _cleanup_(gen_images_freep) struct gen_images *im = NULL;
        _cleanup_(gen_settings_freep) struct gen_settings *set = NULL;
        const char *runtime = json_string_value(json_object_get(lc, "runtime_id"));
        const char *mode = json_string_value(json_object_get(json_object_get(lc, "config"),
                                                             "emptydir_mode"));
        struct gen_request rq = { .runtime = runtime, .logs = logs };
        char pod[PATH_MAX], settings[128], path[PATH_MAX];
        const char *slash = strrchr(lifecycle_path, '/');
        struct dirent **entries = NULL;
        int n, r;

        if (!runtime || !slash)
                return policy_error_set(err, lifecycle_path, 0, 0, "no runtime_id");
        snprintf(pod, sizeof(pod), "%.*s/pod.yaml", (int)(slash - lifecycle_path), lifecycle_path);
        snprintf(settings, sizeof(settings), "kata:\n  emptydir_mode: %s\n",
                 mode ? mode : "block-encrypted");
        if ((r = gen_input_new(&in)) < 0 || (r = gen_images_new(&im)) < 0)
                return r;
        if ((r = gen_input_add_file(in, pod, err)) < 0 ||
            (r = gen_settings_load_buffer("corpus settings", settings, strlen(settings), &set, err)) < 0)
                return r;
        n = scandir(layouts_dir, &entries, NULL, alphasort);
        if (n < 0)
                return policy_error_errno(err, -errno, layouts_dir, 0, 0, "%s", strerror(errno));
        r = 0;
        for (int i = 0; i < n; i++) {
                if (r == 0 && entries[i]->d_name[0] != '.') {
                        snprintf(path, sizeof(path), "%s/%s", layouts_dir, entries[i]->d_name);
                        r = gen_images_add(im, path, err);
                }
                free(entries[i]);
        }
        free(entries);
        if (r < 0)
                return r;
        return gen_generate(in, im, set, &rq, ret, err);
}

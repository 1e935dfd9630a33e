/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen-driver: `ccgate policy generate` as a test program, until the command lands in
 * the CLI (issue 13 reorganises it). Usage as the command's:
 *   gen-driver [--images DIR|TAR|JSON]... [--settings FILE] [--workload NAME]
 *              [--namespace NS] [--runtime go-shim|runtime-rs] [--logs allow|deny]
 *              [--allow-host-path] [--initdata FILE] [--output FILE]
 *              FILE.yaml... [--allow-exec CONTAINER -- ARGV...]...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "generate.h"
#include "policy_error.h"

static int fail(const struct policy_error *err)
{
        char msg[1024];

        policy_error_format(err, msg, sizeof(msg));
        fprintf(stderr, "%s\n", msg);
        return 1;
}

int main(int argc, char **argv)
{
        _cleanup_(gen_input_freep) struct gen_input *in = NULL;
        _cleanup_(gen_images_freep) struct gen_images *im = NULL;
        _cleanup_(gen_settings_freep) struct gen_settings *set = NULL;
        struct gen_exec_allow execs[16];
        struct gen_request rq = { .logs = GEN_LOGS_DENY };
        struct gen_output out = { 0 };
        struct policy_error err = { 0 };
        const char *settings = NULL, *initdata = NULL, *output = NULL, *algorithm = "sha256";
        const char *images[32], *files[32];
        size_t n_images = 0, n_files = 0;
        int r;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
#define ARG() (i + 1 < argc ? argv[++i] : (fprintf(stderr, "%s needs a value\n", a), exit(2), ""))
                if (strcmp(a, "--images") == 0 && n_images < 32) {
                        images[n_images++] = ARG();
                } else if (strcmp(a, "--settings") == 0) {
                        settings = ARG();
                } else if (strcmp(a, "--workload") == 0) {
                        rq.workload = ARG();
                } else if (strcmp(a, "--namespace") == 0) {
                        rq.namespace_ = ARG();
                } else if (strcmp(a, "--runtime") == 0) {
                        rq.runtime = ARG();
                } else if (strcmp(a, "--logs") == 0) {
                        rq.logs = gen_logs_from_string(ARG());
                        if (rq.logs < 0)
                                return 2;
                } else if (strcmp(a, "--allow-host-path") == 0) {
                        rq.allow_host_path = true;
                } else if (strcmp(a, "--initdata") == 0) {
                        initdata = ARG();
                } else if (strcmp(a, "--initdata-algorithm") == 0) {
                        algorithm = ARG();
                } else if (strcmp(a, "--output") == 0) {
                        output = ARG();
                } else if (strcmp(a, "--allow-exec") == 0 && rq.n_execs < 16) {
                        struct gen_exec_allow *x = &execs[rq.n_execs++];
                        x->container = ARG();
                        if (i + 1 >= argc || strcmp(argv[++i], "--") != 0)
                                return fprintf(stderr, "--allow-exec CONTAINER -- ARGV...\n"), 2;
                        x->argv = (const char *const *)argv + i + 1;
                        while (i + 1 < argc && strcmp(argv[i + 1], "--allow-exec") != 0) {
                                i++;
                                x->argc++;
                        }
                        if (!x->argc)
                                return fprintf(stderr, "--allow-exec: no ARGV\n"), 2;
                } else if (a[0] == '-' && a[1]) {
                        fprintf(stderr, "unknown option %s\n", a);
                        return 2;
                } else if (n_files < 32) {
                        files[n_files++] = a;
                }
        }
        rq.execs = execs;
        if (!n_files)
                return fprintf(stderr, "no FILE.yaml\n"), 2;
        if (gen_input_new(&in) < 0 || gen_images_new(&im) < 0)
                return 1;
        for (size_t i = 0; i < n_files; i++)
                if (gen_input_add_file(in, files[i], &err) < 0)
                        return fail(&err);
        if (gen_settings_load(settings, &set, &err) < 0)
                return fail(&err);
        for (size_t i = 0; i < n_images; i++)
                if (gen_images_add(im, images[i], &err) < 0)
                        return fail(&err);
        r = gen_generate(in, im, set, &rq, &out, &err);
        if (r < 0)
                return fail(&err);
        for (size_t i = 0; i < out.n_warnings; i++)
                fprintf(stderr, "warning: %s\n", out.warnings[i]);
        if (output) {
                FILE *f = fopen(output, "we");
                if (!f || fwrite(out.policy, 1, out.policy_len, f) != out.policy_len || fclose(f))
                        return perror(output), 1;
        } else {
                fwrite(out.policy, 1, out.policy_len, stdout);
        }
        if (initdata) {
                char *doc;
                size_t len;
                uint8_t f[ATTEST_FIELD_MAX];
                FILE *fp;
                if (gen_initdata(out.policy, out.policy_len, algorithm, &doc, &len, &err) < 0)
                        return fail(&err);
                fp = fopen(initdata, "we");
                if (!fp || fwrite(doc, 1, len, fp) != len || fclose(fp))
                        return perror(initdata), 1;
                for (enum attest_tee t = ATTEST_TEE_SNP; t <= ATTEST_TEE_TDX; t++) {
                        r = attest_expected_field(t, ATTEST_BINDING_INITDATA, (const uint8_t *)doc, len,
                                                  f, NULL, 0);
                        if (r < 0)
                                return fprintf(stderr, "initdata: %s\n", strerror(-r)), 1;
                        fprintf(stderr, "%s: ", t == ATTEST_TEE_SNP ? "snp-host-data" : "tdx-mrconfigid");
                        for (int k = 0; k < r; k++)
                                fprintf(stderr, "%02x", f[k]);
                        fputc('\n', stderr);
                }
                free(doc);
        }
        gen_output_done(&out);
        return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `ccgate policy generate [OPTIONS] FILE.yaml...`: the policy for a pod from its
 * Kubernetes YAML (rules/generate/generate.h), and with --initdata the CoCo initdata
 * document carrying it, with the values `ccgate policy digest` prints for it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "cleanup.h"
#include "commands.h"
#include "fileio.h"
#include "generate.h"
#include "policy_error.h"

#define GENERATE_ARGS_MAX 64

static void generate_usage(FILE *f)
{
        fputs("Usage: ccgate policy generate [OPTIONS] FILE.yaml... [--allow-exec CONTAINER -- ARGV...]...\n"
              "\n"
              "Write the policy for one pod from the Kubernetes YAML it is deployed with: a\n"
              "Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob (its pod\n"
              "template), with the ConfigMaps, Secrets and ServiceAccount it reads (more\n"
              "documents or files). The policy allows what kata's runtime sends for that pod\n"
              "(the sandbox and every container with its image pinned by digest, argv, env,\n"
              "user, capabilities, mounts, volumes, the copies of kubelet's files, exec probes\n"
              "and hooks, the network calls) and nothing else; each rule's comment names the\n"
              "pod field or setting it comes from. Review it, then 'ccgate policy check' it.\n"
              "What the generator cannot express is an error naming FILE:LINE:COLUMN.\n"
              "\n"
              "Options:\n"
              "      --images DIR|TAR|JSON  image configurations (repeatable): an OCI image\n"
              "                       layout, a tar of one or a docker-archive (docker save),\n"
              "                       or {\"images\": [{name, tag, digest, config}]}; no registry\n"
              "      --settings FILE  what the runtime adds, over the built-in settings (see\n"
              "                       share/ccgate/generate-settings.yaml)\n"
              "      --runtime go-shim|runtime-rs  kata's runtime (default: the settings')\n"
              "      --workload NAME  the workload, by NAME or KIND/NAME, when the input has several\n"
              "      --namespace NS   for objects without metadata.namespace (default: default)\n"
              "      --logs allow|deny  whether kubectl logs may read the containers' output\n"
              "                       (default deny: reads are drained, the host gets nothing)\n"
              "      --logs-from CONTAINER  kubectl logs may read this container's output\n"
              "                       whatever --logs says (repeatable)\n"
              "      --allow-host-path  generate hostPath volumes (copied from the host)\n"
              "      --allow-exec CONTAINER -- ARGV...  let the host run this command in the\n"
              "                       container (kubectl exec); ARGV runs to the next\n"
              "                       --allow-exec or the end, so these come last\n"
              "  -o, --output FILE    write the policy to FILE (default: standard output)\n"
              "      --initdata FILE  also write the CoCo initdata document carrying the policy\n"
              "                       ([data] \"ccgate.yaml\") and the kata agent's policy\n"
              "                       ([data] \"policy.rego\"), and print its digest, the SNP\n"
              "                       HOST_DATA and TDX MRCONFIGID values and the value of\n"
              "                       the io.katacontainers.config.hypervisor.cc_init_data\n"
              "                       pod annotation (base64 of its gzip) (needs --output)\n"
              "      --initdata-algorithm sha256|sha384|sha512  (default sha256)\n"
              "      --initdata-rego FILE  the agent's policy.rego (default: one that allows\n"
              "                       every request, since ccgate decides them first)\n"
              "  -h, --help           show this help\n"
              "\n"
              "Warnings (and what the policy language cannot say yet) go to standard error and\n"
              "into the policy's comments. Exit status: 0 written, 1 the input cannot be\n"
              "expressed, 2 usage errors.\n",
              f);
}

static int fail(const struct policy_error *err)
{
        char msg[1024];

        policy_error_format(err, msg, sizeof(msg));
        fprintf(stderr, "ccgate policy generate: %s\n", msg);
        return 1;
}

static int write_file(const char *path, const char *buf, size_t len)
{
        FILE *f = fopen(path, "we");

        if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
                fprintf(stderr, "ccgate policy generate: %s: %s\n", path, strerror(errno));
                return -errno;
        }
        return 0;
}

/* The --allow-exec CONTAINER -- ARGV... groups after the first --allow-exec. */
static int parse_execs(int argc, char **argv, struct gen_exec_allow *x, size_t *n)
{
        for (int i = 0; i < argc;) {
                struct gen_exec_allow *e;
                if (*n == GENERATE_ARGS_MAX || strcmp(argv[i], "--allow-exec") != 0 || i + 2 >= argc ||
                    strcmp(argv[i + 2], "--") != 0) {
                        fprintf(stderr, "ccgate policy generate: expected --allow-exec CONTAINER -- "
                                        "ARGV...\n");
                        return -EINVAL;
                }
                e = &x[(*n)++];
                e->container = argv[i + 1];
                e->argv = (const char *const *)argv + i + 3;
                for (i += 3; i < argc && strcmp(argv[i], "--allow-exec") != 0; i++)
                        e->argc++;
                if (!e->argc) {
                        fprintf(stderr, "ccgate policy generate: --allow-exec %s: no ARGV\n",
                                e->container);
                        return -EINVAL;
                }
        }
        return 0;
}

int cmd_policy_generate(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "images", required_argument, NULL, 'I' },
                { "settings", required_argument, NULL, 'S' },
                { "runtime", required_argument, NULL, 'R' },
                { "workload", required_argument, NULL, 'W' },
                { "namespace", required_argument, NULL, 'N' },
                { "logs", required_argument, NULL, 'L' },
                { "logs-from", required_argument, NULL, 'F' },
                { "allow-host-path", no_argument, NULL, 'H' },
                { "output", required_argument, NULL, 'o' },
                { "initdata", required_argument, NULL, 'D' },
                { "initdata-algorithm", required_argument, NULL, 'A' },
                { "initdata-rego", required_argument, NULL, 'G' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(gen_input_freep) struct gen_input *in = NULL;
        _cleanup_(gen_images_freep) struct gen_images *im = NULL;
        _cleanup_(gen_settings_freep) struct gen_settings *set = NULL;
        _cleanup_free_ char *doc = NULL;
        _cleanup_free_ uint8_t *rego = NULL;
        struct gen_exec_allow execs[GENERATE_ARGS_MAX] = { 0 };
        struct gen_request rq = { .logs = GEN_LOGS_DENY, .execs = execs };
        struct gen_output out = { 0 };
        struct policy_error err = { 0 };
        const char *images[GENERATE_ARGS_MAX], *logs_from[GENERATE_ARGS_MAX];
        const char *settings = NULL, *output = NULL;
        const char *initdata = NULL, *algorithm = "sha256", *rego_path = NULL;
        size_t n_images = 0, doc_len = 0, rego_len = 0;
        int opt_argc = argc, c, r;

        rq.logs_from = logs_from;
        /* getopt sees what comes before the first --allow-exec. */
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--allow-exec") == 0) {
                        opt_argc = i;
                        break;
                }
        optind = 0;
        while ((c = getopt_long(opt_argc, argv, "o:h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'I':
                        if (n_images == GENERATE_ARGS_MAX) {
                                fprintf(stderr, "ccgate policy generate: too many --images\n");
                                return 2;
                        }
                        images[n_images++] = optarg;
                        break;
                case 'S': settings = optarg; break;
                case 'R': rq.runtime = optarg; break;
                case 'W': rq.workload = optarg; break;
                case 'N': rq.namespace_ = optarg; break;
                case 'L':
                        rq.logs = gen_logs_from_string(optarg);
                        if (rq.logs < 0) {
                                fprintf(stderr, "ccgate policy generate: --logs expects allow or "
                                                "deny, not '%s'\n", optarg);
                                return 2;
                        }
                        break;
                case 'F':
                        if (rq.n_logs_from == GENERATE_ARGS_MAX) {
                                fprintf(stderr, "ccgate policy generate: too many --logs-from\n");
                                return 2;
                        }
                        logs_from[rq.n_logs_from++] = optarg;
                        break;
                case 'H': rq.allow_host_path = true; break;
                case 'o': output = optarg; break;
                case 'D': initdata = optarg; break;
                case 'A': algorithm = optarg; break;
                case 'G': rego_path = optarg; break;
                case 'h': generate_usage(stdout); return 0;
                default: generate_usage(stderr); return 2;
                }
        }
        if (optind >= opt_argc) {
                fprintf(stderr, "ccgate policy generate: expected FILE.yaml\n");
                generate_usage(stderr);
                return 2;
        }
        if (initdata && !output) {
                fprintf(stderr, "ccgate policy generate: --initdata needs --output FILE: the "
                                "digests go to standard output\n");
                return 2;
        }
        if (rego_path && !initdata) {
                fprintf(stderr, "ccgate policy generate: --initdata-rego needs --initdata FILE\n");
                return 2;
        }
        if (rego_path) {
                r = read_file_bounded(rego_path, ATTEST_INPUT_MAX, &rego, &rego_len);
                if (r < 0) {
                        fprintf(stderr, "ccgate policy generate: --initdata-rego %s: %s\n", rego_path,
                                r == -EFBIG ? "larger than 4 MiB" : strerror(-r));
                        return 2;
                }
        }
        if (parse_execs(argc - opt_argc, argv + opt_argc, execs, &rq.n_execs) < 0)
                return 2;
        if (gen_input_new(&in) < 0 || gen_images_new(&im) < 0) {
                fprintf(stderr, "ccgate policy generate: out of memory\n");
                return 1;
        }
        for (int i = optind; i < opt_argc; i++)
                if (gen_input_add_file(in, argv[i], &err) < 0)
                        return fail(&err);
        if (gen_settings_load(settings, &set, &err) < 0)
                return fail(&err);
        for (size_t i = 0; i < n_images; i++)
                if (gen_images_add(im, images[i], &err) < 0)
                        return fail(&err);
        if (gen_generate(in, im, set, &rq, &out, &err) < 0)
                return fail(&err);
        for (size_t i = 0; i < out.n_warnings; i++)
                fprintf(stderr, "warning: %s\n", out.warnings[i]);
        if (output)
                r = write_file(output, out.policy, out.policy_len);
        else
                r = fwrite(out.policy, 1, out.policy_len, stdout) == out.policy_len ? 0 : -EIO;
        if (r < 0 || !initdata) {
                gen_output_done(&out);
                return r < 0 ? 1 : 0;
        }
        r = gen_initdata(out.policy, out.policy_len, (const char *)rego, rego_len, algorithm, &doc,
                         &doc_len, &err);
        gen_output_done(&out);
        if (r < 0)
                return fail(&err);
        if (write_file(initdata, doc, doc_len) < 0)
                return 1;
        /* What the host puts into the launch configuration, as `policy digest` says it. */
        return cmd_policy_digest(4, (char *[]){ (char *)"digest", (char *)"--for",
                                                (char *)"initdata", (char *)initdata, NULL });
}

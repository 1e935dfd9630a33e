/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `ccgate policy digest FILE`: what the host side puts into the TEE's launch
 * configuration so that ccgate, inside the guest, finds its policy attested.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest.h"
#include "cleanup.h"
#include "commands.h"
#include "fileio.h"

static void digest_usage(FILE *f)
{
        fputs("Usage: ccgate policy digest [OPTIONS] FILE\n"
              "\n"
              "Print the value the host puts into the confidential VM's launch configuration\n"
              "so that the TEE hardware attests the policy in FILE. ccgate, inside the guest,\n"
              "reads the TEE report at start and enforces the policy only if the reported\n"
              "field equals this value; otherwise it denies every request and says why.\n"
              "\n"
              "The digest covers the exact bytes of FILE: a changed comment or newline is a\n"
              "different policy. FILE is not validated here; run 'ccgate policy check' first.\n"
              "FILE may be '-' for standard input.\n"
              "\n"
              "Bindings:\n"
              "  direct (default)  FILE is the policy YAML.\n"
              "      SEV-SNP: HOST_DATA (32 bytes) = SHA-256 of FILE\n"
              "               (e.g. QEMU: -object sev-snp-guest,...,host-data=BASE64)\n"
              "      TDX:     MRCONFIGID (48 bytes) = SHA-384 of FILE\n"
              "               (e.g. QEMU: -object tdx-guest,...,mrconfigid=BASE64)\n"
              "  initdata          FILE is a Confidential Containers initdata TOML document\n"
              "                    (version = \"0.1.0\", algorithm = sha256|sha384|sha512)\n"
              "                    carrying the policy as the string [data] \"ccgate.yaml\";\n"
              "                    or its gzip, or the block device image kata attaches\n"
              "                    (\"initdata\", a length, the gzip): the digest is the TOML's.\n"
              "      The digest is the document's algorithm over the whole document's bytes,\n"
              "      truncated or zero-padded to the field (32 bytes HOST_DATA on SEV-SNP,\n"
              "      48 bytes MRCONFIGID on TDX), as the kata runtime computes it when the\n"
              "      document is given in the io.katacontainers.config.hypervisor.cc_init_data\n"
              "      annotation (gzip, then base64, of exactly these bytes).\n"
              "\n"
              "Output: hexadecimal, lower case. With --for snp, --for tdx or --initdata-for,\n"
              "one line with just the value; otherwise one 'name: value' line per field.\n"
              "\n"
              "Options:\n"
              "      --for snp|tdx|initdata\n"
              "                       snp: print HOST_DATA only; tdx: print MRCONFIGID only;\n"
              "                       initdata: treat FILE as an initdata document and print\n"
              "                       its algorithm, full digest, what it carries, both\n"
              "                       fields and the value of the pod annotation\n"
              "                       io.katacontainers.config.hypervisor.cc_init_data\n"
              "                       (base64 of the document's gzip)\n"
              "      --initdata-for snp|tdx\n"
              "                       treat FILE as an initdata document and print only the\n"
              "                       field for that TEE (implies --for initdata)\n"
              "  -h, --help           show this help\n"
              "\n"
              "Examples:\n"
              "  ccgate policy digest --for snp pod-policy.yaml\n"
              "  ccgate policy digest --initdata-for tdx initdata.toml\n"
              "\n"
              "A verifier recomputes the same value from the policy (or initdata document) it\n"
              "expects, and compares it with HOST_DATA (SEV-SNP ATTESTATION_REPORT offset\n"
              "0xC0) or MRCONFIGID (TDX TD quote body offset 184) in the signed evidence.\n"
              "\n"
              "Exit status: 0 success, 2 usage errors, an unreadable FILE or an invalid\n"
              "initdata document.\n",
              f);
}

/* Read FILE (or stdin for "-") whole, refusing more than ATTEST_INPUT_MAX bytes. */
static int read_input(const char *path, uint8_t **ret, size_t *ret_len)
{
        return read_file_bounded(path, ATTEST_INPUT_MAX, ret, ret_len);
}

static void print_hex(const char *label, const uint8_t *b, size_t n)
{
        if (label)
                printf("%s: ", label);
        for (size_t i = 0; i < n; i++)
                printf("%02x", b[i]);
        putchar('\n');
}

enum digest_for { FOR_ALL, FOR_SNP, FOR_TDX, FOR_INITDATA };

static int parse_tee(const char *opt, const char *s, enum attest_tee *ret)
{
        enum attest_tee t = attest_tee_from_string(s);

        if (t != ATTEST_TEE_SNP && t != ATTEST_TEE_TDX) {
                fprintf(stderr, "ccgate policy digest: %s expects snp or tdx, not '%s'\n", opt, s);
                return -EINVAL;
        }
        *ret = t;
        return 0;
}

static int print_initdata(const uint8_t *buf, size_t len, enum attest_tee only)
{
        struct attest_initdata id;
        uint8_t d[ATTEST_DIGEST_MAX], f[ATTEST_FIELD_MAX];
        char why[256] = "";
        size_t n = 0;
        int r;

        r = attest_initdata_parse(buf, len, &id, why, sizeof(why));
        if (r < 0) {
                fprintf(stderr, "ccgate policy digest: not a valid initdata document: %s\n",
                        r == -EBADMSG ? why : strerror(-r));
                return 2;
        }
        r = attest_digest(id.algorithm, buf, len, d, &n);
        if (r < 0) {
                attest_initdata_done(&id);
                fprintf(stderr, "ccgate policy digest: %s\n", strerror(-r));
                return 2;
        }
        if (only == ATTEST_TEE_AUTO) {
                printf("algorithm: %s\n", attest_hash_to_string(id.algorithm));
                print_hex("digest", d, n);
                printf("policy: [data] \"%s\", %zu bytes\n", ATTEST_INITDATA_POLICY_KEY,
                       id.policy_len);
                if (id.has_agent_policy)
                        printf("agent-policy: [data] \"%s\", %zu bytes\n",
                               ATTEST_INITDATA_AGENT_POLICY_KEY, id.agent_policy_len);
                else
                        printf("agent-policy: none (no [data] \"%s\": the agent keeps its "
                               "image's default policy)\n", ATTEST_INITDATA_AGENT_POLICY_KEY);
        }
        attest_initdata_done(&id);
        for (enum attest_tee t = ATTEST_TEE_SNP; t <= ATTEST_TEE_TDX; t++) {
                if (only != ATTEST_TEE_AUTO && only != t)
                        continue;
                r = attest_expected_field(t, ATTEST_BINDING_INITDATA, buf, len, f, NULL, 0);
                if (r < 0) {
                        fprintf(stderr, "ccgate policy digest: %s\n", strerror(-r));
                        return 2;
                }
                print_hex(only != ATTEST_TEE_AUTO ? NULL :
                          t == ATTEST_TEE_SNP ? "snp-host-data" : "tdx-mrconfigid", f, (size_t)r);
        }
        if (only == ATTEST_TEE_AUTO) {
                /* The pod annotation kata's runtimes read the document from. */
                _cleanup_free_ char *annotation = NULL;
                r = attest_initdata_annotation(buf, len, &annotation);
                if (r < 0) {
                        fprintf(stderr, "ccgate policy digest: %s\n", strerror(-r));
                        return 2;
                }
                printf("%s: %s\n", ATTEST_INITDATA_ANNOTATION, annotation);
        }
        return 0;
}

int cmd_policy_digest(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "for", required_argument, NULL, 'f' },
                { "initdata-for", required_argument, NULL, 'i' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_free_ uint8_t *buf = NULL;
        enum digest_for what = FOR_ALL;
        enum attest_tee initdata_tee = ATTEST_TEE_AUTO;
        bool have_for = false;
        uint8_t f[ATTEST_FIELD_MAX];
        size_t len = 0;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'f':
                        if (strcmp(optarg, "snp") == 0) {
                                what = FOR_SNP;
                        } else if (strcmp(optarg, "tdx") == 0) {
                                what = FOR_TDX;
                        } else if (strcmp(optarg, "initdata") == 0) {
                                what = FOR_INITDATA;
                        } else {
                                fprintf(stderr, "ccgate policy digest: --for expects snp, tdx or "
                                                "initdata, not '%s'\n", optarg);
                                return 2;
                        }
                        have_for = true;
                        break;
                case 'i':
                        if (parse_tee("--initdata-for", optarg, &initdata_tee) < 0)
                                return 2;
                        break;
                case 'h': digest_usage(stdout); return 0;
                default: digest_usage(stderr); return 2;
                }
        }
        if (initdata_tee != ATTEST_TEE_AUTO) {
                if (have_for && what != FOR_INITDATA) {
                        fprintf(stderr, "ccgate policy digest: --initdata-for needs --for initdata "
                                        "(or no --for)\n");
                        return 2;
                }
                what = FOR_INITDATA;
        }
        if (argc - optind != 1) {
                fprintf(stderr, "ccgate policy digest: expected one FILE\n");
                digest_usage(stderr);
                return 2;
        }
        if (what == FOR_INITDATA) {
                /* The TOML, its gzip or kata's block device, as ccgate run reads them. */
                enum attest_initdata_form form;
                char why[256] = "";
                r = attest_initdata_read(argv[optind], &buf, &len, &form, why, sizeof(why));
                if (r < 0) {
                        fprintf(stderr, "ccgate policy digest: %s: %s\n", argv[optind],
                                why[0] ? why : strerror(-r));
                        return 2;
                }
                return print_initdata(buf, len, initdata_tee);
        }
        r = read_input(argv[optind], &buf, &len);
        if (r < 0) {
                fprintf(stderr, "ccgate policy digest: %s: %s\n", argv[optind],
                        r == -EFBIG ? "larger than 4 MiB" : strerror(-r));
                return 2;
        }

        for (enum attest_tee t = ATTEST_TEE_SNP; t <= ATTEST_TEE_TDX; t++) {
                if ((what == FOR_SNP && t != ATTEST_TEE_SNP) || (what == FOR_TDX && t != ATTEST_TEE_TDX))
                        continue;
                r = attest_expected_field(t, ATTEST_BINDING_DIRECT, buf, len, f, NULL, 0);
                if (r < 0) {
                        fprintf(stderr, "ccgate policy digest: %s\n", strerror(-r));
                        return 2;
                }
                print_hex(what != FOR_ALL ? NULL :
                          t == ATTEST_TEE_SNP ? "snp-host-data" : "tdx-mrconfigid", f, (size_t)r);
        }
        return 0;
}

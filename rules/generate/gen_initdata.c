/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CoCo initdata document carrying a policy: version "0.1.0", the digest algorithm,
 * and [data] "ccgate.yaml" (kata-types src/initdata.rs; enforcer/core/attest_initdata.c
 * reads it). The policy goes in a TOML literal string, so its bytes are the document's
 * bytes; a policy that cannot be one (it holds ''' or control characters) is a basic
 * string with the escapes ccgate's reader knows.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gen_text.h"
#include "generate.h"
#include "policy_error.h"

static bool literal_ok(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++) {
                unsigned char ch = (unsigned char)s[i];
                if ((ch < 0x20 && ch != '\t' && ch != '\n') || ch == 0x7f)
                        return false;
                if (i + 2 < len && s[i] == '\'' && s[i + 1] == '\'' && s[i + 2] == '\'')
                        return false;
        }
        /* A quote right before the closing ''' would be read as part of it. */
        return len == 0 || s[len - 1] != '\'';
}

int gen_initdata(const char *policy, size_t len, const char *algorithm, char **ret,
                 size_t *ret_len, struct policy_error *err)
{
        struct pool pool = { 0 };
        struct gtext t = GTEXT_INIT(&pool);
        char *out;

        if (strcmp(algorithm, "sha256") != 0 && strcmp(algorithm, "sha384") != 0 &&
            strcmp(algorithm, "sha512") != 0)
                return policy_error_set(err, "", 0, 0,
                                        "initdata algorithm: sha256, sha384 or sha512, not \"%s\"",
                                        algorithm);
        if (memchr(policy, '\0', len))
                return policy_error_set(err, "", 0, 0, "the policy holds a NUL byte");
        gtext_printf(&t, "# CoCo initdata carrying the ccgate policy (ccgate policy generate).\n"
                         "# Give it to kata as io.katacontainers.config.hypervisor.cc_init_data\n"
                         "# (base64 of its gzip); the TEE then attests its digest. Add kata's own\n"
                         "# keys (policy.rego, aa.toml, cdh.toml) to [data] as needed.\n"
                         "version = \"0.1.0\"\nalgorithm = \"%s\"\n\n[data]\n\"ccgate.yaml\" = ",
                     algorithm);
        if (literal_ok(policy, len)) {
                gtext_puts(&t, "'''\n");
                gtext_putn(&t, policy, len);
                gtext_puts(&t, "'''\n");
        } else {
                gtext_puts(&t, "\"\"\"\n");
                for (size_t i = 0; i < len; i++) {
                        unsigned char ch = (unsigned char)policy[i];
                        if (ch == '\\' || ch == '"') {
                                gtext_putc(&t, '\\');
                                gtext_putc(&t, (char)ch);
                        } else if (ch == '\r') {
                                gtext_puts(&t, "\\r");
                        } else if ((ch < 0x20 && ch != '\t' && ch != '\n') || ch == 0x7f) {
                                pool_done(&pool);
                                return policy_error_set(err, "", 0, 0,
                                                        "the policy holds control character 0x%02x, "
                                                        "which initdata cannot carry", ch);
                        } else {
                                gtext_putc(&t, (char)ch);
                        }
                }
                gtext_puts(&t, "\"\"\"\n");
        }
        if (!gtext_take(&t) || !(out = strndup(t.buf, t.len))) {
                pool_done(&pool);
                return policy_error_errno(err, -ENOMEM, "", 0, 0, "out of memory");
        }
        *ret_len = t.len;
        *ret = out;
        pool_done(&pool);
        return 0;
}

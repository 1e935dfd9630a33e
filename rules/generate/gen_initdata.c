/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CoCo initdata document carrying a policy: version "0.1.0", the digest algorithm,
 * [data] "ccgate.yaml" (enforcer/core/attest_initdata.c reads it) and "policy.rego",
 * the kata agent's own policy (kata-types src/initdata.rs, the agent's initdata.rs).
 * Each goes in a TOML literal string, so its bytes are the document's bytes; text that
 * cannot be one (it holds ''' or control characters) is a basic string with the
 * escapes ccgate's reader knows.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agent_api.h"
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

/* One [data] value: a literal string when it can be, else a basic one. */
static int put_string(struct gtext *t, const char *what, const char *v, size_t len,
                      struct policy_error *err)
{
        if (memchr(v, '\0', len))
                return policy_error_set(err, "", 0, 0, "the %s holds a NUL byte", what);
        if (literal_ok(v, len)) {
                gtext_puts(t, "'''\n");
                gtext_putn(t, v, len);
                gtext_puts(t, "'''\n");
                return 0;
        }
        gtext_puts(t, "\"\"\"\n");
        for (size_t i = 0; i < len; i++) {
                unsigned char ch = (unsigned char)v[i];
                if (ch == '\\' || ch == '"') {
                        gtext_putc(t, '\\');
                        gtext_putc(t, (char)ch);
                } else if (ch == '\r') {
                        gtext_puts(t, "\\r");
                } else if ((ch < 0x20 && ch != '\t' && ch != '\n') || ch == 0x7f) {
                        return policy_error_set(err, "", 0, 0,
                                                "the %s holds control character 0x%02x, which "
                                                "initdata cannot carry", what, ch);
                } else {
                        gtext_putc(t, (char)ch);
                }
        }
        gtext_puts(t, "\"\"\"\n");
        return 0;
}

/*
 * The agent's policy when the tenant gives none: every request allowed, by the rule
 * names kata's agent evaluates (package agent_policy, a rule per request message
 * name of grpc.AgentService). ccgate has decided each request before the agent sees
 * it; this pins the agent's part under the same digest instead of leaving it to
 * whatever default the guest image carries.
 */
static void put_allow_all_rego(struct gtext *t)
{
        gtext_puts(t, "# The kata agent's policy, written by ccgate policy generate: ccgate decides\n"
                      "# every request by ccgate.yaml before the agent sees it, so the agent allows\n"
                      "# what ccgate let through. Give your own with --initdata-rego FILE.\n"
                      "package agent_policy\n\n");
        for (int id = 0; id < _AGENT_METHOD_MAX; id++) {
                const struct agent_method *m = agent_method_get((enum agent_method_id)id);
                bool seen = false;

                if (strcmp(m->service, "grpc.AgentService") != 0)
                        continue;
                for (int j = 0; j < id && !seen; j++)
                        seen = strcmp(agent_method_get((enum agent_method_id)j)->request_name,
                                      m->request_name) == 0;
                if (!seen)
                        gtext_printf(t, "default %s := true\n", m->request_name);
        }
}

int gen_initdata(const char *policy, size_t len, const char *rego, size_t rego_len,
                 const char *algorithm, char **ret, size_t *ret_len, struct policy_error *err)
{
        struct pool pool = { 0 };
        struct gtext t = GTEXT_INIT(&pool), g = GTEXT_INIT(&pool);
        char *out = NULL;
        int r;

        if (strcmp(algorithm, "sha256") != 0 && strcmp(algorithm, "sha384") != 0 &&
            strcmp(algorithm, "sha512") != 0)
                return policy_error_set(err, "", 0, 0,
                                        "initdata algorithm: sha256, sha384 or sha512, not \"%s\"",
                                        algorithm);
        gtext_printf(&t, "# CoCo initdata carrying the ccgate policy and the kata agent's policy\n"
                         "# (ccgate policy generate). Give it to kata as the pod annotation\n"
                         "# io.katacontainers.config.hypervisor.cc_init_data (base64 of its gzip);\n"
                         "# the TEE then attests its digest. Add aa.toml and cdh.toml to [data] as\n"
                         "# needed, then print the launch values again with ccgate policy digest.\n"
                         "version = \"0.1.0\"\nalgorithm = \"%s\"\n\n[data]\n\"ccgate.yaml\" = ",
                     algorithm);
        r = put_string(&t, "policy", policy, len, err);
        if (r >= 0) {
                gtext_puts(&t, "\"policy.rego\" = ");
                if (!rego) {
                        put_allow_all_rego(&g);
                        rego = gtext_take(&g);
                        rego_len = g.len;
                }
                r = rego ? put_string(&t, "agent policy (policy.rego)", rego, rego_len, err)
                         : -ENOMEM;
        }
        if (r >= 0 && (!gtext_take(&t) || !(out = strndup(t.buf, t.len))))
                r = -ENOMEM;
        if (r < 0) {
                pool_done(&pool);
                return r == -ENOMEM ? policy_error_errno(err, r, "", 0, 0, "out of memory") : r;
        }
        *ret_len = t.len;
        *ret = out;
        pool_done(&pool);
        return 0;
}

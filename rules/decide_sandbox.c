/* SPDX-License-Identifier: Apache-2.0 */
/* The sandbox, decide side: CreateSandboxRequest's hostname, id, pid namespace, dns, storages. */
#include <string.h>

#include "decide.h"

static const struct policy_rule rule_hostname = {
        .verdict = VERDICT_DENY,
        .id = "sandbox-hostname",
        .reason = "the sandbox hostname differs from the policy's",
};
static const struct policy_rule rule_id = {
        .verdict = VERDICT_DENY,
        .id = "sandbox-id",
        .reason = "the sandbox id is not one the policy allows",
};
static const struct policy_rule rule_pidns = {
        .verdict = VERDICT_DENY,
        .id = "sandbox-pidns",
        .reason = "the sandbox pid namespace setting differs from the policy's",
};
static const struct policy_rule rule_dns = {
        .verdict = VERDICT_DENY,
        .id = "sandbox-dns",
        .reason = "a resolv.conf line is not one the policy allows",
};
static const struct policy_rule rule_storages = {
        .verdict = VERDICT_DENY,
        .id = "sandbox-storages",
        .reason = "a sandbox storage is not one the policy allows",
};

/*
 * The agent trims each dns element (Rust's str::trim) and writes the elements
 * joined by newlines as /etc/resolv.conf. Only printable ASCII and tabs are
 * let through, so that one element is one line and the only whitespace the
 * agent trims is the spaces and tabs trimmed here; empty lines are harmless.
 */
static bool dns_line_ok(const struct policy *p, const char *s)
{
        size_t len = strlen(s), b = 0;

        for (size_t i = 0; i < len; i++) {
                unsigned char ch = (unsigned char)s[i];
                if (ch != '\t' && (ch < 0x20 || ch > 0x7e))
                        return false;
        }
        while (b < len && (s[b] == ' ' || s[b] == '\t'))
                b++;
        while (len > b && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
        if (len == b)
                return true;
        for (size_t j = 0; j < p->sandbox.n_dns; j++)
                if (match_string(&p->match, &p->sandbox.dns[j], s + b, len - b))
                        return true;
        return false;
}

/* The sandbox's storages: each a listed one (shared and fs_group included: by default
 * neither). */
static bool sandbox_storage_ok(const struct policy *p, const ProtobufCMessage *st)
{
        return st && storage_allowed(p, p->sandbox.storages, p->sandbox.n_storages, st);
}

static const struct policy_rule *sandbox_check(const struct policy *p, const ProtobufCMessage *req)
{
        const struct sandbox_rule *sb = &p->sandbox;
        const char *id = pb_str_of(req, "sandbox_id", 0);
        size_t n;

        if (!match_cstr(&p->match, &sb->hostname, pb_str_of(req, "hostname", 0)))
                return &rule_hostname;
        if (sb->has_sandbox_id ? !match_cstr(&p->match, &sb->sandbox_id, id)
                               : id[0] != '\0' && !container_id_valid(id))
                return &rule_id;
        if ((pb_uint_of(req, "sandbox_pidns", 0) != 0) != sb->pidns)
                return &rule_pidns;
        n = pb_count_of(req, "dns");
        for (size_t i = 0; i < n; i++)
                if (!dns_line_ok(p, pb_str_of(req, "dns", i)))
                        return &rule_dns;
        n = pb_count_of(req, "storages");
        for (size_t i = 0; i < n; i++)
                if (!sandbox_storage_ok(p, pb_msg_of(req, "storages", i)))
                        return &rule_storages;
        return NULL;
}

void sandbox_decide(const struct policy *p, const ProtobufCMessage *req, struct decision *d)
{
        const struct policy_rule *r = sandbox_check(p, req);

        if (!r)
                return;
        d->verdict = r->verdict;
        d->rule_id = r->id;
        d->reason = r->reason;
}

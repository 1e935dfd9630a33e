/* SPDX-License-Identifier: Apache-2.0 */
/* Process rules, decide side: a container's or exec'd process against its rule. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "caps.h"
#include "decide.h"

static bool env_ok(const struct policy *p, const struct process_rule *rule,
                   const ProtobufCMessage *proc)
{
        size_t n = pb_count_of(proc, "Env");

        for (size_t i = 0; i < n; i++) {
                const char *e = pb_str_of(proc, "Env", i);
                const char *eq = strchr(e, '=');
                bool ok = false;

                if (!eq || eq == e)
                        return false;
                for (size_t j = 0; j < rule->n_env && !ok; j++) {
                        const struct env_rule *er = &rule->env[j];
                        ok = er->name_len == (size_t)(eq - e) &&
                             memcmp(er->name, e, er->name_len) == 0 &&
                             match_string(&p->match, &er->value, eq + 1, strlen(eq + 1));
                }
                if (!ok)
                        return false;
        }
        return true;
}

static bool user_ok(const struct process_rule *rule, const ProtobufCMessage *proc)
{
        const ProtobufCMessage *u = pb_msg_of(proc, "User", 0);
        size_t n = pb_count_of(u, "AdditionalGids");

        if (pb_uint_of(u, "UID", 0) != rule->uid || pb_uint_of(u, "GID", 0) != rule->gid)
                return false;
        for (size_t i = 0; i < n; i++) {
                uint64_t g = pb_uint_of(u, "AdditionalGids", i);
                bool ok = g == rule->gid;
                for (size_t j = 0; j < rule->n_gids && !ok; j++)
                        ok = g == rule->gids[j];
                if (!ok)
                        return false;
        }
        return true;
}

static bool caps_ok(const struct process_rule *rule, const ProtobufCMessage *proc)
{
        static const char *const sets[_CAP_SET_MAX] = { "Bounding", "Effective", "Inheritable",
                                                        "Permitted", "Ambient" };
        const ProtobufCMessage *caps = pb_msg_of(proc, "Capabilities", 0);

        for (unsigned k = 0; k < _CAP_SET_MAX; k++) {
                size_t n = pb_count_of(caps, sets[k]);
                for (size_t i = 0; i < n; i++) {
                        const char *name = pb_str_of(caps, sets[k], i);
                        int bit = cap_from_name(name, strlen(name));
                        if (bit < 0 || !(rule->caps[k] & (UINT64_C(1) << bit)))
                                return false;
                }
        }
        return true;
}

/* Every rlimit of the process is one the rule lists, type and both limits. */
static bool rlimits_ok(const struct process_rule *rule, const ProtobufCMessage *proc)
{
        size_t n = pb_count_of(proc, "Rlimits");

        for (size_t i = 0; i < n; i++) {
                const ProtobufCMessage *rl = pb_msg_of(proc, "Rlimits", i);
                const char *type = pb_str_of(rl, "Type", 0);
                uint64_t hard = pb_uint_of(rl, "Hard", 0), soft = pb_uint_of(rl, "Soft", 0);
                bool ok = false;

                for (size_t j = 0; j < rule->n_rlimits && !ok; j++)
                        ok = strcmp(rule->rlimits[j].type, type) == 0 &&
                             rule->rlimits[j].hard == hard && rule->rlimits[j].soft == soft;
                if (!ok)
                        return false;
        }
        return true;
}

int process_check(const struct policy *p, const struct process_rule *rule,
                  const ProtobufCMessage *proc)
{
        size_t n_args = pb_count_of(proc, "Args");
        const char *apparmor;
        int64_t oom;

        if (!proc)
                return CHECK_PROCESS;
        if (n_args != rule->n_argv)
                return CHECK_ARGS;
        for (size_t i = 0; i < n_args; i++)
                if (!match_cstr(&p->match, &rule->argv[i], pb_str_of(proc, "Args", i)))
                        return CHECK_ARGS;
        if (!env_ok(p, rule, proc))
                return CHECK_ENV;
        if (!match_cstr(&p->match, &rule->cwd, pb_str_of(proc, "Cwd", 0)))
                return CHECK_CWD;
        if (!user_ok(rule, proc))
                return CHECK_USER;
        if (!caps_ok(rule, proc))
                return CHECK_CAPABILITIES;
        if (rule->no_new_privileges && !pb_uint_of(proc, "NoNewPrivileges", 0))
                return CHECK_NO_NEW_PRIVILEGES;
        if (!!pb_uint_of(proc, "Terminal", 0) != rule->terminal)
                return CHECK_TERMINAL;
        /* A console size means a terminal; without one the host has no business sizing it. */
        if (!rule->terminal && pb_msg_of(proc, "ConsoleSize", 0))
                return CHECK_TERMINAL;
        /* Names resolved or labels chosen by the host are not the tenant's. */
        if (pb_str_of(pb_msg_of(proc, "User", 0), "Username", 0)[0] ||
            pb_str_of(proc, "SelinuxLabel", 0)[0])
                return CHECK_PROCESS;
        /* None, or the one profile the policy names (the guest applies neither). */
        apparmor = pb_str_of(proc, "ApparmorProfile", 0);
        if (apparmor[0] && strcmp(apparmor, rule->apparmor_profile) != 0)
                return CHECK_APPARMOR;
        /* 0 is unset to the agent (kata trans.rs): it leaves oom_score_adj alone. */
        oom = pb_int_of(proc, "OOMScoreAdj", 0);
        if (!(oom == 0 && rule->oom_or_unset) && (oom < rule->oom_min || oom > rule->oom_max))
                return CHECK_OOM_SCORE_ADJ;
        if (!rlimits_ok(rule, proc))
                return CHECK_RLIMITS;
        return -1;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Matchers, decide side: matching a string without allocating. */
#include <string.h>

#include "match.h"

bool match_regex(const struct match_env *env, const pcre2_code *re, const char *s, size_t len)
{
        /* >= 0: matched (0 only means the one-pair ovector was too small). */
        return pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, env->md, env->mctx) >= 0;
}

bool match_string(const struct match_env *env, const struct matcher *m, const char *s, size_t len)
{
        switch (m->kind) {
        case MATCH_EXACT:
                return m->len == len && memcmp(m->text, s, len) == 0;
        case MATCH_REGEX:
                return match_regex(env, m->re, s, len);
        case MATCH_ONE_OF:
                for (size_t i = 0; i < m->n_set; i++)
                        if (m->set_len[i] == len && memcmp(m->set[i], s, len) == 0)
                                return true;
                return false;
        default:
                return false;
        }
}

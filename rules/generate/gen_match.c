/* SPDX-License-Identifier: Apache-2.0 */
/* Matchers of the model: exact values, regexes and sets, and combining them. */
#include <errno.h>
#include <string.h>

#include "gen_model.h"
#include "gen_text.h"

struct gmatch gm_exact(const char *s)
{
        return (struct gmatch){ .kind = GM_EXACT, .s = s };
}

struct gmatch gm_regex(const char *re)
{
        return (struct gmatch){ .kind = GM_REGEX, .s = re };
}

char *gm_quote(struct pool *pool, const char *s)
{
        struct gtext t = GTEXT_INIT(pool);

        for (const char *p = s; *p; p++) {
                if (strchr("\\^$.|?*+()[]{}", *p))
                        gtext_putc(&t, '\\');
                gtext_putc(&t, *p);
        }
        return gtext_take(&t);
}

char *gm_as_regex(struct pool *pool, const struct gmatch *m)
{
        struct gtext t = GTEXT_INIT(pool);

        switch (m->kind) {
        case GM_EXACT:
                return gm_quote(pool, m->s);
        case GM_REGEX:
                gtext_printf(&t, "(?:%s)", m->s);
                return gtext_take(&t);
        case GM_ONE_OF:
                gtext_puts(&t, "(?:");
                for (size_t i = 0; i < m->n; i++) {
                        char *q = gm_quote(pool, m->v[i]);
                        if (!q)
                                return NULL;
                        gtext_printf(&t, "%s%s", i ? "|" : "", q);
                }
                gtext_puts(&t, ")");
                return gtext_take(&t);
        default:
                return NULL;
        }
}

int gm_concat(struct pool *pool, const struct gmatch *parts, size_t n, struct gmatch *ret)
{
        struct gtext t = GTEXT_INIT(pool);
        bool exact = true;
        char *s;

        for (size_t i = 0; i < n; i++)
                exact &= parts[i].kind == GM_EXACT;
        for (size_t i = 0; i < n; i++) {
                if (exact) {
                        gtext_puts(&t, parts[i].s);
                        continue;
                }
                s = gm_as_regex(pool, &parts[i]);
                if (!s)
                        return -ENOMEM;
                gtext_puts(&t, s);
        }
        s = gtext_take(&t);
        if (!s)
                return -ENOMEM;
        *ret = exact ? gm_exact(s) : gm_regex(s);
        return 0;
}

int gm_any_of(struct pool *pool, const struct gmatch *alts, size_t n, struct gmatch *ret)
{
        struct gtext t = GTEXT_INIT(pool);
        const char **v;
        size_t k = 0;
        bool exact = true;

        if (n == 1) {
                *ret = alts[0];
                return 0;
        }
        for (size_t i = 0; i < n; i++)
                exact &= alts[i].kind == GM_EXACT || alts[i].kind == GM_ONE_OF;
        if (exact) {
                size_t total = 0;
                for (size_t i = 0; i < n; i++)
                        total += alts[i].kind == GM_EXACT ? 1 : alts[i].n;
                v = pool_alloc_array(pool, total ? total : 1, sizeof(*v));
                if (!v)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        size_t m = alts[i].kind == GM_EXACT ? 1 : alts[i].n;
                        for (size_t j = 0; j < m; j++) {
                                const char *s = alts[i].kind == GM_EXACT ? alts[i].s : alts[i].v[j];
                                bool dup = false;
                                for (size_t q = 0; q < k && !dup; q++)
                                        dup = strcmp(v[q], s) == 0;
                                if (!dup)
                                        v[k++] = s;
                        }
                }
                if (k == 1)
                        *ret = gm_exact(v[0]);
                else
                        *ret = (struct gmatch){ .kind = GM_ONE_OF, .v = v, .n = k };
                return 0;
        }
        for (size_t i = 0; i < n; i++) {
                char *s = gm_as_regex(pool, &alts[i]);
                if (!s)
                        return -ENOMEM;
                gtext_printf(&t, "%s%s", i ? "|" : "", s);
        }
        ret->kind = GM_REGEX;
        ret->s = gtext_take(&t);
        return ret->s ? 0 : -ENOMEM;
}

bool gm_equal(const struct gmatch *a, const struct gmatch *b)
{
        if (a->kind != b->kind)
                return false;
        if (a->kind == GM_ONE_OF) {
                if (a->n != b->n)
                        return false;
                for (size_t i = 0; i < a->n; i++)
                        if (strcmp(a->v[i], b->v[i]) != 0)
                                return false;
                return true;
        }
        return a->kind == GM_NONE || strcmp(a->s, b->s) == 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes quantities (apimachinery resource.Quantity: "100m", "1.5Gi", "1e3") as
 * exact fractions, for the values kubelet gives resourceFieldRef variables:
 * ceil(quantity / divisor).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "gen_internal.h"

typedef __int128 i128;

struct fraction {
        i128 num, den;
};

static i128 pow10i(unsigned k)
{
        i128 r = 1;

        while (k--)
                r *= 10;
        return r;
}

static int parse(const char *s, struct fraction *ret)
{
        static const struct {
                const char *suffix;
                int base, exp; /* value *= base^exp */
        } suffixes[] = {
                { "Ki", 2, 10 }, { "Mi", 2, 20 }, { "Gi", 2, 30 }, { "Ti", 2, 40 },
                { "Pi", 2, 50 }, { "Ei", 2, 60 }, { "n", 10, -9 }, { "u", 10, -6 },
                { "m", 10, -3 }, { "", 10, 0 },   { "k", 10, 3 },  { "M", 10, 6 },
                { "G", 10, 9 },  { "T", 10, 12 }, { "P", 10, 15 }, { "E", 10, 18 },
        };
        i128 mant = 0;
        unsigned frac = 0, digits = 0;
        bool dot = false;
        int base = 10, exp = 0;
        size_t i = 0;

        if (s[0] == '+')
                i++;
        for (; s[i] && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'); i++) {
                if (s[i] == '.') {
                        if (dot)
                                return -EINVAL;
                        dot = true;
                        continue;
                }
                if (++digits > 24)
                        return -EINVAL;
                mant = mant * 10 + (s[i] - '0');
                frac += dot;
        }
        if (digits == 0)
                return -EINVAL;
        if (s[i] == 'e' || s[i] == 'E') {
                int sign = 1, e = 0;
                size_t j = i + 1;
                if (s[j] == '-' || s[j] == '+')
                        sign = s[j++] == '-' ? -1 : 1;
                if (s[j] >= '0' && s[j] <= '9') {
                        for (; s[j] >= '0' && s[j] <= '9' && e < 100; j++)
                                e = e * 10 + (s[j] - '0');
                        if (s[j] || e > 30)
                                return -EINVAL;
                        exp = sign * e;
                        i = j;
                        goto done;
                }
                /* "E" alone is the exa suffix */
        }
        {
                bool found = false;
                for (size_t k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]) && !found; k++)
                        if (strcmp(s + i, suffixes[k].suffix) == 0) {
                                base = suffixes[k].base;
                                exp = suffixes[k].exp;
                                found = true;
                        }
                if (!found)
                        return -EINVAL;
        }
done:
        ret->num = mant;
        ret->den = pow10i(frac);
        if (base == 2)
                ret->num <<= exp;
        else if (exp >= 0)
                ret->num *= pow10i((unsigned)exp);
        else
                ret->den *= pow10i((unsigned)-exp);
        return 0;
}

int gen_quantity_ceil(const char *q, const char *divisor, uint64_t *ret)
{
        struct fraction a, b;
        i128 n, d, v;

        if (parse(q, &a) < 0 || parse(divisor, &b) < 0 || b.num == 0)
                return -EINVAL;
        n = a.num * b.den;
        d = a.den * b.num;
        v = (n + d - 1) / d;
        if (v < 0 || v > (i128)UINT64_MAX)
                return -EINVAL;
        *ret = (uint64_t)v;
        return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Numbers and network prefixes as regexes: a pod's IP and MAC are chosen by the CNI
 * when it starts, but the cluster's pod network is known, and the runtimes print
 * addresses one way (Go's net.IP.String and runtime-rs's std::net both follow
 * RFC 5952 for IPv6: lower-case hex, no leading zeros, the longest zero run as ::).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_model.h"
#include "gen_text.h"

static const char digits[] = "0123456789abcdef";

static uint64_t ipow(unsigned base, unsigned k)
{
        uint64_t r = 1;

        while (k--)
                r *= base;
        return r;
}

static unsigned n_digits(uint64_t v, unsigned base)
{
        unsigned n = 1;

        while (v >= base) {
                v /= base;
                n++;
        }
        return n;
}

/* Digit i (0 = most significant) of v written with len digits. */
static unsigned digit_at(uint64_t v, unsigned len, unsigned i, unsigned base)
{
        return (unsigned)((v / ipow(base, len - 1 - i)) % base);
}

static void put_class(struct gtext *t, unsigned a, unsigned b, unsigned base)
{
        if (a == b) {
                gtext_putc(t, digits[a]);
                return;
        }
        gtext_putc(t, '[');
        if (base == 16 && a <= 9 && b >= 10) {
                gtext_printf(t, "%c-9", digits[a]);
                gtext_printf(t, "a-%c", digits[b]);
        } else {
                gtext_printf(t, "%c-%c", digits[a], digits[b]);
        }
        gtext_putc(t, ']');
}

/* [start, stop] of equal length, where the positions after the first difference run
 * over every digit: prefix, one class, then any digits. */
static void put_pattern(struct gtext *t, uint64_t start, uint64_t stop, unsigned base)
{
        unsigned len = n_digits(stop, base), any = 0;

        for (unsigned i = 0; i < len; i++) {
                unsigned a = digit_at(start, len, i, base), b = digit_at(stop, len, i, base);
                if (a == b)
                        gtext_putc(t, digits[a]);
                else if (a != 0 || b != base - 1)
                        put_class(t, a, b, base);
                else
                        any++;
        }
        if (any) {
                gtext_puts(t, base == 16 ? "[0-9a-f]" : "[0-9]");
                if (any > 1)
                        gtext_printf(t, "{%u}", any);
        }
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

char *gen_range_regex(struct pool *pool, uint64_t lo, uint64_t hi, unsigned base)
{
        struct gtext t = GTEXT_INIT(pool);
        uint64_t stops[130];
        size_t n = 0;

        if (lo > hi || (base != 10 && base != 16) || hi > UINT32_MAX)
                return NULL;
        /* Split where the digit count or a run of trailing max/zero digits changes. */
        for (unsigned k = 1; k <= 20; k++) {
                uint64_t p = ipow(base, k), stop = lo - lo % p + p - 1;
                if (stop > hi)
                        break;
                stops[n++] = stop;
        }
        for (unsigned k = 1; k <= 20; k++) {
                uint64_t p = ipow(base, k), z = (hi + 1) - (hi + 1) % p;
                if (z == 0 || z - 1 <= lo || z - 1 > hi)
                        break;
                stops[n++] = z - 1;
        }
        stops[n++] = hi;
        qsort(stops, n, sizeof(stops[0]), cmp_u64);
        for (size_t i = 0, first = 1; i < n; i++) {
                if (i > 0 && stops[i] == stops[i - 1])
                        continue;
                if (!first)
                        gtext_putc(&t, '|');
                first = 0;
                put_pattern(&t, lo, stops[i], base);
                lo = stops[i] + 1;
        }
        /* Alternatives are grouped, so that the result can be put next to others. */
        if (gtext_take(&t) && strchr(t.buf, '|')) {
                char *inner = t.buf;
                t = (struct gtext)GTEXT_INIT(pool);
                gtext_printf(&t, "(?:%s)", inner);
        }
        return gtext_take(&t);
}

int gen_span_regex(struct pool *pool, const char *span, char **ret)
{
        char *end;
        unsigned long lo, hi;

        lo = strtoul(span, &end, 10);
        if (end == span)
                return -EINVAL;
        hi = lo;
        if (*end == '-') {
                const char *h = end + 1;
                hi = strtoul(h, &end, 10);
                if (end == h)
                        return -EINVAL;
        }
        if (*end || lo > hi || hi > UINT32_MAX)
                return -EINVAL;
        *ret = gen_range_regex(pool, lo, hi, 10);
        return *ret ? 0 : -ENOMEM;
}

static int split_cidr(const char *cidr, char *addr, size_t addr_len, unsigned *prefix,
                      unsigned max)
{
        const char *slash = strchr(cidr, '/');
        char *end;
        unsigned long p;

        if (!slash || (size_t)(slash - cidr) >= addr_len)
                return -EINVAL;
        memcpy(addr, cidr, (size_t)(slash - cidr));
        addr[slash - cidr] = '\0';
        p = strtoul(slash + 1, &end, 10);
        if (end == slash + 1 || *end || p > max)
                return -EINVAL;
        *prefix = (unsigned)p;
        return 0;
}

static int v4_regex(struct pool *pool, const uint8_t a[4], unsigned prefix, char **ret)
{
        struct gtext t = GTEXT_INIT(pool);

        for (unsigned i = 0; i < 4; i++) {
                unsigned bits = prefix > 8 * i ? (prefix - 8 * i > 8 ? 8 : prefix - 8 * i) : 0;
                unsigned mask = bits ? (0xffu << (8 - bits)) & 0xffu : 0;
                unsigned lo = a[i] & mask, hi = lo | (~mask & 0xffu);
                char *r = gen_range_regex(pool, lo, hi, 10);
                if (!r)
                        return -ENOMEM;
                gtext_printf(&t, "%s%s", i ? "\\." : "", r);
        }
        *ret = gtext_take(&t);
        return *ret ? 0 : -ENOMEM;
}

static int v6_regex(struct pool *pool, const uint8_t a[16], unsigned prefix, char **ret,
                    const char **why)
{
        struct gtext t = GTEXT_INIT(pool);
        unsigned fixed = prefix / 16, part = prefix % 16, rest;
        unsigned lo = 0, hi = 0xffff;
        char *range;

        for (unsigned g = 0; g < fixed; g++) {
                unsigned v = (unsigned)a[2 * g] << 8 | a[2 * g + 1];
                if (v == 0) {
                        /* A zero group may be folded into "::" anywhere: not written here. */
                        *why = "a zero group within the prefix (write the regex by hand)";
                        return -EINVAL;
                }
                gtext_printf(&t, "%s%x", g ? ":" : "", v);
        }
        if (fixed == 8) {
                *ret = gtext_take(&t);
                return *ret ? 0 : -ENOMEM;
        }
        if (part) {
                unsigned v = (unsigned)a[2 * fixed] << 8 | a[2 * fixed + 1];
                unsigned mask = (0xffffu << (16 - part)) & 0xffffu;
                lo = v & mask;
                hi = lo | (~mask & 0xffffu);
        }
        rest = 8 - fixed; /* groups after the fixed ones, the partial one included */
        range = gen_range_regex(pool, lo, hi, 16);
        if (!range)
                return -ENOMEM;
        /* The first free group written out (in range), then the others, maybe with
         * one "::"; or, when 0 is in range, that group folded into a leading "::". */
        gtext_printf(&t, "(?:%s%s(?::[0-9a-f]{0,4}){0,%u}", fixed ? ":" : "", range, rest - 1);
        if (lo == 0)
                gtext_printf(&t, "|::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,%u})?",
                             rest > 2 ? rest - 2 : 0);
        gtext_puts(&t, ")");
        *ret = gtext_take(&t);
        return *ret ? 0 : -ENOMEM;
}

int gen_cidr_regex(struct pool *pool, const char *cidr, char **ret, const char **why)
{
        char addr[INET6_ADDRSTRLEN + 1];
        uint8_t a[16];
        unsigned prefix;

        *why = "not an IPv4 or IPv6 prefix (ADDRESS/LENGTH)";
        if (strchr(cidr, ':')) {
                if (split_cidr(cidr, addr, sizeof(addr), &prefix, 128) < 0 ||
                    inet_pton(AF_INET6, addr, a) != 1)
                        return -EINVAL;
                return v6_regex(pool, a, prefix, ret, why);
        }
        if (split_cidr(cidr, addr, sizeof(addr), &prefix, 32) < 0 ||
            inet_pton(AF_INET, addr, a) != 1)
                return -EINVAL;
        return v4_regex(pool, a, prefix, ret);
}

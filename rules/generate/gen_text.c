/* SPDX-License-Identifier: Apache-2.0 */
/* Pool-backed text buffers and YAML scalars that read back as the same string. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gen_text.h"

static bool reserve(struct gtext *t, size_t more)
{
        char *nb;
        size_t ncap;

        if (t->oom)
                return false;
        if (t->len + more + 1 <= t->cap)
                return true;
        ncap = t->cap ? t->cap : 64;
        while (ncap < t->len + more + 1) {
                if (ncap > (SIZE_MAX >> 2)) {
                        t->oom = true;
                        return false;
                }
                ncap *= 2;
        }
        nb = pool_alloc(t->pool, ncap);
        if (!nb) {
                t->oom = true;
                return false;
        }
        if (t->len)
                memcpy(nb, t->buf, t->len);
        t->buf = nb;
        t->cap = ncap;
        return true;
}

void gtext_putn(struct gtext *t, const char *s, size_t n)
{
        if (!reserve(t, n))
                return;
        memcpy(t->buf + t->len, s, n);
        t->len += n;
        t->buf[t->len] = '\0';
}

void gtext_puts(struct gtext *t, const char *s)
{
        gtext_putn(t, s, strlen(s));
}

void gtext_putc(struct gtext *t, char c)
{
        gtext_putn(t, &c, 1);
}

void gtext_printf(struct gtext *t, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
                t->oom = true;
                return;
        }
        if (!reserve(t, (size_t)n))
                return;
        va_start(ap, fmt);
        vsnprintf(t->buf + t->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        t->len += (size_t)n;
}

char *gtext_take(struct gtext *t)
{
        if (t->oom)
                return NULL;
        if (!t->buf && !reserve(t, 0))
                return NULL;
        t->buf[t->len] = '\0';
        return t->buf;
}

char *gen_printf(struct pool *pool, const char *fmt, ...)
{
        va_list ap;
        char *s;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return NULL;
        s = pool_alloc(pool, (size_t)n + 1);
        if (!s)
                return NULL;
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
        return s;
}

bool gyaml_plain_ok(const char *s)
{
        /* Words YAML 1.1 or 1.2 tools read as null or booleans. */
        static const char *const words[] = { "null", "true", "false", "yes", "no", "on", "off",
                                             "y", "n" };
        static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789_./=+-~@%;";

        if (!s[0] || strspn(s, safe) != strlen(s))
                return false;
        /* Leading digits could be numbers, dates or sexagesimals; indicators start nothing. */
        if ((s[0] >= '0' && s[0] <= '9') || strchr("~@%=+.;", s[0]))
                return false;
        if (s[0] == '-' && (s[1] == '\0' || (s[1] >= '0' && s[1] <= '9') || s[1] == '.'))
                return false;
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
                if (strcasecmp(s, words[i]) == 0)
                        return false;
        return true;
}

void gtext_yaml_quoted(struct gtext *t, const char *s)
{
        gtext_putc(t, '"');
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                switch (*p) {
                case '"': gtext_puts(t, "\\\""); break;
                case '\\': gtext_puts(t, "\\\\"); break;
                case '\n': gtext_puts(t, "\\n"); break;
                case '\t': gtext_puts(t, "\\t"); break;
                case '\r': gtext_puts(t, "\\r"); break;
                default:
                        /* UTF-8 (checked by libyaml on input) passes; controls are escaped. */
                        if (*p < 0x20 || *p == 0x7f)
                                gtext_printf(t, "\\x%02x", *p);
                        else
                                gtext_putc(t, (char)*p);
                }
        }
        gtext_putc(t, '"');
}

void gtext_yaml_scalar(struct gtext *t, const char *s)
{
        if (gyaml_plain_ok(s))
                gtext_puts(t, s);
        else
                gtext_yaml_quoted(t, s);
}

void gtext_yaml_block_scalar(struct gtext *t, const char *s)
{
        size_t n = strlen(s);
        /* With a space it is no number, boolean or null: plain when it starts with a
         * letter and has no indicator that would end or change the scalar. */
        bool ok = strchr(s, ' ') && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')) &&
                  s[n - 1] != ' ' && s[n - 1] != ':' && !strstr(s, ": ") && !strstr(s, " #");

        for (size_t i = 0; ok && i < n; i++)
                ok = s[i] >= 0x20 && s[i] < 0x7f && !strchr("\"`{}[]&*!|>%@\\", s[i]);
        if (ok)
                gtext_puts(t, s);
        else
                gtext_yaml_scalar(t, s);
}

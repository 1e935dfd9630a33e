/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image references as containerd and docker normalise them (the distribution
 * reference grammar): "redis:7.4.2@sha256:..." is docker.io/library/redis, tag
 * 7.4.2, that digest. With a digest the tag is informational: containerd pulls by
 * digest.
 */
#include <errno.h>
#include <string.h>

#include "gen_images.h"
#include "gen_text.h"

static bool is_hex64(const char *s)
{
        return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* A path component: [a-z0-9]+ joined by '.', '_', '__' or '-'s. */
static bool component_ok(const char *s, size_t n)
{
        if (n == 0 || !strchr("abcdefghijklmnopqrstuvwxyz0123456789", s[0]) ||
            !strchr("abcdefghijklmnopqrstuvwxyz0123456789", s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789._-", s[i]))
                        return false;
        return true;
}

static bool tag_ok(const char *t)
{
        size_t n = strlen(t);

        return n > 0 && n <= 128 && t[0] != '.' && t[0] != '-' &&
               strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

int gen_ref_parse(struct pool *pool, const char *s, struct gen_ref *ret, const char **why)
{
        const char *at = strchr(s, '@'), *end, *slash, *colon, *first_end;
        const char *domain = "docker.io", *path, *tag = NULL, *digest = NULL;
        char *rest;
        bool library;

        if (!s[0] || strpbrk(s, " \t\n\r")) {
                *why = "an image reference has no spaces and is not empty";
                return -EINVAL;
        }
        if (at) {
                if (strncmp(at + 1, "sha256:", 7) != 0 || !is_hex64(at + 8)) {
                        *why = "the digest must be sha256:<64 lower-case hex digits>";
                        return -EINVAL;
                }
                digest = pool_strndup(pool, at + 1, strlen(at + 1));
        }
        end = at ? at : s + strlen(s);
        rest = pool_strndup(pool, s, (size_t)(end - s));
        if (!rest || (at && !digest))
                return -ENOMEM;
        slash = strrchr(rest, '/');
        colon = strrchr(slash ? slash : rest, ':');
        if (colon) {
                tag = colon + 1;
                if (!tag_ok(tag)) {
                        *why = "the tag must be 1-128 of [A-Za-z0-9_.-], not starting with . or -";
                        return -EINVAL;
                }
                rest[colon - rest] = '\0';
        }
        first_end = strchr(rest, '/');
        if (first_end) {
                size_t n = (size_t)(first_end - rest);
                if (memchr(rest, '.', n) || memchr(rest, ':', n) ||
                    (n == 9 && memcmp(rest, "localhost", 9) == 0)) {
                        domain = pool_strndup(pool, rest, n);
                        if (!domain)
                                return -ENOMEM;
                        path = first_end + 1;
                } else {
                        path = rest;
                }
        } else {
                path = rest;
        }
        if (strcmp(domain, "index.docker.io") == 0)
                domain = "docker.io";
        for (const char *p = path;;) {
                const char *q = strchr(p, '/');
                size_t n = q ? (size_t)(q - p) : strlen(p);
                if (!component_ok(p, n)) {
                        *why = "a name component must be lower-case letters and digits, joined "
                               "by . _ or -";
                        return -EINVAL;
                }
                if (!q)
                        break;
                p = q + 1;
        }
        library = strcmp(domain, "docker.io") == 0 && !strchr(path, '/');
        ret->name = gen_printf(pool, "%s/%s%s", domain, library ? "library/" : "", path);
        ret->tag = tag ? pool_strndup(pool, tag, strlen(tag)) : NULL;
        ret->digest = digest;
        if (!ret->name || (tag && !ret->tag))
                return -ENOMEM;
        return 0;
}

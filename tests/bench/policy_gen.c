/* SPDX-License-Identifier: Apache-2.0 */
#include "policy_gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARK_CONTAINERS "\ncontainers:\n"
#define MARK_PAUSE "  - name: pause\n"
#define MARK_NGINX "  - name: nginx\n"
#define MARK_TAIL "\ncopy_file:"

static char *dup_range(const char *from, const char *to)
{
        return strndup(from, (size_t)(to - from));
}

int policy_gen_init(struct policy_gen *g, const char *text)
{
        const char *c = strstr(text, MARK_CONTAINERS), *p, *n, *t;

        *g = (struct policy_gen){ 0 };
        if (!c)
                return -EBADMSG;
        c += strlen(MARK_CONTAINERS);
        p = strstr(c, MARK_PAUSE);
        n = strstr(c, MARK_NGINX);
        t = strstr(c, MARK_TAIL);
        /* The pause entry may follow comment lines, which stay in the head. */
        if (!p || !n || !t || n < p || t < n)
                return -EBADMSG;
        t++; /* the newline ends the nginx entry */
        g->head = dup_range(text, p);
        g->pause = dup_range(p, n);
        g->nginx = dup_range(n, t);
        g->tail = strdup(t);
        if (!g->head || !g->pause || !g->nginx || !g->tail) {
                policy_gen_done(g);
                return -ENOMEM;
        }
        return 0;
}

void policy_gen_done(struct policy_gen *g)
{
        free(g->head);
        free(g->pause);
        free(g->nginx);
        free(g->tail);
        *g = (struct policy_gen){ 0 };
}

/* Write s to f with every occurrence of from[i] replaced by to[i] (first match wins). */
static void put_replaced(FILE *f, const char *s, const char *const *from, const char *const *to,
                         size_t n)
{
        while (*s) {
                size_t i;

                for (i = 0; i < n; i++)
                        if (strncmp(s, from[i], strlen(from[i])) == 0)
                                break;
                if (i < n) {
                        fputs(to[i], f);
                        s += strlen(from[i]);
                } else {
                        fputc(*s++, f);
                }
        }
}

/* Application container k: nginx's entry under another name, image and rule ids. */
static void put_app(FILE *f, const struct policy_gen *g, size_t k)
{
        char name[64], id[64], probe[64], image[64];
        const char *from[] = { MARK_NGINX, "    id: nginx\n", "nginx.liveness",
                               "nginxinc/nginx-unprivileged" };
        const char *to[] = { name, id, probe, image };

        snprintf(name, sizeof(name), "  - name: app-%03zu\n", k);
        snprintf(id, sizeof(id), "    id: app-%03zu\n", k);
        snprintf(probe, sizeof(probe), "app-%03zu.liveness", k);
        snprintf(image, sizeof(image), "example/app-%03zu", k);
        put_replaced(f, g->nginx, from, to, sizeof(from) / sizeof(from[0]));
}

static size_t app_len(const struct policy_gen *g, size_t k)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                return 0;
        put_app(f, g, k);
        fclose(f);
        free(buf);
        return len;
}

static char *build(const struct policy_gen *g, size_t n_apps, size_t pad, size_t *ret_len)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                return NULL;
        fputs(g->head, f);
        fputs(g->pause, f);
        for (size_t k = 1; k <= n_apps; k++)
                put_app(f, g, k);
        fputs(g->nginx, f);
        fputs(g->tail, f);
        /* Comment lines of up to 80 bytes; a last byte alone is a bare newline. */
        while (pad > 0) {
                size_t line = pad > 80 ? 80 : pad;

                if (pad > 80 && pad - 80 < 2)
                        line = pad - 2;
                if (line == 1) {
                        fputc('\n', f);
                } else {
                        fputc('#', f);
                        for (size_t i = 1; i < line - 1; i++)
                                fputc(i == 1 ? ' ' : 'x', f);
                        fputc('\n', f);
                }
                pad -= line;
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        *ret_len = len;
        return buf;
}

char *policy_gen_containers(const struct policy_gen *g, size_t n, size_t *ret_len)
{
        if (n == 0)
                return NULL;
        return build(g, n - 1, 0, ret_len);
}

char *policy_gen_size(const struct policy_gen *g, size_t target, size_t *ret_len, size_t *ret_n)
{
        size_t base = strlen(g->head) + strlen(g->pause) + strlen(g->nginx) + strlen(g->tail);
        size_t size = base, n_apps = 0;

        if (target < base)
                return NULL;
        for (;;) {
                size_t next = app_len(g, n_apps + 1);

                if (next == 0 || size + next > target)
                        break;
                size += next;
                n_apps++;
        }
        *ret_n = n_apps + 1;
        return build(g, n_apps, target - size, ret_len);
}

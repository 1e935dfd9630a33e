/* SPDX-License-Identifier: Apache-2.0 */
/* Loading entry points and accessors of struct policy. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compile.h"
#include "fileio.h"
#include "policy_error.h"

/* Largest policy text accepted: far above any real pod, well below memory trouble. */
#define POLICY_TEXT_MAX (16u * 1024u * 1024u)

struct policy *policy_free(struct policy *p)
{
        if (!p)
                return NULL;
        match_env_done(&p->match);
        free(p->text);
        pool_done(&p->pool);
        free(p);
        return NULL;
}

int policy_load_buffer(const char *name, const uint8_t *buf, size_t len, struct policy **ret,
                       struct policy_error *err)
{
        _cleanup_(policy_freep) struct policy *p = NULL;
        _cleanup_(ytree_freep) struct ynode *root = NULL;
        struct load_ctx c = { .file = name ? name : "<policy>", .err = err };
        int r;

        if (err)
                *err = (struct policy_error){ 0 };
        if (len > POLICY_TEXT_MAX)
                return policy_error_errno(err, -EFBIG, c.file, 0, 0,
                                          "the policy is larger than %u bytes", POLICY_TEXT_MAX);
        p = calloc(1, sizeof(*p));
        if (!p)
                return policy_error_errno(err, -ENOMEM, c.file, 0, 0, "out of memory");
        /* The exact bytes: this is what the attested digest covers. */
        p->text = malloc(len ? len : 1);
        if (!p->text)
                return policy_error_errno(err, -ENOMEM, c.file, 0, 0, "out of memory");
        if (len)
                memcpy(p->text, buf, len);
        p->text_len = len;
        c.pool = &p->pool;
        p->name = pool_strndup(&p->pool, c.file, strlen(c.file));
        if (!p->name)
                return policy_error_errno(err, -ENOMEM, c.file, 0, 0, "out of memory");

        r = ytree_parse(c.file, buf, len, &root, err);
        if (r < 0)
                return r;
        r = policy_compile(&c, root, p);
        load_ctx_done(&c);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

int policy_read_file(const char *path, uint8_t **ret, size_t *ret_len, struct policy_error *err)
{
        int r;

        if (err)
                *err = (struct policy_error){ 0 };
        r = read_file_bounded(path, POLICY_TEXT_MAX, ret, ret_len);
        if (r == -EISDIR)
                return policy_error_errno(err, r, path, 0, 0,
                                          "is a directory, expected a policy file");
        if (r == -EFBIG)
                return policy_error_errno(err, r, path, 0, 0, "the policy is larger than %u bytes",
                                          POLICY_TEXT_MAX);
        if (r < 0)
                return policy_error_errno(err, r, path, 0, 0, "cannot read: %s", strerror(-r));
        return 0;
}

int policy_load_file(const char *path, struct policy **ret, struct policy_error *err)
{
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len = 0;
        int r;

        r = policy_read_file(path, &buf, &len, err);
        if (r < 0)
                return r;
        return policy_load_buffer(path, buf, len, ret, err);
}

enum policy_mode policy_mode(const struct policy *p)
{
        return p->mode;
}

const uint8_t *policy_text(const struct policy *p, size_t *ret_len)
{
        if (ret_len)
                *ret_len = p->text_len;
        return p->text;
}

const char *const policy_hook_names[] = {
        "connect_unix", "lsm_unix_inode", "lsm_exec", "lsm_ptrace", "lsm_proc_mem", "lsm_vsock",
        NULL,
};

bool policy_requires_hook(const struct policy *p, const char *name)
{
        for (unsigned h = 0; policy_hook_names[h]; h++)
                if (strcmp(policy_hook_names[h], name) == 0)
                        return p->required_hooks & (1u << h);
        return false;
}

bool policy_requires_measurement(const struct policy *p)
{
        return p && p->require_measurement;
}

/* Whether name is one item of the comma-separated list. */
static bool list_has(const char *list, const char *name)
{
        size_t n = strlen(name);

        for (const char *s = list; *s;) {
                size_t k = strcspn(s, ",");

                if (k == n && strncmp(s, name, n) == 0)
                        return true;
                s += k;
                if (*s == ',')
                        s++;
        }
        return false;
}

unsigned policy_hooks_missing(const struct policy *p, const char *active, char *missing,
                              size_t missing_len)
{
        unsigned n = 0;
        size_t used = 0;

        if (missing && missing_len)
                missing[0] = '\0';
        for (unsigned h = 0; policy_hook_names[h]; h++) {
                if (!(p->required_hooks & (1u << h)) || list_has(active, policy_hook_names[h]))
                        continue;
                n++;
                if (missing && used < missing_len) {
                        int k = snprintf(missing + used, missing_len - used, "%s%s",
                                         used ? "," : "", policy_hook_names[h]);
                        if (k > 0)
                                used += (size_t)k;
                }
        }
        return n;
}

const char *verdict_to_string(enum verdict v)
{
        switch (v) {
        case VERDICT_ALLOW:
                return "allow";
        case VERDICT_DENY:
                return "deny";
        default:
                return NULL;
        }
}

const char *policy_mode_to_string(enum policy_mode m)
{
        switch (m) {
        case POLICY_MODE_ENFORCE:
                return "enforce";
        case POLICY_MODE_AUDIT:
                return "audit";
        default:
                return NULL;
        }
}

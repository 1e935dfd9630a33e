/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container image, decide side: the one image_guest_pull storage and the pull
 * metadata in its driver option, read the way kata's agent reads it.
 *
 * The agent (storage/image_pull_handler.rs) takes the first driver option whose key
 * before "=" is image_guest_pull, parses the rest with serde_json as
 * {"metadata": {string: string}} and, when metadata["io.kubernetes.cri.container-type"]
 * or metadata["io.kubernetes.cri-o.ContainerType"] is "sandbox"
 * (confidential_data_hub/image.rs is_sandbox), mounts its built-in pause bundle
 * instead of pulling the storage's source; otherwise it pulls the source from a
 * registry. So the metadata decides what runs: a workload whose metadata says
 * sandbox gets the pause bundle in place of its pinned image, and a sandbox whose
 * metadata does not is pulled from the network by the name "pause".
 *
 * The reader below accepts only the shape the runtimes send and refuses the rest:
 * one object with the one key "metadata", whose value is an object of strings; no
 * container-type key twice (serde would keep the last); standard JSON escapes; no
 * trailing text. It allocates nothing: it runs on the request path, so it is not
 * jansson; tests/policy checks it against Python's json on the same bytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "decide.h"

#define PULL_OPTION_KEY "image_guest_pull="
/* Keys and values compared here are short ASCII; longer ones cannot be ours. */
#define NAME_MAX_LEN 64u

struct reader {
        const char *p, *end;
};

static void skip_ws(struct reader *r)
{
        while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
                r->p++;
}

static int hex4(const char *s, unsigned *ret)
{
        unsigned v = 0;

        for (int i = 0; i < 4; i++) {
                char ch = s[i];
                v <<= 4;
                if (ch >= '0' && ch <= '9')
                        v |= (unsigned)(ch - '0');
                else if (ch >= 'a' && ch <= 'f')
                        v |= (unsigned)(ch - 'a' + 10);
                else if (ch >= 'A' && ch <= 'F')
                        v |= (unsigned)(ch - 'A' + 10);
                else
                        return -EINVAL;
        }
        *ret = v;
        return 0;
}

/*
 * A JSON string at r->p, decoded into out (NUL-terminated) as far as it is ASCII
 * and fits; *ret_exact is false when it does not (such a string cannot equal a
 * short ASCII name). Surrogates must pair, as serde_json requires.
 */
static int read_string(struct reader *r, char *out, size_t out_len, bool *ret_exact)
{
        size_t o = 0;
        bool exact = true;

        if (r->p >= r->end || *r->p != '"')
                return -EINVAL;
        r->p++;
        while (r->p < r->end && *r->p != '"') {
                unsigned char ch = (unsigned char)*r->p++;
                unsigned u;

                if (ch < 0x20)
                        return -EINVAL;
                if (ch == '\\') {
                        if (r->p >= r->end)
                                return -EINVAL;
                        ch = (unsigned char)*r->p++;
                        switch (ch) {
                        case '"': case '\\': case '/': break;
                        case 'b': ch = '\b'; break;
                        case 'f': ch = '\f'; break;
                        case 'n': ch = '\n'; break;
                        case 'r': ch = '\r'; break;
                        case 't': ch = '\t'; break;
                        case 'u':
                                if (r->end - r->p < 4 || hex4(r->p, &u) < 0)
                                        return -EINVAL;
                                r->p += 4;
                                if (u >= 0xdc00 && u <= 0xdfff)
                                        return -EINVAL;
                                if (u >= 0xd800 && u <= 0xdbff) {
                                        unsigned lo;
                                        if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' ||
                                            hex4(r->p + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
                                                return -EINVAL;
                                        r->p += 6;
                                }
                                if (u >= 0x80) {
                                        exact = false;
                                        continue;
                                }
                                ch = (unsigned char)u;
                                break;
                        default:
                                return -EINVAL;
                        }
                } else if (ch >= 0x80) {
                        exact = false;
                        continue;
                }
                if (o + 1 < out_len)
                        out[o++] = (char)ch;
                else
                        exact = false;
        }
        if (r->p >= r->end)
                return -EINVAL;
        r->p++;
        out[o] = '\0';
        *ret_exact = exact;
        return 0;
}

static bool name_is(const char *s, bool exact, const char *name)
{
        return exact && strcmp(s, name) == 0;
}

int image_pull_is_sandbox(const char *option, size_t len)
{
        static const char *const type_keys[] = { "io.kubernetes.cri.container-type",
                                                  "io.kubernetes.cri-o.ContainerType" };
        struct reader r;
        char key[NAME_MAX_LEN], value[NAME_MAX_LEN];
        unsigned seen[2] = { 0, 0 };
        bool exact, sandbox = false, first = true;

        if (len < strlen(PULL_OPTION_KEY) || memcmp(option, PULL_OPTION_KEY, strlen(PULL_OPTION_KEY)) != 0)
                return -EINVAL;
        r = (struct reader){ option + strlen(PULL_OPTION_KEY), option + len };
        skip_ws(&r);
        if (r.p >= r.end || *r.p++ != '{')
                return -EINVAL;
        skip_ws(&r);
        if (read_string(&r, key, sizeof(key), &exact) < 0 || !name_is(key, exact, "metadata"))
                return -EINVAL;
        skip_ws(&r);
        if (r.p >= r.end || *r.p++ != ':')
                return -EINVAL;
        skip_ws(&r);
        if (r.p >= r.end || *r.p++ != '{')
                return -EINVAL;
        for (;;) {
                skip_ws(&r);
                if (r.p < r.end && *r.p == '}' && first) {
                        r.p++;
                        break;
                }
                if (read_string(&r, key, sizeof(key), &exact) < 0)
                        return -EINVAL;
                skip_ws(&r);
                if (r.p >= r.end || *r.p++ != ':')
                        return -EINVAL;
                skip_ws(&r);
                {
                        bool vexact;
                        if (read_string(&r, value, sizeof(value), &vexact) < 0)
                                return -EINVAL;
                        for (unsigned k = 0; k < 2; k++)
                                if (name_is(key, exact, type_keys[k])) {
                                        if (seen[k]++)
                                                return -EINVAL;
                                        sandbox |= name_is(value, vexact, "sandbox");
                                }
                }
                first = false;
                skip_ws(&r);
                if (r.p < r.end && *r.p == ',') {
                        r.p++;
                        continue;
                }
                if (r.p < r.end && *r.p == '}') {
                        r.p++;
                        break;
                }
                return -EINVAL;
        }
        skip_ws(&r);
        if (r.p >= r.end || *r.p++ != '}')
                return -EINVAL;
        skip_ws(&r);
        return r.p == r.end ? sandbox : -EINVAL;
}

int image_check(const struct container_rule *cr, const ProtobufCMessage *req, const char *root)
{
        size_t n = pb_count_of(req, "storages"), pulls = 0;

        for (size_t i = 0; i < n; i++) {
                const ProtobufCMessage *st = pb_msg_of(req, "storages", i);
                const char *opt;
                int sandbox;

                if (strcmp(pb_str_of(st, "driver", 0), "image_guest_pull") != 0)
                        continue;
                pulls++;
                /* kata's genpolicy: overlay, no fs_group, not shared, no options. */
                if (strcmp(pb_str_of(st, "source", 0), cr->image) != 0 ||
                    strcmp(pb_str_of(st, "mount_point", 0), root) != 0 ||
                    strcmp(pb_str_of(st, "fstype", 0), "overlay") != 0 ||
                    pb_count_of(st, "options") != 0 || pb_msg_of(st, "fs_group", 0) ||
                    pb_uint_of(st, "shared", 0) || pb_count_of(st, "driver_options") != 1)
                        return CHECK_IMAGE;
                opt = pb_str_of(st, "driver_options", 0);
                sandbox = image_pull_is_sandbox(opt, strlen(opt));
                if (sandbox < 0 || !!sandbox != cr->sandbox)
                        return CHECK_IMAGE;
        }
        return pulls == 1 ? -1 : CHECK_IMAGE;
}

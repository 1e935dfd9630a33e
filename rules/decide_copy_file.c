/* SPDX-License-Identifier: Apache-2.0 */
/* CopyFile, decide side: the destination normalised, confined, typed; symlinks resolved. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "decide.h"

static const struct policy_rule rule_path = {
        .verdict = VERDICT_DENY,
        .id = "copy-file-path",
        .reason = "the destination is not absolute and normalised, or traverses with ..",
};

static const struct policy_rule rule_rootfs = {
        .verdict = VERDICT_DENY,
        .id = "copy-file-rootfs",
        .reason = "files may not be written into a container's root filesystem",
};

static const struct policy_rule rule_type = {
        .verdict = VERDICT_DENY,
        .id = "copy-file-type",
        .reason = "only files, directories and symlinks without set-id bits may be copied",
};

static const struct policy_rule rule_symlink = {
        .verdict = VERDICT_DENY,
        .id = "copy-file-symlink",
        .reason = "the symlink is absolute, traverses with .., or points outside its rule",
};

static const struct policy_rule rule_mode = {
        .verdict = VERDICT_DENY,
        .id = "copy-file-mode",
        .reason = "the parent directories would be writable by group or others",
};

static const struct policy_rule rule_size = {
        .verdict = VERDICT_DENY,
        .id = "copy-file-size",
        .reason = "the offset, size and data do not describe the file",
};

static const struct policy_rule rule_owner = {
        .verdict = VERDICT_DENY,
        .id = "copy-file-owner",
        .reason = "the file's owner is not the one its copy_file rule names",
};

static const struct policy_rule rule_unlisted = {
        .verdict = VERDICT_DENY,
        .id = "copy-file-unlisted",
        .reason = "no copy_file rule allows this destination and file type",
};

int copy_path_normalise(const char *path, size_t len, char *out, size_t out_len)
{
        size_t o = 0, i = 0;

        if (len == 0 || path[0] != '/' || memchr(path, '\0', len) || out_len < 2)
                return -EINVAL;
        while (i < len) {
                size_t start, seg;

                while (i < len && path[i] == '/')
                        i++;
                start = i;
                while (i < len && path[i] != '/')
                        i++;
                seg = i - start;
                if (seg == 0 || (seg == 1 && path[start] == '.'))
                        continue;
                if (seg == 2 && path[start] == '.' && path[start + 1] == '.')
                        return -EINVAL;
                if (o + 1 + seg + 1 > out_len)
                        return -EINVAL;
                out[o++] = '/';
                memcpy(out + o, path + start, seg);
                o += seg;
        }
        if (o == 0)
                out[o++] = '/';
        out[o] = '\0';
        return (int)o;
}

/* /run/kata-containers/<id>/rootfs and .../shared/containers/<id>/rootfs, and below. */
static bool in_rootfs(const char *path)
{
        static const char *const prefixes[] = { "/run/kata-containers/shared/containers/",
                                                "/run/kata-containers/" };

        for (size_t k = 0; k < 2; k++) {
                size_t pl = strlen(prefixes[k]);
                const char *rest, *slash;

                if (strncmp(path, prefixes[k], pl) != 0)
                        continue;
                rest = path + pl;
                slash = strchr(rest, '/');
                if (!slash || slash == rest)
                        continue;
                /* Also the passthrough/watchable layouts: any component named rootfs below. */
                if (strncmp(slash, "/rootfs", 7) == 0 && (slash[7] == '\0' || slash[7] == '/'))
                        return true;
                if (strstr(slash, "/rootfs/") || (strlen(slash) >= 7 &&
                                                   strcmp(slash + strlen(slash) - 7, "/rootfs") == 0))
                        return true;
        }
        return false;
}

static int file_type(uint32_t mode)
{
        if (mode & (S_ISUID | S_ISGID))
                return (mode & S_IFMT) == S_IFDIR ? COPY_DIRECTORY : -EPERM;
        /* No type bits: the agent writes a regular file (its SFlag tests find no
         * type); kata's policy refuses it. A file says it is one. */
        switch (mode & S_IFMT) {
        case S_IFREG:
                return COPY_FILE;
        case S_IFDIR:
                return COPY_DIRECTORY;
        case S_IFLNK:
                return COPY_SYMLINK;
        default:
                return -EPERM;
        }
}

/* Where a relative symlink target at path lands, normalised, into out. */
static int symlink_resolve(const char *path, const ProtobufCBinaryData *target, char *out,
                           size_t out_len)
{
        char joined[COPY_PATH_MAX * 2 + 2];
        const char *slash = strrchr(path, '/');
        size_t dir_len = slash ? (size_t)(slash - path) : 0;

        if (target->len == 0 || target->data[0] == '/' || target->len > COPY_PATH_MAX ||
            memchr(target->data, '\0', target->len))
                return -EINVAL;
        memcpy(joined, path, dir_len);
        joined[dir_len] = '/';
        memcpy(joined + dir_len + 1, target->data, target->len);
        return copy_path_normalise(joined, dir_len + 1 + target->len, out, out_len);
}

/*
 * What the agent writes: data at offset into a temporary file, renamed over the
 * path once it has file_size bytes (kata rpc.rs do_copy_file; the Go shim sends
 * files over 1 MiB in chunks). Directories and symlinks come whole: a symlink's
 * target is its data, its size 0 (Go) or the target's length (runtime-rs).
 */
static bool sizes_ok(int type, int64_t offset, int64_t size, size_t data_len)
{
        if (offset < 0 || size < 0 || (uint64_t)data_len > (uint64_t)INT64_MAX)
                return false;
        switch (type) {
        case COPY_FILE:
                return offset <= size && (int64_t)data_len <= size - offset;
        case COPY_DIRECTORY:
                return offset == 0 && size == 0 && data_len == 0;
        default:
                return offset == 0 && (size == 0 || size == (int64_t)data_len);
        }
}

void copy_file_decide(const struct policy *p, const ProtobufCMessage *req, struct decision *d)
{
        const ProtobufCFieldDescriptor *fpath = pb_field_static(req->descriptor, "path");
        const ProtobufCFieldDescriptor *fmode = pb_field_static(req->descriptor, "file_mode");
        const ProtobufCFieldDescriptor *fdata = pb_field_static(req->descriptor, "data");
        const struct policy_rule *r = &rule_unlisted;
        char norm[COPY_PATH_MAX + 1], target[COPY_PATH_MAX + 1];
        ProtobufCBinaryData data;
        const char *path;
        int type, k;

        if (!fpath || !fmode || !fdata) {
                r = &rule_path;
                goto out;
        }
        path = pb_str(req, fpath, 0);
        k = copy_path_normalise(path, strlen(path), norm, sizeof(norm));
        if (k < 0) {
                r = &rule_path;
                goto out;
        }
        if (in_rootfs(norm)) {
                r = &rule_rootfs;
                goto out;
        }
        type = file_type((uint32_t)pb_uint(req, fmode, 0));
        if (type < 0) {
                r = &rule_type;
                goto out;
        }
        data = pb_bytes(req, fdata, 0);
        if (type == COPY_SYMLINK) {
                if (symlink_resolve(norm, &data, target, sizeof(target)) < 0 || in_rootfs(target)) {
                        r = &rule_symlink;
                        goto out;
                }
        }
        for (size_t i = 0; i < p->n_copies; i++) {
                const struct copy_rule *cr = &p->copies[i];
                if (!cr->types[type] || !match_string(&p->match, &cr->path, norm, (size_t)k))
                        continue;
                /* The link must land where the same rule allows writing. */
                if (type == COPY_SYMLINK &&
                    !match_string(&p->match, &cr->path, target, strlen(target))) {
                        r = &rule_symlink;
                        continue;
                }
                /* The agent chowns the file and its parent to uid:gid. */
                if (pb_int_of(req, "uid", 0) != (int64_t)cr->uid ||
                    pb_int_of(req, "gid", 0) != (int64_t)cr->gid) {
                        r = &rule_owner;
                        continue;
                }
                r = &cr->allow;
                break;
        }
        if (r->verdict != VERDICT_ALLOW)
                goto out;
        /* Where a rule allows the destination: what exactly is written there. */
        if (!sizes_ok(type, pb_int_of(req, "offset", 0), pb_int_of(req, "file_size", 0), data.len))
                r = &rule_size;
        /* The agent creates missing parents with dir_mode's permission bits. */
        else if (pb_uint_of(req, "dir_mode", 0) & (S_IWGRP | S_IWOTH))
                r = &rule_mode;
out:
        d->verdict = r->verdict;
        d->rule_id = r->id;
        d->reason = r->reason;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A container's mounts as the agent gets them, the storages behind them, and the
 * CopyFile destinations they need. containerd's defaults and cgroup mount
 * (spec_linux_opts.go withMounts), kubelet's mounts (makeMounts: volumes, /etc/hosts,
 * the termination log), containerd's /etc/hostname and /etc/resolv.conf, kata's
 * /dev/shm, the image's VOLUMEs; with shared_fs = "none" every host file or directory
 * is copied into the guest first (kata fs_share_linux.go ShareFile: the copy's name is
 * <container id>-<16 random hex>-<basename of the mount destination>).
 */
#include <errno.h>
#include <string.h>

#include "gen_internal.h"
#include "gen_text.h"

static const struct gkey volume_mount_keys[] = {
        { "name", GKEY_HANDLED, NULL },
        { "mountPath", GKEY_HANDLED, NULL },
        { "readOnly", GKEY_HANDLED, NULL },
        { "subPath", GKEY_HANDLED, NULL },
        { "mountPropagation", GKEY_HANDLED, NULL },
        { "recursiveReadOnly", GKEY_HANDLED, NULL },
        { "subPathExpr", GKEY_REFUSED, "subPathExpr depends on variables at run time: not generated" },
        { NULL, 0, NULL },
};

#define SA_TOKEN_PATH "/var/run/secrets/kubernetes.io/serviceaccount"

/* filepath.Clean for absolute paths: no //, no ., no trailing /. */
static char *clean(struct gen_ctx *c, const char *p)
{
        struct gtext t = GTEXT_INIT(c->pool);

        for (const char *s = p; *s;) {
                size_t n;
                while (*s == '/')
                        s++;
                n = strcspn(s, "/");
                if (n == 0)
                        break;
                if (!(n == 1 && s[0] == '.')) {
                        gtext_putc(&t, '/');
                        gtext_putn(&t, s, n);
                }
                s += n;
        }
        if (t.len == 0)
                gtext_putc(&t, '/');
        return gtext_take(&t);
}

static const char *base_name(const char *p)
{
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

/* <shared dir>/<64 hex>-<16 hex>-<base>: where kata copies a container's file. */
static char *copy_path(struct gen_ctx *c, const char *base)
{
        return P(c, "%s/" GEN_RE_ID64 "-[0-9a-f]{16}-%s", gm_quote(c->pool, c->set->kata.shared_dir),
                 gm_quote(c->pool, base));
}

/* A copy rule; one with the same path and types takes the new source into its reason. */
static int add_copy(struct gen_ctx *c, const char *id, const char *re, bool file, bool dir,
                    bool link, const char *what, const char *from)
{
        struct gen_pod *pod = c->pod;
        struct gen_copy *cp;
        char *uid;

        for (size_t i = 0; i < pod->n_copies; i++) {
                cp = &pod->copies[i];
                if (strcmp(cp->path.s, re) == 0 && cp->types[GEN_COPY_FILE] == file &&
                    cp->types[GEN_COPY_DIRECTORY] == dir && cp->types[GEN_COPY_SYMLINK] == link) {
                        if (!strstr(cp->from, from))
                                cp->from = P(c, "%s; %s", cp->from, from);
                        return cp->from ? 0 : gen_nomem(c);
                }
        }
        /* Rule ids are at most 64 characters and unique. */
        uid = P(c, "%.60s", id);
        for (unsigned k = 2; uid; k++) {
                bool taken = false;
                for (size_t i = 0; i < pod->n_copies && !taken; i++)
                        taken = strcmp(pod->copies[i].id, uid) == 0;
                if (!taken)
                        break;
                uid = P(c, "%.56s:%u", id, k);
        }
        if (!uid || !(cp = GEN_PUSH(c, pod->copies, pod->n_copies, pod->cap_copies)))
                return gen_nomem(c);
        cp->id = uid;
        cp->reason = P(c, "kata copies %.200s into the guest (shared_fs none)", what);
        cp->from = from;
        cp->path = gm_regex(re);
        cp->types[GEN_COPY_FILE] = file;
        cp->types[GEN_COPY_DIRECTORY] = dir;
        cp->types[GEN_COPY_SYMLINK] = link;
        return cp->reason ? 0 : gen_nomem(c);
}

/* A copied directory volume: the directory, and kubelet's tree below it. */
static int add_copy_tree(struct gen_ctx *c, const char *id, const char *top, bool top_file,
                         const char *what, const char *from)
{
        int r = add_copy(c, id, top, top_file, true, false, what, from);

        if (r < 0)
                return r;
        return add_copy(c, P(c, "%s/tree", id), P(c, "%s/.+", top), true, true, true,
                        P(c, "the files below %s", what), from);
}

static int kubelet_file(struct gen_ctx *c, const char *base)
{
        struct gen_pod *pod = c->pod;
        const char **slot;

        for (size_t i = 0; i < pod->n_kubelet_files; i++)
                if (strcmp(pod->kubelet_files[i], base) == 0)
                        return 0;
        if (!(slot = GEN_PUSH(c, pod->kubelet_files, pod->n_kubelet_files, pod->cap_kubelet_files)))
                return gen_nomem(c);
        *slot = base;
        return 0;
}

static int add_mount(struct gen_ctx *c, struct gen_container *gc, const char *dest,
                     struct gmatch source, const char *type, const char *const *opts, size_t n_opts,
                     const char *from)
{
        struct gen_mount *m = GEN_PUSH(c, gc->mounts, gc->n_mounts, gc->cap_mounts);

        if (!m || (source.kind != GM_ONE_OF && !source.s) || !from)
                return gen_nomem(c);
        *m = (struct gen_mount){ .destination = dest, .source = source, .type = type,
                                 .options = opts, .n_options = n_opts, .from = from };
        return 0;
}

static const char *const *opts3(struct gen_ctx *c, const char *a, const char *b, const char *d)
{
        const char **v = pool_alloc_array(c->pool, 3, sizeof(*v));

        if (v) {
                v[0] = a;
                v[1] = b;
                v[2] = d;
        }
        return v;
}

static int add_storage(struct gen_ctx *c, struct gen_container *gc, const struct gen_storage *st)
{
        struct gen_storage *s;

        for (size_t i = 0; i < gc->n_storages; i++)
                if (strcmp(gc->storages[i].driver, st->driver) == 0 &&
                    gm_equal(&gc->storages[i].mount_point, &st->mount_point))
                        return 0;
        if (!(s = GEN_PUSH(c, gc->storages, gc->n_storages, gc->cap_storages)))
                return gen_nomem(c);
        *s = *st;
        return 0;
}

static const char *const *fsgid_options(struct gen_ctx *c, const char *first, size_t *n)
{
        const char **v = pool_alloc_array(c->pool, 2, sizeof(*v));

        *n = 0;
        if (!v)
                return NULL;
        if (first)
                v[(*n)++] = first;
        /* kata_agent.go: fsgid=<gid> when kubelet gave the directory a group (fsGroup). */
        if (c->pod->has_fs_group && c->pod->fs_group != 0)
                v[(*n)++] = P(c, "fsgid=%lld", (long long)c->pod->fs_group);
        return v;
}

/* An emptyDir: where it comes from in the guest depends on kata's emptydir_mode. */
static int emptydir_mount(struct gen_ctx *c, struct gen_container *gc, const struct gen_volume *v,
                          const char *dest, const char *const *opts, const char *from)
{
        const struct gen_settings *s = c->set;
        struct gen_storage st = { .from = from };
        const char *mode = s->kata.emptydir_mode;
        int r;

        if (v->kind == GEN_VOL_EMPTYDIR_MEMORY) {
                /* kata_agent.go handleEphemeralStorage: a tmpfs made in the guest. */
                const char *point = P(c, "%s/%s", s->kata.ephemeral_dir, v->name);
                st.driver = "ephemeral";
                st.source = gm_exact("tmpfs");
                st.fstype = "tmpfs";
                st.mount_point = gm_exact(point);
                st.options = fsgid_options(c, NULL, &st.n_options);
                if (!point || !st.options)
                        return gen_nomem(c);
                if ((r = add_storage(c, gc, &st)) < 0)
                        return r;
                return add_mount(c, gc, dest, gm_exact(point), "bind", opts, 3, from);
        }
        if (strncmp(mode, "block-", 6) == 0) {
                /* kata_agent.go handleDeviceBlockVolume: a disk per emptyDir, formatted in
                 * the guest, mounted at sandbox/storage/<base64url of its address>. */
                const char *point = P(c, "%s/[A-Za-z0-9_-]+={0,2}",
                                      gm_quote(c->pool, s->kata.sandbox_storage_dir));
                bool enc = strcmp(mode, "block-encrypted") == 0;
                const struct gen_strlist *dopt = enc ? &s->kata.blk_encrypted_options
                                                     : &s->kata.blk_plain_options;
                st.driver = s->kata.blk_driver;
                st.source = s->kata.blk_source;
                st.fstype = s->kata.blk_fstype;
                st.mount_point = gm_regex(point);
                st.driver_options = dopt->v;
                st.n_driver_options = dopt->n;
                /* container.go createEphemeralDisks: Shared, so that the disk outlives
                 * a container's stop (runtime-rs block_emptydir_volume.rs the same). */
                st.shared = true;
                if (!enc) {
                        /* genpolicy-settings.json emptyDir_plain */
                        static const char *const discard[] = { "discard" };
                        st.options = discard;
                        st.n_options = 1;
                }
                if (!point)
                        return gen_nomem(c);
                if ((r = add_storage(c, gc, &st)) < 0)
                        return r;
                return add_mount(c, gc, dest, gm_regex(point), "bind", opts, 3, from);
        }
        if (!s->kata.disable_guest_empty_dir) {
                /* kata_agent.go handleLocalStorage: a directory in the sandbox's rootfs. */
                const char *point = P(c, "%s/" GEN_RE_ID64 "/rootfs/local/%s",
                                      gm_quote(c->pool, s->kata.shared_dir), gm_quote(c->pool, v->name));
                st.driver = "local";
                st.source = gm_exact("local");
                st.fstype = "local";
                st.mount_point = gm_regex(point);
                st.options = fsgid_options(c, "mode=0777", &st.n_options);
                if (!point || !st.options)
                        return gen_nomem(c);
                if ((r = add_storage(c, gc, &st)) < 0)
                        return r;
                return add_mount(c, gc, dest, gm_regex(point), "bind", opts, 3, from);
        }
        /* fs_share_linux.go ShareFile, mustCopyEmptyDir: copied once per pod. */
        {
                const char *re = P(c, "%s/sandbox-[0-9a-f]{16}-%s",
                                   gm_quote(c->pool, s->kata.shared_dir), gm_quote(c->pool, v->name));
                if (!re)
                        return gen_nomem(c);
                if ((r = add_copy(c, P(c, "copy:emptydir:%s", v->name), re, false, true,
                                         false, P(c, "the emptyDir %s", v->name), from)) < 0)
                        return r;
                return add_mount(c, gc, dest, gm_regex(re), "bind", opts, 3, from);
        }
}

static const struct gen_volume *volume_named(const struct gen_pod *pod, const char *name)
{
        for (size_t i = 0; i < pod->n_volumes; i++)
                if (strcmp(pod->volumes[i].name, name) == 0)
                        return &pod->volumes[i];
        return NULL;
}

static const char *const volume_kind_names[] = {
        [GEN_VOL_EMPTYDIR] = "emptyDir",       [GEN_VOL_EMPTYDIR_MEMORY] = "emptyDir (Memory)",
        [GEN_VOL_CONFIGMAP] = "configMap",     [GEN_VOL_SECRET] = "secret",
        [GEN_VOL_PROJECTED] = "projected",     [GEN_VOL_DOWNWARD_API] = "downwardAPI",
        [GEN_VOL_HOST_PATH] = "hostPath",
};

static int volume_mount(struct gen_ctx *c, struct gen_container *gc, const struct gnode *vm,
                        const char *path)
{
        const struct gnode *nn = gnode_get(vm, "name"), *mp = gnode_get(vm, "mountPath"), *v;
        const char *name, *dest, *sub = NULL, *prop = NULL, *rro = NULL, *from, *mode;
        const struct gen_volume *vol;
        bool ro = false, file;
        int r;

        if ((r = gnode_check_keys(c->err, vm, path, volume_mount_keys)) < 0)
                return r;
        if (!nn || !mp)
                return gnode_error(c->err, vm, "%s: needs name and mountPath", path);
        if ((r = gnode_str(c->err, nn, P(c, "%s.name", path), &name)) < 0 ||
            (r = gnode_str(c->err, mp, P(c, "%s.mountPath", path), &dest)) < 0)
                return r;
        if (dest[0] != '/')
                return gnode_error(c->err, mp, "%s.mountPath: not an absolute path", path);
        if ((v = gnode_get(vm, "readOnly")) &&
            (r = gnode_bool(c->err, v, P(c, "%s.readOnly", path), &ro)) < 0)
                return r;
        if ((v = gnode_get(vm, "subPath")) && (r = gnode_str(c->err, v, "subPath", &sub)) < 0)
                return r;
        if ((v = gnode_get(vm, "mountPropagation")) &&
            (r = gnode_str(c->err, v, "mountPropagation", &prop)) < 0)
                return r;
        if (prop && strcmp(prop, "None") != 0)
                return gnode_error(c->err, gnode_get(vm, "mountPropagation"),
                                   "%s.mountPropagation: %s propagation sets the container's "
                                   "rootfs propagation, which the policy language refuses",
                                   path, prop);
        if ((v = gnode_get(vm, "recursiveReadOnly")) &&
            (r = gnode_str(c->err, v, "recursiveReadOnly", &rro)) < 0)
                return r;
        if (rro && strcmp(rro, "Disabled") != 0 && strcmp(rro, "Enabled") != 0)
                return gnode_error(c->err, gnode_get(vm, "recursiveReadOnly"),
                                   "%s.recursiveReadOnly: IfPossible depends on the runtime "
                                   "handler's features; say Enabled or Disabled", path);
        vol = volume_named(c->pod, name);
        if (!vol)
                return gnode_error(c->err, nn, "%s.name: the pod has no volume named %s", path, name);
        dest = clean(c, dest);
        from = P(c, "%s (%s volume %s)", path, volume_kind_names[vol->kind], name);
        if (!dest || !from)
                return gen_nomem(c);
        /* kubelet makeMounts: the API-data volumes are always mounted read-only
         * (mustMountRO: their GetAttributes().ReadOnly, since Kubernetes 1.10). */
        if (vol->kind == GEN_VOL_CONFIGMAP || vol->kind == GEN_VOL_SECRET ||
            vol->kind == GEN_VOL_PROJECTED || vol->kind == GEN_VOL_DOWNWARD_API)
                ro = true;
        mode = ro ? (rro && strcmp(rro, "Enabled") == 0 ? "rro" : "ro") : "rw";
        if (vol->kind == GEN_VOL_EMPTYDIR || vol->kind == GEN_VOL_EMPTYDIR_MEMORY) {
                if (sub)
                        return gnode_error(c->err, gnode_get(vm, "subPath"),
                                           "%s.subPath: a subPath of an emptyDir is not generated",
                                           path);
                return emptydir_mount(c, gc, vol, dest, opts3(c, "rbind", "rprivate", mode), from);
        }
        if (vol->kind == GEN_VOL_HOST_PATH && vol->host_path_type &&
            (strcmp(vol->host_path_type, "Socket") == 0 ||
             strcmp(vol->host_path_type, "CharDevice") == 0 ||
             strcmp(vol->host_path_type, "BlockDevice") == 0))
                return gnode_error(c->err, vol->node, "%s: a hostPath %s is not copied into the "
                                   "guest; not generated", vol->path, vol->host_path_type);
        /* Copied: a file (subPath, or a file hostPath), else a directory tree. */
        file = sub || (vol->kind == GEN_VOL_HOST_PATH && vol->host_path_type &&
                       strncmp(vol->host_path_type, "File", 4) == 0);
        {
                const char *re = copy_path(c, base_name(dest));
                const char *what = P(c, "the %s volume %s at %s", volume_kind_names[vol->kind],
                                     name, dest);
                const char *id = P(c, "copy:%s", name);
                bool unknown = vol->kind == GEN_VOL_HOST_PATH &&
                               (!vol->host_path_type || !vol->host_path_type[0]);
                if (!re || !what || !id)
                        return gen_nomem(c);
                r = file ? add_copy(c, id, re, true, false, false, what, from)
                         : add_copy_tree(c, id, re, unknown, what, from);
                if (r < 0)
                        return r;
                return add_mount(c, gc, dest, gm_regex(re), "bind", opts3(c, "rbind", "rprivate", mode),
                                 3, from);
        }
}

static bool mounted(const struct gen_container *gc, const char *dest)
{
        for (size_t i = 0; i < gc->n_mounts; i++)
                if (strcmp(gc->mounts[i].destination, dest) == 0)
                        return true;
        return false;
}

/* kubelet's and containerd's own files: copied, bound rw (hostname and resolv.conf ro
 * under readOnlyRootFilesystem). */
static int kubelet_mount(struct gen_ctx *c, struct gen_container *gc, const char *dest, bool ro,
                         const char *from)
{
        int r;

        if (mounted(gc, dest))
                return 0;
        if ((r = kubelet_file(c, base_name(dest))) < 0)
                return r;
        return add_mount(c, gc, dest, gm_regex(copy_path(c, base_name(dest))), "bind",
                         opts3(c, "rbind", "rprivate", ro ? "ro" : "rw"), 3, from);
}

static int default_mounts(struct gen_ctx *c, struct gen_container *gc, bool cgroup)
{
        const struct gen_settings *s = c->set;
        int r;

        for (size_t i = 0; i < s->containerd.mounts.n; i++) {
                const struct gen_mount_setting *m = &s->containerd.mounts.v[i];
                const char **o = pool_alloc_array(c->pool, m->options.n + 1, sizeof(*o));
                if (!o)
                        return gen_nomem(c);
                memcpy(o, m->options.v, m->options.n * sizeof(*o));
                /* pkg/oci WithWriteableSysfs for privileged containers */
                for (size_t k = 0; gc->privileged && strcmp(m->type, "sysfs") == 0 && k < m->options.n; k++)
                        if (strcmp(o[k], "ro") == 0)
                                o[k] = "rw";
                if ((r = add_mount(c, gc, m->destination, gm_exact(m->source), m->type, o,
                                   m->options.n, "settings containerd.mounts")) < 0)
                        return r;
        }
        if (!cgroup)
                return 0;
        /* Newer kernels' cgroup2 mounts carry extra flags (nsdelegate,
         * memory_recursiveprot; containerd copies the host's without a cgroup
         * namespace): kata's genpolicy allows them as cgroup_mount_extras_allowed.
         * The policy says so with optional_options, once. */
        {
                const struct gen_strlist *base = &s->containerd.cgroup_options;
                const char **o = pool_alloc_array(c->pool, base->n + 1, sizeof(*o));
                struct gen_mount *m;
                if (!o)
                        return gen_nomem(c);
                for (size_t k = 0; k < base->n; k++)
                        o[k] = gc->privileged && strcmp(base->v[k], "ro") == 0 ? "rw" : base->v[k];
                if ((r = add_mount(c, gc, "/sys/fs/cgroup", gm_exact("cgroup"), "cgroup", o, base->n,
                                   "settings containerd.cgroup_mount_options; optional: "
                                   "containerd.cgroup_mount_host_options (the kernel's)")) < 0)
                        return r;
                m = &gc->mounts[gc->n_mounts - 1];
                m->optional_options = s->containerd.cgroup_host_options.v;
                m->n_optional_options = s->containerd.cgroup_host_options.n;
        }
        return 0;
}

static int shm_mount(struct gen_ctx *c, struct gen_container *gc)
{
        static const char *const rbind[] = { "rbind" };

        if (mounted(gc, "/dev/shm"))
                return 0;
        return add_mount(c, gc, "/dev/shm", gm_exact(c->set->kata.shm_dir), "bind", rbind, 1,
                         "kata: the sandbox's shm (kata_agent.go handleShm)");
}

static bool token_mounted(struct gen_ctx *c, const struct gnode *cn)
{
        const struct gnode *vms = gnode_get(cn, "volumeMounts"), *sa;
        const char *name = "default";

        if (!c->pod->automount_token)
                return false;
        if (gnode_key(c->pod->spec, "automountServiceAccountToken") == NULL) {
                /* The ServiceAccount's own setting applies when the pod says nothing. */
                sa = gnode_get(c->pod->spec, "serviceAccountName");
                if (sa && sa->type == GNODE_SCALAR)
                        name = sa->value;
                sa = gen_find_object(c, "ServiceAccount", name);
                if (sa && gnode_get(sa, "automountServiceAccountToken") &&
                    strcmp(gnode_get(sa, "automountServiceAccountToken")->value, "false") == 0)
                        return false;
        }
        for (size_t i = 0; vms && vms->type == GNODE_SEQ && i < vms->n; i++) {
                const struct gnode *mp = gnode_get(vms->items[i], "mountPath");
                if (mp && mp->type == GNODE_SCALAR && strcmp(clean(c, mp->value), SA_TOKEN_PATH) == 0)
                        return false;
        }
        return true;
}

int gen_mounts_build(struct gen_ctx *c, const struct gnode *cn, const char *path,
                     const json_t *image_config, struct gen_container *gc)
{
        const struct gnode *vms = gnode_get(cn, "volumeMounts"), *tp;
        const char *term = "/dev/termination-log";
        const json_t *vols = json_object_get(image_config, "Volumes");
        const char *key;
        const json_t *val;
        int r;

        if ((r = default_mounts(c, gc, true)) < 0)
                return r;
        if (vms && (r = gnode_seq(c->err, vms, P(c, "%s.volumeMounts", path))) < 0)
                return r;
        for (size_t i = 0; vms && i < vms->n; i++) {
                const char *p = P(c, "%s.volumeMounts[%zu]", path, i);
                if (!p)
                        return gen_nomem(c);
                if ((r = volume_mount(c, gc, vms->items[i], p)) < 0)
                        return r;
        }
        if (token_mounted(c, cn)) {
                const char *re = copy_path(c, "serviceaccount");
                const char *from = "the ServiceAccount admission plugin's kube-api-access volume "
                                   "(automountServiceAccountToken)";
                if ((r = add_copy_tree(c, "copy:kube-api-access", re, false,
                                       "the service account token volume", from)) < 0 ||
                    (r = add_mount(c, gc, SA_TOKEN_PATH, gm_regex(re), "bind",
                                   opts3(c, "rbind", "rprivate", "ro"), 3, from)) < 0)
                        return r;
        }
        if ((tp = gnode_get(cn, "terminationMessagePath")) &&
            (r = gnode_str(c->err, tp, P(c, "%s.terminationMessagePath", path), &term)) < 0)
                return r;
        if ((r = kubelet_mount(c, gc, "/etc/hosts", false, "kubelet: the pod's /etc/hosts")) < 0 ||
            (r = kubelet_mount(c, gc, clean(c, term), false,
                               tp ? P(c, "%s.terminationMessagePath", path)
                                  : "kubelet: the termination log (terminationMessagePath)")) < 0 ||
            (r = kubelet_mount(c, gc, "/etc/hostname", gc->readonly_root,
                               gc->readonly_root ? "containerd: the sandbox's hostname, read-only "
                                                   "under readOnlyRootFilesystem"
                                                 : "containerd: the sandbox's hostname")) < 0 ||
            (r = kubelet_mount(c, gc, "/etc/resolv.conf", gc->readonly_root,
                               gc->readonly_root ? "containerd: the sandbox's resolv.conf, read-only "
                                                   "under readOnlyRootFilesystem"
                                                 : "containerd: the sandbox's resolv.conf")) < 0 ||
            (r = shm_mount(c, gc)) < 0)
                return r;
        json_object_foreach((json_t *)vols, key, val) {
                const char *dest = clean(c, key), *re;
                if (!dest)
                        return gen_nomem(c);
                if (mounted(gc, dest))
                        continue;
                re = copy_path(c, base_name(dest));
                if ((r = add_copy(c, P(c, "copy:image-volume:%s", base_name(dest)), re, false, true,
                                  false, P(c, "the image's VOLUME %s (an empty directory)", dest),
                                  P(c, "the image config's Volumes %s", dest))) < 0 ||
                    (r = add_mount(c, gc, dest, gm_regex(re), "bind",
                                   opts3(c, "rbind", "rprivate", "rw"), 3,
                                   P(c, "the image config's Volumes %s (containerd)", dest))) < 0)
                        return r;
        }
        return 0;
}

int gen_sandbox_mounts_build(struct gen_ctx *c, struct gen_container *gc)
{
        const struct gen_strlist *o = &c->set->containerd.sandbox_resolv_conf_options;
        int r;

        if ((r = default_mounts(c, gc, false)) < 0 || (r = shm_mount(c, gc)) < 0 ||
            (r = kubelet_file(c, "resolv.conf")) < 0)
                return r;
        return add_mount(c, gc, "/etc/resolv.conf", gm_regex(copy_path(c, "resolv.conf")), "bind",
                         o->v, o->n, "containerd: the sandbox's resolv.conf (sandbox_run_linux.go)");
}

int gen_copy_kubelet_files(struct gen_ctx *c)
{
        struct gtext alt = GTEXT_INIT(c->pool);
        struct gen_pod *pod = c->pod;
        const char *re;

        if (!pod->n_kubelet_files)
                return 0;
        for (size_t i = 0; i < pod->n_kubelet_files; i++)
                gtext_printf(&alt, "%s%s", i ? "|" : "", gm_quote(c->pool, pod->kubelet_files[i]));
        re = P(c, "%s/" GEN_RE_ID64 "-[0-9a-f]{16}-(?:%s)", gm_quote(c->pool, c->set->kata.shared_dir),
               gtext_take(&alt));
        if (!re || !alt.buf)
                return gen_nomem(c);
        if (add_copy(c, "copy:kubelet-files", re, true, false, false,
                     "kubelet's and containerd's files (hosts, hostname, resolv.conf, the "
                     "termination log)",
                     "kubelet makeMounts, containerd's sandbox files") < 0)
                return -ENOMEM;
        /* The files every container has come first. */
        if (pod->n_copies > 1 && strcmp(pod->copies[pod->n_copies - 1].id, "copy:kubelet-files") == 0) {
                struct gen_copy last = pod->copies[pod->n_copies - 1];
                memmove(pod->copies + 1, pod->copies, (pod->n_copies - 1) * sizeof(last));
                pod->copies[0] = last;
        }
        return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What containerd derives for a container's process and spec, shared by the sandbox
 * (pause) container and the pod's containers: the user and groups, capabilities,
 * seccomp and AppArmor, and the annotations every container carries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gen_internal.h"
#include "gen_text.h"
#include "policy_error.h"

/* The pod's or the container's securityContext value for key (container first). */
const struct gnode *gen_sc_get(const struct gnode *sc, const struct gnode *psc, const char *key)
{
        const struct gnode *v = gnode_get(sc, key);
        return v ? v : gnode_get(psc, key);
}

int gen_annotation(struct gen_ctx *c, struct gen_container *gc, size_t *cap, const char *key,
                      struct gmatch value, const char *from)
{
        struct gen_kv *a = GEN_PUSH(c, gc->annotations, gc->n_annotations, *cap);

        if (!a || (value.kind != GM_ONE_OF && !value.s))
                return gen_nomem(c);
        *a = (struct gen_kv){ .key = key, .value = value, .from = from };
        return 0;
}

bool gen_prefix_match(const struct gen_strlist *patterns, const char *key)
{
        for (size_t i = 0; i < patterns->n; i++) {
                const char *p = patterns->v[i];
                size_t n = strlen(p);
                if (n && p[n - 1] == '*' ? strncmp(key, p, n - 1) == 0 : strcmp(key, p) == 0)
                        return true;
        }
        return false;
}

/* The pod template's annotations containerd passes to every container (pod_annotations),
 * but those the runtime strips. */
static int passthrough_annotations(struct gen_ctx *c, struct gen_container *gc, size_t *cap)
{
        const struct gnode *a = gnode_get(c->pod->meta, "annotations");
        int r;

        for (size_t i = 0; a && i < a->n; i++) {
                const char *k = a->keys[i]->value;
                bool stripped = false;
                if (!gen_prefix_match(&c->set->kata.pod_annotations, k))
                        continue;
                for (size_t j = 0; j < c->rt->stripped_annotations.n && !stripped; j++)
                        stripped = strcmp(c->rt->stripped_annotations.v[j], k) == 0;
                if (stripped)
                        continue;
                if ((r = gen_annotation(c, gc, cap, k, gm_exact(a->items[i]->value),
                                    P(c, "%sannotations (settings kata.pod_annotations)",
                                      c->pod->meta_path))) < 0)
                        return r;
        }
        return 0;
}

int gen_common_annotations(struct gen_ctx *c, struct gen_container *gc, size_t *cap)
{
        const struct gen_pod *pod = c->pod;
        int r;

        if ((r = gen_annotation(c, gc, cap, "io.kubernetes.cri.sandbox-id", gm_regex(GEN_RE_ID64),
                            "containerd: the sandbox's id")) < 0 ||
            (r = gen_annotation(c, gc, cap, "io.kubernetes.cri.sandbox-name", pod->name,
                            pod->name_from)) < 0 ||
            (r = gen_annotation(c, gc, cap, "io.kubernetes.cri.sandbox-namespace",
                            gm_exact(pod->namespace_), "metadata.namespace")) < 0 ||
            (r = gen_annotation(c, gc, cap, "io.kubernetes.cri.sandbox-uid", gm_regex(GEN_RE_UUID),
                            "the API server: the pod's uid")) < 0 ||
            (r = gen_annotation(c, gc, cap, "io.katacontainers.pkg.oci.bundle_path",
                            gm_regex(P(c, "%s/" GEN_RE_ID64, gm_quote(c->pool, c->set->kata.bundle_dir))),
                            "kata: the container's bundle (settings kata.bundle_dir)")) < 0)
                return r;
        return passthrough_annotations(c, gc, cap);
}

/* User and groups: runAsUser/runAsGroup, else the image's USER as kubelet hands it on. */
int gen_user_of(struct gen_ctx *c, const struct gnode *sc, const struct gnode *psc,
                   const json_t *cfg, bool sandbox, const struct gnode *at, const char *path,
                   struct gen_container *gc)
{
        const struct gnode *u = gen_sc_get(sc, psc, "runAsUser"), *g = gen_sc_get(sc, psc, "runAsGroup");
        const struct gnode *sg = gnode_get(psc, "supplementalGroups"), *nr;
        const char *image_user = sandbox ? c->set->containerd.sandbox_user
                                         : json_string_value(json_object_get(cfg, "User"));
        int64_t uid = 0, gid = 0;
        bool non_root = false;
        int r;

        gc->user_from = "no user anywhere: root";
        if (u) {
                if ((r = gnode_int(c->err, u, "runAsUser", 0, UINT32_MAX, &uid)) < 0)
                        return r;
                gc->user_from = "securityContext.runAsUser";
        } else if (image_user && image_user[0]) {
                char *end;
                const char *colon = strchr(image_user, ':');
                uid = strtoll(image_user, &end, 10);
                if (end == image_user || (*end && *end != ':'))
                        return gnode_error(c->err, at,
                                           "%s.image: the image's USER is \"%s\", a name: with guest "
                                           "pull the node has no /etc/passwd to resolve it (genpolicy "
                                           "refuses it too); set securityContext.runAsUser and "
                                           "runAsGroup", path, image_user);
                gc->user_from = sandbox ? "settings containerd.sandbox_user (the pause image's USER)"
                                        : "the image config's User";
                /* The pause container gets the image's whole USER (containerd
                 * sandboxContainerSpecOpts); other containers only its uid (kubelet
                 * getImageUser), and their gid then comes from runAsGroup or is 0. */
                if (sandbox && colon && !g) {
                        gid = strtoll(colon + 1, &end, 10);
                        if (*end || end == colon + 1)
                                return gnode_error(c->err, at, "%s: the pause image's group is "
                                                   "not a number", path);
                }
        }
        if (g && (r = gnode_int(c->err, g, "runAsGroup", 0, UINT32_MAX, &gid)) < 0)
                return r;
        if ((nr = gen_sc_get(sc, psc, "runAsNonRoot")) &&
            (r = gnode_bool(c->err, nr, "runAsNonRoot", &non_root)) < 0)
                return r;
        if (non_root && uid == 0)
                return gnode_error(c->err, nr, "%s: runAsNonRoot, but the container runs as uid "
                                   "0; kubelet would not start it", path);
        gc->uid = (uint32_t)uid;
        gc->gid = (uint32_t)gid;
        /* containerd WithAdditionalGIDs/WithSupplementalGroups: the gid, the pod's
         * supplementalGroups, and kubelet adds fsGroup to them. */
        gc->gids = pool_alloc_array(c->pool, (sg && sg->type == GNODE_SEQ ? sg->n : 0) + 1,
                                    sizeof(*gc->gids));
        if (!gc->gids)
                return gen_nomem(c);
        for (size_t i = 0; sg && sg->type == GNODE_SEQ && i < sg->n; i++) {
                int64_t x;
                if ((r = gnode_int(c->err, sg->items[i], "supplementalGroups", 0, UINT32_MAX, &x)) < 0)
                        return r;
                gc->gids[gc->n_gids++] = (uint32_t)x;
        }
        if (c->pod->has_fs_group)
                gc->gids[gc->n_gids++] = (uint32_t)c->pod->fs_group;
        if (g)
                gc->user_from = P(c, "%s; gid from securityContext.runAsGroup", gc->user_from);
        else if (!sandbox)
                gc->user_from = P(c, "%s; gid 0: no runAsGroup, and with guest pull the node has "
                                     "no /etc/passwd", gc->user_from);
        if (sg || c->pod->has_fs_group)
                gc->user_from = P(c, "%s; groups from securityContext.supplementalGroups, fsGroup",
                                  gc->user_from);
        return gc->user_from ? 0 : gen_nomem(c);
}

/* containerd WithCapabilities: add ALL, drop ALL, then the single adds and drops. */
int gen_capabilities(struct gen_ctx *c, const struct gnode *sc, const char *path,
                           struct gen_container *gc)
{
        const struct gnode *caps = gnode_get(sc, "capabilities");
        const struct gnode *lists[2] = { gnode_get(caps, "add"), gnode_get(caps, "drop") };
        const struct gen_strlist *all = &c->set->containerd.privileged_caps;
        const struct gen_strlist *dflt = &c->set->containerd.default_caps;
        const char **v;
        size_t n = 0;
        int r;

        v = pool_alloc_array(c->pool, all->n + dflt->n + 64, sizeof(*v));
        if (!v)
                return gen_nomem(c);
        if (gc->privileged) {
                memcpy(v, all->v, all->n * sizeof(*v));
                gc->caps = v;
                gc->n_caps = all->n;
                gc->caps_from = "securityContext.privileged: every capability "
                                "(settings containerd.privileged_capabilities)";
                return 0;
        }
        memcpy(v, dflt->v, dflt->n * sizeof(*v));
        n = dflt->n;
        gc->caps_from = caps ? P(c, "containerd's defaults with %s.securityContext.capabilities", path)
                             : "containerd's defaults (settings containerd.default_capabilities)";
        for (unsigned pass = 0; pass < 4; pass++) {
                const struct gnode *l = lists[pass % 2];
                for (size_t i = 0; l && i < l->n; i++) {
                        const char *name, *cap;
                        bool is_all;
                        if ((r = gnode_str(c->err, l->items[i], "a capability", &name)) < 0)
                                return r;
                        if (strncasecmp(name, "CAP_", 4) == 0)
                                return gnode_error(c->err, l->items[i],
                                                   "%s.securityContext.capabilities: write %s "
                                                   "without CAP_ (containerd adds it)",
                                                   path, name);
                        is_all = strcasecmp(name, "ALL") == 0;
                        if (is_all != (pass < 2))
                                continue;
                        if (is_all) {
                                if (pass == 0) { /* add ALL */
                                        memcpy(v, all->v, all->n * sizeof(*v));
                                        n = all->n;
                                } else {
                                        n = 0;
                                }
                                continue;
                        }
                        cap = P(c, "CAP_%s", name);
                        if (!cap)
                                return gen_nomem(c);
                        for (char *p = (char *)cap; *p; p++)
                                if (*p >= 'a' && *p <= 'z')
                                        *p = (char)(*p - 'a' + 'A');
                        if (pass == 2) {
                                bool have = false;
                                for (size_t k = 0; k < n && !have; k++)
                                        have = strcmp(v[k], cap) == 0;
                                if (!have && n < all->n + dflt->n + 64)
                                        v[n++] = cap;
                        } else {
                                /* containerd WithDroppedCapabilities keeps the others' order. */
                                for (size_t k = 0; k < n; k++)
                                        if (strcmp(v[k], cap) == 0) {
                                                memmove(&v[k], &v[k + 1], (n - k - 1) * sizeof(*v));
                                                n--;
                                                break;
                                        }
                        }
                }
        }
        gc->caps = v;
        gc->n_caps = n;
        return 0;
}

int gen_bool_sc(struct gen_ctx *c, const struct gnode *sc, const char *key, const char *path,
                   bool *ret)
{
        const struct gnode *v = gnode_get(sc, key);

        *ret = false;
        return v ? gnode_bool(c->err, v, P(c, "%s.securityContext.%s", path, key), ret) : 0;
}

/* seccomp and AppArmor: what the guest gets, and what the runtime names. */
int gen_security_profiles(struct gen_ctx *c, const struct gnode *sc, const struct gnode *psc,
                             const char *path, struct gen_container *gc)
{
        const struct gnode *sp = gen_sc_get(sc, psc, "seccompProfile");
        const struct gnode *ap = gen_sc_get(sc, psc, "appArmorProfile");
        const char *stype = sp && gnode_get(sp, "type") ? gnode_get(sp, "type")->value : "Unconfined";
        const char *atype = ap && gnode_get(ap, "type") ? gnode_get(ap, "type")->value : "RuntimeDefault";
        const char *profile = c->set->containerd.apparmor_profile;

        if (c->set->kata.disable_guest_seccomp) {
                gc->seccomp = "none";
                gc->seccomp_from = strcmp(stype, "Unconfined") == 0
                                           ? "settings kata.disable_guest_seccomp"
                                           : P(c, "settings kata.disable_guest_seccomp: the pod's "
                                                  "seccompProfile %s is not applied in the guest", stype);
        } else if (strcmp(stype, "Unconfined") == 0) {
                gc->seccomp = "none";
                gc->seccomp_from = "securityContext.seccompProfile: Unconfined (kubelet's default)";
        } else if (strcmp(stype, "RuntimeDefault") == 0 && !gc->privileged) {
                gc->seccomp_action = "SCMP_ACT_ERRNO";
                gc->seccomp_from = "securityContext.seccompProfile: RuntimeDefault (containerd's "
                                   "profile; its syscall list is not checked)";
        } else {
                return gnode_error(c->err, sp ? sp : sc, "%s: seccompProfile %s with "
                                   "disable_guest_seccomp false is not generated", path, stype);
        }
        if (gc->sandbox || gc->privileged || !profile[0] || strcmp(atype, "Unconfined") == 0)
                return 0;
        if (strcmp(atype, "RuntimeDefault") != 0)
                return gnode_error(c->err, ap, "%s: appArmorProfile %s is not generated", path, atype);
        /* kata's agent does not apply AppArmor: the name is allowed, nothing else. */
        gc->apparmor_profile = profile;
        gc->apparmor_from = "settings containerd.apparmor_profile (containerd's default profile; "
                            "the guest does not apply AppArmor)";
        return 0;
}


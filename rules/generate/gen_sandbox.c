/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sandbox (pause) container: what containerd's sandbox_run_linux.go makes for the
 * pod and kata turns into the agent's first CreateContainer. The agent replaces its
 * process with its own pause bundle; the policy still pins what the runtime sends.
 */
#include <errno.h>
#include <string.h>

#include "gen_internal.h"
#include "gen_text.h"
#include "policy_error.h"

static const struct gkey pod_security_keys[] = {
        { "runAsUser", GKEY_HANDLED, NULL },
        { "runAsGroup", GKEY_HANDLED, NULL },
        { "runAsNonRoot", GKEY_HANDLED, NULL },
        { "fsGroup", GKEY_HANDLED, NULL },
        { "supplementalGroups", GKEY_HANDLED, NULL },
        { "sysctls", GKEY_HANDLED, NULL },
        { "seccompProfile", GKEY_HANDLED, NULL },
        { "appArmorProfile", GKEY_HANDLED, NULL },
        { "fsGroupChangePolicy", GKEY_IGNORED, "kubelet's chown of volumes on the host" },
        { "supplementalGroupsPolicy", GKEY_IGNORED,
          "Merge adds the image's /etc/group groups, which a guest-pulled image's host "
          "snapshot does not have" },
        { "seLinuxChangePolicy", GKEY_IGNORED, "host relabelling" },
        { "windowsOptions", GKEY_IGNORED, "Windows only" },
        { "seLinuxOptions", GKEY_REFUSED,
          "containerd would give the processes an SELinux label, which the policy refuses" },
        { NULL, 0, NULL },
};

int gen_sandbox_build(struct gen_ctx *c)
{
        const struct gen_settings *s = c->set;
        const struct gen_pod *pod = c->pod;
        const struct gnode *psc = gnode_get(pod->spec, "securityContext"), *sys;
        struct gen_container *gc;
        struct gen_arg *args;
        size_t cap_ann = 0, cap_env = 0;
        int r;

        if (psc && (r = gnode_check_keys(c->err, psc, P(c, "%ssecurityContext", pod->spec_path),
                                         pod_security_keys)) < 0)
                return r;
        if (!(gc = GEN_PUSH(c, c->pod->containers, c->pod->n_containers, c->pod->cap_containers)) ||
            !(args = pool_alloc_array(c->pool, s->containerd.sandbox_args.n + 1, sizeof(*args))))
                return gen_nomem(c);
        gc->sandbox = true;
        gc->name = "pause";
        gc->id = "sandbox:pause";
        gc->from = "containerd's sandbox container (sandbox_run_linux.go)";
        gc->reason = P(c, "the sandbox (pause) container of %s %s/%s", pod->kind, pod->namespace_,
                       pod->workload);
        /* Both runtimes name the sandbox's image storage "pause"; the agent runs its own
         * pause bundle (image_pull_handler.rs). */
        gc->image = "pause";
        gc->image_from = "kata: the sandbox's image storage source (kata_agent.go "
                         "handleImageGuestPullBlockVolume; runtime-rs virtual_volume.rs)";
        for (size_t i = 0; i < s->containerd.sandbox_args.n; i++)
                args[i] = (struct gen_arg){ gm_exact(s->containerd.sandbox_args.v[i]),
                                            "settings containerd.sandbox_args" };
        gc->args = args;
        gc->n_args = s->containerd.sandbox_args.n;
        for (size_t i = 0; i < s->containerd.sandbox_env.n; i++) {
                const char *e = s->containerd.sandbox_env.v[i], *eq = strchr(e, '=');
                struct gen_kv *kv = GEN_PUSH(c, gc->env, gc->n_env, cap_env);
                if (!kv || !eq)
                        return eq ? gen_nomem(c)
                                  : policy_error_set(c->err, s->name, 0, 0,
                                                     "containerd.sandbox_env: \"%s\" is not NAME=value", e);
                *kv = (struct gen_kv){ P(c, "%.*s", (int)(eq - e), e), gm_exact(eq + 1),
                                       "settings containerd.sandbox_env" };
        }
        gc->cwd = gm_exact("/");
        gc->cwd_from = "the pause image";
        if ((r = gen_user_of(c, NULL, psc, NULL, true, pod->spec, P(c, "%ssecurityContext", pod->spec_path),
                         gc)) < 0)
                return r;
        gc->privileged = pod->privileged;
        gc->privileged_from = "a privileged container makes the sandbox privileged (kubelet)";
        gc->caps = pod->privileged ? s->containerd.privileged_caps.v : s->containerd.default_caps.v;
        gc->n_caps = pod->privileged ? s->containerd.privileged_caps.n : s->containerd.default_caps.n;
        gc->caps_from = "containerd's defaults for the sandbox";
        gc->no_new_privileges = true;
        gc->nnp_from = "containerd's sandbox spec";
        gc->readonly_root = true;
        gc->readonly_from = "containerd's sandbox spec";
        gc->namespaces = c->rt->sandbox_namespaces.v;
        gc->n_namespaces = c->rt->sandbox_namespaces.n;
        gc->namespaces_from = P(c, "settings runtimes.%s.sandbox_namespaces", c->runtime);
        gc->streams_from = "the pause container has no output";
        if ((r = gen_sandbox_mounts_build(c, gc)) < 0 ||
            (r = gen_security_profiles(c, NULL, psc, pod->spec_path, gc)) < 0 ||
            (r = gen_sandbox_resources(c, gc)) < 0)
                return r;
        /* Sysctls: containerd's two defaults unless the pod sets them, and the pod's. */
        sys = gnode_get(psc, "sysctls");
        {
                size_t cap_sys = 0;
                for (size_t i = 0; i < s->containerd.sandbox_sysctls.n; i++) {
                        struct gen_kv *kv = GEN_PUSH(c, gc->sysctls, gc->n_sysctls, cap_sys);
                        if (!kv)
                                return gen_nomem(c);
                        *kv = (struct gen_kv){ s->containerd.sandbox_sysctls.keys[i],
                                               gm_exact(s->containerd.sandbox_sysctls.values[i]),
                                               "settings containerd.sandbox_sysctls" };
                }
                if (sys && (r = gnode_seq(c->err, sys, "securityContext.sysctls")) < 0)
                        return r;
                for (size_t i = 0; sys && i < sys->n; i++) {
                        const struct gnode *n = gnode_get(sys->items[i], "name");
                        const struct gnode *v = gnode_get(sys->items[i], "value");
                        struct gen_kv *kv = NULL;
                        if (!n || !v || n->type != GNODE_SCALAR || v->type != GNODE_SCALAR)
                                return gnode_error(c->err, sys->items[i], "securityContext.sysctls"
                                                   "[%zu]: needs name and value (a string)", i);
                        for (size_t k = 0; k < gc->n_sysctls && !kv; k++)
                                if (strcmp(gc->sysctls[k].key, n->value) == 0)
                                        kv = &gc->sysctls[k];
                        if (!kv && !(kv = GEN_PUSH(c, gc->sysctls, gc->n_sysctls, cap_sys)))
                                return gen_nomem(c);
                        *kv = (struct gen_kv){ n->value, gm_exact(v->value),
                                               P(c, "%ssecurityContext.sysctls[%zu]", pod->spec_path, i) };
                }
        }
        if ((r = gen_annotation(c, gc, &cap_ann, "io.kubernetes.cri.sandbox-log-directory",
                            gm_regex(P(c, "/var/log/pods/%s_%s_" GEN_RE_UUID,
                                       gm_quote(c->pool, pod->namespace_),
                                       gm_as_regex(c->pool, &pod->name))),
                            "kubelet: /var/log/pods/<namespace>_<name>_<uid>")) < 0 ||
            (r = gen_annotation(c, gc, &cap_ann, "io.kubernetes.cri.podsandbox.image-name",
                            gm_exact(s->containerd.sandbox_image), "settings containerd.sandbox_image")) < 0 ||
            (r = gen_annotation(c, gc, &cap_ann, "io.katacontainers.pkg.oci.container_type",
                            gm_exact("pod_sandbox"), "kata")) < 0 ||
            (r = gen_annotation(c, gc, &cap_ann, "nerdctl/network-namespace",
                            gm_regex("/var/run/netns/cni-" GEN_RE_UUID),
                            "kata: the pod's network namespace (katautils/create.go)")) < 0)
                return r;
        for (const char *const *k = (const char *const[]){ "cpu-period", "cpu-quota", "cpu-shares",
                                                           "memory", NULL };
             *k; k++)
                if ((r = gen_annotation(c, gc, &cap_ann, P(c, "io.kubernetes.cri.sandbox-%s", *k),
                                    gm_regex("[0-9]{1,20}"),
                                    "kubelet: the pod's resource totals")) < 0)
                        return r;
        return gen_common_annotations(c, gc, &cap_ann);
}


/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pod's containers as the agent gets them: the sandbox (pause) container
 * containerd makes, then each init container and container of the pod spec with its
 * image pinned by digest, argv (kubelet: command replaces the image's Entrypoint, args
 * its Cmd), environment, working directory, user and groups, capabilities and the
 * other security settings, mounts, annotations, and the commands the host may run in
 * it (exec probes, lifecycle hooks, --allow-exec).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gen_internal.h"
#include "gen_text.h"
#include "policy_error.h"

static const struct gkey container_keys[] = {
        { "name", GKEY_HANDLED, NULL },
        { "image", GKEY_HANDLED, NULL },
        { "command", GKEY_HANDLED, NULL },
        { "args", GKEY_HANDLED, NULL },
        { "workingDir", GKEY_HANDLED, NULL },
        { "env", GKEY_HANDLED, NULL },
        { "envFrom", GKEY_HANDLED, NULL },
        { "securityContext", GKEY_HANDLED, NULL },
        { "volumeMounts", GKEY_HANDLED, NULL },
        { "livenessProbe", GKEY_HANDLED, NULL },
        { "readinessProbe", GKEY_HANDLED, NULL },
        { "startupProbe", GKEY_HANDLED, NULL },
        { "lifecycle", GKEY_HANDLED, NULL },
        { "terminationMessagePath", GKEY_HANDLED, NULL },
        { "terminationMessagePolicy", GKEY_HANDLED, NULL },
        { "stdin", GKEY_HANDLED, NULL },
        { "tty", GKEY_HANDLED, NULL },
        { "resources", GKEY_HANDLED, NULL },
        { "resizePolicy", GKEY_HANDLED, NULL },
        { "ports", GKEY_IGNORED, "the guest does not see ports" },
        { "imagePullPolicy", GKEY_IGNORED, "the guest pulls by digest" },
        { "restartPolicy", GKEY_IGNORED, "kubelet's decision (sidecar init containers)" },
        { "stdinOnce", GKEY_IGNORED, "kubelet's handling of stdin" },
        { "volumeDevices", GKEY_REFUSED, "raw block devices are not generated" },
        { NULL, 0, NULL },
};

static const struct gkey security_keys[] = {
        { "runAsUser", GKEY_HANDLED, NULL },
        { "runAsGroup", GKEY_HANDLED, NULL },
        { "runAsNonRoot", GKEY_HANDLED, NULL },
        { "allowPrivilegeEscalation", GKEY_HANDLED, NULL },
        { "capabilities", GKEY_HANDLED, NULL },
        { "privileged", GKEY_HANDLED, NULL },
        { "readOnlyRootFilesystem", GKEY_HANDLED, NULL },
        { "seccompProfile", GKEY_HANDLED, NULL },
        { "appArmorProfile", GKEY_HANDLED, NULL },
        { "procMount", GKEY_HANDLED, NULL },
        { "windowsOptions", GKEY_IGNORED, "Windows only" },
        { "seLinuxOptions", GKEY_REFUSED,
          "containerd would give the process an SELinux label, which the policy refuses" },
        { NULL, 0, NULL },
};

static const struct gkey probe_keys[] = {
        { "exec", GKEY_HANDLED, NULL },
        { "httpGet", GKEY_IGNORED, "kubelet probes over the network" },
        { "tcpSocket", GKEY_IGNORED, "kubelet probes over the network" },
        { "grpc", GKEY_IGNORED, "kubelet probes over the network" },
        { "initialDelaySeconds", GKEY_IGNORED, "timing" },
        { "periodSeconds", GKEY_IGNORED, "timing" },
        { "timeoutSeconds", GKEY_IGNORED, "timing" },
        { "successThreshold", GKEY_IGNORED, "timing" },
        { "failureThreshold", GKEY_IGNORED, "timing" },
        { "terminationGracePeriodSeconds", GKEY_IGNORED, "timing" },
        { "sleep", GKEY_IGNORED, "kubelet sleeps" },
        { NULL, 0, NULL },
};

/* kubelet ExpandContainerCommandAndArgs, then containerd WithProcessArgs. */
static int args_of(struct gen_ctx *c, const struct gnode *cn, const char *path, const json_t *cfg,
                   const struct gen_envset *env, struct gen_container *gc)
{
        const struct gnode *cmd = gnode_get(cn, "command"), *args = gnode_get(cn, "args");
        const json_t *ep = json_object_get(cfg, "Entrypoint"), *ic = json_object_get(cfg, "Cmd");
        size_t n_cmd = cmd ? cmd->n : 0, n_args = args ? args->n : 0, n = 0;
        bool use_entrypoint = !cmd, use_cmd = !cmd && n_args == 0;
        const json_t *e;
        size_t i;
        int r;

        if ((cmd && (r = gnode_seq(c->err, cmd, P(c, "%s.command", path))) < 0) ||
            (args && (r = gnode_seq(c->err, args, P(c, "%s.args", path))) < 0))
                return -EINVAL;
        if (use_entrypoint && json_array_size(ep) == 1 &&
            json_string_value(json_array_get(ep, 0)) &&
            !json_string_value(json_array_get(ep, 0))[0])
                use_entrypoint = false;
        gc->args = pool_alloc_array(c->pool, n_cmd + n_args + json_array_size(ep) + json_array_size(ic) + 1,
                                    sizeof(*gc->args));
        if (!gc->args)
                return gen_nomem(c);
        if (use_entrypoint)
                json_array_foreach(ep, i, e)
                        gc->args[n++] = (struct gen_arg){ gm_exact(json_string_value(e) ? json_string_value(e) : ""),
                                                          "the image config's Entrypoint" };
        for (i = 0; i < n_cmd; i++) {
                const char *s;
                if ((r = gnode_str(c->err, cmd->items[i], P(c, "%s.command[%zu]", path, i), &s)) < 0 ||
                    (r = gen_env_expand(c, env, s, false, &gc->args[n].m)) < 0)
                        return r;
                gc->args[n].from = P(c, "%s.command[%zu]%s", path, i,
                                     gc->args[n].m.kind == GM_EXACT ? "" : " ($(VAR) expanded by kubelet)");
                n++;
        }
        if (use_cmd)
                json_array_foreach(ic, i, e)
                        gc->args[n++] = (struct gen_arg){ gm_exact(json_string_value(e) ? json_string_value(e) : ""),
                                                          "the image config's Cmd" };
        for (i = 0; i < n_args; i++) {
                const char *s;
                if ((r = gnode_str(c->err, args->items[i], P(c, "%s.args[%zu]", path, i), &s)) < 0 ||
                    (r = gen_env_expand(c, env, s, false, &gc->args[n].m)) < 0)
                        return r;
                gc->args[n].from = P(c, "%s.args[%zu]%s", path, i,
                                     gc->args[n].m.kind == GM_EXACT ? "" : " ($(VAR) expanded by kubelet)");
                n++;
        }
        if (n == 0)
                return gnode_error(c->err, cn, "%s: no command: neither the pod nor the image says "
                                   "what to run", path);
        gc->n_args = n;
        return 0;
}

/* "<container id>.<what>", within the 64 characters of a rule id (names can be 63). */
static const char *exec_id(struct gen_ctx *c, const struct gen_container *gc, const char *what)
{
        size_t room = 64 - strlen(what) - 1;

        if (strlen(gc->id) <= room)
                return P(c, "%s.%s", gc->id, what);
        /* Shortened: the exec's index keeps it unique. */
        return P(c, "%.*s:%zu.%s", (int)(room - 4), gc->id, gc->n_execs, what);
}

/* A container name is a DNS label (Kubernetes validates it): it names rules. */
static bool dns_label(const char *s)
{
        size_t n = strlen(s);

        return n >= 1 && n <= 63 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n &&
               s[0] != '-' && s[n - 1] != '-';
}

static int add_exec(struct gen_ctx *c, struct gen_container *gc, const char *id, const char *reason,
                    const char *from, const struct gnode *argv, const char *const *cli, size_t n_cli,
                    const struct gen_envset *env, bool expand)
{
        struct gen_exec *x = GEN_PUSH(c, gc->execs, gc->n_execs, gc->cap_execs);
        size_t n = argv ? argv->n : n_cli;
        int r;

        if (!x || !(x->argv = pool_alloc_array(c->pool, n ? n : 1, sizeof(*x->argv))))
                return gen_nomem(c);
        x->id = id;
        x->reason = reason;
        x->from = from;
        for (size_t i = 0; i < n; i++) {
                const char *s = n_cli ? cli[i] : NULL;
                if (!s && (r = gnode_str(c->err, argv->items[i], P(c, "%s[%zu]", from, i), &s)) < 0)
                        return r;
                if (expand) {
                        if ((r = gen_env_expand(c, env, s, true, &x->argv[i].m)) < 0)
                                return r;
                } else {
                        x->argv[i].m = gm_exact(s);
                }
        }
        x->n_argv = n;
        x->drop_no_new_privileges = gc->no_new_privileges && !c->rt->exec_no_new_privileges;
        /* kubelet reads a probe's output; runtimes close its stdin. */
        x->streams[GEN_STREAM_STDOUT] = x->streams[GEN_STREAM_STDERR] = true;
        x->streams[GEN_STREAM_STDIN] = true;
        c->pod->any_exec = true;
        return id && reason && from ? 0 : gen_nomem(c);
}

static int execs_of(struct gen_ctx *c, const struct gnode *cn, const char *path,
                    const struct gen_envset *env, struct gen_container *gc)
{
        static const char *const probes[] = { "livenessProbe", "readinessProbe", "startupProbe" };
        static const char *const hooks[] = { "postStart", "preStop" };
        const struct gnode *lc = gnode_get(cn, "lifecycle");
        int r;

        for (size_t i = 0; i < ELEMENTSOF(probes); i++) {
                const struct gnode *p = gnode_get(cn, probes[i]), *cmd;
                const char *pp = P(c, "%s.%s", path, probes[i]);
                if (!p)
                        continue;
                if ((r = gnode_check_keys(c->err, p, pp, probe_keys)) < 0)
                        return r;
                if (!(cmd = gnode_get(gnode_get(p, "exec"), "command")))
                        continue;
                if ((r = gnode_seq(c->err, cmd, P(c, "%s.exec.command", pp))) < 0)
                        return r;
                if (cmd->n == 0)
                        continue;
                /* kubelet ExpandContainerCommandOnlyStatic for exec probes. */
                if ((r = add_exec(c, gc, exec_id(c, gc, P(c, "%.*s", (int)(strlen(probes[i]) - 5), probes[i])),
                                  P(c, "kubelet's exec %s", probes[i]), P(c, "%s.exec.command", pp),
                                  cmd, NULL, 0, env, true)) < 0)
                        return r;
        }
        for (size_t i = 0; lc && i < ELEMENTSOF(hooks); i++) {
                const struct gnode *h = gnode_get(lc, hooks[i]), *cmd;
                const char *hp = P(c, "%s.lifecycle.%s", path, hooks[i]);
                if (!h)
                        continue;
                if ((r = gnode_check_keys(c->err, h, hp, probe_keys)) < 0)
                        return r;
                if (!(cmd = gnode_get(gnode_get(h, "exec"), "command")) || cmd->type != GNODE_SEQ ||
                    cmd->n == 0)
                        continue;
                if ((r = add_exec(c, gc, exec_id(c, gc, i == 0 ? "post-start" : "pre-stop"),
                                  P(c, "kubelet's %s hook", hooks[i]), P(c, "%s.exec.command", hp),
                                  cmd, NULL, 0, env, false)) < 0)
                        return r;
        }
        for (size_t i = 0; i < c->rq->n_execs; i++) {
                const struct gen_exec_allow *a = &c->rq->execs[i];
                struct gen_exec *x;
                if (strcmp(a->container, gc->name) != 0)
                        continue;
                if ((r = add_exec(c, gc, exec_id(c, gc, P(c, "allow-exec.%zu", i + 1)),
                                  "the tenant allows this command (kubectl exec)",
                                  P(c, "--allow-exec %s", a->container), NULL, a->argv, a->argc, env,
                                  false)) < 0)
                        return r;
                x = &gc->execs[gc->n_execs - 1];
                c->pod->any_allow_exec = true;
                x->streams[GEN_STREAM_STDIN] = true;
        }
        return 0;
}

/* kubelet's container annotations (newContainerAnnotations); containerd passes those
 * the runtime entry's container_annotations names. */
static int kubelet_annotations(struct gen_ctx *c, const struct gnode *cn, const char *path,
                               struct gen_container *gc, size_t *cap)
{
        const struct gnode *tp = gnode_get(cn, "terminationMessagePath");
        const struct gnode *tq = gnode_get(cn, "terminationMessagePolicy");
        const char *policy = tq && tq->type == GNODE_SCALAR ? tq->value : "File";
        const struct {
                const char *key;
                struct gmatch value;
        } all[] = {
                { "io.kubernetes.container.terminationMessagePath",
                  gm_exact(tp && tp->type == GNODE_SCALAR ? tp->value : "/dev/termination-log") },
                { "io.kubernetes.container.terminationMessagePolicy", gm_exact(policy) },
                { "io.kubernetes.container.hash", gm_regex("[0-9a-f]{1,16}") },
                { "io.kubernetes.container.restartCount", gm_regex("[0-9]{1,9}") },
                { "io.kubernetes.pod.terminationGracePeriod", gm_regex("[0-9]{1,19}") },
                { "io.kubernetes.container.preStopHandler", gm_regex("[\\s\\S]*") },
                { "io.kubernetes.container.ports", gm_regex("[\\s\\S]*") },
        };
        int r;

        if (strcmp(policy, "File") != 0 && strcmp(policy, "FallbackToLogsOnError") != 0)
                return gnode_error(c->err, tq, "%s.terminationMessagePolicy: File or "
                                   "FallbackToLogsOnError", path);
        for (size_t i = 0; i < ELEMENTSOF(all); i++) {
                if (!gen_prefix_match(&c->set->containerd.container_annotations, all[i].key))
                        continue;
                if ((r = gen_annotation(c, gc, cap, all[i].key, all[i].value,
                                    P(c, "kubelet, passed on by containerd (settings "
                                         "containerd.container_annotations)"))) < 0)
                        return r;
                /* The runtime fetches the termination message from the guest at stop. */
                if (i == 1 && strcmp(policy, "File") == 0)
                        c->pod->any_termination_file = true;
        }
        return 0;
}

static int resources_check(struct gen_ctx *c, const struct gnode *cn, const char *path)
{
        static const char *const lists[] = { "limits", "requests", "claims" };
        const struct gnode *res = gnode_get(cn, "resources");

        for (size_t i = 0; res && i < ELEMENTSOF(lists); i++) {
                const struct gnode *l = gnode_get(res, lists[i]);
                if (i == 2 && l)
                        return gnode_error(c->err, l, "%s.resources.claims: not generated", path);
                for (size_t k = 0; l && l->type == GNODE_MAP && k < l->n; k++) {
                        const char *name = l->keys[k]->value;
                        if (strcmp(name, "cpu") == 0 || strcmp(name, "memory") == 0 ||
                            strcmp(name, "ephemeral-storage") == 0 || strncmp(name, "hugepages-", 10) == 0)
                                continue;
                        return gnode_error(c->err, l->keys[k],
                                           "%s.resources.%s.%s: a device plugin's resource brings "
                                           "devices the generator cannot know; not generated",
                                           path, lists[i], name);
                }
        }
        return 0;
}

static int image_of(struct gen_ctx *c, const struct gnode *cn, const char *path,
                    const struct gen_image **ret)
{
        const struct gnode *in = gnode_get(cn, "image");
        const char *image, *why;
        struct gen_ref ref;
        char msg[400];
        int r;

        if (!in)
                return gnode_error(c->err, cn, "%s.image: missing", path);
        if ((r = gnode_str(c->err, in, P(c, "%s.image", path), &image)) < 0)
                return r;
        if ((r = gen_ref_parse(c->pool, image, &ref, &why)) < 0)
                return r == -ENOMEM ? gen_nomem(c)
                                    : gnode_error(c->err, in, "%s.image: \"%s\": %s", path, image, why);
        r = gen_images_lookup(c->images, &ref, c->set->platform, ret, msg, sizeof(msg));
        if (r < 0)
                return gnode_error(c->err, in, "%s.image: \"%s\": %s", path, image, msg);
        if (!ref.digest)
                /* kata sends the pod's string to the guest, which pulls what the tag names then. */
                return gnode_error(c->err, in,
                                   "%s.image: \"%s\" names a tag, and the guest pulls the string "
                                   "the pod gives; pin it in the pod: \"%s@%s\" (from %s)",
                                   path, image, image, (*ret)->digest, (*ret)->source);
        return 0;
}

/* Whether --logs-from names the container. */
static bool logs_from(const struct gen_ctx *c, const char *name)
{
        for (size_t i = 0; i < c->rq->n_logs_from; i++)
                if (strcmp(c->rq->logs_from[i], name) == 0)
                        return true;
        return false;
}

static int container_build(struct gen_ctx *c, const struct gnode *cn, const char *path, bool init)
{
        const struct gnode *sc = gnode_get(cn, "securityContext");
        const struct gnode *psc = gnode_get(c->pod->spec, "securityContext"), *v;
        const struct gen_image *img;
        struct gen_container *gc;
        struct gen_envset *env;
        const json_t *cfg;
        size_t cap_ann = 0;
        const char *wd;
        int r;

        if ((r = gnode_check_keys(c->err, cn, path, container_keys)) < 0 ||
            (sc && (r = gnode_check_keys(c->err, sc, P(c, "%s.securityContext", path),
                                         security_keys)) < 0) ||
            (r = resources_check(c, cn, path)) < 0)
                return r;
        if (!(gc = GEN_PUSH(c, c->pod->containers, c->pod->n_containers, c->pod->cap_containers)))
                return gen_nomem(c);
        if (!gnode_get(cn, "name") ||
            (r = gnode_str(c->err, gnode_get(cn, "name"), P(c, "%s.name", path), &gc->name)) < 0)
                return gnode_error(c->err, cn, "%s.name: missing", path);
        if (!dns_label(gc->name))
                return gnode_error(c->err, gnode_get(cn, "name"),
                                   "%s.name: \"%s\" is not a DNS label (1-63 of a-z, 0-9 and -), "
                                   "which Kubernetes requires", path, gc->name);
        for (size_t i = 0; i + 1 < c->pod->n_containers; i++)
                if (strcmp(c->pod->containers[i].name, gc->name) == 0 && !c->pod->containers[i].sandbox)
                        return gnode_error(c->err, gnode_get(cn, "name"),
                                           "%s.name: a second container named %s", path, gc->name);
        if ((r = image_of(c, cn, path, &img)) < 0)
                return r;
        cfg = img->config;
        gc->id = gc->name;
        gc->from = path;
        gc->reason = P(c, "%s %s of %s %s/%s", init ? "init container" : "container", gc->name,
                       c->pod->kind, c->pod->namespace_, c->pod->workload);
        gc->image = gnode_get(cn, "image")->value;
        gc->image_from = P(c, "%s.image, verbatim as kata sends it; %s", path,
                           img->name ? P(c, "%s is in %s", img->digest, img->source)
                                     : P(c, "digest found in %s", img->source));
        if ((r = gen_bool_sc(c, sc, "privileged", path, &gc->privileged)) < 0)
                return r;
        c->pod->privileged |= gc->privileged;
        if ((v = gnode_get(sc, "procMount")) && strcmp(v->value, "Default") != 0)
                return gnode_error(c->err, v, "%s.securityContext.procMount: only Default is "
                                   "generated", path);
        if ((r = gen_env_build(c, cn, path, cfg, gc, &env)) < 0 ||
            (r = args_of(c, cn, path, cfg, env, gc)) < 0)
                return r;
        wd = json_string_value(json_object_get(cfg, "WorkingDir"));
        if ((v = gnode_get(cn, "workingDir"))) {
                if ((r = gnode_str(c->err, v, P(c, "%s.workingDir", path), &wd)) < 0)
                        return r;
                gc->cwd_from = P(c, "%s.workingDir", path);
        } else {
                gc->cwd_from = wd && wd[0] ? "the image config's WorkingDir" : "containerd's default";
        }
        gc->cwd = gm_exact(wd && wd[0] ? wd : "/");
        if ((r = gen_user_of(c, sc, psc, cfg, false, gnode_get(cn, "image"), path, gc)) < 0 ||
            (r = gen_capabilities(c, sc, path, gc)) < 0)
                return r;
        if ((v = gnode_get(sc, "allowPrivilegeEscalation"))) {
                bool allow;
                if ((r = gnode_bool(c->err, v, "allowPrivilegeEscalation", &allow)) < 0)
                        return r;
                gc->no_new_privileges = !allow;
                gc->nnp_from = P(c, "%s.securityContext.allowPrivilegeEscalation", path);
        }
        if ((r = gen_bool_sc(c, sc, "readOnlyRootFilesystem", path, &gc->readonly_root)) < 0)
                return r;
        gc->readonly_from = P(c, "%s.securityContext.readOnlyRootFilesystem", path);
        gc->privileged_from = P(c, "%s.securityContext.privileged", path);
        if ((v = gnode_get(cn, "tty")) && (r = gnode_bool(c->err, v, "tty", &gc->terminal)) < 0)
                return r;
        gc->terminal_from = P(c, "%s.tty", path);
        if ((r = gen_mounts_build(c, cn, path, cfg, gc)) < 0 ||
            (r = gen_annotation(c, gc, &cap_ann, "io.kubernetes.cri.image-name", gm_exact(gc->image),
                            P(c, "%s.image (containerd: the pod's string)", path))) < 0 ||
            (r = gen_annotation(c, gc, &cap_ann, "io.katacontainers.pkg.oci.container_type",
                            gm_exact("pod_container"), "kata")) < 0 ||
            (r = gen_common_annotations(c, gc, &cap_ann)) < 0 ||
            (r = kubelet_annotations(c, cn, path, gc, &cap_ann)) < 0 ||
            (r = gen_security_profiles(c, sc, psc, path, gc)) < 0 ||
            (r = gen_container_resources(c, cn, path, gc)) < 0 ||
            (r = execs_of(c, cn, path, env, gc)) < 0)
                return r;
        gc->namespaces = c->rt->container_namespaces.v;
        gc->n_namespaces = c->rt->container_namespaces.n;
        gc->namespaces_from = P(c, "settings runtimes.%s.container_namespaces", c->runtime);
        gc->streams[GEN_STREAM_STDOUT] = gc->streams[GEN_STREAM_STDERR] =
                c->rq->logs == GEN_LOGS_ALLOW || logs_from(c, gc->name);
        if ((v = gnode_get(cn, "stdin")) &&
            (r = gnode_bool(c->err, v, "stdin", &gc->streams[GEN_STREAM_STDIN])) < 0)
                return r;
        gc->streams[GEN_STREAM_TTY_RESIZE] = gc->terminal;
        gc->streams_from = P(c, "%s%s",
                             c->rq->logs != GEN_LOGS_ALLOW && logs_from(c, gc->name)
                                     ? P(c, "--logs-from %s", gc->name)
                                     : c->rq->logs == GEN_LOGS_ALLOW ? "--logs allow" : "--logs deny",
                             gc->streams[GEN_STREAM_STDIN] ? P(c, "; %s.stdin", path) : "");
        c->pod->any_stdin |= gc->streams[GEN_STREAM_STDIN];
        c->pod->any_tty |= gc->terminal;
        c->pod->any_resize |= gnode_get(cn, "resizePolicy") != NULL;
        return gc->reason && gc->image_from && gc->streams_from ? 0 : gen_nomem(c);
}

static int container_list(struct gen_ctx *c, const char *key, bool init)
{
        const struct gnode *l = gnode_get(c->pod->spec, key);
        int r;

        if (!l)
                return init ? 0 : gnode_error(c->err, c->pod->spec, "%s%s: missing", c->pod->spec_path, key);
        if ((r = gnode_seq(c->err, l, P(c, "%s%s", c->pod->spec_path, key))) < 0)
                return r;
        for (size_t i = 0; i < l->n; i++) {
                const char *path = P(c, "%s%s[%zu]", c->pod->spec_path, key, i);
                if (!path)
                        return gen_nomem(c);
                if ((r = container_build(c, l->items[i], path, init)) < 0)
                        return r;
        }
        return 0;
}

int gen_containers_build(struct gen_ctx *c)
{
        int r;

        /* The sandbox first: it needs to know whether a container is privileged, so it is
         * filled in after them and moved to the front. */
        if ((r = container_list(c, "initContainers", true)) < 0 ||
            (r = container_list(c, "containers", false)) < 0)
                return r;
        for (size_t i = 0; i < c->rq->n_execs; i++) {
                bool found = false;
                for (size_t k = 0; k < c->pod->n_containers && !found; k++)
                        found = strcmp(c->pod->containers[k].name, c->rq->execs[i].container) == 0;
                if (!found)
                        return policy_error_set(c->err, c->pod->file, 0, 0,
                                                "--allow-exec %s: the pod has no such container",
                                                c->rq->execs[i].container);
        }
        for (size_t i = 0; i < c->rq->n_logs_from; i++) {
                bool found = false;
                for (size_t k = 0; k < c->pod->n_containers && !found; k++)
                        found = strcmp(c->pod->containers[k].name, c->rq->logs_from[i]) == 0;
                if (!found)
                        return policy_error_set(c->err, c->pod->file, 0, 0,
                                                "--logs-from %s: the pod has no such container",
                                                c->rq->logs_from[i]);
        }
        if ((r = gen_sandbox_build(c)) < 0)
                return r;
        {
                struct gen_container sb = c->pod->containers[c->pod->n_containers - 1];
                memmove(c->pod->containers + 1, c->pod->containers,
                        (c->pod->n_containers - 1) * sizeof(sb));
                c->pod->containers[0] = sb;
        }
        return 0;
}

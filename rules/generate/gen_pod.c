/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pod: which workload of the input, the pod template, the names Kubernetes will
 * give the pod (exact for a Pod, a pattern for generated names), its volumes, and the
 * sandbox (pause) container that containerd and kata add to it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/base64.h>

#include "gen_internal.h"
#include "gen_text.h"
#include "policy_error.h"

/* Where each kind keeps its pod template, and how the controller names the pods. */
enum naming {
        NAME_EXACT,      /* Pod: metadata.name (or generateName + 5 random) */
        NAME_RANDOM5,    /* <owner>-<5 random>: ReplicaSet, DaemonSet */
        NAME_DEPLOYMENT, /* <deployment>-<pod-template-hash>-<5 random> */
        NAME_ORDINAL,    /* <statefulset>-<ordinal> */
        NAME_JOB,        /* <job>-[<index>-]<5 random> */
        NAME_CRONJOB,    /* <cronjob>-<scheduled minute>-[<index>-]<5 random> */
};

static const struct workload_kind {
        const char *kind;
        const char *const template[4]; /* path from the document to the pod template */
        const char *template_path;
        enum naming naming;
} kinds[] = {
        { "Pod", { NULL }, "", NAME_EXACT },
        { "Deployment", { "spec", "template", NULL }, "spec.template.", NAME_DEPLOYMENT },
        { "ReplicaSet", { "spec", "template", NULL }, "spec.template.", NAME_RANDOM5 },
        { "StatefulSet", { "spec", "template", NULL }, "spec.template.", NAME_ORDINAL },
        { "DaemonSet", { "spec", "template", NULL }, "spec.template.", NAME_RANDOM5 },
        { "Job", { "spec", "template", NULL }, "spec.template.", NAME_JOB },
        { "CronJob", { "spec", "jobTemplate", "spec", "template" }, "spec.jobTemplate.spec.template.",
          NAME_CRONJOB },
};

/* What the generator does with each field of a pod spec. */
static const struct gkey pod_spec_keys[] = {
        { "containers", GKEY_HANDLED, NULL },
        { "initContainers", GKEY_HANDLED, NULL },
        { "volumes", GKEY_HANDLED, NULL },
        { "securityContext", GKEY_HANDLED, NULL },
        { "hostname", GKEY_HANDLED, NULL },
        { "subdomain", GKEY_HANDLED, NULL },
        { "setHostnameAsFQDN", GKEY_HANDLED, NULL },
        { "dnsPolicy", GKEY_HANDLED, NULL },
        { "dnsConfig", GKEY_HANDLED, NULL },
        { "shareProcessNamespace", GKEY_HANDLED, NULL },
        { "enableServiceLinks", GKEY_HANDLED, NULL },
        { "automountServiceAccountToken", GKEY_HANDLED, NULL },
        { "hostNetwork", GKEY_HANDLED, NULL },
        { "hostPID", GKEY_HANDLED, NULL },
        { "hostIPC", GKEY_HANDLED, NULL },
        { "runtimeClassName", GKEY_IGNORED, "chooses the runtime on the node" },
        { "serviceAccountName", GKEY_IGNORED, "only the token's content, which is not checked" },
        { "serviceAccount", GKEY_IGNORED, "deprecated serviceAccountName" },
        { "hostAliases", GKEY_IGNORED, "the content of /etc/hosts, which is not checked" },
        { "restartPolicy", GKEY_IGNORED, "kubelet's decision" },
        { "terminationGracePeriodSeconds", GKEY_IGNORED, "kubelet's timing" },
        { "activeDeadlineSeconds", GKEY_IGNORED, "kubelet's timing" },
        { "affinity", GKEY_IGNORED, "scheduling" },
        { "nodeSelector", GKEY_IGNORED, "scheduling" },
        { "nodeName", GKEY_IGNORED, "scheduling" },
        { "tolerations", GKEY_IGNORED, "scheduling" },
        { "topologySpreadConstraints", GKEY_IGNORED, "scheduling" },
        { "schedulerName", GKEY_IGNORED, "scheduling" },
        { "schedulingGates", GKEY_IGNORED, "scheduling" },
        { "priority", GKEY_IGNORED, "scheduling" },
        { "priorityClassName", GKEY_IGNORED, "scheduling" },
        { "preemptionPolicy", GKEY_IGNORED, "scheduling" },
        { "readinessGates", GKEY_IGNORED, "pod status" },
        { "imagePullSecrets", GKEY_IGNORED, "registry credentials on the node" },
        { "os", GKEY_IGNORED, "must be linux for kata" },
        { "overhead", GKEY_IGNORED, "set by the RuntimeClass admission" },
        { "resources", GKEY_IGNORED, "pod-level resources reach only unchecked annotations" },
        { "ephemeralContainers", GKEY_REFUSED,
          "ephemeral containers (kubectl debug) run what the host chooses: not generated" },
        { "resourceClaims", GKEY_REFUSED, "dynamic resource allocation is not generated" },
        { "hostUsers", GKEY_REFUSED, "user namespaces are not generated" },
        { NULL, 0, NULL },
};

static int doc_str(struct gen_ctx *c, const struct gnode *map, const char *key, const char *what,
                   const char **ret)
{
        const struct gnode *n = gnode_get(map, key);

        *ret = NULL;
        return n ? gnode_str(c->err, n, what, ret) : 0;
}

static const struct workload_kind *kind_of(const struct gnode *doc)
{
        const char *k = NULL;
        const struct gnode *n = gnode_get(doc, "kind");

        if (!n || n->type != GNODE_SCALAR)
                return NULL;
        k = n->value;
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (strcmp(kinds[i].kind, k) == 0)
                        return &kinds[i];
        return NULL;
}

static const char *doc_name(const struct gnode *doc)
{
        const struct gnode *n = gnode_get(gnode_get(doc, "metadata"), "name");

        if (!n)
                n = gnode_get(gnode_get(doc, "metadata"), "generateName");
        return n && n->type == GNODE_SCALAR ? n->value : "";
}

/* The input's workloads; the one --workload names, or the only one. */
static int pick(struct gen_ctx *c, const struct gnode **ret, const struct workload_kind **ret_kind)
{
        const struct gnode *hit = NULL;
        const struct workload_kind *hit_kind = NULL;
        struct gtext list = GTEXT_INIT(c->pool);
        size_t n = 0;

        for (size_t i = 0; i < c->in->n_docs; i++) {
                const struct gnode *d = c->in->docs[i];
                const struct workload_kind *k = kind_of(d);
                char full[320];

                if (!k)
                        continue;
                snprintf(full, sizeof(full), "%s/%s", k->kind, doc_name(d));
                gtext_printf(&list, "%s%s (%s:%u)", n ? ", " : "", full, d->file, d->line);
                n++;
                if (c->rq->workload && strcmp(c->rq->workload, doc_name(d)) != 0 &&
                    strcmp(c->rq->workload, full) != 0)
                        continue;
                if (hit && c->rq->workload)
                        return gnode_error(c->err, d,
                                           "--workload %s matches more than one workload; give "
                                           "KIND/NAME", c->rq->workload);
                hit = d;
                hit_kind = k;
        }
        if (!gtext_take(&list))
                return gen_nomem(c);
        if (n == 0)
                return policy_error_set(c->err, c->in->n_docs ? c->in->docs[0]->file : "", 0, 0,
                                        "no workload in the input (a Pod, Deployment, ReplicaSet, "
                                        "StatefulSet, DaemonSet, Job or CronJob)");
        if (!hit)
                return policy_error_set(c->err, "", 0, 0,
                                        "--workload %s: no such workload; the input has %s",
                                        c->rq->workload, list.buf);
        if (!c->rq->workload && n > 1)
                return policy_error_set(c->err, hit->file, 0, 0,
                                        "the input has %zu workloads, %s: one policy is one pod; "
                                        "choose with --workload NAME",
                                        n, list.buf);
        *ret = hit;
        *ret_kind = hit_kind;
        return 0;
}

/* The pod's name as the controller makes it. */
static int pod_names(struct gen_ctx *c, struct gen_pod *pod, const struct workload_kind *k)
{
        const char *name = NULL, *gen = NULL;
        const struct gnode *meta = gnode_get(pod->doc, "metadata");
        int r;

        if ((r = doc_str(c, meta, "name", "metadata.name", &name)) < 0 ||
            (r = doc_str(c, meta, "generateName", "metadata.generateName", &gen)) < 0)
                return r;
        if (!name && !(k->naming == NAME_EXACT && gen))
                return gnode_error(c->err, pod->doc, "metadata.name: missing");
        pod->workload = name ? name : gen;
        switch (k->naming) {
        case NAME_EXACT:
                if (name) {
                        pod->name = gm_exact(name);
                        pod->name_from = "metadata.name";
                        return 0;
                }
                if (strlen(gen) > 58)
                        gen = P(c, "%.58s", gen);
                pod->name = gm_regex(P(c, "%s" GEN_RE_RAND "{5}", gm_quote(c->pool, gen)));
                pod->name_from = "metadata.generateName and 5 random characters";
                break;
        case NAME_RANDOM5:
                pod->name = gm_regex(P(c, "%s-" GEN_RE_RAND "{5}",
                                       gm_quote(c->pool, strlen(name) > 57 ? P(c, "%.57s", name) : name)));
                pod->name_from = P(c, "the %s controller: %s-<5 random>", k->kind, name);
                break;
        case NAME_DEPLOYMENT:
                if (strlen(name) > 46)
                        return gnode_error(c->err, gnode_get(meta, "name"),
                                           "metadata.name: a Deployment name longer than 46 "
                                           "characters makes pod names Kubernetes truncates; "
                                           "not generated");
                pod->name = gm_regex(P(c, "%s-" GEN_RE_RAND "{1,10}-" GEN_RE_RAND "{5}",
                                       gm_quote(c->pool, name)));
                pod->name_from = P(c, "the Deployment controller: %s-<pod-template-hash>-<5 "
                                      "random>", name);
                break;
        case NAME_ORDINAL:
                pod->name = gm_regex(P(c, "%s-(?:0|[1-9][0-9]{0,8})", gm_quote(c->pool, name)));
                pod->name_from = P(c, "the StatefulSet controller: %s-<ordinal>", name);
                break;
        case NAME_JOB:
                if (strlen(name) > 46)
                        return gnode_error(c->err, gnode_get(meta, "name"),
                                           "metadata.name: a Job name this long makes pod names "
                                           "Kubernetes truncates; not generated");
                pod->name = gm_regex(P(c, "%s-(?:[0-9]{1,9}-)?" GEN_RE_RAND "{5}",
                                       gm_quote(c->pool, name)));
                pod->name_from = P(c, "the Job controller: %s-[<index>-]<5 random>", name);
                break;
        case NAME_CRONJOB:
                if (strlen(name) > 40)
                        return gnode_error(c->err, gnode_get(meta, "name"),
                                           "metadata.name: a CronJob name this long makes pod "
                                           "names Kubernetes truncates; not generated");
                pod->name = gm_regex(P(c, "%s-[0-9]{1,12}-(?:[0-9]{1,9}-)?" GEN_RE_RAND "{5}",
                                       gm_quote(c->pool, name)));
                pod->name_from = P(c, "the CronJob and Job controllers: %s-<minute>-<5 random>",
                                   name);
                break;
        }
        return pod->name.s ? 0 : gen_nomem(c);
}

/* kubelet GeneratePodHostNameAndDomain: spec.hostname or the pod name, 63 at most. */
static int pod_hostname(struct gen_ctx *c, struct gen_pod *pod)
{
        const char *h = NULL, *sub = NULL;
        const struct gnode *v;
        bool fqdn = false;
        int r;

        if ((r = doc_str(c, pod->spec, "hostname", "spec.hostname", &h)) < 0 ||
            (r = doc_str(c, pod->spec, "subdomain", "spec.subdomain", &sub)) < 0)
                return r;
        if ((v = gnode_get(pod->spec, "setHostnameAsFQDN")) &&
            (r = gnode_bool(c->err, v, "spec.setHostnameAsFQDN", &fqdn)) < 0)
                return r;
        if (h)
                pod->hostname = gm_exact(h);
        else if (pod->name.kind == GM_EXACT)
                pod->hostname = gm_exact(strlen(pod->name.s) > 63 ? P(c, "%.63s", pod->name.s)
                                                                  : pod->name.s);
        else
                pod->hostname = pod->name;
        if (fqdn && sub) {
                struct gmatch parts[2] = {
                        pod->hostname,
                        gm_exact(P(c, ".%s.%s.svc.%s", sub, pod->namespace_, c->set->cluster.domain)),
                };
                if (!parts[1].s || gm_concat(c->pool, parts, 2, &pod->hostname) < 0)
                        return gen_nomem(c);
        }
        return 0;
}

/* The pod template's annotations that reach the agent, and the agent policy one. */
/* Standard base64 with its padding; out has room for len / 4 * 3 bytes. */
static int base64_decode_padded(unsigned char *out, size_t *ret_n, const char *in, size_t len)
{
        struct base64_decode_ctx ctx;
        size_t n = 0;

        base64_decode_init(&ctx);
        if (!base64_decode_update(&ctx, &n, out, len, in) || !base64_decode_final(&ctx))
                return -EINVAL;
        *ret_n = n;
        return 0;
}

static int pod_annotations(struct gen_ctx *c, struct gen_pod *pod)
{
        const struct gnode *a = gnode_get(pod->meta, "annotations");
        const struct gnode *p = gnode_get(a, "io.katacontainers.config.agent.policy");
        unsigned char *out;
        size_t len, n;

        if (a && gnode_map(c->err, a, P(c, "%sannotations", pod->meta_path)) < 0)
                return -EINVAL;
        for (size_t i = 0; a && i < a->n; i++)
                if (a->items[i]->type != GNODE_SCALAR || gnode_is_typed(a->items[i]))
                        return gnode_error(c->err, a->items[i],
                                           "%sannotations.%s: annotation values are strings",
                                           pod->meta_path, a->keys[i]->value);
        if (!p)
                return 0;
        pod->policy_annotation_b64 = p->value;
        len = strlen(p->value);
        out = pool_alloc(c->pool, len / 4 * 3 + 4);
        if (!out)
                return gen_nomem(c);
        if (len % 4 != 0 || base64_decode_padded(out, &n, p->value, len) < 0)
                return gnode_error(c->err, p, "the agent policy annotation is not base64");
        out[n] = '\0';
        if (memchr(out, '\0', n))
                return gnode_error(c->err, p, "the agent policy annotation is not text");
        pod->policy_annotation = (const char *)out;
        return 0;
}

static int pod_volumes(struct gen_ctx *c, struct gen_pod *pod)
{
        static const struct {
                const char *key;
                enum gen_volume_kind kind;
        } kinds_of[] = {
                { "emptyDir", GEN_VOL_EMPTYDIR },       { "configMap", GEN_VOL_CONFIGMAP },
                { "secret", GEN_VOL_SECRET },           { "projected", GEN_VOL_PROJECTED },
                { "downwardAPI", GEN_VOL_DOWNWARD_API }, { "hostPath", GEN_VOL_HOST_PATH },
        };
        const struct gnode *vs = gnode_get(pod->spec, "volumes");
        int r;

        if (!vs)
                return 0;
        if ((r = gnode_seq(c->err, vs, P(c, "%svolumes", pod->spec_path))) < 0)
                return r;
        pod->volumes = pool_alloc_array(c->pool, vs->n ? vs->n : 1, sizeof(*pod->volumes));
        if (!pod->volumes)
                return gen_nomem(c);
        for (size_t i = 0; i < vs->n; i++) {
                const struct gnode *v = vs->items[i];
                struct gen_volume *gv = &pod->volumes[i];
                const char *path = P(c, "%svolumes[%zu]", pod->spec_path, i);
                bool found = false;

                if ((r = gnode_map(c->err, v, path)) < 0 ||
                    (r = doc_str(c, v, "name", P(c, "%s.name", path), &gv->name)) < 0)
                        return r;
                if (!gv->name)
                        return gnode_error(c->err, v, "%s: a volume needs a name", path);
                gv->path = path;
                for (size_t j = 0; j < v->n; j++) {
                        const char *k = v->keys[j]->value;
                        bool known = strcmp(k, "name") == 0;
                        for (size_t q = 0; q < ELEMENTSOF(kinds_of) && !known; q++) {
                                if (strcmp(k, kinds_of[q].key) != 0)
                                        continue;
                                known = found = true;
                                gv->kind = kinds_of[q].kind;
                                gv->node = v->items[j];
                                gv->path = P(c, "%s.%s", path, k);
                        }
                        if (!known)
                                return gnode_error(c->err, v->keys[j],
                                                   "%s.%s: this kind of volume is not generated "
                                                   "(emptyDir, configMap, secret, projected, "
                                                   "downwardAPI and hostPath are)",
                                                   path, k);
                }
                if (!found)
                        return gnode_error(c->err, v, "%s: no volume source", path);
                if (gv->kind == GEN_VOL_EMPTYDIR) {
                        const struct gnode *m = gnode_get(gv->node, "medium");
                        if (m && strcmp(m->value, "Memory") == 0)
                                gv->kind = GEN_VOL_EMPTYDIR_MEMORY;
                        else if (m && m->value[0])
                                return gnode_error(c->err, m, "%s.medium: only \"\" and Memory "
                                                   "are generated", gv->path);
                }
                if (gv->kind == GEN_VOL_HOST_PATH) {
                        if (!c->rq->allow_host_path)
                                return gnode_error(c->err, gv->node,
                                                   "%s: a hostPath volume gives the container "
                                                   "files the host chooses; refused unless "
                                                   "--allow-host-path", gv->path);
                        doc_str(c, gv->node, "type", "hostPath.type", &gv->host_path_type);
                }
                for (size_t j = 0; j < i; j++)
                        if (strcmp(pod->volumes[j].name, gv->name) == 0)
                                return gnode_error(c->err, v, "%s: a second volume named %s",
                                                   path, gv->name);
                pod->n_volumes++;
        }
        return 0;
}

static int bool_field(struct gen_ctx *c, const struct gnode *map, const char *key,
                      const char *path, bool dflt, bool *ret)
{
        const struct gnode *v = gnode_get(map, key);

        *ret = dflt;
        return v ? gnode_bool(c->err, v, P(c, "%s%s", path, key), ret) : 0;
}

int gen_pod_read(struct gen_ctx *c, struct gen_pod *pod)
{
        const struct workload_kind *k = NULL;
        const struct gnode *t, *sc, *fsg;
        bool host;
        int r;

        if ((r = pick(c, &pod->doc, &k)) < 0)
                return r;
        pod->kind = k->kind;
        pod->file = pod->doc->file;
        t = pod->doc;
        for (size_t i = 0; i < ELEMENTSOF(k->template) && k->template[i]; i++)
                t = gnode_get(t, k->template[i]);
        if (!t)
                return gnode_error(c->err, pod->doc, "%s: no pod template (%s)", k->kind,
                                   k->template_path);
        pod->meta = gnode_get(t, "metadata");
        pod->spec = gnode_get(t, "spec");
        pod->meta_path = P(c, "%smetadata.", k->template_path);
        pod->spec_path = P(c, "%sspec.", k->template_path);
        if (!pod->spec)
                return gnode_error(c->err, t, "%sspec: missing", k->template_path);
        if ((r = gnode_check_keys(c->err, pod->spec, P(c, "%sspec", k->template_path),
                                  pod_spec_keys)) < 0)
                return r;
        if ((r = doc_str(c, gnode_get(pod->doc, "metadata"), "namespace", "metadata.namespace",
                         &pod->namespace_)) < 0)
                return r;
        if (!pod->namespace_)
                pod->namespace_ = c->rq->namespace_ ? c->rq->namespace_ : "default";
        for (const char *const *h = (const char *const[]){ "hostNetwork", "hostPID", "hostIPC", NULL };
             *h; h++) {
                if ((r = bool_field(c, pod->spec, *h, pod->spec_path, false, &host)) < 0)
                        return r;
                if (host)
                        return gnode_error(c->err, gnode_get(pod->spec, *h),
                                           "%s%s: a confidential pod cannot share the node's "
                                           "namespaces (kata runs it in its own VM)",
                                           pod->spec_path, *h);
        }
        if ((r = bool_field(c, pod->spec, "shareProcessNamespace", pod->spec_path, false,
                            &pod->share_pid)) < 0 ||
            (r = bool_field(c, pod->spec, "enableServiceLinks", pod->spec_path, true,
                            &pod->service_links)) < 0 ||
            (r = bool_field(c, pod->spec, "automountServiceAccountToken", pod->spec_path, true,
                            &pod->automount_token)) < 0)
                return r;
        sc = gnode_get(pod->spec, "securityContext");
        if ((fsg = gnode_get(sc, "fsGroup"))) {
                if ((r = gnode_int(c->err, fsg, "securityContext.fsGroup", 0, UINT32_MAX,
                                   &pod->fs_group)) < 0)
                        return r;
                pod->has_fs_group = true;
        }
        if ((r = pod_names(c, pod, k)) < 0 || (r = pod_hostname(c, pod)) < 0 ||
            (r = pod_annotations(c, pod)) < 0 || (r = pod_volumes(c, pod)) < 0)
                return r;
        if (pod->service_links)
                gen_warn(c, gnode_key(pod->spec, "enableServiceLinks") ? gnode_key(pod->spec,
                                                                                   "enableServiceLinks")
                                                                       : pod->spec,
                         "%senableServiceLinks is true (the default): kubelet gives every "
                         "container <SERVICE>_SERVICE_HOST and friends for each Service in "
                         "namespace %s, and the policy can list variables only by name; only "
                         "the kubernetes Service's are allowed. Set it to false",
                         pod->spec_path, pod->namespace_);
        return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A container's environment as it reaches the agent: containerd's PATH and HOSTNAME,
 * the image's Env, then kubelet's variables (envFrom, env, the kubernetes Service's),
 * each replacing one of the same name (containerd oci.WithEnv; kubelet
 * makeEnvironmentVariables). Values the tenant fixed are exact; values the platform
 * fills (the pod's IP, a generated name, a Secret) are matchers. kubelet's $(VAR)
 * expansion is done as third_party/forked/golang/expansion does it.
 */
#include <errno.h>
#include <string.h>

#include "gen_internal.h"
#include "gen_text.h"

struct env_var {
        const char *name;
        struct gmatch value;
        const char *from;
};

struct env_list {
        struct env_var *v;
        size_t n, cap;
};

struct gen_envset {
        struct env_list pod;     /* kubelet's tmpEnv: envFrom, then env */
        struct env_list service; /* the kubernetes Service's variables */
        struct env_list statics; /* container.env names with their plain values (probes) */
};

/* Anything, newlines included: for values the policy must not carry (Secrets). */
#define RE_ANY "[\\s\\S]*"

static struct env_var *find(const struct env_list *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i].name, name) == 0)
                        return &l->v[i];
        return NULL;
}

/* Set name (replacing in place, as a map or containerd's WithEnv would). */
static int put(struct gen_ctx *c, struct env_list *l, const char *name, struct gmatch value,
               const char *from)
{
        struct env_var *e = find(l, name);

        if (!e && !(e = GEN_PUSH(c, l->v, l->n, l->cap)))
                return gen_nomem(c);
        *e = (struct env_var){ .name = name, .value = value, .from = from };
        return 0;
}

static int service_env(struct gen_ctx *c, struct gen_envset *env)
{
        const char *port = c->set->cluster.kubernetes_service_port;
        const char *from = "kubelet: the kubernetes Service (always set)";
        struct gmatch ip, url;
        struct gmatch parts[4];
        int r;

        if ((r = gen_service_ip_match(c, &ip)) < 0)
                return r;
        parts[0] = gm_exact("tcp://");
        parts[1] = ip;
        parts[2] = gm_exact(P(c, ":%s", port));
        if (!parts[2].s || gm_concat(c->pool, parts, 3, &url) < 0)
                return gen_nomem(c);
        if ((r = put(c, &env->service, "KUBERNETES_SERVICE_HOST", ip, from)) < 0 ||
            (r = put(c, &env->service, "KUBERNETES_SERVICE_PORT", gm_exact(port), from)) < 0 ||
            (r = put(c, &env->service, "KUBERNETES_SERVICE_PORT_HTTPS", gm_exact(port), from)) < 0 ||
            (r = put(c, &env->service, "KUBERNETES_PORT", url, from)) < 0 ||
            (r = put(c, &env->service, P(c, "KUBERNETES_PORT_%s_TCP", port), url, from)) < 0 ||
            (r = put(c, &env->service, P(c, "KUBERNETES_PORT_%s_TCP_PROTO", port), gm_exact("tcp"),
                     from)) < 0 ||
            (r = put(c, &env->service, P(c, "KUBERNETES_PORT_%s_TCP_PORT", port), gm_exact(port),
                     from)) < 0 ||
            (r = put(c, &env->service, P(c, "KUBERNETES_PORT_%s_TCP_ADDR", port), ip, from)) < 0)
                return r;
        return 0;
}

/* apimachinery IsEnvVarName: [-._a-zA-Z][-._a-zA-Z0-9]*. */
static bool env_name_ok(const char *s)
{
        static const char first[] = "-._abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

        return s[0] && strchr(first, s[0]) &&
               strspn(s, "-._abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") ==
                       strlen(s);
}

/* A ConfigMap's or Secret's keys and values (Secret values never pinned). */
static int object_keys(struct gen_ctx *c, const struct gnode *obj, bool secret,
                       const char *const **ret_keys, struct gmatch **ret_values, size_t *ret_n)
{
        const struct gnode *maps[2] = { gnode_get(obj, "data"),
                                        gnode_get(obj, secret ? "stringData" : "binaryData") };
        size_t total = 0, n = 0;
        const char **keys;
        struct gmatch *values;

        for (size_t m = 0; m < 2; m++)
                total += maps[m] && maps[m]->type == GNODE_MAP ? maps[m]->n : 0;
        keys = pool_alloc_array(c->pool, total ? total : 1, sizeof(*keys));
        values = pool_alloc_array(c->pool, total ? total : 1, sizeof(*values));
        if (!keys || !values)
                return gen_nomem(c);
        for (size_t m = 0; m < 2; m++) {
                if (!maps[m] || maps[m]->type != GNODE_MAP)
                        continue;
                /* A ConfigMap's binaryData is not put into the environment. */
                if (!secret && m == 1)
                        continue;
                for (size_t i = 0; i < maps[m]->n; i++) {
                        const char *k = maps[m]->keys[i]->value;
                        bool dup = false;
                        for (size_t j = 0; j < n && !dup; j++)
                                dup = strcmp(keys[j], k) == 0;
                        if (dup)
                                continue;
                        keys[n] = k;
                        if (secret)
                                values[n] = gm_regex(RE_ANY);
                        else if (maps[m]->items[i]->type != GNODE_SCALAR)
                                return gnode_error(c->err, maps[m]->items[i],
                                                   "ConfigMap data values are strings");
                        else
                                values[n] = gm_exact(maps[m]->items[i]->value);
                        n++;
                }
        }
        *ret_keys = keys;
        *ret_values = values;
        *ret_n = n;
        return 0;
}

static int ref_object(struct gen_ctx *c, const struct gnode *ref, const char *path, bool secret,
                      const struct gnode **ret, bool *optional)
{
        const struct gnode *n = gnode_get(ref, "name"), *o = gnode_get(ref, "optional");
        const char *kind = secret ? "Secret" : "ConfigMap";
        int r;

        *optional = false;
        if (o && (r = gnode_bool(c->err, o, P(c, "%s.optional", path), optional)) < 0)
                return r;
        if (!n || n->type != GNODE_SCALAR)
                return gnode_error(c->err, ref, "%s.name: missing", path);
        *ret = gen_find_object(c, kind, n->value);
        if (!*ret && !*optional)
                return gnode_error(c->err, n,
                                   "%s: the %s %s/%s is not in the input; give its YAML too (the "
                                   "policy needs its keys%s)",
                                   path, kind, c->pod->namespace_, n->value,
                                   secret ? "" : " and values");
        return 0;
}

static int env_from(struct gen_ctx *c, const struct gnode *cn, const char *path,
                    struct gen_envset *env)
{
        const struct gnode *ef = gnode_get(cn, "envFrom");
        int r;

        if (!ef)
                return 0;
        if ((r = gnode_seq(c->err, ef, P(c, "%s.envFrom", path))) < 0)
                return r;
        for (size_t i = 0; i < ef->n; i++) {
                const struct gnode *e = ef->items[i], *ref, *obj, *px = gnode_get(e, "prefix");
                const char *p = P(c, "%s.envFrom[%zu]", path, i), *prefix = "";
                const char *const *keys;
                struct gmatch *values;
                bool secret, optional;
                size_t n;

                ref = gnode_get(e, "configMapRef");
                secret = !ref;
                if (!ref && !(ref = gnode_get(e, "secretRef")))
                        return gnode_error(c->err, e, "%s: expected configMapRef or secretRef", p);
                if (px && (r = gnode_str(c->err, px, P(c, "%s.prefix", p), &prefix)) < 0)
                        return r;
                p = P(c, "%s.%s", p, secret ? "secretRef" : "configMapRef");
                if ((r = ref_object(c, ref, p, secret, &obj, &optional)) < 0)
                        return r;
                if (!obj) {
                        gen_warn(c, ref, "%s: optional and not in the input: no variables are "
                                 "allowed from it", p);
                        continue;
                }
                if ((r = object_keys(c, obj, secret, &keys, &values, &n)) < 0)
                        return r;
                for (size_t k = 0; k < n; k++) {
                        const char *name = P(c, "%s%s", prefix, keys[k]);
                        if (!env_name_ok(name)) {
                                gen_warn(c, ref, "%s: key %s is not a variable name; kubelet "
                                         "skips it", p, keys[k]);
                                continue;
                        }
                        if ((r = put(c, &env->pod, name, values[k],
                                     P(c, "%s (%s %s)", p, secret ? "Secret" : "ConfigMap",
                                       secret ? "value not pinned: the policy is not secret"
                                              : "value"))) < 0)
                                return r;
                }
        }
        return 0;
}

/* metadata.labels['x'] / metadata.annotations['x'] of the pod template. */
static int field_map_ref(struct gen_ctx *c, const struct gnode *at, const char *fp,
                         const char *which, struct gmatch *ret)
{
        size_t wl = strlen(which);
        const char *key = fp + wl + 2;
        size_t kl = strlen(key);
        const struct gnode *v;

        if (kl < 2 || key[kl - 2] != '\'' || key[kl - 1] != ']')
                return gnode_error(c->err, at, "fieldPath %s: expected %s['KEY']", fp, which);
        key = P(c, "%.*s", (int)(kl - 2), key);
        v = gnode_get(gnode_get(c->pod->meta, which + strlen("metadata.")), key);
        if (v && v->type == GNODE_SCALAR) {
                *ret = gm_exact(v->value);
                return 0;
        }
        /* Controllers and admission add labels and annotations the template lacks. */
        *ret = gm_regex(RE_ANY);
        return gen_warn(c, at, "fieldPath %s: not in the pod template; any value is allowed", fp);
}

static int field_ref(struct gen_ctx *c, const struct gnode *fr, const char *path,
                     struct gmatch *ret)
{
        const struct gnode *fp = gnode_get(fr, "fieldPath");
        const char *f;
        int r;

        if (!fp || (r = gnode_str(c->err, fp, P(c, "%s.fieldPath", path), &f)) < 0)
                return gnode_error(c->err, fr, "%s.fieldPath: missing", path);
        if (strcmp(f, "metadata.name") == 0) {
                *ret = c->pod->name;
        } else if (strcmp(f, "metadata.namespace") == 0) {
                *ret = gm_exact(c->pod->namespace_);
        } else if (strcmp(f, "metadata.uid") == 0) {
                *ret = gm_regex(GEN_RE_UUID);
        } else if (strcmp(f, "spec.nodeName") == 0) {
                *ret = gm_regex("[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?");
        } else if (strcmp(f, "spec.serviceAccountName") == 0) {
                const struct gnode *sa = gnode_get(c->pod->spec, "serviceAccountName");
                *ret = gm_exact(sa && sa->type == GNODE_SCALAR ? sa->value : "default");
        } else if (strcmp(f, "status.podIP") == 0) {
                return gen_pod_ip_match(c, false, ret);
        } else if (strcmp(f, "status.podIPs") == 0) {
                struct gmatch ip;
                if ((r = gen_pod_ip_match(c, false, &ip)) < 0)
                        return r;
                *ret = gm_regex(P(c, "%s(?:,%s)?", gm_as_regex(c->pool, &ip),
                                  gm_as_regex(c->pool, &ip)));
        } else if (strcmp(f, "status.hostIP") == 0 || strcmp(f, "status.hostIPs") == 0) {
                *ret = gm_regex("[0-9a-f.:,]{2,91}");
        } else if (strncmp(f, "metadata.labels[", 16) == 0) {
                return field_map_ref(c, fp, f, "metadata.labels", ret);
        } else if (strncmp(f, "metadata.annotations[", 21) == 0) {
                return field_map_ref(c, fp, f, "metadata.annotations", ret);
        } else {
                return gnode_error(c->err, fp, "%s.fieldPath: %s is not generated", path, f);
        }
        return ret->s || ret->kind == GM_ONE_OF ? 0 : gen_nomem(c);
}

static int key_ref(struct gen_ctx *c, const struct gnode *ref, const char *path, bool secret,
                   struct gmatch *ret, bool *absent)
{
        const struct gnode *obj, *k = gnode_get(ref, "key");
        const char *const *keys;
        struct gmatch *values;
        bool optional;
        size_t n;
        int r;

        *absent = false;
        if (!k || k->type != GNODE_SCALAR)
                return gnode_error(c->err, ref, "%s.key: missing", path);
        if ((r = ref_object(c, ref, path, secret, &obj, &optional)) < 0)
                return r;
        if (obj) {
                if ((r = object_keys(c, obj, secret, &keys, &values, &n)) < 0)
                        return r;
                for (size_t i = 0; i < n; i++)
                        if (strcmp(keys[i], k->value) == 0) {
                                *ret = values[i];
                                return 0;
                        }
        }
        if (!optional)
                return gnode_error(c->err, k, "%s.key: %s has no key %s", path,
                                   gnode_get(ref, "name")->value, k->value);
        *absent = true;
        return 0;
}

static int resource_ref(struct gen_ctx *c, const struct gnode *cn, const struct gnode *rr,
                        const char *path, struct gmatch *ret)
{
        const struct gnode *res = gnode_get(rr, "resource"), *div = gnode_get(rr, "divisor"), *q;
        const char *dot, *d = "1";
        uint64_t v;

        if (!res || res->type != GNODE_SCALAR || !(dot = strchr(res->value, '.')))
                return gnode_error(c->err, rr, "%s.resource: expected limits.X or requests.X", path);
        if (div && div->type == GNODE_SCALAR)
                d = div->value;
        q = gnode_get(gnode_get(gnode_get(cn, "resources"),
                                P(c, "%.*s", (int)(dot - res->value), res->value)),
                      dot + 1);
        if (!q && strncmp(res->value, "requests.", 9) == 0)
                q = gnode_get(gnode_get(gnode_get(cn, "resources"), "limits"), dot + 1);
        if (!q) {
                /* kubelet falls back to the node's allocatable: not known here. */
                *ret = gm_regex("[0-9]{1,20}");
                return 0;
        }
        if (q->type != GNODE_SCALAR || gen_quantity_ceil(q->value, d, &v) < 0)
                return gnode_error(c->err, q, "%s: a quantity the generator cannot read", path);
        *ret = gm_exact(P(c, "%llu", (unsigned long long)v));
        return ret->s ? 0 : gen_nomem(c);
}

static int env_list(struct gen_ctx *c, const struct gnode *cn, const char *path,
                    struct gen_envset *env)
{
        const struct gnode *el = gnode_get(cn, "env");
        int r;

        if (!el)
                return 0;
        if ((r = gnode_seq(c->err, el, P(c, "%s.env", path))) < 0)
                return r;
        for (size_t i = 0; i < el->n; i++) {
                const struct gnode *e = el->items[i], *vf = gnode_get(e, "valueFrom"), *v;
                const char *p = P(c, "%s.env[%zu]", path, i), *name, *plain = "";
                struct gmatch value;
                const char *from = p;
                bool absent = false;

                if (!gnode_get(e, "name") ||
                    (r = gnode_str(c->err, gnode_get(e, "name"), P(c, "%s.name", p), &name)) < 0)
                        return gnode_error(c->err, e, "%s.name: missing", p);
                if ((v = gnode_get(e, "value"))) {
                        if ((r = gnode_str(c->err, v, P(c, "%s.value", p), &plain)) < 0 ||
                            (r = gen_env_expand(c, env, plain, false, &value)) < 0)
                                return r;
                } else if (vf && gnode_get(vf, "fieldRef")) {
                        r = field_ref(c, gnode_get(vf, "fieldRef"), P(c, "%s.valueFrom.fieldRef", p),
                                      &value);
                        from = P(c, "%s.valueFrom.fieldRef (%s)", p,
                                 gnode_get(gnode_get(vf, "fieldRef"), "fieldPath")
                                         ? gnode_get(gnode_get(vf, "fieldRef"), "fieldPath")->value
                                         : "");
                } else if (vf && gnode_get(vf, "resourceFieldRef")) {
                        r = resource_ref(c, cn, gnode_get(vf, "resourceFieldRef"),
                                         P(c, "%s.valueFrom.resourceFieldRef", p), &value);
                        from = P(c, "%s.valueFrom.resourceFieldRef", p);
                } else if (vf && (gnode_get(vf, "configMapKeyRef") || gnode_get(vf, "secretKeyRef"))) {
                        bool secret = !gnode_get(vf, "configMapKeyRef");
                        r = key_ref(c, gnode_get(vf, secret ? "secretKeyRef" : "configMapKeyRef"),
                                    P(c, "%s.valueFrom.%s", p, secret ? "secretKeyRef" : "configMapKeyRef"),
                                    secret, &value, &absent);
                        from = P(c, "%s.valueFrom.%s%s", p, secret ? "secretKeyRef" : "configMapKeyRef",
                                 secret ? " (value not pinned: the policy is not secret)" : "");
                } else if (vf) {
                        return gnode_error(c->err, vf, "%s.valueFrom: only fieldRef, "
                                           "resourceFieldRef, configMapKeyRef and secretKeyRef "
                                           "are generated", p);
                } else {
                        value = gm_exact("");
                }
                if (r < 0)
                        return r;
                if (!from)
                        return gen_nomem(c);
                if (absent)
                        continue;
                if ((r = put(c, &env->pod, name, value, from)) < 0 ||
                    (r = put(c, &env->statics, name, gm_exact(plain), p)) < 0)
                        return r;
        }
        return 0;
}

/* tryReadVariableName and Expand of kubernetes' third_party expansion package. */
int gen_env_expand(struct gen_ctx *c, const struct gen_envset *env, const char *s, bool static_only,
                   struct gmatch *ret)
{
        struct gmatch *parts;
        struct gtext lit = GTEXT_INIT(c->pool);
        size_t n = 0, len = strlen(s);

        parts = pool_alloc_array(c->pool, len + 2, sizeof(*parts));
        if (!parts)
                return gen_nomem(c);
        for (size_t i = 0; i < len; i++) {
                const char *close;
                const struct env_var *v = NULL;

                if (s[i] != '$' || i + 1 >= len) {
                        gtext_putc(&lit, s[i]);
                        continue;
                }
                if (s[i + 1] == '$') { /* $$ is a literal $ */
                        gtext_putc(&lit, '$');
                        i++;
                        continue;
                }
                if (s[i + 1] != '(' || !(close = strchr(s + i + 2, ')'))) {
                        gtext_putc(&lit, '$');
                        continue;
                }
                {
                        char *name = P(c, "%.*s", (int)(close - s - i - 2), s + i + 2);
                        if (!name)
                                return gen_nomem(c);
                        if (static_only)
                                v = find(&env->statics, name);
                        else if (!(v = find(&env->pod, name)))
                                v = find(&env->service, name);
                        if (!v) { /* an unknown reference stays as written */
                                gtext_printf(&lit, "$(%s)", name);
                                i = (size_t)(close - s);
                                continue;
                        }
                }
                if (lit.len) {
                        parts[n++] = gm_exact(gtext_take(&lit));
                        lit = (struct gtext)GTEXT_INIT(c->pool);
                }
                parts[n++] = v->value;
                i = (size_t)(close - s);
        }
        if (lit.len || n == 0)
                parts[n++] = gm_exact(gtext_take(&lit));
        for (size_t i = 0; i < n; i++)
                if ((parts[i].kind == GM_EXACT || parts[i].kind == GM_REGEX) && !parts[i].s)
                        return gen_nomem(c);
        return gm_concat(c->pool, parts, n, ret) < 0 ? gen_nomem(c) : 0;
}

static int final_put(struct gen_ctx *c, struct gen_container *gc, size_t *cap, const char *name,
                     struct gmatch value, const char *from)
{
        struct gen_kv *e = NULL;

        for (size_t i = 0; i < gc->n_env && !e; i++)
                if (strcmp(gc->env[i].key, name) == 0)
                        e = &gc->env[i];
        if (!e && !(e = GEN_PUSH(c, gc->env, gc->n_env, *cap)))
                return gen_nomem(c);
        *e = (struct gen_kv){ .key = name, .value = value, .from = from };
        return 0;
}

int gen_env_build(struct gen_ctx *c, const struct gnode *cn, const char *path,
                  const json_t *image_config, struct gen_container *gc, struct gen_envset **ret)
{
        struct gen_envset *env = pool_alloc(c->pool, sizeof(*env));
        const json_t *ie = json_object_get(image_config, "Env");
        const char *path_env = c->set->containerd.path_env, *eq;
        size_t cap = 0, i;
        const json_t *e;
        int r;

        if (!env)
                return gen_nomem(c);
        if ((r = service_env(c, env)) < 0 || (r = env_from(c, cn, path, env)) < 0 ||
            (r = env_list(c, cn, path, env)) < 0)
                return r;
        /* containerd buildLinuxSpec: WithDefaultPathEnv, HOSTNAME, image Env, CRI env. */
        eq = strchr(path_env, '=');
        if (!eq)
                return gen_nomem(c);
        if ((r = final_put(c, gc, &cap, P(c, "%.*s", (int)(eq - path_env), path_env),
                           gm_exact(eq + 1), "containerd's default PATH (settings containerd.path_env)")) < 0 ||
            (r = final_put(c, gc, &cap, "HOSTNAME", c->pod->hostname,
                           P(c, "containerd: the pod's hostname (%s)", c->pod->name_from))) < 0)
                return r;
        json_array_foreach(ie, i, e) {
                const char *s = json_string_value(e);
                if (!s || !(eq = strchr(s, '=')) || eq == s)
                        return gnode_error(c->err, gnode_get(cn, "image"),
                                           "%s.image: the image config's Env has \"%s\", not "
                                           "NAME=value", path, s ? s : "(not a string)");
                if ((r = final_put(c, gc, &cap, P(c, "%.*s", (int)(eq - s), s), gm_exact(eq + 1),
                                   "the image config's Env")) < 0)
                        return r;
        }
        for (size_t k = 0; k < env->pod.n; k++)
                if ((r = final_put(c, gc, &cap, env->pod.v[k].name, env->pod.v[k].value,
                                   env->pod.v[k].from)) < 0)
                        return r;
        for (size_t k = 0; k < env->service.n; k++)
                if (!find(&env->pod, env->service.v[k].name) &&
                    (r = final_put(c, gc, &cap, env->service.v[k].name, env->service.v[k].value,
                                   env->service.v[k].from)) < 0)
                        return r;
        *ret = env;
        return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What kubelet and containerd derive from a pod's resources: the OOM score
 * adjustment and the Linux.Resources (cgroup) settings of each container, and the
 * sandbox's hostname, OOM score and shares (kubelet pkg/kubelet/qos/policy.go,
 * kuberuntime_container_linux.go calculateLinuxResources, cm MilliCPUToShares and
 * MilliCPUToQuota; containerd internal/cri/opts WithResources).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gen_internal.h"
#include "gen_text.h"
#include "policy_error.h"

/* kubelet's quotaPeriod, and the OOM scores of its QoS classes. */
#define CPU_PERIOD 100000u
#define OOM_BEST_EFFORT 1000
#define OOM_GUARANTEED (-997)
#define OOM_BURSTABLE_MIN 2
#define OOM_BURSTABLE_MAX 999

/* resources.<list>.<name> of a container, or NULL. */
static const struct gnode *quantity(const struct gnode *cn, const char *list, const char *name)
{
        const struct gnode *q = gnode_get(gnode_get(gnode_get(cn, "resources"), list), name);

        return q && q->type == GNODE_SCALAR ? q : NULL;
}

/* ceil(q / divisor), or an error naming the field. */
static int amount(struct gen_ctx *c, const struct gnode *q, const char *divisor, const char *what,
                  uint64_t *ret)
{
        if (gen_quantity_ceil(q->value, divisor, ret) < 0)
                return gnode_error(c->err, q, "%s: \"%s\" is not a quantity", what, q->value);
        return 0;
}

/* kubelet GetPodQOS: BestEffort without any request or limit; Guaranteed when every
 * container limits cpu and memory and requests (defaulted to the limits) equal them. */
static int pod_qos(struct gen_ctx *c, const char **ret)
{
        static const char *const lists[] = { "containers", "initContainers" };
        static const char *const kinds[] = { "cpu", "memory" };
        bool any = false, guaranteed = true;

        for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
                const struct gnode *seq = gnode_get(c->pod->spec, lists[l]);
                for (size_t i = 0; seq && seq->type == GNODE_SEQ && i < seq->n; i++) {
                        const struct gnode *cn = seq->items[i];
                        const struct gnode *res = gnode_get(cn, "resources");
                        any |= (gnode_get(res, "requests") && gnode_get(res, "requests")->n) ||
                               (gnode_get(res, "limits") && gnode_get(res, "limits")->n);
                        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                                const struct gnode *lim = quantity(cn, "limits", kinds[k]);
                                const struct gnode *req = quantity(cn, "requests", kinds[k]);
                                uint64_t a, b;
                                int r;

                                if (!lim) {
                                        guaranteed = false;
                                        continue;
                                }
                                if (!req)
                                        continue;
                                if ((r = amount(c, lim, "1m", "resources.limits", &a)) < 0 ||
                                    (r = amount(c, req, "1m", "resources.requests", &b)) < 0)
                                        return r;
                                guaranteed &= a == b;
                        }
                }
        }
        *ret = !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
        return 0;
}

static int resource(struct gen_ctx *c, struct gen_container *gc, size_t *cap, const char *path,
                    uint64_t v, const char *from)
{
        struct gen_kv *kv = GEN_PUSH(c, gc->resources, gc->n_resources, *cap);

        if (!kv)
                return gen_nomem(c);
        *kv = (struct gen_kv){ path, gm_exact(P(c, "%llu", (unsigned long long)v)), from };
        return kv->value.s ? 0 : gen_nomem(c);
}

int gen_container_resources(struct gen_ctx *c, const struct gnode *cn, const char *path,
                            struct gen_container *gc)
{
        const struct gnode *cpu_lim = quantity(cn, "limits", "cpu");
        const struct gnode *cpu_req = quantity(cn, "requests", "cpu");
        const struct gnode *mem_lim = quantity(cn, "limits", "memory");
        uint64_t milli = 0, shares, v;
        const char *qos;
        size_t cap = 0;
        int r;

        if ((r = pod_qos(c, &qos)) < 0)
                return r;
        gc->has_oom = true;
        if (strcmp(qos, "BestEffort") == 0) {
                gc->oom_min = gc->oom_max = OOM_BEST_EFFORT;
        } else if (strcmp(qos, "Guaranteed") == 0) {
                gc->oom_min = gc->oom_max = OOM_GUARANTEED;
        } else {
                /* 1000 - 1000 * request / node memory, clamped: the node is not known. */
                gc->oom_min = OOM_BURSTABLE_MIN;
                gc->oom_max = OOM_BURSTABLE_MAX;
        }
        gc->oom_from = P(c, "kubelet: the pod's QoS class is %s%s", qos,
                         strcmp(qos, "Burstable") == 0 ? " (the score depends on the node's memory)" : "");
        /* A request defaults to the limit (kubelet); shares at least 2. */
        if ((cpu_req || cpu_lim) &&
            (r = amount(c, cpu_req ? cpu_req : cpu_lim, "1m", P(c, "%s.resources", path), &milli)) < 0)
                return r;
        shares = milli * 1024 / 1000;
        if ((r = resource(c, gc, &cap, "CPU.Shares", shares < 2 ? 2 : shares,
                          P(c, "kubelet: %s.resources.requests.cpu", path))) < 0 ||
            (r = resource(c, gc, &cap, "CPU.Period", CPU_PERIOD, "kubelet's CPU quota period")) < 0)
                return r;
        if (cpu_lim) {
                if ((r = amount(c, cpu_lim, "1m", P(c, "%s.resources.limits.cpu", path), &v)) < 0)
                        return r;
                v = v * CPU_PERIOD / 1000;
                if ((r = resource(c, gc, &cap, "CPU.Quota", v < 1000 ? 1000 : v,
                                  P(c, "kubelet: %s.resources.limits.cpu", path))) < 0)
                        return r;
        }
        if (mem_lim) {
                const char *from = P(c, "kubelet: %s.resources.limits.memory", path);
                if ((r = amount(c, mem_lim, "1", from, &v)) < 0 ||
                    (r = resource(c, gc, &cap, "Memory.Limit", v, from)) < 0 ||
                    (r = resource(c, gc, &cap, "Memory.Swap", v,
                                  P(c, "%s (containerd: no swap beyond it)", from))) < 0)
                        return r;
        }
        return gc->oom_from ? 0 : gen_nomem(c);
}

int gen_sandbox_resources(struct gen_ctx *c, struct gen_container *gc)
{
        const struct gen_settings *s = c->set;
        char *end;
        long long oom;
        unsigned long long shares;
        size_t cap = 0;

        gc->hostname = c->pod->hostname;
        gc->hostname_from = "kubelet: spec.hostname or the pod's name";
        errno = 0;
        oom = strtoll(s->containerd.sandbox_oom_score_adj, &end, 10);
        if (errno || *end || end == s->containerd.sandbox_oom_score_adj || oom < -1000 || oom > 1000)
                return policy_error_set(c->err, s->name, 0, 0, "containerd.sandbox_oom_score_adj: "
                                        "\"%s\" is not a number in [-1000, 1000]",
                                        s->containerd.sandbox_oom_score_adj);
        gc->has_oom = true;
        gc->oom_min = gc->oom_max = oom;
        gc->oom_from = "settings containerd.sandbox_oom_score_adj (kubelet's PodInfraOOMAdj)";
        errno = 0;
        shares = strtoull(s->containerd.sandbox_cpu_shares, &end, 10);
        if (errno || *end || end == s->containerd.sandbox_cpu_shares || shares < 2)
                return policy_error_set(c->err, s->name, 0, 0, "containerd.sandbox_cpu_shares: "
                                        "\"%s\" is not a number of shares (2 or more)",
                                        s->containerd.sandbox_cpu_shares);
        return resource(c, gc, &cap, "CPU.Shares", shares, "settings containerd.sandbox_cpu_shares");
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pod's network as the runtimes hand it to the agent (UpdateInterface,
 * UpdateRoutes, AddARPNeighbors): pinned to the pod's interface and, for what the CNI
 * picks per pod (addresses, MAC, gateway), to the cluster's networks from the settings.
 * Each field is one entry of one table per request.
 */
#include <errno.h>
#include <string.h>

#include "gen_internal.h"
#include "gen_text.h"
#include "policy_error.h"

/* The addresses of the settings' CIDRs (and the IPv6 link-local ones) as one matcher. */
static int cidrs_match(struct gen_ctx *c, const struct gen_strlist *cidrs, bool link_local,
                       const char *what, struct gmatch *ret)
{
        struct gmatch *alts = pool_alloc_array(c->pool, cidrs->n + 1, sizeof(*alts));
        size_t n = 0;

        if (!alts)
                return gen_nomem(c);
        for (size_t i = 0; i < cidrs->n; i++) {
                const char *why;
                char *re;
                int r = gen_cidr_regex(c->pool, cidrs->v[i], &re, &why);
                if (r == -ENOMEM)
                        return gen_nomem(c);
                if (r < 0)
                        return policy_error_set(c->err, c->set->name, 0, 0,
                                                "%s: \"%s\": %s", what, cidrs->v[i], why);
                alts[n++] = gm_regex(re);
        }
        if (link_local)
                alts[n++] = gm_regex("fe80::[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,3}");
        if (n == 0)
                return policy_error_set(c->err, c->set->name, 0, 0, "%s: no networks given", what);
        return gm_any_of(c->pool, alts, n, ret) < 0 ? gen_nomem(c) : 0;
}

int gen_pod_ip_match(struct gen_ctx *c, bool link_local, struct gmatch *ret)
{
        return cidrs_match(c, &c->set->cluster.pod_cidrs,
                           link_local && c->set->cluster.ipv6_link_local, "cluster.pod_cidrs", ret);
}

int gen_service_ip_match(struct gen_ctx *c, struct gmatch *ret)
{
        return cidrs_match(c, &c->set->cluster.service_cidrs, false, "cluster.service_cidrs", ret);
}

static struct gmatch list_match(const struct gen_strlist *l)
{
        if (l->n == 1)
                return gm_exact(l->v[0]);
        return (struct gmatch){ .kind = GM_ONE_OF, .v = l->v, .n = l->n };
}

/* What a field's value may be: one builder per kind of value. */
enum net_value {
        NV_INTERFACE,  /* the pod's interface name */
        NV_POD_ADDR,   /* an address of the pod network (link-local included) */
        NV_POD_ADDR_OR_NONE,
        NV_PREFIX,     /* node_prefix_lengths */
        NV_MAC,
        NV_MTU,
        NV_TYPES,
        NV_RAW_FLAGS,
        NV_DEVICE_PATH,
        NV_ROUTE_DEST,
        NV_ROUTE_SCOPE,
        NV_NEIGH_STATE,
        NV_NEIGH_FLAGS,
        _NV_MAX,
};

static const struct net_field {
        const char *request;
        const char *path;
        enum net_value value;
        const char *from;
} net_fields[] = {
        { "UpdateInterfaceRequest", "interface.name", NV_INTERFACE, "settings network.interface" },
        { "UpdateInterfaceRequest", "interface.device", NV_INTERFACE, "settings network.interface" },
        { "UpdateInterfaceRequest", "interface.IPAddresses.address", NV_POD_ADDR,
          "settings cluster.pod_cidrs (the CNI picks the pod's address), cluster.ipv6_link_local" },
        { "UpdateInterfaceRequest", "interface.IPAddresses.mask", NV_PREFIX,
          "settings cluster.node_prefix_lengths" },
        { "UpdateInterfaceRequest", "interface.hwAddr", NV_MAC,
          "the CNI picks the MAC: any unicast address" },
        { "UpdateInterfaceRequest", "interface.mtu", NV_MTU, "settings network.mtu" },
        { "UpdateInterfaceRequest", "interface.type", NV_TYPES, "settings network.interface_types" },
        { "UpdateInterfaceRequest", "interface.raw_flags", NV_RAW_FLAGS, "settings network.raw_flags" },
        { "UpdateInterfaceRequest", "interface.devicePath", NV_DEVICE_PATH,
          "settings network.device_path" },
        { "UpdateRoutesRequest", "routes.Routes.device", NV_INTERFACE, "settings network.interface" },
        { "UpdateRoutesRequest", "routes.Routes.dest", NV_ROUTE_DEST,
          "settings network.route_destinations" },
        { "UpdateRoutesRequest", "routes.Routes.gateway", NV_POD_ADDR_OR_NONE,
          "settings cluster.pod_cidrs (the node's gateway)" },
        { "UpdateRoutesRequest", "routes.Routes.source", NV_POD_ADDR_OR_NONE,
          "settings cluster.pod_cidrs" },
        { "UpdateRoutesRequest", "routes.Routes.scope", NV_ROUTE_SCOPE, "settings network.route_scopes" },
        { "AddARPNeighborsRequest", "neighbors.ARPNeighbors.device", NV_INTERFACE,
          "settings network.interface" },
        { "AddARPNeighborsRequest", "neighbors.ARPNeighbors.toIPAddress.address", NV_POD_ADDR,
          "settings cluster.pod_cidrs (the gateway's address)" },
        { "AddARPNeighborsRequest", "neighbors.ARPNeighbors.toIPAddress.mask", NV_ROUTE_DEST,
          "no mask on a neighbour" },
        { "AddARPNeighborsRequest", "neighbors.ARPNeighbors.lladdr", NV_MAC, "the gateway's MAC" },
        { "AddARPNeighborsRequest", "neighbors.ARPNeighbors.state", NV_NEIGH_STATE,
          "settings network.neighbor_states" },
        { "AddARPNeighborsRequest", "neighbors.ARPNeighbors.flags", NV_NEIGH_FLAGS,
          "settings network.neighbor_flags" },
};

static int value_of(struct gen_ctx *c, const struct net_field *f, struct gmatch *ret)
{
        const struct gen_settings *s = c->set;
        char *re;
        int r;

        switch (f->value) {
        case NV_INTERFACE:
                *ret = gm_exact(s->network.interface);
                return 0;
        case NV_POD_ADDR:
                return gen_pod_ip_match(c, true, ret);
        case NV_POD_ADDR_OR_NONE: {
                struct gmatch alts[2] = { gm_exact("") };
                if ((r = gen_pod_ip_match(c, true, &alts[1])) < 0)
                        return r;
                return gm_any_of(c->pool, alts, 2, ret) < 0 ? gen_nomem(c) : 0;
        }
        case NV_PREFIX:
                *ret = list_match(&s->cluster.node_prefix_lengths);
                return 0;
        case NV_MAC:
                /* Six octets, the multicast bit of the first clear. */
                *ret = gm_regex("[0-9a-f][02468ace](?::[0-9a-f]{2}){5}");
                return 0;
        case NV_MTU:
                r = gen_span_regex(c->pool, s->network.mtu, &re);
                if (r == -ENOMEM)
                        return gen_nomem(c);
                if (r < 0)
                        return policy_error_set(c->err, s->name, 0, 0,
                                                "network.mtu: expected LOW-HIGH, not \"%s\"",
                                                s->network.mtu);
                *ret = gm_regex(re);
                return 0;
        case NV_TYPES:
                *ret = list_match(&s->network.interface_types);
                return 0;
        case NV_RAW_FLAGS:
                *ret = list_match(&s->network.raw_flags);
                return 0;
        case NV_DEVICE_PATH:
                *ret = s->network.device_path;
                return 0;
        case NV_ROUTE_DEST:
                if (strcmp(f->path, "neighbors.ARPNeighbors.toIPAddress.mask") == 0)
                        *ret = gm_exact("");
                else
                        *ret = list_match(&s->network.route_destinations);
                return 0;
        case NV_ROUTE_SCOPE:
                *ret = list_match(&s->network.route_scopes);
                return 0;
        case NV_NEIGH_STATE:
                *ret = list_match(&s->network.neighbor_states);
                return 0;
        case NV_NEIGH_FLAGS:
                *ret = list_match(&s->network.neighbor_flags);
                return 0;
        default:
                return -EINVAL;
        }
}

/* The fields of request (one of the three network requests) from the table. */
int gen_net_fields(struct gen_ctx *c, const char *request, struct gen_field **ret, size_t *ret_n)
{
        struct gen_field *v = NULL;
        size_t n = 0, cap = 0;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(net_fields); i++) {
                struct gen_field *f;
                if (strcmp(net_fields[i].request, request) != 0)
                        continue;
                if (!(f = GEN_PUSH(c, v, n, cap)))
                        return gen_nomem(c);
                f->path = net_fields[i].path;
                f->from = net_fields[i].from;
                if ((r = value_of(c, &net_fields[i], &f->m)) < 0)
                        return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

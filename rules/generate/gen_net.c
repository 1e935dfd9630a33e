/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pod's network as the runtimes hand it to the agent (UpdateInterface,
 * UpdateRoutes, AddARPNeighbors), as the policy's `network:` section: pinned to the
 * pod's interface and, for what the CNI picks per pod (addresses, MAC, gateway), to
 * the cluster's networks from the settings. Each key is one entry of one table.
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

/* The settings' strings of one family (IPv6 ones have a colon); "" belongs to both. */
static struct gen_strlist of_family(struct gen_ctx *c, const struct gen_strlist *l, int fam)
{
        const char **v = pool_alloc_array(c->pool, l->n ? l->n : 1, sizeof(*v));
        struct gen_strlist r = { .v = v };

        for (size_t i = 0; v && i < l->n; i++)
                if (!l->v[i][0] || (strchr(l->v[i], ':') != NULL) == (fam == 6))
                        v[r.n++] = l->v[i];
        return r;
}

/* The pod network's addresses of one family (6: with the link-local ones). */
static int pod_ip_match_of(struct gen_ctx *c, int fam, struct gmatch *ret)
{
        struct gen_strlist cidrs = of_family(c, &c->set->cluster.pod_cidrs, fam);

        if (!cidrs.v)
                return gen_nomem(c);
        return cidrs_match(c, &cidrs, fam == 6 && c->set->cluster.ipv6_link_local,
                           "cluster.pod_cidrs", ret);
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
        NV_MAC_IFACE,  /* the interface's or the gateway's: derived from its IPv4 address, or any */
        NV_FAMILY,
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

/* Which list of the `network:` section an entry belongs to. */
enum net_list {
        NL_INTERFACE,
        NL_ADDRESS,
        NL_ROUTE,
        NL_NEIGHBOR,
        _NL_MAX,
};

static const struct net_field {
        enum net_list list;
        const char *path; /* the key in the section's entry */
        enum net_value value;
        const char *from;
} net_fields[] = {
        { NL_INTERFACE, "name", NV_INTERFACE, "settings network.interface" },
        { NL_INTERFACE, "hw_addr", NV_MAC_IFACE,
          "settings network.mac_from_ipv4 (the CNI picks the MAC; empty: any unicast address)" },
        { NL_INTERFACE, "device", NV_INTERFACE, "settings network.interface" },
        { NL_INTERFACE, "mtu", NV_MTU, "settings network.mtu" },
        { NL_INTERFACE, "type", NV_TYPES, "settings network.interface_types" },
        { NL_INTERFACE, "raw_flags", NV_RAW_FLAGS, "settings network.raw_flags" },
        { NL_INTERFACE, "device_path", NV_DEVICE_PATH, "settings network.device_path" },
        { NL_ADDRESS, "family", NV_FAMILY, "one entry per family of cluster.pod_cidrs" },
        { NL_ADDRESS, "address", NV_POD_ADDR,
          "settings cluster.pod_cidrs (the CNI picks the pod's address), cluster.ipv6_link_local" },
        { NL_ADDRESS, "mask", NV_PREFIX, "settings cluster.node_prefix_lengths" },
        { NL_ROUTE, "dest", NV_ROUTE_DEST, "settings network.route_destinations" },
        { NL_ROUTE, "gateway", NV_POD_ADDR_OR_NONE, "settings cluster.pod_cidrs (the node's gateway)" },
        { NL_ROUTE, "device", NV_INTERFACE, "settings network.interface" },
        { NL_ROUTE, "source", NV_POD_ADDR_OR_NONE, "settings cluster.pod_cidrs" },
        { NL_ROUTE, "scope", NV_ROUTE_SCOPE, "settings network.route_scopes" },
        { NL_ROUTE, "family", NV_FAMILY, "one entry per family of cluster.pod_cidrs" },
        { NL_NEIGHBOR, "address", NV_POD_ADDR, "settings cluster.pod_cidrs (the gateway's address)" },
        { NL_NEIGHBOR, "family", NV_FAMILY,
          "one entry per family of cluster.pod_cidrs (IPv4 only when the MAC derives from it)" },
        { NL_NEIGHBOR, "device", NV_INTERFACE, "settings network.interface" },
        { NL_NEIGHBOR, "lladdr", NV_MAC_IFACE,
          "settings network.mac_from_ipv4 (the gateway's MAC from its IPv4 address; empty: any "
          "unicast address)" },
        { NL_NEIGHBOR, "state", NV_NEIGH_STATE, "settings network.neighbor_states" },
        { NL_NEIGHBOR, "flags", NV_NEIGH_FLAGS, "settings network.neighbor_flags" },
};

static int value_of(struct gen_ctx *c, const struct net_field *f, int fam, struct gmatch *ret)
{
        const struct gen_settings *s = c->set;
        char *re;
        int r;

        switch (f->value) {
        case NV_INTERFACE:
                *ret = gm_exact(s->network.interface);
                return 0;
        case NV_POD_ADDR:
                return pod_ip_match_of(c, fam, ret);
        case NV_POD_ADDR_OR_NONE: {
                struct gmatch alts[2] = { gm_exact("") };
                if ((r = pod_ip_match_of(c, fam, &alts[1])) < 0)
                        return r;
                return gm_any_of(c->pool, alts, 2, ret) < 0 ? gen_nomem(c) : 0;
        }
        case NV_PREFIX:
                *ret = list_match(&s->cluster.node_prefix_lengths);
                return 0;
        case NV_MAC_IFACE:
                if (s->network.mac_from_ipv4[0]) {
                        ret->kind = GM_FROM_IPV4;
                        ret->s = s->network.mac_from_ipv4;
                        return 0;
                }
                *ret = gm_regex("[0-9a-f][02468ace](?::[0-9a-f]{2}){5}");
                return 0;
        case NV_FAMILY:
                *ret = gm_exact(fam == 6 ? "v6" : "v4");
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
        case NV_ROUTE_DEST: {
                struct gen_strlist dests = of_family(c, &s->network.route_destinations, fam);
                if (!dests.v)
                        return gen_nomem(c);
                if (dests.n == 0)
                        return policy_error_set(c->err, s->name, 0, 0,
                                                "network.route_destinations: none for IPv%d", fam);
                *ret = list_match(&dests);
                return 0;
        }
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

/* The keys of list l for family fam into *ret (n keys). */
static int entry_build(struct gen_ctx *c, enum net_list l, int fam, struct gen_field **ret,
                       size_t *ret_n)
{
        size_t cap = 0;
        int r;

        *ret = NULL;
        *ret_n = 0;
        for (size_t i = 0; i < ELEMENTSOF(net_fields); i++) {
                struct gen_field *f;
                if (net_fields[i].list != l)
                        continue;
                if (!(f = GEN_PUSH(c, *ret, *ret_n, cap)))
                        return gen_nomem(c);
                f->path = net_fields[i].path;
                f->from = net_fields[i].from;
                if ((r = value_of(c, &net_fields[i], fam, &f->m)) < 0)
                        return r;
        }
        return 0;
}

/* The `network:` section: one interface with an address entry per family of the pod
 * network, a route entry per family, and the gateway's neighbour per family (IPv4
 * only when its MAC derives from its IPv4 address), each from the table. */
int gen_net_build(struct gen_ctx *c)
{
        struct gen_network *nw = &c->pod->network;
        bool derived = c->set->network.mac_from_ipv4[0] != '\0';
        int r;

        if ((r = entry_build(c, NL_INTERFACE, 4, &nw->interface, &nw->n_interface)) < 0)
                return r;
        for (int fam = 4; fam <= 6; fam += 2) {
                struct gen_strlist cidrs = of_family(c, &c->set->cluster.pod_cidrs, fam);
                if (!cidrs.v)
                        return gen_nomem(c);
                if (cidrs.n == 0)
                        continue;
                if ((r = entry_build(c, NL_ADDRESS, fam, &nw->address[nw->n_address].keys,
                                     &nw->address[nw->n_address].n_keys)) < 0 ||
                    (r = entry_build(c, NL_ROUTE, fam, &nw->route[nw->n_route].keys,
                                     &nw->route[nw->n_route].n_keys)) < 0)
                        return r;
                nw->n_address++;
                nw->n_route++;
                if (fam == 6 && derived)
                        continue;
                if ((r = entry_build(c, NL_NEIGHBOR, fam, &nw->neighbor[nw->n_neighbor].keys,
                                     &nw->neighbor[nw->n_neighbor].n_keys)) < 0)
                        return r;
                nw->n_neighbor++;
        }
        return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The network, compile side: `network:` interfaces, routes and neighbours, field by field. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compile.h"
#include "decide.h"
#include "policy_error.h"

static const char *const network_keys[] = { "interfaces", "routes", "neighbors", NULL };
static const char *const interface_keys[] = { "name",        "hw_addr",   "device",
                                              "mtu",         "raw_flags", "type",
                                              "device_path", "addresses", "min_addresses",
                                              NULL };
static const char *const address_keys[] = { "family", "address", "mask", NULL };
static const char *const route_keys[] = { "dest",   "gateway", "device", "source", "scope",
                                          "family", "flags",   "mtu",    NULL };
static const char *const neighbor_keys[] = { "address", "family", "mask",  "device",
                                             "lladdr",  "state",  "flags", NULL };

/* Most addresses an interface rule may require. */
#define MIN_ADDRESSES_MAX 64u

/* What the decision reads: the agent API schema must have every one of them. */
static const struct {
        enum agent_method_id method;
        const char *path;
} needed[] = {
        { AGENT_UPDATE_INTERFACE, "interface.name" },
        { AGENT_UPDATE_INTERFACE, "interface.hwAddr" },
        { AGENT_UPDATE_INTERFACE, "interface.device" },
        { AGENT_UPDATE_INTERFACE, "interface.mtu" },
        { AGENT_UPDATE_INTERFACE, "interface.raw_flags" },
        { AGENT_UPDATE_INTERFACE, "interface.type" },
        { AGENT_UPDATE_INTERFACE, "interface.devicePath" },
        { AGENT_UPDATE_INTERFACE, "interface.IPAddresses.family" },
        { AGENT_UPDATE_INTERFACE, "interface.IPAddresses.address" },
        { AGENT_UPDATE_INTERFACE, "interface.IPAddresses.mask" },
        { AGENT_UPDATE_ROUTES, "routes.Routes.dest" },
        { AGENT_UPDATE_ROUTES, "routes.Routes.gateway" },
        { AGENT_UPDATE_ROUTES, "routes.Routes.device" },
        { AGENT_UPDATE_ROUTES, "routes.Routes.source" },
        { AGENT_UPDATE_ROUTES, "routes.Routes.scope" },
        { AGENT_UPDATE_ROUTES, "routes.Routes.family" },
        { AGENT_UPDATE_ROUTES, "routes.Routes.flags" },
        { AGENT_UPDATE_ROUTES, "routes.Routes.mtu" },
        { AGENT_ADD_ARP_NEIGHBORS, "neighbors.ARPNeighbors.toIPAddress.address" },
        { AGENT_ADD_ARP_NEIGHBORS, "neighbors.ARPNeighbors.toIPAddress.family" },
        { AGENT_ADD_ARP_NEIGHBORS, "neighbors.ARPNeighbors.toIPAddress.mask" },
        { AGENT_ADD_ARP_NEIGHBORS, "neighbors.ARPNeighbors.device" },
        { AGENT_ADD_ARP_NEIGHBORS, "neighbors.ARPNeighbors.lladdr" },
        { AGENT_ADD_ARP_NEIGHBORS, "neighbors.ARPNeighbors.state" },
        { AGENT_ADD_ARP_NEIGHBORS, "neighbors.ARPNeighbors.flags" },
};

static int schema_check(struct load_ctx *c, const struct ynode *at)
{
        for (size_t i = 0; i < ELEMENTSOF(needed); i++) {
                const struct agent_method *m = agent_method_get(needed[i].method);
                struct pb_path path;
                size_t bad;

                if (!m || !m->request || pb_path_resolve(m->request, needed[i].path, &path, &bad) < 0)
                        return policy_error_errno(c->err, -EPROTO, c->file, at->line, at->column,
                                                  "the agent API schema lacks %s: the network "
                                                  "cannot be checked",
                                                  needed[i].path);
        }
        return 0;
}

/* A matcher of a number field: a plain integer (`mtu: 1450`) is its exact decimal text. */
static int number_load(struct load_ctx *c, struct policy *p, const struct ynode *n, const char *what,
                       struct matcher *ret)
{
        if (n->type == YNODE_SCALAR && n->plain && n->len > 0 &&
            strspn(n->value, "0123456789") == n->len) {
                uint64_t v;
                int r = load_uint(c, n, what, UINT32_MAX, &v);
                if (r < 0)
                        return r;
                *ret = match_exact(pool_strndup(c->pool, n->value, n->len));
                return ret->text ? 0 : load_nomem(c);
        }
        if (n->type == YNODE_SCALAR && n->plain && load_scalar_is_typed(n))
                return load_error(c, n, "expected a non-negative integer, a string, {regex: ...} "
                                        "or {one_of: [...]} for %s",
                                  what);
        return match_load(c, &p->match, n, what, ret);
}

/* Key k of map: a string or number matcher, or dflt when absent (required: an error). */
static int field_load(struct load_ctx *c, struct policy *p, const struct ynode *map, const char *k,
                      bool number, const char *dflt, const char *what, struct matcher *ret)
{
        const struct ynode *v = ytree_get(map, k);
        char name[64];

        snprintf(name, sizeof(name), "\"%s\"", k);
        if (!v) {
                if (!dflt)
                        return load_error(c, map, "missing \"%s\" in %s", k, what);
                *ret = match_exact(dflt);
                return 0;
        }
        return number ? number_load(c, p, v, name, ret) : match_load(c, &p->match, v, name, ret);
}

static int address_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                        const char *what, struct address_rule *ar)
{
        int r = load_check_map(c, n, what, address_keys);

        if (r < 0)
                return r;
        if ((r = field_load(c, p, n, "family", false, "v4", what, &ar->family)) < 0 ||
            (r = field_load(c, p, n, "address", false, NULL, what, &ar->address)) < 0 ||
            (r = field_load(c, p, n, "mask", false, NULL, what, &ar->mask)) < 0)
                return r;
        return 0;
}

/* A MAC key (`hw_addr`, `lladdr`): a matcher, or {from_ipv4: PREFIX} with PREFIX two
 * octets ("0a:58") that the address's four IPv4 bytes follow. Required. */
static int mac_load(struct load_ctx *c, struct policy *p, const struct ynode *n, const char *key,
                    const char *what, struct matcher *ret, const char **ret_prefix)
{
        static const char *const keys[] = { "from_ipv4", NULL };
        const struct ynode *v = ytree_get(n, key), *pre;
        char name[32];
        const char *s;
        int r;

        snprintf(name, sizeof(name), "\"%s\"", key);
        if (!v)
                return load_error(c, n, "missing \"%s\" in %s", key, what);
        if (v->type != YNODE_MAP || !ytree_get(v, "from_ipv4"))
                return match_load(c, &p->match, v, name, ret);
        if ((r = load_check_map(c, v, name, keys)) < 0)
                return r;
        pre = ytree_get(v, "from_ipv4");
        if ((r = load_string(c, pre, "\"from_ipv4\"", &s)) < 0)
                return r;
        if (strlen(s) != 5 || strspn(s, "0123456789abcdef:") != 5 || s[2] != ':' ||
            strchr(s, ':') != s + 2)
                return load_error(c, pre, "expected two lower-case hex octets such as \"0a:58\" "
                                          "for \"from_ipv4\", found \"%s\"",
                                  s);
        *ret_prefix = s;
        return 0;
}

static int interface_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                          struct interface_rule *ir)
{
        static const char what[] = "an interface";
        const struct ynode *v;
        uint64_t min = 1;
        int r = load_check_map(c, n, what, interface_keys);

        if (r < 0)
                return r;
        if (!(v = ytree_get(n, "name")))
                return load_error(c, n, "missing \"name\" in %s", what);
        if ((r = load_string(c, v, "\"name\"", &ir->name)) < 0)
                return r;
        if ((r = mac_load(c, p, n, "hw_addr", "an interface: the agent picks the link by its "
                                             "MAC address", &ir->hw_addr, &ir->mac_prefix)) < 0 ||
            (r = field_load(c, p, n, "device", false, ir->name, what, &ir->device)) < 0 ||
            (r = field_load(c, p, n, "mtu", true, NULL, what, &ir->mtu)) < 0 ||
            (r = field_load(c, p, n, "raw_flags", true, "0", what, &ir->raw_flags)) < 0 ||
            (r = field_load(c, p, n, "type", false, "", what, &ir->type)) < 0 ||
            (r = field_load(c, p, n, "device_path", false, "", what, &ir->device_path)) < 0)
                return r;
        if (!(v = ytree_get(n, "addresses")))
                return load_error(c, n, "missing \"addresses\" in %s", what);
        if ((r = load_check_seq(c, v, "\"addresses\"")) < 0)
                return r;
        ir->addresses = pool_alloc_array(c->pool, v->n ? v->n : 1, sizeof(*ir->addresses));
        if (!ir->addresses)
                return load_nomem(c);
        for (size_t i = 0; i < v->n; i++)
                if ((r = address_load(c, p, v->items[i], "an address", &ir->addresses[i])) < 0)
                        return r;
        ir->n_addresses = v->n;
        if ((v = ytree_get(n, "min_addresses")) &&
            (r = load_uint(c, v, "\"min_addresses\"", MIN_ADDRESSES_MAX, &min)) < 0)
                return r;
        ir->min_addresses = (uint32_t)min;
        return 0;
}

static int route_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                      struct route_rule *rr)
{
        static const char what[] = "a route";
        int r = load_check_map(c, n, what, route_keys);

        if (r < 0)
                return r;
        if ((r = field_load(c, p, n, "dest", false, "", what, &rr->dest)) < 0 ||
            (r = field_load(c, p, n, "gateway", false, "", what, &rr->gateway)) < 0 ||
            (r = field_load(c, p, n, "device", false, NULL, what, &rr->device)) < 0 ||
            (r = field_load(c, p, n, "source", false, "", what, &rr->source)) < 0 ||
            (r = field_load(c, p, n, "scope", true, "0", what, &rr->scope)) < 0 ||
            (r = field_load(c, p, n, "family", false, "v4", what, &rr->family)) < 0 ||
            (r = field_load(c, p, n, "flags", true, "0", what, &rr->flags)) < 0 ||
            (r = field_load(c, p, n, "mtu", true, "0", what, &rr->mtu)) < 0)
                return r;
        return 0;
}

static int neighbor_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                         struct neighbor_rule *nr)
{
        static const char what[] = "a neighbor";
        int r = load_check_map(c, n, what, neighbor_keys);

        if (r < 0)
                return r;
        if ((r = field_load(c, p, n, "address", false, NULL, what, &nr->to.address)) < 0 ||
            (r = field_load(c, p, n, "family", false, "v4", what, &nr->to.family)) < 0 ||
            (r = field_load(c, p, n, "mask", false, "", what, &nr->to.mask)) < 0 ||
            (r = field_load(c, p, n, "device", false, NULL, what, &nr->device)) < 0 ||
            (r = mac_load(c, p, n, "lladdr", what, &nr->lladdr, &nr->mac_prefix)) < 0 ||
            (r = field_load(c, p, n, "state", true, NULL, what, &nr->state)) < 0 ||
            (r = field_load(c, p, n, "flags", true, "0", what, &nr->flags)) < 0)
                return r;
        return 0;
}

/* Key k of the section, when present: a sequence; its length in *ret_n. */
static const struct ynode *list_get(struct load_ctx *c, const struct ynode *map, const char *k,
                                    int *ret)
{
        const struct ynode *v = ytree_get(map, k);
        char what[32];

        *ret = 0;
        if (!v)
                return NULL;
        snprintf(what, sizeof(what), "\"%s\"", k);
        *ret = load_check_seq(c, v, what);
        return *ret < 0 ? NULL : v;
}

int network_load(struct load_ctx *c, const struct ynode *map, struct policy *p)
{
        struct network_rules *nw = &p->network;
        const struct ynode *v;
        int r;

        *nw = (struct network_rules){ 0 };
        if (!map)
                return 0;
        if ((r = load_check_map(c, map, "\"network\"", network_keys)) < 0 ||
            (r = schema_check(c, map)) < 0)
                return r;
        if ((v = list_get(c, map, "interfaces", &r))) {
                nw->interfaces = pool_alloc_array(c->pool, v->n ? v->n : 1, sizeof(*nw->interfaces));
                if (!nw->interfaces)
                        return load_nomem(c);
                for (size_t i = 0; i < v->n; i++, nw->n_interfaces++)
                        if ((r = interface_load(c, p, v->items[i], &nw->interfaces[i])) < 0)
                                return r;
        }
        if (r < 0)
                return r;
        if ((v = list_get(c, map, "routes", &r))) {
                nw->routes = pool_alloc_array(c->pool, v->n ? v->n : 1, sizeof(*nw->routes));
                if (!nw->routes)
                        return load_nomem(c);
                for (size_t i = 0; i < v->n; i++, nw->n_routes++)
                        if ((r = route_load(c, p, v->items[i], &nw->routes[i])) < 0)
                                return r;
        }
        if (r < 0)
                return r;
        if ((v = list_get(c, map, "neighbors", &r))) {
                nw->neighbors = pool_alloc_array(c->pool, v->n ? v->n : 1, sizeof(*nw->neighbors));
                if (!nw->neighbors)
                        return load_nomem(c);
                for (size_t i = 0; i < v->n; i++, nw->n_neighbors++)
                        if ((r = neighbor_load(c, p, v->items[i], &nw->neighbors[i])) < 0)
                                return r;
        }
        if (r < 0)
                return r;
        for (size_t i = 0; i < nw->n_interfaces; i++)
                for (size_t j = 0; j < i; j++)
                        if (strcmp(nw->interfaces[i].name, nw->interfaces[j].name) == 0)
                                return load_error(c, ytree_get(map, "interfaces")->items[i],
                                                  "interface \"%s\" is listed twice",
                                                  nw->interfaces[i].name);
        return 0;
}

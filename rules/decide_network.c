/* SPDX-License-Identifier: Apache-2.0 */
/* The network, decide side: interfaces, routes and neighbours against `network:`. */
#include <stdio.h>
#include <string.h>

#include "decide.h"

/* Which check of an interface failed: rule ids "network-interface[.<check>]". */
enum interface_check {
        IFACE_UNLISTED,
        IFACE_HW_ADDR,
        IFACE_DEVICE,
        IFACE_MTU,
        IFACE_RAW_FLAGS,
        IFACE_TYPE,
        IFACE_DEVICE_PATH,
        IFACE_ADDRESSES,
        _IFACE_CHECK_MAX,
        _IFACE_CHECK_INVALID = -22,
};

#define DENY(i, r) { .verdict = VERDICT_DENY, .id = (i), .reason = (r) }
static const struct policy_rule interface_rules[_IFACE_CHECK_MAX] = {
        [IFACE_UNLISTED] = DENY("network-interface", "the interface is not one the policy lists"),
        [IFACE_HW_ADDR] = DENY("network-interface.hw_addr",
                               "the interface's MAC address is not the policy's"),
        [IFACE_DEVICE] = DENY("network-interface.device", "the interface's device is not the policy's"),
        [IFACE_MTU] = DENY("network-interface.mtu", "the interface's MTU is not the policy's"),
        [IFACE_RAW_FLAGS] = DENY("network-interface.raw_flags",
                                 "the interface's flags are not the policy's"),
        [IFACE_TYPE] = DENY("network-interface.type", "the interface's type is not the policy's"),
        [IFACE_DEVICE_PATH] = DENY("network-interface.device_path",
                                   "the interface's device path is not the policy's"),
        [IFACE_ADDRESSES] = DENY("network-interface.addresses",
                                 "an address is not one the policy allows, or too few are given"),
};
static const struct policy_rule rule_route =
        DENY("network-route", "a route is not one the policy lists");
static const struct policy_rule rule_neighbor =
        DENY("network-neighbor", "a neighbour is not one the policy lists");

/* Field name of m (set, so its descriptor is known) as text, against mt. */
static bool field_is(const struct policy *p, const struct matcher *mt, const ProtobufCMessage *m,
                     const char *name)
{
        const ProtobufCFieldDescriptor *f = pb_field_of(m, name);
        char buf[32];
        size_t len = 0;
        const char *s;

        if (!f)
                return false;
        s = pb_scalar_text(m, f, 0, buf, sizeof(buf), &len);
        return match_string(&p->match, mt, s, len);
}

static bool address_is(const struct policy *p, const struct address_rule *ar,
                       const ProtobufCMessage *a)
{
        return a && field_is(p, &ar->family, a, "family") && field_is(p, &ar->address, a, "address") &&
               field_is(p, &ar->mask, a, "mask");
}

static int addresses_check(const struct policy *p, const struct interface_rule *ir,
                           const ProtobufCMessage *iface)
{
        size_t n = pb_count_of(iface, "IPAddresses");

        if (n < ir->min_addresses)
                return IFACE_ADDRESSES;
        for (size_t i = 0; i < n; i++) {
                const ProtobufCMessage *a = pb_msg_of(iface, "IPAddresses", i);
                bool ok = false;
                for (size_t j = 0; j < ir->n_addresses && !ok; j++)
                        ok = address_is(p, &ir->addresses[j], a);
                if (!ok)
                        return IFACE_ADDRESSES;
        }
        return -1;
}

/* mac is prefix:<IPv4 address a's four bytes>, lower-case hex; a must be a dotted quad. */
static bool mac_is_from(const char *prefix, const char *mac, const char *a)
{
        unsigned b[4];
        char want[18], canon[16], tail;

        /* A dotted quad as the agent parses it: 0-255 each, no sign, no leading zeros. */
        if (strspn(a, "0123456789.") != strlen(a) ||
            sscanf(a, "%3u.%3u.%3u.%3u%c", &b[0], &b[1], &b[2], &b[3], &tail) != 4 ||
            b[0] > 255 || b[1] > 255 || b[2] > 255 || b[3] > 255)
                return false;
        snprintf(canon, sizeof(canon), "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
        if (strcmp(canon, a) != 0)
                return false;
        snprintf(want, sizeof(want), "%s:%02x:%02x:%02x:%02x", prefix, b[0], b[1], b[2], b[3]);
        return strcmp(mac, want) == 0;
}

/* hwAddr derives from the interface's first IPv4 address. */
static bool mac_from_ipv4(const char *prefix, const ProtobufCMessage *iface)
{
        size_t n = pb_count_of(iface, "IPAddresses");
        const char *mac = pb_str_of(iface, "hwAddr", 0);

        for (size_t i = 0; i < n; i++) {
                const char *a = pb_str_of(pb_msg_of(iface, "IPAddresses", i), "address", 0);

                if (!strchr(a, '.'))
                        continue;
                return mac_is_from(prefix, mac, a);
        }
        return false;
}

/* The agent finds the link by hwAddr (or, when none has it, sets it on the link called
 * name), brings it down, adds the addresses, renames it to name, sets mtu and NOARP. */
static int interface_check(const struct policy *p, const ProtobufCMessage *iface)
{
        const char *name = pb_str_of(iface, "name", 0);
        const struct interface_rule *ir = NULL;

        if (!iface)
                return IFACE_UNLISTED;
        for (size_t i = 0; i < p->network.n_interfaces && !ir; i++)
                if (strcmp(p->network.interfaces[i].name, name) == 0)
                        ir = &p->network.interfaces[i];
        if (!ir)
                return IFACE_UNLISTED;
        if (pb_count_of(iface, "IPAddresses") < ir->min_addresses)
                return IFACE_ADDRESSES; /* before hw_addr, which may derive from them */
        if (ir->mac_prefix ? !mac_from_ipv4(ir->mac_prefix, iface)
                           : !field_is(p, &ir->hw_addr, iface, "hwAddr"))
                return IFACE_HW_ADDR;
        if (!field_is(p, &ir->device, iface, "device"))
                return IFACE_DEVICE;
        if (!field_is(p, &ir->mtu, iface, "mtu"))
                return IFACE_MTU;
        if (!field_is(p, &ir->raw_flags, iface, "raw_flags"))
                return IFACE_RAW_FLAGS;
        if (!field_is(p, &ir->type, iface, "type"))
                return IFACE_TYPE;
        if (!field_is(p, &ir->device_path, iface, "devicePath"))
                return IFACE_DEVICE_PATH;
        return addresses_check(p, ir, iface);
}

static bool route_is(const struct policy *p, const struct route_rule *rr, const ProtobufCMessage *r)
{
        return field_is(p, &rr->dest, r, "dest") && field_is(p, &rr->gateway, r, "gateway") &&
               field_is(p, &rr->device, r, "device") && field_is(p, &rr->source, r, "source") &&
               field_is(p, &rr->scope, r, "scope") && field_is(p, &rr->family, r, "family") &&
               field_is(p, &rr->flags, r, "flags") && field_is(p, &rr->mtu, r, "mtu");
}

static bool neighbor_is(const struct policy *p, const struct neighbor_rule *nr,
                        const ProtobufCMessage *n)
{
        return address_is(p, &nr->to, pb_msg_of(n, "toIPAddress", 0)) &&
               field_is(p, &nr->device, n, "device") &&
               (nr->mac_prefix ? mac_is_from(nr->mac_prefix, pb_str_of(n, "lladdr", 0),
                                             pb_str_of(pb_msg_of(n, "toIPAddress", 0), "address", 0))
                               : field_is(p, &nr->lladdr, n, "lladdr")) &&
               field_is(p, &nr->state, n, "state") && field_is(p, &nr->flags, n, "flags");
}

/* Every route of the Routes message list matches a route rule. */
static bool routes_ok(const struct policy *p, const ProtobufCMessage *list)
{
        size_t n = pb_count_of(list, "Routes");

        if (!list)
                return false;
        for (size_t i = 0; i < n; i++) {
                const ProtobufCMessage *e = pb_msg_of(list, "Routes", i);
                bool ok = false;
                for (size_t j = 0; e && !ok && j < p->network.n_routes; j++)
                        ok = route_is(p, &p->network.routes[j], e);
                if (!ok)
                        return false;
        }
        return true;
}

/* Every neighbour of the ARPNeighbors message list matches a neighbour rule. */
static bool neighbors_ok(const struct policy *p, const ProtobufCMessage *list)
{
        size_t n = pb_count_of(list, "ARPNeighbors");

        if (!list)
                return false;
        for (size_t i = 0; i < n; i++) {
                const ProtobufCMessage *e = pb_msg_of(list, "ARPNeighbors", i);
                bool ok = false;
                for (size_t j = 0; e && !ok && j < p->network.n_neighbors; j++)
                        ok = neighbor_is(p, &p->network.neighbors[j], e);
                if (!ok)
                        return false;
        }
        return true;
}

void network_decide(const struct policy *p, enum agent_method_id id, const ProtobufCMessage *req,
                    struct decision *d)
{
        const struct policy_rule *r = NULL;
        int k;

        switch (id) {
        case AGENT_UPDATE_INTERFACE:
                k = interface_check(p, pb_msg_of(req, "interface", 0));
                if (k >= 0)
                        r = &interface_rules[k];
                break;
        case AGENT_UPDATE_ROUTES:
                if (!routes_ok(p, pb_msg_of(req, "routes", 0)))
                        r = &rule_route;
                break;
        case AGENT_ADD_ARP_NEIGHBORS:
                if (!neighbors_ok(p, pb_msg_of(req, "neighbors", 0)))
                        r = &rule_neighbor;
                break;
        default:
                break;
        }
        if (!r)
                return;
        d->verdict = r->verdict;
        d->rule_id = r->id;
        d->reason = r->reason;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* A read-only view of a compiled policy for tools and tests. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy_compiled.h"
#include "policy_inspect.h"

_Static_assert((int)POLICY_STREAM_STDOUT == (int)STREAM_STDOUT &&
                       (int)POLICY_STREAM_TTY_RESIZE == (int)STREAM_TTY_RESIZE &&
                       (int)_POLICY_STREAM_MAX == (int)_STREAM_KIND_MAX,
               "stream kinds agree");

int policy_request_info(const struct policy *p, enum agent_method_id id,
                        struct policy_request_info *ret)
{
        const struct request_rule *rr;
        const struct policy_rule *r;

        if ((int)id < 0 || id >= _AGENT_METHOD_MAX)
                return -EINVAL;
        rr = p->by_method[id];
        r = rr ? &rr->rule : &p->default_deny[id];
        *ret = (struct policy_request_info){
                .listed = rr != NULL,
                .verdict = r->verdict,
                .rule_id = r->id,
                .reason = r->reason,
                .n_fields = rr ? rr->n_fields : 0,
        };
        return 0;
}

bool policy_has_containers(const struct policy *p)
{
        return p->has_containers;
}

size_t policy_n_containers(const struct policy *p)
{
        return p->n_containers;
}

static void streams_copy(const struct policy_rule *from, enum verdict *to)
{
        for (unsigned k = 0; k < _STREAM_KIND_MAX; k++)
                to[k] = from[k].verdict;
}

int policy_container_info(const struct policy *p, size_t i, struct policy_container_info *ret)
{
        const struct container_rule *cr;

        if (i >= p->n_containers)
                return -EINVAL;
        cr = &p->containers[i];
        *ret = (struct policy_container_info){
                .name = cr->name,
                .sandbox = cr->sandbox,
                .rule_id = cr->allow.id,
                .reason = cr->allow.reason,
                .image = cr->image,
                .n_args = cr->proc.n_argv,
                .n_execs = cr->n_execs,
        };
        streams_copy(cr->streams, ret->streams);
        return 0;
}

int policy_exec_info(const struct policy *p, size_t i, size_t j, struct policy_exec_info *ret)
{
        const struct exec_rule *er;

        if (i >= p->n_containers || j >= p->containers[i].n_execs)
                return -EINVAL;
        er = &p->execs[p->containers[i].first_exec + j];
        *ret = (struct policy_exec_info){
                .rule_id = er->allow.id,
                .reason = er->allow.reason,
                .n_argv = er->proc.n_argv,
                .terminal = er->proc.terminal,
        };
        streams_copy(er->streams, ret->streams);
        return 0;
}

int policy_describe_argv(const struct policy *p, size_t i, size_t j, size_t k, char *buf,
                         size_t len)
{
        const struct process_rule *proc;

        if (i >= p->n_containers)
                return -EINVAL;
        if (j == SIZE_MAX)
                proc = &p->containers[i].proc;
        else if (j < p->containers[i].n_execs)
                proc = &p->execs[p->containers[i].first_exec + j].proc;
        else
                return -EINVAL;
        if (k >= proc->n_argv)
                return -EINVAL;
        match_describe(&proc->argv[k], buf, len);
        return 0;
}

int policy_sandbox_info(const struct policy *p, struct policy_sandbox_info *ret)
{
        const struct sandbox_rule *sb = &p->sandbox;

        *ret = (struct policy_sandbox_info){ .present = sb->present, .sandbox_pidns = sb->pidns,
                                             .n_dns = sb->n_dns, .n_storages = sb->n_storages };
        match_describe(&sb->hostname, ret->hostname, sizeof(ret->hostname));
        return 0;
}

int policy_sandbox_storage(const struct policy *p, size_t i, const char **ret_driver,
                           const char **ret_fstype, char *mount_point, size_t len)
{
        const struct storage_rule *sr;

        if (i >= p->sandbox.n_storages)
                return -EINVAL;
        sr = &p->sandbox.storages[i];
        *ret_driver = sr->driver;
        *ret_fstype = sr->fstype;
        match_describe(&sr->mount_point, mount_point, len);
        return 0;
}

size_t policy_n_interfaces(const struct policy *p)
{
        return p->network.n_interfaces;
}

int policy_interface_info(const struct policy *p, size_t i, struct policy_interface_info *ret)
{
        const struct interface_rule *ir;

        if (i >= p->network.n_interfaces)
                return -EINVAL;
        ir = &p->network.interfaces[i];
        *ret = (struct policy_interface_info){ .name = ir->name, .n_addresses = ir->n_addresses,
                                               .min_addresses = ir->min_addresses };
        if (ir->mac_prefix)
                snprintf(ret->hw_addr, sizeof(ret->hw_addr), "from IPv4 after %s", ir->mac_prefix);
        else
                match_describe(&ir->hw_addr, ret->hw_addr, sizeof(ret->hw_addr));
        return 0;
}

size_t policy_n_routes(const struct policy *p)
{
        return p->network.n_routes;
}

size_t policy_n_neighbors(const struct policy *p)
{
        return p->network.n_neighbors;
}

size_t policy_n_copy_rules(const struct policy *p)
{
        return p->n_copies;
}

int policy_copy_info(const struct policy *p, size_t i, struct policy_copy_info *ret)
{
        const struct copy_rule *cr;

        if (i >= p->n_copies)
                return -EINVAL;
        cr = &p->copies[i];
        *ret = (struct policy_copy_info){
                .rule_id = cr->allow.id,
                .reason = cr->allow.reason,
                .file = cr->types[0],
                .directory = cr->types[1],
                .symlink = cr->types[2],
        };
        return 0;
}

static int copy_id(char *dst, const char *src)
{
        size_t len = strlen(src);

        if (len == 0 || len > POLICY_ID_MAX)
                return -EINVAL;
        memcpy(dst, src, len + 1);
        return 0;
}

int policy_state_bind_named(const struct policy *p, struct policy_state *s,
                            const char *container_id, const char *name)
{
        struct policy_effect e = { .kind = POLICY_EFFECT_BIND_CONTAINER };

        if (copy_id(e.container_id, container_id) < 0)
                return -EINVAL;
        for (size_t i = 0; i < p->n_containers; i++)
                if (name ? !p->containers[i].sandbox && strcmp(p->containers[i].name, name) == 0
                         : p->containers[i].sandbox) {
                        e.entry = (uint32_t)i;
                        return policy_state_apply(s, &e);
                }
        return -ENOENT;
}

int policy_state_exec_named(const struct policy *p, struct policy_state *s,
                            const char *container_id, const char *exec_id,
                            const char *exec_rule_id)
{
        struct policy_effect e = { .kind = POLICY_EFFECT_ADD_EXEC };

        if (copy_id(e.container_id, container_id) < 0 || copy_id(e.exec_id, exec_id) < 0)
                return -EINVAL;
        for (size_t i = 0; i < p->n_execs; i++)
                if (strcmp(p->execs[i].allow.id, exec_rule_id) == 0) {
                        e.entry = (uint32_t)i;
                        return policy_state_apply(s, &e);
                }
        return -ENOENT;
}

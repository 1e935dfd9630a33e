/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_decide(): the request table first (a per-request switch and the
 * default deny), then the request's field rules, then what the request's kind
 * needs: the containers section, the state, the copy_file rules, the sandbox
 * and network sections. Nothing here
 * allocates: decisions point at strings owned by the policy or static.
 */
#include <errno.h>
#include <string.h>

#include "decide.h"
#include "policy_state.h"

/* Built-in rules: what holds whatever the tenant wrote. */
static const struct policy_rule rule_sandbox_once = {
        .verdict = VERDICT_DENY,
        .id = "sandbox-once",
        .reason = "the sandbox was already created; it is created once per VM",
};
static const struct policy_rule rule_guest_hooks = {
        .verdict = VERDICT_DENY,
        .id = "sandbox-guest-code",
        .reason = "the host may not name guest hooks or kernel modules for the sandbox",
};
static const struct policy_rule rule_unknown_exec = {
        .verdict = VERDICT_DENY,
        .id = "unknown-exec-id",
        .reason = "the process was not started under the policy in this container",
};

static void decision_set(struct decision *d, const struct policy_rule *r)
{
        d->verdict = r->verdict;
        d->rule_id = r->id;
        d->reason = r->reason;
}

static bool is_stream_read(enum agent_method_id id)
{
        return id == AGENT_READ_STDOUT || id == AGENT_READ_STDERR;
}

bool policy_is_container_request(enum agent_method_id id)
{
        switch (id) {
        case AGENT_START_CONTAINER:
        case AGENT_REMOVE_CONTAINER:
        case AGENT_SIGNAL_PROCESS:
        case AGENT_WAIT_PROCESS:
        case AGENT_UPDATE_CONTAINER:
        case AGENT_STATS_CONTAINER:
        case AGENT_PAUSE_CONTAINER:
        case AGENT_RESUME_CONTAINER:
        case AGENT_WRITE_STDIN:
        case AGENT_READ_STDOUT:
        case AGENT_READ_STDERR:
        case AGENT_CLOSE_STDIN:
        case AGENT_TTY_WIN_RESIZE:
                return true;
        default:
                return false;
        }
}

static bool is_network(enum agent_method_id id)
{
        return id == AGENT_UPDATE_INTERFACE || id == AGENT_UPDATE_ROUTES ||
               id == AGENT_ADD_ARP_NEIGHBORS;
}

static int stream_kind(enum agent_method_id id)
{
        switch (id) {
        case AGENT_READ_STDOUT:
                return STREAM_STDOUT;
        case AGENT_READ_STDERR:
                return STREAM_STDERR;
        case AGENT_WRITE_STDIN:
        case AGENT_CLOSE_STDIN:
                return STREAM_STDIN;
        case AGENT_TTY_WIN_RESIZE:
                return STREAM_TTY_RESIZE;
        default:
                return -1;
        }
}

/*
 * A request for a bound container: the process it names must be the
 * container's own (exec_id empty or the container id) or an exec started
 * under the policy. Streams then follow that process's stream rules.
 */
static void container_request_decide(const struct policy *p, const struct policy_state *s,
                                     const struct agent_method *m, const ProtobufCMessage *req,
                                     struct decision *d, bool *bound)
{
        const char *cid = pb_str_of(req, "container_id", 0);
        const char *eid = pb_str_of(req, "exec_id", 0);
        size_t cid_len = strlen(cid), eid_len = strlen(eid);
        const struct policy_rule(*streams)[_STREAM_KIND_MAX];
        uint32_t ci, ei;
        int kind;

        if (state_container_find(s, cid, cid_len, &ci) < 0) {
                decision_set(d, &container_rule_unbound);
                return;
        }
        *bound = true;
        if (m->id == AGENT_REMOVE_CONTAINER) {
                d->effect.kind = POLICY_EFFECT_UNBIND_CONTAINER;
                memcpy(d->effect.container_id, cid, cid_len + 1);
        }
        if (ci == POLICY_ENTRY_NONE) {
                /* Forwarded in audit mode without a match: nothing of it is allowed. */
                if (m->id != AGENT_REMOVE_CONTAINER)
                        decision_set(d, &container_rule_unbound);
                return;
        }
        if (eid_len == 0 || (eid_len == cid_len && memcmp(eid, cid, cid_len) == 0)) {
                streams = &p->containers[ci].streams;
        } else if (state_exec_find(s, cid, cid_len, eid, eid_len, &ei) == 0 &&
                   ei != POLICY_ENTRY_NONE) {
                streams = &p->execs[ei].streams;
        } else {
                decision_set(d, &rule_unknown_exec);
                return;
        }
        kind = stream_kind(m->id);
        if (kind >= 0)
                decision_set(d, &(*streams)[kind]);
}

static int decide_allowed(const struct policy *p, const struct policy_state *s,
                          const struct agent_method *m, const ProtobufCMessage *req,
                          struct decision *d, bool *bound)
{
        if (m->id == AGENT_CREATE_SANDBOX) {
                const ProtobufCFieldDescriptor *f;
                if (state_sandbox_created(s)) {
                        decision_set(d, &rule_sandbox_once);
                        return 0;
                }
                if (!req)
                        return -EINVAL;
                /* Hooks and modules are code the host would run in the TEE. */
                f = pb_field_of(req, "kernel_modules");
                if (pb_str_of(req, "guest_hook_path", 0)[0] || !f || pb_count(req, f) != 0)
                        decision_set(d, &rule_guest_hooks);
                else
                        sandbox_decide(p, req, d);
                return 0;
        }
        /* Whatever else is checked reads the request. */
        if (!req && (m->id == AGENT_COPY_FILE || p->has_containers || is_network(m->id)))
                return -EINVAL;
        switch (m->id) {
        case AGENT_UPDATE_INTERFACE:
        case AGENT_UPDATE_ROUTES:
        case AGENT_ADD_ARP_NEIGHBORS:
                network_decide(p, m->id, req, d);
                break;
        case AGENT_COPY_FILE:
                copy_file_decide(p, req, d);
                break;
        case AGENT_CREATE_CONTAINER:
                if (p->has_containers)
                        container_decide_create(p, s, req, d);
                break;
        case AGENT_EXEC_PROCESS:
                if (p->has_containers)
                        container_decide_exec(p, s, req, d);
                break;
        default:
                if (p->has_containers && policy_is_container_request(m->id))
                        container_request_decide(p, s, m, req, d, bound);
                break;
        }
        return 0;
}

int policy_decide(const struct policy *p, const struct policy_state *s,
                  const struct agent_method *m, const ProtobufCMessage *request,
                  struct decision *ret)
{
        const struct request_rule *rr;
        struct decision d = { .effect = { .kind = POLICY_EFFECT_NONE } };
        bool bound = !p || !p->has_containers;
        int r;

        if (!p || !s || !m || !ret || (int)m->id < 0 || m->id >= _AGENT_METHOD_MAX)
                return -EINVAL;

        rr = p->by_method[m->id];
        decision_set(&d, rr ? &rr->rule : &p->default_deny[m->id]);
        if (m->id == AGENT_CREATE_SANDBOX)
                d.effect.kind = POLICY_EFFECT_SANDBOX_CREATED;
        else if (m->id == AGENT_DESTROY_SANDBOX)
                d.effect.kind = POLICY_EFFECT_SANDBOX_DESTROYED;

        if (d.verdict == VERDICT_ALLOW && rr->n_fields) {
                const struct field_rule *fr;
                if (!request)
                        return -EINVAL;
                fr = fields_check(p, rr, request);
                if (fr)
                        decision_set(&d, &fr->deny);
        }
        if (d.verdict == VERDICT_ALLOW) {
                r = decide_allowed(p, s, m, request, &d, &bound);
                if (r < 0)
                        return r;
        } else if (is_stream_read(m->id) && request && p->has_containers) {
                /* Whether the pipe belongs to a container of ours decides draining. */
                uint32_t ci;
                const char *cid = pb_str_of(request, "container_id", 0);
                bound = state_container_find(s, cid, strlen(cid), &ci) == 0;
        }

        /* Audit mode forwards refused removals too: the id must not outlive its container. */
        if (m->id == AGENT_REMOVE_CONTAINER && d.effect.kind == POLICY_EFFECT_NONE && request) {
                const char *cid = pb_str_of(request, "container_id", 0);
                size_t len = strlen(cid);
                if (len > 0 && len <= POLICY_ID_MAX) {
                        d.effect.kind = POLICY_EFFECT_UNBIND_CONTAINER;
                        memcpy(d.effect.container_id, cid, len + 1);
                }
        }

        /* A refused read must still empty the pipe, or the process blocks (kata #10680). */
        d.drain = d.verdict == VERDICT_DENY && is_stream_read(m->id) && bound;
        if (d.drain)
                d.effect.kind = POLICY_EFFECT_NONE;
        *ret = d;
        return 0;
}

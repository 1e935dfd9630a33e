/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The `requests:` table: one entry per agent request kata's runtimes send in a pod's
 * life (tests/corpus shows each), in the order they come, each with the function that
 * decides it for this pod. Requests not in the table are denied by default.
 */
#include <errno.h>
#include <string.h>

#include "gen_internal.h"
#include "gen_text.h"

struct request_entry {
        const char *request;
        const char *when; /* when the runtime sends it: the rule's comment */
        int (*build)(struct gen_ctx *c, const struct request_entry *e, struct gen_request_rule *r);
        bool allow;            /* for build_fixed */
        const char *id, *reason;
};

static int build_fixed(struct gen_ctx *c, const struct request_entry *e, struct gen_request_rule *r)
{
        (void)c;
        r->allow = e->allow;
        r->id = e->id;
        r->reason = e->reason;
        return 0;
}

static int field(struct gen_ctx *c, struct gen_request_rule *r, size_t *cap, const char *path,
                 struct gmatch m, const char *from)
{
        struct gen_field *f = GEN_PUSH(c, r->fields, r->n_fields, *cap);

        if (!f || (m.kind != GM_ONE_OF && !m.s) || !from)
                return gen_nomem(c);
        *f = (struct gen_field){ .path = path, .m = m, .from = from };
        return 0;
}

static int sandbox_key(struct gen_ctx *c, size_t *cap, const char *key, struct gmatch m,
                       const char *from)
{
        struct gen_sandbox *sb = &c->pod->sandbox;
        struct gen_field *f = GEN_PUSH(c, sb->keys, sb->n_keys, *cap);

        if (!f || (m.kind != GM_ONE_OF && !m.s) || !from)
                return gen_nomem(c);
        *f = (struct gen_field){ .path = key, .m = m, .from = from };
        return 0;
}

static int build_net(struct gen_ctx *c, const struct request_entry *e, struct gen_request_rule *r)
{
        (void)c;
        r->allow = true;
        r->id = e->id;
        r->reason = e->reason;
        return 0; /* the `network:` section decides the rest */
}

/* kubelet's resolv.conf for the pod (dnsPolicy, dnsConfig), split at newlines by kata. */
static int dns_lines(struct gen_ctx *c, struct gmatch *ret)
{
        const struct gen_settings *s = c->set;
        const struct gnode *cfg = gnode_get(c->pod->spec, "dnsConfig"), *pol = gnode_get(c->pod->spec, "dnsPolicy");
        const char *policy = pol && pol->type == GNODE_SCALAR ? pol->value : "ClusterFirst";
        const struct gnode *ns = gnode_get(cfg, "nameservers"), *se = gnode_get(cfg, "searches");
        const struct gnode *op = gnode_get(cfg, "options");
        struct gtext search = GTEXT_INIT(c->pool), opts = GTEXT_INIT(c->pool);
        struct gmatch *alts;
        size_t n = 0;
        bool cluster = strcmp(policy, "ClusterFirst") == 0 || strcmp(policy, "ClusterFirstWithHostNet") == 0;

        if (strcmp(policy, "Default") == 0) {
                /* The node's own resolv.conf: unknown here. */
                *ret = gm_regex("(?:(?:search|nameserver|options) [ -~]{1,1024})?");
                return gen_warn(c, pol, "dnsPolicy Default: the node's resolv.conf is not known; "
                                "any search, nameserver and options line is allowed");
        }
        if (!cluster && strcmp(policy, "None") != 0)
                return gnode_error(c->err, pol, "%sdnsPolicy: %s is not a DNS policy",
                                   c->pod->spec_path, policy);
        alts = pool_alloc_array(c->pool, s->cluster.dns_servers.n + (ns ? ns->n : 0) + 4, sizeof(*alts));
        if (!alts)
                return gen_nomem(c);
        /* containerd parseDNSOptions: search, nameserver lines, options. */
        if (cluster)
                gtext_printf(&search, "search %s\\.svc\\.%s svc\\.%s %s", gm_quote(c->pool, c->pod->namespace_),
                             gm_quote(c->pool, s->cluster.domain), gm_quote(c->pool, s->cluster.domain),
                             gm_quote(c->pool, s->cluster.domain));
        for (size_t i = 0; se && se->type == GNODE_SEQ && i < se->n; i++)
                gtext_printf(&search, "%s%s", search.len ? " " : "search ", gm_quote(c->pool, se->items[i]->value));
        if (search.len) {
                if (cluster && s->cluster.node_search_domains)
                        gtext_puts(&search, "(?: [A-Za-z0-9_.-]{1,253}){0,32}");
                alts[n++] = gm_regex(gtext_take(&search));
        }
        for (size_t i = 0; cluster && i < s->cluster.dns_servers.n; i++)
                alts[n++] = gm_exact(P(c, "nameserver %s", s->cluster.dns_servers.v[i]));
        for (size_t i = 0; ns && ns->type == GNODE_SEQ && i < ns->n; i++)
                alts[n++] = gm_exact(P(c, "nameserver %s", ns->items[i]->value));
        /* Options by name: dnsConfig's replace the cluster's (kubelet mergeDNSOptions). */
        for (size_t i = 0; cluster && i < s->cluster.dns_options.n; i++) {
                const char *o = s->cluster.dns_options.v[i];
                size_t nl = strcspn(o, ":");
                bool replaced = false;
                for (size_t k = 0; op && op->type == GNODE_SEQ && k < op->n && !replaced; k++) {
                        const struct gnode *nm = gnode_get(op->items[k], "name");
                        replaced = nm && strlen(nm->value) == nl && strncmp(nm->value, o, nl) == 0;
                }
                if (!replaced)
                        gtext_printf(&opts, "%s%s", opts.len ? " " : "options ", o);
        }
        for (size_t k = 0; op && op->type == GNODE_SEQ && k < op->n; k++) {
                const struct gnode *nm = gnode_get(op->items[k], "name"), *v = gnode_get(op->items[k], "value");
                if (!nm)
                        return gnode_error(c->err, op->items[k], "dnsConfig.options[%zu].name: missing", k);
                gtext_printf(&opts, "%s%s%s%s", opts.len ? " " : "options ", nm->value, v ? ":" : "",
                             v ? v->value : "");
        }
        if (opts.len)
                alts[n++] = gm_exact(gtext_take(&opts));
        alts[n++] = gm_exact(""); /* the text ends with a newline */
        for (size_t i = 0; i < n; i++)
                if (alts[i].kind != GM_ONE_OF && !alts[i].s)
                        return gen_nomem(c);
        return gm_any_of(c->pool, alts, n, ret) < 0 ? gen_nomem(c) : 0;
}

/* The `sandbox:` section: the table allows the request, the section decides it. */
static int build_sandbox(struct gen_ctx *c, const struct request_entry *e, struct gen_request_rule *r)
{
        struct gen_sandbox *sb = &c->pod->sandbox;
        size_t *cap = &sb->cap_keys;
        int k;

        r->allow = true;
        r->id = e->id;
        r->reason = e->reason;
        sb->storages_from = "settings kata.shm_storage (the only sandbox storage)";
        sb->dns.path = "dns";
        sb->dns.from = P(c, "kubelet's resolv.conf (%sdnsPolicy, dnsConfig; settings cluster.domain, "
                            "dns_servers, dns_options)", c->pod->spec_path);
        if (!sb->dns.from)
                return gen_nomem(c);
        if ((k = dns_lines(c, &sb->dns.m)) < 0 ||
            (k = sandbox_key(c, cap, "hostname", c->pod->hostname,
                             P(c, "kubelet: spec.hostname or the pod's name (%s)", c->pod->name_from))) < 0 ||
            (k = sandbox_key(c, cap, "sandbox_pidns", gm_exact(c->pod->share_pid ? "true" : "false"),
                             P(c, "%sshareProcessNamespace", c->pod->spec_path))) < 0 ||
            (k = sandbox_key(c, cap, "sandbox_id", gm_regex(GEN_RE_ID64), "containerd's sandbox id")) < 0)
                return k;
        return 0;
}

static int build_set_policy(struct gen_ctx *c, const struct request_entry *e, struct gen_request_rule *r)
{
        size_t cap = 0;

        (void)e;
        if (!c->pod->policy_annotation || !c->rt->policy_annotation_set_policy) {
                r->allow = false;
                r->id = "no-policy-swap";
                r->reason = "the attested policy is the only policy";
                return 0;
        }
        r->allow = true;
        r->id = "agent-policy";
        r->reason = "only the agent policy the pod's annotation carries";
        return field(c, r, &cap, "policy", gm_exact(c->pod->policy_annotation),
                     P(c, "%sannotations io.katacontainers.config.agent.policy (base64-decoded): "
                          "the Go runtime sends it (settings runtimes.%s.policy_annotation_set_policy)",
                       c->pod->meta_path, c->runtime));
}

static int build_create_container(struct gen_ctx *c, const struct request_entry *e,
                                  struct gen_request_rule *r)
{
        size_t cap = 0;

        r->allow = true;
        r->id = e->id;
        r->reason = e->reason;
        return field(c, r, &cap, "sandbox_pidns", gm_exact(c->pod->share_pid ? "true" : "false"),
                     P(c, "%sshareProcessNamespace", c->pod->spec_path));
}

/* A decision that depends on whether any container needs it. */
static int build_if(struct gen_ctx *c, struct gen_request_rule *r, bool need, const char *deny_id,
                    const char *deny_reason)
{
        (void)c;
        r->allow = need;
        if (!need) {
                r->id = deny_id;
                r->reason = deny_reason;
        }
        return 0;
}

static int build_exec(struct gen_ctx *c, const struct request_entry *e, struct gen_request_rule *r)
{
        (void)e;
        return build_if(c, r, c->pod->any_exec, "no-exec",
                        "the pod has no exec probes or hooks: nothing may be run in it");
}

static int build_write(struct gen_ctx *c, const struct request_entry *e, struct gen_request_rule *r)
{
        (void)e;
        return build_if(c, r, c->pod->any_stdin || c->pod->any_allow_exec, "no-stdin",
                        "nothing in this pod reads input from the host");
}

static int build_tty(struct gen_ctx *c, const struct request_entry *e, struct gen_request_rule *r)
{
        (void)e;
        return build_if(c, r, c->pod->any_tty, "no-tty", "no terminal is ever attached to this pod");
}

static int build_diag(struct gen_ctx *c, const struct request_entry *e, struct gen_request_rule *r)
{
        size_t cap = 0;

        (void)e;
        if (!c->pod->any_termination_file)
                return build_if(c, r, false, "no-diagnostics", "diagnostic dumps could carry tenant data");
        r->allow = true;
        r->id = "termination-log";
        r->reason = "only the termination message the container wrote";
        return field(c, r, &cap, "log_type", gm_exact("termination_log"),
                     "terminationMessagePolicy File: the runtime fetches the message at stop (kata "
                     "container.go stop, runtime-rs copy_termination_log)");
}

static int build_update(struct gen_ctx *c, const struct request_entry *e, struct gen_request_rule *r)
{
        size_t cap = 0;

        (void)e;
        if (!c->pod->any_resize)
                return build_if(c, r, false, "no-resize",
                                "no container declares resizePolicy: resources are not changed in place");
        r->allow = true;
        r->id = "resize";
        r->reason = "kubelet may resize CPU and memory in place, never device access";
        return field(c, r, &cap, "resources.Devices.Allow", gm_exact("false"), "resizePolicy");
}

static int build_online(struct gen_ctx *c, const struct request_entry *e, struct gen_request_rule *r)
{
        (void)e;
        return build_if(c, r, !c->set->kata.static_sandbox_resource_mgmt, "no-hotplug",
                        "the VM is sized at start (static_sandbox_resource_mgmt)");
}

static const struct request_entry table[] = {
        { "CheckRequest", "health checks and Version (grpc.Health): Go every 5 s, runtime-rs every 30 s",
          build_fixed, true, NULL, NULL },
        { "SetPolicyRequest", "the Go runtime sends the agent.policy pod annotation", build_set_policy },
        { "UpdateInterfaceRequest", "the pod's interface, once, before the sandbox", build_net, true,
          "net:interface", "the pod's interface, with addresses from the pod network" },
        { "UpdateRoutesRequest", "the interface's routes", build_net, true, "net:routes",
          "routes only through the pod's interface" },
        { "AddARPNeighborsRequest", "permanent neighbours and the reachable gateway", build_net, true,
          "net:neighbors", "neighbours only on the pod's interface, in the pod network" },
        { "CreateSandboxRequest", "once per VM", build_sandbox, true, "sandbox",
          "the pod's sandbox, once, as kubelet and kata make it" },
        { "GuestDetailsRequest", "right after the sandbox", build_fixed, true, NULL, NULL },
        { "GetOOMEventRequest", "the OOM watcher's long poll", build_fixed, true, NULL, NULL },
        { "OnlineCPUMemRequest", "after CPU or memory hot-plug", build_online },
        { "CopyFileRequest", "kubelet's files and volumes before each container (shared_fs none)",
          build_fixed, true, NULL, NULL },
        { "CreateContainerRequest", "the pause container, then each container", build_create_container,
          true, "containers", "the pod's own containers, each as listed below" },
        { "StartContainerRequest", "each container", build_fixed, true, NULL, NULL },
        { "ReadStreamRequest", "the runtime reads each process's output (its streams decide)",
          build_fixed, true, NULL, NULL },
        { "WriteStreamRequest", "input to a process", build_write },
        { "CloseStdinRequest", "after starting an exec'd process", build_fixed, true, NULL, NULL },
        { "TtyWinResizeRequest", "a terminal's size", build_tty },
        { "ExecProcessRequest", "exec probes and hooks (only as the containers below allow)", build_exec },
        { "WaitProcessRequest", "each process's exit", build_fixed, true, NULL, NULL },
        { "SignalProcessRequest", "stopping a container", build_fixed, true, NULL, NULL },
        { "StatsContainerRequest", "kubelet's periodic stats", build_fixed, true, NULL, NULL },
        { "UpdateContainerRequest", "in-place resize", build_update },
        { "GetDiagnosticDataRequest", "at each container's stop", build_diag },
        { "RemoveContainerRequest", "each container at its end", build_fixed, true, NULL, NULL },
        { "DestroySandboxRequest", "the Go runtime, at the end", build_fixed, true, NULL, NULL },
};

int gen_requests_build(struct gen_ctx *c)
{
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct gen_request_rule *r = GEN_PUSH(c, c->pod->requests, c->pod->n_requests,
                                                      c->pod->cap_requests);
                int k;

                if (!r)
                        return gen_nomem(c);
                r->request = table[i].request;
                r->from = table[i].when;
                k = table[i].build(c, &table[i], r);
                if (k < 0)
                        return k;
        }
        return 0;
}

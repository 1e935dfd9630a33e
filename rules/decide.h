/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The decision code's internals: decide_policy.c (policy_decide(): the
 * request table, the default deny, requests addressed to a container) calls
 * one decide_<kind>.c per kind of rule the compiled form holds. Each reads the
 * decoded request through pb_access.h and the state through policy_state.h,
 * fills a struct decision with strings the policy owns (or static ones), and
 * allocates nothing.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "policy_compiled.h"

/* Annotations the CRI runtime sets on every container (facts of containerd/CRI-O). */
#define ANNOTATION_CONTAINER_NAME "io.kubernetes.cri.container-name"
#define ANNOTATION_CONTAINER_TYPE "io.kubernetes.cri.container-type"

/* ---- Containers (decide_container.c) ---- */

/* Denial of a request for a container id that is not bound (never created, or removed). */
extern const struct policy_rule container_rule_unbound;

/* Whether id is something the state may track: 1..POLICY_ID_MAX of [A-Za-z0-9_.-],
 * not starting with a dot (ids become guest paths). */
bool container_id_valid(const char *id);

/* Check that the decoded schema has every field the container checks read
 * (the agent API .proto files are authored separately); -EPROTO if not. The
 * compiler asks before it loads a containers section. */
int container_schema_check(const char **ret_missing);

/* CreateContainerRequest; d holds the table's allow on entry. */
void container_decide_create(const struct policy *p, const struct policy_state *s,
                             const ProtobufCMessage *req, struct decision *d);

/* ExecProcessRequest; d holds the table's allow on entry. */
void container_decide_exec(const struct policy *p, const struct policy_state *s,
                           const ProtobufCMessage *req, struct decision *d);

/* ---- The image (decide_image.c) ---- */

/* What kata's agent reads from an image_guest_pull driver option
 * ("image_guest_pull={\"metadata\": {...}}", len bytes): 1 when its metadata says
 * sandbox (the agent then runs its built-in pause bundle), 0 when not (it pulls the
 * storage's source), -EINVAL when it is not exactly that shape. */
int image_pull_is_sandbox(const char *option, size_t len);

/* The one image_guest_pull storage of req: cr's image, mounted at root as kata's
 * genpolicy requires, its metadata saying sandbox exactly for the sandbox; -1 or CHECK_IMAGE. */
int image_check(const struct container_rule *cr, const ProtobufCMessage *req, const char *root);

/* ---- Processes (decide_process.c) ---- */

/* Index of the first failing check of proc against rule, or -1 when it matches. */
int process_check(const struct policy *p, const struct process_rule *rule,
                  const ProtobufCMessage *proc);

/* ---- Linux.Resources (decide_resources.c) ---- */

/* Every setting of resources (a LinuxResources; NULL: none) other than Devices that is
 * not its proto3 default matches one of cr's `resources:` rules. */
bool resources_ok(const struct policy *p, const struct container_rule *cr,
                  const ProtobufCMessage *resources);

/* ---- CopyFile (decide_copy_file.c) ----
 * The host writes files into the guest (kata copies resolv.conf, hostname,
 * service account tokens this way when there is no shared filesystem). The
 * destination is normalised and confined by the tenant's `copy_file:` rules;
 * traversal, escaping symlinks, special files, set-id bits and writes into a
 * container's root filesystem are refused. */

/* Longest destination path considered (longer ones are denied). */
#define COPY_PATH_MAX 4096u

/* Normalise an absolute path: collapse "//", drop ".", refuse "..". Returns the
 * length written to out (NUL-terminated), or -EINVAL. */
int copy_path_normalise(const char *path, size_t len, char *out, size_t out_len);

/* Decide a CopyFileRequest; d holds the table's allow on entry. */
void copy_file_decide(const struct policy *p, const ProtobufCMessage *req, struct decision *d);

/* ---- Storages (decide_storage.c) ---- */

/* Whether s is in set. */
bool string_set_has(const struct string_set *set, const char *s);

/* Whether the repeated string field of m equals set, as sets. */
bool strings_equal_set(const ProtobufCMessage *m, const char *field, const struct string_set *set);

/* Whether Storage st matches one of rules[0..n). */
bool storage_allowed(const struct policy *p, const struct storage_rule *rules, size_t n,
                     const ProtobufCMessage *st);

/* ---- The sandbox (decide_sandbox.c) ----
 * CreateSandboxRequest against the `sandbox:` section (or its defaults): the
 * hostname, the sandbox id, the shared pid namespace, every line the agent
 * writes to /etc/resolv.conf and every storage it mounts. */

/* d holds the table's allow on entry. */
void sandbox_decide(const struct policy *p, const ProtobufCMessage *req, struct decision *d);

/* ---- The network (decide_network.c) ----
 * UpdateInterface, UpdateRoutes and AddARPNeighbors against the `network:`
 * section: every interface, route and neighbour must be one it lists. */

/* d holds the table's allow on entry; m is one of the three methods. */
void network_decide(const struct policy *p, enum agent_method_id id, const ProtobufCMessage *req,
                    struct decision *d);

/* ---- Field rules (decide_fields.c) ---- */

/* The first field rule of rr that req breaks, or NULL. */
const struct field_rule *fields_check(const struct policy *p, const struct request_rule *rr,
                                      const ProtobufCMessage *req);

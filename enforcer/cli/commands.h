/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ccgate commands, one file each (cmd_<group>_<verb>.c), listed in
 * main.c's commands[] table. Each takes the arguments after its own name
 * (argv[0] is the verb, as getopt expects), prints its own --help, and returns
 * the process exit status: 0 success, 1 a verdict/check that failed (deny, bad
 * chain), 2 usage or input errors.
 */
#pragma once

struct guard_status;
struct policy;

int cmd_run(int argc, char **argv);
int cmd_policy_check(int argc, char **argv);
int cmd_policy_explain(int argc, char **argv);
int cmd_policy_digest(int argc, char **argv);
int cmd_policy_generate(int argc, char **argv);
int cmd_audit_verify(int argc, char **argv);
int cmd_audit_show(int argc, char **argv);
int cmd_hooks_install(int argc, char **argv);
int cmd_hooks_status(int argc, char **argv);
int cmd_hooks_remove(int argc, char **argv);

/* Shared by the command files. */

/* Load a policy, printing FILE:LINE:COLUMN: what to stderr when it does not load. */
int cmd_load_policy(const char *path, struct policy **ret);

/* Print the hooks of st, one per line, and why BPF LSM is not active. */
void cmd_hooks_print(const struct guard_status *st);

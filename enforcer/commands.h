/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ccgate subcommands. Each takes the arguments after its own name (argv[0]
 * is the subcommand, as getopt expects), prints its own --help, and returns the
 * process exit status: 0 success, 1 a verdict/check that failed (deny, bad
 * chain), 2 usage or input errors.
 */
#pragma once

int cmd_run(int argc, char **argv);
int cmd_policy_check(int argc, char **argv);
int cmd_policy_explain(int argc, char **argv);
int cmd_policy_digest(int argc, char **argv);
int cmd_audit_verify(int argc, char **argv);
int cmd_audit_show(int argc, char **argv);
int cmd_hooks(int argc, char **argv); /* argv[0]: install, status or remove */

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * help.h - the --help text, laid out like urfave/cli's (grouped by category).
 */
#ifndef RK_CLI_HELP_H
#define RK_CLI_HELP_H

#include <stdio.h>

/** rk_help_print - print the full help to @f. */
void rk_help_print(FILE *f);

#endif

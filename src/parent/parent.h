/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parent.h - the parent: owner of the state dir, the id maps and the child's life cycle.
 */
#ifndef RK_PARENT_PARENT_H
#define RK_PARENT_PARENT_H

#include "cli/options.h"
#include "cli/validate.h"

/**
 * rk_parent_run - run RootlessKit with a validated configuration and its chosen drivers.
 * Return: the process exit code (the command's, 255 for a signal, 1 for our own failures).
 */
int rk_parent_run(const struct rk_config *cfg, const struct rk_choice *choice);

#endif

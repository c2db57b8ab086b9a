/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parent.h - the parent: owner of the state dir, the id maps and the child's life cycle.
 */
#ifndef RK_PARENT_PARENT_H
#define RK_PARENT_PARENT_H

#include "cli/options.h"
#include "cli/validate.h"

#include <stdbool.h>

/**
 * rk_parent_run - run RootlessKit with a validated configuration and its chosen drivers.
 * Return: the process exit code (the command's, 255 for a signal, 1 for our own failures).
 */
int rk_parent_run(const struct rk_config *cfg, const struct rk_choice *choice);

struct rk_ports;
struct rk_port_driver;
struct rk_port_env;

/**
 * rk_publish_start - start port driver @ops (none and implicit have nothing to start: *@out
 * stays NULL) and publish the -p ports of env->cfg, running the loop while a driver works.
 * Return: 0; 1 after printing the error; -1 when *@abort became true (the child died).
 */
int rk_publish_start(struct rk_ports **out, const struct rk_port_driver *ops,
		     const struct rk_port_env *env, const bool *abort);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup.h - --evacuate-cgroup2 (SPEC 5.2).
 */
#ifndef RK_PARENT_CGROUP_H
#define RK_PARENT_CGROUP_H

/**
 * rk_cgroup_evacuate - move every process of our cgroup2 group G into G/@name and enable G's
 * controllers for subgroups. Individual failures only warn. Return: 0 or -errno.
 */
int rk_cgroup_evacuate(const char *name);

#endif

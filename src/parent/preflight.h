/* SPDX-License-Identifier: Apache-2.0 */
/*
 * preflight.h - host checks that only warn (root user, user-namespace sysctls, propagation).
 */
#ifndef RK_PARENT_PREFLIGHT_H
#define RK_PARENT_PREFLIGHT_H

/** rk_preflight - print the warnings of SPEC 1.1 step 2 that apply to this host. */
void rk_preflight(const char *propagation);

/** rk_preflight_apparmor_hint - explain an AppArmor user-namespace restriction, if one is on. */
void rk_preflight_apparmor_hint(void);

#endif

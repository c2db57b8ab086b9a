/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - diagnostics in RootlessKit's formats.
 *
 * Fatal errors are one plain line "[rootlesskit:<role>] error: <msg>" on stderr (SPEC 1.4).
 * Warnings, info and debug lines imitate logrus' text formatter: on a terminal
 * "WARN[0000] <msg>", otherwise time="<RFC3339>" level=warning msg="<quoted msg>".
 */
#ifndef RK_UTIL_LOG_H
#define RK_UTIL_LOG_H

#include <stdbool.h>
#include <stdarg.h>

enum rk_log_level { RK_LOG_DEBUG, RK_LOG_INFO, RK_LOG_WARN };

/**
 * rk_log_set_role - set the role printed in prefixes: "parent" or "child ". NULL: rk_log()'s
 * lines carry no "[rootlesskit:ROLE] " prefix (rootlesskit-docker-proxy's logrus warnings).
 */
void rk_log_set_role(const char *role);
/** rk_log_set_debug - enable or disable debug lines. */
void rk_log_set_debug(bool on);
/** rk_log_debug_enabled - whether --debug is on. */
bool rk_log_debug_enabled(void);

/** rk_log - print one log line at @level, prefixed with the role. */
void rk_log(enum rk_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define rk_warn(...) rk_log(RK_LOG_WARN, __VA_ARGS__)
#define rk_info(...) rk_log(RK_LOG_INFO, __VA_ARGS__)
#define rk_debug(...)                                                                              \
	do {                                                                                       \
		if (rk_log_debug_enabled())                                                        \
			rk_log(RK_LOG_DEBUG, __VA_ARGS__);                                         \
	} while (0)

/** rk_error - print "[rootlesskit:<role>] error: <msg>" on stderr. */
void rk_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** rk_die - rk_error() then _exit(1); only for option parsing and the child before exec. */
void rk_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif

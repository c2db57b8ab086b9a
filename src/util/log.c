// SPDX-License-Identifier: Apache-2.0
/*
 * log.c - diagnostics in the formats RootlessKit users grep for (see log.h).
 */
#include "util/log.h"
#include "util/goparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *rk_log_role = "parent";
static bool rk_log_debug_on;
static struct timespec rk_log_start;

void rk_log_set_role(const char *role)
{
	rk_log_role = role;
}

void rk_log_set_debug(bool on)
{
	rk_log_debug_on = on;
	clock_gettime(CLOCK_MONOTONIC, &rk_log_start);
}

bool rk_log_debug_enabled(void)
{
	return rk_log_debug_on;
}

static void rk_log_rfc3339(char buf[64])
{
	time_t now = time(NULL);
	struct tm tm;
	char off[32];

	localtime_r(&now, &tm);
	if (tm.tm_gmtoff == 0) {
		strftime(buf, 64, "%Y-%m-%dT%H:%M:%SZ", &tm);
		return;
	}
	strftime(off, sizeof(off), "%Y-%m-%dT%H:%M:%S", &tm);
	int m = (int)(labs(tm.tm_gmtoff) / 60) % (24 * 60);
	snprintf(buf, 64, "%s%c%02d:%02d", off, tm.tm_gmtoff < 0 ? '-' : '+', m / 60, m % 60);
}

void rk_log(enum rk_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"debug", "info", "warning"};
	static const char *const tty_names[] = {"DEBU", "INFO", "WARN"};
	char msg[2048], full[2200], quoted[4600], ts[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (rk_log_role)
		snprintf(full, sizeof(full), "[rootlesskit:%s] %s", rk_log_role, msg);
	else
		snprintf(full, sizeof(full), "%s", msg);

	if (isatty(STDERR_FILENO)) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		fprintf(stderr, "%s[%04ld] %s\n", tty_names[level],
			(long)(now.tv_sec - rk_log_start.tv_sec), full);
		return;
	}
	rk_log_rfc3339(ts);
	go_quote(full, quoted, sizeof(quoted));
	fprintf(stderr, "time=\"%s\" level=%s msg=%s\n", ts, names[level], quoted);
}

__attribute__((format(printf, 1, 0))) static void rk_verror(const char *fmt, va_list ap)
{
	char msg[4096];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "[rootlesskit:%s] error: %s\n", rk_log_role, msg);
	fflush(stderr);
}

void rk_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rk_verror(fmt, ap);
	va_end(ap);
}

void rk_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rk_verror(fmt, ap);
	va_end(ap);
	fflush(stdout);
	_exit(1);
}

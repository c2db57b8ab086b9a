// SPDX-License-Identifier: Apache-2.0
/*
 * err.c - error objects with context (see err.h).
 */
#include "util/err.h"
#include "util/goparse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void rk_err_clear(struct rk_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

static int rk_err_norm(int code)
{
	if (code < 0)
		code = -code;
	return code > 0 ? code : EIO;
}

__attribute__((format(printf, 3, 0))) static int rk_err_vset(struct rk_err *err, int code,
							     const char *fmt, va_list ap)
{
	code = rk_err_norm(code);
	if (!err)
		return -code;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return -code;
}

int rk_err_set(struct rk_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = rk_err_vset(err, code, fmt, ap);
	va_end(ap);
	return rc;
}

int rk_err_errno(struct rk_err *err, int code, const char *fmt, ...)
{
	char et[128];
	size_t n;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = rk_err_vset(err, code, fmt, ap);
	va_end(ap);
	if (!err)
		return rc;
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", go_errno_text(-rc, et, sizeof(et)));
	return rc;
}

int rk_err_wrap(struct rk_err *err, int code, const char *fmt, ...)
{
	char ctx[RK_ERR_MSG_MAX], et[128], old[RK_ERR_MSG_MAX];
	va_list ap;

	if (!err)
		return -rk_err_norm(code);
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	if (err->code == 0) {
		err->code = rk_err_norm(code);
		snprintf(err->msg, sizeof(err->msg), "%s: %s", ctx,
			 go_errno_text(err->code, et, sizeof(et)));
		return -err->code;
	}
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", ctx, old);
	return -err->code;
}

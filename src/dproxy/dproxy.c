// SPDX-License-Identifier: Apache-2.0
/*
 * dproxy.c - rootlesskit-docker-proxy, the `docker-proxy` stand-in of Docker < 28 (SPEC §10.3).
 *
 * Theory of operation. dockerd (in rootlesskit's child namespaces) runs its userland proxy
 * once per published port, `PROXY -proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip
 * 172.17.0.2 -container-port 80`, with a pipe on fd 3 on which the proxy answers `0\n` once it
 * listens or `1\n<error>` when it cannot; dockerd stops it with SIGINT. This program:
 *
 *  1. asks rootlesskit's REST API ($ROOTLESSKIT_STATE_DIR/api.sock) for its info;
 *  2. when there is no port driver (none, implicit: the port is reachable without us) execs
 *     the real docker-proxy with the same arguments;
 *  3. otherwise publishes HOST_IP:HOST_PORT on the host through the API, towards the child's
 *     127.0.0.1 or ::1 (or the child's own IP when the port driver forbids loopback, i.e.
 *     slirp4netns), with the proto made explicit (`tcp4`/`tcp6` by the host IP's family) and
 *     skipped with a warning and `0\n` when the port driver lacks that proto (upstream #250);
 *  4. runs the real docker-proxy from that child address to the container, handing it fd 3 so
 *     that dockerd reads the real proxy's own status;
 *  5. on SIGINT (or SIGTERM, which dockerd's death sends through PDEATHSIG; upstream dies
 *     there and leaves the port published) kills the real proxy and removes the port.
 *
 * Failures are written to fd 3 as `1\n<text>` and logged on stderr Go's way, exit status 1;
 * the texts are upstream's. Signals are blocked from the start, so a SIGINT that arrives while
 * the port is being added is acted on right after, not lost, and no port is left behind.
 */
#include "dproxy/dproxy.h"
#include "api/gojson.h"
#include "api/json.h"
#include "ctl/ctl.h"
#include "util/goip.h"
#include "util/goparse.h"
#include "util/goquote.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RK_DPROXY_STATUS_FD 3
#define RK_DPROXY_REAL	    "docker-proxy"

/* argv words of the real proxy (execv wants char *) */
static char rk_dproxy_real[] = RK_DPROXY_REAL, rk_dproxy_f_cip[] = "-container-ip",
	    rk_dproxy_f_cport[] = "-container-port", rk_dproxy_f_hip[] = "-host-ip",
	    rk_dproxy_f_hport[] = "-host-port", rk_dproxy_f_proto[] = "-proto";

/* What one run found out and holds. */
struct rk_dproxy {
	struct rk_dproxy_args args;
	char **argv;
	char sock[PATH_MAX];
	struct rk_api_info info;
	char child_ip[RK_API_IP_MAX];
	long long port_id; /* 0: no port published */
	pid_t real;	   /* the real docker-proxy, 0 when not running */
	sigset_t sigs;	   /* blocked: INT, TERM, CHLD */
};

/* Go's log.Print prefix: local "2006/01/02 15:04:05 ". */
static void rk_dproxy_log_time(FILE *f)
{
	time_t t = time(NULL);
	struct tm tm;
	char buf[32];

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y/%m/%d %H:%M:%S", &tm);
	fprintf(f, "%s ", buf);
}

/* Write all of @s to the status fd; dockerd may be gone, so errors are ignored. */
static void rk_dproxy_status(const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(RK_DPROXY_STATUS_FD, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* upstream's isIPv6: a valid IP that is not IPv4 (nor IPv4-mapped). */
static bool rk_dproxy_is_ipv6(const char *s)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	uint8_t ip[16];

	return go_ip_parse(s, ip) && memcmp(ip, v4mapped, sizeof(v4mapped));
}

/*
 * Go's exec.LookPath(@name) over $PATH: the first regular file with an execute bit. As in Go
 * 1.19, a match in a relative directory (an empty element is ".") is refused, not run.
 * Return: 0 (@out filled) or -1 (@e set, Go's text).
 */
static int rk_dproxy_lookpath(const char *name, char *out, size_t len, struct rk_ctl_err *e)
{
	const char *p = getenv("PATH"), *end;
	struct stat st;

	for (; p; p = *end ? end + 1 : NULL) {
		int dlen, n;

		end = strchrnul(p, ':');
		dlen = (int)(end - p);
		n = snprintf(out, len, "%.*s/%s", dlen ? dlen : 1, dlen ? p : ".", name);
		if (n < 0 || (size_t)n >= len || stat(out, &st) || !S_ISREG(st.st_mode) ||
		    !(st.st_mode & 0111))
			continue;
		if (out[0] != '/')
			return rk_ctl_errf(e,
					   "exec: \"%s\": cannot run executable found relative to "
					   "current directory",
					   name);
		return 0;
	}
	return rk_ctl_errf(e, "exec: \"%s\": executable file not found in $PATH", name);
}

/* Go's net.JoinHostPort(host, port) into @out. */
static void rk_dproxy_join(const char *host, int64_t port, char *out, size_t len)
{
	if (strchr(host, ':'))
		snprintf(out, len, "[%s]:%" PRId64, host, port);
	else
		snprintf(out, len, "%s:%" PRId64, host, port);
}

/* The POST /v1/ports body: json.Marshal(port.Spec) with empty fields omitted. */
static int rk_dproxy_spec_body(const struct rk_dproxy *d, const char *proto,
			       struct rk_gojson_buf *b)
{
	char num[32];

	rk_gojson_buf_init(b, 1u << 20);
	rk_gojson_put(b, "{\"proto\":", 9);
	rk_gojson_put_string(b, proto, strlen(proto));
	if (*d->args.host_ip) {
		rk_gojson_put(b, ",\"parentIP\":", 12);
		rk_gojson_put_string(b, d->args.host_ip, strlen(d->args.host_ip));
	}
	if (d->args.host_port) {
		snprintf(num, sizeof(num), "%" PRId64, d->args.host_port);
		rk_gojson_put(b, ",\"parentPort\":", 14);
		rk_gojson_put(b, num, strlen(num));
		rk_gojson_put(b, ",\"childPort\":", 13);
		rk_gojson_put(b, num, strlen(num));
	}
	rk_gojson_put(b, ",\"childIP\":", 11);
	rk_gojson_put_string(b, d->child_ip, strlen(d->child_ip));
	rk_gojson_put(b, "}", 1);
	return b->err;
}

/* POST /v1/ports; d->port_id gets the new port's ID. */
static int rk_dproxy_add_port(struct rk_dproxy *d, const char *proto, struct rk_ctl_err *e)
{
	struct rk_api_port_status st;
	struct rk_gojson_buf b;
	int rc;

	if (rk_dproxy_spec_body(d, proto, &b)) {
		rk_gojson_buf_free(&b);
		return rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
	}
	rc = rk_ctl_add_port(d->sock, b.data, b.len, &st, e);
	rk_gojson_buf_free(&b);
	if (!rc)
		d->port_id = st.id;
	return rc;
}

/* DELETE /v1/ports/{id}; a failure is only a warning, as upstream. */
static void rk_dproxy_remove_port(struct rk_dproxy *d)
{
	struct rk_ctl_err e = {0};

	if (!d->port_id)
		return;
	if (rk_ctl_remove_port(d->sock, d->port_id, &e) && e.msg)
		rk_warn("error while calling PortManager.RemovePort(): %s", e.msg);
	free(e.msg);
	d->port_id = 0;
}

/* Ports and protos are carried as the decimal text Go's strconv.Itoa prints. */
static void rk_dproxy_itoa(int64_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRId64, v);
}

/*
 * Start the real docker-proxy from the child address to the container, with fd 3 and
 * PDEATHSIG SIGKILL as upstream gives it. An exec failure comes back through a CLOEXEC pipe
 * (Go's `fork/exec <path>: <errno text>`).
 */
static int rk_dproxy_start_real(struct rk_dproxy *d, struct rk_ctl_err *e)
{
	char exe[PATH_MAX], cport[24], hport[24];
	char *argv[] = {rk_dproxy_real, rk_dproxy_f_cip,   NULL,	rk_dproxy_f_cport,
			cport,		rk_dproxy_f_hip,   d->child_ip, rk_dproxy_f_hport,
			hport,		rk_dproxy_f_proto, NULL,	NULL};
	int pfd[2], err = 0;
	pid_t parent = getpid(), pid;
	ssize_t n;

	if (rk_dproxy_lookpath(RK_DPROXY_REAL, exe, sizeof(exe), e))
		return -1;
	rk_dproxy_itoa(d->args.container_port, cport, sizeof(cport));
	rk_dproxy_itoa(d->args.host_port, hport, sizeof(hport));
	argv[2] = d->args.container_ip;
	argv[10] = d->args.proto;
	if (pipe2(pfd, O_CLOEXEC))
		return rk_ctl_errf(e, "fork/exec %s: %s", exe, go_strerror(errno));
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(pfd[0]);
		close(pfd[1]);
		return rk_ctl_errf(e, "fork/exec %s: %s", exe, go_strerror(err));
	}
	if (pid == 0) {
		sigset_t none;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		execv(exe, argv);
		err = errno;
		(void)!write(pfd[1], &err, sizeof(err));
		_exit(127);
	}
	close(pfd[1]);
	do {
		n = read(pfd[0], &err, sizeof(err));
	} while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof(err)) {
		waitpid(pid, NULL, 0);
		return rk_ctl_errf(e, "fork/exec %s: %s", exe, go_strerror(err));
	}
	d->real = pid;
	/* The real proxy has its own copy of the status pipe: dropping ours lets dockerd see EOF
	 * as soon as the real one writes `1\n<error>` and exits (dockerd reads the error text to
	 * EOF; upstream keeps fd 3 open, and dockerd times out after 16 s instead). */
	close(RK_DPROXY_STATUS_FD);
	return 0;
}

/* Exec the real docker-proxy in our place with our arguments (no port driver to talk to). */
static int rk_dproxy_exec_real(struct rk_dproxy *d, struct rk_ctl_err *e)
{
	char exe[PATH_MAX];

	if (rk_dproxy_lookpath(RK_DPROXY_REAL, exe, sizeof(exe), e))
		return -1;
	d->argv[0] = rk_dproxy_real;
	sigprocmask(SIG_UNBLOCK, &d->sigs, NULL);
	signal(SIGPIPE, SIG_DFL);
	execv(exe, d->argv);
	return rk_ctl_errf(e, "%s", go_strerror(errno));
}

/* Wait for SIGINT or SIGTERM, reaping the real proxy if it ends first (its status is its own). */
static void rk_dproxy_wait_stop(struct rk_dproxy *d)
{
	for (;;) {
		int sig = sigwaitinfo(&d->sigs, NULL);
		if (sig == SIGINT || sig == SIGTERM)
			return;
		if (sig == SIGCHLD && d->real && waitpid(d->real, NULL, WNOHANG) == d->real)
			d->real = 0;
	}
}

/* upstream's protocolUnsupportedError, logged as a warning (#250: the port is skipped). */
static void rk_dproxy_unsupported(const struct rk_dproxy *d, const char *proto)
{
	const struct rk_api_port_info *pi = &d->info.port;
	char where[160], qwhere[400], qproto[80], qdriver[160];

	go_strconv_quote(proto, strlen(proto), qproto, sizeof(qproto));
	go_strconv_quote(pi->driver, strlen(pi->driver), qdriver, sizeof(qdriver));
	rk_dproxy_join(d->args.host_ip, d->args.host_port, where, sizeof(where));
	go_strconv_quote(where, strlen(where), qwhere, sizeof(qwhere));
	rk_warn("protocol %s is not supported by the RootlessKit port driver %s, discarding "
		"request for %s",
		qproto, qdriver, qwhere);
}

/*
 * Steps 1-4 of the theory of operation. Return: 0 when the real proxy runs (or the proto is
 * skipped: *@skipped set), -1 with @e set otherwise.
 */
static int rk_dproxy_setup(struct rk_dproxy *d, bool *skipped, struct rk_ctl_err *e)
{
	const char *dir = getenv("ROOTLESSKIT_STATE_DIR");
	struct rk_ctl ctl = {0};
	struct rk_api_port_info *pi = &d->info.port;
	const char *p = d->args.proto;
	size_t plen = strlen(p);
	char *proto = NULL;
	bool found = false;
	int rc;

	if (!dir || !*dir)
		return rk_ctl_errf(e, "$ROOTLESSKIT_STATE_DIR needs to be set");
	if (rk_ctl_socket_path(&ctl, d->sock, sizeof(d->sock), e))
		return rk_ctl_errf(e, "error while connecting to RootlessKit API socket: %s",
				   e->msg);
	if (rk_ctl_get_info(d->sock, &d->info, e))
		return rk_ctl_errf(
		    e,
		    "failed to call info API, probably RootlessKit binary is too old "
		    "(needs to be v0.14.0 or later): %s",
		    e->msg);
	if (!d->info.has_port || !strcmp(pi->driver, "none") || !strcmp(pi->driver, "implicit"))
		return rk_dproxy_exec_real(d, e);

	snprintf(d->child_ip, sizeof(d->child_ip), "%s",
		 rk_dproxy_is_ipv6(d->args.host_ip) ? "::1" : "127.0.0.1");
	if (pi->disallow_loopback_child_ip) {
		if (!d->info.has_net || !d->info.net.child_ip[0])
			return rk_ctl_errf(e,
					   "port driver (\"%s\") does not allow loopback child IP, "
					   "but network driver (\"%s\") has no non-loopback IP",
					   pi->driver, d->info.has_net ? d->info.net.driver : "");
		snprintf(d->child_ip, sizeof(d->child_ip), "%s", d->info.net.child_ip);
	}

	/* "tcp" becomes "tcp4"/"tcp6" by the host IP's family (libnetwork >= 20201216) */
	if (asprintf(&proto, "%s%s", p,
		     plen && (p[plen - 1] == '4' || p[plen - 1] == '6') ? ""
		     : rk_dproxy_is_ipv6(d->args.host_ip)		? "6"
									: "4") < 0)
		return rk_ctl_errf(e, "%s", go_strerror(ENOMEM));
	for (size_t i = 0; i < pi->n_protos; i++)
		found = found || !strcmp(pi->protos[i], proto);
	if (!found) {
		rk_dproxy_unsupported(d, proto);
		free(proto);
		*skipped = true;
		return 0;
	}
	rc = rk_dproxy_add_port(d, proto, e);
	free(proto);
	if (rc)
		return rk_ctl_errf(e, "error while calling PortManager.AddPort(): %s", e->msg);
	if (rk_dproxy_start_real(d, e))
		return rk_ctl_errf(e, "error while starting %s: %s", RK_DPROXY_REAL, e->msg);
	return 0;
}

/* fd 3 must be ours to write to: when it is not open, park /dev/null there, so that no socket
 * opened later lands on it and gets the status text. */
static void rk_dproxy_reserve_status_fd(void)
{
	int fd;

	if (fcntl(RK_DPROXY_STATUS_FD, F_GETFD) >= 0)
		return;
	fd = open("/dev/null", O_WRONLY);
	if (fd >= 0 && fd != RK_DPROXY_STATUS_FD) {
		dup2(fd, RK_DPROXY_STATUS_FD);
		close(fd);
	}
}

int rk_dproxy_main(int argc, char **argv)
{
	struct rk_dproxy *d = calloc(1, sizeof(*d));
	struct rk_ctl_err e = {0};
	char err[512];
	bool skipped = false;
	int rc = 0;

	rk_dproxy_reserve_status_fd();
	rk_log_set_role(NULL); /* upstream's logrus lines have no [rootlesskit:...] prefix */
	/* dockerd may have closed the status pipe (it gave up after 16 s): a write there must
	 * fail with EPIPE, not kill us before the port is removed (Go ignores it the same way) */
	signal(SIGPIPE, SIG_IGN);
	if (!d) {
		rk_dproxy_status("1\n", 2);
		return 1;
	}
	switch (rk_dproxy_parse(argc, argv, &d->args, err, sizeof(err))) {
	case RK_DPROXY_ARGS_HELP:
		rk_dproxy_usage(stderr, argv[0]);
		free(d);
		return 0;
	case RK_DPROXY_ARGS_BAD:
		fprintf(stderr, "%s\n", err);
		rk_dproxy_usage(stderr, argv[0]);
		free(d);
		return 2;
	case RK_DPROXY_ARGS_OK:
		break;
	}
	d->argv = argv;
	sigemptyset(&d->sigs);
	sigaddset(&d->sigs, SIGINT);
	sigaddset(&d->sigs, SIGTERM);
	sigaddset(&d->sigs, SIGCHLD);
	sigprocmask(SIG_BLOCK, &d->sigs, NULL);

	if (rk_dproxy_setup(d, &skipped, &e)) {
		rk_dproxy_remove_port(d);
		rk_dproxy_status("1\n", 2);
		rk_dproxy_status(e.msg ? e.msg : "", e.msg ? e.len : 0);
		rk_dproxy_log_time(stderr);
		fprintf(stderr, "%s\n", e.msg ? e.msg : "");
		rc = 1;
	} else if (skipped) {
		rk_dproxy_status("0\n", 2); /* upstream #250: dockerd goes on without this port */
	} else {
		rk_dproxy_wait_stop(d);
		if (d->real) {
			kill(d->real, SIGKILL);
			waitpid(d->real, NULL, 0);
		}
		rk_dproxy_remove_port(d);
	}
	free(e.msg);
	free(d);
	return rc;
}

// SPDX-License-Identifier: Apache-2.0
/*
 * dhcp.c - the DHCPv4 client of the lxc-user-nic driver (see dhcp.h): strict packet building and
 * parsing, and a non-blocking DISCOVER/OFFER/REQUEST/ACK state machine over one UDP socket.
 *
 * Theory of operation. The client is IDLE until rk_dhcp_start(), which picks a random xid and
 * broadcasts a DHCPDISCOVER: state SELECTING. The first valid OFFER (our xid and chaddr, with a
 * server id and a non-zero address) is answered by a broadcast DHCPREQUEST naming that server
 * and address: state REQUESTING, same xid. There, an ACK from the chosen server ends the exchange
 * with a lease (if it passes rk_dhcp_reply_lease()) and a NAK ends it with "did not get
 * DHCPACK"; either way the client is IDLE again. Everything else on the socket - garbage, other
 * xids, OFFERs once requesting, replies from other servers - is dropped and counted, so a noisy
 * link cannot end an exchange early.
 *
 * Time: each phase (SELECTING, REQUESTING) starts a 30 s deadline and sends its packet at once,
 * then again 1, 2, 4, 4, ... s later until the deadline, which fails the exchange ("did not get
 * DHCPACK", ETIMEDOUT). The machine only keeps monotonic instants; the caller's loop asks
 * rk_dhcp_next_timeout_ms() and calls rk_dhcp_timeout() when due (early calls are harmless).
 *
 * Without an address the reply can only reach us as a broadcast, so every request sets the
 * BOOTP broadcast flag; the socket is bound to the device (SO_BINDTODEVICE) so that neither
 * requests nor replies cross to another interface of the namespace. The kernel's reverse-path
 * filter applies to these replies: with rp_filter 1 or 2 (new namespaces inherit the host's
 * value, and Debian's default is 2) and no route to the server, the kernel drops them before
 * they reach any UDP socket (raw-socket clients such as upstream's do not have that limit). So
 * the caller must give the device a route first, e.g. a temporary on-link "default dev <dev>"
 * (which passes strict and loose mode), or set conf/{all,<dev>}/rp_filter to 0.
 */
#include "net/dhcp.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

/* BOOTP header (RFC 2131 section 2) offsets, then the magic cookie and the options. */
#define OFF_OP	    0
#define OFF_HTYPE   1
#define OFF_HLEN    2
#define OFF_XID	    4
#define OFF_SECS    8
#define OFF_FLAGS   10
#define OFF_YIADDR  16
#define OFF_CHADDR  28
#define OFF_COOKIE  236
#define OFF_OPTIONS 240
#define BOOTP_MIN   300 /* RFC 1542: relays may drop shorter BOOTP packets */

#define BOOTREQUEST    1
#define BOOTREPLY      2
#define HTYPE_ETHER    1
#define FLAG_BROADCAST 0x8000
#define RECV_MAX       2048 /* > 1500: anything longer is truncated, hence dropped */
#define INPUT_BATCH    64   /* datagrams read per rk_dhcp_input() call */
#define NS_PER_MS      1000000LL
#define NS_PER_SEC     1000000000LL

enum {
	OPT_PAD = 0,
	OPT_MASK = 1,
	OPT_ROUTER = 3,
	OPT_DNS = 6,
	OPT_DOMAIN = 15,
	OPT_REQUESTED_IP = 50,
	OPT_LEASE = 51,
	OPT_MSG_TYPE = 53,
	OPT_SERVER_ID = 54,
	OPT_PARAMS = 55,
	OPT_MAX_SIZE = 57,
	OPT_T1 = 58,
	OPT_T2 = 59,
	OPT_CLIENT_ID = 61,
	OPT_END = 255,
};

static const unsigned char cookie[4] = {99, 130, 83, 99};
static const unsigned char params[] = {OPT_MASK,  OPT_ROUTER,	 OPT_DNS, OPT_DOMAIN,
				       OPT_LEASE, OPT_SERVER_ID, OPT_T1,  OPT_T2};

enum rk_dhcp_state {
	ST_IDLE,
	ST_SELECTING,  /* DISCOVER sent, waiting for an OFFER */
	ST_REQUESTING, /* REQUEST sent, waiting for the ACK */
};

struct rk_dhcp {
	int fd;
	char ifname[IF_NAMESIZE];
	unsigned char mac[6];
	enum rk_dhcp_state state;
	uint32_t xid;
	struct in_addr offered, server; /* the OFFER being requested */
	struct in_addr last_ip;		/* last bound address, asked for again on the next start */
	int64_t started;		/* CLOCK_MONOTONIC ns: exchange start (for "secs") */
	int64_t deadline;		/* end of the current phase */
	int64_t next_tx;		/* next retransmission */
	unsigned int sent;		/* transmissions in the current phase */
	unsigned long dropped;
	unsigned char buf[RECV_MAX];
};

/* ---- packets ---- */

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Options writer: appends TLVs to @p, never past @cap. */
struct optw {
	unsigned char *p;
	size_t cap, n;
	bool overflow;
};

static void opt_put(struct optw *w, unsigned int code, const void *val, size_t len)
{
	if (w->overflow || len > 255 || w->cap - w->n < len + 2) {
		w->overflow = true;
		return;
	}
	w->p[w->n++] = (unsigned char)code;
	w->p[w->n++] = (unsigned char)len;
	if (len)
		memcpy(w->p + w->n, val, len);
	w->n += len;
}

static int build(void *buf, size_t cap, int type, uint32_t xid, uint16_t secs,
		 const unsigned char mac[6], struct in_addr ip, struct in_addr server)
{
	unsigned char *p = buf;
	unsigned char client_id[7], max_size[2], mtype = (unsigned char)type;
	struct optw w;

	if (cap < BOOTP_MIN)
		return -ENOSPC;
	memset(p, 0, cap);
	p[OFF_OP] = BOOTREQUEST;
	p[OFF_HTYPE] = HTYPE_ETHER;
	p[OFF_HLEN] = 6;
	put_be32(p + OFF_XID, xid);
	p[OFF_SECS] = (unsigned char)(secs >> 8);
	p[OFF_SECS + 1] = (unsigned char)secs;
	p[OFF_FLAGS] = FLAG_BROADCAST >> 8;
	memcpy(p + OFF_CHADDR, mac, 6);
	memcpy(p + OFF_COOKIE, cookie, sizeof(cookie));

	w = (struct optw){.p = p, .cap = cap - 1 /* room for the end option */, .n = OFF_OPTIONS};
	client_id[0] = HTYPE_ETHER;
	memcpy(client_id + 1, mac, 6);
	max_size[0] = RK_DHCP_MAX_MSG_SIZE >> 8;
	max_size[1] = RK_DHCP_MAX_MSG_SIZE & 0xff;
	opt_put(&w, OPT_MSG_TYPE, &mtype, 1);
	opt_put(&w, OPT_CLIENT_ID, client_id, sizeof(client_id));
	if (ip.s_addr)
		opt_put(&w, OPT_REQUESTED_IP, &ip.s_addr, 4);
	if (type == RK_DHCP_REQUEST)
		opt_put(&w, OPT_SERVER_ID, &server.s_addr, 4);
	opt_put(&w, OPT_PARAMS, params, sizeof(params));
	opt_put(&w, OPT_MAX_SIZE, max_size, sizeof(max_size));
	if (w.overflow)
		return -ENOSPC;
	p[w.n++] = OPT_END;
	return w.n < BOOTP_MIN ? BOOTP_MIN : (int)w.n;
}

int rk_dhcp_build_discover(void *buf, size_t cap, uint32_t xid, uint16_t secs,
			   const unsigned char mac[6], struct in_addr hint)
{
	return build(buf, cap, RK_DHCP_DISCOVER, xid, secs, mac, hint, (struct in_addr){0});
}

int rk_dhcp_build_request(void *buf, size_t cap, uint32_t xid, uint16_t secs,
			  const unsigned char mac[6], struct in_addr ip, struct in_addr server)
{
	if (!ip.s_addr || !server.s_addr)
		return -EINVAL;
	return build(buf, cap, RK_DHCP_REQUEST, xid, secs, mac, ip, server);
}

/* Prefix length of a contiguous, non-zero netmask; -1 otherwise. */
static int mask_prefix(struct in_addr mask)
{
	uint32_t m = ntohl(mask.s_addr), inv = ~m;

	if (m == 0 || (inv & (inv + 1)) != 0)
		return -1;
	return __builtin_popcount(m);
}

/* Append the addresses of a list option (length already checked) to @arr, up to the limit. */
static void add_addrs(struct in_addr *arr, int *n, const unsigned char *v, size_t len)
{
	for (size_t i = 0; i + 4 <= len && *n < RK_DHCP_MAX_ADDRS; i += 4)
		memcpy(&arr[(*n)++].s_addr, v + i, 4);
}

/* One option: check its length, store it. @seen marks single-valued options already met. */
static int parse_option(unsigned int code, const unsigned char *v, size_t len, bool seen[256],
			struct rk_dhcp_reply *out)
{
	switch (code) {
	case OPT_ROUTER:
	case OPT_DNS:
		if (len == 0 || len % 4)
			return -EBADMSG;
		if (code == OPT_ROUTER)
			add_addrs(out->router, &out->nrouter, v, len);
		else
			add_addrs(out->dns, &out->ndns, v, len);
		return 0;
	case OPT_MSG_TYPE:
	case OPT_MASK:
	case OPT_SERVER_ID:
	case OPT_LEASE:
	case OPT_T1:
	case OPT_T2:
		break;
	default:
		return 0; /* unknown or unused (including 52, overload): ignored */
	}
	if (seen[code] || len != (code == OPT_MSG_TYPE ? 1u : 4u))
		return -EBADMSG;
	seen[code] = true;
	switch (code) {
	case OPT_MSG_TYPE:
		out->msg_type = v[0];
		break;
	case OPT_MASK:
		memcpy(&out->mask.s_addr, v, 4);
		if (mask_prefix(out->mask) < 0)
			return -EBADMSG;
		out->has_mask = 1;
		break;
	case OPT_SERVER_ID:
		memcpy(&out->server_id.s_addr, v, 4);
		out->has_server_id = 1;
		break;
	case OPT_LEASE:
		out->lease_secs = get_be32(v);
		out->has_lease = 1;
		break;
	case OPT_T1:
		out->t1_secs = get_be32(v);
		out->has_t1 = 1;
		break;
	default: /* OPT_T2 */
		out->t2_secs = get_be32(v);
		out->has_t2 = 1;
		break;
	}
	return 0;
}

static int parse_options(const unsigned char *p, size_t len, struct rk_dhcp_reply *out)
{
	bool seen[256] = {false};
	size_t i = 0;
	int r;

	for (;;) {
		unsigned int code, olen;

		if (i >= len)
			return -EBADMSG; /* no end option */
		code = p[i++];
		if (code == OPT_PAD)
			continue;
		if (code == OPT_END)
			break;
		if (i >= len)
			return -EBADMSG;
		olen = p[i++];
		if (olen > len - i)
			return -EBADMSG;
		r = parse_option(code, p + i, olen, seen, out);
		if (r < 0)
			return r;
		i += olen;
	}
	for (; i < len; i++)
		if (p[i] != OPT_PAD && p[i] != OPT_END)
			return -EBADMSG;
	return seen[OPT_MSG_TYPE] ? 0 : -EBADMSG;
}

int rk_dhcp_parse(const void *buf, size_t len, uint32_t xid, const unsigned char mac[6],
		  struct rk_dhcp_reply *out)
{
	const unsigned char *p = buf;

	memset(out, 0, sizeof(*out));
	if (!p || len < OFF_OPTIONS)
		return -EBADMSG;
	if (memcmp(p + OFF_COOKIE, cookie, sizeof(cookie)) != 0)
		return -EBADMSG;
	if (p[OFF_OP] != BOOTREPLY || p[OFF_HTYPE] != HTYPE_ETHER || p[OFF_HLEN] != 6 ||
	    get_be32(p + OFF_XID) != xid || memcmp(p + OFF_CHADDR, mac, 6) != 0)
		return -ENOMSG;
	memcpy(&out->yiaddr.s_addr, p + OFF_YIADDR, 4);
	return parse_options(p + OFF_OPTIONS, len - OFF_OPTIONS, out);
}

/*
 * Classful default (RFC 791 classes) for a reply without a subnet mask, as other clients do:
 * class A /8, B /16, C /24; anything above (D/E, never a valid lease) gets /32.
 */
static int classful_prefix(struct in_addr ip)
{
	uint32_t first = ntohl(ip.s_addr) >> 24;

	if (first < 128)
		return 8;
	if (first < 192)
		return 16;
	if (first < 224)
		return 24;
	return 32;
}

int rk_dhcp_reply_lease(const struct rk_dhcp_reply *r, struct rk_dhcp_lease *lease,
			struct rk_err *err)
{
	int plen;

	memset(lease, 0, sizeof(*lease));
	if (r->msg_type != RK_DHCP_ACK)
		return rk_err_set(err, EPROTO, "did not get DHCPACK");
	if (r->yiaddr.s_addr == 0)
		return rk_err_set(err, EPROTO, "got zero YourIPAddr");
	if (r->nrouter == 0)
		return rk_err_set(err, EPROTO, "got no Router");
	if (r->ndns == 0)
		return rk_err_set(err, EPROTO, "got no DNS");
	lease->ip = r->yiaddr;
	/* rk_dhcp_parse() only lets valid masks through; a hand-made reply may not */
	plen = r->has_mask ? mask_prefix(r->mask) : -1;
	if (plen < 1 || plen > 32)
		plen = classful_prefix(r->yiaddr);
	lease->prefixlen = plen;
	lease->mask.s_addr = htonl(~0u << (32 - plen));
	lease->router = r->router[0];
	lease->server = r->server_id;
	for (int i = 0; i < r->ndns && i < (int)(sizeof(lease->dns) / sizeof(lease->dns[0])); i++)
		lease->dns[lease->ndns++] = r->dns[i];
	lease->lease_secs = r->has_lease ? r->lease_secs : RK_DHCP_DEFAULT_LEASE;
	return 0;
}

/* ---- client ---- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static uint32_t random_xid(void)
{
	uint32_t x;

	if (getrandom(&x, sizeof(x), GRND_NONBLOCK) == (ssize_t)sizeof(x))
		return x;
	/* no entropy yet: the xid only has to differ between exchanges and clients */
	x = (uint32_t)now_ns() ^ (uint32_t)getpid() << 16;
	return x * 2654435761u;
}

int rk_dhcp_new(const char *ifname, const unsigned char mac[6], struct rk_dhcp **out,
		struct rk_err *err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(RK_DHCP_CLIENT_PORT)};
	rk_autoclose int fd = -1;
	struct rk_dhcp *d;
	size_t n;
	int one = 1;

	*out = NULL;
	n = ifname ? strlen(ifname) : 0;
	if (n == 0 || n >= IF_NAMESIZE)
		return rk_err_set(err, EINVAL, "dhcp: invalid interface name \"%s\"",
				  ifname ? ifname : "");
	if (!mac)
		return rk_err_set(err, EINVAL, "dhcp on %s: no hardware address", ifname);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return rk_err_errno(err, errno, "dhcp on %s: socket", ifname);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0)
		return rk_err_errno(err, errno, "dhcp on %s: setsockopt", ifname);
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)n + 1) < 0)
		return rk_err_errno(err, errno, "dhcp on %s: setsockopt SO_BINDTODEVICE", ifname);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return rk_err_errno(err, errno, "dhcp on %s: bind 0.0.0.0:68", ifname);
	d = calloc(1, sizeof(*d));
	if (!d)
		return rk_err_errno(err, ENOMEM, "dhcp on %s", ifname);
	memcpy(d->ifname, ifname, n + 1);
	memcpy(d->mac, mac, 6);
	d->state = ST_IDLE;
	d->fd = rk_steal_fd(&fd);
	*out = d;
	return 0;
}

int rk_dhcp_fd(const struct rk_dhcp *d)
{
	return d->fd;
}

unsigned long rk_dhcp_dropped(const struct rk_dhcp *d)
{
	return d->dropped;
}

void rk_dhcp_free(struct rk_dhcp *d)
{
	if (!d)
		return;
	rk_close(&d->fd);
	free(d);
}

/* Build and broadcast the packet of the current state. Send errors that a retransmission can
 * cure (full buffers) are not failures. */
static int send_current(struct rk_dhcp *d, int64_t now, struct rk_err *err)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(RK_DHCP_SERVER_PORT),
				 .sin_addr.s_addr = htonl(INADDR_BROADCAST)};
	unsigned char pkt[RK_DHCP_REQ_MAX];
	int64_t secs = (now - d->started) / NS_PER_SEC;
	uint16_t s16 = secs > 0xffff ? 0xffff : (uint16_t)secs;
	bool discover = d->state == ST_SELECTING;
	int len;
	ssize_t w;

	if (discover)
		len = rk_dhcp_build_discover(pkt, sizeof(pkt), d->xid, s16, d->mac, d->last_ip);
	else
		len = rk_dhcp_build_request(pkt, sizeof(pkt), d->xid, s16, d->mac, d->offered,
					    d->server);
	if (len < 0)
		return rk_err_errno(err, -len, "dhcp on %s: build", d->ifname);
	do
		w = sendto(d->fd, pkt, (size_t)len, 0, (const struct sockaddr *)&to, sizeof(to));
	while (w < 0 && errno == EINTR);
	if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
		return rk_err_errno(err, errno, "dhcp on %s: send %s", d->ifname,
				    discover ? "DHCPDISCOVER" : "DHCPREQUEST");
	d->sent++;
	d->next_tx = now + (d->sent >= 3 ? 4 : (int64_t)d->sent) * NS_PER_SEC;
	return 0;
}

/* Enter @state: new 30 s phase, first transmission now. */
static int enter_phase(struct rk_dhcp *d, enum rk_dhcp_state state, struct rk_err *err)
{
	int64_t now = now_ns();
	int r;

	d->state = state;
	d->deadline = now + (int64_t)RK_DHCP_PHASE_TIMEOUT_MS * NS_PER_MS;
	d->sent = 0;
	r = send_current(d, now, err);
	if (r < 0)
		d->state = ST_IDLE;
	return r;
}

/* Read one datagram into d->buf. Return: its length, 0 if it must be dropped, -EAGAIN when
 * the queue is empty, other -errno on socket errors. */
static ssize_t recv_one(struct rk_dhcp *d)
{
	struct sockaddr_in src;
	struct iovec iov = {.iov_base = d->buf, .iov_len = sizeof(d->buf)};
	struct msghdr mh = {
	    .msg_name = &src, .msg_namelen = sizeof(src), .msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	do
		n = recvmsg(d->fd, &mh, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if ((mh.msg_flags & MSG_TRUNC) || mh.msg_namelen < sizeof(src) ||
	    src.sin_family != AF_INET || src.sin_port != htons(RK_DHCP_SERVER_PORT) || n == 0) {
		d->dropped++;
		return 0;
	}
	return n;
}

/* Discard whatever is queued (bounded). */
static void drain(struct rk_dhcp *d)
{
	for (int i = 0; i < 4 * INPUT_BATCH; i++) {
		ssize_t n = recv_one(d);

		if (n == -EAGAIN)
			return;
		if (n > 0)
			d->dropped++;
	}
}

int rk_dhcp_start(struct rk_dhcp *d, struct rk_err *err)
{
	drain(d);
	d->xid = random_xid();
	d->offered.s_addr = 0;
	d->server.s_addr = 0;
	d->started = now_ns();
	return enter_phase(d, ST_SELECTING, err);
}

/* One datagram of @len bytes in d->buf. Return as rk_dhcp_input(). */
static int handle(struct rk_dhcp *d, size_t len, struct rk_dhcp_lease *lease, struct rk_err *err)
{
	struct rk_dhcp_reply r;
	int rc;

	if (rk_dhcp_parse(d->buf, len, d->xid, d->mac, &r) < 0)
		goto drop;
	if (d->state == ST_SELECTING) {
		if (r.msg_type != RK_DHCP_OFFER || !r.has_server_id || r.yiaddr.s_addr == 0)
			goto drop;
		d->offered = r.yiaddr;
		d->server = r.server_id;
		return enter_phase(d, ST_REQUESTING, err);
	}
	/* ST_REQUESTING: only the chosen server's verdict counts */
	if ((r.msg_type != RK_DHCP_ACK && r.msg_type != RK_DHCP_NAK) ||
	    (r.has_server_id && r.server_id.s_addr != d->server.s_addr))
		goto drop;
	d->state = ST_IDLE;
	if (r.msg_type == RK_DHCP_NAK)
		return rk_err_set(err, EPROTO, "did not get DHCPACK");
	rc = rk_dhcp_reply_lease(&r, lease, err);
	if (rc < 0)
		return rc;
	if (!r.has_server_id)
		lease->server = d->server;
	d->last_ip = lease->ip;
	return 1;
drop:
	d->dropped++;
	return 0;
}

int rk_dhcp_input(struct rk_dhcp *d, struct rk_dhcp_lease *lease, struct rk_err *err)
{
	for (int i = 0; i < INPUT_BATCH; i++) {
		ssize_t n = recv_one(d);
		int r;

		if (n == -EAGAIN)
			return 0;
		if (n < 0) {
			if (d->state == ST_IDLE)
				return 0;
			d->state = ST_IDLE;
			return rk_err_errno(err, (int)-n, "dhcp on %s: receive", d->ifname);
		}
		if (n == 0)
			continue;
		if (d->state == ST_IDLE) {
			d->dropped++;
			continue;
		}
		r = handle(d, (size_t)n, lease, err);
		if (r != 0)
			return r;
	}
	return 0;
}

int rk_dhcp_timeout(struct rk_dhcp *d, struct rk_err *err)
{
	int64_t now;
	int r;

	if (d->state == ST_IDLE)
		return 0;
	now = now_ns();
	if (now >= d->deadline) {
		d->state = ST_IDLE;
		return rk_err_set(err, ETIMEDOUT, "did not get DHCPACK");
	}
	if (now < d->next_tx)
		return 0;
	r = send_current(d, now, err);
	if (r < 0)
		d->state = ST_IDLE;
	return r;
}

long rk_dhcp_next_timeout_ms(const struct rk_dhcp *d)
{
	int64_t due, left;

	if (d->state == ST_IDLE)
		return -1;
	due = d->next_tx < d->deadline ? d->next_tx : d->deadline;
	left = due - now_ns();
	if (left <= 0)
		return 0;
	return (long)((left + NS_PER_MS - 1) / NS_PER_MS);
}

int rk_dhcp_exchange(struct rk_dhcp *d, int timeout_ms, struct rk_dhcp_lease *lease,
		     struct rk_err *err)
{
	int64_t end = timeout_ms >= 0 ? now_ns() + (int64_t)timeout_ms * NS_PER_MS : -1;
	int r;

	r = rk_dhcp_start(d, err);
	if (r < 0)
		return r;
	for (;;) {
		struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
		long wait = rk_dhcp_next_timeout_ms(d);
		int n;

		if (end >= 0) {
			int64_t left = end - now_ns();

			if (left <= 0) {
				d->state = ST_IDLE;
				return rk_err_set(err, ETIMEDOUT, "did not get DHCPACK");
			}
			left = (left + NS_PER_MS - 1) / NS_PER_MS;
			if (wait < 0 || left < wait)
				wait = (long)left;
		}
		n = poll(&pfd, 1, wait > 60000 ? 60000 : (int)wait);
		if (n < 0 && errno != EINTR) {
			d->state = ST_IDLE;
			return rk_err_errno(err, errno, "dhcp on %s: poll", d->ifname);
		}
		if (n > 0) {
			r = rk_dhcp_input(d, lease, err);
			if (r < 0)
				return r;
			if (r > 0)
				return 0;
		}
		if (rk_dhcp_next_timeout_ms(d) == 0) {
			r = rk_dhcp_timeout(d, err);
			if (r < 0)
				return r;
		}
	}
}

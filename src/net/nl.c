// SPDX-License-Identifier: Apache-2.0
/*
 * nl.c - interface set-up over rtnetlink with libmnl, and tap creation (see nl.h).
 *
 * One request at a time: build it in the handle's buffer, send it with NLM_F_ACK, then read
 * replies until the kernel's acknowledgement (or error) for that sequence number arrives.
 * Replies are read into the same bounded buffer (MNL_SOCKET_BUFFER_SIZE); a datagram that
 * does not fit is an error, never silently cut. If a request ends before its acknowledgement
 * was read, whatever is still queued is dropped before the next request is sent.
 */
#include "net/nl.h"
#include "util/cleanup.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

struct rk_nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	bool resync; /* a reply may still be queued: drop it before the next request */
	size_t buflen;
	char *buf; /* requests are built here and replies read here */
};

/* What an RTM_GETLINK reply told us. */
struct link_info {
	int index;
	bool has_mac;
	unsigned char mac[ETH_ALEN];
};

/* An IPv4 or IPv6 address parsed from text. */
struct ip_addr {
	int family;
	size_t len; /* 4 or 16 */
	unsigned char bytes[16];
};

int rk_nl_open(struct rk_nl **out, struct rk_err *err)
{
	struct rk_nl *nl;
	int one = 1, e;

	*out = NULL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return rk_err_errno(err, ENOMEM, "opening netlink socket");
	nl->buflen = MNL_SOCKET_BUFFER_SIZE;
	nl->buf = malloc(nl->buflen);
	if (!nl->buf) {
		free(nl);
		return rk_err_errno(err, ENOMEM, "opening netlink socket");
	}
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock) {
		e = errno;
		rk_nl_close(nl);
		return rk_err_errno(err, e, "opening netlink socket");
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		rk_nl_close(nl);
		return rk_err_errno(err, e, "binding netlink socket");
	}
	/* short acknowledgements (no copy of the request); older kernels lack it, no matter */
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	*out = nl;
	return 0;
}

void rk_nl_close(struct rk_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	free(nl);
}

/* Drop every datagram queued on the socket (replies to an abandoned request). */
static void nl_drain(struct rk_nl *nl)
{
	int fd = mnl_socket_get_fd(nl->sock);

	while (recv(fd, nl->buf, nl->buflen, MSG_DONTWAIT | MSG_TRUNC) >= 0 || errno == EINTR)
		;
	nl->resync = false;
}

/* Start a request of @type with @flags in the handle's buffer; NLM_F_REQUEST|ACK are added. */
static struct nlmsghdr *nl_begin(struct rk_nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	memset(nl->buf, 0, nl->buflen);
	nlh = mnl_nlmsg_put_header(nl->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return nlh;
}

/* Read one datagram from the kernel into the buffer. Return: its length or -errno. */
static ssize_t nl_recv(struct rk_nl *nl)
{
	int fd = mnl_socket_get_fd(nl->sock);
	struct sockaddr_nl sa;
	struct iovec iov = {.iov_base = nl->buf, .iov_len = nl->buflen};
	struct msghdr mh;
	ssize_t n;

	for (;;) {
		memset(&mh, 0, sizeof(mh));
		memset(&sa, 0, sizeof(sa));
		mh.msg_name = &sa;
		mh.msg_namelen = sizeof(sa);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		n = recvmsg(fd, &mh, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		/* only the kernel (port 0) answers requests; drop anything else */
		if (mh.msg_namelen != sizeof(sa) || sa.nl_family != AF_NETLINK || sa.nl_pid != 0)
			continue;
		if (n == 0)
			return -EPROTO;
		return n;
	}
}

/*
 * Send the request at @nlh and read the replies up to its acknowledgement, passing data
 * messages to @cb (may be NULL). Messages with another sequence number or port id are an error
 * (-EPROTO/-ESRCH from libmnl). Return: 0, or -errno (the kernel's error for the request).
 */
static int nl_talk(struct rk_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned int seq;
	ssize_t n;
	int r;

	if (nl->resync)
		nl_drain(nl);
	if (++nl->seq == 0)
		nl->seq = 1;
	seq = nl->seq;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = 0;
	n = mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len);
	if (n < 0)
		return -errno;
	if ((size_t)n != nlh->nlmsg_len)
		return -EIO;
	for (;;) {
		n = nl_recv(nl);
		if (n < 0) {
			nl->resync = true;
			return (int)n;
		}
		errno = 0;
		r = mnl_cb_run(nl->buf, (size_t)n, seq, nl->portid, cb, data);
		if (r == MNL_CB_STOP)
			return 0;
		if (r < 0) {
			r = errno > 0 ? -errno : -EPROTO;
			/* after a kernel error nothing is left; after a bad message there may be */
			nl->resync = true;
			return r;
		}
	}
}

/* Check an interface name: 1..IFNAMSIZ-1 bytes. */
static int check_ifname(const char *ifname, struct rk_err *err)
{
	size_t n;

	if (!ifname || !*ifname)
		return rk_err_set(err, EINVAL, "invalid interface name \"\": empty");
	n = strnlen(ifname, IFNAMSIZ);
	if (n >= IFNAMSIZ)
		return rk_err_set(err, EINVAL,
				  "invalid interface name \"%s\": longer than %d bytes", ifname,
				  IFNAMSIZ - 1);
	return 0;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct link_info *li = data;

	if (mnl_attr_get_type(attr) == IFLA_ADDRESS && mnl_attr_get_payload_len(attr) == ETH_ALEN) {
		memcpy(li->mac, mnl_attr_get_payload(attr), ETH_ALEN);
		li->has_mac = true;
	}
	return MNL_CB_OK;
}

static int link_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_info *li = data;
	const struct ifinfomsg *ifi;

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return MNL_CB_OK;
	ifi = mnl_nlmsg_get_payload(nlh);
	li->index = ifi->ifi_index;
	li->has_mac = false;
	/* a malformed attribute list only loses the address; the index is in the header */
	(void)mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, li);
	return MNL_CB_OK;
}

/* RTM_GETLINK by name (the name was checked). Return: 0 or -errno (-ENODEV if unknown). */
static int link_query(struct rk_nl *nl, const char *ifname, struct link_info *li)
{
	struct nlmsghdr *nlh = nl_begin(nl, RTM_GETLINK, 0);
	struct ifinfomsg *ifi;
	int r;

	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	if (!mnl_attr_put_strz_check(nlh, nl->buflen, IFLA_IFNAME, ifname) ||
	    !mnl_attr_put_u32_check(nlh, nl->buflen, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS))
		return -EMSGSIZE;
	memset(li, 0, sizeof(*li));
	r = nl_talk(nl, nlh, link_msg_cb, li);
	if (r < 0)
		return r;
	return li->index > 0 ? 0 : -EPROTO;
}

int rk_nl_ifindex(struct rk_nl *nl, const char *ifname, struct rk_err *err)
{
	struct link_info li;
	int r;

	r = check_ifname(ifname, err);
	if (r < 0)
		return r;
	r = link_query(nl, ifname, &li);
	if (r == -ENODEV)
		return rk_err_errno(err, ENODEV, "%s", ifname);
	if (r < 0)
		return rk_err_errno(err, -r, "looking up interface %s", ifname);
	return li.index;
}

/*
 * Look up @ifname and send RTM_NEWLINK changing @flags (within @change) and, if @mtu or @mac
 * are given, the MTU or the hardware address. @what names the action for error messages.
 */
static int link_change(struct rk_nl *nl, const char *ifname, unsigned int flags,
		       unsigned int change, const unsigned int *mtu, const unsigned char *mac,
		       const char *what, struct rk_err *err)
{
	struct link_info li;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int r;

	r = check_ifname(ifname, err);
	if (r < 0)
		return r;
	r = link_query(nl, ifname, &li);
	if (r < 0)
		return rk_err_errno(err, -r, "%s", what);
	nlh = nl_begin(nl, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = li.index;
	ifi->ifi_flags = flags;
	ifi->ifi_change = change;
	if (mtu && !mnl_attr_put_u32_check(nlh, nl->buflen, IFLA_MTU, *mtu))
		return rk_err_errno(err, EMSGSIZE, "%s", what);
	if (mac && !mnl_attr_put_check(nlh, nl->buflen, IFLA_ADDRESS, ETH_ALEN, mac))
		return rk_err_errno(err, EMSGSIZE, "%s", what);
	r = nl_talk(nl, nlh, NULL, NULL);
	if (r < 0)
		return rk_err_errno(err, -r, "%s", what);
	return 0;
}

int rk_nl_link_up(struct rk_nl *nl, const char *ifname, struct rk_err *err)
{
	char what[64];

	snprintf(what, sizeof(what), "setting %s up", ifname ? ifname : "");
	return link_change(nl, ifname, IFF_UP, IFF_UP, NULL, NULL, what, err);
}

int rk_nl_link_set_mtu(struct rk_nl *nl, const char *ifname, unsigned int mtu, struct rk_err *err)
{
	char what[64];

	snprintf(what, sizeof(what), "setting mtu %u on %s", mtu, ifname ? ifname : "");
	return link_change(nl, ifname, 0, 0, &mtu, NULL, what, err);
}

static void format_mac(const unsigned char mac[ETH_ALEN], char *out, size_t len)
{
	snprintf(out, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

int rk_nl_link_set_mac(struct rk_nl *nl, const char *ifname, const unsigned char mac[6],
		       struct rk_err *err)
{
	char what[96], text[32];

	format_mac(mac, text, sizeof(text));
	snprintf(what, sizeof(what), "setting mac address %s on %s", text, ifname ? ifname : "");
	return link_change(nl, ifname, 0, 0, NULL, mac, what, err);
}

int rk_nl_link_get_mac(struct rk_nl *nl, const char *ifname, unsigned char mac[6],
		       struct rk_err *err)
{
	struct link_info li;
	int r;

	r = check_ifname(ifname, err);
	if (r < 0)
		return r;
	r = link_query(nl, ifname, &li);
	if (r < 0)
		return rk_err_errno(err, -r, "getting mac address of %s", ifname);
	if (!li.has_mac)
		return rk_err_set(err, ENODATA, "getting mac address of %s: no ethernet address",
				  ifname);
	memcpy(mac, li.mac, ETH_ALEN);
	return 0;
}

/* Parse IPv4 or IPv6 text. Return: 0 or -EINVAL ("invalid IP address: X"). */
static int parse_ip(const char *text, struct ip_addr *a, struct rk_err *err)
{
	memset(a, 0, sizeof(*a));
	if (text && inet_pton(AF_INET, text, a->bytes) == 1) {
		a->family = AF_INET;
		a->len = 4;
		return 0;
	}
	if (text && inet_pton(AF_INET6, text, a->bytes) == 1) {
		a->family = AF_INET6;
		a->len = 16;
		return 0;
	}
	return rk_err_set(err, EINVAL, "invalid IP address: %s", text ? text : "");
}

int rk_nl_addr_add(struct rk_nl *nl, const char *ifname, const char *ip, int prefixlen,
		   struct rk_err *err)
{
	struct link_info li;
	struct ip_addr a;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	char what[128];
	int r;

	r = check_ifname(ifname, err);
	if (r < 0)
		return r;
	r = parse_ip(ip, &a, err);
	if (r < 0)
		return r;
	if (prefixlen < 0 || prefixlen > (int)a.len * 8)
		return rk_err_set(err, EINVAL, "invalid prefix length %d for %s", prefixlen, ip);
	snprintf(what, sizeof(what), "adding address %s/%d to %s", ip, prefixlen, ifname);
	r = link_query(nl, ifname, &li);
	if (r < 0)
		return rk_err_errno(err, -r, "%s", what);

	nlh = nl_begin(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)a.family;
	ifa->ifa_prefixlen = (unsigned char)prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)li.index;
	/* a static IPv6 address is usable at once: no duplicate address detection (`nodad`) */
	if (a.family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	/* as iproute2 without "peer" or "brd": local and address are the same, no broadcast */
	if (!mnl_attr_put_check(nlh, nl->buflen, IFA_LOCAL, a.len, a.bytes) ||
	    !mnl_attr_put_check(nlh, nl->buflen, IFA_ADDRESS, a.len, a.bytes))
		return rk_err_errno(err, EMSGSIZE, "%s", what);
	r = nl_talk(nl, nlh, NULL, NULL);
	if (r < 0)
		return rk_err_errno(err, -r, "%s", what);
	return 0;
}

int rk_nl_route_add_default(struct rk_nl *nl, const char *ifname, const char *gateway,
			    struct rk_err *err)
{
	struct link_info li;
	struct ip_addr gw;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	char what[128];
	int r;

	r = check_ifname(ifname, err);
	if (r < 0)
		return r;
	r = parse_ip(gateway, &gw, err);
	if (r < 0)
		return r;
	snprintf(what, sizeof(what), "adding default route via %s dev %s", gateway, ifname);
	r = link_query(nl, ifname, &li);
	if (r < 0)
		return rk_err_errno(err, -r, "%s", what);

	nlh = nl_begin(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)gw.family;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	if (!mnl_attr_put_check(nlh, nl->buflen, RTA_GATEWAY, gw.len, gw.bytes) ||
	    !mnl_attr_put_u32_check(nlh, nl->buflen, RTA_OIF, (uint32_t)li.index))
		return rk_err_errno(err, EMSGSIZE, "%s", what);
	r = nl_talk(nl, nlh, NULL, NULL);
	if (r < 0)
		return rk_err_errno(err, -r, "%s", what);
	return 0;
}

int rk_tap_open(const char *ifname, bool persist, bool offload, struct rk_err *err)
{
	rk_autoclose int fd = -1;
	struct ifreq ifr;
	int r;

	r = check_ifname(ifname, err);
	if (r < 0)
		return r;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return rk_err_errno(err, errno, "creating tap %s: opening /dev/net/tun", ifname);
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	/* IFF_TUN_EXCL: fail instead of attaching to an existing device, as `ip tuntap add` */
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL | /* a 16-bit flag word */
				(offload ? IFF_VNET_HDR : 0));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		r = errno;
		/* the kernel says EBUSY for "exists" under IFF_TUN_EXCL */
		return rk_err_errno(err, r == EBUSY ? EEXIST : r, "creating tap %s", ifname);
	}
	if (offload &&
	    ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) < 0)
		return rk_err_errno(err, errno, "creating tap %s: TUNSETOFFLOAD", ifname);
	if (persist && ioctl(fd, TUNSETPERSIST, 1L) < 0)
		return rk_err_errno(err, errno, "creating tap %s: making it persistent", ifname);
	return rk_steal_fd(&fd);
}

int rk_tap_create(const char *ifname, struct rk_err *err)
{
	int fd = rk_tap_open(ifname, true, false, err);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

// SPDX-License-Identifier: Apache-2.0
/*
 * test_nl.c - rtnetlink interface set-up and tap creation (src/net/nl.c), each test in a fresh
 * network namespace of a forked process. Results are checked without nl.c: interface ioctls,
 * getifaddrs(), /proc/net/{route,ipv6_route,if_inet6} and the source address the kernel picks.
 * Without namespaces the tests skip, or fail when CI=true.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <cmocka.h>

#include "net/nl.h"

#define EXIT_NO_NETNS 77 /* the child could not make a network namespace */
#define EXIT_SKIP     78 /* the child found the feature under test missing */

/* In the child: report a failed check on stderr and fail the test. */
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "# %s:%d: check failed: %s\n", __FILE__, __LINE__, #c);    \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

/* In the child: @call must return @rc, and when it fails, leave @text in err. */
#define CHECK_CALL(call, rc, text)                                                                 \
	do {                                                                                       \
		struct rk_err err_ = {0};                                                          \
		struct rk_err *err = &err_;                                                        \
		int r_ = (call);                                                                   \
		if (r_ != (rc) || (r_ < 0 && (err_.code != -r_ || strcmp(err_.msg, (text))))) {    \
			fprintf(stderr, "# %s:%d: %s = %d \"%s\", want %d \"%s\"\n", __FILE__,     \
				__LINE__, #call, r_, err_.msg, (rc), (text));                      \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

#define OK(call) CHECK_CALL(call, 0, "")

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

/* Enter a new network namespace (and, unless root, a user namespace mapping us to root). */
static int enter_netns(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (uid == 0)
		return unshare(CLONE_NEWNET) == 0 ? 0 : -errno;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return -errno;
	if (write_file("/proc/self/setgroups", "deny") < 0)
		return -EPERM;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
	if (write_file("/proc/self/uid_map", map) < 0)
		return -EPERM;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
	if (write_file("/proc/self/gid_map", map) < 0)
		return -EPERM;
	return 0;
}

static bool ci_mode(void)
{
	const char *ci = getenv("CI");

	return ci && (!strcmp(ci, "true") || !strcmp(ci, "1") || !strcmp(ci, "yes"));
}

/* Run @fn in a forked child inside a fresh network namespace; fail, skip or pass by its exit. */
static void run_in_netns(int (*fn)(void))
{
	int st = 0, r;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		r = enter_netns();
		if (r < 0) {
			fprintf(stderr, "# cannot create a network namespace: %s\n", strerror(-r));
			_exit(EXIT_NO_NETNS);
		}
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == EXIT_NO_NETNS) {
		if (ci_mode())
			fail_msg("network namespaces unavailable (CI=true: not skipping)");
		skip();
	}
	if (WEXITSTATUS(st) == EXIT_SKIP)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* An interface ioctl (SIOCGIF*) on @ifname through a socket of the current namespace. */
static int if_ioctl(unsigned long req, const char *ifname, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -errno;
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	r = ioctl(fd, req, ifr) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int if_flags(const char *ifname)
{
	struct ifreq ifr = {0};
	int r = if_ioctl(SIOCGIFFLAGS, ifname, &ifr);

	return r < 0 ? r : (unsigned short)ifr.ifr_flags;
}

static int if_mtu(const char *ifname)
{
	struct ifreq ifr = {0};
	int r = if_ioctl(SIOCGIFMTU, ifname, &ifr);

	return r < 0 ? r : ifr.ifr_mtu;
}

static int if_index(const char *ifname)
{
	struct ifreq ifr = {0};
	int r = if_ioctl(SIOCGIFINDEX, ifname, &ifr);

	return r < 0 ? r : ifr.ifr_ifindex;
}

/* The hardware address and its type (ARPHRD_*) of @ifname. */
static int if_hwaddr(const char *ifname, unsigned char mac[6])
{
	struct ifreq ifr = {0};
	int r = if_ioctl(SIOCGIFHWADDR, ifname, &ifr);

	if (r < 0)
		return r;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return ifr.ifr_hwaddr.sa_family;
}

/* Create tap @ifname with nl.c and check it as the kernel shows it. */
static int make_tap(const char *ifname)
{
	struct rk_err err = {0};
	unsigned char mac[6];

	if (rk_tap_create(ifname, &err) != 0) {
		fprintf(stderr, "# rk_tap_create(%s): %s\n", ifname, err.msg);
		return -1;
	}
	return if_hwaddr(ifname, mac) == ARPHRD_ETHER ? 0 : -1;
}

/* The text of @ip as the hex digits /proc/net prints for it. */
static void ip6_hex(const char *ip, char hex[33])
{
	unsigned char b[16] = {0};

	(void)inet_pton(AF_INET6, ip, b);
	for (int i = 0; i < 16; i++)
		snprintf(hex + (size_t)2 * i, 3, "%02x", b[i]);
}

/* Is there a line "<addr> <index> <plen> <scope> <flags> <ifname>" in /proc/net/if_inet6? */
static bool proc_has_addr6(const char *ip, int plen, int scope, const char *ifname)
{
	char want[33], addr[40], name[32];
	unsigned int idx, p, sc, fl;
	bool found = false;
	FILE *f = fopen("/proc/net/if_inet6", "re");

	if (!f)
		return false;
	ip6_hex(ip, want);
	while (fscanf(f, "%39s %x %x %x %x %31s", addr, &idx, &p, &sc, &fl, name) == 6)
		if (!strcmp(addr, want) && (int)p == plen && (int)sc == scope &&
		    !strcmp(name, ifname))
			found = true;
	fclose(f);
	return found;
}

/* Is there an IPv4 default route via @gw out of @ifname in /proc/net/route? */
static bool proc_has_default4(const char *gw, const char *ifname)
{
	char line[256], name[32];
	unsigned int dst, gate, flags, mask;
	struct in_addr want;
	bool found = false;
	FILE *f = fopen("/proc/net/route", "re");

	if (!f || inet_pton(AF_INET, gw, &want) != 1) {
		if (f)
			fclose(f);
		return false;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %x %x %x %*d %*d %*d %x", name, &dst, &gate, &flags,
			   &mask) == 5 &&
		    !strcmp(name, ifname) && dst == 0 && mask == 0 && gate == want.s_addr &&
		    (flags & 0x2) /* RTF_GATEWAY */)
			found = true;
	fclose(f);
	return found;
}

/* Is there an IPv6 default route via @gw out of @ifname in /proc/net/ipv6_route? */
static bool proc_has_default6(const char *gw, const char *ifname)
{
	char want[33], dst[40], src[40], hop[40], name[32];
	unsigned int dlen, slen, metric, ref, use, flags;
	bool found = false;
	FILE *f = fopen("/proc/net/ipv6_route", "re");

	if (!f)
		return false;
	ip6_hex(gw, want);
	while (fscanf(f, "%39s %x %39s %x %39s %x %x %x %x %31s", dst, &dlen, src, &slen, hop,
		      &metric, &ref, &use, &flags, name) == 10)
		if (dlen == 0 && !strcmp(dst, "00000000000000000000000000000000") &&
		    !strcmp(hop, want) && !strcmp(name, ifname))
			found = true;
	fclose(f);
	return found;
}

/* Does getifaddrs() list @ip/@plen on @ifname (and, for IPv4, without a broadcast address)? */
static bool ifaddrs_has(const char *ip, int plen, const char *ifname)
{
	struct ifaddrs *all, *a;
	unsigned char want[16], got[16], mask[16];
	int family = strchr(ip, ':') ? AF_INET6 : AF_INET, len = family == AF_INET ? 4 : 16, bits;
	bool found = false;

	if (inet_pton(family, ip, want) != 1 || getifaddrs(&all) < 0)
		return false;
	for (a = all; a; a = a->ifa_next) {
		if (!a->ifa_addr || a->ifa_addr->sa_family != family || strcmp(a->ifa_name, ifname))
			continue;
		if (family == AF_INET) {
			memcpy(got, &((struct sockaddr_in *)(void *)a->ifa_addr)->sin_addr, 4);
			memcpy(mask, &((struct sockaddr_in *)(void *)a->ifa_netmask)->sin_addr, 4);
		} else {
			memcpy(got, &((struct sockaddr_in6 *)(void *)a->ifa_addr)->sin6_addr, 16);
			memcpy(mask, &((struct sockaddr_in6 *)(void *)a->ifa_netmask)->sin6_addr,
			       16);
		}
		if (memcmp(got, want, len))
			continue;
		bits = 0;
		for (int i = 0; i < len; i++)
			bits += __builtin_popcount(mask[i]);
		if (bits != plen)
			continue;
		/* glibc shows IFA_BROADCAST here if there is one, else IFA_ADDRESS (= the address)
		 */
		if (family == AF_INET && a->ifa_broadaddr &&
		    memcmp(&((struct sockaddr_in *)(void *)a->ifa_broadaddr)->sin_addr, want, 4))
			continue;
		found = true;
	}
	freeifaddrs(all);
	return found;
}

/* The source address the kernel picks for UDP to @dst (v4), as text; "" if none. */
static void source_for4(const char *dst, char *out, size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(9)};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	out[0] = '\0';
	if (fd < 0)
		return;
	(void)inet_pton(AF_INET, dst, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		(void)inet_ntop(AF_INET, &sa.sin_addr, out, (socklen_t)len);
	close(fd);
}

/* lo up; the socket is a close-on-exec NETLINK_ROUTE socket; index lookup agrees with ioctl. */
static int child_lo_up(void)
{
	struct rk_nl *nl = NULL;
	int probe = open("/dev/null", O_RDONLY | O_CLOEXEC), proto = 0;
	socklen_t pl = sizeof(proto);

	CHECK(probe >= 0);
	close(probe); /* the socket gets the lowest free fd: this one */
	OK(rk_nl_open(&nl, err));
	CHECK(fcntl(probe, F_GETFD) & FD_CLOEXEC);
	CHECK(getsockopt(probe, SOL_SOCKET, SO_PROTOCOL, &proto, &pl) == 0);
	CHECK(proto == NETLINK_ROUTE);

	CHECK(!(if_flags("lo") & IFF_UP));
	OK(rk_nl_link_up(nl, "lo", err));
	CHECK(if_flags("lo") & IFF_UP);
	OK(rk_nl_link_up(nl, "lo", err)); /* again: no change, no error */
	CHECK_CALL(rk_nl_ifindex(nl, "lo", err), if_index("lo"), "");
	rk_nl_close(nl);
	rk_nl_close(NULL);
	return 0;
}

static void test_lo_up(void **state)
{
	run_in_netns(child_lo_up);
}

/* A persistent tap; a second creation gives -EEXIST, also for a name that is not a tap. */
static int child_tap_create(void)
{
	struct rk_nl *nl = NULL;
	struct ifreq ifr = {0};
	unsigned char mac[6];
	int fd;

	CHECK(if_index("tap0") == -ENODEV);
	OK(rk_tap_create("tap0", err));
	/* still there after nl.c closed its fd: persistent; an ethernet device: tap */
	CHECK(if_index("tap0") > 0);
	CHECK(if_hwaddr("tap0", mac) == ARPHRD_ETHER);
	CHECK(!(if_flags("tap0") & IFF_UP));
	CHECK_CALL(rk_tap_create("tap0", err), -EEXIST, "creating tap tap0: file exists");
	CHECK_CALL(rk_tap_create("lo", err), -EEXIST, "creating tap lo: file exists");

	/* attach as a tap (a tun attach is refused) and read the device flags back */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "tap0");
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	CHECK(ioctl(fd, TUNSETIFF, &ifr) < 0 && errno == EINVAL);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	CHECK(ioctl(fd, TUNSETIFF, &ifr) == 0);
	memset(&ifr, 0, sizeof(ifr));
	CHECK(ioctl(fd, TUNGETIFF, &ifr) == 0);
	CHECK((ifr.ifr_flags & (IFF_TAP | IFF_PERSIST)) == (IFF_TAP | IFF_PERSIST));
	CHECK(!(ifr.ifr_flags & IFF_TUN));
	close(fd);
	CHECK(if_index("tap0") > 0);

	OK(rk_nl_open(&nl, err));
	CHECK_CALL(rk_nl_ifindex(nl, "tap0", err), if_index("tap0"), "");
	rk_nl_close(nl);
	return 0;
}

static void test_tap_create(void **state)
{
	run_in_netns(child_tap_create);
}

/* Up and MTU on a tap. */
static int child_link_up_mtu(void)
{
	struct rk_nl *nl = NULL;

	CHECK(make_tap("tap0") == 0);
	OK(rk_nl_open(&nl, err));
	OK(rk_nl_link_up(nl, "tap0", err));
	CHECK(if_flags("tap0") & IFF_UP);
	OK(rk_nl_link_set_mtu(nl, "tap0", 1500, err));
	CHECK(if_mtu("tap0") == 1500);
	OK(rk_nl_link_set_mtu(nl, "tap0", 65520, err));
	CHECK(if_mtu("tap0") == 65520);
	CHECK_CALL(rk_nl_link_set_mtu(nl, "tap0", 70000, err), -EINVAL,
		   "setting mtu 70000 on tap0: invalid argument");
	CHECK(if_mtu("tap0") == 65520);
	OK(rk_nl_link_set_mtu(nl, "tap0", 1500, err));
	CHECK(if_mtu("tap0") == 1500);
	CHECK(if_flags("tap0") & IFF_UP);
	rk_nl_close(nl);
	return 0;
}

static void test_link_up_mtu(void **state)
{
	run_in_netns(child_link_up_mtu);
}

/* Reading and setting the hardware address. */
static int child_mac(void)
{
	static const unsigned char want[6] = {0x02, 0x50, 0x00, 0x00, 0x00, 0x01};
	static const unsigned char mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	struct rk_nl *nl = NULL;
	unsigned char got[6], seen[6];

	CHECK(make_tap("tap0") == 0);
	OK(rk_nl_open(&nl, err));
	OK(rk_nl_link_get_mac(nl, "tap0", got, err));
	CHECK(if_hwaddr("tap0", seen) == ARPHRD_ETHER);
	CHECK(!memcmp(got, seen, 6));

	OK(rk_nl_link_set_mac(nl, "tap0", want, err));
	CHECK(if_hwaddr("tap0", seen) == ARPHRD_ETHER);
	CHECK(!memcmp(seen, want, 6));
	OK(rk_nl_link_get_mac(nl, "tap0", got, err));
	CHECK(!memcmp(got, want, 6));
	CHECK_CALL(
	    rk_nl_link_set_mac(nl, "tap0", mcast, err), -EADDRNOTAVAIL,
	    "setting mac address 01:00:5e:00:00:01 on tap0: cannot assign requested address");
	CHECK(if_hwaddr("tap0", seen) == ARPHRD_ETHER);
	CHECK(!memcmp(seen, want, 6));
	rk_nl_close(nl);
	return 0;
}

static void test_mac(void **state)
{
	run_in_netns(child_mac);
}

/* IPv4 address and default route, as slirp4netns sets them up. */
static int child_ipv4(void)
{
	struct rk_nl *nl = NULL;
	char src[INET_ADDRSTRLEN];

	CHECK(make_tap("tap0") == 0);
	OK(rk_nl_open(&nl, err));
	/* a down interface has no connected route: the gateway is unreachable */
	OK(rk_nl_addr_add(nl, "tap0", "10.0.2.100", 24, err));
	CHECK_CALL(rk_nl_route_add_default(nl, "tap0", "10.0.2.2", err), -ENETUNREACH,
		   "adding default route via 10.0.2.2 dev tap0: network is unreachable");
	OK(rk_nl_link_up(nl, "tap0", err));
	CHECK(ifaddrs_has("10.0.2.100", 24, "tap0"));
	CHECK_CALL(rk_nl_addr_add(nl, "tap0", "10.0.2.100", 24, err), -EEXIST,
		   "adding address 10.0.2.100/24 to tap0: file exists");
	CHECK_CALL(rk_nl_route_add_default(nl, "tap0", "192.168.7.1", err), -ENETUNREACH,
		   "adding default route via 192.168.7.1 dev tap0: network is unreachable");
	CHECK(!proc_has_default4("192.168.7.1", "tap0"));
	source_for4("192.0.2.1", src, sizeof(src));
	CHECK(!strcmp(src, ""));

	OK(rk_nl_route_add_default(nl, "tap0", "10.0.2.2", err));
	CHECK(proc_has_default4("10.0.2.2", "tap0"));
	source_for4("192.0.2.1", src, sizeof(src)); /* reached only through the default route */
	CHECK(!strcmp(src, "10.0.2.100"));
	CHECK_CALL(rk_nl_route_add_default(nl, "tap0", "10.0.2.2", err), -EEXIST,
		   "adding default route via 10.0.2.2 dev tap0: file exists");

	/* a second address, /32 */
	OK(rk_nl_addr_add(nl, "tap0", "10.0.3.1", 32, err));
	CHECK(ifaddrs_has("10.0.3.1", 32, "tap0"));
	rk_nl_close(nl);
	return 0;
}

static void test_ipv4_addr_route(void **state)
{
	run_in_netns(child_ipv4);
}

/* IPv6 address and default route (skipped without kernel IPv6). */
static int child_ipv6(void)
{
	struct rk_nl *nl = NULL;
	int r;

	if (access("/proc/sys/net/ipv6", F_OK) != 0) {
		fprintf(stderr,
			"# skipping: the kernel has no IPv6 (/proc/sys/net/ipv6 missing)\n");
		return EXIT_SKIP;
	}
	CHECK(make_tap("tap0") == 0);
	r = write_file("/proc/sys/net/ipv6/conf/tap0/disable_ipv6", "0");
	if (r == -ENOENT) {
		fprintf(stderr, "# skipping: the kernel has no IPv6 on tap0 (no conf/tap0)\n");
		return EXIT_SKIP;
	}
	CHECK(r == 0);
	OK(rk_nl_open(&nl, err));
	OK(rk_nl_link_up(nl, "tap0", err));
	OK(rk_nl_addr_add(nl, "tap0", "fd00::100", 64, err));
	CHECK(proc_has_addr6("fd00::100", 64, 0 /* global */, "tap0"));
	CHECK(ifaddrs_has("fd00::100", 64, "tap0"));
	CHECK_CALL(rk_nl_addr_add(nl, "tap0", "fd00::100", 64, err), -EEXIST,
		   "adding address fd00::100/64 to tap0: file exists");
	OK(rk_nl_route_add_default(nl, "tap0", "fd00::2", err));
	CHECK(proc_has_default6("fd00::2", "tap0"));
	CHECK_CALL(rk_nl_route_add_default(nl, "tap0", "fd00::2", err), -EEXIST,
		   "adding default route via fd00::2 dev tap0: file exists");
	CHECK_CALL(rk_nl_addr_add(nl, "tap0", "fd00::101", 129, err), -EINVAL,
		   "invalid prefix length 129 for fd00::101");
	rk_nl_close(nl);
	return 0;
}

static void test_ipv6_addr_route(void **state)
{
	run_in_netns(child_ipv6);
}

/* Unknown interfaces, bad names and bad addresses. */
static int child_errors(void)
{
	static const unsigned char mac[6] = {0x02, 0, 0, 0, 0, 1};
	const char *longname = "0123456789abcdef"; /* IFNAMSIZ bytes: one too many */
	const char *toolong = "invalid interface name \"0123456789abcdef\": longer than 15 bytes";
	struct rk_nl *nl = NULL;
	unsigned char got[6];

	OK(rk_nl_open(&nl, err));
	CHECK_CALL(rk_nl_ifindex(nl, "nosuch0", err), -ENODEV, "nosuch0: no such device");
	CHECK_CALL(rk_nl_link_up(nl, "nosuch0", err), -ENODEV,
		   "setting nosuch0 up: no such device");
	CHECK_CALL(rk_nl_link_set_mtu(nl, "nosuch0", 1500, err), -ENODEV,
		   "setting mtu 1500 on nosuch0: no such device");
	CHECK_CALL(rk_nl_link_get_mac(nl, "nosuch0", got, err), -ENODEV,
		   "getting mac address of nosuch0: no such device");
	CHECK_CALL(rk_nl_link_set_mac(nl, "nosuch0", mac, err), -ENODEV,
		   "setting mac address 02:00:00:00:00:01 on nosuch0: no such device");
	CHECK_CALL(rk_nl_addr_add(nl, "nosuch0", "10.0.2.100", 24, err), -ENODEV,
		   "adding address 10.0.2.100/24 to nosuch0: no such device");
	CHECK_CALL(rk_nl_route_add_default(nl, "nosuch0", "10.0.2.2", err), -ENODEV,
		   "adding default route via 10.0.2.2 dev nosuch0: no such device");

	CHECK_CALL(rk_nl_ifindex(nl, "0123456789abcde", err), -ENODEV,
		   "0123456789abcde: no such device"); /* 15 bytes: a valid name */
	CHECK_CALL(rk_nl_ifindex(nl, longname, err), -EINVAL, toolong);
	CHECK_CALL(rk_nl_link_up(nl, longname, err), -EINVAL, toolong);
	CHECK_CALL(rk_nl_link_set_mtu(nl, longname, 1500, err), -EINVAL, toolong);
	CHECK_CALL(rk_nl_link_get_mac(nl, longname, got, err), -EINVAL, toolong);
	CHECK_CALL(rk_nl_link_set_mac(nl, longname, mac, err), -EINVAL, toolong);
	CHECK_CALL(rk_nl_addr_add(nl, longname, "10.0.2.100", 24, err), -EINVAL, toolong);
	CHECK_CALL(rk_nl_route_add_default(nl, longname, "10.0.2.2", err), -EINVAL, toolong);
	CHECK_CALL(rk_tap_create(longname, err), -EINVAL, toolong);
	CHECK(if_index("0123456789abcde") == -ENODEV);
	CHECK_CALL(rk_nl_ifindex(nl, "", err), -EINVAL, "invalid interface name \"\": empty");
	CHECK_CALL(rk_tap_create("", err), -EINVAL, "invalid interface name \"\": empty");

	CHECK_CALL(rk_nl_addr_add(nl, "lo", "10.0.2.300", 24, err), -EINVAL,
		   "invalid IP address: 10.0.2.300");
	CHECK_CALL(rk_nl_addr_add(nl, "lo", "10.0.2.100/24", 24, err), -EINVAL,
		   "invalid IP address: 10.0.2.100/24");
	CHECK_CALL(rk_nl_addr_add(nl, "lo", "", 24, err), -EINVAL, "invalid IP address: ");
	CHECK_CALL(rk_nl_addr_add(nl, "lo", "10.0.2.100", 33, err), -EINVAL,
		   "invalid prefix length 33 for 10.0.2.100");
	CHECK_CALL(rk_nl_addr_add(nl, "lo", "10.0.2.100", -1, err), -EINVAL,
		   "invalid prefix length -1 for 10.0.2.100");
	CHECK_CALL(rk_nl_route_add_default(nl, "lo", "gateway", err), -EINVAL,
		   "invalid IP address: gateway");
	CHECK_CALL(rk_nl_route_add_default(nl, "lo", "fd00::1::2", err), -EINVAL,
		   "invalid IP address: fd00::1::2");

	/* the handle still works after all those errors */
	CHECK_CALL(rk_nl_ifindex(nl, "lo", err), if_index("lo"), "");
	rk_nl_close(nl);
	return 0;
}

static void test_errors(void **state)
{
	run_in_netns(child_errors);
}

/* The socket keeps working in the namespace it was opened in after the thread leaves it. */
static int child_keeps_netns(void)
{
	struct rk_nl *nl = NULL;
	int idx, first;

	CHECK(make_tap("tap7") == 0);
	idx = if_index("tap7");
	CHECK(idx > 0);
	first = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	CHECK(first >= 0);
	OK(rk_nl_open(&nl, err));
	CHECK(unshare(CLONE_NEWNET) == 0);
	CHECK(if_index("tap7") == -ENODEV);
	CHECK_CALL(rk_nl_ifindex(nl, "tap7", err), idx, "");
	OK(rk_nl_link_set_mtu(nl, "tap7", 1400, err));
	CHECK(if_index("tap7") == -ENODEV);
	CHECK(setns(first, CLONE_NEWNET) == 0);
	CHECK(if_mtu("tap7") == 1400);
	close(first);
	rk_nl_close(nl);
	return 0;
}

static void test_socket_keeps_netns(void **state)
{
	run_in_netns(child_keeps_netns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lo_up),	    cmocka_unit_test(test_tap_create),
	    cmocka_unit_test(test_link_up_mtu),	    cmocka_unit_test(test_mac),
	    cmocka_unit_test(test_ipv4_addr_route), cmocka_unit_test(test_ipv6_addr_route),
	    cmocka_unit_test(test_errors),	    cmocka_unit_test(test_socket_keeps_netns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nl.h - network interface set-up over rtnetlink (libmnl) and creation of tap devices.
 *
 * These calls do what `ip link set`, `ip addr add`, `ip route add` and `ip tuntap add` do for
 * the network driver, without running ip(8). A struct rk_nl is a NETLINK_ROUTE socket; it
 * stays bound to the network namespace of the thread that opened it, so interface names are
 * looked up (RTM_GETLINK) and changed in that namespace even if the thread moves on. Every
 * request asks for an acknowledgement and waits for it, so a kernel error comes back as the
 * function's -errno and as a message such as "setting mtu 1500 on tap0: invalid argument".
 *
 * All functions return 0 (or the positive value stated) on success and -errno on failure, and
 * fill @err (which may be NULL) on failure. Interface names must be 1..IFNAMSIZ-1 bytes
 * (-EINVAL otherwise); an unknown interface gives -ENODEV. A struct rk_nl is not thread-safe.
 */
#ifndef RK_NET_NL_H
#define RK_NET_NL_H

#include <stdbool.h>
#include "util/err.h"

struct rk_nl;

/**
 * rk_nl_open - open a NETLINK_ROUTE socket (close-on-exec) in the calling thread's network
 * namespace.
 * @out: receives the handle; release it with rk_nl_close().
 * @err: filled on failure.
 * Return: 0 or -errno.
 */
int rk_nl_open(struct rk_nl **out, struct rk_err *err);

/** rk_nl_close - close the socket and free @nl (NULL is allowed). */
void rk_nl_close(struct rk_nl *nl);

/**
 * rk_nl_ifindex - look up the index of interface @ifname (RTM_GETLINK on @nl).
 * Return: the index (> 0), -ENODEV ("tap0: no such device") or another -errno.
 */
int rk_nl_ifindex(struct rk_nl *nl, const char *ifname, struct rk_err *err);

/**
 * rk_nl_link_up - set interface @ifname administratively up, like `ip link set IF up`.
 * Return: 0 or -errno.
 */
int rk_nl_link_up(struct rk_nl *nl, const char *ifname, struct rk_err *err);

/**
 * rk_nl_link_set_mtu - set the MTU of @ifname to @mtu, like `ip link set IF mtu MTU`.
 * Return: 0 or -errno (-EINVAL when the device does not accept @mtu).
 */
int rk_nl_link_set_mtu(struct rk_nl *nl, const char *ifname, unsigned int mtu, struct rk_err *err);

/**
 * rk_nl_link_get_mac - read the 6-byte hardware address of @ifname into @mac.
 * Return: 0, -ENODATA when the interface has no 6-byte address, or another -errno.
 */
int rk_nl_link_get_mac(struct rk_nl *nl, const char *ifname, unsigned char mac[6],
		       struct rk_err *err);

/**
 * rk_nl_link_set_mac - set the hardware address of @ifname to @mac, like
 * `ip link set IF address MAC`.
 * Return: 0 or -errno (e.g. -EADDRNOTAVAIL for a multicast address).
 */
int rk_nl_link_set_mac(struct rk_nl *nl, const char *ifname, const unsigned char mac[6],
		       struct rk_err *err);

/**
 * rk_nl_addr_add - add address @ip/@prefixlen to @ifname, like `ip addr add IP/LEN dev IF`:
 * scope global, no broadcast address, and -EEXIST if the address is already there.
 * @ip: IPv4 or IPv6 text ("10.0.2.100", "fd00::100"); anything else gives -EINVAL
 *	"invalid IP address: X".
 * @prefixlen: 0..32 for IPv4, 0..128 for IPv6 (-EINVAL otherwise).
 * Return: 0 or -errno.
 */
int rk_nl_addr_add(struct rk_nl *nl, const char *ifname, const char *ip, int prefixlen,
		   struct rk_err *err);

/**
 * rk_nl_route_add_default - add a default route via @gateway out of @ifname, like
 * `ip route add default via GW dev IF` (IPv4 or IPv6 according to @gateway, main table).
 * Return: 0 or -errno: -EINVAL for bad text, -EEXIST if a default route exists,
 * -ENETUNREACH if @gateway is not on a network of @ifname (or @ifname is down).
 */
int rk_nl_route_add_default(struct rk_nl *nl, const char *ifname, const char *gateway,
			    struct rk_err *err);

/**
 * rk_tap_create - create a persistent tap device @ifname (IFF_TAP|IFF_NO_PI, TUNSETPERSIST) in
 * the calling thread's network namespace, like `ip tuntap add name IF mode tap`. The device
 * stays (down, without carrier) after the call; nothing is attached to it.
 * Return: 0, -EEXIST if an interface @ifname exists, or another -errno.
 */
int rk_tap_create(const char *ifname, struct rk_err *err);

/**
 * rk_tap_open - create tap device @ifname as rk_tap_create does and return its fd (O_CLOEXEC,
 * blocking). Without @persist the device lives as long as the fd (in any process). With
 * @offload every frame read or written on the fd starts with a struct virtio_net_hdr
 * (IFF_VNET_HDR), and the device may pass frames with their checksum left to the reader and
 * TCP super-frames of up to 64 KiB (TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6).
 * Return: the fd, or -errno as rk_tap_create.
 */
int rk_tap_open(const char *ifname, bool persist, bool offload, struct rk_err *err);

#endif

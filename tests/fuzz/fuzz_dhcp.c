// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_dhcp.c - libFuzzer target for the DHCP reply parser and the lease checks (src/net/dhcp.c):
 * arbitrary bytes as a server reply, parsed once as a reply to the seeds' exchange (xid
 * 0x12345678, chaddr 02:42:c0:00:02:10) and once with xid and chaddr taken from the input, so
 * that every input also reaches the options. Aborts when a result breaks its invariants.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * The code under test is compiled into this file rather than taken from librkcore: only the
 * fuzz targets get -fsanitize=fuzzer, so this is how the parser gets coverage feedback. The
 * linker then has no reason to pull dhcp.c's copy out of the library.
 */
#include "net/dhcp.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char seed_mac[6] = {0x02, 0x42, 0xc0, 0x00, 0x02, 0x10};

static void check(const void *buf, size_t len, uint32_t xid, const unsigned char mac[6])
{
	struct rk_dhcp_reply r;
	struct rk_dhcp_lease l;
	struct rk_err err;
	int rc;

	rc = rk_dhcp_parse(buf, len, xid, mac, &r);
	if (rc == -EBADMSG || rc == -ENOMSG)
		return;
	if (rc != 0 || r.msg_type < 0 || r.msg_type > 255 || r.nrouter < 0 ||
	    r.nrouter > RK_DHCP_MAX_ADDRS || r.ndns < 0 || r.ndns > RK_DHCP_MAX_ADDRS ||
	    (r.has_mask && r.mask.s_addr == 0))
		abort();
	rk_err_clear(&err);
	rc = rk_dhcp_reply_lease(&r, &l, &err);
	if (rc < 0) {
		if (rc != -EPROTO || err.code != EPROTO || err.msg[0] == '\0')
			abort();
		return;
	}
	if (rc != 0 || l.ip.s_addr == 0 || l.prefixlen < 1 || l.prefixlen > 32 || l.ndns < 1 ||
	    l.ndns > 3 || l.router.s_addr != r.router[0].s_addr || l.mask.s_addr == 0 ||
	    (r.has_lease ? l.lease_secs != r.lease_secs : l.lease_secs != RK_DHCP_DEFAULT_LEASE))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char mac[6];
	uint32_t xid;

	check(data, size, 0x12345678u, seed_mac);
	if (size >= 34) {
		xid = (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 | (uint32_t)data[6] << 8 |
		      data[7];
		memcpy(mac, data + 28, 6);
		check(data, size, xid, mac);
	}
	return 0;
}

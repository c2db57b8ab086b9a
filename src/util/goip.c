// SPDX-License-Identifier: Apache-2.0
/*
 * goip.c - Go's net.ParseIP and IP.String() (see goip.h). Syntax checks are
 * rk_portspec_ip_valid()'s (the validation the API applies), bytes come from inet_pton.
 */
#include "util/goip.h"
#include "util/portspec.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

bool go_ip_parse(const char *s, uint8_t ip[16])
{
	static const uint8_t v4prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (!rk_portspec_ip_valid(s))
		return false;
	if (strchr(s, ':'))
		return inet_pton(AF_INET6, s, ip) == 1;
	memcpy(ip, v4prefix, sizeof(v4prefix));
	return inet_pton(AF_INET, s, ip + 12) == 1;
}

void go_ip_string(const uint8_t ip[16], char *buf, size_t len)
{
	static const uint8_t v4prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	int e0 = -1, e1 = -1;
	size_t n = 0;

	if (!memcmp(ip, v4prefix, sizeof(v4prefix))) {
		snprintf(buf, len, "%u.%u.%u.%u", ip[12], ip[13], ip[14], ip[15]);
		return;
	}
	/* the first longest run of zero groups, if longer than one group */
	for (int i = 0; i < 16; i += 2) {
		int j = i;
		while (j + 1 < 16 && ip[j] == 0 && ip[j + 1] == 0)
			j += 2;
		if (j > i && j - i > e1 - e0) {
			e0 = i;
			e1 = j;
			i = j;
		}
	}
	if (e1 - e0 <= 2)
		e0 = e1 = -1;
	if (len)
		buf[0] = '\0';
	for (int i = 0; i < 16 && n < len; i += 2) {
		if (i == e0) {
			n += (size_t)snprintf(buf + n, len - n, "::");
			i = e1;
			if (i >= 16)
				break;
		} else if (i > 0) {
			n += (size_t)snprintf(buf + n, len - n, ":");
		}
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "%x",
					      (unsigned)(ip[i] << 8 | ip[i + 1]));
	}
}

bool go_ip_canonical(const char *s, char *buf, size_t len)
{
	uint8_t ip[16];

	if (!go_ip_parse(s, ip)) {
		snprintf(buf, len, "%s", s);
		return false;
	}
	go_ip_string(ip, buf, len);
	return true;
}

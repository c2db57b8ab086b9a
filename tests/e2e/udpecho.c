// SPDX-License-Identifier: Apache-2.0
/*
 * udpecho.c - the e2e test image's UDP echo server (busybox has none): `udpecho PORT` sends
 * every datagram on 0.0.0.0:PORT back to its sender. Built static by tests/e2e/conftest.py.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct sockaddr_storage peer;
	socklen_t plen;
	char buf[65536];
	ssize_t n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: udpecho PORT\n");
		return 2;
	}
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("udpecho");
		return 1;
	}
	for (;;) {
		plen = sizeof(peer);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen);
		if (n >= 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, plen);
	}
}

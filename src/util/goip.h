/* SPDX-License-Identifier: Apache-2.0 */
/*
 * goip.h - IP addresses as Go's net.IP reads and prints them: net.ParseIP's syntax and
 * IP.String()'s canonical text (IPv4 and IPv4-mapped addresses dotted, IPv6 per RFC 5952 with
 * Go's choice of the first longest zero run, never an embedded dotted quad otherwise).
 */
#ifndef RK_UTIL_GOIP_H
#define RK_UTIL_GOIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Buffer size that always holds go_ip_string()'s output. */
#define GO_IP_STRING_MAX 48

/**
 * go_ip_parse - net.ParseIP(@s): a dotted quad (no leading zeros) or an IPv6 literal (no zone,
 * no brackets), NUL-terminated. @ip gets the 16-byte form (IPv4 as ::ffff:a.b.c.d).
 * Return: true when @s is an address.
 */
bool go_ip_parse(const char *s, uint8_t ip[16]);

/** go_ip_string - Go's IP.String() of the 16-byte address @ip into @buf (always terminated). */
void go_ip_string(const uint8_t ip[16], char *buf, size_t len);

/**
 * go_ip_canonical - go_ip_parse() then go_ip_string(): the text Go prints for the address @s.
 * Return: true when @s is an address (else @buf is a copy of @s, truncated to @len).
 */
bool go_ip_canonical(const char *s, char *buf, size_t len);

#endif

// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_options.c - libFuzzer target: the command line. The input is split on NUL bytes into
 * argv words, parsed and validated; then the help and error paths must hold up too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "cli/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[65];
	struct rk_config cfg;
	struct rk_strv warns = {0};
	struct rk_choice choice;
	struct rk_err verr;
	int argc = 1;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = (char *)"rootlesskit";
	for (char *p = buf; p <= buf + size && argc < 64; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	rk_config_defaults(&cfg);
	if (rk_options_parse(argc, argv, &cfg, &verr) == 0)
		rk_config_validate(&cfg, &choice, &warns, &verr);
	rk_strv_free(&warns);
	rk_config_free(&cfg);
	free(buf);
	return 0;
}

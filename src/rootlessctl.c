// SPDX-License-Identifier: Apache-2.0
/*
 * rootlessctl.c - entry point of rootlessctl, the client of rootlesskit's REST API
 * (`rootlessctl [--socket PATH] list-ports|add-ports|remove-ports|info ...`); the program lives
 * in src/ctl/.
 */
#include "ctl/ctl.h"

int main(int argc, char **argv)
{
	return rk_ctl_main(argc, argv);
}

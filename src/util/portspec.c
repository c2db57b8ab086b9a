// SPDX-License-Identifier: Apache-2.0
/* placeholder: being written */
int rk_placeholder_portspec(void);
int rk_placeholder_portspec(void)
{
	return 0;
}

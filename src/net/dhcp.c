// SPDX-License-Identifier: Apache-2.0
/* placeholder: being written */
int rk_placeholder_dhcp(void);
int rk_placeholder_dhcp(void)
{
	return 0;
}

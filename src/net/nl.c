// SPDX-License-Identifier: Apache-2.0
/* placeholder: being written */
int rk_placeholder_nl(void);
int rk_placeholder_nl(void)
{
	return 0;
}

// SPDX-License-Identifier: Apache-2.0
/*
 * test_tabwriter.c - Go's text/tabwriter as rootlessctl uses it (src/util/tabwriter.c). The
 * port tables are outputs of Go's rootlessctl 1.1.0 (tabwriter.NewWriter(os.Stdout, 4, 8, 4,
 * ' ', 0)); the column-block case is Go's Example_elastic without AlignRight and Debug.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/tabwriter.h"

/* Run @in through a writer with Go's parameters and compare with @want. */
static void check(const char *in, int minwidth, int padding, char padchar, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct rk_tabwriter *tw;

	assert_non_null(f);
	tw = rk_tabwriter_new(f, minwidth, 8, padding, padchar);
	assert_non_null(tw);
	/* written in small pieces: cells may span writes */
	for (size_t i = 0, n; (n = strnlen(in + i, 3)) > 0; i += n)
		assert_int_equal(rk_tabwriter_write(tw, in + i, n), 0);
	assert_int_equal(rk_tabwriter_flush(tw), 0);
	rk_tabwriter_free(tw);
	fclose(f);
	assert_string_equal(buf, want);
	free(buf);
}

#define HEADER "ID\tPROTO\tPARENTIP\tPARENTPORT\tCHILDIP\tCHILDPORT\t\n"

static void test_port_tables(void **state)
{
	check(HEADER, 4, 4, ' ',
	      "ID    PROTO    PARENTIP    PARENTPORT    CHILDIP    CHILDPORT    \n");
	check(HEADER "1\ttcp\t127.0.0.1\t18080\t\t80\t\n"
		     "4\tudp\t127.0.0.1\t18083\t10.0.2.100\t83\t\n",
	      4, 4, ' ',
	      "ID    PROTO    PARENTIP     PARENTPORT    CHILDIP       CHILDPORT    \n"
	      "1     tcp      127.0.0.1    18080                       80           \n"
	      "4     udp      127.0.0.1    18083         10.0.2.100    83           \n");
	check(HEADER "-3\t\t\t0\t\t0\t\n123456789012\t\t\t0\t\t0\t\n", 4, 4, ' ',
	      "ID              PROTO    PARENTIP    PARENTPORT    CHILDIP    CHILDPORT    \n"
	      "-3                                   0                        0            \n"
	      "123456789012                         0                        0            \n");
	/* widths count runes; an invalid byte is one rune */
	check(HEADER "1\t\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\t\t0\t\xff\xfe\t0\t\n", 4, 4, ' ',
	      "ID    PROTO    PARENTIP    PARENTPORT    CHILDIP    CHILDPORT    \n"
	      "1     \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9                0             "
	      "\xff\xfe         0            \n");
}

static void test_column_blocks(void **state)
{
	check("a\tb\tc\naa\tbb\tcc\naaa\t\naaaa\tdddd\teeee\n", 0, 1, '.',
	      "a....b..c\naa...bb.cc\naaa..\naaaa.dddd.eeee\n");
	/* a line without tabs ends the blocks: the columns after it are sized anew */
	check("aaaaaa\tb\t\nx\nc\td\t\n", 0, 1, ' ', "aaaaaa b \nx\nc d \n");
	/* minwidth; text after the last tab is not a column; no final newline */
	check("a\tb\nccccc\td", 4, 1, '-', "a-----b\nccccc-d");
	check("", 4, 4, ' ', "");
}

static void test_printf_and_errors(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct rk_tabwriter *tw;
	char big[2000];

	assert_null(rk_tabwriter_new(f, 4, 8, 4, '\t'));
	tw = rk_tabwriter_new(f, 0, 8, 1, ' ');
	assert_non_null(tw);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(rk_tabwriter_printf(tw, "%d\t%s\t\n%s\t%s\t\n", 1, "a", big, "b"), 0);
	assert_int_equal(rk_tabwriter_flush(tw), 0);
	rk_tabwriter_free(tw);
	fclose(f);
	/* column widths 1999 + 1 and 1 + 1: two lines of 2000 + 2 + a newline */
	assert_int_equal(len, 2 * (sizeof(big) + 3));
	assert_int_equal(memcmp(buf, "1 ", 2), 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_port_tables),
	    cmocka_unit_test(test_column_blocks),
	    cmocka_unit_test(test_printf_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The gnuplot program checker (pm_plot_script_check, pm_plot_data_check)
 * that stands between a log and gnuplot: it accepts what pm_plot_script()
 * writes, and refuses every way known to make gnuplot run a command or
 * read a file other than the data: "!cmd", system, shell, load/call,
 * backquotes, pipes ("< cmd" file names), a quote that ends a string, a
 * line break inside one.
 */
#include <stdlib.h>
#include <string.h>

#include "../../analysis/analysis.h"
#include "unit.h"

#define DATA "/tmp/pagemove-plot.Ab12Cd"

static const char *good_script(void)
{
	static char text[8192];
	static struct model m;
	FILE *f = fmemopen(text, sizeof(text), "w");

	memset(&m, 0, sizeof(m));
	strcpy(m.hdr.tool, "migratevma");
	strcpy(m.hdr.kernel, "7.3.0-rc7");
	m.nstages = 1;
	strcpy(m.stages[0].display, "collect");
	pm_hist_add(&m.stages[0].h, 1000);
	pm_plot_script(&m, f, DATA);
	fclose(f);
	return text;
}

TEST(generated_script_is_accepted)
{
	const char *s = good_script(), *why = pm_plot_script_check(s, DATA);

	CHECK(strstr(s, "plot '" DATA "' index 1"), "script: %s", s);
	CHECK(!why, "%s", why);
}

TEST(every_way_out_is_refused)
{
	static const char *const bad[] = {
		"!id\n",
		"system \"id\"\n",
		"set multiplot layout 2,1 title 'x'\n!id\n",
		"set multiplot layout 2,1 title 'x'.system('id').'y'\n",
		"set multiplot layout 2,1 title 'a'\nshell\n",
		"load '/tmp/x'\n",
		"call '/tmp/x'\n",
		"set multiplot layout 2,1 title '`id`'\n",
		"set multiplot layout 2,1 title 'it''s'\n",
		"plot '<id' index 0 using 1:2 with steps lw 2 title columnheader(1)\n",
		"plot '" DATA "' index 0 using 1:2 with steps lw 2 title columnheader(1), '<id' index 1 using 1:2 with steps lw 2 title columnheader(1)\n",
		"plot '" DATA "' index 0 using 1:2 with steps lw 2 title 'x'.system('id')\n",
		"plot '" DATA "' index 0 using 1:2 with steps lw 2 title columnheader(1) | 'id'\n",
		"set output '|id'\n",
		"set print '|id'\n",
		"set terminal svg size 900,900 dynamic\nset grid",	/* unterminated */
		"set title 'CDF'\r\n",
		"eval 'id'\n",
		"set macros\n@x\n",
		"pipe\n",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(pm_plot_script_check(bad[i], DATA), "accepted: %s", bad[i]);
	CHECK(pm_plot_script_check("set grid\n", "/tmp/x'y"), "data file name with a quote");
	CHECK(pm_plot_script_check("set grid\n", "</tmp/x"), "data file name with a pipe");
}

TEST(data_file_holds_only_data)
{
	CHECK(!pm_plot_data_check("# stage 0: CDF\n\"collect\" \"collect\"\n1.5 0\n2e+06 1\n\n\n"),
	      "good data refused");
	CHECK(pm_plot_data_check("\"a\"b\" \"x\"\n"), "label with a quote inside");
	CHECK(pm_plot_data_check("\"a\\\" \"x\"\n"), "label with a backslash");
	CHECK(pm_plot_data_check("# x\n!id\n"), "a command line");
	CHECK(pm_plot_data_check("# x;`id`\n"), "comment outside the alphabet");
	CHECK(pm_plot_data_check("1 2"), "unterminated");
}

UNIT_MAIN

// SPDX-License-Identifier: GPL-2.0
/* The JSON writer, against output written out by hand. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/json.h"
#include "unit.h"

struct buf {
	char *s;
	size_t n;
	FILE *f;
};

static FILE *buf_open(struct buf *b)
{
	b->s = NULL;
	b->n = 0;
	b->f = open_memstream(&b->s, &b->n);
	return b->f;
}

static char *buf_close(struct buf *b)
{
	fclose(b->f);
	return b->s;
}

TEST(nested_values_get_commas_and_closers)
{
	struct pm_json j;
	struct buf b;
	char *s;
	int rc;

	pm_json_begin(&j, buf_open(&b));
	pm_json_obj(&j, NULL);
	pm_json_str(&j, "tool", "zsmigrate");
	pm_json_u64(&j, "n", 18446744073709551615ULL);
	pm_json_i64(&j, "d", -3);
	pm_json_arr(&j, "a");
	pm_json_u64(&j, NULL, 1);
	pm_json_obj(&j, NULL);
	pm_json_end(&j);
	pm_json_arr(&j, NULL);
	pm_json_end(&j);
	pm_json_bool(&j, NULL, false);
	pm_json_end(&j);
	pm_json_null(&j, "z");
	pm_json_dbl(&j, "x", 0.5, 3);
	pm_json_end(&j);
	rc = pm_json_finish(&j);
	s = buf_close(&b);
	CHECK(rc == 0, "finish says %d", rc);
	CHECK(!strcmp(s, "{\"tool\":\"zsmigrate\",\"n\":18446744073709551615,\"d\":-3,"
		      "\"a\":[1,{},[],false],\"z\":null,\"x\":0.5}\n"), "got %s", s);
	free(s);
}

TEST(strings_are_escaped_and_bad_utf8_replaced)
{
	struct pm_json j;
	struct buf b;
	char *s;

	pm_json_begin(&j, buf_open(&b));
	pm_json_obj(&j, NULL);
	/* quote, backslash, newline, DEL, a valid e-acute, a lone 0xff, an overlong '/' */
	pm_json_str(&j, "k\"", "a\"b\\c\nd\x7f\xc3\xa9\xff\xc0\xaf");
	pm_json_str(&j, "null", NULL);
	pm_json_end(&j);
	pm_json_finish(&j);
	s = buf_close(&b);
	CHECK(!strcmp(s, "{\"k\\\"\":\"a\\\"b\\\\c\\u000ad\\u007f\xc3\xa9\\ufffd\\ufffd\\ufffd\","
		      "\"null\":\"\"}\n"), "got %s", s);
	free(s);
}

TEST(non_finite_numbers_are_null)
{
	struct pm_json j;
	struct buf b;
	char *s;

	pm_json_begin(&j, buf_open(&b));
	pm_json_arr(&j, NULL);
	pm_json_dbl(&j, NULL, NAN, 0);
	pm_json_dbl(&j, NULL, INFINITY, 0);
	pm_json_dbl(&j, NULL, 0.1, 0);
	pm_json_end(&j);
	pm_json_finish(&j);
	s = buf_close(&b);
	CHECK(!strcmp(s, "[null,null,0.10000000000000001]\n"), "got %s", s);
	free(s);
}

TEST(fixed_point_keeps_its_digits_and_non_finite_is_null)
{
	struct pm_json j;
	struct buf b;
	char *s;

	pm_json_begin(&j, buf_open(&b));
	pm_json_obj(&j, NULL);
	pm_json_fixed(&j, "p99_ns", 553369.0, 1);
	pm_json_fixed(&j, "share", 0.475, 4);
	pm_json_fixed(&j, "ts", 16.0, 3);
	pm_json_fixed(&j, "n", 2.5, 0);
	pm_json_arr(&j, "x");
	pm_json_fixed(&j, NULL, NAN, 1);
	pm_json_fixed(&j, NULL, -INFINITY, 4);
	pm_json_fixed(&j, NULL, 1.0 / 3, 6);
	pm_json_end(&j);
	pm_json_end(&j);
	pm_json_finish(&j);
	s = buf_close(&b);
	CHECK(!strcmp(s, "{\"p99_ns\":553369.0,\"share\":0.4750,\"ts\":16.000,\"n\":2,"
		      "\"x\":[null,null,0.333333]}\n"), "got %s", s);
	free(s);
}

TEST(line_array_puts_each_element_and_its_close_on_a_line)
{
	struct pm_json j;
	struct buf b;
	char *s;
	int rc;

	pm_json_begin(&j, buf_open(&b));
	pm_json_obj(&j, NULL);
	pm_json_arr_lines(&j, "ev");
	pm_json_obj(&j, NULL);
	pm_json_arr(&j, "a");		/* nested: compact again */
	pm_json_u64(&j, NULL, 1);
	pm_json_u64(&j, NULL, 2);
	pm_json_end(&j);
	pm_json_end(&j);
	pm_json_u64(&j, NULL, 3);
	pm_json_end(&j);
	pm_json_arr_lines(&j, "none");
	pm_json_end(&j);
	pm_json_end(&j);
	rc = pm_json_finish(&j);
	s = buf_close(&b);
	CHECK(rc == 0 && !strcmp(s, "{\"ev\":[\n{\"a\":[1,2]},\n3\n],\"none\":[\n]}\n"),
	      "rc %d, got %s", rc, s);
	free(s);
}

TEST(misuse_is_reported_by_finish)
{
	struct pm_json j;
	struct buf b;
	char *s;
	int i, rc;

	/* a key inside an array */
	pm_json_begin(&j, buf_open(&b));
	pm_json_arr(&j, NULL);
	pm_json_u64(&j, "k", 1);
	pm_json_end(&j);
	rc = pm_json_finish(&j);
	free(buf_close(&b));
	CHECK(rc == -1, "key in an array accepted");

	/* no key inside an object */
	pm_json_begin(&j, buf_open(&b));
	pm_json_obj(&j, NULL);
	pm_json_u64(&j, NULL, 1);
	pm_json_end(&j);
	rc = pm_json_finish(&j);
	free(buf_close(&b));
	CHECK(rc == -1, "value without key in an object accepted");

	/* left open: closed by finish, and reported */
	pm_json_begin(&j, buf_open(&b));
	pm_json_obj(&j, NULL);
	pm_json_arr(&j, "a");
	rc = pm_json_finish(&j);
	s = buf_close(&b);
	CHECK(rc == -1 && !strcmp(s, "{\"a\":[]}\n"), "rc %d, got %s", rc, s);
	free(s);

	/* too deep: refused, output stays balanced */
	pm_json_begin(&j, buf_open(&b));
	for (i = 0; i < PM_JSON_MAX_DEPTH + 2; i++)
		pm_json_arr(&j, NULL);
	for (i = 0; i < PM_JSON_MAX_DEPTH + 2; i++)
		pm_json_end(&j);
	rc = pm_json_finish(&j);
	free(buf_close(&b));
	CHECK(rc == -1, "depth %d accepted", PM_JSON_MAX_DEPTH + 2);

	/* two values at the top */
	pm_json_begin(&j, buf_open(&b));
	pm_json_u64(&j, NULL, 1);
	pm_json_u64(&j, NULL, 2);
	rc = pm_json_finish(&j);
	free(buf_close(&b));
	CHECK(rc == -1, "two top-level values accepted");
}

UNIT_MAIN

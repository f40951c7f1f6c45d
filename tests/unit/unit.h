/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal test harness: TEST(name) defines a test, CHECK() records a
 * failure with its line, main() from UNIT_MAIN runs them all and closes
 * with "N passed, N failed".  Built with ASan and UBSan by `make unit`.
 */
#ifndef PAGEMOVE_UNIT_H
#define PAGEMOVE_UNIT_H

#include <stdio.h>

struct unit_test {
	const char *name;
	void (*fn)(int *failed);
};

#define TEST(name)							\
	static void test_##name(int *unit_failed);			\
	static const struct unit_test unit_##name			\
		__attribute__((used, section("unit_tests"), aligned(8))) = \
		{ #name, test_##name };					\
	static void test_##name(int *unit_failed)

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "  %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			(*unit_failed)++;				\
			return;						\
		}							\
	} while (0)

extern const struct unit_test __start_unit_tests[], __stop_unit_tests[];

#define UNIT_MAIN							\
	int main(void)							\
	{								\
		const struct unit_test *t;				\
		int passed = 0, failed = 0;				\
									\
		for (t = __start_unit_tests; t < __stop_unit_tests; t++) { \
			int f = 0;					\
									\
			t->fn(&f);					\
			printf("%s: %s\n", f ? "FAIL" : "PASS", t->name); \
			if (f)						\
				failed++;				\
			else						\
				passed++;				\
		}							\
		printf("%d passed, %d failed\n", passed, failed);	\
		return failed ? 1 : 0;					\
	}

#endif /* PAGEMOVE_UNIT_H */

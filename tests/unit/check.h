/*
 * A minimal host test framework for the portable kernel cores (tests/unit/test_*.c).
 * CHECK() stops the current test on failure; CHECK_MAIN() runs a table of tests.
 */
#ifndef TESTS_UNIT_CHECK_H
#define TESTS_UNIT_CHECK_H

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

static jmp_buf check_abort;

#define TEST(fn) { #fn, fn }

/* Report the failed expression and abandon the current test. */
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			longjmp(check_abort, 1);			\
		}							\
	} while (0)

/* As CHECK(strcmp(a, b) == 0), printing both strings on failure. */
#define CHECK_STREQ(a, b)						\
	do {								\
		const char *check_a_ = (a), *check_b_ = (b);		\
		if (strcmp(check_a_, check_b_) != 0) {			\
			fprintf(stderr, "%s:%d: CHECK failed: %s == %s\n"	\
				"  got:  \"%s\"\n  want: \"%s\"\n",	\
				__FILE__, __LINE__, #a, #b, check_a_, check_b_); \
			longjmp(check_abort, 1);			\
		}							\
	} while (0)

/* Run every test; print one line per failure and a summary. Returns the exit status. */
static inline int check_run(const char *suite, const struct unit_test *tests, size_t n)
{
	volatile size_t failed = 0, i;

	for (i = 0; i < n; i++) {
		if (setjmp(check_abort) == 0) {
			tests[i].fn();
			continue;
		}
		fprintf(stderr, "FAIL %s: %s\n", suite, tests[i].name);
		failed++;
	}
	printf("%s: %zu/%zu tests passed\n", suite, n - failed, n);
	return failed ? 1 : 0;
}

#define CHECK_MAIN(suite, tests)					\
	int main(void)							\
	{								\
		return check_run(suite, tests, sizeof(tests) / sizeof(tests[0])); \
	}

#endif

/*
 * ktest: Duet's in-kernel unit tests, reported in KTAP (the Linux kernel's
 * test output format, version 1).
 *
 *   KTEST(bitmap, alloc_is_aligned)
 *   {
 *       paddr_t pa = page_alloc_aligned(1, 4);
 *       KT_ASSERT_NE(pa, PHYS_NONE);
 *       KT_EXPECT_TRUE(IS_ALIGNED(pa, 4 * PAGE_SIZE));
 *   }
 *
 * Tests with the same suite name form one KTAP subtest; suites run in link
 * order and tests in source order. A suite may have hooks that run before
 * its first and after its last test; the exit hook is reported as a final
 * test case named "suite_exit" and is the place for leak checks.
 *
 *   KTEST_SUITE(bitmap, bitmap_suite_init, bitmap_suite_exit);
 *
 * KT_EXPECT_* records a failure and carries on; KT_ASSERT_* records it and
 * ends the test. Comparisons are made on the values converted to uint64_t
 * (pointers and negative numbers included), and a failure prints both.
 *
 * A panic inside a test ends that test as "not ok" with the panic message,
 * and the run goes on with the next test. A KTEST_SHOULD_PANIC test passes
 * only if it panics (optionally with a message containing a given text).
 */
#ifndef DUET_KTEST_H
#define DUET_KTEST_H

#include <stdnoreturn.h>
#include "kernel/types.h"
#include "kernel/printf.h"
#include "kernel/string.h"

struct ktest {
	const char *suite;
	const char *name;
	void (*fn)(void);
	bool should_panic;
};

struct ktest_suite {
	const char *name;
	void (*init)(void);
	void (*exit)(void);
};

#define KTEST_DEFINE_(suite, name, panics)                                   \
	static void ktest_fn_##suite##__##name(void);                        \
	static const struct ktest ktest_##suite##__##name                    \
	__attribute__((used, section(".ktests"), aligned(8))) = {            \
		#suite, #name, ktest_fn_##suite##__##name, panics };         \
	static void ktest_fn_##suite##__##name(void)

#define KTEST(suite, name)              KTEST_DEFINE_(suite, name, false)
#define KTEST_SHOULD_PANIC(suite, name) KTEST_DEFINE_(suite, name, true)

#define KTEST_SUITE(suite, init_fn, exit_fn)                                 \
	static const struct ktest_suite ktest_suite_##suite                  \
	__attribute__((used, section(".ktest_suites"), aligned(8))) = {      \
		#suite, init_fn, exit_fn }

/* ---- Running --------------------------------------------------------------
 * patterns: comma-separated globs matched against "suite" and against
 * "suite.test" ("*" runs everything). Prints the KTAP report and returns
 * the number of failed tests (0 means every selected test passed).
 */
int ktest_run(const char *patterns);

/* Print the names of every suite and test matching patterns. */
void ktest_list(const char *patterns);

/*
 * Binding results to one boot (docs/grading.md). The grader boots with a
 * fresh "ktap_nonce=<hex>" on the command line; ktest_run() then ends each
 * result line with " # tag:<16 hex digits>", this 64-bit FNV-1a hash of
 *
 *     "<nonce>|<suite>|<number>|<name>|<verdict>"
 *
 * where verdict is "ok", "not ok" or "skip", and suite is "" for a suite's
 * own result line (name is then the suite's name). A canned or replayed
 * report does not carry this boot's tags, so it earns nothing. Without a
 * nonce (a boot by hand) no tag is printed.
 */
uint64_t ktest_result_tag(const char *nonce, const char *suite, int number,
			  const char *name, const char *verdict);

/*
 * Run fn; if it panics, catch the panic like a test would, copy the
 * message into why and return false. Boot uses this so that an
 * unfinished lab (a stub that panics "not implemented") leaves a kernel
 * that still reaches its tests and monitor.
 */
bool run_catching_panic(void (*fn)(void), char *why, size_t why_size);

/* Called by panic(): true if a test was running and has been abandoned
 * (in which case this does not return). */
void ktest_panic_hook(const char *message);

/* ---- Assertions -------------------------------------------------------- */

void ktest_fail_cmp(const char *file, int line, const char *a_text,
		    const char *op, const char *b_text, uint64_t a, uint64_t b,
		    bool fatal);
void ktest_fail(const char *file, int line, bool fatal, const char *fmt, ...)
	PRINTF_LIKE(4, 5);
noreturn void ktest_skip(const char *reason);
void ktest_expect_panic_message(const char *substring);

#define KT_CMP_(a, op, b, fatal)                                             \
	do {                                                                 \
		uint64_t kt_a_ = (uint64_t)(uintptr_t)(a);                   \
		uint64_t kt_b_ = (uint64_t)(uintptr_t)(b);                   \
		if (!(kt_a_ op kt_b_))                                       \
			ktest_fail_cmp(__FILE__, __LINE__, #a, #op, #b,      \
				       kt_a_, kt_b_, fatal);                 \
	} while (0)

#define KT_EXPECT_EQ(a, b) KT_CMP_(a, ==, b, false)
#define KT_EXPECT_NE(a, b) KT_CMP_(a, !=, b, false)
#define KT_EXPECT_LT(a, b) KT_CMP_(a, <,  b, false)
#define KT_EXPECT_LE(a, b) KT_CMP_(a, <=, b, false)
#define KT_EXPECT_GT(a, b) KT_CMP_(a, >,  b, false)
#define KT_EXPECT_GE(a, b) KT_CMP_(a, >=, b, false)
#define KT_ASSERT_EQ(a, b) KT_CMP_(a, ==, b, true)
#define KT_ASSERT_NE(a, b) KT_CMP_(a, !=, b, true)
#define KT_ASSERT_LT(a, b) KT_CMP_(a, <,  b, true)
#define KT_ASSERT_LE(a, b) KT_CMP_(a, <=, b, true)
#define KT_ASSERT_GT(a, b) KT_CMP_(a, >,  b, true)
#define KT_ASSERT_GE(a, b) KT_CMP_(a, >=, b, true)

#define KT_EXPECT_TRUE(c)                                                    \
	do { if (!(c)) ktest_fail(__FILE__, __LINE__, false,                 \
				  "expected %s to be true", #c); } while (0)
#define KT_EXPECT_FALSE(c)                                                   \
	do { if (c) ktest_fail(__FILE__, __LINE__, false,                    \
			       "expected %s to be false", #c); } while (0)
#define KT_ASSERT_TRUE(c)                                                    \
	do { if (!(c)) ktest_fail(__FILE__, __LINE__, true,                  \
				  "expected %s to be true", #c); } while (0)
#define KT_ASSERT_FALSE(c)                                                   \
	do { if (c) ktest_fail(__FILE__, __LINE__, true,                     \
			       "expected %s to be false", #c); } while (0)
#define KT_EXPECT_STREQ(a, b)                                                \
	do { const char *kt_a_ = (a), *kt_b_ = (b);                          \
	     if (strcmp(kt_a_, kt_b_) != 0)                                  \
		ktest_fail(__FILE__, __LINE__, false,                        \
			   "expected %s == %s, got \"%s\" vs \"%s\"",       \
			   #a, #b, kt_a_, kt_b_); } while (0)

/* Fail with a message of your own (fatal: ends the test). */
#define KT_FAIL(...) ktest_fail(__FILE__, __LINE__, true, __VA_ARGS__)
#define KT_SKIP(reason) ktest_skip(reason)
/* In a KTEST_SHOULD_PANIC test: the panic message must contain text. */
#define KT_PANIC_MESSAGE_CONTAINS(text) ktest_expect_panic_message(text)

#endif

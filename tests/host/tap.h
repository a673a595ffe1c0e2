/*
 * A tiny TAP (Test Anything Protocol) framework for the host unit tests.
 *
 *   TAP_TEST(merges_touching_ranges) {
 *       TAP_EXPECT_EQ(map.nusable, 1);
 *   }
 *   TAP_MAIN()
 *
 * Each test binary prints "1..N" then "ok K name" / "not ok K name" and
 * exits non-zero if any test failed. Failures print file:line and both
 * values as "# " diagnostics. TAP_EXPECT_PANIC(stmt) passes if stmt calls
 * panic() (the host panic() longjmps back here instead of aborting).
 */
#ifndef DUET_TAP_H
#define DUET_TAP_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tap_test {
	const char *name;
	void (*fn)(void);
};

#define TAP_MAX_TESTS 512
extern struct tap_test tap_tests[TAP_MAX_TESTS];
extern int tap_ntests;
extern int tap_current_failed;

/* host_arch.c: when non-NULL, panic() longjmps here. */
extern jmp_buf *host_panic_jmp;
extern char host_panic_message[512];

#define TAP_TEST(name)                                                      \
	static void tap_fn_##name(void);                                    \
	__attribute__((constructor)) static void tap_reg_##name(void)       \
	{                                                                   \
		if (tap_ntests < TAP_MAX_TESTS)                             \
			tap_tests[tap_ntests++] =                           \
				(struct tap_test){ #name, tap_fn_##name };  \
	}                                                                   \
	static void tap_fn_##name(void)

#define TAP_FAIL(...)                                                       \
	do {                                                                \
		printf("# %s:%d: ", __FILE__, __LINE__);                    \
		printf(__VA_ARGS__);                                        \
		printf("\n");                                               \
		tap_current_failed = 1;                                     \
	} while (0)

#define TAP_EXPECT(cond)                                                    \
	do { if (!(cond)) TAP_FAIL("expected %s", #cond); } while (0)

#define TAP_EXPECT_EQ(a, b)                                                 \
	do {                                                                \
		uint64_t tap_a_ = (uint64_t)(uintptr_t)(a);                 \
		uint64_t tap_b_ = (uint64_t)(uintptr_t)(b);                 \
		if (tap_a_ != tap_b_)                                       \
			TAP_FAIL("expected %s == %s, got %#" PRIx64         \
				 " (%" PRId64 ") vs %#" PRIx64 " (%" PRId64 ")", \
				 #a, #b, tap_a_, (int64_t)tap_a_, tap_b_,   \
				 (int64_t)tap_b_);                          \
	} while (0)

/* Run stmt; it must panic. Optionally check the message with
 * TAP_EXPECT(strstr(host_panic_message, "double free")) afterwards. */
#define TAP_EXPECT_PANIC(stmt)                                              \
	do {                                                                \
		jmp_buf tap_jb_;                                            \
		jmp_buf *tap_saved_ = host_panic_jmp;                       \
		host_panic_message[0] = '\0';                               \
		if (setjmp(tap_jb_) == 0) {                                 \
			host_panic_jmp = &tap_jb_;                          \
			stmt;                                               \
			host_panic_jmp = tap_saved_;                        \
			TAP_FAIL("expected a panic from %s", #stmt);        \
		} else {                                                    \
			host_panic_jmp = tap_saved_;                        \
		}                                                           \
	} while (0)

int tap_main(void);
#define TAP_MAIN()                                                          \
	struct tap_test tap_tests[TAP_MAX_TESTS];                           \
	int tap_ntests;                                                     \
	int tap_current_failed;                                             \
	int main(void) { return tap_main(); }

#endif

/*
 * Shared helpers for the libFuzzer targets in tests/fuzz/ (see README.md).
 *
 * Every target turns the fuzzer's bytes into calls to the real mm/ code,
 * linked with tests/host/host_arch.c, and checks the results against a
 * simple model. Two kinds of failure end the run with abort(), which
 * libFuzzer saves as a crash:
 *   - a broken rule the model notices (FUZZ_CHECK): two allocations
 *     overlap, a page is lost, a count disagrees, ...;
 *   - a panic the model did not expect, or a misuse (double free, bad
 *     alignment, ...) that should have panicked and did not.
 * Expected panics are accepted: host panic() longjmps back to PANICKED().
 */
#ifndef DUET_FUZZ_H
#define DUET_FUZZ_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include "kernel/types.h"

/* From tests/host/host_arch.c: where panic() longjmps, and what it said. */
extern jmp_buf *host_panic_jmp;
extern char host_panic_message[512];

/* ---- Reading the input --------------------------------------------------
 * The input is a stream of bytes consumed front to back. Reading past the
 * end yields zeros, so every input is valid and short inputs mean "the
 * simplest case"; fuzz_more() says whether anything is left.
 */
struct input {
	const uint8_t *p;
	size_t n;
};

uint8_t  take8(struct input *in);
uint16_t take16(struct input *in);
uint32_t take32(struct input *in);
uint64_t take64(struct input *in);
static inline bool fuzz_more(const struct input *in)
{
	return in->n > 0;
}

/* ---- Failing ------------------------------------------------------------ */

/* Print "fuzz: <message>" on stderr and abort(). */
noreturn void fuzz_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
noreturn void fuzz_fail_at(const char *file, int line, const char *cond,
			   const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* FUZZ_CHECK(cond) or FUZZ_CHECK(cond, "format", args...): abort unless
 * cond holds, naming the rule broken. */
#define FUZZ_CHECK(cond, ...)                                               \
	do {                                                                \
		if (!(cond))                                                \
			fuzz_fail_at(__FILE__, __LINE__, #cond,             \
				     "" __VA_ARGS__);                       \
	} while (0)

/* With FUZZ_TRACE=1 in the environment, print each operation on stderr
 * (to read what a crashing input does); otherwise do nothing. */
void fuzz_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- Panics ------------------------------------------------------------- */

/*
 * Run stmt with panics caught: true if it panicked (the message is then
 * in host_panic_message). Any result stmt assigns is only meaningful if
 * it did not panic.
 */
#define PANICKED(stmt)                                                      \
	__extension__({                                                     \
		jmp_buf fz_jb_;                                             \
		volatile bool fz_panicked_ = false;                         \
		host_panic_message[0] = '\0';                               \
		host_panic_jmp = &fz_jb_;                                   \
		if (setjmp(fz_jb_) == 0) {                                  \
			stmt;                                               \
		} else {                                                    \
			fz_panicked_ = true;                                \
		}                                                           \
		host_panic_jmp = NULL;                                      \
		fz_panicked_;                                               \
	})

/*
 * The outcome must match the model: a panic if and only if expected, and
 * then a message containing text (NULL: any message). what names the call.
 */
void fuzz_expect(bool panicked, bool expected, const char *text,
		 const char *what);

/* Run stmt; it must panic exactly when expected (see fuzz_expect). */
#define EXPECT_PANIC_IF(expected, text, what, stmt)                         \
	do {                                                                \
		bool fz_result_ = PANICKED(stmt);                           \
		fuzz_expect(fz_result_, (expected), (text), (what));        \
	} while (0)

/* No lock may be held between operations, panics included. */
void fuzz_check_no_locks(void);

#endif

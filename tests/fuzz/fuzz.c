/*
 * Shared helpers for the fuzz targets: the input reader, failing, and
 * checking panics against the model. See fuzz.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/spinlock.h"
#include "tests/fuzz/fuzz.h"
#include "tests/host/tap.h"

/* host_arch.c's TAP runner refers to these; the fuzzers never use it. */
struct tap_test tap_tests[TAP_MAX_TESTS];
int tap_ntests;
int tap_current_failed;

/* ---- Reading the input --------------------------------------------------- */

uint8_t take8(struct input *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

uint16_t take16(struct input *in)
{
	return (uint16_t)(take8(in) | take8(in) << 8);
}

uint32_t take32(struct input *in)
{
	return take16(in) | (uint32_t)take16(in) << 16;
}

uint64_t take64(struct input *in)
{
	return take32(in) | (uint64_t)take32(in) << 32;
}

/* ---- Failing ------------------------------------------------------------- */

noreturn void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

noreturn void fuzz_fail_at(const char *file, int line, const char *cond,
			   const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz: %s:%d: rule broken: %s\n", file, line, cond);
	if (*fmt) {
		fprintf(stderr, "fuzz:   ");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\n");
	}
	abort();
}

void fuzz_trace(const char *fmt, ...)
{
	static int on = -1;
	va_list ap;

	if (on < 0)
		on = getenv("FUZZ_TRACE") != NULL;
	if (!on)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* ---- Panics -------------------------------------------------------------- */

void fuzz_expect(bool panicked, bool expected, const char *text,
		 const char *what)
{
	if (panicked && !expected)
		fuzz_fail("%s panicked on a valid call: \"%s\"", what,
			  host_panic_message);
	if (!panicked && expected)
		fuzz_fail("%s did not panic on a misuse: the misuse went "
			  "undetected", what);
	if (panicked && text && !strstr(host_panic_message, text))
		fuzz_fail("%s panicked with \"%s\", expected a message "
			  "containing \"%s\"", what, host_panic_message, text);
	fuzz_check_no_locks();
}

void fuzz_check_no_locks(void)
{
	if (spin_held_count() != 0)
		fuzz_fail("%u lock(s) still held after the call (a panic "
			  "must release its lock)", spin_held_count());
}

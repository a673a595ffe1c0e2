/*
 * panic(): stop because a rule was broken. Always say which function
 * found the problem, the address involved and the rule, e.g.
 *   panic("bitmap_free: page %#lx is already free (double free)", pa);
 *
 * Inside a test the panic is caught by the test framework (see ktest.h);
 * anywhere else it prints a backtrace and makes QEMU exit with "fail".
 */
#ifndef DUET_PANIC_H
#define DUET_PANIC_H

#include <stdnoreturn.h>
#include "kernel/printf.h"

noreturn void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* For the test framework: a panic inside a test has been handled. */
void panic_reset(void);

/* Panic unless cond holds. For invariants, not for checking user input. */
#define ASSERT(cond)                                                   \
	do {                                                           \
		if (!(cond))                                           \
			panic("%s:%d: %s: assertion '%s' failed",      \
			      __FILE__, __LINE__, __func__, #cond);    \
	} while (0)

#endif

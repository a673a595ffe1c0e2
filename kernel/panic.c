/*
 * panic(): report a broken rule and stop.
 *
 * Inside a running test the test framework takes over (the test fails, or
 * passes if it was expected to panic) and the run goes on. Otherwise we
 * print the message and a backtrace and make QEMU exit with "fail".
 */
#include <stdarg.h>

#include "kernel/arch.h"
#include "kernel/ktest.h"
#include "kernel/panic.h"

static int panic_depth;

static void print_frame(uintptr_t ra)
{
	kprintf("  %p\n", (void *)ra);
}

noreturn void panic(const char *fmt, ...)
{
	char message[256];
	va_list ap;

	arch_irq_save();
	va_start(ap, fmt);
	kvsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);

	if (panic_depth++ == 0)
		ktest_panic_hook(message);      /* returns only outside tests */

	kprintf("\npanic: %s\n", message);
	if (panic_depth == 1) {
		kprintf("backtrace (look addresses up with "
			"addr2line -e <kernel.elf>, or 'list *ADDR' in gdb):\n");
		arch_backtrace(print_frame, 16);
	} else {
		kprintf("(panic while panicking: no backtrace)\n");
	}
	arch_exit(1);
}

/* The test framework calls this after recovering from a panic. */
void panic_reset(void)
{
	panic_depth = 0;
}

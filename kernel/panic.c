/*
 * panic(): report a broken rule and stop.
 *
 * Inside smp_run_on_all() the run takes over, on any CPU: the CPU
 * abandons its share and CPU 0 panics with the message once the run is
 * over (kernel/smp.h). Inside a running test, on CPU 0, the test
 * framework takes over (the test fails, or passes if it was expected to
 * panic) and the run goes on. Otherwise we print the message, naming the
 * CPU if it is not CPU 0, and a backtrace, and make QEMU exit with
 * "fail" -- which stops every CPU.
 */
#include <stdarg.h>

#include "kernel/arch.h"
#include "kernel/ktest.h"
#include "kernel/panic.h"
#include "kernel/smp.h"

/* Per CPU: two CPUs may panic at once, each for its own reason. */
static int panic_depth[MAX_CPUS];

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

	unsigned cpu = arch_cpu_id();
	if (panic_depth[cpu]++ == 0) {
		/* Each returns only if it has nothing to catch. Tests run
		 * on CPU 0: the test framework's state is CPU 0's. */
		smp_panic_hook(message);
		if (cpu == 0)
			ktest_panic_hook(message);
	}

	if (cpu == 0)
		kprintf("\npanic: %s\n", message);
	else
		kprintf("\npanic: CPU %u: %s\n", cpu, message);
	if (panic_depth[cpu] == 1) {
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
	panic_depth[arch_cpu_id()] = 0;
}

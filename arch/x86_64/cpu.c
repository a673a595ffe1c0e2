/* Small per-CPU services: which CPU this is, interrupts on/off, exiting
 * QEMU, backtraces. */
#include "arch/x86_64/memlayout.h"
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

/* ---- Which CPU is this? ------------------------------------------------- */

struct x86_cpu x86_cpus[MAX_CPUS];

_Static_assert(offsetof(struct x86_cpu, index) == 0,
	       "arch_cpu_id() reads the index at %gs:0");

/*
 * Point %gs at this CPU's struct x86_cpu. Nothing in Duet loads %gs
 * again (that would reset its base), so from now on %gs:0 is the index.
 */
void cpu_local_init(unsigned cpu, uintptr_t stack_top)
{
	struct x86_cpu *c = &x86_cpus[cpu];

	c->index = cpu;
	c->stack_top = stack_top;
	c->stack_guard = stack_top - CPU_STACK_SIZE - PAGE_SIZE;
	wrmsr(MSR_GS_BASE, (uintptr_t)c);
}

_Static_assert(BOOT_STACK_SIZE == CPU_STACK_SIZE,
	       "cpu_local_init expects every stack to be CPU_STACK_SIZE");

/* One load, no lock: every spin_lock() calls this. */
unsigned arch_cpu_id(void)
{
	unsigned id;

	__asm__ volatile("movl %%gs:0, %0" : "=r"(id));
	return id;
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
 * A fault may be reported on this CPU's double fault stack, so both of
 * its stacks count.
 */
static bool within(uintptr_t fp, uintptr_t base, uintptr_t top)
{
	return fp >= base && fp + 16 <= top;
}

static bool on_stack(uintptr_t fp)
{
	unsigned cpu = arch_cpu_id();
	const struct x86_cpu *c = &x86_cpus[cpu];
	uintptr_t df = (uintptr_t)double_fault_stacks[cpu];

	return IS_ALIGNED(fp, 8) &&
	       (within(fp, c->stack_guard + PAGE_SIZE, c->stack_top) ||
		within(fp, df, df + DOUBLE_FAULT_STACK_SIZE));
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

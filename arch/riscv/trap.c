/*
 * Trap reporting. Every trap is a kernel bug (or a test that expects
 * one): print what happened in words, the registers that matter and a
 * backtrace, then panic -- which fails the run, or the current test.
 */
#include "arch/riscv/riscv.h"
#include "kernel/arch.h"
#include "kernel/panic.h"
#include "kernel/printf.h"

struct trap_frame {
	uint64_t regs[32];      /* regs[0] = sepc, regs[i] = x(i) */
	uint64_t link_fp, link_ra;
};

extern char trap_vector[];

static const char *const exception_names[] = {
	[0] = "instruction address misaligned",
	[1] = "instruction access fault",
	[2] = "illegal instruction",
	[3] = "breakpoint",
	[4] = "load address misaligned",
	[5] = "load access fault",
	[6] = "store/AMO address misaligned",
	[7] = "store/AMO access fault",
	[8] = "environment call from U-mode",
	[9] = "environment call from S-mode",
	[12] = "instruction page fault",
	[13] = "load page fault",
	[15] = "store/AMO page fault",
};

static const char *const interrupt_names[] = {
	[1] = "supervisor software interrupt",
	[5] = "supervisor timer interrupt",
	[9] = "supervisor external interrupt",
};

#define SCAUSE_INTERRUPT (1UL << 63)

const char *trap_cause_name(uint64_t scause)
{
	uint64_t code = scause & ~SCAUSE_INTERRUPT;
	const char *name = NULL;

	if (scause & SCAUSE_INTERRUPT) {
		if (code < ARRAY_SIZE(interrupt_names))
			name = interrupt_names[code];
	} else if (code < ARRAY_SIZE(exception_names)) {
		name = exception_names[code];
	}
	return name ? name : "unknown cause";
}

void trap_init(struct riscv_cpu *c)
{
	csr_write(sscratch, (uintptr_t)c);
	csr_write(stvec, (uintptr_t)trap_vector);
}

noreturn void trap_handler(struct trap_frame *tf)
{
	uint64_t scause = csr_read(scause);
	uint64_t stval = csr_read(stval);
	const struct riscv_cpu *c = &riscv_cpus[arch_cpu_id()];

	kprintf("\ntrap: %s (scause %#lx)\n", trap_cause_name(scause),
		(unsigned long)scause);
	kprintf("  sepc  %#018lx  (the instruction that trapped)\n",
		(unsigned long)tf->regs[0]);
	kprintf("  stval %#018lx  (faulting address or instruction bits)\n",
		(unsigned long)stval);
	kprintf("  ra    %#018lx  sp %#018lx  fp %#018lx\n",
		(unsigned long)tf->regs[1], (unsigned long)tf->regs[2],
		(unsigned long)tf->regs[8]);
	if (stval >= c->guard && stval < c->guard + PAGE_SIZE)
		kprintf("  (this CPU's stack guard page: a kernel stack "
			"overflow)\n");
	panic("trap: %s at pc %#lx, address %#lx", trap_cause_name(scause),
	      (unsigned long)tf->regs[0], (unsigned long)stval);
}

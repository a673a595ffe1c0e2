/* Small per-CPU services: interrupts on/off, exiting QEMU, backtraces. */
#include "arch/riscv/memlayout.h"
#include "arch/riscv/riscv.h"
#include "kernel/arch.h"

bool arch_irq_save(void)
{
	uint64_t old;

	__asm__ volatile("csrrc %0, sstatus, %1"
			 : "=r"(old) : "r"(SSTATUS_SIE) : "memory");
	return (old & SSTATUS_SIE) != 0;
}

void arch_irq_restore(bool was_enabled)
{
	if (was_enabled)
		csr_set(sstatus, SSTATUS_SIE);
}

void arch_cpu_relax(void)
{
	__asm__ volatile("nop" ::: "memory");
}

unsigned arch_cpu_id(void)
{
	uint64_t tp;

	__asm__ volatile("mv %0, tp" : "=r"(tp));
	return (unsigned)tp;
}

/*
 * QEMU's "sifive,test" device: writing 0x5555 exits QEMU with status 0,
 * (code << 16) | 0x3333 exits with status code. (SBI's system reset
 * cannot report failure: QEMU exits 0 for every reason.)
 */
#define FINISHER_PASS 0x5555
#define FINISHER_FAIL 0x3333

noreturn void arch_exit(int code)
{
	volatile uint32_t *finisher = phys_to_virt(TEST_FINISHER_PHYS);
	uint32_t status = (code & 0xffff) ? code & 0xffff : 1;

	*finisher = code == 0 ? FINISHER_PASS
			      : (status << 16) | FINISHER_FAIL;
	for (;;)
		__asm__ volatile("wfi");
}

/*
 * Frame-pointer backtrace. With -fno-omit-frame-pointer every function
 * saves ra at fp-8 and the caller's fp at fp-16, where fp (s0) is the
 * stack pointer on entry. entry.S starts the chain with fp = 0. A stack
 * overflow is reported on the overflow stack (trapvec.S), so both count.
 */
extern char overflow_stack[], overflow_stack_top[];

static bool within(uintptr_t fp, const char *base, const char *top)
{
	return fp >= (uintptr_t)base + 16 && fp <= (uintptr_t)top;
}

static bool on_stack(uintptr_t fp)
{
	return IS_ALIGNED(fp, 8) &&
	       (within(fp, boot_stack, boot_stack_top) ||
		within(fp, overflow_stack, overflow_stack_top));
}

void arch_backtrace(void (*fn)(uintptr_t ra), int max)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);

	for (int i = 0; i < max && on_stack(fp); i++) {
		uintptr_t ra = ((uintptr_t *)fp)[-1];
		if (ra == 0)
			break;
		fn(ra);
		fp = ((uintptr_t *)fp)[-2];
	}
}

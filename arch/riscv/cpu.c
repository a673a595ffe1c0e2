/* Small per-CPU services: interrupts on/off, exiting QEMU, per-CPU state,
 * backtraces. */
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

/* tp holds the CPU index: entry.S sets it, and C code never changes it
 * (the ABI reserves tp: the compiler never uses it). */
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

/* ---- Per-CPU state ------------------------------------------------------ */

/* Room for trap_handler() and panic() after a stack overflow. */
#define OVERFLOW_STACK_SIZE 8192

struct riscv_cpu riscv_cpus[MAX_CPUS];
static char overflow_stacks[MAX_CPUS][OVERFLOW_STACK_SIZE]
	__attribute__((aligned(16)));

_Static_assert(offsetof(struct riscv_cpu, scratch) == RCPU_SCRATCH &&
	       offsetof(struct riscv_cpu, guard) == RCPU_GUARD &&
	       offsetof(struct riscv_cpu, guard_end) == RCPU_GUARD_END &&
	       offsetof(struct riscv_cpu, overflow_top) == RCPU_OVERFLOW_TOP &&
	       offsetof(struct riscv_cpu, stack_top) == RCPU_STACK_TOP &&
	       offsetof(struct riscv_cpu, satp) == RCPU_SATP &&
	       offsetof(struct riscv_cpu, index) == RCPU_INDEX,
	       "riscv.h's RCPU_* offsets do not match struct riscv_cpu");

/* Every stack, the boot stack included, is CPU_STACK_SIZE bytes above a
 * guard page. A trap with sp in the guard page, or so close above it that
 * the frame would reach into it, is an overflow (trapvec.S). */
void riscv_cpu_init(unsigned cpu, uint64_t hart_id, uintptr_t stack_top)
{
	struct riscv_cpu *c = &riscv_cpus[cpu];

	c->stack_top = stack_top;
	c->guard = stack_top - CPU_STACK_SIZE - PAGE_SIZE;
	c->guard_end = c->guard + PAGE_SIZE + TRAP_FRAME_SIZE;
	c->overflow_top = (uintptr_t)overflow_stacks[cpu + 1];
	c->index = cpu;
	c->hart_id = hart_id;
}

_Static_assert(BOOT_STACK_SIZE == CPU_STACK_SIZE,
	       "riscv_cpu_init expects every stack to be CPU_STACK_SIZE");

/*
 * Frame-pointer backtrace. With -fno-omit-frame-pointer every function
 * saves ra at fp-8 and the caller's fp at fp-16, where fp (s0) is the
 * stack pointer on entry. entry.S starts the chain with fp = 0. A stack
 * overflow is reported on the CPU's overflow stack (trapvec.S), so both
 * of this CPU's stacks count.
 */
static bool within(uintptr_t fp, uintptr_t base, uintptr_t top)
{
	return fp >= base + 16 && fp <= top;
}

static bool on_stack(uintptr_t fp)
{
	const struct riscv_cpu *c = &riscv_cpus[arch_cpu_id()];

	return IS_ALIGNED(fp, 8) &&
	       (within(fp, c->guard + PAGE_SIZE, c->stack_top) ||
		within(fp, c->overflow_top - OVERFLOW_STACK_SIZE,
		       c->overflow_top));
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

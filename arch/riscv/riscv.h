/* RISC-V control and status register access, and other one-liners. */
#ifndef DUET_RISCV_H
#define DUET_RISCV_H

/*
 * struct riscv_cpu field offsets, for trapvec.S and entry.S (cpu.c checks
 * them against the struct at compile time).
 */
#define RCPU_SCRATCH      0
#define RCPU_GUARD        8
#define RCPU_GUARD_END    16
#define RCPU_OVERFLOW_TOP 24
#define RCPU_STACK_TOP    32
#define RCPU_SATP         40
#define RCPU_INDEX        48

/* What trapvec.S pushes: x1..x31, sepc, and a fake call frame. */
#define TRAP_FRAME_SIZE   ((32 + 2) * 8)

#ifndef __ASSEMBLY__
#include <stdint.h>

#define csr_read(csr) ({                                        \
	uint64_t v_;                                            \
	__asm__ volatile("csrr %0, " #csr : "=r"(v_));          \
	v_; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" :: "r"(v))
#define csr_set(csr, bits) __asm__ volatile("csrs " #csr ", %0" :: "r"(bits))
#define csr_clear(csr, bits) __asm__ volatile("csrc " #csr ", %0" :: "r"(bits))

#define SSTATUS_SIE (1UL << 1)
#define SIE_SSIE    (1UL << 1)  /* supervisor software interrupt (IPI) */
#define SIP_SSIP    (1UL << 1)

static inline void sfence_vma(void)
{
	__asm__ volatile("sfence.vma" ::: "memory");
}

/* Set by riscv_main from what OpenSBI passed us. */
extern uint64_t boot_hart_id;
extern uint64_t boot_dtb_phys;

/*
 * What each CPU needs to know about itself, indexed by CPU (tp). A trap
 * finds its CPU's through sscratch: trapvec.S must tell a stack overflow
 * from any other trap before it may touch the stack.
 */
struct riscv_cpu {
	uint64_t scratch;       /* trapvec.S keeps t1 here for a moment */
	uintptr_t guard;        /* the stack's guard page */
	uintptr_t guard_end;    /* sp below this and >= guard: an overflow */
	uintptr_t overflow_top; /* then the trap frame goes on this stack */
	uintptr_t stack_top;
	uint64_t satp;          /* page table a starting CPU switches to */
	uint64_t index;         /* its CPU index, kept in tp */
	uint64_t hart_id;
};

extern struct riscv_cpu riscv_cpus[];

/* Fill in riscv_cpus[cpu] for a CPU with the given stack (guard page
 * below it); cpu.c. */
void riscv_cpu_init(unsigned cpu, uint64_t hart_id, uintptr_t stack_top);

/* This CPU's trap vector, and sscratch pointing at c. */
void trap_init(struct riscv_cpu *c);
void uart_init(void);

#endif /* __ASSEMBLY__ */
#endif

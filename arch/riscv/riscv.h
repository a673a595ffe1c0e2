/* RISC-V control and status register access, and other one-liners. */
#ifndef DUET_RISCV_H
#define DUET_RISCV_H

#include <stdint.h>

#define csr_read(csr) ({                                        \
	uint64_t v_;                                            \
	__asm__ volatile("csrr %0, " #csr : "=r"(v_));          \
	v_; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" :: "r"(v))
#define csr_set(csr, bits) __asm__ volatile("csrs " #csr ", %0" :: "r"(bits))
#define csr_clear(csr, bits) __asm__ volatile("csrc " #csr ", %0" :: "r"(bits))

#define SSTATUS_SIE (1UL << 1)

static inline void sfence_vma(void)
{
	__asm__ volatile("sfence.vma" ::: "memory");
}

/* Set by riscv_main from what OpenSBI passed us. */
extern uint64_t boot_hart_id;
extern uint64_t boot_dtb_phys;

void trap_init(void);
void uart_init(void);

#endif

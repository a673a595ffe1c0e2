/*
 * The first instructions Duet runs. OpenSBI jumps here in S-mode with the
 * MMU off:  a0 = this hart's id,  a1 = physical address of the device tree.
 *
 * We are linked at 0xffffffff80200000 but running at physical 0x80200000.
 * That works because the code model (-mcmodel=medany) makes every address
 * PC-relative: "la sp, boot_stack_top" yields the physical address now and
 * the virtual one once we run high. So we can:
 *   1. set up a stack and clear .bss (physical addresses),
 *   2. let early_paging() (C, still physical) build the boot page table,
 *   3. turn on Sv39 and jump to the high (virtual) address of start_high,
 *   4. reload sp with its virtual address and call riscv_main().
 */
#include "arch/riscv/memlayout.h"

	.section .text.boot, "ax"
	.globl _start
_start:
	mv	s0, a0                  /* hart id: keep across calls */
	mv	s1, a1                  /* device tree physical address */
	csrw	sie, zero               /* no interrupts until we ask */
	csrw	satp, zero

	la	sp, boot_stack_top

	/* Zero .bss (C expects it; OpenSBI does not do it for us). */
	la	t0, _bss_start
	la	t1, _bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, (t0)
	addi	t0, t0, 8
	j	1b
2:
	call	early_paging            /* returns the satp value in a0 */
	sfence.vma
	csrw	satp, a0
	sfence.vma

	/* Jump to our linked (high) address: load it from memory, because
	 * "la" would compute it PC-relatively, i.e. physically. */
	ld	t0, start_high_addr
	jr	t0

start_high:
	la	sp, boot_stack_top      /* the same stack, virtual address now */
	li	tp, 0                   /* CPU index 0 (see arch_cpu_id) */
	li	fp, 0                   /* end of the backtrace chain */
	mv	a0, s0
	mv	a1, s1
	call	riscv_main
3:	wfi                             /* riscv_main never returns */
	j	3b

	.balign 8
start_high_addr:
	.dword	start_high

/* The final page table leaves the guard page unmapped (mm/vm_kernel.c),
 * so running off the bottom of the stack faults instead of overwriting
 * .bss; trapvec.S then reports it on a stack of its own. */
	.section .bss.stack, "aw", @nobits
	.balign 4096
	.globl boot_stack_guard, boot_stack, boot_stack_top
boot_stack_guard:
	.space	4096
boot_stack:
	.space	BOOT_STACK_SIZE
boot_stack_top:

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
#include "arch/riscv/riscv.h"

	.section .text.boot, "ax"
	.globl _start
_start:
	/*
	 * Only one hart may boot the kernel. OpenSBI 1.1 with fw_jump
	 * sometimes lets a second hart in here as well (seen under QEMU
	 * 7.2 with -smp 4: two banners, then a fault at pc 0), so the
	 * first to swap a 1 into boot_lottery wins, as in Linux's head.S.
	 * The others touch nothing (no stack, no .bss) and hand themselves
	 * back to SBI: stopped, smp_init() can start them like the rest.
	 */
	la	t0, boot_lottery
	li	t1, 1
	amoswap.w t1, t1, (t0)
	bnez	t1, lost_lottery

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

lost_lottery:
	csrw	sie, zero
	li	a7, 0x48534d            /* SBI extension HSM */
	li	a6, 1                   /* HART_STOP: returns only on error */
	ecall
5:	wfi                             /* no HSM: park here for good */
	j	5b

/*
 * Where the other harts start (arch/riscv/smp.c asks SBI to start them
 * here): S-mode, MMU off, a0 = hart id, a1 = the argument we gave SBI,
 * the (virtual) address of this hart's struct riscv_cpu.
 *
 * The kernel's page table maps nothing at the physical address we run
 * at, so we cannot switch to it directly: the instruction after
 * "csrw satp" would fault. smp_start_satp is a table that maps the
 * kernel both here and where it is linked; with it on, jump high, and
 * from there switch to the kernel's table.
 */
	.globl secondary_start
secondary_start:
	csrw	sie, zero
	la	t0, smp_start_satp      /* physical: "la" is PC-relative */
	ld	t0, (t0)
	sfence.vma
	csrw	satp, t0
	sfence.vma
	ld	t0, secondary_high_addr
	jr	t0

secondary_high:
	ld	t0, RCPU_SATP(a1)       /* the page table CPU 0 uses */
	csrw	satp, t0
	sfence.vma                      /* forget the start table (all of it) */
	ld	tp, RCPU_INDEX(a1)      /* CPU index (see arch_cpu_id) */
	ld	sp, RCPU_STACK_TOP(a1)
	li	fp, 0                   /* end of the backtrace chain */
	mv	a0, a1
	call	riscv_secondary_main
4:	wfi                             /* never returns */
	j	4b

	.balign 8
secondary_high_addr:
	.dword	secondary_high

/* In .data, not .bss: the winner clears .bss after the draw. */
	.section .data
	.balign 4
boot_lottery:
	.word	0

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

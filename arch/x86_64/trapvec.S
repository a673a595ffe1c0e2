/*
 * Exception entry. Every exception is unexpected in Duet (no interrupts
 * are enabled, no user mode yet), so each of the 32 vectors gets a stub
 * that pushes the same shape of frame and calls trap_handler(), which
 * reports and panics. trap_handler does not return. (The only interrupts,
 * the wake-up IPI and the local APIC's spurious one, come while a CPU
 * idles in arch_cpu_idle() and just return: see the end of the file.)
 *
 * The CPU pushes ss, rsp, rflags, cs, rip and, for some vectors, an error
 * code. Stubs for the others push a 0 in its place, then every stub
 * pushes its vector number, so struct trap_frame (trap.c) is the same for
 * all. The frame is then linked into the rbp chain (a fake "call" from
 * the trapping rip) so the backtrace continues through the function that
 * trapped.
 */
#define FRAME_REGS 15           /* rax .. r15, rsp excepted */

	.text

/* Vectors whose exceptions come with an error code from the CPU. */
.macro TRAP_STUB n
	.balign 16
trap_stub_\n:
	.if \n == 8 || (\n >= 10 && \n <= 14) || \n == 17 || \n == 21 || \n == 29 || \n == 30
	.else
	pushq	$0                      /* no error code: keep the frame shape */
	.endif
	pushq	$\n
	jmp	trap_common
.endm

	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	TRAP_STUB \n
	.endr

trap_common:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	/* Fake a call frame from the trapping rip, for the backtrace: the rip
	 * is above the registers, the vector and the error code. */
	pushq	(FRAME_REGS + 2) * 8(%rsp)
	push	%rbp
	mov	%rsp, %rbp
	/* 24 quadwords in all since the CPU aligned rsp to 16: still aligned,
	 * as the ABI wants at a call. */
	mov	%rsp, %rdi
	cld
	call	trap_handler
1:	hlt
	jmp	1b

/*
 * The wake-up IPI (arch_cpu_wake). It only has to end the hlt in
 * arch_cpu_idle(): tell the local APIC we are done with it (a write to
 * its end-of-interrupt register) and return.
 */
	.globl wake_stub
wake_stub:
	push	%rax
	mov	lapic_eoi(%rip), %rax
	movl	$0, (%rax)
	pop	%rax
	iretq

/* A spurious interrupt from the local APIC: nothing to do, and no EOI. */
	.globl spurious_stub
spurious_stub:
	iretq

/* trap.c's table of stub addresses, indexed by vector. */
	.section .rodata
	.balign 8
	.globl trap_stubs
trap_stubs:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	trap_stub_\n
	.endr

	.section .note.GNU-stack, "", @progbits

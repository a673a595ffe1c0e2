/*
 * arch_setjmp / arch_longjmp: save and restore what a C function may rely
 * on across a call (System V AMD64 ABI): the callee-saved registers rbx,
 * rbp, r12-r15, the stack pointer, and where to return to.
 *
 * buf (rdi) slots: 0 rbx, 1 rbp, 2 r12, 3 r13, 4 r14, 5 r15,
 *                  6 rsp after returning, 7 return address.
 */
	.text
	.globl arch_setjmp
arch_setjmp:
	mov	%rbx, 0*8(%rdi)
	mov	%rbp, 1*8(%rdi)
	mov	%r12, 2*8(%rdi)
	mov	%r13, 3*8(%rdi)
	mov	%r14, 4*8(%rdi)
	mov	%r15, 5*8(%rdi)
	lea	8(%rsp), %rax           /* the caller's rsp once we return */
	mov	%rax, 6*8(%rdi)
	mov	(%rsp), %rax            /* our return address */
	mov	%rax, 7*8(%rdi)
	xor	%eax, %eax
	ret

	.globl arch_longjmp
arch_longjmp:
	mov	0*8(%rdi), %rbx
	mov	1*8(%rdi), %rbp
	mov	2*8(%rdi), %r12
	mov	3*8(%rdi), %r13
	mov	4*8(%rdi), %r14
	mov	5*8(%rdi), %r15
	mov	6*8(%rdi), %rsp
	mov	%esi, %eax
	test	%eax, %eax
	jnz	1f
	mov	$1, %eax                /* longjmp(buf, 0) returns 1, as in C */
1:	jmp	*7*8(%rdi)

	.section .note.GNU-stack, "", @progbits

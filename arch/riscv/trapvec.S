/*
 * Supervisor trap entry. Every trap is unexpected in Duet (no interrupts
 * are enabled, no user mode yet), so we save all registers into a struct
 * trap_frame on the current stack and call trap_handler(), which reports
 * and panics. trap_handler does not return.
 *
 * The frame is linked into the frame-pointer chain (fp = sp + frame size,
 * with the interrupted ra/fp where a normal function would keep them) so
 * the backtrace continues through the trapping function.
 */
#include "arch/riscv/riscv.h"

#define FRAME_SIZE TRAP_FRAME_SIZE      /* x1..x31, sepc, fake frame */

	.text
	.balign 4
	.globl trap_vector
trap_vector:
	/* sscratch points at this CPU's struct riscv_cpu (trap_init). Swap
	 * it with t0 and park t1 in the struct: two registers to work with
	 * before we know which stack is safe to use. */
	csrrw	t0, sscratch, t0
	sd	t1, RCPU_SCRATCH(t0)
	/* A kernel stack overflow leaves sp in this CPU's guard page, or so
	 * close above it that the frame would reach into it. Saving the
	 * frame there would fault, and that fault again, forever: save it
	 * on this CPU's overflow stack instead. */
	ld	t1, RCPU_GUARD(t0)
	bltu	sp, t1, 1f
	ld	t1, RCPU_GUARD_END(t0)
	bgeu	sp, t1, 1f
	mv	t1, sp
	ld	sp, RCPU_OVERFLOW_TOP(t0)
	addi	sp, sp, -FRAME_SIZE
	sd	t1,  2*8(sp)            /* sp before the trap */
	j	2f
1:	addi	sp, sp, -FRAME_SIZE
	addi	t1, sp, FRAME_SIZE
	sd	t1,  2*8(sp)            /* sp before the trap */
	/* Put t1, t0 and sscratch back as they were. */
2:	ld	t1, RCPU_SCRATCH(t0)
	csrrw	t0, sscratch, t0

	/* regs[i] holds x(i); regs[0] holds sepc */
	sd	x1,  1*8(sp)
	sd	x3,  3*8(sp)
	sd	x4,  4*8(sp)
	sd	x5,  5*8(sp)
	sd	x6,  6*8(sp)
	sd	x7,  7*8(sp)
	sd	x8,  8*8(sp)
	sd	x9,  9*8(sp)
	sd	x10, 10*8(sp)
	sd	x11, 11*8(sp)
	sd	x12, 12*8(sp)
	sd	x13, 13*8(sp)
	sd	x14, 14*8(sp)
	sd	x15, 15*8(sp)
	sd	x16, 16*8(sp)
	sd	x17, 17*8(sp)
	sd	x18, 18*8(sp)
	sd	x19, 19*8(sp)
	sd	x20, 20*8(sp)
	sd	x21, 21*8(sp)
	sd	x22, 22*8(sp)
	sd	x23, 23*8(sp)
	sd	x24, 24*8(sp)
	sd	x25, 25*8(sp)
	sd	x26, 26*8(sp)
	sd	x27, 27*8(sp)
	sd	x28, 28*8(sp)
	sd	x29, 29*8(sp)
	sd	x30, 30*8(sp)
	sd	x31, 31*8(sp)
	csrr	t0, sepc
	sd	t0,  0*8(sp)

	/* Fake a call frame from the trapping pc, for the backtrace. */
	sd	t0, 33*8(sp)            /* "ra" = sepc */
	sd	s0, 32*8(sp)            /* "saved fp" = interrupted fp */
	addi	s0, sp, FRAME_SIZE

	mv	a0, sp
	call	trap_handler
1:	j	1b

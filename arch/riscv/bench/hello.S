/*
 * The smallest kernel that looks like a Duet test run from the outside:
 * print "KTAP version 1" on the UART, then exit QEMU with "pass" through
 * the sifive,test finisher. tools/boot-time measures how long QEMU and
 * OpenSBI take to reach it, the part of Duet's boot time that is not
 * Duet's. OpenSBI jumps here in S-mode with the MMU off, so the devices'
 * physical addresses work as they are.
 */
#define UART0          0x10000000
#define UART_LSR       5
#define LSR_THR_EMPTY  0x20
#define FINISHER       0x00100000
#define FINISHER_PASS  0x5555

	.text
	.globl _start
_start:
	la	a0, message
	li	t0, UART0
1:	lbu	t1, 0(a0)
	beqz	t1, 3f
2:	lbu	t2, UART_LSR(t0)        /* wait for "THR empty" */
	andi	t2, t2, LSR_THR_EMPTY
	beqz	t2, 2b
	sb	t1, 0(t0)
	addi	a0, a0, 1
	j	1b
3:	li	t0, FINISHER
	li	t1, FINISHER_PASS
	sw	t1, 0(t0)
4:	wfi
	j	4b

message:
	.asciz	"KTAP version 1\r\n"

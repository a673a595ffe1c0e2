/*
 * The smallest Multiboot2 kernel that looks like a Duet test run from the
 * outside: print "KTAP version 1" on COM1, then exit QEMU through
 * isa-debug-exit with the "pass" status (33). tools/boot-time measures
 * how long QEMU + SeaBIOS + GRUB take to reach it, the part of Duet's
 * boot time that is not Duet's.
 *
 * It stays in 32-bit protected mode, as GRUB left it: no stack, no
 * paging, nothing but port I/O.
 */
#define MB2_HEADER_MAGIC 0xe85250d6
#define COM1             0x3f8
#define DEBUG_EXIT_PORT  0xf4
#define DEBUG_EXIT_PASS  0x10

	.section .multiboot2, "a"
	.balign 8
header:
	.long	MB2_HEADER_MAGIC
	.long	0                               /* i386 protected mode */
	.long	header_end - header
	.long	0x100000000 - (MB2_HEADER_MAGIC + (header_end - header))
	.word	0, 0                            /* end tag */
	.long	8
header_end:

	.text
	.code32
	.globl _start
_start:
	mov	$message, %esi
1:	lodsb
	test	%al, %al
	jz	3f
	mov	%al, %ah
	mov	$(COM1 + 5), %dx                /* wait for "THR empty" */
2:	in	%dx, %al
	test	$0x20, %al
	jz	2b
	mov	$COM1, %dx
	mov	%ah, %al
	out	%al, %dx
	jmp	1b
3:	mov	$DEBUG_EXIT_PORT, %dx
	mov	$DEBUG_EXIT_PASS, %eax
	out	%eax, %dx
4:	cli
	hlt
	jmp	4b

message:
	.asciz	"KTAP version 1\r\n"

	.section .note.GNU-stack, "", @progbits

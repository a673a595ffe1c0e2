/*
 * Where the other CPUs (APs) start (smp.c). The start-up IPI sends an AP
 * to AP_TRAMPOLINE_PHYS in 16-bit real mode, with no stack and paging
 * off, as if the machine had just been switched on. smp.c copies the
 * code between ap_trampoline and ap_trampoline_end there; it climbs the
 * same ladder as entry.S, but fast:
 *
 *   16-bit real mode    load a GDT, set CR0.PE, far jump
 *   32-bit protected    PAE, a page table with an identity map (the
 *                       code still runs at AP_TRAMPOLINE_PHYS), EFER.LME,
 *                       CR0.PG, far jump to the 64-bit code segment
 *   64-bit              jump to ap_entry64 in the kernel (high address):
 *                       the kernel's page table, stack, x86_64_ap_main()
 *
 * The code runs at AP_TRAMPOLINE_PHYS, not where it is linked, so
 * addresses inside it are written T(label). Everything else it reads,
 * struct ap_start, is in the kernel image, below 4 GiB physically:
 * 32-bit code reaches it at V2P(ap_start), as entry.S does.
 */
#include "arch/x86_64/memlayout.h"

#define T(x)     ((x) - ap_trampoline + AP_TRAMPOLINE_PHYS)
#define V2P(x)   ((x) - KERNEL_VIRT_BASE)

#define CR0_PE   (1 << 0)
#define CR0_NW   (1 << 29)      /* INIT leaves caching off: turn it on */
#define CR0_CD   (1 << 30)
#define CR0_WP   (1 << 16)
#define CR0_PG   (1 << 31)
#define CR4_PAE  (1 << 5)
#define MSR_EFER 0xc0000080

	.section .rodata        /* a copy runs, never this */
	.balign 16
	.globl ap_trampoline, ap_trampoline_end
	.code16
ap_trampoline:
	cli
	cld
	xor	%ax, %ax
	mov	%ax, %ds                /* T() addresses are below 64 KiB */
	lgdtl	T(ap_gdt_ptr)
	mov	%cr0, %eax
	and	$~(CR0_CD | CR0_NW), %eax
	or	$CR0_PE, %eax
	mov	%eax, %cr0
	ljmpl	$AP_CODE32, $T(ap_start32)

	.code32
ap_start32:
	mov	$KERNEL_DS, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	V2P(ap_start) + AP_BOOT_CR3, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	mov	V2P(ap_start) + AP_EFER, %eax
	xor	%edx, %edx
	wrmsr
	mov	%cr0, %eax
	or	$(CR0_PG | CR0_WP), %eax
	mov	%eax, %cr0              /* paging on: compatibility mode */
	ljmp	$KERNEL_CS, $T(ap_start64)

	.code64
ap_start64:
	movabs	$ap_entry64, %rax       /* the kernel, at its link address */
	jmp	*%rax

/* The boot GDT of entry.S (same selectors), plus a 32-bit code segment
 * for the step out of real mode. */
	.balign 8
ap_gdt:
	.quad	0
	.quad	0x00af9a000000ffff      /* KERNEL_CS: 64-bit code */
	.quad	0x00cf92000000ffff      /* KERNEL_DS: data */
	.quad	0x00cf9a000000ffff      /* AP_CODE32: 32-bit code, 4 GiB */
ap_gdt_end:
ap_gdt_ptr:
	.word	ap_gdt_end - ap_gdt - 1
	.long	T(ap_gdt)
ap_trampoline_end:

/* ---- Back in the kernel, at its high address ---------------------------- */

	.text
ap_entry64:
	mov	ap_start + AP_CR3(%rip), %rax
	mov	%rax, %cr3              /* the page table CPU 0 uses */
	mov	ap_start + AP_STACK_TOP(%rip), %rsp
	xor	%ebp, %ebp              /* end of the backtrace chain */
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs               /* base 0 until cpu_local_init */
	mov	ap_start + AP_CPU(%rip), %rdi
	call	x86_64_ap_main
1:	cli                             /* never returns */
	hlt
	jmp	1b

	.section .note.GNU-stack, "", @progbits

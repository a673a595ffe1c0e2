/*
 * The first instructions Duet runs on x86-64. GRUB's "multiboot2" command
 * loads kernel.elf at physical 1 MiB and jumps to _start in 32-bit
 * protected mode, paging off, interrupts off:
 *     eax = 0x36d76289 (the Multiboot2 magic)
 *     ebx = physical address of the Multiboot2 boot information.
 * Nothing else is promised: no stack, and the GDT may be gone.
 *
 * We are linked at 0xffffffff80100000 but run at physical 0x100000, and
 * 32-bit code cannot even hold a 64-bit address, so until paging is on
 * every address is written V2P(symbol). Then:
 *   1. check the magic and that the CPU has 64-bit (long) mode,
 *   2. clear .bss, build the boot page tables (see paging.c),
 *   3. enable PAE, long mode and paging; load a 64-bit GDT; far jump
 *      into 64-bit code (still at the low, identity-mapped address),
 *   4. jump to the high address, load the stack's virtual address and
 *      call x86_64_main(boot information physical address).
 */
#include "arch/x86_64/memlayout.h"
#include "mm/multiboot2.h"

#define V2P(x) ((x) - KERNEL_VIRT_BASE)

#define PTE_P    0x001          /* present */
#define PTE_W    0x002          /* writable */
#define PTE_PS   0x080          /* in a page directory: a 2 MiB page */
#define TABLE    (PTE_P | PTE_W)

#define CR0_WP   (1 << 16)      /* honour read-only pages in the kernel too */
#define CR0_PG   (1 << 31)
#define CR4_PAE  (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)       /* long mode enable */

#define COM1     0x3f8
#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_FAIL 0x11    /* QEMU exits with status 35 */

/* ---- The Multiboot2 header: GRUB finds the kernel by it ------------------ */

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long	MB2_HEADER_MAGIC
	.long	MB2_ARCH_I386
	.long	mb2_header_end - mb2_header
	/* magic + architecture + length + checksum must be 0 (mod 2^32) */
	.long	0x100000000 - (MB2_HEADER_MAGIC + MB2_ARCH_I386 + \
			       (mb2_header_end - mb2_header))
	/* Entry address tag: the *physical* address to jump to (the ELF
	 * entry point is the linked, virtual one). */
	.balign 8
	.word	MB2_HEADER_TAG_ENTRY, 0
	.long	12
	.long	V2P(_start)
	.balign 8
	.word	MB2_HEADER_TAG_END, 0
	.long	8
mb2_header_end:

/* ---- 32-bit protected mode --------------------------------------------------- */

	.section .text.boot, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	mov	$V2P(boot_stack_top), %esp
	mov	%ebx, %esi              /* boot info: cpuid clobbers ebx */
	cmp	$MB2_BOOTLOADER_MAGIC, %eax
	jne	bad_magic

	/* Long mode is CPUID leaf 0x80000001, edx bit 29. */
	mov	$0x80000000, %eax
	cpuid
	cmp	$0x80000001, %eax
	jb	no_long_mode
	mov	$0x80000001, %eax
	cpuid
	test	$(1 << 29), %edx
	jz	no_long_mode

	/* Zero .bss: the page tables below and C's globals live there. */
	mov	$V2P(_bss_start), %edi
	mov	$V2P(_bss_end), %ecx
	sub	%edi, %ecx
	shr	$2, %ecx
	xor	%eax, %eax
	rep stosl

	call	build_boot_page_tables

	mov	$V2P(boot_pml4), %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	wrmsr
	mov	%cr0, %eax
	or	$(CR0_PG | CR0_WP), %eax
	mov	%eax, %cr0              /* paging on: now in compatibility mode */

	lgdt	V2P(boot_gdt_ptr)
	ljmp	$KERNEL_CS, $V2P(start64)

/*
 * The boot page tables (declared in paging.c, zeroed above). The direct
 * map's page directories are one array, so entry k maps k * 2 MiB:
 *   direct_map_pd[0 .. 4 GiB)     2 MiB pages of the first 4 GiB
 *   boot_pdpt_direct[0..3]        -> those 4 page directories
 *   boot_pml4[256]                -> boot_pdpt_direct  (0xffff800000000000)
 *   boot_pml4[511]                -> boot_pdpt_kernel, whose slot 510
 *                                 -> direct_map_pd[0]  (0xffffffff80000000)
 *   boot_pml4[0]                  -> boot_pdpt_ident, whose slot 0
 *                                 -> direct_map_pd[0]  (identity, first GiB)
 * Every address involved is below 4 GiB, so the upper halves of the
 * 64-bit entries stay zero.
 */
build_boot_page_tables:
	mov	$V2P(direct_map_pd), %edi
	mov	$(PTE_P | PTE_W | PTE_PS), %eax
	mov	$(DIRECT_MAP_BOOT_GIB * 512), %ecx
1:	mov	%eax, (%edi)
	add	$0x200000, %eax
	add	$8, %edi
	loop	1b

	mov	$V2P(boot_pdpt_direct), %edi
	mov	$(V2P(direct_map_pd) + TABLE), %eax
	mov	$DIRECT_MAP_BOOT_GIB, %ecx
2:	mov	%eax, (%edi)
	add	$4096, %eax
	add	$8, %edi
	loop	2b

	movl	$(V2P(boot_pdpt_direct) + TABLE), V2P(boot_pml4) + PML4_SLOT_DIRECT * 8
	movl	$(V2P(boot_pdpt_kernel) + TABLE), V2P(boot_pml4) + PML4_SLOT_KERNEL * 8
	movl	$(V2P(direct_map_pd) + TABLE), V2P(boot_pdpt_kernel) + PDPT_SLOT_KERNEL * 8
	movl	$(V2P(boot_pdpt_ident) + TABLE), V2P(boot_pml4)
	movl	$(V2P(direct_map_pd) + TABLE), V2P(boot_pdpt_ident)
	ret

/* Boot went wrong before there is any C: say why on COM1, exit QEMU. */
bad_magic:
	mov	$V2P(msg_bad_magic), %esi
	jmp	early_die
no_long_mode:
	mov	$V2P(msg_no_long_mode), %esi
early_die:
	lodsb
	test	%al, %al
	jz	3f
	mov	%al, %ah
	mov	$(COM1 + 5), %dx        /* line status: wait for "THR empty" */
2:	in	%dx, %al
	test	$0x20, %al
	jz	2b
	mov	$COM1, %dx
	mov	%ah, %al
	out	%al, %dx
	jmp	early_die
3:	mov	$DEBUG_EXIT_PORT, %dx
	mov	$DEBUG_EXIT_FAIL, %eax
	out	%eax, %dx
4:	hlt
	jmp	4b

/* ---- 64-bit mode ------------------------------------------------------------ */

	.code64
start64:
	mov	$KERNEL_DS, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs
	/* Still running at the low address: jump to the linked one. */
	movabs	$start_high, %rax
	jmp	*%rax

start_high:
	movq	$boot_stack_top, %rsp   /* the same stack, virtual address now */
	xor	%ebp, %ebp              /* end of the backtrace chain */
	mov	%esi, %edi              /* zero-extends: boot info physical */
	call	x86_64_main
5:	cli                             /* x86_64_main never returns */
	hlt
	jmp	5b

	.section .rodata
msg_bad_magic:
	.asciz	"\r\nDuet: eax does not hold the Multiboot2 magic 0x36d76289: not started by a Multiboot2 boot loader (use GRUB's \"multiboot2\" command)\r\n"
msg_no_long_mode:
	.asciz	"\r\nDuet: this CPU has no 64-bit long mode (CPUID 0x80000001 edx bit 29): Duet needs an x86-64 CPU\r\n"

/*
 * Just enough GDT to enter 64-bit mode: a 64-bit code segment and a data
 * segment (base and limit are ignored in long mode). gdt.c installs the
 * final GDT, with the same selectors plus a TSS.
 */
	.balign 8
boot_gdt:
	.quad	0
	.quad	0x00af9a000000ffff      /* KERNEL_CS: present, ring 0, code, L=1 */
	.quad	0x00cf92000000ffff      /* KERNEL_DS: present, ring 0, data */
boot_gdt_end:
boot_gdt_ptr:
	.word	boot_gdt_end - boot_gdt - 1
	.long	V2P(boot_gdt)

/* The final page table leaves the guard page unmapped (mm/vm_kernel.c),
 * so running off the bottom of the stack faults (and is reported, see
 * gdt.c) instead of overwriting .bss. */
	.section .bss.stack, "aw", @nobits
	.balign 4096
	.globl boot_stack_guard, boot_stack, boot_stack_top
boot_stack_guard:
	.space	4096
boot_stack:
	.space	BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits

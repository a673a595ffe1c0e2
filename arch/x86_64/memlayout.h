/*
 * x86-64 virtual memory layout (4-level paging). Used by assembly and C.
 *
 *   0xffffffff80000000  kernel image window: the kernel is linked at
 *                       0xffffffff80100000 = physical 0x100000, where GRUB
 *                       loads it. This is the top 2 GiB, which
 *                       -mcmodel=kernel requires. The boot tables map the
 *                       first GiB of physical memory here; the final table
 *                       (mm/vm_kernel.c) only the image, W^X.
 *   0xffff800000000000  direct map: physical address pa is at
 *                       DIRECT_MAP_BASE + pa. The boot tables map the first
 *                       4 GiB (RAM below the PCI hole, and the devices in
 *                       it) with 2 MiB pages; arch_memmap() extends them
 *                       over RAM above 4 GiB, up to DIRECT_MAP_MAX_GIB. The
 *                       final table maps RAM only.
 *   0x0000000000000000  lower half: unused (identity map of the first
 *                       1 GiB during the switch to 64-bit mode only)
 *
 * docs/x86_64.md has the picture.
 */
#ifndef DUET_X86_64_MEMLAYOUT_H
#define DUET_X86_64_MEMLAYOUT_H

#define KERNEL_VIRT_BASE   0xffffffff80000000
#define KERNEL_LOAD_PHYS   0x100000             /* 1 MiB, above the BIOS area */
#define DIRECT_MAP_BASE    0xffff800000000000

/*
 * The direct map uses one statically allocated page directory (512 x
 * 2 MiB = 1 GiB) per GiB of physical address space, so its size limit is
 * a compile-time constant: 64 GiB costs 256 KiB of .bss. A machine with
 * RAM above this makes arch_memmap() panic, saying to raise it.
 */
#define DIRECT_MAP_MAX_GIB  64
#define DIRECT_MAP_BOOT_GIB 4                   /* mapped by entry.S */

/* Top-level (PML4) and PDPT slots of the windows above; page tables index
 * a virtual address with bits 47-39 (PML4), 38-30 (PDPT), 29-21 (PD).
 * paging.c checks these against the addresses at compile time. */
#define PML4_SLOT_DIRECT   256          /* DIRECT_MAP_BASE */
#define PML4_SLOT_KERNEL   511          /* KERNEL_VIRT_BASE ... */
#define PDPT_SLOT_KERNEL   510          /* ... its GiB in that PDPT */

#define BOOT_STACK_SIZE    (16 * 1024)

/*
 * Starting the other CPUs (smp.c, trampoline.S). An AP starts in real
 * mode at a page below 1 MiB that the start-up IPI names: the trampoline
 * is copied there. That page is in the first MiB, which the memory map
 * keeps out of the page allocator. The AP reads the rest from struct
 * ap_start (offsets below), in the kernel image.
 */
#define AP_TRAMPOLINE_PHYS 0x8000
#define AP_BOOT_CR3        0    /* u64: page table with an identity map */
#define AP_EFER            8    /* u64: EFER to set (LME, NXE) */
#define AP_CR3             16   /* u64: the kernel's page table */
#define AP_STACK_TOP       24   /* u64 */
#define AP_CPU             32   /* u64: its CPU index */
#define AP_CODE32          0x18 /* trampoline GDT: 32-bit code segment */

/* Segment selectors: the boot GDT (entry.S) and the final one (gdt.c)
 * agree on these, so the switch between them needs no far jump. */
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define TSS_SEL   0x18

#endif

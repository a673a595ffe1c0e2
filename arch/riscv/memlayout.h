/*
 * RISC-V (Sv39) virtual memory layout. Used by assembly and C.
 *
 *   0xffffffff80000000  kernel image window: the kernel is linked at
 *                       0xffffffff80200000 = physical 0x80200000, where
 *                       OpenSBI jumps. The boot page table maps the whole
 *                       GiB from physical 0x80000000; the final one
 *                       (mm/vm_kernel.c) only the image, W^X
 *   0xffffffc000000000  direct map: physical address pa is at
 *                       DIRECT_MAP_BASE + pa. The final table maps RAM
 *                       and the UART and test finisher pages
 *   0x0000000000000000  lower half: unused (identity map during early boot)
 *
 * docs/riscv.md has the picture.
 */
#ifndef DUET_RISCV_MEMLAYOUT_H
#define DUET_RISCV_MEMLAYOUT_H

#define KERNEL_PHYS_BASE   0x80000000
#define KERNEL_VIRT_BASE   0xffffffff80000000
#define KERNEL_LOAD_PHYS   0x80200000     /* where fw_jump and fw_dynamic put us */
#define KERNEL_VIRT_OFFSET (KERNEL_VIRT_BASE - KERNEL_PHYS_BASE)
#define DIRECT_MAP_BASE    0xffffffc000000000

#define BOOT_STACK_SIZE    (16 * 1024)

/* Devices on QEMU's virt machine (physical addresses). */
#define UART0_PHYS         0x10000000
#define TEST_FINISHER_PHYS 0x00100000

#endif

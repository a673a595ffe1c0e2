/*
 * The boot page table, built before the MMU is on.
 *
 * This runs at the physical address the kernel was loaded at, so it must
 * only use PC-relative addresses: plain code and static arrays are fine,
 * but no pointers stored in initialised data (they hold link-time, i.e.
 * virtual, addresses). It uses Sv39 1 GiB "gigapages", so the whole table
 * is a single 4 KiB page:
 *
 *   root[2]        0x80000000 -> 0x80000000  identity, so the instruction
 *                                            after "csrw satp" still runs
 *   root[256 + i]  DIRECT_MAP_BASE + i GiB -> i GiB   direct map
 *   root[510]      0xffffffff80000000 -> 0x80000000   kernel image
 *
 * riscv_main() later drops the identity entry and the direct-map entries
 * above the end of RAM, once the device tree says where RAM ends.
 */
#include "arch/riscv/memlayout.h"
#include "arch/riscv/sv39.h"

uint64_t boot_root_table[SV39_ENTRIES] __attribute__((aligned(4096)));

static uint64_t gigapage(uint64_t pa, uint64_t perm)
{
	return ((pa >> 12) << PTE_PPN_SHIFT) | perm | PTE_V | PTE_A | PTE_D;
}

uint64_t early_paging(void)
{
	const uint64_t rwx = PTE_R | PTE_W | PTE_X;

	boot_root_table[SV39_INDEX(2, KERNEL_PHYS_BASE)] =
		gigapage(KERNEL_PHYS_BASE, rwx);
	for (uint64_t i = 0; i < DIRECT_MAP_GIGAPAGES; i++)
		boot_root_table[SV39_INDEX(2, DIRECT_MAP_BASE) + i] =
			gigapage(i * SV39_GIGAPAGE, PTE_R | PTE_W) | PTE_G;
	boot_root_table[SV39_INDEX(2, KERNEL_VIRT_BASE)] =
		gigapage(KERNEL_PHYS_BASE, rwx) | PTE_G;

	uintptr_t root_pa = (uintptr_t)boot_root_table;   /* physical now */
	return SATP_MODE_SV39 | (root_pa >> 12);
}

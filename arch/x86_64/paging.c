/*
 * The boot page tables: the ones entry.S builds before paging is on (its
 * comment has the picture), and their adjustments until the kernel's
 * final page table (mm/vm_kernel.c) replaces them:
 *
 *   paging_init()               drop the identity map
 *   paging_extend_direct_map()  map RAM above 4 GiB once the memory map
 *                               says where it is: the page allocator and
 *                               the heap use it before the final table
 *
 * All of them are static arrays in .bss, so nothing needs allocating this
 * early -- at the price of a fixed limit, DIRECT_MAP_MAX_GIB
 * (memlayout.h). They map 2 MiB pages, all writable and executable; W^X
 * and the boot stack's guard page come with the final table.
 */
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"
#include "kernel/panic.h"

#define PT_ENTRIES 512
#define LARGE_PAGE (2 * MiB)

#define PML4_INDEX(va) (((uint64_t)(va) >> 39) & 511)
#define PDPT_INDEX(va) (((uint64_t)(va) >> 30) & 511)

_Static_assert(PML4_INDEX(DIRECT_MAP_BASE) == PML4_SLOT_DIRECT,
	       "PML4_SLOT_DIRECT does not match DIRECT_MAP_BASE");
_Static_assert(PML4_INDEX(KERNEL_VIRT_BASE) == PML4_SLOT_KERNEL &&
	       PDPT_INDEX(KERNEL_VIRT_BASE) == PDPT_SLOT_KERNEL,
	       "the kernel window slots do not match KERNEL_VIRT_BASE");
_Static_assert(DIRECT_MAP_MAX_GIB <= PT_ENTRIES,
	       "the direct map has a single PDPT: at most 512 GiB");

#define PAGE_TABLE __attribute__((aligned(4096)))

uint64_t boot_pml4[PT_ENTRIES] PAGE_TABLE;
uint64_t boot_pdpt_ident[PT_ENTRIES] PAGE_TABLE;
uint64_t boot_pdpt_kernel[PT_ENTRIES] PAGE_TABLE;
uint64_t boot_pdpt_direct[PT_ENTRIES] PAGE_TABLE;
uint64_t direct_map_pd[DIRECT_MAP_MAX_GIB][PT_ENTRIES] PAGE_TABLE;

static void flush_tlb(void)
{
	write_cr3(read_cr3());
}

/*
 * The identity map of the first GiB was only needed for the instructions
 * between "paging on" and the jump to the high address: drop it, so that
 * a NULL (or small) pointer faults instead of reading low memory. The GDT
 * and IDT must already be loaded at their high addresses.
 */
void paging_init(void)
{
	boot_pml4[0] = 0;
	flush_tlb();
}

/* Map physical GiB number gib into the direct map, as 2 MiB pages. */
static void map_direct_gib(uint64_t gib)
{
	for (uint64_t i = 0; i < PT_ENTRIES; i++)
		direct_map_pd[gib][i] =
			(gib * GiB + i * LARGE_PAGE) | PTE_P | PTE_W | PTE_PS;
	boot_pdpt_direct[gib] =
		virt_to_phys(direct_map_pd[gib]) | PTE_P | PTE_W;
}

/*
 * Make the direct map cover physical addresses [0, end). The boot code
 * mapped 4 GiB, which holds all RAM below the PCI hole and the devices in
 * the hole, so only RAM above 4 GiB needs more.
 */
void paging_extend_direct_map(uint64_t end)
{
	if (end > DIRECT_MAP_MAX_GIB * GiB)
		panic("paging_extend_direct_map: RAM ends at %#lx, above the "
		      "%d GiB the direct map can hold: run QEMU with less "
		      "memory, or raise DIRECT_MAP_MAX_GIB in "
		      "arch/x86_64/memlayout.h", (unsigned long)end,
		      DIRECT_MAP_MAX_GIB);
	uint64_t gibs = ALIGN_UP(end, GiB) / GiB;

	for (uint64_t gib = DIRECT_MAP_BOOT_GIB; gib < gibs; gib++)
		map_direct_gib(gib);
	flush_tlb();
}

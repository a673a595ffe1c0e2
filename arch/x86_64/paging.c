/*
 * The kernel's page tables: the ones entry.S builds before paging is on
 * (its comment has the picture), and their later adjustments:
 *
 *   paging_init()               drop the identity map; remap the kernel
 *                               image with 4 KiB pages so that its code is
 *                               read-only and the page below the boot stack
 *                               is a guard (a stack overflow faults instead
 *                               of silently overwriting .bss)
 *   paging_extend_direct_map()  map RAM above 4 GiB once the memory map
 *                               says where it is
 *
 * All of them are static arrays in .bss, so nothing needs allocating this
 * early -- at the price of fixed limits: DIRECT_MAP_MAX_GIB (memlayout.h)
 * and KERNEL_PTS below (kernel.ld checks the image fits).
 */
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"
#include "kernel/panic.h"

#define PT_ENTRIES 512
#define PTE_P  (1UL << 0)
#define PTE_W  (1UL << 1)
#define PTE_PS (1UL << 7)
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

/* The kernel window's own page directory, and 4 KiB page tables for its
 * first KERNEL_PTS * 2 MiB, which hold the kernel image. */
#define KERNEL_PTS 4
static uint64_t kernel_pd[PT_ENTRIES] PAGE_TABLE;
static uint64_t kernel_pt[KERNEL_PTS][PT_ENTRIES] PAGE_TABLE;

static void flush_tlb(void)
{
	write_cr3(read_cr3());
}

/* Page flags for the kernel window's 4 KiB page at virtual address va. */
static uint64_t kernel_page_flags(uintptr_t va)
{
	if (va >= (uintptr_t)boot_stack_guard && va < (uintptr_t)boot_stack)
		return 0;                       /* the guard: not present */
	if (va >= (uintptr_t)_kernel_start && va < (uintptr_t)_rodata_end)
		return PTE_P;                   /* code and constants */
	return PTE_P | PTE_W;
}

/*
 * Rebuild the kernel window (so far the shared 2 MiB-page directory of
 * the direct map) with its own directory: 4 KiB pages over the kernel
 * image, 2 MiB pages for the rest of its GiB. CR0.WP, set by entry.S,
 * makes read-only pages binding on the kernel too.
 */
static void map_kernel_window(void)
{
	for (uint64_t t = 0; t < KERNEL_PTS; t++) {
		for (uint64_t i = 0; i < PT_ENTRIES; i++) {
			uint64_t pa = t * LARGE_PAGE + i * PAGE_SIZE;
			kernel_pt[t][i] =
				pa | kernel_page_flags(KERNEL_VIRT_BASE + pa);
		}
		kernel_pd[t] = virt_to_phys(kernel_pt[t]) | PTE_P | PTE_W;
	}
	for (uint64_t i = KERNEL_PTS; i < PT_ENTRIES; i++)
		kernel_pd[i] = (i * LARGE_PAGE) | PTE_P | PTE_W | PTE_PS;
	boot_pdpt_kernel[PDPT_SLOT_KERNEL] =
		virt_to_phys(kernel_pd) | PTE_P | PTE_W;
}

/*
 * The identity map of the first GiB was only needed for the instructions
 * between "paging on" and the jump to the high address: drop it, so that
 * a NULL (or small) pointer faults instead of reading low memory. The GDT
 * and IDT must already be loaded at their high addresses. Then give the
 * kernel image its own page tables.
 */
void paging_init(void)
{
	boot_pml4[0] = 0;
	map_kernel_window();
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

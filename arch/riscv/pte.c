/*
 * Sv39 page-table entries, for the portable walker in mm/vm.c (see the
 * page-table section of kernel/arch.h). RISC-V privileged spec, 4.4.
 *
 *   63      54 53                  10 9   8 7 6 5 4 3 2 1 0
 *  | reserved |  physical page number | rsw |D|A|G|U|X|W|R|V|
 *
 * A valid entry with R, W and X all clear points to the next table; any
 * other valid entry is a leaf, at any level. So there is no "page size"
 * bit: a leaf in the root table maps 1 GiB, one level down 2 MiB.
 */
#include "arch/riscv/memlayout.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/sv39.h"
#include "kernel/arch.h"
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "mm/vm.h"

const int arch_pt_levels = SV39_LEVELS;

/* Bits 63..38 all equal: the lowest or the highest 256 GiB. */
bool arch_va_is_canonical(uintptr_t va)
{
	int shift = 64 - SV39_VA_BITS;

	return (uintptr_t)((intptr_t)(va << shift) >> shift) == va;
}

/* Every Sv39 machine has 2 MiB megapages and 1 GiB gigapages. */
bool arch_large_page_ok(int level)
{
	return level == 1 || level == 2;
}

static pte_t pte_at(paddr_t pa)
{
	return (pa >> PAGE_SHIFT) << PTE_PPN_SHIFT | PTE_V;
}

/*
 * A and D are preset: the spec lets the CPU fault instead of setting
 * them, and some do (QEMU sets them; real hardware often does not).
 * Nothing in Duet reads them.
 */
pte_t arch_pte_leaf(paddr_t pa, unsigned perm, int level)
{
	pte_t pte = pte_at(pa) | PTE_A | PTE_D;

	UNUSED(level);                  /* the level is where it is stored */
	if (perm & VM_READ)
		pte |= PTE_R;
	if (perm & VM_WRITE)
		pte |= PTE_W;
	if (perm & VM_EXEC)
		pte |= PTE_X;
	if (perm & VM_USER)
		pte |= PTE_U;
	if (perm & VM_GLOBAL)
		pte |= PTE_G;
	return pte;
}

/* A, D and U must be clear in a pointer to a table. */
pte_t arch_pte_table(paddr_t table)
{
	return pte_at(table);
}

bool arch_pte_valid(pte_t pte)
{
	return (pte & PTE_V) != 0;
}

bool arch_pte_is_leaf(pte_t pte, int level)
{
	UNUSED(level);
	return (pte & (PTE_R | PTE_W | PTE_X)) != 0;
}

paddr_t arch_pte_addr(pte_t pte)
{
	uint64_t ppn = (pte >> PTE_PPN_SHIFT) & ((1UL << PTE_PPN_BITS) - 1);

	return ppn << PAGE_SHIFT;
}

unsigned arch_pte_perm(pte_t pte)
{
	return (pte & PTE_R ? VM_READ : 0) | (pte & PTE_W ? VM_WRITE : 0) |
	       (pte & PTE_X ? VM_EXEC : 0) | (pte & PTE_U ? VM_USER : 0) |
	       (pte & PTE_G ? VM_GLOBAL : 0);
}

/* The fence before makes our writes to the new tables visible to the
 * page walker; the one after drops translations of the old tables. */
void arch_pt_activate(paddr_t root)
{
	sfence_vma();
	csr_write(satp, SATP_MODE_SV39 | (root >> PAGE_SHIFT));
	sfence_vma();
}

paddr_t arch_pt_active(void)
{
	return (csr_read(satp) & SATP_PPN_MASK) << PAGE_SHIFT;
}

void arch_tlb_flush_page(uintptr_t va)
{
	__asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory");
}

/* The devices Duet touches, one page each, through the direct map. */
void arch_kernel_mappings(struct vm_space *vs)
{
	static const struct {
		const char *name;
		paddr_t pa;
	} devices[] = {
		{ "UART", UART0_PHYS },
		{ "test finisher", TEST_FINISHER_PHYS },
	};

	for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
		paddr_t pa = devices[i].pa;
		int err = vm_map(vs, (uintptr_t)phys_to_virt(pa), pa, PAGE_SIZE,
				 VM_READ | VM_WRITE | VM_GLOBAL);
		if (err < 0)
			panic("arch_kernel_mappings: cannot map the %s: %s",
			      devices[i].name, error_name(err));
	}
}

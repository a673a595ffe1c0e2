/*
 * x86-64 page-table entries, for the portable walker in mm/vm.c (see the
 * page-table section of kernel/arch.h). Intel SDM volume 3, chapter 4.
 *
 *   63  62     52 51               12 11   9 8 7 6 5 4 3 2 1 0
 *  |NX| ignored  |  physical address  | ign. |G|PS|D|A| | |U|W|P|
 *
 * Four levels: PML4 (3), PDPT (2), page directory (1), page table (0).
 * In a PDPT or page directory, PS marks a leaf (a 1 GiB or 2 MiB page);
 * otherwise the entry points to the next table. There is no "readable"
 * bit -- present means readable -- and "executable" is the absence of NX.
 * Table entries get P, W and U, the most permissive, so that the leaf
 * alone decides: the CPU combines the bits of every level on the way.
 */
#include "arch/x86_64/paging.h"
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "mm/vm.h"

const int arch_pt_levels = X86_PT_LEVELS;

static uint64_t nx_bit;         /* PTE_NX if the CPU has it, else 0 */
static bool has_1g_pages;

/*
 * Find out what entries may use; turn on NX, without which bit 63 of an
 * entry is reserved (and setting it faults). Every x86-64 CPU but the
 * very first has NX; without it nothing is execute-protected.
 */
void pte_init(void)
{
	uint32_t features = cpuid_edx(CPUID_EXT_FEATURES);

	if (features & CPUID_EXT_NX) {
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
		nx_bit = PTE_NX;
	}
	has_1g_pages = (features & CPUID_EXT_PDPE1GB) != 0;
}

/* Bits 63..47 all equal: the lowest or the highest 128 TiB. */
bool arch_va_is_canonical(uintptr_t va)
{
	int shift = 64 - X86_VA_BITS;

	return (uintptr_t)((intptr_t)(va << shift) >> shift) == va;
}

/* 2 MiB pages are part of long mode; 1 GiB pages are optional (QEMU's
 * default CPU lacks them: try -cpu max). */
bool arch_large_page_ok(int level)
{
	return level == 1 || (level == 2 && has_1g_pages);
}

/* VM_READ needs no bit: the entry is present. */
pte_t arch_pte_leaf(paddr_t pa, unsigned perm, int level)
{
	pte_t pte = pa | PTE_P;

	if (level > 0)
		pte |= PTE_PS;
	if (perm & VM_WRITE)
		pte |= PTE_W;
	if (!(perm & VM_EXEC))
		pte |= nx_bit;
	if (perm & VM_USER)
		pte |= PTE_U;
	if (perm & VM_GLOBAL)
		pte |= PTE_G;
	return pte;
}

pte_t arch_pte_table(paddr_t table)
{
	return table | PTE_P | PTE_W | PTE_U;
}

bool arch_pte_valid(pte_t pte)
{
	return (pte & PTE_P) != 0;
}

bool arch_pte_is_leaf(pte_t pte, int level)
{
	return level == 0 || (pte & PTE_PS) != 0;
}

paddr_t arch_pte_addr(pte_t pte)
{
	return pte & PTE_ADDR_MASK;
}

unsigned arch_pte_perm(pte_t pte)
{
	return VM_READ | (pte & PTE_W ? VM_WRITE : 0) |
	       (pte & nx_bit ? 0 : VM_EXEC) | (pte & PTE_U ? VM_USER : 0) |
	       (pte & PTE_G ? VM_GLOBAL : 0);
}

/* A cr3 write flushes the TLB. Not global entries, if CR4.PGE were on:
 * Duet leaves it off, so it flushes everything. */
void arch_pt_activate(paddr_t root)
{
	write_cr3(root);
}

paddr_t arch_pt_active(void)
{
	return read_cr3() & PTE_ADDR_MASK;
}

void arch_tlb_flush_page(uintptr_t va)
{
	invlpg(va);
}

/*
 * COM1, isa-debug-exit and fw_cfg are I/O ports, but the local APIC,
 * which sends the IPIs that start and wake the other CPUs (smp.c), is
 * memory-mapped: one page, through the direct map. (Real hardware wants
 * it uncached, which the VM_* bits cannot say; under QEMU it does not
 * matter.)
 */
void arch_kernel_mappings(struct vm_space *vs)
{
	paddr_t pa = rdmsr(MSR_APIC_BASE) & PTE_ADDR_MASK;
	int err = vm_map(vs, (uintptr_t)phys_to_virt(pa), pa, PAGE_SIZE,
			 VM_READ | VM_WRITE | VM_GLOBAL);

	if (err < 0)
		panic("arch_kernel_mappings: cannot map the local APIC: %s",
		      error_name(err));
}

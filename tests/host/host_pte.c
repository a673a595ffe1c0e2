/*
 * The host side of the page-table section of kernel/arch.h, for the
 * host unit tests of mm/vm.c (tests/host/test_vm.c).
 *
 * The entries have a made-up layout, unlike either real one, so a test
 * passes only if the walker goes through arch_pte_*() for everything:
 *
 *   63    56 55              12 11  10 9   8 7   3 2   1    0
 *  | zero   |  physical address | zero | level | VM_* | leaf | valid |
 *
 * A leaf records the level it was made for, and every function here
 * panics when the walker breaks a rule the real CPUs would not forgive
 * (an unaligned page, a large page the CPU lacks, a leaf read at the
 * wrong level), so those bugs fail a test instead of passing quietly.
 *
 * Also here: what mm/vm_kernel.c refers to, for the link to succeed.
 * The host tests never build the kernel's page table.
 */
#include "kernel/arch.h"
#include "kernel/panic.h"
#include "mm/memmap.h"
#include "tests/host/host_pte.h"

#define FAKE_VALID      (1UL << 0)
#define FAKE_LEAF       (1UL << 1)
#define FAKE_PERM_SHIFT 3
#define FAKE_LEVEL_SHIFT 8
#define FAKE_ADDR_MASK  0x00fffffffffff000UL
#define FAKE_VA_BITS    48
#define VM_ALL (VM_READ | VM_WRITE | VM_EXEC | VM_USER | VM_GLOBAL)

const int arch_pt_levels = 4;

unsigned host_large_page_levels = (1 << 1) | (1 << 2);
paddr_t host_active_root = PHYS_NONE;
unsigned long host_page_flushes;
unsigned long host_activations;

bool arch_va_is_canonical(uintptr_t va)
{
	int shift = 64 - FAKE_VA_BITS;

	return (uintptr_t)((intptr_t)(va << shift) >> shift) == va;
}

bool arch_large_page_ok(int level)
{
	return level > 0 && level < arch_pt_levels &&
	       (host_large_page_levels >> level) & 1;
}

pte_t arch_pte_leaf(paddr_t pa, unsigned perm, int level)
{
	uint64_t size = PAGE_SIZE << (9 * level);

	if (level < 0 || (level > 0 && !arch_large_page_ok(level)))
		panic("arch_pte_leaf: no leaf at level %d here", level);
	if (!IS_ALIGNED(pa, size) || (pa & ~FAKE_ADDR_MASK) != 0)
		panic("arch_pte_leaf: pa %#lx is not a level-%d page",
		      (unsigned long)pa, level);
	if ((perm & ~VM_ALL) != 0 || !(perm & VM_READ))
		panic("arch_pte_leaf: bad permissions %#x", perm);
	return pa | (pte_t)perm << FAKE_PERM_SHIFT |
	       (pte_t)level << FAKE_LEVEL_SHIFT | FAKE_LEAF | FAKE_VALID;
}

pte_t arch_pte_table(paddr_t table)
{
	if (!IS_ALIGNED(table, PAGE_SIZE) || (table & ~FAKE_ADDR_MASK) != 0)
		panic("arch_pte_table: bad table address %#lx",
		      (unsigned long)table);
	return table | FAKE_VALID;
}

bool arch_pte_valid(pte_t pte)
{
	return (pte & FAKE_VALID) != 0;
}

bool arch_pte_is_leaf(pte_t pte, int level)
{
	if (!arch_pte_valid(pte))
		panic("arch_pte_is_leaf: asked of an invalid entry");
	if (level == 0 && !(pte & FAKE_LEAF))
		panic("arch_pte_is_leaf: a level-0 entry points to a table");
	if ((pte & FAKE_LEAF) &&
	    (int)((pte >> FAKE_LEVEL_SHIFT) & 3) != level)
		panic("arch_pte_is_leaf: a level-%d leaf read at level %d",
		      (int)((pte >> FAKE_LEVEL_SHIFT) & 3), level);
	return (pte & FAKE_LEAF) != 0;
}

paddr_t arch_pte_addr(pte_t pte)
{
	return pte & FAKE_ADDR_MASK;
}

unsigned arch_pte_perm(pte_t pte)
{
	if (!(pte & FAKE_LEAF))
		panic("arch_pte_perm: asked of a table entry");
	return (pte >> FAKE_PERM_SHIFT) & VM_ALL;
}

void arch_pt_activate(paddr_t root)
{
	host_active_root = root;
	host_activations++;
}

paddr_t arch_pt_active(void)
{
	return host_active_root;
}

void arch_tlb_flush_page(uintptr_t va)
{
	if (!IS_ALIGNED(va, PAGE_SIZE))
		panic("arch_tlb_flush_page: unaligned %#lx",
		      (unsigned long)va);
	host_page_flushes++;
}

void arch_kernel_mappings(struct vm_space *vs)
{
	(void)vs;
}

/* What mm/vm_kernel.c refers to. */
struct memmap boot_memmap;
char _kernel_start[1], _text_end[1], _rodata_end[1], _kernel_end[1];
char boot_stack_guard[1], boot_stack[1], boot_stack_top[1];

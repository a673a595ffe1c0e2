/*
 * Page tables, the portable part (lab 5). See mm/vm.h for the rules.
 *
 * A page table is a radix tree. Each table is one page of PT_ENTRIES
 * entries; a virtual address is cut into 9-bit indexes, one per level,
 * above the 12-bit offset within a page:
 *
 *     x86-64:  | 47..39 | 38..30 | 29..21 | 20..12 | 11..0  |
 *     Sv39:             | 38..30 | 29..21 | 20..12 | 11..0  |
 *     level:       3        2        1        0     offset
 *
 * An entry is invalid, a leaf (it maps a page of level_size(level)
 * bytes), or points to the table one level down. Only kernel/arch.h's
 * arch_pte_*() know how an entry is laid out, so this file runs unchanged
 * on every architecture, and on the host with a made-up entry format.
 *
 * Invariant: no table but the root is ever empty. vm_unmap frees the
 * tables it empties, so a valid entry pointing to a table always means
 * something is mapped below it.
 */
#include "kernel/arch.h"
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "mm/page_alloc.h"
#include "mm/vm.h"

#define PT_INDEX_BITS 9
#define PT_ENTRIES    (1 << PT_INDEX_BITS)

#define VM_ALL (VM_READ | VM_WRITE | VM_EXEC | VM_USER | VM_GLOBAL)

/* BEGIN SOLUTION lab5 */
/* Bytes mapped by one entry of a level-level table. */
static uint64_t level_size(int level)
{
	return PAGE_SIZE << (PT_INDEX_BITS * level);
}

/* Index of va's entry in a level-level table. */
static unsigned pt_index(uintptr_t va, int level)
{
	return (va >> (PAGE_SHIFT + PT_INDEX_BITS * level)) & (PT_ENTRIES - 1);
}

static int root_level(void)
{
	return arch_pt_levels - 1;
}

static pte_t *table_at(paddr_t pa)
{
	return phys_to_virt(pa);
}

/* A new, empty table, or PHYS_NONE. */
static paddr_t table_alloc(void)
{
	paddr_t pa = page_alloc(1);

	if (pa != PHYS_NONE)
		memset(table_at(pa), 0, PAGE_SIZE);
	return pa;
}

static bool table_is_empty(const pte_t *table)
{
	for (int i = 0; i < PT_ENTRIES; i++)
		if (arch_pte_valid(table[i]))
			return false;
	return true;
}

static bool is_active(const struct vm_space *vs)
{
	return arch_pt_active() == vs->root;
}

/*
 * Walk down to va's entry in the level-level table. A missing table on
 * the way is created if create is true (and NULL returned if that runs
 * out of memory), else NULL is returned. Also NULL if a large page on
 * the way already maps va.
 */
static pte_t *walk(const struct vm_space *vs, uintptr_t va, int level,
		   bool create)
{
	pte_t *table = table_at(vs->root);

	for (int l = root_level(); l > level; l--) {
		pte_t *pte = &table[pt_index(va, l)];
		if (!arch_pte_valid(*pte)) {
			paddr_t pa = create ? table_alloc() : PHYS_NONE;
			if (pa == PHYS_NONE)
				return NULL;
			*pte = arch_pte_table(pa);
		} else if (arch_pte_is_leaf(*pte, l)) {
			return NULL;
		}
		table = table_at(arch_pte_addr(*pte));
	}
	return &table[pt_index(va, level)];
}

/*
 * Walk towards va until the walk can go no further, and return that
 * entry and its level: either the leaf that maps va, or an invalid entry,
 * which means that nothing is mapped in the level_size(*level) bytes
 * around va. Never NULL: a valid level-0 entry is always a leaf.
 */
static pte_t *find(const struct vm_space *vs, uintptr_t va, int *level)
{
	pte_t *table = table_at(vs->root);

	for (int l = root_level();; l--) {
		pte_t *pte = &table[pt_index(va, l)];
		*level = l;
		if (!arch_pte_valid(*pte) || arch_pte_is_leaf(*pte, l))
			return pte;
		table = table_at(arch_pte_addr(*pte));
	}
}

/* Bytes from va to the end of the level_size(level) block holding it. */
static uint64_t to_block_end(uintptr_t va, int level)
{
	return level_size(level) - (va & (level_size(level) - 1));
}

/* Is [va, va + size) a page-aligned, non-empty range of canonical
 * addresses, all in the same half of the address space? */
static bool range_ok(uintptr_t va, uint64_t size)
{
	uintptr_t last = va + size - 1;

	return size != 0 && IS_ALIGNED(va, PAGE_SIZE) &&
	       IS_ALIGNED(size, PAGE_SIZE) && last > va &&
	       arch_va_is_canonical(va) && arch_va_is_canonical(last) &&
	       (va >> 63) == (last >> 63);
}

static int check_map(uintptr_t va, paddr_t pa, uint64_t size, unsigned perm)
{
	if (!range_ok(va, size) || !IS_ALIGNED(pa, PAGE_SIZE) ||
	    pa + size - 1 < pa)
		return -EINVAL;
	/* VM_WRITE or VM_EXEC without VM_READ cannot be expressed on x86. */
	if ((perm & ~VM_ALL) != 0 || !(perm & VM_READ))
		return -EINVAL;
	return 0;
}

/* Is every page of [va, va + size) unmapped? Skips empty blocks whole. */
static bool range_is_free(const struct vm_space *vs, uintptr_t va,
			  uint64_t size)
{
	for (uint64_t done = 0; done < size;) {
		int level;
		pte_t *pte = find(vs, va + done, &level);
		if (arch_pte_valid(*pte))
			return false;
		done += to_block_end(va + done, level);
	}
	return true;
}

/* The level of the largest page that can map va -> pa with size bytes
 * still to map: both aligned to it, and the CPU able to use it. */
static int best_level(uintptr_t va, paddr_t pa, uint64_t size)
{
	for (int level = root_level(); level > 0; level--) {
		uint64_t sz = level_size(level);
		if (arch_large_page_ok(level) && IS_ALIGNED(va, sz) &&
		    IS_ALIGNED(pa, sz) && size >= sz)
			return level;
	}
	return 0;
}
/* END SOLUTION */

int vm_map(struct vm_space *vs, uintptr_t va, paddr_t pa, uint64_t size,
	   unsigned perm)
{
	/* BEGIN SOLUTION lab5 */
	int err = check_map(va, pa, size, perm);

	if (err < 0)
		return err;
	/* Checking first means a failure below can only be -ENOMEM, and
	 * undoing it cannot remove anything that was there before. */
	if (!range_is_free(vs, va, size))
		return -EBUSY;
	for (uint64_t done = 0; done < size;) {
		int level = best_level(va + done, pa + done, size - done);
		pte_t *pte = walk(vs, va + done, level, true);
		if (pte == NULL) {
			vm_unmap(vs, va, size);
			return -ENOMEM;
		}
		if (arch_pte_valid(*pte))       /* range_is_free said no */
			panic("vm_map: %#lx is mapped already",
			      (unsigned long)(va + done));
		*pte = arch_pte_leaf(pa + done, perm, level);
		/* The CPU may have cached "not mapped" for the page. */
		if (is_active(vs))
			arch_tlb_flush_page(va + done);
		done += level_size(level);
	}
	return 0;
	/* END SOLUTION */
}

/* BEGIN SOLUTION lab5 */
/*
 * Free the tables on the way to va that are empty, lowest first: freeing
 * one may empty its parent. The root stays. Returns whether it freed any.
 */
static bool free_empty_tables(struct vm_space *vs, uintptr_t va)
{
	bool freed = false;

	for (int level = 1; level <= root_level(); level++) {
		pte_t *pte = walk(vs, va, level, false);
		if (pte == NULL || !arch_pte_valid(*pte) ||
		    arch_pte_is_leaf(*pte, level))
			continue;
		paddr_t table = arch_pte_addr(*pte);
		if (!table_is_empty(table_at(table)))
			break;
		*pte = 0;
		page_free(table, 1);
		freed = true;
	}
	return freed;
}

/* Would unmapping [va, va + size) leave part of a large page mapped? Only
 * the pages at either end can stick out of the range. */
static bool cuts_large_page(const struct vm_space *vs, uintptr_t va,
			    uint64_t size)
{
	int level;
	pte_t *first = find(vs, va, &level);

	if (arch_pte_valid(*first) && !IS_ALIGNED(va, level_size(level)))
		return true;
	pte_t *last = find(vs, va + size - 1, &level);
	return arch_pte_valid(*last) &&
	       !IS_ALIGNED(va + size, level_size(level));
}
/* END SOLUTION */

int vm_unmap(struct vm_space *vs, uintptr_t va, uint64_t size)
{
	/* BEGIN SOLUTION lab5 */
	bool freed = false;

	if (!range_ok(va, size) || cuts_large_page(vs, va, size))
		return -EINVAL;
	for (uint64_t done = 0; done < size;) {
		uintptr_t a = va + done;
		int level;
		pte_t *pte = find(vs, a, &level);
		if (arch_pte_valid(*pte)) {
			*pte = 0;
			if (is_active(vs))
				arch_tlb_flush_page(a);
		}
		/* Also after a hole: vm_map's undo leaves empty tables. */
		freed |= free_empty_tables(vs, a);
		done += to_block_end(a, level);
	}
	/* The CPU may cache entries of tables, not just of pages: a freed
	 * table must be forgotten before its page is used again. */
	if (freed && is_active(vs))
		arch_pt_activate(vs->root);
	return 0;
	/* END SOLUTION */
}

paddr_t vm_translate(const struct vm_space *vs, uintptr_t va, unsigned *perm)
{
	/* BEGIN SOLUTION lab5 */
	struct vm_mapping m;

	if (!vm_lookup(vs, va, &m))
		return PHYS_NONE;
	if (perm != NULL)
		*perm = m.perm;
	return m.pa + (va - m.va);
	/* END SOLUTION */
}

bool vm_lookup(const struct vm_space *vs, uintptr_t va, struct vm_mapping *m)
{
	/* BEGIN SOLUTION lab5 */
	int level;

	if (!arch_va_is_canonical(va))
		return false;
	pte_t *pte = find(vs, va, &level);
	if (!arch_pte_valid(*pte))
		return false;
	m->size = level_size(level);
	m->va = ALIGN_DOWN(va, m->size);
	m->pa = arch_pte_addr(*pte);
	m->perm = arch_pte_perm(*pte);
	return true;
	/* END SOLUTION */
}

int vm_create(struct vm_space *vs)
{
	/* BEGIN SOLUTION lab5 */
	vs->root = table_alloc();
	return vs->root == PHYS_NONE ? -ENOMEM : 0;
	/* END SOLUTION */
}

/* BEGIN SOLUTION lab5 */
/* Free the level-level table at pa and every table below it. */
static void free_tables(paddr_t pa, int level)
{
	pte_t *table = table_at(pa);

	for (int i = 0; i < PT_ENTRIES; i++)
		if (arch_pte_valid(table[i]) &&
		    !arch_pte_is_leaf(table[i], level))
			free_tables(arch_pte_addr(table[i]), level - 1);
	page_free(pa, 1);
}
/* END SOLUTION */

void vm_destroy(struct vm_space *vs)
{
	/* BEGIN SOLUTION lab5 */
	if (is_active(vs))
		panic("vm_destroy: %#lx is the page table in use",
		      (unsigned long)vs->root);
	free_tables(vs->root, root_level());
	vs->root = PHYS_NONE;
	/* END SOLUTION */
}

void vm_activate(const struct vm_space *vs)
{
	/* BEGIN SOLUTION lab5 */
	arch_pt_activate(vs->root);
	/* END SOLUTION */
}

/* ---- Visiting every mapping ---------------------------------------------- */

/* BEGIN SOLUTION lab5 */
/* Tables only hold the low bits of an address: the rest copy the top
 * bit the tables translate (bit 38 on Sv39, 47 on x86-64). */
static uintptr_t canonical(uintptr_t va)
{
	int shift = 64 - (PAGE_SHIFT + PT_INDEX_BITS * arch_pt_levels);

	return (uintptr_t)((intptr_t)(va << shift) >> shift);
}

static void visit(paddr_t pa, int level, uintptr_t base,
		  void (*fn)(const struct vm_mapping *m, void *arg), void *arg)
{
	const pte_t *table = table_at(pa);

	for (int i = 0; i < PT_ENTRIES; i++) {
		pte_t pte = table[i];
		uintptr_t va = base + i * level_size(level);
		if (!arch_pte_valid(pte))
			continue;
		if (arch_pte_is_leaf(pte, level)) {
			struct vm_mapping m = {
				canonical(va), arch_pte_addr(pte),
				level_size(level), arch_pte_perm(pte) };
			fn(&m, arg);
		} else {
			visit(arch_pte_addr(pte), level - 1, va, fn, arg);
		}
	}
}
/* END SOLUTION */

void vm_for_each_mapping(const struct vm_space *vs,
			 void (*fn)(const struct vm_mapping *m, void *arg),
			 void *arg)
{
	/* BEGIN SOLUTION lab5 */
	visit(vs->root, root_level(), 0, fn, arg);
	/* END SOLUTION */
}

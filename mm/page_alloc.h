/*
 * The page allocator: who owns each physical page of usable RAM.
 *
 * Everything that needs whole pages -- the heap, page tables, tests, the
 * monitor -- calls the functions at the bottom of this file, whichever
 * allocator was chosen at boot with pmm= on the command line:
 *
 *   pmm=bump      mm/bump.c      a cursor through the memory map; never frees
 *   pmm=bitmap    mm/bitmap.c    one bit per page, next-fit word scan (default)
 *   pmm=freelist  mm/freelist.c  a LIFO list threaded through the free pages
 *   pmm=buddy     mm/buddy.c     power-of-two blocks, per-frame records, per-CPU caches
 *
 *   paddr_t pa = page_alloc(4);          four contiguous pages
 *   if (pa == PHYS_NONE)
 *           ... out of memory: PHYS_NONE, never 0 (page 0 is real on x86)
 *   memset(phys_to_virt(pa), 0, 4 * PAGE_SIZE);
 *   page_free(pa, 4);
 *
 * The bump allocator always runs first, even when another one is chosen:
 * it hands out the memory the chosen allocator needs for its own
 * bookkeeping, then hands the rest over (see bump_handover()).
 *
 * Freeing is by page range, not by allocation: you may give back any
 * pages you own, e.g. the last two of a four-page run.
 */
#ifndef DUET_PAGE_ALLOC_H
#define DUET_PAGE_ALLOC_H

#include <stdnoreturn.h>
#include "kernel/printf.h"
#include "kernel/types.h"

struct memmap;
struct spinlock;

/* What every allocator provides; self points to its own state. */
struct page_alloc_ops {
	const char *name;
	/* npages contiguous pages starting at a multiple of align_pages
	 * pages (a power of two), or PHYS_NONE if there is no such run. */
	paddr_t (*alloc)(void *self, uint64_t npages, uint64_t align_pages);
	/* Give back npages pages from pa; panics on a page that is not
	 * allocated (double free, never handed out, out of range). */
	void (*free)(void *self, paddr_t pa, uint64_t npages);
	uint64_t (*free_pages)(const void *self);
	uint64_t (*total_pages)(const void *self);
	/* One or two lines of allocator-specific detail, for meminfo. */
	void (*print_stats)(const void *self);
};

/* One allocator: its operations and the state they work on. */
struct page_allocator {
	const struct page_alloc_ops *ops;
	void *self;
};

#define PMM_DEFAULT "bitmap"

/*
 * Start the allocator called name ("" or NULL: PMM_DEFAULT) on the usable
 * RAM of map, which must stay alive (boot_memmap does). Panics on an
 * unknown name, listing the valid ones.
 */
void pmm_init(const struct memmap *map, const char *name);

/* The allocator chosen at boot, for tests that need its own interface. */
const struct page_allocator *pmm_allocator(void);

paddr_t  page_alloc(uint64_t npages);
paddr_t  page_alloc_aligned(uint64_t npages, uint64_t align_pages);
void     page_free(paddr_t pa, uint64_t npages);
uint64_t pmm_free_pages(void);
uint64_t pmm_total_pages(void);
const char *pmm_name(void);
void     pmm_print_stats(void);     /* for meminfo; safe before init */

/* ---- For the allocators themselves ------------------------------------ */

noreturn void pmm_bad_request(const char *who, uint64_t npages,
			      uint64_t align_pages);

/*
 * Panic unless npages > 0 and align_pages is a power of two small enough
 * for align_pages * PAGE_SIZE to fit in 64 bits. who names the caller.
 * Bad arguments are a bug in the caller, not a shortage of memory.
 * Inline: it runs on every allocation and free.
 */
static inline void pmm_check_request(const char *who, uint64_t npages,
				     uint64_t align_pages)
{
	if (npages == 0 || !IS_POWER_OF_2(align_pages) ||
	    align_pages > (UINT64_MAX >> PAGE_SHIFT))
		pmm_bad_request(who, npages, align_pages);
}

/*
 * Release lock, then panic. An allocator that finds a broken rule while
 * holding its lock must not panic with it held: a test that expects the
 * panic would leave the allocator locked for every later test.
 */
noreturn void unlock_and_panic(struct spinlock *lock, const char *fmt, ...)
	PRINTF_LIKE(2, 3);

#endif

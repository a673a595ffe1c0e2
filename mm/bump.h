/*
 * The bump allocator (lab 1): the boot allocator.
 *
 * A cursor walks up through the usable ranges of the memory map; each
 * allocation takes the next pages above it and moves it on. Nothing is
 * ever given back, so there is no bookkeeping at all, which is why it can
 * run before anything else exists:
 *
 *   usable   |=====|      |===============|     |==========|
 *            used  ^ region 1, next        free from here on
 *
 * Reserved and non-usable memory is skipped by construction: the cursor
 * only ever points into map->usable[].
 */
#ifndef DUET_BUMP_H
#define DUET_BUMP_H

#include "kernel/spinlock.h"
#include "mm/memmap.h"
#include "mm/page_alloc.h"

struct bump {
	struct spinlock lock;
	const struct memmap *map;       /* not copied: must outlive us */
	unsigned region;                /* the cursor: map->usable[region] */
	paddr_t next;                   /* ... first unused address in it */
	uint64_t free;                  /* pages at or above the cursor */
	uint64_t total;
	uint64_t skipped;               /* passed over for alignment or room */
	bool handed_over;
};

void bump_init(struct bump *b, const struct memmap *map);

/*
 * npages contiguous pages aligned to align_pages pages, or PHYS_NONE.
 * O(1): it looks at the cursor's region, and at later regions only when
 * the request does not fit there (never re-walking the map from the
 * start). The pages between the cursor and an aligned start, or a
 * region's tail too small for the request, are skipped for good: a bump
 * allocator cannot go back. A request that fits nowhere returns PHYS_NONE
 * and moves nothing.
 */
paddr_t bump_alloc(struct bump *b, uint64_t npages, uint64_t align_pages);

/*
 * Always panics: a bump allocator cannot free. We chose a panic over a
 * silent no-op because a free reaching the boot allocator is a bug (the
 * memory would leak unnoticed); pmm=bump is for boot and for lab 1 only.
 */
noreturn void bump_free(struct bump *b, paddr_t pa, uint64_t npages);

/*
 * Stop allocating and say where we stopped: every usable page below the
 * returned address is in use (or skipped), every page at or above it has
 * never been touched. The next allocator takes over from there; any later
 * bump_alloc() panics.
 */
paddr_t bump_handover(struct bump *b);

uint64_t bump_free_pages(const struct bump *b);
uint64_t bump_total_pages(const struct bump *b);

extern const struct page_alloc_ops bump_ops;

#endif

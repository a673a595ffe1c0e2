/*
 * The bitmap allocator (lab 2): one bit per page, 1 = in use.
 *
 * Layout: one bitmap per usable region, not one spanning the lowest to
 * the highest address. A spanning bitmap would also pay for the holes
 * between regions (RAM at 0 and at 1 TiB would need 32 MiB of bits for
 * nothing); per region, the cost is one bit per usable page (32 KiB per
 * GiB) plus 24 bytes per region, however the RAM is scattered. Runs never
 * cross regions anyway: normalised usable regions never touch.
 *
 *   region 0: base 0x80400000  words: 1111111111110000 0000000000000000 ...
 *   region 1: base 0x100000000 words: 0000000000000000 ...
 *
 * Allocation is next-fit: the search starts where the last allocation
 * ended and reads 64 bits at a time, skipping full words and finding a
 * clear bit with __builtin_ctzll, so a nearly full bitmap costs one load
 * per 64 pages rather than one per page. The free count is a counter.
 *
 * Freeing checks every page and panics, naming the function, the page
 * and the rule, on: an address that is not page aligned, a page outside
 * the regions this allocator manages (the memory the bump allocator used,
 * reserved firmware or kernel memory, a hole), or a page that is already
 * free (a double free). The check happens before anything changes, so a
 * bad free leaves the bitmap as it was.
 */
#ifndef DUET_BITMAP_H
#define DUET_BITMAP_H

#include "kernel/spinlock.h"
#include "mm/bump.h"
#include "mm/memmap.h"
#include "mm/page_alloc.h"

struct bitmap_region {
	paddr_t base;           /* the page bit 0 stands for */
	uint64_t npages;
	uint64_t *words;        /* bit i set: page base + i pages is in use */
};

struct bitmap_alloc {
	struct spinlock lock;
	struct bitmap_region region[MEMMAP_MAX];
	unsigned nregions;
	uint64_t free;
	uint64_t total;
	unsigned hint_region;   /* next fit: where the last allocation ended */
	uint64_t hint_page;
	bool zero_on_alloc;
};

/*
 * Manage the usable RAM of map that the bump allocator boot has not used:
 * the bits come from boot, then boot hands over and everything below its
 * stop point counts as used (it is not in any region). Costs one bit of
 * writes per page (the bitmap starts all clear).
 */
void bitmap_init(struct bitmap_alloc *b, const struct memmap *map,
		 struct bump *boot);

paddr_t bitmap_alloc(struct bitmap_alloc *b, uint64_t npages,
		     uint64_t align_pages);
void bitmap_free(struct bitmap_alloc *b, paddr_t pa, uint64_t npages);

/* Fill every page with zeros as it is allocated (off by default). */
void bitmap_zero_on_alloc(struct bitmap_alloc *b, bool on);

/*
 * Take the pages of [pa, pa + npages pages) out of the pool, or put them
 * back. Pages outside the regions are ignored. A page already out (or
 * already back) is left alone, so overlapping reservations are counted
 * once in the pool total. One bit cannot tell "reserved" from "allocated":
 * reserving an allocated page leaves it with its owner, and unreserve must
 * only be given pages that were reserved, or it hands out a page in use.
 */
void bitmap_reserve(struct bitmap_alloc *b, paddr_t pa, uint64_t npages);
void bitmap_unreserve(struct bitmap_alloc *b, paddr_t pa, uint64_t npages);

uint64_t bitmap_free_pages(const struct bitmap_alloc *b);
uint64_t bitmap_total_pages(const struct bitmap_alloc *b);

extern const struct page_alloc_ops bitmap_ops;

#endif

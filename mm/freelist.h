/*
 * The free-list allocator (lab 3): free pages linked through themselves.
 *
 * Each free page holds, in its first 8 bytes, the physical address of the
 * next free page (PHYS_NONE ends the list), written through the direct
 * map. Single pages are allocated and freed in O(1) at the head (LIFO:
 * the page freed last, still warm in the cache, is reused first).
 *
 *   head -> [next|poison...] -> [next|poison...] -> [PHYS_NONE|poison...]
 *
 * Lazy start: threading every page onto the list at boot would write to
 * every page (16 GiB of writes at -m 16G). Instead each region keeps an
 * untouched tail, free but not on the list; single pages come from the
 * list first and from a tail when it is empty, and a page joins the list
 * only when it is freed. Start-up costs O(regions), whatever the RAM size.
 *
 *   region   |listed or in use .........|untouched tail.............|
 *            base                       untouched                  end
 *
 * Contiguous runs (npages > 1, or an alignment above one page) are carved
 * from an untouched tail, the pages skipped to align the start going onto
 * the list. The list itself knows nothing of adjacency, so once the tails
 * are used up such requests return PHYS_NONE even if enough single pages
 * are free (a buddy allocator solves that).
 *
 * Poisoning (optional, on in the kernel): a freed page is filled with
 * FREELIST_POISON after its link, and the fill and the link are checked
 * when the page is allocated again, so a write through a stale pointer is
 * caught with the page and offset. Costs a 4 KiB write per free and a
 * 4 KiB read per allocation of a listed page; without it nothing is
 * filled or checked (the fast mode the benchmark measures).
 *
 * Frees are checked and panic, naming the function, the page and the
 * rule, on: an unaligned address, a page outside the managed regions, or
 * a page already free -- on the list or in an untouched tail (a double
 * free). A bit per page, "is on the list", makes that check O(1) without
 * walking the list; it costs 32 KiB per GiB and, like the list, needs no
 * initialising: it only means something below each region's untouched
 * mark, and carving a page clears its bit.
 */
#ifndef DUET_FREELIST_H
#define DUET_FREELIST_H

#include "kernel/spinlock.h"
#include "mm/bump.h"
#include "mm/memmap.h"
#include "mm/page_alloc.h"

/* Linux's "freed memory" byte, repeated: easy to spot in a dump. */
#define FREELIST_POISON 0x6b6b6b6b6b6b6b6bULL

struct freelist_region {
	paddr_t base;
	paddr_t end;
	paddr_t untouched;      /* [untouched, end): never handed out */
	uint64_t *listed;       /* bit i: page base + i pages is on the list */
};

struct freelist {
	struct spinlock lock;
	struct freelist_region region[MEMMAP_MAX];
	unsigned nregions;
	unsigned carve_from;    /* regions before this one have no tail left */
	paddr_t head;           /* first page on the list, or PHYS_NONE */
	uint64_t listed;        /* pages on the list */
	uint64_t free;          /* listed + untouched */
	uint64_t total;
	bool poison;
};

/* Manage the usable RAM of map that boot has not used (see bitmap_init). */
void freelist_init(struct freelist *f, const struct memmap *map,
		   struct bump *boot, bool poison);

paddr_t freelist_alloc(struct freelist *f, uint64_t npages,
		       uint64_t align_pages);
void freelist_free(struct freelist *f, paddr_t pa, uint64_t npages);

uint64_t freelist_free_pages(const struct freelist *f);
uint64_t freelist_total_pages(const struct freelist *f);

extern const struct page_alloc_ops freelist_ops;

#endif

/*
 * The buddy allocator (lab 7): blocks of 2^order contiguous frames, order
 * 0 (4 KiB) to BUDDY_MAX_ORDER (4 MiB), each aligned to its own size.
 *
 * A block of order k+1 is two blocks of order k, "buddies". The buddy of
 * the order-k block at pa is at pa ^ (4 KiB << k): flip one address bit.
 *
 *   order 3  [                 0 .. 7                 ]
 *   order 2  [      0 .. 3       ][      4 .. 7       ]
 *   order 1  [  0 1   ][  2 3   ][  4 5   ][  6 7   ]
 *   order 0  [0][1]   [2][3]    [4][5]    [6][7]
 *
 * Free blocks sit on one list per order. Allocating order k takes a block
 * from the smallest non-empty list of order >= k and splits it in halves,
 * putting the upper half back one order down each time, until it is the
 * right size. Freeing looks at the buddy: if it is a free block of the
 * same order, the two merge into one block one order up, and so on. So
 * the free memory is always cut into the largest blocks it can be.
 *
 * Each frame has a record (mm/frame.h). The first frame of a block, its
 * head, holds the block's state and order; the others are FRAME_TAIL.
 * That is all merging needs: "is my buddy free, and of my order?" is one
 * look at the buddy's head. Splitting and merging change one or two
 * records per order, never a record per frame.
 *
 * At boot every usable range the bump allocator did not use is cut, left
 * to right, into the largest aligned blocks that fit, so ranges may start
 * and end anywhere (on a page) and no block ever spans two ranges:
 *
 *   frames  309 30a 30c 310 320 340 380 400  800  ... 3800 3c00  3e00
 *   order     0   1   2   4   5   6   7  10   10  ...   10    9  (end)
 *
 * (frame numbers less 0x80000, for a range from 0x80309000 to
 * 0x83e00000: RISC-V's at -m 64M, between the kernel and the device tree,
 * were it all free.)
 *
 * Blocks of different ranges cannot merge either: usable ranges never
 * touch, and a frame between them is reserved (or has no record), never
 * a free buddy.
 *
 * In front of the lists, each CPU keeps a small cache of free single
 * frames (mm/pcp.h): order-0 requests, by far the most common, take no
 * lock most of the time.
 *
 * Errors:
 *   - out of memory: PHYS_NONE (a failed order > 0 request first gives
 *     this CPU's cached frames back, and tries again);
 *   - an order above BUDDY_MAX_ORDER: a panic, since it is a bug in the
 *     caller, not a shortage. Through the page_alloc interface, a run
 *     longer or an alignment larger than 2^BUDDY_MAX_ORDER pages is a
 *     request no block can meet: PHYS_NONE, like any other missing run;
 *   - a bad free or reference: a panic naming the function, the page and
 *     the rule: "is not page aligned", "is outside the memory this
 *     allocator manages", "is not allocated: it is already free (double
 *     free)", "is not the head of a block", "order mismatch", "is shared
 *     (refcount n)". Nothing changes before the check.
 *
 * Reference counts: an allocated block starts with one reference, its
 * owner's. frame_get() adds one, frame_put() drops one, and the block is
 * freed when the last goes. buddy_free_order() is for a block that
 * nobody else holds: it panics if others still do.
 *
 * Locking: b->lock guards the free lists and the free count. A CPU's
 * cache is touched only by that CPU, with interrupts off, so it needs
 * no lock. The record of an allocated block belongs to its owner. A
 * record changes without the lock only between FRAME_ALLOCATED and
 * FRAME_CACHED, neither of which is FRAME_FREE, so merging (which looks
 * only for FRAME_FREE buddies, under the lock) is never misled by it.
 */
#ifndef DUET_BUDDY_H
#define DUET_BUDDY_H

#include "kernel/arch.h"
#include "kernel/spinlock.h"
#include "mm/bump.h"
#include "mm/frame.h"
#include "mm/memmap.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"

#define BUDDY_MAX_ORDER 10              /* 2^10 frames: 4 MiB blocks */

struct buddy {
	struct spinlock lock;
	struct frame_list free[BUDDY_MAX_ORDER + 1];    /* one per order */
	uint64_t free_pages;    /* on the lists (the caches hold more) */
	uint64_t total;
	unsigned nregions;
	struct frame_table frames;
	struct pcp pcp[MAX_CPUS];
};

/* Manage the usable RAM of map that boot has not used (see bitmap_init):
 * the frame records come from boot, then boot hands over. */
void buddy_init(struct buddy *b, const struct memmap *map, struct bump *boot);

/* 2^order contiguous frames aligned to their size, or PHYS_NONE. */
paddr_t buddy_alloc_order(struct buddy *b, unsigned order);
/* Give back a block from buddy_alloc_order() with that same order. */
void buddy_free_order(struct buddy *b, paddr_t pa, unsigned order);

/* Take or drop a reference to the allocated block headed by pa. */
void frame_get(struct buddy *b, paddr_t pa);
void frame_put(struct buddy *b, paddr_t pa);

/*
 * The page_alloc interface. buddy_alloc() takes the smallest block that
 * holds npages and is aligned enough, and gives the pages past npages
 * back at once, so a 3-page run costs 3 pages, not 4. buddy_free() takes
 * any pages the caller holds (part of a run, several runs), splitting
 * allocated blocks where the range cuts them.
 */
paddr_t buddy_alloc(struct buddy *b, uint64_t npages, uint64_t align_pages);
void buddy_free(struct buddy *b, paddr_t pa, uint64_t npages);

/* Free pages, those in the per-CPU caches included. */
uint64_t buddy_free_pages(const struct buddy *b);
uint64_t buddy_total_pages(const struct buddy *b);
/* Free blocks of that order on the lists (the caches not included). */
uint64_t buddy_free_blocks(const struct buddy *b, unsigned order);

extern const struct page_alloc_ops buddy_ops;

/* ---- For mm/pcp.c: moving single frames between lists and a cache ---- */

/* Take up to n free frames off the lists into cache (splitting blocks as
 * needed), marked as cached by cpu; returns how many. */
uint64_t buddy_take_frames(struct buddy *b, struct frame_list *cache,
			   uint64_t n, unsigned cpu);
/* Give the last (coldest) n frames of cache back to the lists. */
void buddy_return_frames(struct buddy *b, struct frame_list *cache,
			 uint64_t n);

#endif

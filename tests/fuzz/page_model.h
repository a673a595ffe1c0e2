/*
 * The model shared by the page allocator fuzz targets (bitmap, freelist,
 * buddy: any allocator behind struct page_alloc_ops): one state per page of
 * the fuzz machine's window, and an operation stream decoded from the
 * input and checked against it.
 *
 * The rules checked after every operation:
 *   - no overlap: an allocation is n pages, all managed and free in the
 *     model, aligned as asked; they become owned;
 *   - nothing touches owned pages: each holds a fingerprint, checked when
 *     it is freed;
 *   - counts agree: free_pages() and total_pages() equal the model's;
 *   - a misuse panics, names the function, releases the lock and changes
 *     nothing: freeing a page that is not owned (double free, never
 *     allocated, reserved, outside), an unaligned address, 0 pages, an
 *     alignment that is not a power of two below 2^52;
 *   - a valid call never panics;
 *   - no loss: at the end, once everything is freed, single-page
 *     allocations hand out exactly total_pages() distinct free pages.
 */
#ifndef DUET_FUZZ_PAGE_MODEL_H
#define DUET_FUZZ_PAGE_MODEL_H

#include "kernel/spinlock.h"
#include "mm/page_alloc.h"
#include "tests/fuzz/machine.h"

enum page_state {
	PG_UNMANAGED,           /* not usable RAM, or used by the bump */
	PG_FREE,
	PG_OWNED,               /* allocated by the op stream */
	PG_RESERVED,            /* taken out of the pool (bitmap_reserve) */
	PG_BLOCK,               /* a block the target tracks (buddy orders) */
};

/* "Any answer is fine" from a predict hook (never a page address). */
#define PREDICT_ANY ((paddr_t)1)

#define NRUNS 32

struct page_model {
	const char *name;               /* panics say "<name>_free: ..." */
	const struct page_alloc_ops *ops;
	void *self;
	struct spinlock *lock;
	uint8_t state[MACHINE_MAX_PAGES];
	uint64_t total, free;           /* what the allocator must report */
	/* Recent allocations, to pick addresses to free from. */
	struct { paddr_t pa; uint64_t n; } runs[NRUNS];
	unsigned next_run;
	/* Optional: may a valid request fail now? (NULL: it may.) */
	bool (*can_fail)(uint64_t npages, uint64_t align_pages);
	/* Pages must come out filled with zeros (bitmap_zero_on_alloc). */
	bool expect_zeroed;
	/* Optional: the exact result of a valid request, or PREDICT_ANY. */
	paddr_t (*predict)(uint64_t npages, uint64_t align_pages);
};

extern struct page_model pm;

/* Start the model on machine: usable pages at or above stop (where the
 * bump allocator handed over) are managed and free. */
void pm_start(const char *name, const struct page_alloc_ops *ops, void *self,
	      struct spinlock *lock, paddr_t stop);

/* Decode and run common operation op: an alloc (op even) or a free,
 * valid or not, with arguments from the input. */
void pm_step(uint8_t op, struct input *in);

/* Read the arguments of an allocation: mostly small sizes and
 * alignments, sometimes absurd ones (0, 2^64 - 1, 2^63, not a power of
 * two). */
void pm_decode_request(struct input *in, uint64_t *npages,
		       uint64_t *align_pages);

/* Run alloc/free through the model; both check everything above. */
paddr_t pm_alloc(uint64_t npages, uint64_t align_pages);
void pm_free(paddr_t pa, uint64_t npages);

/* Counts and locks agree with the model. */
void pm_check(void);

/* Free everything still owned, then drain: no page may be lost. */
void pm_finish(void);

/* Is there a run of npages free pages at an aligned address? */
bool pm_run_exists(uint64_t npages, uint64_t align_pages);

#endif

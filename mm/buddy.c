/*
 * The buddy allocator. See mm/buddy.h for the design and the rules.
 */
#include "kernel/arch.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "mm/buddy.h"

/* BEGIN SOLUTION lab7 */
static uint64_t block_pages(unsigned order)
{
	return (uint64_t)1 << order;
}

static uint64_t block_bytes(unsigned order)
{
	return PAGE_SIZE << order;
}

/* The smallest order whose blocks hold n pages. */
static unsigned order_for(uint64_t n)
{
	return n <= 1 ? 0 : 64 - __builtin_clzll(n - 1);
}

static void mark_allocated(struct frame *f, unsigned order)
{
	f->state = FRAME_ALLOCATED;
	f->order = order;
	f->refcount = 1;
}

/* ---- The free lists: called with b->lock held (or at boot) --------- */

static void list_add(struct buddy *b, struct frame *f, unsigned order)
{
	f->state = FRAME_FREE;
	f->order = order;
	frame_list_push(&b->free[order], f);
}

/*
 * Take a free block of the given order off the lists, or NULL: the first
 * block of the smallest order that has one, split in halves until it is
 * small enough, each upper half going onto the list one order down.
 *
 * "f + block_pages(k)" is the record of the upper half: a block lies in
 * one 128 MiB section (it is at most 4 MiB and aligned), whose records
 * are one array with a record for every usable frame.
 */
static struct frame *take_block(struct buddy *b, unsigned order)
{
	unsigned k = order;

	while (k <= BUDDY_MAX_ORDER && b->free[k].count == 0)
		k++;
	if (k > BUDDY_MAX_ORDER)
		return NULL;
	struct frame *f = frame_list_pop(&b->free[k]);
	while (k > order) {
		k--;
		list_add(b, f + block_pages(k), k);
	}
	f->order = order;
	b->free_pages -= block_pages(order);
	return f;
}

/*
 * Put the block f of the given order back, merging it with its buddy for
 * as long as the buddy is a free block of the same order: the two become
 * one block, headed by the lower, and the upper head becomes a tail. A
 * buddy outside RAM has no record; one in use, reserved or in a per-CPU
 * cache is not FRAME_FREE: either way, merging stops.
 */
static void give_block(struct buddy *b, struct frame *f, unsigned order)
{
	b->free_pages += block_pages(order);
	for (; order < BUDDY_MAX_ORDER; order++) {
		struct frame *buddy = frame_lookup(&b->frames,
						   f->pa ^ block_bytes(order));
		if (!buddy || buddy->state != FRAME_FREE ||
		    buddy->order != order)
			break;
		frame_list_remove(&b->free[order], buddy);
		if (buddy->pa < f->pa) {
			struct frame *lower = buddy;
			buddy = f;
			f = lower;
		}
		buddy->state = FRAME_TAIL;
	}
	list_add(b, f, order);
}

/*
 * The head of the block holding the tail frame f: the nearest frame below
 * it, at an ever larger alignment, that heads a block reaching f. O(max
 * order); only bad frees and range frees need it.
 */
static struct frame *head_of(struct buddy *b, struct frame *f)
{
	for (unsigned k = 1; k <= BUDDY_MAX_ORDER; k++) {
		paddr_t pa = ALIGN_DOWN(f->pa, block_bytes(k));
		struct frame *h = frame_lookup(&b->frames, pa);
		if (h && (h->state == FRAME_FREE ||
			  h->state == FRAME_ALLOCATED) && h->order >= k)
			return h;
	}
	return NULL;
}

/* The head of the block holding frame f (f itself unless it is a tail). */
static struct frame *block_of(struct buddy *b, struct frame *f)
{
	return f->state == FRAME_TAIL ? head_of(b, f) : f;
}

/*
 * Give back the part of [lo, hi) inside the allocated block f of the
 * given order: all of the block if it lies inside, else split it into two
 * allocated halves and do the same with each. Used to free part of a run.
 */
static void give_range(struct buddy *b, struct frame *f, unsigned order,
		       paddr_t lo, paddr_t hi)
{
	paddr_t start = f->pa, end = f->pa + block_bytes(order);

	if (end <= lo || hi <= start)
		return;
	if (lo <= start && end <= hi) {
		f->refcount = 0;
		give_block(b, f, order);
		return;
	}
	struct frame *upper = f + block_pages(order - 1);
	mark_allocated(f, order - 1);
	mark_allocated(upper, order - 1);
	give_range(b, f, order - 1, lo, hi);
	give_range(b, upper, order - 1, lo, hi);
}

/* ---- Setting up -------------------------------------------------------- */

/* Claim the frames of [base, end) and cut them, left to right, into the
 * largest blocks that fit and are aligned to their size. */
static void add_region(struct buddy *b, paddr_t base, paddr_t end)
{
	for (paddr_t pa = base; pa < end;) {
		unsigned order = BUDDY_MAX_ORDER;
		while (!IS_ALIGNED(pa, block_bytes(order)) ||
		       end - pa < block_bytes(order))
			order--;
		struct frame *f = frame_lookup(&b->frames, pa);
		for (uint64_t i = 1; i < block_pages(order); i++)
			f[i].state = FRAME_TAIL;
		give_block(b, f, order);
		pa += block_bytes(order);
	}
	b->total += (end - base) / PAGE_SIZE;
	b->nregions++;
}
/* END SOLUTION */

void buddy_init(struct buddy *b, const struct memmap *map, struct bump *boot)
{
	/* BEGIN SOLUTION lab7 */
	memset(b, 0, sizeof(*b));
	b->lock = (struct spinlock)SPINLOCK_INIT("buddy");
	frame_table_init(&b->frames, map, boot);
	paddr_t stop = bump_handover(boot);

	for (unsigned i = 0; i < map->nusable; i++) {
		paddr_t base = MAX(map->usable[i].base, stop);
		if (base < map->usable[i].end)
			add_region(b, base, map->usable[i].end);
	}
	/* END SOLUTION */
}

/* ---- The rules ---------------------------------------------------------- */

/* BEGIN SOLUTION lab7 */
/*
 * The record of the allocated order-order block at pa, if its owner is
 * its only holder; else NULL. Checked without the lock: the record of an
 * allocated block is its owner's alone.
 */
static struct frame *owned_block(struct buddy *b, paddr_t pa,
				  unsigned order)
{
	struct frame *f = frame_lookup(&b->frames, pa);

	if (!f || !IS_ALIGNED(pa, PAGE_SIZE) || f->state != FRAME_ALLOCATED ||
	    f->order != order || f->refcount != 1)
		return NULL;
	return f;
}

/*
 * Panic, naming who, the page and the rule it breaks, unless the frame at
 * pa lies in an allocated block. With head, it must also be that block's
 * head. Lock held.
 */
static struct frame *check_allocated(struct buddy *b, const char *who,
				     paddr_t pa, bool head)
{
	struct frame *f = frame_lookup(&b->frames, pa);

	if (!IS_ALIGNED(pa, PAGE_SIZE))
		unlock_and_panic(&b->lock, "%s: page %#lx is not page aligned",
				 who, (unsigned long)pa);
	if (!f || f->state == FRAME_RESERVED)
		unlock_and_panic(&b->lock, "%s: page %#lx is outside the "
				 "memory this allocator manages", who,
				 (unsigned long)pa);
	struct frame *h = block_of(b, f);
	if (!h || h->state != FRAME_ALLOCATED)
		unlock_and_panic(&b->lock, "%s: page %#lx is not allocated: "
				 "it is already free (double free)", who,
				 (unsigned long)pa);
	if (head && h != f)
		unlock_and_panic(&b->lock, "%s: page %#lx is not the head of a "
				 "block: it is inside the order-%u block at "
				 "%#lx", who, (unsigned long)pa, h->order,
				 (unsigned long)h->pa);
	return h;
}

/* Panic: the block at pa is not the caller's alone to free as order
 * order. Says which rule is broken. */
static noreturn void bad_free(struct buddy *b, const char *who, paddr_t pa,
			      unsigned order)
{
	spin_lock(&b->lock);
	struct frame *f = check_allocated(b, who, pa, true);
	if (f->order != order)
		unlock_and_panic(&b->lock, "%s: page %#lx heads an order-%u "
				 "block, not order %u (order mismatch)", who,
				 (unsigned long)pa, f->order, order);
	unlock_and_panic(&b->lock, "%s: page %#lx is shared (refcount %u): "
			 "drop the other references with frame_put", who,
			 (unsigned long)pa, f->refcount);
}

/* The record of the allocated block headed by pa, or panic. */
static struct frame *referenced_block(struct buddy *b, const char *who,
				      paddr_t pa)
{
	struct frame *f = frame_lookup(&b->frames, pa);

	if (f && IS_ALIGNED(pa, PAGE_SIZE) && f->state == FRAME_ALLOCATED)
		return f;
	spin_lock(&b->lock);
	check_allocated(b, who, pa, true);
	unlock_and_panic(&b->lock, "%s: page %#lx is not allocated", who,
			 (unsigned long)pa);
}

/* Give back the allocated block f: a single frame to this CPU's cache,
 * anything larger to the lists. */
static void release(struct buddy *b, struct frame *f)
{
	if (f->order == 0) {
		pcp_free(b, f);
		return;
	}
	spin_lock(&b->lock);
	f->refcount = 0;
	give_block(b, f, f->order);
	spin_unlock(&b->lock);
}

/* Take an order-order block off the lists, allocated; or NULL. */
static struct frame *take_allocated(struct buddy *b, unsigned order)
{
	spin_lock(&b->lock);
	struct frame *f = take_block(b, order);
	if (f)
		mark_allocated(f, order);
	spin_unlock(&b->lock);
	return f;
}
/* END SOLUTION */

/* ---- Allocating and freeing blocks -------------------------------------- */

paddr_t buddy_alloc_order(struct buddy *b, unsigned order)
{
	/* BEGIN SOLUTION lab7 */
	if (order > BUDDY_MAX_ORDER)
		panic("buddy_alloc_order: order %u is invalid (the largest is "
		      "%u)", order, BUDDY_MAX_ORDER);
	if (order == 0)
		return pcp_alloc(b);
	struct frame *f = take_allocated(b, order);
	/* Frames in our cache are free but unmerged: they may be the
	 * missing half of a block. */
	if (!f && pcp_drain_local(b))
		f = take_allocated(b, order);
	return f ? f->pa : PHYS_NONE;
	/* END SOLUTION */
}

void buddy_free_order(struct buddy *b, paddr_t pa, unsigned order)
{
	/* BEGIN SOLUTION lab7 */
	if (order > BUDDY_MAX_ORDER)
		panic("buddy_free_order: order %u is invalid (the largest is "
		      "%u)", order, BUDDY_MAX_ORDER);
	struct frame *f = owned_block(b, pa, order);
	if (!f)
		bad_free(b, "buddy_free_order", pa, order);
	release(b, f);
	/* END SOLUTION */
}

/* ---- Reference counts --------------------------------------------------- */

void frame_get(struct buddy *b, paddr_t pa)
{
	/* BEGIN SOLUTION lab7 */
	struct frame *f = referenced_block(b, "frame_get", pa);

	__atomic_add_fetch(&f->refcount, 1, __ATOMIC_RELAXED);
	/* END SOLUTION */
}

void frame_put(struct buddy *b, paddr_t pa)
{
	/* BEGIN SOLUTION lab7 */
	struct frame *f = referenced_block(b, "frame_put", pa);

	/* Acquire and release: whoever drops the last reference must see
	 * every write the other holders made before dropping theirs. */
	if (__atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		release(b, f);
	/* END SOLUTION */
}

/* ---- Runs of pages: the page_alloc interface ------------------------- */

/* BEGIN SOLUTION lab7 */
/*
 * Panic, naming the page and the rule, unless every page of [pa, +npages)
 * lies in an allocated block nobody shares. Lock held; changes nothing.
 * Counts pages rather than computing the end, which could wrap.
 */
static void check_run(struct buddy *b, paddr_t pa, uint64_t npages)
{
	while (npages > 0) {
		struct frame *h = check_allocated(b, "buddy_free", pa, false);
		if (h->refcount != 1)
			unlock_and_panic(&b->lock, "buddy_free: page %#lx is "
					 "shared (refcount %u): drop the other "
					 "references with frame_put",
					 (unsigned long)h->pa, h->refcount);
		uint64_t in_block = (h->pa + block_bytes(h->order) - pa) /
				    PAGE_SIZE;
		if (in_block >= npages)
			return;
		npages -= in_block;
		pa += in_block * PAGE_SIZE;
	}
}
/* END SOLUTION */

paddr_t buddy_alloc(struct buddy *b, uint64_t npages, uint64_t align_pages)
{
	/* BEGIN SOLUTION lab7 */
	pmm_check_request("buddy_alloc", npages, align_pages);
	if (npages > block_pages(BUDDY_MAX_ORDER) ||
	    align_pages > block_pages(BUDDY_MAX_ORDER))
		return PHYS_NONE;       /* no block is that large */
	unsigned order = MAX(order_for(npages), order_for(align_pages));
	paddr_t pa = buddy_alloc_order(b, order);

	if (pa != PHYS_NONE && npages < block_pages(order)) {
		spin_lock(&b->lock);
		give_range(b, frame_lookup(&b->frames, pa), order,
			   pa + npages * PAGE_SIZE, pa + block_bytes(order));
		spin_unlock(&b->lock);
	}
	return pa;
	/* END SOLUTION */
}

void buddy_free(struct buddy *b, paddr_t pa, uint64_t npages)
{
	/* BEGIN SOLUTION lab7 */
	pmm_check_request("buddy_free", npages, 1);
	if (npages == 1) {              /* the common case: no lock */
		struct frame *f = owned_block(b, pa, 0);
		if (f) {
			release(b, f);
			return;
		}
	}
	spin_lock(&b->lock);
	check_run(b, pa, npages);
	paddr_t end = pa + npages * PAGE_SIZE;
	for (paddr_t at = pa; at < end;) {
		struct frame *h = block_of(b, frame_lookup(&b->frames, at));
		at = h->pa + block_bytes(h->order);
		give_range(b, h, h->order, pa, end);
	}
	spin_unlock(&b->lock);
	/* END SOLUTION */
}

/* ---- For mm/pcp.c ------------------------------------------------------- */

uint64_t buddy_take_frames(struct buddy *b, struct frame_list *cache,
			   uint64_t n, unsigned cpu)
{
	/* BEGIN SOLUTION lab7 */
	uint64_t got = 0;
	struct frame *f;

	spin_lock(&b->lock);
	while (got < n && (f = take_block(b, 0)) != NULL) {
		f->state = FRAME_CACHED;
		f->cpu = cpu;
		frame_list_push(cache, f);
		got++;
	}
	spin_unlock(&b->lock);
	return got;
	/* END SOLUTION */
}

void buddy_return_frames(struct buddy *b, struct frame_list *cache,
			 uint64_t n)
{
	/* BEGIN SOLUTION lab7 */
	struct frame *f;

	spin_lock(&b->lock);
	while (n-- > 0 && (f = frame_list_pop_last(cache)) != NULL)
		give_block(b, f, 0);
	spin_unlock(&b->lock);
	/* END SOLUTION */
}

/* ---- Counting ----------------------------------------------------------- */

uint64_t buddy_free_pages(const struct buddy *b)
{
	/* BEGIN SOLUTION lab7 */
	return b->free_pages + pcp_cached(b);
	/* END SOLUTION */
}

uint64_t buddy_total_pages(const struct buddy *b)
{
	/* BEGIN SOLUTION lab7 */
	return b->total;
	/* END SOLUTION */
}

uint64_t buddy_free_blocks(const struct buddy *b, unsigned order)
{
	/* BEGIN SOLUTION lab7 */
	return order <= BUDDY_MAX_ORDER ? b->free[order].count : 0;
	/* END SOLUTION */
}

/* ---- The page_alloc_ops face ------------------------------------------ */

static paddr_t ops_alloc(void *self, uint64_t npages, uint64_t align_pages)
{
	return buddy_alloc(self, npages, align_pages);
}

static void ops_free(void *self, paddr_t pa, uint64_t npages)
{
	buddy_free(self, pa, npages);
}

static uint64_t ops_free_pages(const void *self)
{
	return buddy_free_pages(self);
}

static uint64_t ops_total_pages(const void *self)
{
	return buddy_total_pages(self);
}

/* meminfo: free blocks per order, the caches, what the records cost. */
static void ops_print_stats(const void *self)
{
	const struct buddy *b = self;

	kprintf("buddy: free blocks per order:");
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
		kprintf(" %u:%lu", k, (unsigned long)buddy_free_blocks(b, k));
	kprintf("\nbuddy: %u region(s); ", b->nregions);
	pcp_print_stats(b);
	kprintf("buddy: %lu frame records of %u bytes in %lu section(s) of "
		"%lu MiB: %lu KiB\n", (unsigned long)b->frames.nframes,
		(unsigned)sizeof(struct frame),
		(unsigned long)b->frames.nsections,
		(unsigned long)(((uint64_t)1 << FRAME_SECTION_SHIFT) / MiB),
		(unsigned long)(b->frames.bytes / KiB));
}

const struct page_alloc_ops buddy_ops = {
	.name = "buddy",
	.alloc = ops_alloc,
	.free = ops_free,
	.free_pages = ops_free_pages,
	.total_pages = ops_total_pages,
	.print_stats = ops_print_stats,
};

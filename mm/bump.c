/*
 * The bump allocator. See mm/bump.h for the picture.
 *
 * It never writes to the memory it hands out, so it works on any map,
 * even before the direct map covers all of RAM.
 */
#include "kernel/panic.h"
#include "mm/bump.h"

void bump_init(struct bump *b, const struct memmap *map)
{
	/* BEGIN SOLUTION lab1 */
	*b = (struct bump){
		.lock = SPINLOCK_INIT("bump"),
		.map = map,
		.region = 0,
		.next = map->nusable ? map->usable[0].base : 0,
		.total = memmap_usable_bytes(map) / PAGE_SIZE,
	};
	b->free = b->total;
	/* END SOLUTION */
}

/* BEGIN SOLUTION lab1 */
/*
 * The first address at or after from, inside range r, where npages pages
 * aligned to align bytes fit; PHYS_NONE if they do not. ALIGN_UP could
 * wrap near the top of the address space, hence the pa < from check.
 */
static paddr_t fit_in(const struct mem_range *r, paddr_t from,
		      uint64_t npages, uint64_t align)
{
	paddr_t pa = ALIGN_UP(from, align);

	if (pa < from || pa >= r->end || (r->end - pa) / PAGE_SIZE < npages)
		return PHYS_NONE;
	return pa;
}

/* Usable pages from the cursor up to address to, in region r. */
static uint64_t pages_up_to(const struct bump *b, unsigned r, paddr_t to)
{
	const struct mem_range *usable = b->map->usable;
	paddr_t from = b->next;
	uint64_t pages = 0;

	for (unsigned i = b->region; i < r; i++) {
		pages += (usable[i].end - from) / PAGE_SIZE;
		from = usable[i + 1].base;
	}
	return pages + (to - from) / PAGE_SIZE;
}

/* Move the cursor to address to in region r, after handing out npages. */
static void advance(struct bump *b, unsigned r, paddr_t to, uint64_t npages)
{
	uint64_t used = pages_up_to(b, r, to);

	b->free -= used;
	b->skipped += used - npages;
	b->region = r;
	b->next = to;
}
/* END SOLUTION */

paddr_t bump_alloc(struct bump *b, uint64_t npages, uint64_t align_pages)
{
	/* BEGIN SOLUTION lab1 */
	const struct memmap *map = b->map;

	pmm_check_request("bump_alloc", npages, align_pages);
	spin_lock(&b->lock);
	if (b->handed_over)
		unlock_and_panic(&b->lock, "bump_alloc: the bump allocator "
				 "has handed its memory over to another one");
	for (unsigned r = b->region; r < map->nusable; r++) {
		paddr_t from = r == b->region ? b->next : map->usable[r].base;
		paddr_t pa = fit_in(&map->usable[r], from, npages,
				    align_pages * PAGE_SIZE);
		if (pa != PHYS_NONE) {
			advance(b, r, pa + npages * PAGE_SIZE, npages);
			spin_unlock(&b->lock);
			return pa;
		}
	}
	spin_unlock(&b->lock);
	return PHYS_NONE;
	/* END SOLUTION */
}

noreturn void bump_free(struct bump *b, paddr_t pa, uint64_t npages)
{
	/* BEGIN SOLUTION lab1 */
	UNUSED(b);
	panic("bump_free: cannot free %lu page(s) at %#lx: the bump "
	      "allocator cannot free", (unsigned long)npages,
	      (unsigned long)pa);
	/* END SOLUTION */
}

paddr_t bump_handover(struct bump *b)
{
	/* BEGIN SOLUTION lab1 */
	spin_lock(&b->lock);
	b->handed_over = true;
	paddr_t stop = b->next;
	spin_unlock(&b->lock);
	return stop;
	/* END SOLUTION */
}

uint64_t bump_free_pages(const struct bump *b)
{
	/* BEGIN SOLUTION lab1 */
	return b->free;
	/* END SOLUTION */
}

uint64_t bump_total_pages(const struct bump *b)
{
	/* BEGIN SOLUTION lab1 */
	return b->total;
	/* END SOLUTION */
}

/* ---- The page_alloc_ops face ------------------------------------------ */

static paddr_t ops_alloc(void *self, uint64_t npages, uint64_t align_pages)
{
	return bump_alloc(self, npages, align_pages);
}

static void ops_free(void *self, paddr_t pa, uint64_t npages)
{
	bump_free(self, pa, npages);
}

static uint64_t ops_free_pages(const void *self)
{
	return bump_free_pages(self);
}

static uint64_t ops_total_pages(const void *self)
{
	return bump_total_pages(self);
}

static void ops_print_stats(const void *self)
{
	const struct bump *b = self;

	kprintf("bump: cursor at %#lx, %lu page(s) skipped to align runs or "
		"find room\n", (unsigned long)b->next,
		(unsigned long)b->skipped);
}

const struct page_alloc_ops bump_ops = {
	.name = "bump",
	.alloc = ops_alloc,
	.free = ops_free,
	.free_pages = ops_free_pages,
	.total_pages = ops_total_pages,
	.print_stats = ops_print_stats,
};

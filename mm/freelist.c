/*
 * The free-list allocator. See mm/freelist.h for the design and the rules.
 */
#include "kernel/arch.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "mm/freelist.h"

/* BEGIN SOLUTION lab3 */
#define WORD_BITS      64
#define WORDS_PER_PAGE (PAGE_SIZE / sizeof(uint64_t))

/* ---- The "on the list" bits ----------------------------------------- */

static uint64_t words_for(uint64_t npages)
{
	return (npages + WORD_BITS - 1) / WORD_BITS;
}

static uint64_t index_of(const struct freelist_region *r, paddr_t pa)
{
	return (pa - r->base) / PAGE_SIZE;
}

static inline bool is_listed(const struct freelist_region *r, paddr_t pa)
{
	uint64_t i = index_of(r, pa);

	return (r->listed[i / WORD_BITS] >> (i % WORD_BITS)) & 1;
}

static inline void set_listed(struct freelist_region *r, paddr_t pa, bool on)
{
	uint64_t i = index_of(r, pa);
	uint64_t bit = (uint64_t)1 << (i % WORD_BITS);

	if (on)
		r->listed[i / WORD_BITS] |= bit;
	else
		r->listed[i / WORD_BITS] &= ~bit;
}

/* The region holding page pa, or NULL. Regions are few: a linear scan. */
static struct freelist_region *region_of(struct freelist *f, paddr_t pa)
{
	for (unsigned i = 0; i < f->nregions; i++)
		if (pa >= f->region[i].base && pa < f->region[i].end)
			return &f->region[i];
	return NULL;
}

/* ---- Poison ------------------------------------------------------------ */

static void poison_page(uint64_t *page)
{
	for (size_t i = 1; i < WORDS_PER_PAGE; i++)     /* word 0: the link */
		page[i] = FREELIST_POISON;
}

/* Index of the first word after the link that lost its poison, or
 * WORDS_PER_PAGE if the page is intact. */
static size_t first_damaged_word(const uint64_t *page)
{
	for (size_t i = 1; i < WORDS_PER_PAGE; i++)
		if (page[i] != FREELIST_POISON)
			return i;
	return WORDS_PER_PAGE;
}

/* ---- The list ---------------------------------------------------------- */

static void push(struct freelist *f, struct freelist_region *r, paddr_t pa)
{
	uint64_t *page = phys_to_virt(pa);

	if (f->poison)
		poison_page(page);
	page[0] = f->head;
	f->head = pa;
	set_listed(r, pa, true);
	f->listed++;
}

/* Is next a believable link: the end, or a page on the list? */
static bool link_is_valid(struct freelist *f, paddr_t next)
{
	struct freelist_region *r;

	if (next == PHYS_NONE)
		return true;
	r = region_of(f, next);
	return r && IS_ALIGNED(next, PAGE_SIZE) && next < r->untouched &&
	       is_listed(r, next);
}

/*
 * Panic if the head page was written to since it was freed. A damaged
 * fill is repaired first, so the page stays safely on the list and a test
 * that expects this panic leaves the allocator as it found it. A damaged
 * link cannot be repaired: the rest of the list is lost.
 */
static void check_head(struct freelist *f, paddr_t pa, uint64_t *page)
{
	if (!link_is_valid(f, page[0]))
		unlock_and_panic(&f->lock, "freelist_alloc: page %#lx was "
				 "written after it was freed (offset 0x0, "
				 "found %#lx): the rest of the list is lost",
				 (unsigned long)pa, (unsigned long)page[0]);
	size_t w = first_damaged_word(page);
	if (w < WORDS_PER_PAGE) {
		uint64_t found = page[w];
		poison_page(page);
		unlock_and_panic(&f->lock, "freelist_alloc: page %#lx was "
				 "written after it was freed (offset %#lx, "
				 "found %#lx)", (unsigned long)pa,
				 (unsigned long)(w * sizeof(uint64_t)),
				 (unsigned long)found);
	}
}

static paddr_t pop(struct freelist *f)
{
	paddr_t pa = f->head;
	uint64_t *page = phys_to_virt(pa);

	if (f->poison)
		check_head(f, pa, page);
	f->head = page[0];
	set_listed(region_of(f, pa), pa, false);
	f->listed--;
	return pa;
}

/* ---- Untouched tails ------------------------------------------------- */

/*
 * npages from the untouched tail of the first region where they fit at
 * an aligned address, or PHYS_NONE. The pages skipped to reach that
 * address are free, so they go onto the list.
 */
static paddr_t carve(struct freelist *f, uint64_t npages, uint64_t align)
{
	for (unsigned i = f->carve_from; i < f->nregions; i++) {
		struct freelist_region *r = &f->region[i];
		paddr_t gap = r->untouched;
		paddr_t pa = ALIGN_UP(gap, align);

		if (pa < gap || pa >= r->end ||
		    (r->end - pa) / PAGE_SIZE < npages)
			continue;
		r->untouched = pa + npages * PAGE_SIZE;
		for (; gap < pa; gap += PAGE_SIZE)
			push(f, r, gap);
		for (uint64_t k = 0; k < npages; k++)
			set_listed(r, pa + k * PAGE_SIZE, false);
		while (f->carve_from < f->nregions &&
		       f->region[f->carve_from].untouched ==
		       f->region[f->carve_from].end)
			f->carve_from++;
		return pa;
	}
	return PHYS_NONE;
}

/* ---- Setting up -------------------------------------------------------- */
/* END SOLUTION */

void freelist_init(struct freelist *f, const struct memmap *map,
		   struct bump *boot, bool poison)
{
	/* BEGIN SOLUTION lab3 */
	uint64_t nwords = 0;

	/* Bits for all usable RAM: a few more than the pages we will get. */
	for (unsigned i = 0; i < map->nusable; i++)
		nwords += words_for((map->usable[i].end -
				     map->usable[i].base) / PAGE_SIZE);
	if (nwords == 0)
		panic("freelist_init: the memory map has no usable RAM");
	uint64_t bytes = nwords * sizeof(uint64_t);
	paddr_t bits = bump_alloc(boot, ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE,
				  1);
	if (bits == PHYS_NONE)
		panic("freelist_init: no room for %lu bytes of page bits",
		      (unsigned long)bytes);
	paddr_t stop = bump_handover(boot);

	memset(f, 0, sizeof(*f));
	f->lock = (struct spinlock)SPINLOCK_INIT("freelist");
	f->head = PHYS_NONE;
	f->poison = poison;
	uint64_t *words = phys_to_virt(bits);
	for (unsigned i = 0; i < map->nusable; i++) {
		paddr_t base = MAX(map->usable[i].base, stop);
		paddr_t end = map->usable[i].end;
		if (base >= end)
			continue;
		/* No bits are cleared: see "needs no initialising". */
		f->region[f->nregions++] = (struct freelist_region){
			base, end, base, words };
		words += words_for((end - base) / PAGE_SIZE);
		f->total += (end - base) / PAGE_SIZE;
	}
	f->free = f->total;
	/* END SOLUTION */
}

/* ---- Allocating and freeing ------------------------------------------- */

paddr_t freelist_alloc(struct freelist *f, uint64_t npages,
		       uint64_t align_pages)
{
	/* BEGIN SOLUTION lab3 */
	paddr_t pa;

	pmm_check_request("freelist_alloc", npages, align_pages);
	spin_lock(&f->lock);
	if (npages == 1 && align_pages == 1 && f->head != PHYS_NONE)
		pa = pop(f);
	else
		pa = carve(f, npages, align_pages * PAGE_SIZE);
	if (pa != PHYS_NONE)
		f->free -= npages;
	spin_unlock(&f->lock);
	return pa;
	/* END SOLUTION */
}

/* BEGIN SOLUTION lab3 */
/* The region holding all of [pa, +npages), each page in use; else panic. */
static struct freelist_region *check_free(struct freelist *f, paddr_t pa,
					  uint64_t npages)
{
	if (!IS_ALIGNED(pa, PAGE_SIZE))
		unlock_and_panic(&f->lock, "freelist_free: page %#lx is "
				 "not page aligned", (unsigned long)pa);
	struct freelist_region *r = region_of(f, pa);
	if (!r)
		unlock_and_panic(&f->lock, "freelist_free: page %#lx is "
				 "outside the memory this allocator manages",
				 (unsigned long)pa);
	if (npages > (r->end - pa) / PAGE_SIZE)
		unlock_and_panic(&f->lock, "freelist_free: page %#lx is "
				 "outside the memory this allocator manages",
				 (unsigned long)r->end);
	for (uint64_t k = 0; k < npages; k++) {
		paddr_t page = pa + k * PAGE_SIZE;
		if (page >= r->untouched || is_listed(r, page))
			unlock_and_panic(&f->lock, "freelist_free: page "
					 "%#lx is already free (double free)",
					 (unsigned long)page);
	}
	return r;
}
/* END SOLUTION */

void freelist_free(struct freelist *f, paddr_t pa, uint64_t npages)
{
	/* BEGIN SOLUTION lab3 */
	pmm_check_request("freelist_free", npages, 1);
	spin_lock(&f->lock);
	struct freelist_region *r = check_free(f, pa, npages);
	for (uint64_t k = 0; k < npages; k++)
		push(f, r, pa + k * PAGE_SIZE);
	f->free += npages;
	spin_unlock(&f->lock);
	/* END SOLUTION */
}

uint64_t freelist_free_pages(const struct freelist *f)
{
	/* BEGIN SOLUTION lab3 */
	return f->free;
	/* END SOLUTION */
}

uint64_t freelist_total_pages(const struct freelist *f)
{
	/* BEGIN SOLUTION lab3 */
	return f->total;
	/* END SOLUTION */
}

/* ---- The page_alloc_ops face ------------------------------------------ */

static paddr_t ops_alloc(void *self, uint64_t npages, uint64_t align_pages)
{
	return freelist_alloc(self, npages, align_pages);
}

static void ops_free(void *self, paddr_t pa, uint64_t npages)
{
	freelist_free(self, pa, npages);
}

static uint64_t ops_free_pages(const void *self)
{
	return freelist_free_pages(self);
}

static uint64_t ops_total_pages(const void *self)
{
	return freelist_total_pages(self);
}

static void ops_print_stats(const void *self)
{
	const struct freelist *f = self;

	kprintf("freelist: %lu page(s) on the list, %lu never touched, "
		"poisoning %s\n", (unsigned long)f->listed,
		(unsigned long)(f->free - f->listed), f->poison ? "on" : "off");
}

const struct page_alloc_ops freelist_ops = {
	.name = "freelist",
	.alloc = ops_alloc,
	.free = ops_free,
	.free_pages = ops_free_pages,
	.total_pages = ops_total_pages,
	.print_stats = ops_print_stats,
};

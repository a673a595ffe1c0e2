/*
 * The bitmap allocator. See mm/bitmap.h for the layout and the rules.
 */
#include "kernel/arch.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "mm/bitmap.h"

/* BEGIN SOLUTION lab2 */
#define WORD_BITS 64
#define NOT_FOUND UINT64_MAX

/* ---- Bits ---------------------------------------------------------------- */

static uint64_t words_for(uint64_t npages)
{
	return (npages + WORD_BITS - 1) / WORD_BITS;
}

static bool bit_is_set(const uint64_t *words, uint64_t i)
{
	return (words[i / WORD_BITS] >> (i % WORD_BITS)) & 1;
}

static void flip_bit(uint64_t *words, uint64_t i)
{
	words[i / WORD_BITS] ^= (uint64_t)1 << (i % WORD_BITS);
}

/* Give bits [first, first + n) the value used; returns how many changed. */
static uint64_t set_bits(uint64_t *words, uint64_t first, uint64_t n,
			 bool used)
{
	uint64_t changed = 0;

	for (uint64_t i = first; i < first + n; i++) {
		if (bit_is_set(words, i) != used) {
			flip_bit(words, i);
			changed++;
		}
	}
	return changed;
}

/*
 * Index of the first bit in [from, limit) equal to value, or limit.
 * Reads a word at a time, flipped so the bits we look for are ones: a
 * word without any is skipped with one test, and ctz finds the first.
 */
static uint64_t find_bit(const uint64_t *words, uint64_t from, uint64_t limit,
			 bool value)
{
	uint64_t flip = value ? 0 : ~(uint64_t)0;

	while (from < limit) {
		uint64_t w = (words[from / WORD_BITS] ^ flip) >>
			     (from % WORD_BITS);
		if (w)
			return MIN(from + __builtin_ctzll(w), limit);
		from = ALIGN_DOWN(from, WORD_BITS) + WORD_BITS;
	}
	return limit;
}

/* ---- Searching --------------------------------------------------------- */

/* Round index i of r up so that its page is a multiple of align pages. */
static uint64_t align_index(const struct bitmap_region *r, uint64_t i,
			    uint64_t align)
{
	uint64_t first_pfn = r->base / PAGE_SIZE;

	return ALIGN_UP(first_pfn + i, align) - first_pfn;
}

/*
 * The first index at or after from that starts npages clear bits at an
 * aligned page, or NOT_FOUND. Each round either succeeds or restarts
 * just past a set bit, so the cost is about one word read per 64 pages.
 */
static uint64_t find_run(const struct bitmap_region *r, uint64_t from,
			 uint64_t npages, uint64_t align)
{
	for (;;) {
		uint64_t start = align_index(r, find_bit(r->words, from,
							 r->npages, false),
					     align);
		if (start >= r->npages || r->npages - start < npages)
			return NOT_FOUND;
		uint64_t used = find_bit(r->words, start, start + npages, true);
		if (used == start + npages)
			return start;
		from = used + 1;
	}
}

/*
 * Next fit: search the hint's region from the hint, then every region
 * from its start, the hint's own region last (its part below the hint).
 */
static bool find_free_run(const struct bitmap_alloc *b, uint64_t npages,
			  uint64_t align, unsigned *region, uint64_t *index)
{
	for (unsigned k = 0; b->nregions && k <= b->nregions; k++) {
		unsigned r = (b->hint_region + k) % b->nregions;
		uint64_t from = k == 0 ? b->hint_page : 0;
		uint64_t i = find_run(&b->region[r], from, npages, align);
		if (i != NOT_FOUND) {
			*region = r;
			*index = i;
			return true;
		}
	}
	return false;
}

/* The region holding page pa, or NULL. Regions are few: a linear scan. */
static struct bitmap_region *region_of(struct bitmap_alloc *b, paddr_t pa)
{
	for (unsigned i = 0; i < b->nregions; i++) {
		struct bitmap_region *r = &b->region[i];
		if (pa >= r->base && (pa - r->base) / PAGE_SIZE < r->npages)
			return r;
	}
	return NULL;
}

/* ---- Setting up -------------------------------------------------------- */

/* Manage [base, end) with the bits at words; returns the words after. */
static uint64_t *add_region(struct bitmap_alloc *b, paddr_t base,
			    paddr_t end, uint64_t *words)
{
	struct bitmap_region *r = &b->region[b->nregions++];
	uint64_t nwords;

	r->base = base;
	r->npages = (end - base) / PAGE_SIZE;
	r->words = words;
	nwords = words_for(r->npages);
	memset(words, 0, nwords * sizeof(*words));
	/* Bits past the last page read as "in use": they are never found. */
	set_bits(words, r->npages, nwords * WORD_BITS - r->npages, true);
	b->total += r->npages;
	b->free += r->npages;
	return words + nwords;
}
/* END SOLUTION */

void bitmap_init(struct bitmap_alloc *b, const struct memmap *map,
		 struct bump *boot)
{
	/* BEGIN SOLUTION lab2 */
	uint64_t nwords = 0;

	/* Enough bits for all usable RAM: a few more than we will need,
	 * since the bump allocator's own pages will not be managed. */
	for (unsigned i = 0; i < map->nusable; i++)
		nwords += words_for((map->usable[i].end -
				     map->usable[i].base) / PAGE_SIZE);
	if (nwords == 0)
		panic("bitmap_init: the memory map has no usable RAM");
	uint64_t bytes = nwords * sizeof(uint64_t);
	paddr_t bits = bump_alloc(boot, ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE,
				  1);
	if (bits == PHYS_NONE)
		panic("bitmap_init: no room for a %lu-byte bitmap",
		      (unsigned long)bytes);
	paddr_t stop = bump_handover(boot);

	memset(b, 0, sizeof(*b));
	b->lock = (struct spinlock)SPINLOCK_INIT("bitmap");
	uint64_t *words = phys_to_virt(bits);
	for (unsigned i = 0; i < map->nusable; i++) {
		paddr_t base = MAX(map->usable[i].base, stop);
		if (base < map->usable[i].end)
			words = add_region(b, base, map->usable[i].end, words);
	}
	/* END SOLUTION */
}

/* ---- Allocating and freeing ------------------------------------------- */

paddr_t bitmap_alloc(struct bitmap_alloc *b, uint64_t npages,
		     uint64_t align_pages)
{
	/* BEGIN SOLUTION lab2 */
	unsigned r;
	uint64_t i;

	pmm_check_request("bitmap_alloc", npages, align_pages);
	spin_lock(&b->lock);
	if (npages > b->free ||
	    !find_free_run(b, npages, align_pages, &r, &i)) {
		spin_unlock(&b->lock);
		return PHYS_NONE;
	}
	set_bits(b->region[r].words, i, npages, true);
	b->free -= npages;
	b->hint_region = r;
	b->hint_page = i + npages;
	paddr_t pa = b->region[r].base + i * PAGE_SIZE;
	bool zero = b->zero_on_alloc;
	spin_unlock(&b->lock);

	if (zero)       /* the pages are ours now: no lock needed */
		memset(phys_to_virt(pa), 0, npages * PAGE_SIZE);
	return pa;
	/* END SOLUTION */
}

void bitmap_free(struct bitmap_alloc *b, paddr_t pa, uint64_t npages)
{
	/* BEGIN SOLUTION lab2 */
	pmm_check_request("bitmap_free", npages, 1);
	spin_lock(&b->lock);
	if (!IS_ALIGNED(pa, PAGE_SIZE))
		unlock_and_panic(&b->lock, "bitmap_free: page %#lx is not "
				 "page aligned", (unsigned long)pa);
	struct bitmap_region *r = region_of(b, pa);
	if (!r)
		unlock_and_panic(&b->lock, "bitmap_free: page %#lx is outside "
				 "the memory this allocator manages",
				 (unsigned long)pa);
	uint64_t i = (pa - r->base) / PAGE_SIZE;
	paddr_t end = r->base + r->npages * PAGE_SIZE;
	if (npages > r->npages - i)
		unlock_and_panic(&b->lock, "bitmap_free: page %#lx is outside "
				 "the memory this allocator manages",
				 (unsigned long)end);
	uint64_t clear = find_bit(r->words, i, i + npages, false);
	if (clear < i + npages)
		unlock_and_panic(&b->lock, "bitmap_free: page %#lx is already "
				 "free (double free)",
				 (unsigned long)(r->base + clear * PAGE_SIZE));
	set_bits(r->words, i, npages, false);
	b->free += npages;
	spin_unlock(&b->lock);
	/* END SOLUTION */
}

void bitmap_zero_on_alloc(struct bitmap_alloc *b, bool on)
{
	/* BEGIN SOLUTION lab2 */
	spin_lock(&b->lock);
	b->zero_on_alloc = on;
	spin_unlock(&b->lock);
	/* END SOLUTION */
}

/* ---- Reserving ----------------------------------------------------------- */

/* BEGIN SOLUTION lab2 */
/* Give the pages of [pa, +npages) inside regions the value used; returns
 * how many changed. Works on page frame numbers, which cannot overflow. */
static uint64_t mark_range(struct bitmap_alloc *b, const char *who,
			   paddr_t pa, uint64_t npages, bool used)
{
	uint64_t first = pa / PAGE_SIZE;
	uint64_t last = first + MIN(npages, UINT64_MAX - first);
	uint64_t changed = 0;

	if (!IS_ALIGNED(pa, PAGE_SIZE))
		unlock_and_panic(&b->lock, "%s: page %#lx is not page aligned",
				 who, (unsigned long)pa);
	for (unsigned i = 0; i < b->nregions; i++) {
		struct bitmap_region *r = &b->region[i];
		uint64_t base = r->base / PAGE_SIZE;
		uint64_t lo = MAX(first, base);
		uint64_t hi = MIN(last, base + r->npages);
		if (lo < hi)
			changed += set_bits(r->words, lo - base, hi - lo, used);
	}
	return changed;
}
/* END SOLUTION */

void bitmap_reserve(struct bitmap_alloc *b, paddr_t pa, uint64_t npages)
{
	/* BEGIN SOLUTION lab2 */
	spin_lock(&b->lock);
	uint64_t taken = mark_range(b, "bitmap_reserve", pa, npages, true);
	b->free -= taken;
	b->total -= taken;
	spin_unlock(&b->lock);
	/* END SOLUTION */
}

void bitmap_unreserve(struct bitmap_alloc *b, paddr_t pa, uint64_t npages)
{
	/* BEGIN SOLUTION lab2 */
	spin_lock(&b->lock);
	uint64_t returned = mark_range(b, "bitmap_unreserve", pa, npages,
				       false);
	b->free += returned;
	b->total += returned;
	spin_unlock(&b->lock);
	/* END SOLUTION */
}

uint64_t bitmap_free_pages(const struct bitmap_alloc *b)
{
	/* BEGIN SOLUTION lab2 */
	return b->free;
	/* END SOLUTION */
}

uint64_t bitmap_total_pages(const struct bitmap_alloc *b)
{
	/* BEGIN SOLUTION lab2 */
	return b->total;
	/* END SOLUTION */
}

/* ---- The page_alloc_ops face ------------------------------------------ */

static paddr_t ops_alloc(void *self, uint64_t npages, uint64_t align_pages)
{
	return bitmap_alloc(self, npages, align_pages);
}

static void ops_free(void *self, paddr_t pa, uint64_t npages)
{
	bitmap_free(self, pa, npages);
}

static uint64_t ops_free_pages(const void *self)
{
	return bitmap_free_pages(self);
}

static uint64_t ops_total_pages(const void *self)
{
	return bitmap_total_pages(self);
}

static void ops_print_stats(const void *self)
{
	const struct bitmap_alloc *b = self;
	uint64_t bytes = 0;

	for (unsigned i = 0; i < b->nregions; i++)
		bytes += ALIGN_UP(b->region[i].npages, 64) / 8;
	kprintf("bitmap: %u region(s), %lu KiB of bits, zero on alloc %s\n",
		b->nregions, (unsigned long)(bytes / KiB),
		b->zero_on_alloc ? "on" : "off");
}

const struct page_alloc_ops bitmap_ops = {
	.name = "bitmap",
	.alloc = ops_alloc,
	.free = ops_free,
	.free_pages = ops_free_pages,
	.total_pages = ops_total_pages,
	.print_stats = ops_print_stats,
};

/*
 * Helpers shared by the page allocator test suites. See pmm_test.h.
 */
#include "kernel/arch.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "mm/page_alloc.h"
#include "tests/kernel/pmm_test.h"

bool pmm_is(const char *name)
{
	return strcmp(pmm_name(), name) == 0;
}

void require_pmm(const char *name)
{
	static char reason[48];

	if (pmm_is(name))
		return;
	ksnprintf(reason, sizeof(reason), "needs pmm=%s", name);
	KT_SKIP(reason);
}

bool pages_are_allowed(paddr_t pa, uint64_t npages)
{
	paddr_t end = pa + npages * PAGE_SIZE;

	if (!memmap_is_usable(&boot_memmap, pa, npages * PAGE_SIZE))
		return false;
	for (unsigned i = 0; i < boot_memmap.nreserved; i++) {
		const struct reserved_range *r = &boot_memmap.reserved[i];
		if (pa < r->end && r->base < end)
			return false;
	}
	return true;
}

void expect_panic(const char *fmt, ...)
{
	static char text[128];  /* checked after the test: must outlive it */
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	KT_PANIC_MESSAGE_CONTAINS(text);
}

uint64_t random_below(uint64_t *state, uint64_t n)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state % n;
}

/* ---- Page sets --------------------------------------------------------- */

bool page_set_create(struct page_set *s)
{
	const struct mem_range *usable = boot_memmap.usable;

	s->base = usable[0].base;
	s->npages = (usable[boot_memmap.nusable - 1].end - s->base) / PAGE_SIZE;
	uint64_t bytes = ALIGN_UP(s->npages, 64) / 8;
	s->storage_pages = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE;
	s->storage = page_alloc(s->storage_pages);
	if (s->storage == PHYS_NONE)
		return false;
	s->bits = phys_to_virt(s->storage);
	memset(s->bits, 0, bytes);
	s->count = 0;
	return true;
}

void page_set_destroy(struct page_set *s)
{
	if (s->storage != PHYS_NONE)
		page_free(s->storage, s->storage_pages);
	s->storage = PHYS_NONE;
}

static uint64_t index_of(const struct page_set *s, paddr_t pa)
{
	return (pa - s->base) / PAGE_SIZE;
}

bool page_set_contains(const struct page_set *s, paddr_t pa)
{
	uint64_t i = index_of(s, pa);

	return pa >= s->base && i < s->npages &&
	       (s->bits[i / 64] >> (i % 64)) & 1;
}

bool page_set_add(struct page_set *s, paddr_t pa, uint64_t npages)
{
	if (pa < s->base || index_of(s, pa) + npages > s->npages)
		return false;
	bool fresh = true;
	for (uint64_t i = index_of(s, pa); i < index_of(s, pa) + npages; i++) {
		fresh &= !((s->bits[i / 64] >> (i % 64)) & 1);
		s->bits[i / 64] |= (uint64_t)1 << (i % 64);
	}
	s->count += npages;
	return fresh;
}

void page_set_remove(struct page_set *s, paddr_t pa, uint64_t npages)
{
	for (uint64_t i = index_of(s, pa); i < index_of(s, pa) + npages; i++)
		s->bits[i / 64] &= ~((uint64_t)1 << (i % 64));
	s->count -= npages;
}

void page_set_free_all(struct page_set *s)
{
	for (uint64_t w = 0; w < ALIGN_UP(s->npages, 64) / 64; w++) {
		while (s->bits[w]) {
			uint64_t i = w * 64 + __builtin_ctzll(s->bits[w]);
			s->bits[w] &= s->bits[w] - 1;   /* clear lowest bit */
			page_free(s->base + i * PAGE_SIZE, 1);
		}
	}
	s->count = 0;
}

paddr_t page_set_next(const struct page_set *s, paddr_t from)
{
	while (!page_set_contains(s, from))
		from += PAGE_SIZE;
	return from;
}

uint64_t drain_pages(struct page_set *s, uint64_t *bad)
{
	uint64_t n = 0;
	paddr_t pa;

	*bad = 0;
	while ((pa = page_alloc(1)) != PHYS_NONE) {
		if (!pages_are_allowed(pa, 1) || !page_set_add(s, pa, 1))
			(*bad)++;
		n++;
	}
	return n;
}

/* ---- Checks every page allocator passes ---------------------------------- */

void pmm_suite_init(const char *pmm, uint64_t *free_at_start,
		    struct page_set *s)
{
	if (!pmm_is(pmm))
		return;
	*free_at_start = pmm_free_pages();
	KT_ASSERT_TRUE(page_set_create(s));
}

void check_free_count_is_back(struct page_set *s, uint64_t free_at_start)
{
	page_set_destroy(s);
	KT_EXPECT_EQ(pmm_free_pages(), free_at_start);
}

void check_pages_are_usable_ram_and_distinct(struct page_set *s)
{
	uint64_t before = pmm_free_pages(), bad = 0;

	for (int i = 0; i < 256; i++) {
		paddr_t pa = page_alloc(1);
		KT_ASSERT_NE(pa, PHYS_NONE);
		bad += !pages_are_allowed(pa, 1) || !page_set_add(s, pa, 1);
	}
	KT_EXPECT_EQ(bad, 0);
	KT_EXPECT_EQ(pmm_free_pages(), before - 256);
	page_set_free_all(s);
	KT_EXPECT_EQ(pmm_free_pages(), before);
}

void check_alignment(void)
{
	for (uint64_t align = 1; align <= 512; align *= 2) {
		paddr_t one = page_alloc_aligned(1, align);
		paddr_t run = page_alloc_aligned(3, align);
		KT_ASSERT_NE(one, PHYS_NONE);
		KT_ASSERT_NE(run, PHYS_NONE);
		KT_EXPECT_TRUE(IS_ALIGNED(one, align * PAGE_SIZE));
		KT_EXPECT_TRUE(IS_ALIGNED(run, align * PAGE_SIZE));
		KT_EXPECT_TRUE(pages_are_allowed(one, 1));
		KT_EXPECT_TRUE(pages_are_allowed(run, 3));
		page_free(one, 1);
		page_free(run, 3);
	}
}

void take_contiguous_runs(struct page_set *s)
{
	uint64_t sizes[] = { 2, 5, 16, 63, 64, 65, 512, 1000 };

	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		paddr_t pa = page_alloc(sizes[i]);
		KT_ASSERT_NE(pa, PHYS_NONE);
		KT_EXPECT_TRUE(pages_are_allowed(pa, sizes[i]));
		KT_EXPECT_TRUE(page_set_add(s, pa, sizes[i]));
	}
}

uint64_t check_every_page_is_handed_out(struct page_set *s)
{
	uint64_t free = pmm_free_pages(), bad;

	KT_EXPECT_EQ(drain_pages(s, &bad), free);
	KT_EXPECT_EQ(bad, 0);
	return free;
}

void drain_and_check_exhausted(struct page_set *s)
{
	uint64_t bad;

	drain_pages(s, &bad);
	KT_EXPECT_EQ(pmm_free_pages(), 0);
	KT_EXPECT_EQ(page_alloc(1), PHYS_NONE);
}

void check_frees_are_reused_lifo(struct page_set *s, paddr_t *a,
				 paddr_t *b)
{
	*a = page_set_next(s, s->base);
	*b = page_set_next(s, *a + PAGE_SIZE);
	page_set_remove(s, *a, 1);
	page_set_remove(s, *b, 1);
	page_free(*a, 1);
	page_free(*b, 1);
	KT_EXPECT_EQ(pmm_free_pages(), 2);
	KT_EXPECT_EQ(page_alloc(1), *b);
	KT_EXPECT_EQ(page_alloc(1), *a);
	KT_EXPECT_EQ(page_alloc(1), PHYS_NONE);
}

void check_double_free_panics(const char *free_fn, const char *why)
{
	expect_panic("%s", why);
	paddr_t pa = page_alloc(1);

	expect_panic("%s: page %#lx %s", free_fn, (unsigned long)pa, why);
	page_free(pa, 1);
	page_free(pa, 1);
}

void check_unaligned_free_panics(const char *free_fn)
{
	expect_panic("is not page aligned");
	paddr_t pa = page_alloc(1);

	page_free(pa, 1);
	expect_panic("%s: page %#lx is not page aligned", free_fn,
		     (unsigned long)(pa + 8));
	page_free(pa + 8, 1);
}

/* A variable of the kernel image, to find one of its pages by. */
static uint64_t in_the_kernel_image;

void check_freeing_the_kernel_panics(const char *free_fn)
{
	paddr_t kernel = ALIGN_DOWN(virt_to_phys(&in_the_kernel_image),
				    PAGE_SIZE);

	expect_panic("%s: page %#lx is outside the memory this allocator "
		     "manages", free_fn, (unsigned long)kernel);
	page_free(kernel, 1);
}

void check_the_lock_is_free_after_a_panic(const struct spinlock *lock)
{
	KT_EXPECT_FALSE(spin_is_locked(lock));
	KT_EXPECT_EQ(spin_held_count(), 0);
	paddr_t pa = page_alloc(1);
	KT_EXPECT_NE(pa, PHYS_NONE);
	page_free(pa, 1);
}

/* ---- A random sequence of allocations and frees ------------------------- */

void random_test_start(struct random_test *t, struct page_set *held_pages)
{
	t->seed = 0x5eed;
	t->bad = 0;
	t->free_at_start = pmm_free_pages();
	t->held_pages = held_pages;
	memset(t->slot, 0, sizeof(t->slot));
}

struct held_run *random_slot(struct random_test *t)
{
	return &t->slot[random_below(&t->seed, ARRAY_SIZE(t->slot))];
}

void random_release(struct random_test *t, struct held_run *run,
		    uint64_t keep)
{
	paddr_t pa = run->pa + keep * PAGE_SIZE;
	uint64_t n = run->n - keep;

	page_free(pa, n);
	page_set_remove(t->held_pages, pa, n);
	run->n = keep;
}

bool random_free_count_is_right(const struct random_test *t)
{
	return pmm_free_pages() == t->free_at_start - t->held_pages->count;
}

void random_test_end(struct random_test *t)
{
	KT_EXPECT_EQ(t->bad, 0);
	page_set_free_all(t->held_pages);       /* the runs still held */
	KT_EXPECT_EQ(pmm_free_pages(), t->free_at_start);
}

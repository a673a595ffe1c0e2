/*
 * In-kernel tests of the bump allocator (mm/bump.c).
 *
 * The first tests use the live allocator (boot with pmm=bump) and check
 * every answer against a model that re-walks boot_memmap for each
 * request. A bump allocator never frees, so the suite cannot give its
 * pages back; its exit hook checks instead that the free count is exactly
 * the usable memory above the model's cursor: nothing lost, nothing
 * handed out twice.
 *
 * The other tests run a private bump allocator over boot_memmap. It never
 * writes to the memory it hands out, so it can exhaust the whole map --
 * every usable page, checked against the reserved ranges -- without
 * disturbing the live one.
 */
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "kernel/spinlock.h"
#include "mm/bump.h"
#include "tests/kernel/pmm_test.h"

/* ---- The model --------------------------------------------------------- */

/* Where the next request fits, re-walking the whole map from the address
 * the last run ended at (*cursor, which moves). Slow and obviously right. */
static paddr_t model_alloc(paddr_t *cursor, uint64_t npages, uint64_t align)
{
	for (unsigned i = 0; i < boot_memmap.nusable; i++) {
		const struct mem_range *r = &boot_memmap.usable[i];
		paddr_t pa = ALIGN_UP(MAX(*cursor, r->base), align * PAGE_SIZE);
		if (pa < r->end && (r->end - pa) / PAGE_SIZE >= npages) {
			*cursor = pa + npages * PAGE_SIZE;
			return pa;
		}
	}
	return PHYS_NONE;
}

/* Usable pages at or above cursor. */
static uint64_t model_free_pages(paddr_t cursor)
{
	uint64_t pages = 0;

	for (unsigned i = 0; i < boot_memmap.nusable; i++) {
		const struct mem_range *r = &boot_memmap.usable[i];
		if (r->end > cursor)
			pages += (r->end - MAX(cursor, r->base)) / PAGE_SIZE;
	}
	return pages;
}

/* Pages from cursor to the end of the usable range holding or after it. */
static uint64_t model_room(paddr_t cursor)
{
	for (unsigned i = 0; i < boot_memmap.nusable; i++) {
		const struct mem_range *r = &boot_memmap.usable[i];
		if (r->end > cursor)
			return (r->end - MAX(cursor, r->base)) / PAGE_SIZE;
	}
	return 0;
}

/* ---- The live allocator ---------------------------------------------- */

static paddr_t live_cursor;     /* the model's idea of the live cursor */

/* Allocate from the live allocator; check the answer against the model. */
static paddr_t take(uint64_t npages, uint64_t align)
{
	paddr_t want = model_alloc(&live_cursor, npages, align);
	paddr_t pa = page_alloc_aligned(npages, align);

	KT_EXPECT_EQ(pa, want);
	KT_EXPECT_TRUE(pa == PHYS_NONE || pages_are_allowed(pa, npages));
	KT_EXPECT_EQ(pmm_free_pages(), model_free_pages(live_cursor));
	return pa;
}

/* Boot code may have allocated already: one page tells us where the
 * cursor is. */
static void bump_suite_init(void)
{
	if (!pmm_is("bump"))
		return;
	paddr_t anchor = page_alloc(1);
	KT_ASSERT_NE(anchor, PHYS_NONE);
	KT_ASSERT_TRUE(pages_are_allowed(anchor, 1));
	live_cursor = anchor + PAGE_SIZE;
}

static void bump_suite_exit(void)
{
	if (!pmm_is("bump"))
		return;
	KT_EXPECT_EQ(pmm_free_pages(), model_free_pages(live_cursor));
	KT_EXPECT_FALSE(spin_is_locked(&((struct bump *)
					  pmm_allocator()->self)->lock));
}

KTEST_SUITE(bump, bump_suite_init, bump_suite_exit);

KTEST(bump, pages_are_usable_ram_and_increasing)
{
	require_pmm("bump");
	uint64_t seed = 7;
	paddr_t last_end = live_cursor;

	for (int i = 0; i < 64; i++) {
		uint64_t n = 1 + random_below(&seed, 8);
		paddr_t pa = take(n, 1);
		KT_ASSERT_NE(pa, PHYS_NONE);
		KT_EXPECT_GE(pa, last_end);
		last_end = pa + n * PAGE_SIZE;
	}
}

KTEST(bump, alignment)
{
	require_pmm("bump");
	for (uint64_t align = 1; align <= 512; align *= 2) {
		paddr_t one = take(1, align);
		paddr_t run = take(3, align);
		KT_EXPECT_TRUE(IS_ALIGNED(one, align * PAGE_SIZE));
		KT_EXPECT_TRUE(IS_ALIGNED(run, align * PAGE_SIZE));
	}
}

KTEST(bump, contiguous_runs)
{
	require_pmm("bump");
	uint64_t sizes[] = { 2, 5, 16, 63, 64, 65, 512, 1000 };

	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++)
		KT_EXPECT_NE(take(sizes[i], 1), PHYS_NONE);
}

KTEST_SHOULD_PANIC(bump, free_panics)
{
	require_pmm("bump");
	expect_panic("the bump allocator cannot free");
	paddr_t pa = take(1, 1);

	expect_panic("bump_free: cannot free 1 page(s) at %#lx: the bump "
		     "allocator cannot free", (unsigned long)pa);
	page_free(pa, 1);
}

KTEST(bump, the_lock_is_free_after_a_panic)
{
	require_pmm("bump");
	KT_EXPECT_EQ(spin_held_count(), 0);
	KT_EXPECT_NE(take(1, 1), PHYS_NONE);
}

/* ---- A private allocator over the whole map -------------------------- */

static struct bump scratch;

KTEST(bump, exhaustion_hands_out_every_usable_page_once)
{
	uint64_t handed_out = 0, bad = 0;
	paddr_t cursor = 0;

	bump_init(&scratch, &boot_memmap);
	/* Whole regions at a time: a bigger request would skip a region. */
	for (uint64_t n; (n = model_room(cursor)) > 0; handed_out += n) {
		paddr_t want = model_alloc(&cursor, n, 1);
		paddr_t pa = bump_alloc(&scratch, n, 1);
		bad += pa != want || !pages_are_allowed(pa, n);
	}
	KT_EXPECT_EQ(bad, 0);
	KT_EXPECT_EQ(handed_out, bump_total_pages(&scratch));
	KT_EXPECT_EQ(bump_total_pages(&scratch),
		     memmap_usable_bytes(&boot_memmap) / PAGE_SIZE);
	KT_EXPECT_EQ(bump_free_pages(&scratch), 0);
	KT_EXPECT_EQ(bump_alloc(&scratch, 1, 1), PHYS_NONE);
}

KTEST(bump, a_failed_request_moves_nothing)
{
	bump_init(&scratch, &boot_memmap);
	uint64_t total = bump_total_pages(&scratch);

	KT_EXPECT_EQ(bump_alloc(&scratch, total + 1, 1), PHYS_NONE);
	KT_EXPECT_EQ(bump_alloc(&scratch, 1, (uint64_t)1 << 40), PHYS_NONE);
	KT_EXPECT_EQ(bump_free_pages(&scratch), total);
	KT_EXPECT_EQ(bump_alloc(&scratch, 1, 1), boot_memmap.usable[0].base);
}

KTEST(bump, random_requests_match_the_model)
{
	uint64_t seed = 0x5eed, mismatches = 0;
	paddr_t cursor = 0;

	bump_init(&scratch, &boot_memmap);
	for (int op = 0; op < 4000; op++) {
		uint64_t n = 1 + random_below(&seed, random_below(&seed, 8) ?
							4 : 2000);
		uint64_t align = (uint64_t)1 << random_below(&seed, 10);
		paddr_t want = model_alloc(&cursor, n, align);
		paddr_t got = bump_alloc(&scratch, n, align);
		bool ok = got == want && bump_free_pages(&scratch) ==
					 model_free_pages(cursor);
		if (got != PHYS_NONE)
			ok &= pages_are_allowed(got, n);
		mismatches += !ok;
	}
	KT_EXPECT_EQ(mismatches, 0);
}

KTEST_SHOULD_PANIC(bump, allocating_after_handover_panics)
{
	expect_panic("bump_alloc: the bump allocator has handed its memory "
		     "over");
	bump_init(&scratch, &boot_memmap);
	bump_alloc(&scratch, 3, 1);
	KT_EXPECT_EQ(bump_handover(&scratch),
		     boot_memmap.usable[0].base + 3 * PAGE_SIZE);
	bump_alloc(&scratch, 1, 1);
}

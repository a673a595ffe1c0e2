/*
 * In-kernel tests of the bitmap allocator (mm/bitmap.c), run on the live
 * allocator: boot with pmm=bitmap (the default). Every page handed out is
 * checked against boot_memmap; the suite's exit hook checks that the free
 * count is back where it started.
 *
 * The exhaustion tests allocate every page one at a time: at 2 GiB under
 * QEMU's emulation that is half a million allocations, about a second.
 */
#include "kernel/arch.h"
#include "kernel/ktest.h"
#include "kernel/spinlock.h"
#include "mm/bitmap.h"
#include "tests/kernel/pmm_test.h"

static uint64_t free_at_start;
static struct page_set handed_out;     /* pages the tests hold */

static struct bitmap_alloc *live_bitmap(void)
{
	return pmm_allocator()->self;
}

static void bitmap_suite_init(void)
{
	pmm_suite_init("bitmap", &free_at_start, &handed_out);
}

/* The leak check: every page the tests took has been given back. */
static void bitmap_suite_exit(void)
{
	if (!pmm_is("bitmap"))
		return;
	check_free_count_is_back(&handed_out, free_at_start);
	KT_EXPECT_FALSE(spin_is_locked(&live_bitmap()->lock));
}

KTEST_SUITE(bitmap, bitmap_suite_init, bitmap_suite_exit);

/* ---- What every page allocator does (pmm_testlib.c) --------------------- */

KTEST(bitmap, pages_are_usable_ram_and_distinct)
{
	require_pmm("bitmap");
	check_pages_are_usable_ram_and_distinct(&handed_out);
}

KTEST(bitmap, alignment)
{
	require_pmm("bitmap");
	check_alignment();
}

KTEST(bitmap, contiguous_runs)
{
	require_pmm("bitmap");
	take_contiguous_runs(&handed_out);
	page_set_free_all(&handed_out);
}

KTEST(bitmap, every_page_handed_out_is_usable_and_unreserved)
{
	require_pmm("bitmap");
	uint64_t free = check_every_page_is_handed_out(&handed_out);

	page_set_free_all(&handed_out);
	KT_EXPECT_EQ(pmm_free_pages(), free);
}

KTEST(bitmap, exhaustion_returns_phys_none_and_frees_are_reused)
{
	require_pmm("bitmap");
	paddr_t some[8];

	drain_and_check_exhausted(&handed_out);
	KT_EXPECT_EQ(page_alloc_aligned(1, 8), PHYS_NONE);

	/* Give back a few scattered pages: exactly those come back. */
	uint64_t seed = 42;
	for (unsigned i = 0; i < ARRAY_SIZE(some); i++) {
		paddr_t pa;
		do
			pa = handed_out.base +
			     random_below(&seed, handed_out.npages) * PAGE_SIZE;
		while (!page_set_contains(&handed_out, pa));
		page_set_remove(&handed_out, pa, 1);
		page_free(pa, 1);
		some[i] = pa;
	}
	KT_EXPECT_EQ(pmm_free_pages(), ARRAY_SIZE(some));
	for (unsigned i = 0; i < ARRAY_SIZE(some); i++) {
		paddr_t pa = page_alloc(1);
		KT_EXPECT_NE(pa, PHYS_NONE);
		bool was_freed = false;
		for (unsigned j = 0; j < ARRAY_SIZE(some); j++)
			was_freed |= pa == some[j];
		KT_EXPECT_TRUE(was_freed);
		page_set_add(&handed_out, pa, 1);
	}
	KT_EXPECT_EQ(page_alloc(1), PHYS_NONE);
	page_set_free_all(&handed_out);
}

KTEST(bitmap, reserved_pages_are_out_of_the_pool)
{
	require_pmm("bitmap");
	struct bitmap_alloc *b = live_bitmap();
	uint64_t total = pmm_total_pages(), bad;
	paddr_t pa = page_alloc(12);

	KT_ASSERT_NE(pa, PHYS_NONE);
	page_free(pa, 12);
	bitmap_reserve(b, pa, 8);
	bitmap_reserve(b, pa + 4 * PAGE_SIZE, 8);       /* overlaps by 4 */
	KT_EXPECT_EQ(pmm_total_pages(), total - 12);

	drain_pages(&handed_out, &bad);
	for (uint64_t i = 0; i < 12; i++)
		KT_EXPECT_FALSE(page_set_contains(&handed_out,
						  pa + i * PAGE_SIZE));
	page_set_free_all(&handed_out);
	bitmap_unreserve(b, pa, 12);
	KT_EXPECT_EQ(pmm_total_pages(), total);
}

KTEST(bitmap, zero_on_alloc)
{
	require_pmm("bitmap");
	uint64_t bad;

	drain_pages(&handed_out, &bad);
	paddr_t dirty = page_set_next(&handed_out, handed_out.base);
	memset(phys_to_virt(dirty), 0xa5, PAGE_SIZE);
	page_set_remove(&handed_out, dirty, 1);
	page_free(dirty, 1);

	bitmap_zero_on_alloc(live_bitmap(), true);
	paddr_t pa = page_alloc(1);
	bitmap_zero_on_alloc(live_bitmap(), false);
	KT_EXPECT_EQ(pa, dirty);
	const uint64_t *words = phys_to_virt(pa);
	uint64_t nonzero = 0;
	for (uint64_t i = 0; i < PAGE_SIZE / 8; i++)
		nonzero += words[i] != 0;
	KT_EXPECT_EQ(nonzero, 0);
	page_free(pa, 1);
	page_set_free_all(&handed_out);
}

/* ---- Bad frees: panics that name the page and the rule ---------------- */

KTEST_SHOULD_PANIC(bitmap, double_free_panics)
{
	require_pmm("bitmap");
	check_double_free_panics("bitmap_free",
				 "is already free (double free)");
}

KTEST_SHOULD_PANIC(bitmap, unaligned_free_panics)
{
	require_pmm("bitmap");
	check_unaligned_free_panics("bitmap_free");
}

KTEST_SHOULD_PANIC(bitmap, freeing_the_kernel_panics)
{
	require_pmm("bitmap");
	check_freeing_the_kernel_panics("bitmap_free");
}

KTEST(bitmap, the_lock_is_free_after_a_panic)
{
	require_pmm("bitmap");
	check_the_lock_is_free_after_a_panic(&live_bitmap()->lock);
}

/* ---- A long random sequence --------------------------------------------- */

static struct random_test sequence;

/* Runs of 1 to 8 pages aligned to 1 to 8 pages, each given back whole:
 * every request must succeed. */
KTEST(bitmap, random_allocs_and_frees)
{
	require_pmm("bitmap");
	random_test_start(&sequence, &handed_out);
	for (int op = 0; op < 5000; op++) {
		struct held_run *run = random_slot(&sequence);
		if (run->n) {
			random_release(&sequence, run, 0);
		} else {
			uint64_t n = 1 + random_below(&sequence.seed, 8);
			uint64_t align =
				(uint64_t)1 << random_below(&sequence.seed, 4);
			paddr_t pa = page_alloc_aligned(n, align);
			KT_ASSERT_NE(pa, PHYS_NONE);
			sequence.bad += !IS_ALIGNED(pa, align * PAGE_SIZE) ||
					!pages_are_allowed(pa, n) ||
					!page_set_add(&handed_out, pa, n);
			*run = (struct held_run){ pa, n };
		}
		sequence.bad += !random_free_count_is_right(&sequence);
	}
	random_test_end(&sequence);
}

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
static struct { paddr_t pa; uint64_t n; } held[128];

static struct bitmap_alloc *live_bitmap(void)
{
	return pmm_allocator()->self;
}

static void bitmap_suite_init(void)
{
	if (!pmm_is("bitmap"))
		return;
	free_at_start = pmm_free_pages();
	KT_ASSERT_TRUE(page_set_create(&handed_out));
}

/* The leak check: every page the tests took has been given back. */
static void bitmap_suite_exit(void)
{
	if (!pmm_is("bitmap"))
		return;
	page_set_destroy(&handed_out);
	KT_EXPECT_EQ(pmm_free_pages(), free_at_start);
	KT_EXPECT_FALSE(spin_is_locked(&live_bitmap()->lock));
}

KTEST_SUITE(bitmap, bitmap_suite_init, bitmap_suite_exit);

KTEST(bitmap, pages_are_usable_ram_and_distinct)
{
	require_pmm("bitmap");
	uint64_t before = pmm_free_pages(), bad = 0;

	for (int i = 0; i < 256; i++) {
		paddr_t pa = page_alloc(1);
		KT_ASSERT_NE(pa, PHYS_NONE);
		bad += !pages_are_allowed(pa, 1) ||
		       !page_set_add(&handed_out, pa, 1);
	}
	KT_EXPECT_EQ(bad, 0);
	KT_EXPECT_EQ(pmm_free_pages(), before - 256);
	page_set_free_all(&handed_out);
	KT_EXPECT_EQ(pmm_free_pages(), before);
}

KTEST(bitmap, alignment)
{
	require_pmm("bitmap");
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

KTEST(bitmap, contiguous_runs)
{
	require_pmm("bitmap");
	uint64_t sizes[] = { 2, 5, 16, 63, 64, 65, 512, 1000 };

	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		paddr_t pa = page_alloc(sizes[i]);
		KT_ASSERT_NE(pa, PHYS_NONE);
		KT_EXPECT_TRUE(pages_are_allowed(pa, sizes[i]));
		KT_EXPECT_TRUE(page_set_add(&handed_out, pa, sizes[i]));
	}
	page_set_free_all(&handed_out);
}

KTEST(bitmap, every_page_handed_out_is_usable_and_unreserved)
{
	require_pmm("bitmap");
	uint64_t free = pmm_free_pages(), bad;

	KT_EXPECT_EQ(drain_pages(&handed_out, &bad), free);
	KT_EXPECT_EQ(bad, 0);
	page_set_free_all(&handed_out);
	KT_EXPECT_EQ(pmm_free_pages(), free);
}

KTEST(bitmap, exhaustion_returns_phys_none_and_frees_are_reused)
{
	require_pmm("bitmap");
	uint64_t bad;
	paddr_t some[8];

	drain_pages(&handed_out, &bad);
	KT_EXPECT_EQ(pmm_free_pages(), 0);
	KT_EXPECT_EQ(page_alloc(1), PHYS_NONE);
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
	paddr_t dirty = handed_out.base;
	while (!page_set_contains(&handed_out, dirty))
		dirty += PAGE_SIZE;
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
	expect_panic("is already free (double free)");
	paddr_t pa = page_alloc(1);

	expect_panic("bitmap_free: page %#lx is already free (double free)",
		     (unsigned long)pa);
	page_free(pa, 1);
	page_free(pa, 1);
}

KTEST_SHOULD_PANIC(bitmap, unaligned_free_panics)
{
	require_pmm("bitmap");
	expect_panic("is not page aligned");
	paddr_t pa = page_alloc(1);

	page_free(pa, 1);
	expect_panic("bitmap_free: page %#lx is not page aligned",
		     (unsigned long)(pa + 8));
	page_free(pa + 8, 1);
}

KTEST_SHOULD_PANIC(bitmap, freeing_the_kernel_panics)
{
	require_pmm("bitmap");
	paddr_t kernel = ALIGN_DOWN(virt_to_phys(&free_at_start), PAGE_SIZE);

	expect_panic("bitmap_free: page %#lx is outside the memory this "
		     "allocator manages", (unsigned long)kernel);
	page_free(kernel, 1);
}

KTEST(bitmap, the_lock_is_free_after_a_panic)
{
	require_pmm("bitmap");
	KT_EXPECT_FALSE(spin_is_locked(&live_bitmap()->lock));
	KT_EXPECT_EQ(spin_held_count(), 0);
	paddr_t pa = page_alloc(1);
	KT_EXPECT_NE(pa, PHYS_NONE);
	page_free(pa, 1);
}

/* ---- A long random sequence --------------------------------------------- */

/* Give back what held[slot] holds. */
static void release(unsigned slot)
{
	page_free(held[slot].pa, held[slot].n);
	page_set_remove(&handed_out, held[slot].pa, held[slot].n);
	held[slot].n = 0;
}

KTEST(bitmap, random_allocs_and_frees)
{
	require_pmm("bitmap");
	uint64_t seed = 0x5eed, bad = 0;
	uint64_t before = pmm_free_pages();

	memset(held, 0, sizeof(held));
	for (int op = 0; op < 5000; op++) {
		unsigned slot = random_below(&seed, ARRAY_SIZE(held));
		if (held[slot].n) {
			release(slot);
		} else {
			uint64_t n = 1 + random_below(&seed, 8);
			uint64_t align = (uint64_t)1 << random_below(&seed, 4);
			paddr_t pa = page_alloc_aligned(n, align);
			KT_ASSERT_NE(pa, PHYS_NONE);
			bad += !IS_ALIGNED(pa, align * PAGE_SIZE) ||
			       !pages_are_allowed(pa, n) ||
			       !page_set_add(&handed_out, pa, n);
			held[slot].pa = pa;
			held[slot].n = n;
		}
		bad += pmm_free_pages() != before - handed_out.count;
	}
	KT_EXPECT_EQ(bad, 0);
	page_set_free_all(&handed_out);         /* what is still held */
	KT_EXPECT_EQ(pmm_free_pages(), before);
}

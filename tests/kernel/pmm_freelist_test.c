/*
 * In-kernel tests of the free-list allocator (mm/freelist.c), run on the
 * live allocator: boot with pmm=freelist. Every page handed out is
 * checked against boot_memmap; the suite's exit hook checks that the free
 * count is back where it started.
 *
 * Order matters: runs are carved from the untouched tails, which the
 * exhaustion tests use up, so the run tests come first and the test that
 * runs fail afterwards comes after them.
 */
#include "kernel/arch.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "kernel/spinlock.h"
#include "mm/freelist.h"
#include "tests/kernel/pmm_test.h"

static uint64_t free_at_start;
static struct page_set handed_out;     /* pages the tests hold */
static struct { paddr_t pa; uint64_t n; } held[128];

static struct freelist *live_freelist(void)
{
	return pmm_allocator()->self;
}

static void freelist_suite_init(void)
{
	if (!pmm_is("freelist"))
		return;
	free_at_start = pmm_free_pages();
	KT_ASSERT_TRUE(page_set_create(&handed_out));
}

/* The leak check: with what the tests still hold given back, every page
 * must be free again. */
static void freelist_suite_exit(void)
{
	if (!pmm_is("freelist"))
		return;
	page_set_free_all(&handed_out);
	page_set_destroy(&handed_out);
	KT_EXPECT_EQ(pmm_free_pages(), free_at_start);
	KT_EXPECT_FALSE(spin_is_locked(&live_freelist()->lock));
}

KTEST_SUITE(freelist, freelist_suite_init, freelist_suite_exit);

KTEST(freelist, pages_are_usable_ram_and_distinct)
{
	require_pmm("freelist");
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

KTEST(freelist, alignment)
{
	require_pmm("freelist");
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

KTEST(freelist, contiguous_runs)
{
	require_pmm("freelist");
	uint64_t sizes[] = { 2, 5, 16, 63, 64, 65, 512, 1000 };

	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		paddr_t pa = page_alloc(sizes[i]);
		KT_ASSERT_NE(pa, PHYS_NONE);
		KT_EXPECT_TRUE(pages_are_allowed(pa, sizes[i]));
		KT_EXPECT_TRUE(page_set_add(&handed_out, pa, sizes[i]));
	}
	page_set_free_all(&handed_out);
}

KTEST(freelist, freed_pages_are_reused_last_in_first_out)
{
	require_pmm("freelist");
	paddr_t a = page_alloc(1), b = page_alloc(1);

	page_free(a, 1);
	page_free(b, 1);
	KT_EXPECT_EQ(page_alloc(1), b);
	KT_EXPECT_EQ(page_alloc(1), a);
	page_free(a, 1);
	page_free(b, 1);
}

KTEST(freelist, freed_pages_are_poisoned)
{
	require_pmm("freelist");
	paddr_t pa = page_alloc(1);
	const uint64_t *words = phys_to_virt(pa);
	uint64_t unpoisoned = 0;

	page_free(pa, 1);
	for (uint64_t i = 1; i < PAGE_SIZE / 8; i++)   /* word 0: the link */
		unpoisoned += words[i] != FREELIST_POISON;
	KT_EXPECT_EQ(unpoisoned, 0);
}

/* ---- Bad frees and stale pointers: panics naming the page and rule ---- */

static paddr_t damaged;
static uint64_t free_before_damage;

KTEST_SHOULD_PANIC(freelist, write_after_free_panics)
{
	require_pmm("freelist");
	expect_panic("was written after it was freed (offset 0x100, "
		     "found 0x1234)");
	damaged = page_alloc(1);
	page_free(damaged, 1);
	free_before_damage = pmm_free_pages();

	expect_panic("freelist_alloc: page %#lx was written after it was "
		     "freed (offset 0x100, found 0x1234)",
		     (unsigned long)damaged);
	((uint64_t *)phys_to_virt(damaged))[0x100 / 8] = 0x1234;
	page_alloc(1);
}

KTEST(freelist, a_damaged_page_is_repaired_and_stays_free)
{
	require_pmm("freelist");
	KT_EXPECT_FALSE(spin_is_locked(&live_freelist()->lock));
	KT_EXPECT_EQ(pmm_free_pages(), free_before_damage);
	KT_EXPECT_EQ(page_alloc(1), damaged);
	page_free(damaged, 1);
}

KTEST_SHOULD_PANIC(freelist, double_free_panics)
{
	require_pmm("freelist");
	expect_panic("is already free (double free)");
	paddr_t pa = page_alloc(1);

	expect_panic("freelist_free: page %#lx is already free (double free)",
		     (unsigned long)pa);
	page_free(pa, 1);
	page_free(pa, 1);
}

KTEST_SHOULD_PANIC(freelist, freeing_a_page_never_allocated_panics)
{
	require_pmm("freelist");
	/* The top page of RAM is still in an untouched tail. */
	unsigned last = boot_memmap.nusable - 1;
	paddr_t top = boot_memmap.usable[last].end - PAGE_SIZE;

	expect_panic("freelist_free: page %#lx is already free (double free)",
		     (unsigned long)top);
	page_free(top, 1);
}

KTEST_SHOULD_PANIC(freelist, unaligned_free_panics)
{
	require_pmm("freelist");
	expect_panic("is not page aligned");
	paddr_t pa = page_alloc(1);

	page_free(pa, 1);
	expect_panic("freelist_free: page %#lx is not page aligned",
		     (unsigned long)(pa + 8));
	page_free(pa + 8, 1);
}

KTEST_SHOULD_PANIC(freelist, freeing_the_kernel_panics)
{
	require_pmm("freelist");
	paddr_t kernel = ALIGN_DOWN(virt_to_phys(&free_at_start), PAGE_SIZE);

	expect_panic("freelist_free: page %#lx is outside the memory this "
		     "allocator manages", (unsigned long)kernel);
	page_free(kernel, 1);
}

KTEST(freelist, the_lock_is_free_after_a_panic)
{
	require_pmm("freelist");
	KT_EXPECT_FALSE(spin_is_locked(&live_freelist()->lock));
	KT_EXPECT_EQ(spin_held_count(), 0);
	paddr_t pa = page_alloc(1);
	KT_EXPECT_NE(pa, PHYS_NONE);
	page_free(pa, 1);
}

/* ---- Exhaustion ------------------------------------------------------- */

/*
 * Draining and refilling takes a 4 KiB write per page (poison) and a
 * 4 KiB read per page (checking it), seconds at 5 GiB under emulation, so
 * the first test leaves its pages to the second (which drains what is
 * left, so it also works alone); the exit hook frees anything held.
 */
KTEST(freelist, every_page_handed_out_is_usable_and_unreserved)
{
	require_pmm("freelist");
	uint64_t free = pmm_free_pages(), bad;

	KT_EXPECT_EQ(drain_pages(&handed_out, &bad), free);
	KT_EXPECT_EQ(bad, 0);
}

KTEST(freelist, exhaustion_returns_phys_none_and_frees_are_reused)
{
	require_pmm("freelist");
	uint64_t bad;
	paddr_t a, b;

	drain_pages(&handed_out, &bad);
	KT_EXPECT_EQ(pmm_free_pages(), 0);
	KT_EXPECT_EQ(page_alloc(1), PHYS_NONE);
	a = handed_out.base;
	while (!page_set_contains(&handed_out, a))
		a += PAGE_SIZE;
	b = a + PAGE_SIZE;
	while (!page_set_contains(&handed_out, b))
		b += PAGE_SIZE;
	page_set_remove(&handed_out, a, 1);
	page_set_remove(&handed_out, b, 1);
	page_free(a, 1);
	page_free(b, 1);
	KT_EXPECT_EQ(pmm_free_pages(), 2);
	KT_EXPECT_EQ(page_alloc(1), b);
	KT_EXPECT_EQ(page_alloc(1), a);
	KT_EXPECT_EQ(page_alloc(1), PHYS_NONE);
	page_free(a, 1);
	page_free(b, 1);
	page_set_free_all(&handed_out);
}

KTEST(freelist, runs_fail_once_the_untouched_tails_are_used)
{
	require_pmm("freelist");
	/* The drains above carved every tail: only single pages are left,
	 * and the list knows nothing about which of them are adjacent. */
	KT_EXPECT_GE(pmm_free_pages(), 2);
	KT_EXPECT_EQ(page_alloc(2), PHYS_NONE);
	KT_EXPECT_EQ(page_alloc_aligned(1, 2), PHYS_NONE);
}

/* ---- A long random sequence --------------------------------------------- */

/* Give back what held[slot] holds. */
static void release(unsigned slot)
{
	page_free(held[slot].pa, held[slot].n);
	page_set_remove(&handed_out, held[slot].pa, held[slot].n);
	held[slot].n = 0;
}

KTEST(freelist, random_allocs_and_frees)
{
	require_pmm("freelist");
	uint64_t seed = 0x5eed, bad = 0;
	uint64_t before = pmm_free_pages();

	memset(held, 0, sizeof(held));
	for (int op = 0; op < 5000; op++) {
		unsigned slot = random_below(&seed, ARRAY_SIZE(held));
		if (held[slot].n) {
			release(slot);
			continue;
		}
		/* Mostly single pages; runs may fail once tails are gone. */
		bool single = random_below(&seed, 4) != 0;
		uint64_t n = single ? 1 : 2 + random_below(&seed, 7);
		paddr_t pa = page_alloc(n);
		if (pa == PHYS_NONE) {
			bad += single;
			continue;
		}
		bad += !pages_are_allowed(pa, n) ||
		       !page_set_add(&handed_out, pa, n);
		held[slot].pa = pa;
		held[slot].n = n;
		bad += pmm_free_pages() != before - handed_out.count;
	}
	KT_EXPECT_EQ(bad, 0);
	page_set_free_all(&handed_out);         /* what is still held */
	KT_EXPECT_EQ(pmm_free_pages(), before);
}

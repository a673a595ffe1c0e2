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

static struct freelist *live_freelist(void)
{
	return pmm_allocator()->self;
}

static void freelist_suite_init(void)
{
	pmm_suite_init("freelist", &free_at_start, &handed_out);
}

/* The leak check: with what the tests still hold given back, every page
 * must be free again. */
static void freelist_suite_exit(void)
{
	if (!pmm_is("freelist"))
		return;
	page_set_free_all(&handed_out);
	check_free_count_is_back(&handed_out, free_at_start);
	KT_EXPECT_FALSE(spin_is_locked(&live_freelist()->lock));
}

KTEST_SUITE(freelist, freelist_suite_init, freelist_suite_exit);

/* ---- What every page allocator does (pmm_testlib.c) --------------------- */

KTEST(freelist, pages_are_usable_ram_and_distinct)
{
	require_pmm("freelist");
	check_pages_are_usable_ram_and_distinct(&handed_out);
}

KTEST(freelist, alignment)
{
	require_pmm("freelist");
	check_alignment();
}

KTEST(freelist, contiguous_runs)
{
	require_pmm("freelist");
	take_contiguous_runs(&handed_out);
	page_set_free_all(&handed_out);
}

/* ---- The list: last in, first out, and poisoned ---------------------- */

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
	check_double_free_panics("freelist_free",
				 "is already free (double free)");
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
	check_unaligned_free_panics("freelist_free");
}

KTEST_SHOULD_PANIC(freelist, freeing_the_kernel_panics)
{
	require_pmm("freelist");
	check_freeing_the_kernel_panics("freelist_free");
}

KTEST(freelist, the_lock_is_free_after_a_panic)
{
	require_pmm("freelist");
	check_the_lock_is_free_after_a_panic(&live_freelist()->lock);
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
	check_every_page_is_handed_out(&handed_out);
}

KTEST(freelist, exhaustion_returns_phys_none_and_frees_are_reused)
{
	require_pmm("freelist");
	paddr_t a, b;

	drain_and_check_exhausted(&handed_out);
	check_frees_are_reused_lifo(&handed_out, &a, &b);
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

static struct random_test sequence;

/* Mostly single pages, which must always be found; runs of 2 to 8 pages
 * may fail once the untouched tails are gone. */
KTEST(freelist, random_allocs_and_frees)
{
	require_pmm("freelist");
	random_test_start(&sequence, &handed_out);
	for (int op = 0; op < 5000; op++) {
		struct held_run *run = random_slot(&sequence);
		if (run->n) {
			random_release(&sequence, run, 0);
			continue;
		}
		bool single = random_below(&sequence.seed, 4) != 0;
		uint64_t n = single ? 1 : 2 + random_below(&sequence.seed, 7);
		paddr_t pa = page_alloc(n);
		if (pa == PHYS_NONE) {
			sequence.bad += single;
			continue;
		}
		sequence.bad += !pages_are_allowed(pa, n) ||
				!page_set_add(&handed_out, pa, n);
		*run = (struct held_run){ pa, n };
		sequence.bad += !random_free_count_is_right(&sequence);
	}
	random_test_end(&sequence);
}

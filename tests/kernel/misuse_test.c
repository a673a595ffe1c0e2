/*
 * In-kernel tests of misuse, suite "misuse": the cases of docs/misuse.md
 * that no other suite checks. Each calls the allocators with arguments
 * no correct caller passes -- 0 pages, sizes and alignments whose
 * arithmetic overflows, frees past the end of RAM -- and checks the
 * defined reaction: a panic naming the function and the rule, or an
 * error return that changes nothing.
 *
 * Runs on whichever page allocator was chosen at boot (pmm=). Under
 * pmm=bump every free panics with "cannot free", so the bad frees expect
 * that message there, and the tests that need a working free skip. The
 * exit hook checks that every page went back.
 */
#include "kernel/arch.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "kernel/spinlock.h"
#include "mm/heap.h"
#include "mm/memmap.h"
#include "mm/page_alloc.h"
#include "tests/kernel/pmm_test.h"

static uint64_t free_at_start;
static paddr_t held = PHYS_NONE;        /* a page a panicking test holds */

static void misuse_suite_init(void)
{
	free_at_start = pmm_free_pages();
}

/* The leak check: every page the tests took has been given back. */
static void misuse_suite_exit(void)
{
	if (pmm_is("bump"))
		return;
	if (held != PHYS_NONE)
		page_free(held, 1);
	held = PHYS_NONE;
	KT_EXPECT_EQ(pmm_free_pages(), free_at_start);
}

KTEST_SUITE(misuse, misuse_suite_init, misuse_suite_exit);

/* Skip under pmm=bump, which cannot free. */
static void require_free(void)
{
	if (pmm_is("bump"))
		KT_SKIP("pmm=bump cannot free");
}

/*
 * In a should-panic test of a bad free: the panic message must contain
 * text, formatted -- or, under pmm=bump, which panics on every free, the
 * bump allocator's message.
 */
#define expect_bad_free(...)                                                \
	do {                                                                \
		if (pmm_is("bump"))                                         \
			expect_panic("bump_free: cannot free");             \
		else                                                        \
			expect_panic(__VA_ARGS__);                          \
	} while (0)

/* One page to free wrongly, given back at suite exit. */
static paddr_t hold_a_page(void)
{
	if (held == PHYS_NONE)
		held = page_alloc(1);
	KT_ASSERT_NE(held, PHYS_NONE);
	return held;
}

/* ---- Page allocation: arguments no caller may pass ---------------------- */

KTEST_SHOULD_PANIC(misuse, page_alloc_of_0_pages_panics)
{
	expect_panic("_alloc: asked for 0 pages");
	page_alloc(0);
}

KTEST_SHOULD_PANIC(misuse, alignment_of_0_panics)
{
	expect_panic("alignment of 0 pages is not a power of two below 2^52");
	page_alloc_aligned(1, 0);
}

KTEST_SHOULD_PANIC(misuse, alignment_not_a_power_of_two_panics)
{
	expect_panic("alignment of 3 pages is not a power of two below 2^52");
	page_alloc_aligned(1, 3);
}

/* 2^52 pages of 4 KiB is 2^64 bytes: align * PAGE_SIZE would wrap to 0. */
KTEST_SHOULD_PANIC(misuse, alignment_whose_size_overflows_panics)
{
	expect_panic("alignment of %lu pages is not a power of two below "
		     "2^52", (unsigned long)((uint64_t)1 << 52));
	page_alloc_aligned(1, (uint64_t)1 << 52);
}

/* ---- Page allocation: requests that cannot be met ------------------------ */

/* Sizes no machine has, or whose byte count overflows: PHYS_NONE, and
 * nothing moves (not even the bump allocator's cursor). */
KTEST(misuse, absurd_page_counts_fail_and_change_nothing)
{
	uint64_t before = pmm_free_pages();

	KT_EXPECT_EQ(page_alloc(UINT64_MAX), PHYS_NONE);
	KT_EXPECT_EQ(page_alloc((uint64_t)1 << 52), PHYS_NONE);
	KT_EXPECT_EQ(page_alloc(((uint64_t)1 << 52) + 1), PHYS_NONE);
	KT_EXPECT_EQ(page_alloc(pmm_total_pages() + 1), PHYS_NONE);
	KT_EXPECT_EQ(page_alloc_aligned(UINT64_MAX, 1024), PHYS_NONE);
	KT_EXPECT_EQ(pmm_free_pages(), before);
}

/* 2^51 pages is an alignment of 2^63 bytes: valid, but RAM never starts
 * there, and rounding an address up to it must not wrap to page 0. */
KTEST(misuse, huge_alignment_fails_and_changes_nothing)
{
	uint64_t before = pmm_free_pages();

	KT_EXPECT_EQ(page_alloc_aligned(1, (uint64_t)1 << 51), PHYS_NONE);
	KT_EXPECT_EQ(page_alloc_aligned(1, (uint64_t)1 << 40), PHYS_NONE);
	KT_EXPECT_EQ(pmm_free_pages(), before);
}

/* ---- Page frees: what the allocator never handed out ---------------------- */

KTEST_SHOULD_PANIC(misuse, page_free_of_0_pages_panics)
{
	paddr_t pa = hold_a_page();

	expect_bad_free("%s_free: asked for 0 pages", pmm_name());
	page_free(pa, 0);
}

/* The last page of RAM: never handed out by this suite (and if another
 * test took it, it gave it back). For the free list the freelist suite
 * checks this; here it runs on every allocator that frees. */
KTEST_SHOULD_PANIC(misuse, free_of_a_page_never_allocated_panics)
{
	const struct mem_range *last = &boot_memmap.usable[boot_memmap.nusable - 1];
	paddr_t top = last->end - PAGE_SIZE;

	expect_bad_free("%s_free: page %#lx is %salready free (double free)",
			pmm_name(), (unsigned long)top,
			pmm_is("buddy") ? "not allocated: it is " : "");
	page_free(top, 1);
}

KTEST_SHOULD_PANIC(misuse, free_beyond_the_end_of_ram_panics)
{
	paddr_t beyond = ALIGN_UP(memmap_ram_end(&boot_memmap), PAGE_SIZE) +
			 16 * PAGE_SIZE;

	expect_bad_free("%s_free: page %#lx is outside the memory this "
			"allocator manages", pmm_name(), (unsigned long)beyond);
	page_free(beyond, 1);
}

/* A run starting at the last page of RAM but two pages long. The buddy
 * allocator checks page by page, and finds the first one free. */
KTEST_SHOULD_PANIC(misuse, free_of_a_run_past_the_end_of_ram_panics)
{
	const struct mem_range *last = &boot_memmap.usable[boot_memmap.nusable - 1];

	if (pmm_is("buddy"))
		expect_panic("buddy_free: page %#lx is not allocated",
			     (unsigned long)(last->end - PAGE_SIZE));
	else
		expect_bad_free("%s_free: page %#lx is outside the memory "
				"this allocator manages", pmm_name(),
				(unsigned long)last->end);
	page_free(last->end - PAGE_SIZE, 2);
}

/* npages * PAGE_SIZE overflows: the range check must not wrap around. */
KTEST_SHOULD_PANIC(misuse, free_of_an_absurd_page_count_panics)
{
	paddr_t pa = hold_a_page();

	/* The buddy allocator stops at the first page after pa's block that
	 * is not allocated: free, or outside. */
	if (pmm_is("buddy"))
		expect_panic("buddy_free: page ");
	else
		expect_bad_free("is outside the memory this allocator manages");
	page_free(pa, UINT64_MAX);
}

KTEST(misuse, the_allocator_still_works_after_those_panics)
{
	require_free();
	uint64_t before = pmm_free_pages();
	paddr_t pa = page_alloc(1);

	KT_ASSERT_NE(pa, PHYS_NONE);
	KT_EXPECT_EQ(spin_held_count(), 0);
	page_free(pa, 1);
	KT_EXPECT_EQ(pmm_free_pages(), before);
}

/* ---- The heap: requests that cannot be met ------------------------------- */

/* More bytes than there are free pages, but below HEAP_MAX_REQUEST: the
 * page allocator says no, the heap returns NULL, nothing is held. */
KTEST(misuse, kmalloc_of_more_than_all_memory_returns_null)
{
	require_free();
	uint64_t before = pmm_free_pages();
	size_t size = (pmm_free_pages() + 1) * PAGE_SIZE;

	KT_ASSERT_LE(size, HEAP_MAX_REQUEST);
	KT_EXPECT_EQ(kmalloc(size), NULL);
	KT_EXPECT_EQ(kzalloc(size), NULL);
	KT_EXPECT_EQ(pmm_free_pages(), before);
}

KTEST(misuse, krealloc_beyond_memory_keeps_the_block)
{
	require_free();
	char *p = kmalloc(100);

	KT_ASSERT_NE(p, NULL);
	memset(p, 0x5a, 100);
	KT_EXPECT_EQ(krealloc(p, (pmm_free_pages() + 1) * PAGE_SIZE), NULL);
	KT_EXPECT_EQ(krealloc(p, HEAP_MAX_REQUEST), NULL);
	for (int i = 0; i < 100; i++)
		if (p[i] != 0x5a)
			KT_FAIL("byte %d changed", i);
	kfree(p);
}

/* Allocate until the heap says NULL, then give everything back. */
KTEST(misuse, heap_exhaustion_returns_null_and_recovers)
{
	require_free();
	static struct heap h;
	uint64_t before = pmm_free_pages(), n = 0;
	const size_t size = 1 * MiB;
	void *p;

	heap_init(&h, "exhaust");
	while ((p = heap_alloc(&h, size)) != NULL) {
		((char *)p)[size - 1] = 1;      /* it is really ours */
		n++;
		KT_ASSERT_LE(n, pmm_total_pages());
	}
	KT_EXPECT_GT(n, 0);
	/* What is left is too little, or too scattered, for 1 MiB. */
	KT_EXPECT_EQ(page_alloc(size / PAGE_SIZE + 1), PHYS_NONE);
	heap_destroy(&h);
	KT_EXPECT_EQ(pmm_free_pages(), before);
}

/* ---- The memory map: tables that overflow ------------------------------- */

static struct memmap map;       /* ~7 KiB: not on the stack */

KTEST(misuse, memmap_full_table_returns_enospc)
{
	memmap_init(&map);
	for (unsigned i = 0; i < MEMMAP_MAX; i++) {
		KT_ASSERT_EQ(memmap_add_ram(&map, i * 2 * PAGE_SIZE, PAGE_SIZE), 0);
		KT_ASSERT_EQ(memmap_add_reserved(&map, i * PAGE_SIZE, 1, "x"), 0);
	}
	KT_EXPECT_EQ(memmap_add_ram(&map, GiB, PAGE_SIZE), -ENOSPC);
	KT_EXPECT_EQ(memmap_add_reserved(&map, GiB, PAGE_SIZE, "x"), -ENOSPC);
	KT_EXPECT_EQ(map.nram, MEMMAP_MAX);
	KT_EXPECT_EQ(map.nreserved, MEMMAP_MAX);
}

/* One RAM range cut by MEMMAP_MAX holes is MEMMAP_MAX + 1 pieces: no
 * room, and then no half answer either. */
KTEST(misuse, memmap_too_many_pieces_returns_enospc)
{
	memmap_init(&map);
	KT_ASSERT_EQ(memmap_add_ram(&map, 0, GiB), 0);
	for (unsigned i = 1; i <= MEMMAP_MAX; i++)
		KT_ASSERT_EQ(memmap_add_reserved(&map, i * 4 * PAGE_SIZE,
						 PAGE_SIZE, "hole"), 0);
	KT_EXPECT_EQ(memmap_finalize(&map), -ENOSPC);
	KT_EXPECT_EQ(map.nusable, 0);
	KT_EXPECT_EQ(memmap_usable_bytes(&map), 0);
}

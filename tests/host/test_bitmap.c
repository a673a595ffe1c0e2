/*
 * Host unit tests for mm/bitmap.c.
 *
 * Each test describes a small machine -- RAM ranges with holes, some
 * above 4 GiB, reserved pieces -- inside a window of fake physical
 * memory. Everything in the window that is not usable RAM is poisoned for
 * AddressSanitizer, so an allocator that so much as reads a hole or a
 * reserved page stops the test. The last test checks thousands of random
 * operations against a model: one byte per page.
 */
#include "mm/bitmap.h"
#include "tests/host/pmm_host.h"

static struct bitmap_alloc bm;

/*
 * Fake RAM (pmm_host.h) for [window, window + size), of which the ram[]
 * ranges minus [res_base, res_base + res_size) are usable, and a bitmap
 * allocator on it. The bump allocator puts the bits in the first pages.
 */
static void machine(paddr_t window, uint64_t size, const struct mem_range *ram,
		    unsigned nram, paddr_t res_base, uint64_t res_size)
{
	fake_ram(window, size, ram, nram, res_base, res_size);
	bump_init(&bump, &map);
	bitmap_init(&bm, &map, &bump);
}

static paddr_t alloc_one(void)
{
	return bitmap_alloc(&bm, 1, 1);
}

/* One region of n pages at 0x80000000, its first page holding the bits. */
static void simple_machine(uint64_t n)
{
	MACHINE(0x80000000, P(n), 0, 0, { 0x80000000, 0x80000000 + P(n) });
}

#define FIRST 0x80001000        /* first managed page of simple_machine */

/* ---- Setting up ----------------------------------------------------------- */

TAP_TEST(the_bits_come_from_the_bump_and_are_not_managed)
{
	simple_machine(64);
	TAP_EXPECT_EQ(bitmap_total_pages(&bm), 63);
	TAP_EXPECT_EQ(bitmap_free_pages(&bm), 63);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), FIRST);
	TAP_EXPECT_PANIC(bitmap_free(&bm, 0x80000000, 1));
	TAP_EXPECT(strstr(host_panic_message, "outside the memory"));
}

TAP_TEST(a_big_map_needs_more_than_one_page_of_bits)
{
	/* 160 MiB = 40960 pages = 5 KiB of bits: two pages. */
	simple_machine(40960);
	TAP_EXPECT_EQ(bitmap_total_pages(&bm), 40958);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), 0x80002000);
}

/* ---- Allocating ------------------------------------------------------- */

TAP_TEST(single_pages_come_out_in_order)
{
	simple_machine(200);
	for (int i = 0; i < 199; i++)
		TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), FIRST + P(i));
	TAP_EXPECT_EQ(bitmap_free_pages(&bm), 0);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), PHYS_NONE);
}

TAP_TEST(next_fit_goes_on_from_the_last_allocation_then_wraps)
{
	simple_machine(65);
	paddr_t a = bitmap_alloc(&bm, 1, 1);
	paddr_t b = bitmap_alloc(&bm, 1, 1);
	bitmap_free(&bm, a, 1);
	/* a is free again, but the search starts after b. */
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), b + P(1));
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 61, 1), b + P(2));
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), a);
}

TAP_TEST(alignment_is_by_physical_address)
{
	/* The region starts at an odd page: index 0 is not aligned. */
	MACHINE(0x80000000, P(256), 0, 0, { 0x80003000, 0x80000000 + P(256) });
	paddr_t pa = bitmap_alloc(&bm, 1, 16);
	TAP_EXPECT_EQ(pa, 0x80010000);
	pa = bitmap_alloc(&bm, 3, 64);
	TAP_EXPECT_EQ(pa, 0x80040000);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), 0x80043000);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 512), PHYS_NONE);
}

TAP_TEST(a_run_is_found_among_fragments)
{
	simple_machine(129);
	for (int i = 0; i < 128; i++)
		bitmap_alloc(&bm, 1, 1);
	for (int i = 0; i < 128; i += 2)        /* every other page */
		bitmap_free(&bm, FIRST + P(i), 1);
	bitmap_free(&bm, FIRST + P(101), 1);    /* 100..102 now free */
	bitmap_free(&bm, FIRST + P(103), 1);    /* 100..104 now free */
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 4, 1), FIRST + P(100));
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 2, 1), PHYS_NONE);
	TAP_EXPECT_EQ(bitmap_free_pages(&bm), 64 + 2 - 4);
}

TAP_TEST(a_run_never_spans_a_hole)
{
	/* Pages 1..8 and 10..19 (page 0 holds the bits). Leave 3 free pages
	 * at the end of the first region and 3 at the start of the second:
	 * 6 free pages, but no 4 contiguous. */
	MACHINE(0x80000000, P(32), 0, 0, { 0x80000000, 0x80000000 + P(9) },
		{ 0x80000000 + P(10), 0x80000000 + P(20) });
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 5, 1), 0x80000000 + P(1));
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 10, 1), 0x80000000 + P(10));
	bitmap_free(&bm, 0x80000000 + P(10), 3);
	TAP_EXPECT_EQ(bitmap_free_pages(&bm), 6);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 4, 1), PHYS_NONE);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 3, 1), 0x80000000 + P(6));
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 3, 1), 0x80000000 + P(10));
}

TAP_TEST(full_words_are_skipped)
{
	simple_machine(1 + 64 * 5);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 64 * 4 + 3, 1), FIRST);
	bitmap_free(&bm, FIRST + P(70), 1);     /* the lone hole in word 1 */
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 2, 1), FIRST + P(64 * 4 + 3));
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), FIRST + P(64 * 4 + 5));
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 58, 1), FIRST + P(64 * 4 + 6));
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), FIRST + P(70));
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), PHYS_NONE);
}

TAP_TEST(exhaustion_and_recovery)
{
	simple_machine(100);
	while (bitmap_alloc(&bm, 1, 1) != PHYS_NONE)
		;
	TAP_EXPECT_EQ(bitmap_free_pages(&bm), 0);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), PHYS_NONE);
	bitmap_free(&bm, FIRST + P(42), 1);
	TAP_EXPECT_EQ(bitmap_free_pages(&bm), 1);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 2, 1), PHYS_NONE);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), FIRST + P(42));
}

TAP_TEST(holes_and_memory_above_4_gib)
{
	/* A 40 MiB window across the 4 GiB line, four regions. */
	const paddr_t w = 0x100000000 - 16 * MiB;
	MACHINE(w, 40 * MiB, 0, 0, { w + P(3), w + P(3) + 1 * MiB },
		{ w + 4 * MiB, w + 16 * MiB + P(5) },
		{ w + 17 * MiB, w + 30 * MiB }, { w + 31 * MiB, w + 31 * MiB + P(1) });
	uint64_t total = bitmap_total_pages(&bm), above;

	TAP_EXPECT_EQ(take_every_page(alloc_one, &above), total);
	TAP_EXPECT_EQ(above, 5 + 13 * MiB / PAGE_SIZE + 1);
	bitmap_free(&bm, 0x100000000, 1);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), 0x100000000);
}

TAP_TEST(tiny_regions_and_unaligned_ram)
{
	/* RAM that starts and ends mid-page, and one-page regions. */
	MACHINE(0x80000000, P(16), 0, 0, { 0x80000123, 0x80003fff },
		{ 0x80005000, 0x80006000 }, { 0x80008000, 0x80009000 },
		{ 0x8000a800, 0x8000c000 });
	/* 0x80001000 holds the bits; 0x80002000, 0x80005000, 0x80008000
	 * and 0x8000b000 are managed. */
	TAP_EXPECT_EQ(bitmap_total_pages(&bm), 4);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 2, 1), PHYS_NONE);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), 0x80002000);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), 0x80005000);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), 0x80008000);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), 0x8000b000);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), PHYS_NONE);
}

TAP_TEST(reserved_memory_is_never_handed_out)
{
	/* The reserved piece splits the region; it is poisoned for ASan. */
	MACHINE(0x80000000, P(64), 0x80000000 + P(20), 0x3456,
		{ 0x80000000, 0x80000000 + P(64) });
	paddr_t pa;
	uint64_t got = 0;
	while ((pa = bitmap_alloc(&bm, 1, 1)) != PHYS_NONE) {
		TAP_EXPECT(pa < 0x80000000 + P(20) || pa >= 0x80000000 + P(24));
		got++;
	}
	TAP_EXPECT_EQ(got, 64 - 4 - 1);
	TAP_EXPECT_PANIC(bitmap_free(&bm, 0x80000000 + P(21), 1));
	TAP_EXPECT(strstr(host_panic_message, "outside the memory"));
}

TAP_TEST(zero_on_alloc)
{
	simple_machine(8);
	while (bitmap_alloc(&bm, 1, 1) != PHYS_NONE)
		;
	memset(phys_to_virt(FIRST + P(3)), 0xab, PAGE_SIZE);
	bitmap_free(&bm, FIRST + P(3), 1);
	bitmap_zero_on_alloc(&bm, true);
	TAP_EXPECT_EQ(bitmap_alloc(&bm, 1, 1), FIRST + P(3));
	const uint8_t *page = phys_to_virt(FIRST + P(3));
	size_t nonzero = 0;
	for (size_t i = 0; i < PAGE_SIZE; i++)
		nonzero += page[i] != 0;
	TAP_EXPECT_EQ(nonzero, 0);
}

/* ---- Freeing: the rules -------------------------------------------------- */

TAP_TEST(a_bad_free_panics_names_the_page_and_changes_nothing)
{
	simple_machine(16);
	paddr_t pa = bitmap_alloc(&bm, 3, 1);
	uint64_t free_before;

	bitmap_free(&bm, pa + P(2), 1);
	free_before = bitmap_free_pages(&bm);

	TAP_EXPECT_PANIC(bitmap_free(&bm, pa + P(2), 1));
	TAP_EXPECT(strstr(host_panic_message, "bitmap_free: page 0x80003000 "
			  "is already free (double free)"));
	/* A run with one free page in it: nothing at all is freed. */
	TAP_EXPECT_PANIC(bitmap_free(&bm, pa, 3));
	TAP_EXPECT(strstr(host_panic_message, "page 0x80003000 is already free"));
	TAP_EXPECT_EQ(bitmap_free_pages(&bm), free_before);

	TAP_EXPECT_PANIC(bitmap_free(&bm, pa + 8, 1));
	TAP_EXPECT(strstr(host_panic_message, "bitmap_free: page 0x80001008 "
			  "is not page aligned"));
	TAP_EXPECT_PANIC(bitmap_free(&bm, 0x90000000, 1));
	TAP_EXPECT(strstr(host_panic_message, "bitmap_free: page 0x90000000 "
			  "is outside the memory this allocator manages"));
	TAP_EXPECT_PANIC(bitmap_free(&bm, pa, 100));
	TAP_EXPECT(strstr(host_panic_message, "page 0x80010000 is outside"));
	TAP_EXPECT_PANIC(bitmap_free(&bm, pa, 0));
	TAP_EXPECT_PANIC(bitmap_alloc(&bm, 1, 6));

	TAP_EXPECT(!spin_is_locked(&bm.lock));
	TAP_EXPECT_EQ(bitmap_free_pages(&bm), free_before);
	bitmap_free(&bm, pa, 2);
	TAP_EXPECT_EQ(bitmap_free_pages(&bm), bitmap_total_pages(&bm));
}

/* ---- Reserving -------------------------------------------------------- */

TAP_TEST(overlapping_reservations_count_once)
{
	simple_machine(65);
	bitmap_reserve(&bm, FIRST + P(10), 8);
	bitmap_reserve(&bm, FIRST + P(14), 8);  /* overlaps by 4 */
	TAP_EXPECT_EQ(bitmap_total_pages(&bm), 64 - 12);
	TAP_EXPECT_EQ(bitmap_free_pages(&bm), 64 - 12);
	/* Parts outside the managed memory are ignored. */
	bitmap_reserve(&bm, 0x7fff0000, 16 + 1 + 2);
	TAP_EXPECT_EQ(bitmap_total_pages(&bm), 64 - 14);

	paddr_t pa;
	while ((pa = bitmap_alloc(&bm, 1, 1)) != PHYS_NONE)
		TAP_EXPECT(pa >= FIRST + P(22) ||
			   (pa >= FIRST + P(2) && pa < FIRST + P(10)));

	/* Only what was reserved: [2, 10) is allocated, and one bit cannot
	 * tell it from reserved. */
	bitmap_unreserve(&bm, FIRST, 2);
	bitmap_unreserve(&bm, FIRST + P(10), 12);
	TAP_EXPECT_EQ(bitmap_total_pages(&bm), 64);
	TAP_EXPECT_EQ(bitmap_free_pages(&bm), 14);
	bitmap_unreserve(&bm, FIRST + P(10), 12);       /* again: no change */
	TAP_EXPECT_EQ(bitmap_free_pages(&bm), 14);
	TAP_EXPECT_PANIC(bitmap_reserve(&bm, FIRST + 1, 1));
	TAP_EXPECT(!spin_is_locked(&bm.lock));
}

/* ---- Through the page_alloc interface --------------------------------- */

TAP_TEST(pmm_default_is_the_bitmap)
{
	one_mib_machine();
	pmm_init(&map, "");
	TAP_EXPECT(strcmp(pmm_name(), "bitmap") == 0);
	pmm_init(&map, NULL);
	TAP_EXPECT(strcmp(pmm_name(), "bitmap") == 0);
	TAP_EXPECT_EQ(pmm_total_pages(), 255);
	paddr_t pa = page_alloc_aligned(2, 2);
	TAP_EXPECT_EQ(pa, 0x80002000);
	TAP_EXPECT_EQ(pmm_free_pages(), 253);
	page_free(pa, 2);
	TAP_EXPECT_EQ(pmm_free_pages(), 255);
	TAP_EXPECT_PANIC(page_free(pa, 1));
	TAP_EXPECT(strstr(host_panic_message, "double free"));
}

TAP_TEST(pmm_unknown_allocator_panics_listing_the_valid_ones)
{
	one_mib_machine();
	TAP_EXPECT_PANIC(pmm_init(&map, "slab"));
	TAP_EXPECT(strstr(host_panic_message, "\"slab\""));
	TAP_EXPECT(strstr(host_panic_message, "bump, bitmap, freelist or buddy"));
}

/* ---- Model check (pmm_host.h) ----------------------------------------- */

#define WINDOW       0xfff00000        /* the model's: straddles 4 GiB */
#define WINDOW_PAGES 1024

/* Does any aligned run of n free pages exist? (Brute force.) */
static bool model_has_run(uint64_t n, uint64_t align)
{
	for (uint64_t i = 0; i < WINDOW_PAGES; i++)
		if (page_of(ALIGN_UP(WINDOW + P(i), P(align))) == i &&
		    model_is(i, n, FREE))
			return true;
	return false;
}

static void free_run(paddr_t pa, uint64_t n)
{
	bitmap_free(&bm, pa, n);
}

static uint64_t free_count(void)
{
	return bitmap_free_pages(&bm);
}

/* One random operation; false if the allocator contradicts the model.
 * A request fails only if no free run fits it anywhere. */
static bool random_op(void)
{
	int slot = random_below(64);

	if (live[slot].n) {                     /* free all or the tail */
		release_tail(slot, free_run);
		return true;
	}
	uint64_t n = 1 + random_below(random_below(3) ? 2 : 20);
	uint64_t align = (uint64_t)1 << random_below(5);
	paddr_t pa = bitmap_alloc(&bm, n, align);
	if (pa == PHYS_NONE)
		return !model_has_run(n, align);
	return IS_ALIGNED(pa, P(align)) && take(pa, n, slot, 0);
}

TAP_TEST(random_operations_match_the_model)
{
	int failures = 0;

	random_seed(0x9e3779b97f4a7c15);
	for (int round = 0; round < 20 && failures < 5; round++) {
		start_round(WINDOW, WINDOW_PAGES, 100, machine);
		for (unsigned i = 0; i < bm.nregions; i++)
			model_set(bm.region[i].base, bm.region[i].npages, FREE);
		failures = random_ops_agree(round, 1000, failures, random_op,
					    free_count);
	}
}

TAP_MAIN()

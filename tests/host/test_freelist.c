/*
 * Host unit tests for mm/freelist.c.
 *
 * As in test_bitmap.c, each test describes a small machine inside a window
 * of fake physical memory, and everything that is not usable RAM is
 * poisoned for AddressSanitizer. One test poisons all of RAM while the
 * allocator starts, proving that start-up touches no page. The last test
 * checks thousands of random operations against a one-byte-per-page model.
 */
#include "mm/freelist.h"
#include "tests/host/pmm_host.h"

static struct freelist fl;

/* Fake RAM (pmm_host.h) for [window, window + size), of which the ram[]
 * ranges minus [res_base, res_base + res_size) are usable, and a free
 * list on it, poisoning. */
static void machine(paddr_t window, uint64_t size, const struct mem_range *ram,
		    unsigned nram, paddr_t res_base, uint64_t res_size)
{
	fake_ram(window, size, ram, nram, res_base, res_size);
	bump_init(&bump, &map);
	freelist_init(&fl, &map, &bump, true);
}

static paddr_t alloc_one(void)
{
	return freelist_alloc(&fl, 1, 1);
}

/* One region of n pages at 0x80000000; its first page holds the bits. */
static void simple_machine(uint64_t n)
{
	MACHINE(0x80000000, P(n), 0, 0, { 0x80000000, 0x80000000 + P(n) });
}

#define FIRST 0x80001000        /* first managed page of simple_machine */

static uint64_t *page_words(paddr_t pa)
{
	return phys_to_virt(pa);
}

/* ---- Setting up ----------------------------------------------------------- */

TAP_TEST(start_up_touches_no_page)
{
	const struct mem_range ram = { 0x80000000, 0x80000000 + 16 * MiB };
	uint8_t *arena = fake_ram(0x80000000, 16 * MiB, &ram, 1, 0, 0);

	ASAN_POISON_MEMORY_REGION(arena, 16 * MiB);     /* all of it */
	bump_init(&bump, &map);
	freelist_init(&fl, &map, &bump, true);
	TAP_EXPECT_EQ(freelist_total_pages(&fl), 4095);
	TAP_EXPECT_EQ(freelist_free_pages(&fl), 4095);
	TAP_EXPECT_EQ(fl.listed, 0);
	/* Handing out untouched pages writes only the bits (page 0). */
	ASAN_UNPOISON_MEMORY_REGION(arena, PAGE_SIZE);
	TAP_EXPECT_EQ(freelist_alloc(&fl, 1, 1), FIRST);
	TAP_EXPECT_EQ(freelist_alloc(&fl, 100, 1), FIRST + P(1));
	ASAN_UNPOISON_MEMORY_REGION(arena, 16 * MiB);
}

/* ---- Allocating and freeing -------------------------------------------- */

TAP_TEST(untouched_pages_come_out_in_order)
{
	simple_machine(16);
	for (int i = 0; i < 15; i++)
		TAP_EXPECT_EQ(freelist_alloc(&fl, 1, 1), FIRST + P(i));
	TAP_EXPECT_EQ(freelist_alloc(&fl, 1, 1), PHYS_NONE);
}

/* A 16-page machine on which *a and then *b were allocated, and freed in
 * that order: the list is b, a. */
static void two_freed_pages(paddr_t *a, paddr_t *b)
{
	simple_machine(16);
	*a = freelist_alloc(&fl, 1, 1);
	*b = freelist_alloc(&fl, 1, 1);
	freelist_free(&fl, *a, 1);
	freelist_free(&fl, *b, 1);
}

TAP_TEST(freed_pages_are_reused_last_in_first_out)
{
	paddr_t a, b;

	two_freed_pages(&a, &b);
	TAP_EXPECT_EQ(fl.listed, 2);
	TAP_EXPECT_EQ(freelist_alloc(&fl, 1, 1), b);
	TAP_EXPECT_EQ(freelist_alloc(&fl, 1, 1), a);
	TAP_EXPECT_EQ(freelist_alloc(&fl, 1, 1), FIRST + P(2));
	TAP_EXPECT_EQ(freelist_free_pages(&fl), 12);
}

TAP_TEST(a_freed_page_is_poisoned_after_its_link)
{
	paddr_t a, b;

	two_freed_pages(&a, &b);
	uint64_t *w = page_words(b);
	TAP_EXPECT_EQ(w[0], a);                 /* the link */
	TAP_EXPECT_EQ(w[1], FREELIST_POISON);
	TAP_EXPECT_EQ(w[PAGE_SIZE / 8 - 1], FREELIST_POISON);
	TAP_EXPECT_EQ(page_words(a)[0], PHYS_NONE);
}

TAP_TEST(a_write_after_free_is_caught_and_repaired)
{
	simple_machine(16);
	paddr_t a = freelist_alloc(&fl, 1, 1);

	freelist_free(&fl, a, 1);
	page_words(a)[0x100 / 8] = 0x1234;      /* a stale pointer strikes */
	TAP_EXPECT_PANIC(freelist_alloc(&fl, 1, 1));
	TAP_EXPECT(strstr(host_panic_message, "freelist_alloc: page 0x80001000 "
			  "was written after it was freed (offset 0x100, found "
			  "0x1234)"));
	TAP_EXPECT(!spin_is_locked(&fl.lock));
	/* The page was re-poisoned and left on the list: no harm done. */
	TAP_EXPECT_EQ(freelist_free_pages(&fl), 15);
	TAP_EXPECT_EQ(freelist_alloc(&fl, 1, 1), a);
}

TAP_TEST(a_damaged_link_is_caught)
{
	simple_machine(16);
	paddr_t a = freelist_alloc(&fl, 1, 1);

	freelist_free(&fl, a, 1);
	page_words(a)[0] = 0x80005000;          /* not on the list */
	TAP_EXPECT_PANIC(freelist_alloc(&fl, 1, 1));
	TAP_EXPECT(strstr(host_panic_message, "page 0x80001000 was written "
			  "after it was freed (offset 0x0, found 0x80005000)"));
	TAP_EXPECT(!spin_is_locked(&fl.lock));
}

TAP_TEST(without_poisoning_nothing_is_filled_or_checked)
{
	const struct mem_range ram = { 0x80000000, 0x80000000 + P(4) };

	fake_ram(0x80000000, P(4), &ram, 1, 0, 0);
	bump_init(&bump, &map);
	freelist_init(&fl, &map, &bump, false);
	paddr_t a = freelist_alloc(&fl, 1, 1);

	page_words(a)[1] = 42;
	freelist_free(&fl, a, 1);
	TAP_EXPECT_EQ(page_words(a)[1], 42);
	page_words(a)[2] = 43;
	TAP_EXPECT_EQ(freelist_alloc(&fl, 1, 1), a);
}

TAP_TEST(runs_are_carved_from_untouched_tails)
{
	simple_machine(64);
	TAP_EXPECT_EQ(freelist_alloc(&fl, 4, 1), FIRST);
	/* Aligned: pages 0x80005000..0x80007000 are skipped onto the list. */
	TAP_EXPECT_EQ(freelist_alloc(&fl, 2, 8), 0x80008000);
	TAP_EXPECT_EQ(fl.listed, 3);
	TAP_EXPECT_EQ(freelist_free_pages(&fl), 63 - 6);
	TAP_EXPECT_EQ(freelist_alloc(&fl, 1, 1), 0x80007000);
	/* An aligned single page also comes from the tail. */
	TAP_EXPECT_EQ(freelist_alloc(&fl, 1, 2), 0x8000a000);
}

TAP_TEST(runs_fail_once_the_tails_are_gone)
{
	simple_machine(9);
	paddr_t run = freelist_alloc(&fl, 8, 1);

	freelist_free(&fl, run, 8);
	TAP_EXPECT_EQ(freelist_free_pages(&fl), 8);
	TAP_EXPECT_EQ(freelist_alloc(&fl, 2, 1), PHYS_NONE);
	TAP_EXPECT_EQ(freelist_alloc(&fl, 1, 2), PHYS_NONE);
	/* The freed run went on the list page by page. */
	for (int i = 7; i >= 0; i--)
		TAP_EXPECT_EQ(freelist_alloc(&fl, 1, 1), run + P(i));
}

TAP_TEST(holes_and_memory_above_4_gib)
{
	const paddr_t w = 0x100000000 - 8 * MiB;

	MACHINE(w, 16 * MiB, w + 3 * MiB, 1 * MiB, { w + 0x123, w + 7 * MiB },
		{ w + 7 * MiB + P(2), w + 8 * MiB + P(1) },
		{ w + 9 * MiB, w + 9 * MiB + P(1) }, { w + 10 * MiB, w + 16 * MiB });
	uint64_t total = freelist_total_pages(&fl), above;

	TAP_EXPECT_EQ(take_every_page(alloc_one, &above), total);
	TAP_EXPECT_EQ(above, 1 + 1 + 6 * MiB / PAGE_SIZE);
	freelist_free(&fl, 0x100000000, 1);
	freelist_free(&fl, w + 9 * MiB, 1);
	TAP_EXPECT_EQ(freelist_alloc(&fl, 1, 1), w + 9 * MiB);
	TAP_EXPECT_EQ(freelist_alloc(&fl, 1, 1), 0x100000000);
}

/* ---- Freeing: the rules -------------------------------------------------- */

TAP_TEST(a_bad_free_panics_names_the_page_and_changes_nothing)
{
	simple_machine(16);
	paddr_t pa = freelist_alloc(&fl, 3, 1);
	freelist_free(&fl, pa + P(2), 1);
	uint64_t free_before = freelist_free_pages(&fl);

	TAP_EXPECT_PANIC(freelist_free(&fl, pa + P(2), 1));
	TAP_EXPECT(strstr(host_panic_message, "freelist_free: page 0x80003000 "
			  "is already free (double free)"));
	TAP_EXPECT_PANIC(freelist_free(&fl, pa, 3));
	TAP_EXPECT(strstr(host_panic_message, "page 0x80003000 is already free"));
	/* Never handed out: still in the untouched tail. */
	TAP_EXPECT_PANIC(freelist_free(&fl, pa + P(5), 1));
	TAP_EXPECT(strstr(host_panic_message, "page 0x80006000 is already free "
			  "(double free)"));
	TAP_EXPECT_PANIC(freelist_free(&fl, pa + 0x800, 1));
	TAP_EXPECT(strstr(host_panic_message, "freelist_free: page 0x80001800 "
			  "is not page aligned"));
	TAP_EXPECT_PANIC(freelist_free(&fl, 0x80000000, 1));    /* the bits */
	TAP_EXPECT(strstr(host_panic_message, "freelist_free: page 0x80000000 "
			  "is outside the memory this allocator manages"));
	TAP_EXPECT_PANIC(freelist_free(&fl, pa, 16));
	TAP_EXPECT(strstr(host_panic_message, "page 0x80010000 is outside"));
	TAP_EXPECT_PANIC(freelist_free(&fl, pa, 0));
	TAP_EXPECT_PANIC(freelist_alloc(&fl, 1, 12));

	TAP_EXPECT(!spin_is_locked(&fl.lock));
	TAP_EXPECT_EQ(freelist_free_pages(&fl), free_before);
	freelist_free(&fl, pa, 2);
	TAP_EXPECT_EQ(freelist_free_pages(&fl), freelist_total_pages(&fl));
}

TAP_TEST(reserved_memory_is_never_handed_out)
{
	MACHINE(0x80000000, P(64), 0x80000000 + P(20), 0x3456,
		{ 0x80000000, 0x80000000 + P(64) });
	paddr_t pa;
	uint64_t got = 0;
	while ((pa = freelist_alloc(&fl, 1, 1)) != PHYS_NONE) {
		TAP_EXPECT(pa < 0x80000000 + P(20) || pa >= 0x80000000 + P(24));
		freelist_free(&fl, pa, 1);      /* poisons: ASan watches */
		TAP_EXPECT_EQ(freelist_alloc(&fl, 1, 1), pa);
		got++;
	}
	TAP_EXPECT_EQ(got, 64 - 4 - 1);
	TAP_EXPECT_PANIC(freelist_free(&fl, 0x80000000 + P(21), 1));
	TAP_EXPECT(strstr(host_panic_message, "outside the memory"));
}

/* ---- Through the page_alloc interface --------------------------------- */

TAP_TEST(pmm_freelist_goes_through_the_ops_table)
{
	one_mib_machine();
	pmm_init(&map, "freelist");
	TAP_EXPECT(strcmp(pmm_name(), "freelist") == 0);
	TAP_EXPECT_EQ(pmm_total_pages(), 255);
	paddr_t pa = page_alloc(1);
	page_free(pa, 1);
	TAP_EXPECT_EQ(page_alloc(1), pa);
	TAP_EXPECT_EQ(pmm_free_pages(), 254);
}

/* ---- Model check (pmm_host.h) ----------------------------------------- */

#define WINDOW       0xfff00000        /* the model's: straddles 4 GiB */
#define WINDOW_PAGES 1024

static void free_run(paddr_t pa, uint64_t n)
{
	freelist_free(&fl, pa, n);
}

static uint64_t free_count(void)
{
	return freelist_free_pages(&fl);
}

/* One random operation; false if the allocator contradicts the model.
 * A run may fail while enough single pages are free (the list knows no
 * adjacency), but a single page must not. */
static bool random_op(void)
{
	int slot = random_below(64);

	if (live[slot].n) {                     /* free all or the tail */
		release_tail(slot, free_run);
		return true;
	}
	bool single = random_below(4) != 0;
	uint64_t n = single ? 1 : 1 + random_below(8);
	uint64_t align = single ? 1 : (uint64_t)1 << random_below(4);
	paddr_t pa = freelist_alloc(&fl, n, align);
	if (pa == PHYS_NONE)
		return !(single && model_free() > 0);
	return IS_ALIGNED(pa, P(align)) && take(pa, n, slot, 0);
}

TAP_TEST(random_operations_match_the_model)
{
	int failures = 0;

	random_seed(0x853c49e6748fea9b);
	for (int round = 0; round < 20 && failures < 5; round++) {
		start_round(WINDOW, WINDOW_PAGES, 100, machine);
		for (unsigned i = 0; i < fl.nregions; i++)
			model_set(fl.region[i].base, (fl.region[i].end -
				  fl.region[i].base) / PAGE_SIZE, FREE);
		failures = random_ops_agree(round, 1000, failures, random_op,
					    free_count);
	}
}

TAP_MAIN()

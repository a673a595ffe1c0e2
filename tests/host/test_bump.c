/*
 * Host unit tests for mm/bump.c, the boot allocator.
 *
 * The bump allocator never touches the memory it hands out, so these
 * tests need no fake RAM at all: the maps below describe machines that do
 * not exist (regions above 4 GiB, at 256 GiB, one page long). The last
 * test checks thousands of random requests against an obviously-correct
 * model that re-walks the whole map for every request.
 */
#include "mm/bump.h"
#include "tests/host/pmm_host.h"

/* A map with exactly these RAM ranges and nothing reserved; start a bump. */
static void make_map(const struct mem_range *ram, unsigned n)
{
	map_ram(ram, n);
	memmap_finalize(&map);
	bump_init(&bump, &map);
}

#define MAP(...) make_map(RANGES(__VA_ARGS__))

/* ---- Handing out pages --------------------------------------------------- */

TAP_TEST(pages_come_out_in_order)
{
	MAP({ 0x80000000, 0x80000000 + P(16) });
	TAP_EXPECT_EQ(bump_total_pages(&bump), 16);
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), 0x80000000);
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), 0x80000000 + P(1));
	TAP_EXPECT_EQ(bump_alloc(&bump, 3, 1), 0x80000000 + P(2));
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), 0x80000000 + P(5));
	TAP_EXPECT_EQ(bump_free_pages(&bump), 10);
	TAP_EXPECT_EQ(bump_total_pages(&bump), 16);
}

TAP_TEST(holes_are_skipped)
{
	MAP({ 0x1000, 0x3000 }, { 0x100000, 0x102000 });
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), 0x1000);
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), 0x2000);
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), 0x100000);
	TAP_EXPECT_EQ(bump.skipped, 0);
}

TAP_TEST(page_zero_is_a_page_like_any_other)
{
	MAP({ 0, P(2) });
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), 0);
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), P(1));
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), PHYS_NONE);
}

TAP_TEST(unaligned_ram_is_trimmed_to_whole_pages)
{
	MAP({ 0x80000123, 0x80004567 });
	TAP_EXPECT_EQ(bump_total_pages(&bump), 3);
	TAP_EXPECT_EQ(bump_alloc(&bump, 3, 1), 0x80001000);
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), PHYS_NONE);
}

TAP_TEST(a_run_too_big_for_the_rest_of_a_region_skips_it)
{
	MAP({ 0x10000, 0x10000 + P(3) }, { 0x40000, 0x40000 + P(10) });
	TAP_EXPECT_EQ(bump_alloc(&bump, 4, 1), 0x40000);
	TAP_EXPECT_EQ(bump.skipped, 3);
	TAP_EXPECT_EQ(bump_free_pages(&bump), 6);
	/* The cursor cannot go back to the skipped region. */
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), 0x40000 + P(4));
}

TAP_TEST(alignment_wastes_the_gap)
{
	MAP({ 0x80001000, 0x80001000 + P(64) });
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 4), 0x80004000);
	TAP_EXPECT_EQ(bump.skipped, 3);
	TAP_EXPECT_EQ(bump_alloc(&bump, 2, 16), 0x80010000);
	TAP_EXPECT_EQ(bump.skipped, 3 + 11);
	TAP_EXPECT_EQ(bump_free_pages(&bump), 64 - 1 - 2 - 14);
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), 0x80012000);
}

TAP_TEST(alignment_larger_than_all_memory_fails)
{
	MAP({ 0x1000, P(64) });
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, (uint64_t)1 << 51), PHYS_NONE);
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 64), PHYS_NONE);
	TAP_EXPECT_EQ(bump_free_pages(&bump), 63);
}

TAP_TEST(works_above_4_gib)
{
	MAP({ 0x80000000, 0x80000000 + P(2) },
	    { 0x100000000, 0x100000000 + P(4) },
	    { 0x4000000000, 0x4000000000 + 2 * GiB });
	TAP_EXPECT_EQ(bump_total_pages(&bump), 2 + 4 + 2 * GiB / PAGE_SIZE);
	TAP_EXPECT_EQ(bump_alloc(&bump, 3, 1), 0x100000000);
	TAP_EXPECT_EQ(bump_alloc(&bump, 2 * GiB / PAGE_SIZE, 1), 0x4000000000);
	TAP_EXPECT_EQ(bump_free_pages(&bump), 0);
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), PHYS_NONE);
}

TAP_TEST(one_page_regions)
{
	MAP({ P(1), P(2) }, { P(3), P(4) }, { P(5), P(6) });
	TAP_EXPECT_EQ(bump_alloc(&bump, 2, 1), PHYS_NONE);
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), P(1));
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), P(3));
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), P(5));
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), PHYS_NONE);
}

TAP_TEST(a_failed_request_moves_nothing)
{
	MAP({ 0x1000, 0x1000 + P(8) }, { 0x20000, 0x20000 + P(8) });
	TAP_EXPECT_EQ(bump_alloc(&bump, 9, 1), PHYS_NONE);
	TAP_EXPECT_EQ(bump_free_pages(&bump), 16);
	TAP_EXPECT_EQ(bump.skipped, 0);
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), 0x1000);
}

TAP_TEST(exhaustion_returns_phys_none)
{
	MAP({ 0x1000, 0x1000 + P(5) }, { 0x80000, 0x80000 + P(7) });
	int got = 0;

	while (bump_alloc(&bump, 1, 1) != PHYS_NONE)
		got++;
	TAP_EXPECT_EQ(got, 12);
	TAP_EXPECT_EQ(bump_free_pages(&bump), 0);
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), PHYS_NONE);
}

TAP_TEST(empty_map_has_nothing)
{
	memmap_init(&map);
	memmap_finalize(&map);
	bump_init(&bump, &map);
	TAP_EXPECT_EQ(bump_total_pages(&bump), 0);
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), PHYS_NONE);
}

/* ---- Rules ---------------------------------------------------------------- */

TAP_TEST(free_panics)
{
	MAP({ 0x1000, 0x1000 + P(4) });
	paddr_t pa = bump_alloc(&bump, 1, 1);

	TAP_EXPECT_PANIC(bump_free(&bump, pa, 1));
	TAP_EXPECT(strstr(host_panic_message, "bump_free"));
	TAP_EXPECT(strstr(host_panic_message, "cannot free"));
	TAP_EXPECT(strstr(host_panic_message, "0x1000"));
}

TAP_TEST(bad_requests_panic_and_release_the_lock)
{
	MAP({ 0x1000, 0x1000 + P(4) });
	TAP_EXPECT_PANIC(bump_alloc(&bump, 0, 1));
	TAP_EXPECT(strstr(host_panic_message, "bump_alloc: asked for 0 pages"));
	TAP_EXPECT_PANIC(bump_alloc(&bump, 1, 3));
	TAP_EXPECT(strstr(host_panic_message, "not a power of two"));
	TAP_EXPECT_PANIC(bump_alloc(&bump, 1, 0));
	TAP_EXPECT(!spin_is_locked(&bump.lock));
	TAP_EXPECT_EQ(bump_alloc(&bump, 1, 1), 0x1000);
}

TAP_TEST(handover_reports_the_cursor_and_stops_allocation)
{
	MAP({ 0x1000, 0x1000 + P(4) }, { 0x20000, 0x20000 + P(4) });
	bump_alloc(&bump, 3, 1);
	bump_alloc(&bump, 2, 1);
	TAP_EXPECT_EQ(bump_handover(&bump), 0x20000 + P(2));
	TAP_EXPECT_PANIC(bump_alloc(&bump, 1, 1));
	TAP_EXPECT(strstr(host_panic_message, "handed its memory over"));
	TAP_EXPECT(!spin_is_locked(&bump.lock));
}

TAP_TEST(handover_before_any_allocation_is_the_first_page)
{
	MAP({ 0x5000, 0x5000 + P(4) });
	TAP_EXPECT_EQ(bump_handover(&bump), 0x5000);
}

TAP_TEST(reserved_memory_is_never_handed_out)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x80000000, 64 * MiB);
	memmap_add_reserved(&map, 0x80000000, 2 * MiB, "firmware");
	memmap_add_reserved(&map, 0x80200000, 0x12345, "kernel");
	memmap_add_reserved(&map, 0x87000000, 0x800, "dtb");
	memmap_finalize(&map);
	bump_init(&bump, &map);

	paddr_t pa;
	uint64_t pages = 0;
	while ((pa = bump_alloc(&bump, 7, 2)) != PHYS_NONE) {
		TAP_EXPECT(memmap_is_usable(&map, pa, P(7)));
		pages += 7;
	}
	TAP_EXPECT_EQ(pages + bump.skipped + bump_free_pages(&bump),
		      bump_total_pages(&bump));
}

/* ---- Through the page_alloc interface --------------------------------- */

TAP_TEST(pmm_bump_goes_through_the_ops_table)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x80000000, 1 * MiB);
	memmap_finalize(&map);
	pmm_init(&map, "bump");
	TAP_EXPECT(strcmp(pmm_name(), "bump") == 0);
	TAP_EXPECT_EQ(pmm_total_pages(), 256);
	TAP_EXPECT_EQ(page_alloc(1), 0x80000000);
	TAP_EXPECT_EQ(page_alloc_aligned(1, 4), 0x80004000);
	TAP_EXPECT_EQ(pmm_free_pages(), 256 - 5);
	TAP_EXPECT_PANIC(page_free(0x80000000, 1));
	TAP_EXPECT(strstr(host_panic_message, "cannot free"));
}

/* ---- Model check ------------------------------------------------------- */

/* The model: re-walk the whole map for each request, from the address
 * where the last run ended. Slow and obviously right. */
static paddr_t model_alloc(paddr_t *cursor, uint64_t npages, uint64_t align)
{
	for (unsigned i = 0; i < map.nusable; i++) {
		paddr_t pa = ALIGN_UP(MAX(*cursor, map.usable[i].base),
				      align * PAGE_SIZE);
		if (pa + P(npages) <= map.usable[i].end) {
			*cursor = pa + P(npages);
			return pa;
		}
	}
	return PHYS_NONE;
}

static uint64_t model_free_pages(paddr_t cursor)
{
	uint64_t pages = 0;

	for (unsigned i = 0; i < map.nusable; i++)
		if (map.usable[i].end > cursor)
			pages += (map.usable[i].end -
				  MAX(cursor, map.usable[i].base)) / PAGE_SIZE;
	return pages;
}

/* A random map: up to 40 regions of 1..64 pages, holes between, some
 * above 4 GiB. */
static void random_map(void)
{
	paddr_t at = random_below(4) * 0x40000000;

	memmap_init(&map);
	for (int i = 0, n = 1 + random_below(40); i < n; i++) {
		at += P(1 + random_below(8)) + (random_below(8) == 0 ? 4 * GiB : 0);
		uint64_t size = P(1 + random_below(64));
		memmap_add_ram(&map, at, size);
		at += size;
	}
	memmap_finalize(&map);
	bump_init(&bump, &map);
}

TAP_TEST(random_requests_match_the_model)
{
	int mismatches = 0;

	random_seed(0x2545f4914f6cdd1d);
	for (int round = 0; round < 200 && mismatches < 5; round++) {
		random_map();
		paddr_t cursor = 0;
		for (int op = 0; op < 100 && mismatches < 5; op++) {
			uint64_t n = 1 + random_below(random_below(4) ? 4 : 80);
			uint64_t align = (uint64_t)1 << random_below(6);
			paddr_t want = model_alloc(&cursor, n, align);
			paddr_t got = bump_alloc(&bump, n, align);
			if (got != want ||
			    bump_free_pages(&bump) != model_free_pages(cursor)) {
				TAP_FAIL("round %d op %d: alloc(%lu, %lu) gave "
					 "%#lx, model %#lx", round, op,
					 (unsigned long)n, (unsigned long)align,
					 (unsigned long)got, (unsigned long)want);
				mismatches++;
			}
		}
	}
}

TAP_MAIN()

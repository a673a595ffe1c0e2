/*
 * Host unit tests for the buddy allocator (mm/buddy.c), its frame records
 * (mm/frame.c) and its per-CPU caches (mm/pcp.c).
 *
 * As in test_bitmap.c, each test describes a small machine inside a window
 * of fake physical memory, and everything in the window that is not usable
 * RAM is poisoned for AddressSanitizer: touching a hole or a reserved page
 * stops the test. The host has one CPU (arch_cpu_id() is 0), so only cache
 * 0 is used. The last test checks thousands of random operations against
 * a model: one byte per page.
 */
#include <stdarg.h>

#include "mm/buddy.h"
#include "tests/host/pmm_host.h"

static struct buddy bd;

#define MAX_ORDER BUDDY_MAX_ORDER

/*
 * Fake RAM (pmm_host.h) for [window, window + size), of which the ram[]
 * ranges minus [res_base, res_base + res_size) are usable, and a buddy
 * allocator on it. The bump allocator puts the section directory, then
 * the frame records, in the first usable pages.
 */
static void machine(paddr_t window, uint64_t size, const struct mem_range *ram,
		    unsigned nram, paddr_t res_base, uint64_t res_size)
{
	fake_ram(window, size, ram, nram, res_base, res_size);
	bump_init(&bump, &map);
	buddy_init(&bd, &map, &bump);
}

static paddr_t alloc_one(void)
{
	return buddy_alloc_order(&bd, 0);
}

#define BASE 0x80000000

/* One region of n pages at BASE. For n <= 128, page 0 holds the section
 * directory and page 1 the records: frames 2 .. n-1 are managed. */
static void simple_machine(uint64_t n)
{
	MACHINE(BASE, P(n), 0, 0, { BASE, BASE + P(n) });
}

/* ---- Helpers ------------------------------------------------------------ */

static uint64_t counts[MAX_ORDER + 1];

/* Remember the free blocks per order, to compare with later. */
static void snapshot(void)
{
	for (unsigned k = 0; k <= MAX_ORDER; k++)
		counts[k] = buddy_free_blocks(&bd, k);
}

/* Are the free blocks per order those of the snapshot? Says which not. */
static bool same_as_snapshot(void)
{
	bool same = true;

	for (unsigned k = 0; k <= MAX_ORDER; k++) {
		if (buddy_free_blocks(&bd, k) != counts[k]) {
			printf("# order %u: %lu free blocks, %lu at the "
			       "snapshot\n", k,
			       (unsigned long)buddy_free_blocks(&bd, k),
			       (unsigned long)counts[k]);
			same = false;
		}
	}
	return same;
}

/* Do the free lists hold exactly these numbers of blocks, order 0 up? */
static bool lists_are(const uint64_t *want, unsigned n)
{
	bool same = true;

	for (unsigned k = 0; k <= MAX_ORDER; k++) {
		uint64_t w = k < n ? want[k] : 0;
		if (buddy_free_blocks(&bd, k) != w) {
			printf("# order %u: %lu free blocks, expected %lu\n", k,
			       (unsigned long)buddy_free_blocks(&bd, k),
			       (unsigned long)w);
			same = false;
		}
	}
	return same;
}

#define LISTS_ARE(...)                                                       \
	lists_are((const uint64_t[]){ __VA_ARGS__ },                          \
		  sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))

/* The record of the frame at pa. */
static struct frame *rec(paddr_t pa)
{
	return frame_lookup(&bd.frames, pa);
}

static uint64_t cached(void)
{
	return bd.pcp[0].frames.count;
}

/* Did the last panic say this (formatted)? */
static bool panicked_with(const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (strstr(host_panic_message, text))
		return true;
	printf("# panic \"%s\" does not say \"%s\"\n", host_panic_message,
	       text);
	return false;
}

/* ---- Frame records ------------------------------------------------------ */

TAP_TEST(a_record_is_32_bytes_and_never_straddles_a_cache_line)
{
	simple_machine(64);
	TAP_EXPECT_EQ(sizeof(struct frame), 32);
	TAP_EXPECT_EQ(_Alignof(struct frame), 32);
	struct frame *f = frame_lookup(&bd.frames, BASE);
	TAP_EXPECT((uintptr_t)f % 64 == 0);
	TAP_EXPECT_EQ(bd.frames.nframes, 64);
	TAP_EXPECT_EQ(bd.frames.nsections, 1);
}

TAP_TEST(lookup_finds_every_frame_and_rejects_out_of_range)
{
	simple_machine(100);
	for (uint64_t i = 0; i < 100; i++) {
		struct frame *f = frame_lookup(&bd.frames, BASE + P(i));
		TAP_EXPECT(f != NULL);
		if (f)
			TAP_EXPECT_EQ(f->pa, BASE + P(i));
	}
	/* Any address inside a frame finds that frame. */
	TAP_EXPECT(frame_lookup(&bd.frames, BASE + P(7) + 0x123) ==
		   frame_lookup(&bd.frames, BASE + P(7)));
	TAP_EXPECT(frame_lookup(&bd.frames, BASE - 1) == NULL);
	TAP_EXPECT(frame_lookup(&bd.frames, BASE + P(100)) == NULL);
	TAP_EXPECT(frame_lookup(&bd.frames, 0) == NULL);
	TAP_EXPECT(frame_lookup(&bd.frames, PHYS_NONE) == NULL);
	TAP_EXPECT(frame_lookup(&bd.frames, 0x4000000000000) == NULL);
}

TAP_TEST(the_records_come_from_the_bump_and_are_not_managed)
{
	simple_machine(64);
	TAP_EXPECT_EQ(frame_lookup(&bd.frames, BASE)->state, FRAME_RESERVED);
	TAP_EXPECT_EQ(frame_lookup(&bd.frames, BASE + P(1))->state,
		      FRAME_RESERVED);
	TAP_EXPECT_EQ(buddy_total_pages(&bd), 62);
	TAP_EXPECT_EQ(buddy_free_pages(&bd), 62);
	TAP_EXPECT_PANIC(buddy_free_order(&bd, BASE + P(1), 0));
	TAP_EXPECT(strstr(host_panic_message, "buddy_free_order: page "
			  "0x80001000 is outside the memory this allocator "
			  "manages"));
}

TAP_TEST(no_records_for_a_hole_and_ram_above_4_gib)
{
	/* Sections are 128 MiB. RAM in the section below 0xf8000000 and in
	 * the one at 4 GiB; the section between is all hole. */
	const paddr_t w = 0xf4000000;
	MACHINE(w, 0x10c000000 - w, 0, 0, { w, w + 8 * MiB },
		{ 0x100000000, 0x100000000 + 8 * MiB + P(3) });
	TAP_EXPECT_EQ(bd.frames.nsections, 3);
	TAP_EXPECT(bd.frames.section[1].frames == NULL);
	TAP_EXPECT_EQ(bd.frames.nframes, 2048 + 2051);
	TAP_EXPECT(frame_lookup(&bd.frames, w + 8 * MiB) == NULL);
	TAP_EXPECT(frame_lookup(&bd.frames, 0xf8000000) == NULL);
	TAP_EXPECT(frame_lookup(&bd.frames, 0xfffff000) == NULL);
	TAP_EXPECT(frame_lookup(&bd.frames, 0x100000000 + 8 * MiB + P(3)) ==
		   NULL);
	TAP_EXPECT_EQ(frame_lookup(&bd.frames, 0x100000000)->pa, 0x100000000);

	uint64_t above, got = take_every_page(alloc_one, &above);

	TAP_EXPECT_EQ(got, buddy_total_pages(&bd));
	TAP_EXPECT_EQ(above, 2051);
	TAP_EXPECT_EQ(buddy_free_pages(&bd), 0);
}

/* ---- Setting up: blocks ------------------------------------------------- */

TAP_TEST(each_range_is_cut_into_the_largest_aligned_blocks)
{
	/* Managed: frames 2..63, and 67..99 after a 3-frame hole. */
	MACHINE(BASE, P(100), 0, 0, { BASE, BASE + P(64) },
		{ BASE + P(67), BASE + P(100) });
	/* 2-3, 4-7, 8-15, 16-31, 32-63; 67, 68-71, 72-79, 80-95, 96-99 */
	TAP_EXPECT(LISTS_ARE(1, 1, 3, 2, 2, 1));
	TAP_EXPECT_EQ(buddy_total_pages(&bd), 62 + 33);
	TAP_EXPECT_EQ(bd.nregions, 2);
	TAP_EXPECT_EQ(rec(BASE + P(32))->state, FRAME_FREE);
	TAP_EXPECT_EQ(rec(BASE + P(32))->order, 5);
	TAP_EXPECT_EQ(rec(BASE + P(33))->state, FRAME_TAIL);
	TAP_EXPECT_EQ(rec(BASE + P(65))->state,
		      FRAME_RESERVED);
}

TAP_TEST(a_big_range_is_mostly_blocks_of_the_largest_order)
{
	/* 16 MiB + 5 pages: 4 MiB blocks, and the edges in small ones. */
	MACHINE(BASE, 16 * MiB + P(5), 0, 0,
		{ BASE + P(1), BASE + 16 * MiB + P(5) });
	/* Frames 1 to 4100: the directory in frame 1, 4100 records (33
	 * pages) after it. Managed: 35 (order 0), 36-39 (2), 40-47 (3),
	 * 48-63 (4), 64-127 (6), 128-255 (7), 256-511 (8), 512-1023 (9),
	 * three of order 10, then 4096-4099 (2) and 4100 (0). */
	TAP_EXPECT_EQ(buddy_total_pages(&bd), 4101 - 35);
	TAP_EXPECT(LISTS_ARE(2, 0, 2, 1, 1, 0, 1, 1, 1, 1, 3));
}

/* ---- Splitting and merging ---------------------------------------------- */

TAP_TEST(splitting_takes_the_smallest_block_and_frees_the_upper_halves)
{
	simple_machine(64);             /* 2-3, 4-7, 8-15, 16-31, 32-63 */
	snapshot();
	TAP_EXPECT_EQ(buddy_alloc_order(&bd, 1), BASE + P(2));  /* no split */
	TAP_EXPECT(LISTS_ARE(0, 0, 1, 1, 1, 1));
	TAP_EXPECT_EQ(buddy_alloc_order(&bd, 1), BASE + P(4));  /* 4-7 split */
	TAP_EXPECT(LISTS_ARE(0, 1, 0, 1, 1, 1));
	TAP_EXPECT_EQ(buddy_alloc_order(&bd, 2), BASE + P(8));  /* 8-15 split */
	TAP_EXPECT(LISTS_ARE(0, 1, 1, 0, 1, 1));
	TAP_EXPECT_EQ(buddy_alloc_order(&bd, 5), BASE + P(32));
	TAP_EXPECT_EQ(buddy_alloc_order(&bd, 5), PHYS_NONE);
	TAP_EXPECT_EQ(buddy_alloc_order(&bd, 4), BASE + P(16));
	TAP_EXPECT(LISTS_ARE(0, 1, 1));
	TAP_EXPECT_EQ(buddy_free_pages(&bd), 2 + 4);
	TAP_EXPECT_EQ(rec(BASE + P(8))->state,
		      FRAME_ALLOCATED);
	TAP_EXPECT_EQ(rec(BASE + P(8))->order, 2);
}

TAP_TEST(freeing_merges_back_to_the_initial_state)
{
	simple_machine(64);
	snapshot();
	paddr_t a = buddy_alloc_order(&bd, 1);          /* 2-3 */
	paddr_t b = buddy_alloc_order(&bd, 1);          /* 4-5 */
	paddr_t c = buddy_alloc_order(&bd, 1);          /* 6-7 */
	paddr_t d = buddy_alloc_order(&bd, 3);          /* 8-15 */
	paddr_t e = buddy_alloc_order(&bd, 2);          /* 16-19 */
	TAP_EXPECT_EQ(c, BASE + P(6));
	buddy_free_order(&bd, b, 1);    /* buddy 6-7 in use: no merge */
	TAP_EXPECT_EQ(buddy_free_blocks(&bd, 1), 1);
	buddy_free_order(&bd, c, 1);    /* 4-7 again */
	TAP_EXPECT_EQ(buddy_free_blocks(&bd, 1), 0);
	TAP_EXPECT_EQ(buddy_free_blocks(&bd, 2), 2);    /* 4-7, 20-23 */
	buddy_free_order(&bd, e, 2);    /* 16-23, 16-31 */
	buddy_free_order(&bd, d, 3);    /* 8-15: its buddy 0-7 is not ours */
	buddy_free_order(&bd, a, 1);
	TAP_EXPECT(same_as_snapshot());
	TAP_EXPECT_EQ(buddy_free_pages(&bd), 62);
	TAP_EXPECT_EQ(rec(BASE + P(20))->state, FRAME_TAIL);
}

TAP_TEST(blocks_never_merge_across_ranges)
{
	/* One reserved frame, 32, splits the RAM: 2..31 and 33..63. */
	MACHINE(BASE, P(64), BASE + P(32), P(1), { BASE, BASE + P(64) });
	TAP_EXPECT(LISTS_ARE(1, 2, 2, 2, 2));
	snapshot();
	paddr_t pa;
	while ((pa = buddy_alloc_order(&bd, 0)) != PHYS_NONE)
		TAP_EXPECT(pa != BASE + P(32));
	for (uint64_t i = 2; i < 64; i++)
		if (i != 32)
			buddy_free_order(&bd, BASE + P(i), 0);
	pcp_drain_all(&bd, pcp_run_here);
	TAP_EXPECT(same_as_snapshot());
	TAP_EXPECT_EQ(buddy_alloc_order(&bd, 5), PHYS_NONE);
	TAP_EXPECT_EQ(buddy_free_pages(&bd), 61);
}

TAP_TEST(fragmentation_blocks_large_orders_until_the_buddies_return)
{
	simple_machine(64);
	snapshot();
	paddr_t pa[64];
	uint64_t n = 0;
	while ((pa[n] = buddy_alloc_order(&bd, 0)) != PHYS_NONE)
		n++;
	TAP_EXPECT_EQ(n, 62);
	/* Every other frame back: half the memory free, nothing merges. */
	for (uint64_t i = 0; i < n; i++)
		if ((pa[i] / PAGE_SIZE) % 2 == 0)
			buddy_free_order(&bd, pa[i], 0);
	TAP_EXPECT_EQ(buddy_free_pages(&bd), 31);
	TAP_EXPECT_EQ(buddy_alloc_order(&bd, 1), PHYS_NONE);
	pcp_drain_all(&bd, pcp_run_here);
	TAP_EXPECT(LISTS_ARE(31));
	/* The other half: everything merges back. */
	for (uint64_t i = 0; i < n; i++)
		if ((pa[i] / PAGE_SIZE) % 2 == 1)
			buddy_free_order(&bd, pa[i], 0);
	pcp_drain_all(&bd, pcp_run_here);
	TAP_EXPECT(same_as_snapshot());
	TAP_EXPECT_EQ(buddy_alloc_order(&bd, 5), BASE + P(32));
}

/* ---- The per-CPU cache -------------------------------------------------- */

TAP_TEST(single_frames_come_from_a_cache_refilled_in_batches)
{
	MACHINE(BASE, 2 * MiB, 0, 0, { BASE, BASE + 2 * MiB });
	uint64_t free = buddy_free_pages(&bd), listed = bd.free_pages;

	paddr_t pa = buddy_alloc_order(&bd, 0);
	TAP_EXPECT(pa != PHYS_NONE);
	TAP_EXPECT_EQ(cached(), PCP_BATCH - 1);
	TAP_EXPECT_EQ(bd.free_pages, listed - PCP_BATCH);
	TAP_EXPECT_EQ(buddy_free_pages(&bd), free - 1);
	TAP_EXPECT_EQ(rec(pa)->state, FRAME_ALLOCATED);

	buddy_free_order(&bd, pa, 0);           /* back to the cache */
	TAP_EXPECT_EQ(cached(), PCP_BATCH);
	TAP_EXPECT_EQ(rec(pa)->state, FRAME_CACHED);
	TAP_EXPECT_EQ(buddy_alloc_order(&bd, 0), pa);   /* last in, first out */
	buddy_free_order(&bd, pa, 0);
	TAP_EXPECT_EQ(buddy_free_pages(&bd), free);
}

TAP_TEST(a_full_cache_gives_its_coldest_frames_back)
{
	MACHINE(BASE, 2 * MiB, 0, 0, { BASE, BASE + 2 * MiB });
	snapshot();
	paddr_t pa[PCP_HIGH + 1];

	for (int i = 0; i <= PCP_HIGH; i++)
		pa[i] = buddy_alloc_order(&bd, 0);
	pcp_drain_all(&bd, pcp_run_here);      /* the refills' leftovers */
	TAP_EXPECT_EQ(cached(), 0);
	for (int i = 0; i < PCP_HIGH; i++)
		buddy_free_order(&bd, pa[i], 0);
	TAP_EXPECT_EQ(cached(), PCP_HIGH);
	buddy_free_order(&bd, pa[PCP_HIGH], 0);         /* one too many */
	TAP_EXPECT_EQ(cached(), PCP_HIGH + 1 - PCP_BATCH);
	/* The first frames freed went back; the last one freed stayed. */
	TAP_EXPECT_EQ(rec(pa[0])->state != FRAME_CACHED,
		      true);
	TAP_EXPECT_EQ(rec(pa[PCP_HIGH])->state,
		      FRAME_CACHED);
	pcp_drain_all(&bd, pcp_run_here);
	TAP_EXPECT_EQ(cached(), 0);
	TAP_EXPECT(same_as_snapshot());
}

TAP_TEST(a_large_request_takes_back_the_cached_frames_it_needs)
{
	simple_machine(8);              /* frames 2-3, 4-7 */
	paddr_t pa[6];
	for (int i = 0; i < 6; i++)
		pa[i] = buddy_alloc_order(&bd, 0);
	for (int i = 0; i < 6; i++)
		buddy_free_order(&bd, pa[i], 0);
	TAP_EXPECT_EQ(cached(), 6);     /* all free, none on the lists */
	TAP_EXPECT_EQ(buddy_alloc_order(&bd, 2), BASE + P(4));
	TAP_EXPECT_EQ(cached(), 0);
}

/* ---- Errors ------------------------------------------------------------- */

TAP_TEST(out_of_memory_is_phys_none_and_memory_comes_back)
{
	simple_machine(40);
	while (buddy_alloc_order(&bd, 0) != PHYS_NONE)
		;
	TAP_EXPECT_EQ(buddy_free_pages(&bd), 0);
	TAP_EXPECT_EQ(buddy_alloc_order(&bd, 0), PHYS_NONE);
	TAP_EXPECT_EQ(buddy_alloc_order(&bd, 3), PHYS_NONE);
	buddy_free_order(&bd, BASE + P(17), 0);
	TAP_EXPECT_EQ(buddy_free_pages(&bd), 1);
	TAP_EXPECT_EQ(buddy_alloc_order(&bd, 1), PHYS_NONE);
	TAP_EXPECT_EQ(buddy_alloc_order(&bd, 0), BASE + P(17));
}

TAP_TEST(an_invalid_order_panics)
{
	simple_machine(64);
	TAP_EXPECT_PANIC(buddy_alloc_order(&bd, MAX_ORDER + 1));
	TAP_EXPECT(strstr(host_panic_message, "buddy_alloc_order: order 11 is "
			  "invalid (the largest is 10)"));
	TAP_EXPECT_PANIC(buddy_free_order(&bd, BASE + P(32), 64));
	TAP_EXPECT(strstr(host_panic_message, "order 64 is invalid"));
	TAP_EXPECT_EQ(buddy_free_pages(&bd), 62);
}

TAP_TEST(a_bad_free_panics_names_the_page_and_rule_and_changes_nothing)
{
	simple_machine(64);
	paddr_t blk = buddy_alloc_order(&bd, 2);        /* 4-7 */
	paddr_t gone = buddy_alloc_order(&bd, 1);       /* 2-3 */
	paddr_t one = buddy_alloc_order(&bd, 0);
	buddy_free_order(&bd, gone, 1);
	uint64_t free = buddy_free_pages(&bd);

	TAP_EXPECT_PANIC(buddy_free_order(&bd, gone, 1));
	TAP_EXPECT(panicked_with("buddy_free_order: page %#lx is not "
				 "allocated: it is already free (double free)",
				 (unsigned long)gone));
	TAP_EXPECT_PANIC(buddy_free_order(&bd, BASE + P(40), 0));  /* a tail */
	TAP_EXPECT(panicked_with("page 0x80028000 is not allocated: it is "
				 "already free (double free)"));
	TAP_EXPECT_PANIC(buddy_free_order(&bd, blk + P(1), 0));
	TAP_EXPECT(panicked_with("buddy_free_order: page 0x80005000 is not the "
				 "head of a block: it is inside the order-2 "
				 "block at 0x80004000"));
	TAP_EXPECT_PANIC(buddy_free_order(&bd, blk, 1));
	TAP_EXPECT(panicked_with("buddy_free_order: page 0x80004000 heads an "
				 "order-2 block, not order 1 (order "
				 "mismatch)"));
	TAP_EXPECT_PANIC(buddy_free_order(&bd, blk + 8, 2));
	TAP_EXPECT(panicked_with("page 0x80004008 is not page aligned"));
	TAP_EXPECT_PANIC(buddy_free_order(&bd, 0x90000000, 0));
	TAP_EXPECT(panicked_with("page 0x90000000 is outside the memory this "
				 "allocator manages"));
	frame_get(&bd, blk);
	TAP_EXPECT_PANIC(buddy_free_order(&bd, blk, 2));
	TAP_EXPECT(panicked_with("page 0x80004000 is shared (refcount 2)"));
	frame_put(&bd, blk);

	buddy_free_order(&bd, one, 0);                  /* to the cache */
	TAP_EXPECT_PANIC(buddy_free_order(&bd, one, 0));
	TAP_EXPECT(panicked_with("page %#lx is not allocated: it is already "
				 "free (double free)", (unsigned long)one));

	TAP_EXPECT(!spin_is_locked(&bd.lock));
	TAP_EXPECT_EQ(buddy_free_pages(&bd), free + 1);
	buddy_free_order(&bd, blk, 2);
	pcp_drain_all(&bd, pcp_run_here);
	TAP_EXPECT_EQ(buddy_free_pages(&bd), 62);
}

/* ---- Reference counts --------------------------------------------------- */

TAP_TEST(a_block_is_freed_when_its_last_reference_goes)
{
	simple_machine(64);
	snapshot();
	paddr_t pa = buddy_alloc_order(&bd, 2);
	uint64_t free = buddy_free_pages(&bd);

	TAP_EXPECT_EQ(rec(pa)->refcount, 1);
	frame_get(&bd, pa);
	frame_get(&bd, pa);
	TAP_EXPECT_EQ(rec(pa)->refcount, 3);
	frame_put(&bd, pa);
	frame_put(&bd, pa);
	TAP_EXPECT_EQ(buddy_free_pages(&bd), free);
	frame_put(&bd, pa);                     /* the owner's: freed */
	TAP_EXPECT_EQ(buddy_free_pages(&bd), free + 4);
	TAP_EXPECT(same_as_snapshot());

	TAP_EXPECT_PANIC(frame_get(&bd, pa));
	TAP_EXPECT(strstr(host_panic_message, "frame_get: page 0x80004000 is "
			  "not allocated"));
	pa = buddy_alloc_order(&bd, 2);
	TAP_EXPECT_PANIC(frame_put(&bd, pa + P(3)));
	TAP_EXPECT(strstr(host_panic_message, "frame_put: page 0x80007000 is "
			  "not the head of a block"));
	/* A single frame goes back through the cache. */
	paddr_t one = buddy_alloc_order(&bd, 0);
	frame_put(&bd, one);
	TAP_EXPECT_EQ(rec(one)->state, FRAME_CACHED);
	TAP_EXPECT(!spin_is_locked(&bd.lock));
}

/* ---- Runs of pages: the page_alloc interface ---------------------------- */

TAP_TEST(a_run_costs_its_pages_and_can_be_freed_in_parts)
{
	simple_machine(64);
	snapshot();
	uint64_t free = buddy_free_pages(&bd);

	paddr_t pa = buddy_alloc(&bd, 3, 1);            /* a 4-block, trimmed */
	TAP_EXPECT_EQ(pa, BASE + P(4));
	TAP_EXPECT_EQ(buddy_free_pages(&bd), free - 3);
	TAP_EXPECT_EQ(rec(pa + P(3))->state, FRAME_FREE);
	buddy_free(&bd, pa + P(1), 1);                  /* the middle page */
	TAP_EXPECT_EQ(buddy_free_pages(&bd), free - 2);
	TAP_EXPECT_PANIC(buddy_free(&bd, pa, 2));       /* page 1 is free */
	TAP_EXPECT(strstr(host_panic_message, "buddy_free: page 0x80005000 is "
			  "not allocated: it is already free (double free)"));
	TAP_EXPECT_EQ(buddy_free_pages(&bd), free - 2);
	buddy_free(&bd, pa + P(2), 1);
	buddy_free(&bd, pa, 1);
	pcp_drain_all(&bd, pcp_run_here);
	TAP_EXPECT(same_as_snapshot());

	/* One free covering parts of two runs. */
	paddr_t a = buddy_alloc(&bd, 8, 1), b = buddy_alloc(&bd, 8, 8);
	TAP_EXPECT_EQ(a, BASE + P(8));
	TAP_EXPECT_EQ(b, BASE + P(16));
	buddy_free(&bd, a + P(2), 6 + 3);               /* 10 .. 18 */
	TAP_EXPECT_EQ(buddy_free_pages(&bd), free - 7);
	buddy_free(&bd, a, 2);
	buddy_free(&bd, b + P(3), 5);
	pcp_drain_all(&bd, pcp_run_here);
	TAP_EXPECT(same_as_snapshot());
}

TAP_TEST(runs_are_aligned_and_too_large_ones_are_phys_none)
{
	MACHINE(BASE, 16 * MiB, 0, 0, { BASE, BASE + 16 * MiB });
	uint64_t free = buddy_free_pages(&bd);

	for (uint64_t align = 1; align <= 1024; align *= 2) {
		paddr_t pa = buddy_alloc(&bd, 3, align);
		TAP_EXPECT(pa != PHYS_NONE);
		TAP_EXPECT(IS_ALIGNED(pa, P(align)));
		buddy_free(&bd, pa, 3);
	}
	TAP_EXPECT_EQ(buddy_alloc(&bd, 1025, 1), PHYS_NONE);
	TAP_EXPECT_EQ(buddy_alloc(&bd, 1, 2048), PHYS_NONE);
	paddr_t big = buddy_alloc(&bd, 1000, 1);
	TAP_EXPECT(IS_ALIGNED(big, 4 * MiB));
	buddy_free(&bd, big, 1000);
	TAP_EXPECT_PANIC(buddy_alloc(&bd, 0, 1));
	TAP_EXPECT_PANIC(buddy_alloc(&bd, 1, 3));
	TAP_EXPECT_PANIC(buddy_free(&bd, BASE + P(100), 0));
	TAP_EXPECT_EQ(buddy_free_pages(&bd), free);
}

TAP_TEST(pmm_buddy_serves_the_page_alloc_interface)
{
	one_mib_machine();                      /* at BASE */
	pmm_init(&map, "buddy");
	TAP_EXPECT(strcmp(pmm_name(), "buddy") == 0);
	/* Less a page of directory and two of records. */
	TAP_EXPECT_EQ(pmm_total_pages(), 253);
	paddr_t pa = page_alloc_aligned(2, 2);
	TAP_EXPECT(IS_ALIGNED(pa, P(2)));
	TAP_EXPECT_EQ(pmm_free_pages(), 251);
	page_free(pa, 2);
	TAP_EXPECT_EQ(pmm_free_pages(), 253);
	TAP_EXPECT_PANIC(page_free(pa, 1));
	TAP_EXPECT(strstr(host_panic_message, "double free"));
	TAP_EXPECT_PANIC(pmm_init(&map, "slab"));
	TAP_EXPECT(panicked_with("bump, bitmap, freelist or buddy"));
}

/* ---- Model check (pmm_host.h) ----------------------------------------- */

#define WINDOW       0xffc00000        /* the model's: straddles 4 GiB */
#define WINDOW_PAGES 2048

/* Is any 2^order-aligned block of the window all free? (Brute force.) */
static bool model_has_block(unsigned order)
{
	uint64_t n = (uint64_t)1 << order;

	for (uint64_t i = 0; i + n <= WINDOW_PAGES; i += n)
		if (IS_ALIGNED(WINDOW + P(i), P(n)) && model_is(i, n, FREE))
			return true;
	return false;
}

/* What the test holds, in live[] (pmm_host.h): a block (order >= 0, freed
 * whole) or a run (order < 0, freed in parts through buddy_free). */

static bool alloc_block(unsigned slot)
{
	unsigned order = random_below(4) ? random_below(3) :
					   random_below(MAX_ORDER + 1);
	paddr_t pa = buddy_alloc_order(&bd, order);

	if (pa == PHYS_NONE)
		return !model_has_block(order);
	return IS_ALIGNED(pa, P(1) << order) &&
	       take(pa, (uint64_t)1 << order, slot, order);
}

static bool alloc_run(unsigned slot)
{
	uint64_t n = 1 + random_below(random_below(3) ? 4 : 40);
	uint64_t align = (uint64_t)1 << random_below(4);
	unsigned order = 0;
	paddr_t pa = buddy_alloc(&bd, n, align);

	while (((uint64_t)1 << order) < MAX(n, align))
		order++;
	if (pa == PHYS_NONE)
		return !model_has_block(order);
	return IS_ALIGNED(pa, P(align)) && take(pa, n, slot, -1);
}

/* Give back what slot holds: a block whole, sometimes after sharing it
 * (the last frame_put frees it); a run in part, its head or its tail. */
static void release_slot(unsigned slot)
{
	paddr_t pa = live[slot].pa;
	uint64_t n = live[slot].n;

	if (live[slot].order < 0) {
		uint64_t k = 1 + random_below(n);
		if (random_below(2))
			live[slot].pa += P(k);
		else
			pa += P(n - k);
		buddy_free(&bd, pa, k);
		live[slot].n -= k;
		n = k;
	} else if (random_below(4) == 0) {
		frame_get(&bd, pa);
		frame_put(&bd, pa);
		frame_put(&bd, pa);
		live[slot].n = 0;
	} else {
		buddy_free_order(&bd, pa, live[slot].order);
		live[slot].n = 0;
	}
	model_set(pa, n, FREE);
}

static bool random_op(void)
{
	unsigned slot = random_below(64);

	if (random_below(50) == 0)
		pcp_drain_all(&bd, pcp_run_here);
	if (live[slot].n) {
		release_slot(slot);
		return true;
	}
	return random_below(2) ? alloc_block(slot) : alloc_run(slot);
}

static uint64_t free_count(void)
{
	return buddy_free_pages(&bd);
}

TAP_TEST(random_operations_match_the_model)
{
	int failures = 0;

	random_seed(0x9e3779b97f4a7c15);
	for (int round = 0; round < 20 && failures < 5; round++) {
		start_round(WINDOW, WINDOW_PAGES, 240, machine);
		snapshot();
		for (uint64_t i = 0; i < WINDOW_PAGES; i++) {
			struct frame *f = rec(WINDOW + P(i));
			bool ours = f && f->state != FRAME_RESERVED;
			model.page[i] = ours ? FREE : NOT_OURS;
		}
		failures = random_ops_agree(round, 2000, failures, random_op,
					    free_count);
		for (unsigned s = 0; s < 64; s++)
			while (live[s].n)
				release_slot(s);
		pcp_drain_all(&bd, pcp_run_here);
		if (!same_as_snapshot() ||
		    buddy_free_pages(&bd) != buddy_total_pages(&bd)) {
			TAP_FAIL("round %d: not back to the initial state",
				 round);
			failures++;
		}
	}
}

TAP_MAIN()

/*
 * Host unit tests for mm/memmap.c, the memory map normaliser.
 *
 * Most tests describe a small machine by hand and check the usable list
 * exactly. The last one builds a few hundred random maps and checks the
 * normaliser against an obviously-correct model: a byte-by-byte bitmap of
 * what is RAM and what is reserved, judged one page at a time.
 */
#include "kernel/errno.h"
#include "mm/memmap.h"
#include "tests/host/tap.h"

/* struct memmap is ~7 KiB: keep it off the stack, as the kernel must. */
static struct memmap map;

/* Check map.usable against an expected list, reporting the line. */
#define EXPECT_USABLE(...)                                                   \
	expect_usable(__LINE__, (const struct mem_range[]){ __VA_ARGS__ },   \
		      sizeof((const struct mem_range[]){ __VA_ARGS__ }) /    \
			      sizeof(struct mem_range))

static void expect_usable(int line, const struct mem_range *want, unsigned n)
{
	bool same = map.nusable == n;

	for (unsigned i = 0; same && i < n; i++)
		same = map.usable[i].base == want[i].base &&
		       map.usable[i].end == want[i].end;
	if (same)
		return;
	TAP_FAIL("line %d: usable list differs", line);
	for (unsigned i = 0; i < n; i++)
		printf("#   want [%#llx, %#llx)\n",
		       (unsigned long long)want[i].base,
		       (unsigned long long)want[i].end);
	for (unsigned i = 0; i < map.nusable; i++)
		printf("#   got  [%#llx, %#llx)\n",
		       (unsigned long long)map.usable[i].base,
		       (unsigned long long)map.usable[i].end);
}

/* ---- Adding ranges ------------------------------------------------------ */

TAP_TEST(zero_size_is_ignored)
{
	memmap_init(&map);
	TAP_EXPECT_EQ(memmap_add_ram(&map, 0x1000, 0), 0);
	TAP_EXPECT_EQ(memmap_add_reserved(&map, 0x1000, 0, "nothing"), 0);
	TAP_EXPECT_EQ(memmap_add_ram(&map, UINT64_MAX, 0), 0);
	TAP_EXPECT_EQ(map.nram, 0);
	TAP_EXPECT_EQ(map.nreserved, 0);
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	TAP_EXPECT_EQ(map.nusable, 0);
	TAP_EXPECT_EQ(memmap_ram_end(&map), 0);
	TAP_EXPECT_EQ(memmap_usable_bytes(&map), 0);
}

TAP_TEST(wrapping_ranges_are_rejected)
{
	memmap_init(&map);
	/* Ending exactly at 2^64 would make end == 0: rejected too. */
	TAP_EXPECT_EQ(memmap_add_ram(&map, 0xfffffffffffff000, 0x1000), -EOVERFLOW);
	TAP_EXPECT_EQ(memmap_add_ram(&map, UINT64_MAX, 1), -EOVERFLOW);
	TAP_EXPECT_EQ(memmap_add_ram(&map, 1, UINT64_MAX), -EOVERFLOW);
	TAP_EXPECT_EQ(memmap_add_ram(&map, 0x80000000, UINT64_MAX - 0x1000), -EOVERFLOW);
	TAP_EXPECT_EQ(memmap_add_reserved(&map, 0xffffffffffff0000, 0x10000, "x"), -EOVERFLOW);
	TAP_EXPECT_EQ(memmap_add_reserved(&map, 2, UINT64_MAX - 1, "x"), -EOVERFLOW);
	TAP_EXPECT_EQ(map.nram, 0);
	TAP_EXPECT_EQ(map.nreserved, 0);
	/* The largest representable ranges are fine. */
	TAP_EXPECT_EQ(memmap_add_ram(&map, 0, UINT64_MAX), 0);
	TAP_EXPECT_EQ(memmap_add_reserved(&map, UINT64_MAX - 1, 1, "x"), 0);
	TAP_EXPECT_EQ(map.nram, 1);
	TAP_EXPECT_EQ(map.ram[0].end, UINT64_MAX);
}

TAP_TEST(full_tables_say_enospc)
{
	memmap_init(&map);
	for (unsigned i = 0; i < MEMMAP_MAX; i++) {
		TAP_EXPECT_EQ(memmap_add_ram(&map, i * 0x2000, 0x1000), 0);
		TAP_EXPECT_EQ(memmap_add_reserved(&map, i * 0x2000, 1, "r"), 0);
	}
	TAP_EXPECT_EQ(memmap_add_ram(&map, 0x10000000, 0x1000), -ENOSPC);
	TAP_EXPECT_EQ(memmap_add_reserved(&map, 0x10000000, 1, "r"), -ENOSPC);
	/* Zero-size adds are still fine: they add nothing. */
	TAP_EXPECT_EQ(memmap_add_ram(&map, 0x10000000, 0), 0);
	TAP_EXPECT_EQ(map.nram, MEMMAP_MAX);
	TAP_EXPECT_EQ(map.nreserved, MEMMAP_MAX);
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	TAP_EXPECT_EQ(map.nusable, 0);  /* each page lost its first byte */
}

/* ---- Normalising RAM ---------------------------------------------------- */

TAP_TEST(unsorted_ram_comes_out_sorted)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x30000, 0x1000);
	memmap_add_ram(&map, 0x10000, 0x1000);
	memmap_add_ram(&map, 0x20000, 0x1000);
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	EXPECT_USABLE({ 0x10000, 0x11000 }, { 0x20000, 0x21000 },
		      { 0x30000, 0x31000 });
	/* The raw list is sorted too, for memmap_print(). */
	TAP_EXPECT_EQ(map.ram[0].base, 0x10000);
	TAP_EXPECT_EQ(map.ram[2].base, 0x30000);
}

TAP_TEST(overlapping_ram_merges)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x3000, 0x5000);   /* [0x3000, 0x8000) */
	memmap_add_ram(&map, 0x1000, 0x4000);   /* [0x1000, 0x5000) */
	memmap_add_ram(&map, 0x4000, 0x1000);   /* inside both */
	memmap_add_ram(&map, 0x1000, 0x4000);   /* duplicate */
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	EXPECT_USABLE({ 0x1000, 0x8000 });
}

TAP_TEST(touching_ram_merges)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x2000, 0x1000);
	memmap_add_ram(&map, 0x1000, 0x1000);
	memmap_add_ram(&map, 0x3000, 0x1000);
	memmap_add_ram(&map, 0x5000, 0x1000);   /* one page gap before */
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	EXPECT_USABLE({ 0x1000, 0x4000 }, { 0x5000, 0x6000 });
}

TAP_TEST(unaligned_touching_ram_merges_before_rounding)
{
	/* Neither half holds a whole page, but together they hold one. */
	memmap_init(&map);
	memmap_add_ram(&map, 0x1800, 0x800);
	memmap_add_ram(&map, 0x2000, 0x1800);
	memmap_add_ram(&map, 0x0c00, 0xc00);
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	EXPECT_USABLE({ 0x1000, 0x3000 });
}

TAP_TEST(unaligned_ram_shrinks_inward)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x1234, 0x5678 - 0x1234);
	memmap_add_ram(&map, 0x10001, 0x2ffe);  /* [0x10001, 0x12fff) */
	memmap_add_ram(&map, 0x20001, 0xffe);   /* less than a page: gone */
	memmap_add_ram(&map, 0x30000, 0xfff);   /* likewise */
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	EXPECT_USABLE({ 0x2000, 0x5000 }, { 0x11000, 0x12000 });
}

/* ---- Carving out reserved ranges --------------------------------------- */

TAP_TEST(reserved_carves_holes)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x80000000, 128 * MiB);
	memmap_add_reserved(&map, 0x80000000, 512 * KiB, "firmware");
	memmap_add_reserved(&map, 0x80200000, 2 * MiB, "kernel");
	memmap_add_reserved(&map, 0x87e00000, 0x107e, "dtb");
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	EXPECT_USABLE({ 0x80080000, 0x80200000 }, { 0x80400000, 0x87e00000 },
		      { 0x87e02000, 0x88000000 });
	TAP_EXPECT_EQ(memmap_usable_bytes(&map),
		      128 * MiB - 512 * KiB - 2 * MiB - 2 * PAGE_SIZE);
	TAP_EXPECT_EQ(memmap_ram_end(&map), 0x88000000);
}

TAP_TEST(unaligned_reserved_widens_the_hole)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x1000, 0x4000);
	memmap_add_reserved(&map, 0x2800, 0x100, "tiny");
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	EXPECT_USABLE({ 0x1000, 0x2000 }, { 0x3000, 0x5000 });
}

TAP_TEST(reserved_covering_all_ram)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x1000, 0x4000);
	memmap_add_ram(&map, 0x9000, 0x1000);
	memmap_add_reserved(&map, 0, 0x100000, "everything");
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	TAP_EXPECT_EQ(map.nusable, 0);
	TAP_EXPECT_EQ(memmap_usable_bytes(&map), 0);
	TAP_EXPECT(!memmap_is_usable(&map, 0x1000, PAGE_SIZE));

	/* Exactly covering, from the pieces of two reservations. */
	memmap_init(&map);
	memmap_add_ram(&map, 0x1000, 0x4000);
	memmap_add_reserved(&map, 0x3000, 0x2000, "top");
	memmap_add_reserved(&map, 0x1000, 0x2000, "bottom");
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	TAP_EXPECT_EQ(map.nusable, 0);
}

TAP_TEST(reserved_outside_ram_changes_nothing)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x10000, 0x10000);
	memmap_add_ram(&map, 0x40000, 0x10000);
	memmap_add_reserved(&map, 0, 0x10000, "below");         /* touches */
	memmap_add_reserved(&map, 0x20000, 0x20000, "hole");    /* exactly */
	memmap_add_reserved(&map, 0x50000, 0x1000, "above");
	memmap_add_reserved(&map, 0xffffffff00000000, 0x1000, "far");
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	EXPECT_USABLE({ 0x10000, 0x20000 }, { 0x40000, 0x50000 });
}

TAP_TEST(reserved_partly_outside_ram)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x10000, 0x10000);
	memmap_add_reserved(&map, 0x8000, 0x9000, "straddles start");
	memmap_add_reserved(&map, 0x1f000, 0x9000, "straddles end");
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	EXPECT_USABLE({ 0x11000, 0x1f000 });
}

TAP_TEST(overlapping_unsorted_reserved)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0, 0x20000);
	memmap_add_reserved(&map, 0x9000, 0x3000, "c");
	memmap_add_reserved(&map, 0x4000, 0x2000, "a");
	memmap_add_reserved(&map, 0x5000, 0x5000, "b");        /* joins a, c */
	memmap_add_reserved(&map, 0x4000, 0x2000, "a again");
	memmap_add_reserved(&map, 0x15000, 0x0, "empty");
	memmap_add_reserved(&map, 0x14000, 0x1000, "d");
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	EXPECT_USABLE({ 0, 0x4000 }, { 0xc000, 0x14000 },
		      { 0x15000, 0x20000 });
}

TAP_TEST(reserved_splits_one_region_into_many)
{
	/* Reserve every other page of 1 MiB: 128 single-page pieces remain. */
	memmap_init(&map);
	memmap_add_ram(&map, 0x100000, MiB);
	for (unsigned i = 0; i < 128; i++)
		memmap_add_reserved(&map, 0x100000 + (2 * i + 1) * PAGE_SIZE,
				    PAGE_SIZE, "odd");
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	TAP_EXPECT_EQ(map.nusable, 128);
	for (unsigned i = 0; i < map.nusable; i++) {
		TAP_EXPECT_EQ(map.usable[i].base, 0x100000 + 2 * i * PAGE_SIZE);
		TAP_EXPECT_EQ(map.usable[i].end - map.usable[i].base, PAGE_SIZE);
	}
	TAP_EXPECT_EQ(memmap_usable_bytes(&map), MiB / 2);
}

TAP_TEST(too_many_pieces_say_enospc)
{
	/* 127 one-byte holes make 128 pieces: just fits. */
	memmap_init(&map);
	memmap_add_ram(&map, 0, GiB);
	for (unsigned i = 0; i < MEMMAP_MAX - 1; i++)
		memmap_add_reserved(&map, (2 * i + 1) * PAGE_SIZE, 1, "hole");
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	TAP_EXPECT_EQ(map.nusable, MEMMAP_MAX);

	/* One more hole makes 129. */
	memmap_add_reserved(&map, 512 * MiB, 1, "one too many");
	TAP_EXPECT_EQ(memmap_finalize(&map), -ENOSPC);
	TAP_EXPECT_EQ(map.nusable, 0);
	TAP_EXPECT_EQ(memmap_usable_bytes(&map), 0);
}

TAP_TEST(memory_above_4gib_with_holes)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x180000000, 2 * GiB);
	memmap_add_ram(&map, 0x100000000, 2 * GiB);             /* touches */
	memmap_add_ram(&map, 0x80000000, 2 * GiB);              /* touches */
	memmap_add_ram(&map, 0x400000000, 4 * GiB);             /* after a hole */
	memmap_add_reserved(&map, 0xfffff000, 0x2000, "across 4 GiB");
	memmap_add_reserved(&map, 0x1fffff000, 0x200002000, "over the hole");
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	EXPECT_USABLE({ 0x80000000, 0xfffff000 }, { 0x100001000, 0x1fffff000 },
		      { 0x400001000, 0x500000000 });
	TAP_EXPECT_EQ(memmap_ram_end(&map), 0x500000000);
	TAP_EXPECT(memmap_is_usable(&map, 0x100001000, 0x1fffff000 - 0x100001000));
	TAP_EXPECT(!memmap_is_usable(&map, 0x100001000, 4 * GiB));
	TAP_EXPECT(!memmap_is_usable(&map, 0xffffe000, 0x2000));
}

TAP_TEST(ram_at_the_top_of_the_address_space)
{
	memmap_init(&map);
	/* Ends one byte short of 2^64: the last page is partial, so gone. */
	TAP_EXPECT_EQ(memmap_add_ram(&map, 0xffffffffffffd000, 0x2fff), 0);
	/* Starts inside the last page: rounding up would wrap. */
	TAP_EXPECT_EQ(memmap_add_ram(&map, 0xfffffffffffff001, 0xffe), 0);
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	EXPECT_USABLE({ 0xffffffffffffd000, 0xfffffffffffff000 });
	TAP_EXPECT_EQ(memmap_ram_end(&map), UINT64_MAX);
	TAP_EXPECT(memmap_is_usable(&map, 0xffffffffffffe000, PAGE_SIZE));
	TAP_EXPECT(!memmap_is_usable(&map, 0xffffffffffffe000, 0x2000));
	TAP_EXPECT(!memmap_is_usable(&map, 0xfffffffffffff000, 0x1000));
	TAP_EXPECT(!memmap_is_usable(&map, 0xffffffffffffe000, UINT64_MAX));
}

/* ---- Finalize again, and the queries ----------------------------------- */

TAP_TEST(finalize_is_idempotent)
{
	struct mem_range first[MEMMAP_MAX];
	unsigned n;

	memmap_init(&map);
	memmap_add_ram(&map, 0x80000000, 64 * MiB);
	memmap_add_ram(&map, 0x1234, 0x100000);
	memmap_add_reserved(&map, 0x80001234, 0x5000, "a");
	memmap_add_reserved(&map, 0x80000000, 0x100, "b");
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	n = map.nusable;
	memcpy(first, map.usable, sizeof(first));
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	TAP_EXPECT_EQ(map.nusable, n);
	TAP_EXPECT(memcmp(first, map.usable, n * sizeof(first[0])) == 0);
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	TAP_EXPECT_EQ(map.nusable, n);
}

TAP_TEST(finalize_again_after_adding_more)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x10000, 0x10000);
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	EXPECT_USABLE({ 0x10000, 0x20000 });
	memmap_add_reserved(&map, 0x14000, 0x1000, "late");
	memmap_add_ram(&map, 0x20000, 0x1000);
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	EXPECT_USABLE({ 0x10000, 0x14000 }, { 0x15000, 0x21000 });
}

TAP_TEST(is_usable_answers)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x10000, 0x10000);
	memmap_add_reserved(&map, 0x18000, 0x1000, "hole");
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	TAP_EXPECT(memmap_is_usable(&map, 0x10000, 0x8000));
	TAP_EXPECT(memmap_is_usable(&map, 0x10800, 0x10));
	TAP_EXPECT(memmap_is_usable(&map, 0x19000, 0x7000));
	TAP_EXPECT(!memmap_is_usable(&map, 0x10000, 0x9000));   /* hole */
	TAP_EXPECT(!memmap_is_usable(&map, 0x17000, 0x3000));   /* spans two */
	TAP_EXPECT(!memmap_is_usable(&map, 0xf000, 0x2000));    /* below RAM */
	TAP_EXPECT(!memmap_is_usable(&map, 0x1f000, 0x2000));   /* past end */
	TAP_EXPECT(!memmap_is_usable(&map, 0x10000, 0));        /* empty */
	TAP_EXPECT(!memmap_is_usable(&map, 0x10000, UINT64_MAX)); /* wraps */
}

TAP_TEST(print_does_not_crash)
{
	memmap_init(&map);
	memmap_print(&map);
	memmap_add_ram(&map, 0x80000000, 128 * MiB);
	memmap_add_ram(&map, 0x80000000, 64 * MiB);     /* overlaps */
	memmap_add_reserved(&map, 0x80000000, 512 * KiB, "firmware");
	memmap_add_reserved(&map, 0x80200000, 0x12345, NULL);
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	memmap_print(&map);
}

/* ---- Randomised check against a bitmap model --------------------------- */

#define MODEL_PAGES 64
#define MODEL_BYTES (MODEL_PAGES * PAGE_SIZE)

static uint64_t rng_state = 0x9e3779b97f4a7c15;

static uint64_t rng(void)
{
	/* xorshift64*: small, fast, deterministic. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1d;
}

/* A random [start, start + size) inside the model window, often
 * page-aligned, sometimes empty, sometimes tiny. */
static void random_range(uint64_t *start, uint64_t *size)
{
	*start = rng() % MODEL_BYTES;
	*size = rng() % (MODEL_BYTES - *start + 1);
	switch (rng() % 4) {
	case 0:                 /* page aligned */
		*start = ALIGN_DOWN(*start, PAGE_SIZE);
		*size = ALIGN_DOWN(*size, PAGE_SIZE);
		break;
	case 1:                 /* small */
		*size %= 3 * PAGE_SIZE;
		break;
	}
	if (*start + *size > MODEL_BYTES)
		*size = MODEL_BYTES - *start;
}

static uint8_t is_ram[MODEL_BYTES], is_reserved[MODEL_BYTES];

static bool model_page_usable(unsigned page)
{
	for (uint64_t b = page * PAGE_SIZE; b < (page + 1) * PAGE_SIZE; b++)
		if (!is_ram[b] || is_reserved[b])
			return false;
	return true;
}

/* The usable list must be sorted, aligned, non-empty, non-touching. */
static bool usable_list_well_formed(void)
{
	for (unsigned i = 0; i < map.nusable; i++) {
		const struct mem_range *u = &map.usable[i];
		if (!IS_ALIGNED(u->base, PAGE_SIZE) ||
		    !IS_ALIGNED(u->end, PAGE_SIZE) || u->base >= u->end)
			return false;
		if (i > 0 && map.usable[i - 1].end >= u->base)
			return false;
	}
	return true;
}

static bool check_one_random_map(uint64_t window)
{
	unsigned nram = 1 + rng() % 8, nres = rng() % 13;
	uint64_t model_pages = 0;
	bool ok = true;

	memset(is_ram, 0, sizeof(is_ram));
	memset(is_reserved, 0, sizeof(is_reserved));
	memmap_init(&map);
	for (unsigned i = 0; i < nram + nres; i++) {
		uint64_t start, size;

		random_range(&start, &size);
		if (i < nram) {
			memmap_add_ram(&map, window + start, size);
			memset(is_ram + start, 1, size);
		} else {
			memmap_add_reserved(&map, window + start, size, "r");
			memset(is_reserved + start, 1, size);
		}
	}
	if (memmap_finalize(&map) != 0 || !usable_list_well_formed())
		return false;
	for (unsigned p = 0; p < MODEL_PAGES; p++) {
		bool want = model_page_usable(p);
		model_pages += want;
		if (want != memmap_is_usable(&map, window + p * PAGE_SIZE,
					     PAGE_SIZE))
			ok = false;
	}
	return ok && memmap_usable_bytes(&map) == model_pages * PAGE_SIZE;
}

TAP_TEST(random_maps_match_bitmap_model)
{
	/* Where the model's window sits in the address space. */
	static const uint64_t windows[] = {
		0, 0x80000000, 0x100000000 - MODEL_BYTES / 2,
		0xfffffffffff00000,
	};
	unsigned failures = 0;

	printf("# seed %#llx\n", (unsigned long long)rng_state);
	for (unsigned i = 0; i < 600; i++) {
		uint64_t window = windows[i % ARRAY_SIZE(windows)];
		if (!check_one_random_map(window) && failures++ < 3)
			TAP_FAIL("random map %u (window %#llx) differs from the model",
				 i, (unsigned long long)window);
	}
	TAP_EXPECT_EQ(failures, 0);
}

TAP_MAIN()

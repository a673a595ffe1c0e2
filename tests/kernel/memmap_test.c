/*
 * In-kernel tests of the memory map normaliser (mm/memmap.c). The host
 * tests (tests/host/test_memmap.c) go much further; these check that the
 * same code behaves the same when built for, and run on, the real target.
 *
 * struct memmap is about 7 KiB and the kernel stack is 16 KiB, so the
 * test map is static.
 */
#include "kernel/errno.h"
#include "kernel/ktest.h"
#include "mm/memmap.h"

static struct memmap map;

KTEST(memmap, sorts_unsorted_ram)
{
	memmap_init(&map);
	KT_ASSERT_EQ(memmap_add_ram(&map, 0x30000, 0x1000), 0);
	KT_ASSERT_EQ(memmap_add_ram(&map, 0x10000, 0x1000), 0);
	KT_ASSERT_EQ(memmap_add_ram(&map, 0x20000, 0x1000), 0);
	KT_ASSERT_EQ(memmap_finalize(&map), 0);
	KT_ASSERT_EQ(map.nusable, 3);
	KT_EXPECT_EQ(map.usable[0].base, 0x10000);
	KT_EXPECT_EQ(map.usable[1].base, 0x20000);
	KT_EXPECT_EQ(map.usable[2].base, 0x30000);
}

KTEST(memmap, merges_overlapping_and_touching_ram)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x3000, 0x5000);   /* [0x3000, 0x8000) */
	memmap_add_ram(&map, 0x1000, 0x4000);   /* overlaps it */
	memmap_add_ram(&map, 0x8000, 0x1000);   /* touches it */
	KT_ASSERT_EQ(memmap_finalize(&map), 0);
	KT_ASSERT_EQ(map.nusable, 1);
	KT_EXPECT_EQ(map.usable[0].base, 0x1000);
	KT_EXPECT_EQ(map.usable[0].end, 0x9000);
	KT_EXPECT_EQ(memmap_ram_end(&map), 0x9000);
}

KTEST(memmap, carves_out_reserved)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x80000000, 128 * MiB);
	memmap_add_reserved(&map, 0x80200000, 2 * MiB, "kernel");
	memmap_add_reserved(&map, 0x80000000, 512 * KiB, "firmware");
	memmap_add_reserved(&map, 0x90000000, MiB, "outside RAM");
	KT_ASSERT_EQ(memmap_finalize(&map), 0);
	KT_ASSERT_EQ(map.nusable, 2);
	KT_EXPECT_EQ(map.usable[0].base, 0x80080000);
	KT_EXPECT_EQ(map.usable[0].end, 0x80200000);
	KT_EXPECT_EQ(map.usable[1].base, 0x80400000);
	KT_EXPECT_EQ(map.usable[1].end, 0x88000000);
	KT_EXPECT_EQ(memmap_usable_bytes(&map),
		     128 * MiB - 512 * KiB - 2 * MiB);
	KT_EXPECT_TRUE(memmap_is_usable(&map, 0x80400000, PAGE_SIZE));
	KT_EXPECT_FALSE(memmap_is_usable(&map, 0x80200000, PAGE_SIZE));
}

KTEST(memmap, shrinks_to_whole_pages)
{
	memmap_init(&map);
	memmap_add_ram(&map, 0x1234, 0x5678 - 0x1234);
	memmap_add_reserved(&map, 0x3800, 0x10, "tiny");
	KT_ASSERT_EQ(memmap_finalize(&map), 0);
	KT_ASSERT_EQ(map.nusable, 2);
	KT_EXPECT_EQ(map.usable[0].base, 0x2000);
	KT_EXPECT_EQ(map.usable[0].end, 0x3000);
	KT_EXPECT_EQ(map.usable[1].base, 0x4000);
	KT_EXPECT_EQ(map.usable[1].end, 0x5000);
}

KTEST(memmap, rejects_wrapping_ranges)
{
	memmap_init(&map);
	KT_EXPECT_EQ(memmap_add_ram(&map, 0xfffffffffffff000, 0x1000),
		     -EOVERFLOW);
	KT_EXPECT_EQ(memmap_add_reserved(&map, 1, UINT64_MAX, "x"),
		     -EOVERFLOW);
	KT_EXPECT_EQ(memmap_add_ram(&map, 0x1000, 0), 0);
	KT_EXPECT_EQ(map.nram, 0);
	KT_EXPECT_EQ(map.nreserved, 0);
}

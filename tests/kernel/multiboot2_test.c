/*
 * In-kernel tests of the Multiboot2 reader (mm/multiboot2.c). The host
 * tests (tests/host/test_multiboot2.c) go much further, with real GRUB
 * blocks and random damage; these check that the same code behaves the
 * same when built for, and run on, each target. The blocks are synthetic
 * (built in a static buffer), so the suite runs on every architecture,
 * not only on x86-64 where GRUB provides a real one.
 */
#include "kernel/errno.h"
#include "kernel/ktest.h"
#include "mm/memmap.h"
#include "mm/multiboot2.h"

static struct memmap map;                       /* ~7 KiB: not on the stack */
static uint8_t blob[1024] __attribute__((aligned(8)));
static size_t blob_len;

#define BLOB_PA 0x10000000      /* where the tests pretend the block is */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* ---- A minimal builder --------------------------------------------------- */

static void b_init(void)
{
	memset(blob, 0, sizeof(blob));
	blob_len = MB2_INFO_HEADER_SIZE;
}

static uint8_t *b_tag(uint32_t type, uint32_t size)
{
	uint8_t *tag = blob + blob_len;

	put32(tag, type);
	put32(tag + 4, size);
	blob_len += ALIGN_UP((size_t)size, 8);
	return tag;
}

static void b_string(uint32_t type, const char *s)
{
	size_t n = strlen(s) + 1;

	memcpy(b_tag(type, MB2_TAG_HEADER_SIZE + n) + MB2_TAG_HEADER_SIZE,
	       s, n);
}

/* n (base, length, type) triples, as 24-byte version-0 entries. */
static uint8_t *b_mmap(const uint64_t (*e)[3], unsigned n)
{
	uint8_t *tag = b_tag(MB2_TAG_MMAP,
			     MB2_MMAP_HEADER_SIZE + n * MB2_MMAP_ENTRY_MIN);

	put32(tag + 8, MB2_MMAP_ENTRY_MIN);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = tag + MB2_MMAP_HEADER_SIZE +
			     i * MB2_MMAP_ENTRY_MIN;
		put64(p, e[i][0]);
		put64(p + 8, e[i][1]);
		put32(p + 16, (uint32_t)e[i][2]);
	}
	return tag;
}

static void b_finish(void)
{
	b_tag(MB2_TAG_END, MB2_TAG_HEADER_SIZE);
	put32(blob, blob_len);
}

/* What GRUB gives QEMU's PC machine with -m 5G. */
static const uint64_t qemu_5g[][3] = {
	{ 0x0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
	{ 0x100000, 0xbfee0000, 1 }, { 0xbffe0000, 0x20000, 2 },
	{ 0xfffc0000, 0x40000, 2 }, { 0x100000000, 0x80000000, 1 },
};

static void build_qemu_5g(void)
{
	b_init();
	b_string(MB2_TAG_CMDLINE, "test=multiboot2");
	b_string(MB2_TAG_BOOTLOADER_NAME, "GRUB 2.06");
	b_mmap(qemu_5g, ARRAY_SIZE(qemu_5g));
	b_finish();
}

static bool has_reserved(paddr_t base, paddr_t end, const char *why)
{
	for (unsigned i = 0; i < map.nreserved; i++)
		if (map.reserved[i].base == base &&
		    map.reserved[i].end == end &&
		    strcmp(map.reserved[i].why, why) == 0)
			return true;
	return false;
}

/* ---- Tests --------------------------------------------------------------- */

KTEST(multiboot2, reads_a_grub_like_block)
{
	const char *err = NULL;

	build_qemu_5g();
	KT_ASSERT_EQ(mb2_validate(blob, blob_len, &err), 0);
	KT_EXPECT_EQ(mb2_total_size(blob), blob_len);
	KT_EXPECT_STREQ(mb2_cmdline(blob), "test=multiboot2");
	KT_EXPECT_STREQ(mb2_bootloader_name(blob), "GRUB 2.06");

	memmap_init(&map);
	KT_ASSERT_EQ(mb2_read_memmap(blob, BLOB_PA, &map, &err), 0);
	KT_EXPECT_EQ(map.nram, 3);
	KT_EXPECT_TRUE(has_reserved(0xbffe0000, 0xc0000000, "reserved"));
	KT_EXPECT_TRUE(has_reserved(0, MiB, "first MiB (BIOS, real-mode)"));
	KT_EXPECT_TRUE(has_reserved(BLOB_PA, BLOB_PA + blob_len,
				    "multiboot2 info"));
	KT_ASSERT_EQ(memmap_finalize(&map), 0);
	KT_EXPECT_EQ(memmap_ram_end(&map), 0x180000000);
	/* 3 GiB below the hole, 2 GiB above it. */
	KT_EXPECT_TRUE(memmap_is_usable(&map, 0x100000000, PAGE_SIZE));
	KT_EXPECT_FALSE(memmap_is_usable(&map, 0xc0000000, PAGE_SIZE));
	KT_EXPECT_FALSE(memmap_is_usable(&map, BLOB_PA, PAGE_SIZE));
	KT_EXPECT_EQ(memmap_usable_bytes(&map),
		     0xbffe0000 - MiB - PAGE_SIZE + 0x80000000);
}

KTEST(multiboot2, names_reserved_types)
{
	static const uint64_t e[][3] = {
		{ 0x100000, 0x1000, 3 }, { 0x200000, 0x1000, 4 },
		{ 0x300000, 0x1000, 5 }, { 0x400000, 0x1000, 99 },
	};

	b_init();
	b_mmap(e, ARRAY_SIZE(e));
	b_finish();
	KT_ASSERT_EQ(mb2_validate(blob, blob_len, NULL), 0);
	memmap_init(&map);
	KT_ASSERT_EQ(mb2_read_memmap(blob, BLOB_PA, &map, NULL), 0);
	KT_EXPECT_EQ(map.nram, 0);
	KT_EXPECT_TRUE(has_reserved(0x100000, 0x101000, "ACPI reclaimable"));
	KT_EXPECT_TRUE(has_reserved(0x200000, 0x201000, "ACPI NVS"));
	KT_EXPECT_TRUE(has_reserved(0x300000, 0x301000, "bad RAM"));
	KT_EXPECT_TRUE(has_reserved(0x400000, 0x401000, "reserved"));
}

KTEST(multiboot2, rejects_tag_past_total_size)
{
	const char *err = NULL;

	build_qemu_5g();
	put32(blob + 8 + 4, 0x1000);            /* the first tag's size */
	KT_EXPECT_EQ(mb2_validate(blob, blob_len, &err), -EINVAL);
	KT_EXPECT_TRUE(err && strstr(err, "runs past total_size"));
}

KTEST(multiboot2, rejects_missing_end_tag)
{
	const char *err = NULL;

	build_qemu_5g();
	put32(blob, blob_len - MB2_TAG_HEADER_SIZE);
	KT_EXPECT_EQ(mb2_validate(blob, blob_len, &err), -EINVAL);
	KT_EXPECT_TRUE(err && strstr(err, "no end tag"));
	put32(blob, blob_len);
	KT_EXPECT_EQ(mb2_validate(blob, blob_len - 1, &err), -EINVAL);
}

KTEST(multiboot2, rejects_bad_memory_map_entries)
{
	const char *err = NULL;
	uint8_t *mmap;

	b_init();
	mmap = b_mmap(qemu_5g, 2);
	b_finish();
	put32(mmap + 8, 20);                    /* entry_size */
	KT_EXPECT_EQ(mb2_validate(blob, blob_len, &err), -EINVAL);
	KT_EXPECT_TRUE(err && strstr(err, "entry_size 20"));
	put32(mmap + 8, MB2_MMAP_ENTRY_MIN);
	put32(mmap + 12, 2);                    /* entry_version */
	KT_EXPECT_EQ(mb2_validate(blob, blob_len, &err), -EINVAL);
	KT_EXPECT_TRUE(err && strstr(err, "entry_version 2"));
}

KTEST(multiboot2, no_memory_map_is_an_error)
{
	const char *err = NULL;

	b_init();
	b_string(MB2_TAG_BOOTLOADER_NAME, "test");
	b_finish();
	KT_ASSERT_EQ(mb2_validate(blob, blob_len, &err), 0);
	KT_EXPECT_TRUE(mb2_cmdline(blob) == NULL);
	memmap_init(&map);
	KT_EXPECT_EQ(mb2_read_memmap(blob, BLOB_PA, &map, &err), -EINVAL);
	KT_EXPECT_TRUE(err && strstr(err, "no memory map tag"));
}

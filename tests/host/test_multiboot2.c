/*
 * Host unit tests for mm/multiboot2.c, the Multiboot2 boot information
 * reader.
 *
 * Three kinds of input:
 *   - real blocks GRUB 2.06 handed Duet under QEMU 7.2 (-m 128M, 3584M
 *     and 5G), saved from guest memory with the QEMU monitor's pmemsave:
 *     tests/host/fixtures/mb2_qemu_*.bin;
 *   - blocks made by the builder below: the same three machines, and
 *     cases GRUB never produces (modules, unknown types, long entries);
 *   - broken blocks: one per rule the reader enforces, plus every
 *     truncation and thousands of seeded random byte flips.
 * Every block is copied into a heap buffer of exactly its size, so the
 * address sanitizer reports any read past the end.
 */
#include "kernel/errno.h"
#include "mm/memmap.h"
#include "mm/multiboot2.h"
#include "tests/host/blob.h"
#include "tests/host/tap.h"

#define INFO_PA  0x168630       /* where GRUB put the fixtures' blocks */

static struct memmap map;       /* ~7 KiB: not on the stack */

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

/* ---- A tiny Multiboot2 builder ------------------------------------------- */

struct mb2_entry {
	uint64_t base, len;
	uint32_t type;
};

static struct {
	uint8_t buf[8192];
	size_t len;
} bld;

static void b_init(void)
{
	memset(&bld, 0, sizeof(bld));
	bld.len = MB2_INFO_HEADER_SIZE;
}

/* Start a tag of the given size; returns it (payload at +8). */
static uint8_t *b_tag(uint32_t type, uint32_t size)
{
	uint8_t *tag = bld.buf + bld.len;

	put32(tag, type);
	put32(tag + 4, size);
	bld.len += (size + 7) & ~7u;
	return tag;
}

static void b_string(uint32_t type, const char *s)
{
	uint8_t *tag = b_tag(type, MB2_TAG_HEADER_SIZE + strlen(s) + 1);

	memcpy(tag + MB2_TAG_HEADER_SIZE, s, strlen(s) + 1);
}

/* A memory map tag with entries of entry_size bytes (24 is standard). */
static uint8_t *b_mmap_sized(const struct mb2_entry *e, unsigned n,
			     uint32_t entry_size)
{
	uint8_t *tag = b_tag(MB2_TAG_MMAP,
			     MB2_MMAP_HEADER_SIZE + n * entry_size);

	put32(tag + 8, entry_size);
	put32(tag + 12, 0);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = tag + MB2_MMAP_HEADER_SIZE + i * entry_size;
		put64(p, e[i].base);
		put64(p + 8, e[i].len);
		put32(p + 16, e[i].type);
	}
	return tag;
}

static uint8_t *b_mmap(const struct mb2_entry *e, unsigned n)
{
	return b_mmap_sized(e, n, MB2_MMAP_ENTRY_MIN);
}

static void b_module(uint32_t start, uint32_t end, const char *name)
{
	uint8_t *tag = b_tag(MB2_TAG_MODULE,
			     MB2_MODULE_HEADER_SIZE + strlen(name) + 1);

	put32(tag + 8, start);
	put32(tag + 12, end);
	memcpy(tag + MB2_MODULE_HEADER_SIZE, name, strlen(name) + 1);
}

/* Append the end tag, fill in the header, and copy the block into a heap
 * buffer of exactly its size. */
static uint8_t *b_finish(size_t *size)
{
	uint8_t *blob;

	b_tag(MB2_TAG_END, MB2_TAG_HEADER_SIZE);
	put32(bld.buf, bld.len);
	put32(bld.buf + 4, 0);
	blob = malloc(bld.len);
	memcpy(blob, bld.buf, bld.len);
	*size = bld.len;
	return blob;
}

/* What SeaBIOS reports (and GRUB passes on) for QEMU's PC machine. */
#define QEMU_LOW_ENTRIES                                                     \
	{ 0x0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 }
#define QEMU_HIGH_ENTRIES                                                    \
	{ 0xfffc0000, 0x40000, 2 }, { 0xfd00000000, 0x300000000, 2 }

static const struct mb2_entry qemu_128m[] = {
	QEMU_LOW_ENTRIES,
	{ 0x100000, 0x7ee0000, 1 }, { 0x7fe0000, 0x20000, 2 },
	QEMU_HIGH_ENTRIES,
};

/* At 3.5 GiB and up, QEMU keeps RAM below 3 GiB and puts the rest above
 * 4 GiB, leaving the PCI hole between. */
static const struct mb2_entry qemu_3584m[] = {
	QEMU_LOW_ENTRIES,
	{ 0x100000, 0xbfee0000, 1 }, { 0xbffe0000, 0x20000, 2 },
	QEMU_HIGH_ENTRIES,
	{ 0x100000000, 0x20000000, 1 },
};

static const struct mb2_entry qemu_5g[] = {
	QEMU_LOW_ENTRIES,
	{ 0x100000, 0xbfee0000, 1 }, { 0xbffe0000, 0x20000, 2 },
	QEMU_HIGH_ENTRIES,
	{ 0x100000000, 0x80000000, 1 },
};

/* A block shaped like GRUB's: load base, cmdline, name, mmap, meminfo. */
static uint8_t *b_grub_like(const struct mb2_entry *e, unsigned n,
			    const char *cmdline, size_t *size)
{
	b_init();
	put32(b_tag(21, 12) + 8, 0x100000);     /* load base address */
	b_string(MB2_TAG_CMDLINE, cmdline);
	b_string(MB2_TAG_BOOTLOADER_NAME, "GRUB 2.06-13+deb12u2");
	b_mmap(e, n);
	put32(b_tag(MB2_TAG_BASIC_MEMINFO, 16) + 8, 639);
	return b_finish(size);
}

/* ---- Helpers ------------------------------------------------------------- */

/* Validate, then read the memory map into `map`. */
static int parse(const uint8_t *blob, size_t size, const char **err)
{
	int rc;

	*err = NULL;
	rc = mb2_validate(blob, size, err);
	if (rc < 0)
		return rc;
	memmap_init(&map);
	return mb2_read_memmap(blob, INFO_PA, &map, err);
}

/* Validate and, if valid, use every reader; for damaged blocks. Returns
 * 0 if the block was accepted. */
static int exercise(const uint8_t *blob, size_t size)
{
	const char *err = NULL;
	const char *s;

	if (mb2_validate(blob, size, &err) < 0) {
		if (!err || strncmp(err, "multiboot2: ", 12) != 0)
			TAP_FAIL("rejected without a proper message: %s",
				 err ? err : "(null)");
		return -1;
	}
	memmap_init(&map);
	if (mb2_read_memmap(blob, INFO_PA, &map, &err) == 0)
		memmap_finalize(&map);
	if ((s = mb2_cmdline(blob)))
		(void)strlen(s);
	if ((s = mb2_bootloader_name(blob)))
		(void)strlen(s);
	return 0;
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

static bool has_ram(paddr_t base, paddr_t end)
{
	for (unsigned i = 0; i < map.nram; i++)
		if (map.ram[i].base == base && map.ram[i].end == end)
			return true;
	return false;
}

/* Expect a rejection whose message contains `text`. */
#define EXPECT_REJECT(blob, size, text)                                      \
	do {                                                                 \
		const char *err_ = NULL;                                     \
		TAP_EXPECT_EQ(mb2_validate(blob, size, &err_), -EINVAL);     \
		if (!err_ || !strstr(err_, text))                            \
			TAP_FAIL("message \"%s\" lacks \"%s\"",              \
				 err_ ? err_ : "(null)", text);              \
	} while (0)

/* ---- Well-formed blocks -------------------------------------------------- */

/* The RAM and reserved ranges QEMU reports below 4 GiB at every size. */
static void expect_qemu_low_memory(paddr_t low_ram_end)
{
	TAP_EXPECT(has_ram(0, 0x9fc00));
	TAP_EXPECT(has_ram(0x100000, low_ram_end));
	TAP_EXPECT(has_reserved(0x9fc00, 0xa0000, "reserved"));
	TAP_EXPECT(has_reserved(0xf0000, 0x100000, "reserved"));
	TAP_EXPECT(has_reserved(0xfffc0000, 0x100000000, "reserved"));
	TAP_EXPECT(has_reserved(0, 0x100000, "first MiB (BIOS, real-mode)"));
}

TAP_TEST(grub_block_at_128m)
{
	size_t size;
	uint8_t *blob = load_fixture("mb2_qemu_128m.bin", &size);
	const char *err;

	if (!blob)
		return;
	TAP_EXPECT_EQ(parse(blob, size, &err), 0);
	TAP_EXPECT_EQ(mb2_total_size(blob), size);
	TAP_EXPECT_EQ(map.nram, 2);
	expect_qemu_low_memory(0x7fe0000);
	TAP_EXPECT(has_reserved(INFO_PA, INFO_PA + size, "multiboot2 info"));
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	TAP_EXPECT_EQ(memmap_ram_end(&map), 0x7fe0000);
	TAP_EXPECT(strcmp(mb2_cmdline(blob), "") == 0);
	TAP_EXPECT(strncmp(mb2_bootloader_name(blob), "GRUB ", 5) == 0);
	free(blob);
}

TAP_TEST(grub_blocks_above_4g)
{
	static const struct {
		const char *name;
		paddr_t high_end;
	} cases[] = {
		{ "mb2_qemu_3584m.bin", 0x120000000 },
		{ "mb2_qemu_5g.bin", 0x180000000 },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t size;
		uint8_t *blob = load_fixture(cases[i].name, &size);
		const char *err;

		if (!blob)
			return;
		TAP_EXPECT_EQ(parse(blob, size, &err), 0);
		TAP_EXPECT_EQ(map.nram, 3);
		expect_qemu_low_memory(0xbffe0000);
		TAP_EXPECT(has_ram(0x100000000, cases[i].high_end));
		TAP_EXPECT_EQ(memmap_finalize(&map), 0);
		TAP_EXPECT_EQ(memmap_ram_end(&map), cases[i].high_end);
		/* The PCI hole is not usable. */
		TAP_EXPECT(!memmap_is_usable(&map, 0xc0000000, PAGE_SIZE));
		TAP_EXPECT(memmap_is_usable(&map, 0x100000000, PAGE_SIZE));
		free(blob);
	}
}

/* The builder's copies of the three machines read the same. */
TAP_TEST(built_blocks_match_qemu)
{
	static const struct {
		const struct mb2_entry *e;
		unsigned n;
		paddr_t ram_end;
		uint64_t usable;
	} cases[] = {
		{ qemu_128m, ARRAY_SIZE(qemu_128m), 0x7fe0000,
		  0x7fe0000 - 0x100000 - 0x1000 },
		{ qemu_3584m, ARRAY_SIZE(qemu_3584m), 0x120000000,
		  0xbffe0000ULL - 0x100000 - 0x1000 + 0x20000000 },
		{ qemu_5g, ARRAY_SIZE(qemu_5g), 0x180000000,
		  0xbffe0000ULL - 0x100000 - 0x1000 + 0x80000000 },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t size;
		uint8_t *blob = b_grub_like(cases[i].e, cases[i].n, "", &size);
		const char *err;

		/* The block at 16 MiB, in RAM: it costs exactly one page. */
		TAP_EXPECT_EQ(mb2_validate(blob, size, &err), 0);
		memmap_init(&map);
		TAP_EXPECT_EQ(mb2_read_memmap(blob, 16 * MiB, &map, &err), 0);
		TAP_EXPECT_EQ(memmap_finalize(&map), 0);
		TAP_EXPECT_EQ(memmap_ram_end(&map), cases[i].ram_end);
		TAP_EXPECT_EQ(memmap_usable_bytes(&map), cases[i].usable);
		TAP_EXPECT(has_reserved(16 * MiB, 16 * MiB + size,
					"multiboot2 info"));
		free(blob);
	}
}

TAP_TEST(reserved_types_are_named)
{
	static const struct mb2_entry e[] = {
		{ 0x100000, 0x100000, 1 }, { 0x200000, 0x1000, 2 },
		{ 0x201000, 0x1000, 3 }, { 0x202000, 0x1000, 4 },
		{ 0x203000, 0x1000, 5 }, { 0x204000, 0x1000, 77 },
	};
	size_t size;
	uint8_t *blob = b_grub_like(e, ARRAY_SIZE(e), "", &size);
	const char *err;

	TAP_EXPECT_EQ(parse(blob, size, &err), 0);
	TAP_EXPECT_EQ(map.nram, 1);
	TAP_EXPECT(has_reserved(0x200000, 0x201000, "reserved"));
	TAP_EXPECT(has_reserved(0x201000, 0x202000, "ACPI reclaimable"));
	TAP_EXPECT(has_reserved(0x202000, 0x203000, "ACPI NVS"));
	TAP_EXPECT(has_reserved(0x203000, 0x204000, "bad RAM"));
	TAP_EXPECT(has_reserved(0x204000, 0x205000, "reserved"));
	free(blob);
}

TAP_TEST(zero_length_entries_are_ignored)
{
	static const struct mb2_entry e[] = {
		{ 0x100000, 0, 1 }, { 0x200000, 0x100000, 1 },
		{ 0x500000, 0, 2 },
	};
	size_t size;
	uint8_t *blob = b_grub_like(e, ARRAY_SIZE(e), "", &size);
	const char *err;

	TAP_EXPECT_EQ(parse(blob, size, &err), 0);
	TAP_EXPECT_EQ(map.nram, 1);
	TAP_EXPECT(has_ram(0x200000, 0x300000));
	free(blob);
}

/* A later entry version may be longer: entry_size says how long. */
TAP_TEST(longer_entries_are_stepped_over)
{
	static const struct mb2_entry e[] = {
		{ 0x100000, 0x100000, 1 }, { 0x400000, 0x200000, 1 },
	};
	size_t size;
	uint8_t *blob;
	const char *err;

	b_init();
	b_mmap_sized(e, 2, 40);
	blob = b_finish(&size);
	TAP_EXPECT_EQ(parse(blob, size, &err), 0);
	TAP_EXPECT_EQ(map.nram, 2);
	TAP_EXPECT(has_ram(0x400000, 0x600000));
	free(blob);
}

TAP_TEST(modules_are_reserved)
{
	static const struct mb2_entry e[] = { { 0x100000, 0x1000000, 1 } };
	size_t size;
	uint8_t *blob;
	const char *err;

	b_init();
	b_module(0x400000, 0x480000, "initrd");
	b_mmap(e, 1);
	b_module(0x500000, 0x500100, "");
	blob = b_finish(&size);
	TAP_EXPECT_EQ(parse(blob, size, &err), 0);
	TAP_EXPECT(has_reserved(0x400000, 0x480000, "multiboot2 module"));
	TAP_EXPECT(has_reserved(0x500000, 0x500100, "multiboot2 module"));
	free(blob);
}

TAP_TEST(cmdline_and_name)
{
	static const struct mb2_entry e[] = { { 0x100000, 0x100000, 1 } };
	size_t size;
	uint8_t *blob = b_grub_like(e, 1, "test=memmap* quiet", &size);
	uint32_t len = 0;

	TAP_EXPECT_EQ(mb2_validate(blob, size, NULL), 0);
	TAP_EXPECT(strcmp(mb2_cmdline(blob), "test=memmap* quiet") == 0);
	TAP_EXPECT(strcmp(mb2_bootloader_name(blob),
			  "GRUB 2.06-13+deb12u2") == 0);
	TAP_EXPECT(mb2_find_tag(blob, MB2_TAG_BASIC_MEMINFO, &len) != NULL);
	TAP_EXPECT_EQ(len, 8);
	TAP_EXPECT(mb2_find_tag(blob, 12345, NULL) == NULL);
	free(blob);

	/* No tags at all: valid, but no command line and no memory map. */
	b_init();
	blob = b_finish(&size);
	TAP_EXPECT_EQ(size, 16);
	TAP_EXPECT_EQ(mb2_validate(blob, size, NULL), 0);
	TAP_EXPECT(mb2_cmdline(blob) == NULL);
	TAP_EXPECT(mb2_bootloader_name(blob) == NULL);
	free(blob);
}

/* ---- One broken rule at a time ------------------------------------------- */

TAP_TEST(rejects_bad_header)
{
	static const struct mb2_entry e[] = { { 0x100000, 0x100000, 1 } };
	size_t size;
	uint8_t *blob = b_grub_like(e, 1, "", &size);
	uint8_t *copy;
	uint8_t *big = malloc(size + 1);

	EXPECT_REJECT(NULL, 100, "NULL");
	EXPECT_REJECT(blob, 7, "less than the 8-byte header");
	EXPECT_REJECT(blob, size - 1, "larger than");

	/* The same block one byte into an allocation: misaligned. */
	memcpy(big + 1, blob, size);
	EXPECT_REJECT(big + 1, size, "not 8-byte aligned");
	free(big);

	copy = copy_of(blob, size);
	put32(copy, 7);
	EXPECT_REJECT(copy, size, "smaller than");
	put32(copy, size);
	put32(copy + 4, 1);
	EXPECT_REJECT(copy, size, "reserved header field");
	free(copy);
	free(blob);
}

TAP_TEST(rejects_bad_tags)
{
	static const struct mb2_entry e[] = { { 0x100000, 0x100000, 1 } };
	size_t size;
	uint8_t *blob, *copy;

	/* Header, then one mmap tag at 8, then the end tag. */
	b_init();
	b_mmap(e, 1);
	blob = b_finish(&size);
	TAP_EXPECT_EQ(mb2_validate(blob, size, NULL), 0);

	copy = copy_of(blob, size);
	put32(copy + 8 + 4, 4);
	EXPECT_REJECT(copy, size, "less than 8");
	put32(copy + 8 + 4, size);
	EXPECT_REJECT(copy, size, "runs past total_size");
	free(copy);

	copy = copy_of(blob, size);             /* end tag becomes type 99 */
	put32(copy + size - 8, 99);
	EXPECT_REJECT(copy, size, "no end tag");
	free(copy);

	copy = copy_of(blob, size);             /* total_size stops short */
	put32(copy, size - 8);
	EXPECT_REJECT(copy, size, "no end tag");
	free(copy);

	copy = copy_of(blob, size);             /* an end tag of size 16 */
	put32(copy + size - 4, 16);
	EXPECT_REJECT(copy, size, "runs past");
	free(copy);

	copy = calloc(1, size + 8);             /* ... even with room for it */
	memcpy(copy, blob, size);
	put32(copy, size + 8);
	put32(copy + size - 4, 16);
	EXPECT_REJECT(copy, size + 8, "end tag at offset");
	free(copy);
	free(blob);
}

TAP_TEST(rejects_bad_memory_map)
{
	static const struct mb2_entry e[] = {
		{ 0x100000, 0x100000, 1 }, { 0x300000, 0x100000, 1 },
	};
	size_t size;
	uint8_t *blob, *copy;
	const size_t mmap = 8;          /* the tag's offset */

	b_init();
	b_mmap(e, 2);
	blob = b_finish(&size);

	copy = copy_of(blob, size);
	put32(copy + mmap + 8, 16);
	EXPECT_REJECT(copy, size, "entry_size 16");
	put32(copy + mmap + 8, 28);
	EXPECT_REJECT(copy, size, "entry_size 28");
	put32(copy + mmap + 8, 0);
	EXPECT_REJECT(copy, size, "entry_size 0");
	put32(copy + mmap + 8, 32);     /* 48 bytes of entries: 1.5 of them */
	EXPECT_REJECT(copy, size, "whole number");
	put32(copy + mmap + 8, 24);
	put32(copy + mmap + 12, 1);
	EXPECT_REJECT(copy, size, "entry_version 1");
	put32(copy + mmap + 12, 0);
	put32(copy + mmap + 4, 12);     /* shorter than its own header */
	EXPECT_REJECT(copy, size, "less than its 16-byte header");
	put32(copy + mmap + 4, 16 + 24 + 8);    /* a third of an entry */
	EXPECT_REJECT(copy, size, "whole number");
	free(copy);
	free(blob);
}

TAP_TEST(rejects_unterminated_strings)
{
	size_t size;
	uint8_t *blob;

	b_init();
	memcpy(b_tag(MB2_TAG_CMDLINE, 8 + 8) + 8, "12345678", 8);
	blob = b_finish(&size);
	EXPECT_REJECT(blob, size, "command line tag at offset 0x8 is not "
		      "NUL-terminated");
	free(blob);

	b_init();
	b_tag(MB2_TAG_CMDLINE, 8);      /* no room even for the NUL */
	blob = b_finish(&size);
	EXPECT_REJECT(blob, size, "not NUL-terminated");
	free(blob);

	b_init();
	memcpy(b_tag(MB2_TAG_BOOTLOADER_NAME, 8 + 3) + 8, "abc", 3);
	blob = b_finish(&size);
	EXPECT_REJECT(blob, size, "boot loader name");
	free(blob);
}

TAP_TEST(rejects_bad_modules)
{
	size_t size;
	uint8_t *blob;

	b_init();
	b_tag(MB2_TAG_MODULE, 16);      /* start, end, but no name */
	blob = b_finish(&size);
	EXPECT_REJECT(blob, size, "too small");
	free(blob);

	b_init();
	b_module(0x500000, 0x400000, "backwards");
	blob = b_finish(&size);
	EXPECT_REJECT(blob, size, "before it starts");
	free(blob);

	b_init();
	memcpy(b_tag(MB2_TAG_MODULE, 16 + 4) + 16, "abcd", 4);
	blob = b_finish(&size);
	EXPECT_REJECT(blob, size, "module tag");
	free(blob);
}

TAP_TEST(read_memmap_errors)
{
	size_t size;
	uint8_t *blob;
	const char *err = NULL;

	/* Valid, but nothing to read a memory map from. */
	b_init();
	b_string(MB2_TAG_CMDLINE, "x");
	blob = b_finish(&size);
	TAP_EXPECT_EQ(parse(blob, size, &err), -EINVAL);
	TAP_EXPECT(err && strstr(err, "no memory map tag"));
	free(blob);

	/* An entry whose end wraps past 2^64. */
	{
		static const struct mb2_entry e[] = {
			{ 0xfffffffffffff000, 0x2000, 1 },
		};
		b_init();
		b_mmap(e, 1);
		blob = b_finish(&size);
		TAP_EXPECT_EQ(parse(blob, size, &err), -EOVERFLOW);
		TAP_EXPECT(err && strstr(err, "0xfffffffffffff000"));
		free(blob);
	}

	/* More entries than struct memmap holds. */
	{
		static struct mb2_entry e[MEMMAP_MAX + 1];

		for (unsigned i = 0; i < ARRAY_SIZE(e); i++)
			e[i] = (struct mb2_entry){ i * 0x10000, 0x1000, 1 };
		b_init();
		b_mmap(e, ARRAY_SIZE(e));
		blob = b_finish(&size);
		TAP_EXPECT_EQ(parse(blob, size, &err), -ENOSPC);
		free(blob);
	}
}

/* ---- Damage: every truncation, random flips ------------------------------ */

static const char *const fixture_names[] = {
	"mb2_qemu_128m.bin", "mb2_qemu_3584m.bin", "mb2_qemu_5g.bin",
};

/* A block cut short: in a buffer of exactly the remaining bytes, with
 * total_size left as it was (too big) or corrected (end tag lost). */
TAP_TEST(every_truncation_is_rejected)
{
	for (unsigned n = 0; n < ARRAY_SIZE(fixture_names); n++) {
		size_t size;
		uint8_t *blob = load_fixture(fixture_names[n], &size);

		if (!blob)
			return;
		for (size_t k = 0; k < size; k++) {
			uint8_t *copy = copy_of(blob, k);

			if (exercise(copy, k) == 0)
				TAP_FAIL("%s cut to %zu bytes but accepted",
					 fixture_names[n], k);
			if (k >= 8) {
				put32(copy, k);
				if (exercise(copy, k) == 0)
					TAP_FAIL("%s cut to %zu bytes (and "
						 "total_size) but accepted",
						 fixture_names[n], k);
			}
			free(copy);
		}
		free(blob);
	}
}

static uint64_t rng_state = 0x9e3779b97f4a7c15;

TAP_TEST(random_byte_flips_are_safe)
{
	unsigned accepted = 0, rounds = 0;

	printf("# seed %#llx\n", (unsigned long long)rng_state);
	for (unsigned n = 0; n < ARRAY_SIZE(fixture_names); n++) {
		size_t size;
		uint8_t *blob = load_fixture(fixture_names[n], &size);

		if (!blob)
			return;
		accepted += random_flips(blob, size, 3000, 320, &rng_state,
					 exercise);
		rounds += 3000;
		free(blob);
	}
	{
		/* And a built block with modules and strings in it. */
		size_t size;
		uint8_t *blob;

		b_init();
		b_string(MB2_TAG_CMDLINE, "test=*");
		b_module(0x400000, 0x480000, "initrd");
		b_mmap(qemu_5g, ARRAY_SIZE(qemu_5g));
		blob = b_finish(&size);
		accepted += random_flips(blob, size, 3000, 320, &rng_state,
					 exercise);
		rounds += 3000;
		free(blob);
	}
	printf("# %u of %u damaged blocks still valid\n", accepted, rounds);
}

TAP_MAIN()

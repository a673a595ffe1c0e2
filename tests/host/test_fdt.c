/*
 * Host unit tests for mm/fdt.c, the flattened device tree reader.
 *
 * Three kinds of input:
 *   - real DTBs from QEMU's virt machine (tests/host/fixtures/, see
 *     fixtures/README), some captured after OpenSBI edited them;
 *   - small blobs made by the builder below, to reach cases QEMU never
 *     produces (32-bit cells, several memory nodes, memreserve entries);
 *   - broken blobs: one per rule the reader enforces, plus every
 *     truncation and thousands of random byte flips of a real blob.
 * Every blob is copied into a heap buffer of exactly its size, so the
 * address sanitizer reports any read past the end.
 */
#include <stdarg.h>

#include "kernel/errno.h"
#include "mm/fdt.h"
#include "mm/memmap.h"
#include "tests/host/blob.h"
#include "tests/host/tap.h"


/* Header field offsets, for tests that damage a header. */
#define HDR_TOTALSIZE           4
#define HDR_OFF_DT_STRUCT       8
#define HDR_OFF_DT_STRINGS      12
#define HDR_OFF_MEM_RSVMAP      16
#define HDR_VERSION             20
#define HDR_LAST_COMP_VERSION   24
#define HDR_SIZE_DT_STRINGS     32
#define HDR_SIZE_DT_STRUCT      36

static struct memmap map;       /* ~7 KiB: not on the stack */

/* ---- Big-endian helpers ------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* ---- A tiny FDT builder ------------------------------------------------- */

struct builder {
	uint8_t dt[8192];               /* structure block */
	size_t dt_len;
	char strings[1024];
	size_t strings_len;
	uint64_t rsv[16][2];            /* memory reservation entries */
	unsigned nrsv;
};

static struct builder bld;

static void b_init(void)
{
	memset(&bld, 0, sizeof(bld));
}

static void b_word(uint32_t v)
{
	put32(bld.dt + bld.dt_len, v);
	bld.dt_len += 4;
}

/* Append bytes, zero-padded to a multiple of 4. */
static void b_bytes(const void *data, size_t len)
{
	if (len)
		memcpy(bld.dt + bld.dt_len, data, len);
	bld.dt_len += len;
	while (bld.dt_len % 4)
		bld.dt[bld.dt_len++] = 0;
}

static uint32_t b_string(const char *s)
{
	for (size_t off = 0; off < bld.strings_len;
	     off += strlen(bld.strings + off) + 1)
		if (strcmp(bld.strings + off, s) == 0)
			return off;
	size_t off = bld.strings_len;
	memcpy(bld.strings + off, s, strlen(s) + 1);
	bld.strings_len += strlen(s) + 1;
	return off;
}

static void b_begin(const char *name)
{
	b_word(FDT_BEGIN_NODE);
	b_bytes(name, strlen(name) + 1);
}

static void b_end(void)
{
	b_word(FDT_END_NODE);
}

static void b_prop(const char *name, const void *value, size_t len)
{
	b_word(FDT_PROP);
	b_word(len);
	b_word(b_string(name));
	b_bytes(value, len);
}

static void b_prop_str(const char *name, const char *s)
{
	b_prop(name, s, strlen(s) + 1);
}

static void b_prop_u32(const char *name, uint32_t v)
{
	uint8_t cell[4];

	put32(cell, v);
	b_prop(name, cell, 4);
}

/* A reg property of n (base, size) pairs, each written in the given
 * number of address and size cells. */
static void b_prop_reg(unsigned acells, unsigned scells, unsigned n,
		       const uint64_t (*pairs)[2])
{
	uint8_t buf[4096];
	size_t len = 0;

	for (unsigned i = 0; i < n; i++) {
		for (unsigned c = acells; c-- > 0; len += 4)
			put32(buf + len, (uint32_t)(pairs[i][0] >> (32 * c)));
		for (unsigned c = scells; c-- > 0; len += 4)
			put32(buf + len, (uint32_t)(pairs[i][1] >> (32 * c)));
	}
	b_prop("reg", buf, len);
}

static void b_memreserve(uint64_t base, uint64_t size)
{
	bld.rsv[bld.nrsv][0] = base;
	bld.rsv[bld.nrsv][1] = size;
	bld.nrsv++;
}

/*
 * Lay out header, reservation block, structure block (with FDT_END
 * appended) and strings into a fresh heap buffer of exactly the blob's
 * size. Layout: 40-byte header, then each block in turn.
 */
static uint8_t *b_finish(size_t *size)
{
	size_t rsv_off = FDT_HEADER_SIZE;
	size_t rsv_len = (bld.nrsv + 1) * 16;
	size_t dt_off = rsv_off + rsv_len;
	size_t str_off, total;
	uint8_t *blob;

	b_word(FDT_END);
	str_off = dt_off + bld.dt_len;
	total = str_off + bld.strings_len;
	blob = calloc(1, total);
	put32(blob + 0, FDT_MAGIC);
	put32(blob + HDR_TOTALSIZE, total);
	put32(blob + HDR_OFF_DT_STRUCT, dt_off);
	put32(blob + HDR_OFF_DT_STRINGS, str_off);
	put32(blob + HDR_OFF_MEM_RSVMAP, rsv_off);
	put32(blob + HDR_VERSION, 17);
	put32(blob + HDR_LAST_COMP_VERSION, 16);
	put32(blob + HDR_SIZE_DT_STRINGS, bld.strings_len);
	put32(blob + HDR_SIZE_DT_STRUCT, bld.dt_len);
	for (unsigned i = 0; i < bld.nrsv; i++) {
		put32(blob + rsv_off + 16 * i, bld.rsv[i][0] >> 32);
		put32(blob + rsv_off + 16 * i + 4, bld.rsv[i][0]);
		put32(blob + rsv_off + 16 * i + 8, bld.rsv[i][1] >> 32);
		put32(blob + rsv_off + 16 * i + 12, bld.rsv[i][1]);
	}
	memcpy(blob + dt_off, bld.dt, bld.dt_len);
	memcpy(blob + str_off, bld.strings, bld.strings_len);
	*size = total;
	return blob;
}

/* A typical small machine: 2/2 cells, 128 MiB at 0x80000000, bootargs. */
static void b_typical_tree_start(void)
{
	static const uint64_t ram[][2] = { { 0x80000000, 128 * MiB } };

	b_init();
	b_begin("");
	b_prop_u32("#address-cells", 2);
	b_prop_u32("#size-cells", 2);
	b_prop_str("compatible", "duet,test");
	b_begin("chosen");
	b_prop_str("bootargs", "console=ttyS0 test=foo");
	b_end();
	b_begin("memory@80000000");
	b_prop_str("device_type", "memory");
	b_prop_reg(2, 2, 1, ram);
	b_end();
}

static uint8_t *typical_blob(size_t *size)
{
	b_typical_tree_start();
	b_end();
	return b_finish(size);
}

/* ---- Helpers ------------------------------------------------------------ */

/* Validate, then read the memory map into `map` (blob at blob_pa). */
static int parse(const uint8_t *blob, size_t size, paddr_t blob_pa,
		 const char **err)
{
	int rc;

	*err = NULL;
	memmap_init(&map);
	rc = fdt_validate(blob, size, err);
	if (rc < 0)
		return rc;
	return fdt_read_memmap(blob, blob_pa, &map, err);
}

#define EXPECT_RANGE(r, b, e)                                               \
	do {                                                                \
		TAP_EXPECT_EQ((r).base, (b));                               \
		TAP_EXPECT_EQ((r).end, (e));                                \
	} while (0)

#define EXPECT_RESERVED(i, b, e, name)                                      \
	do {                                                                \
		EXPECT_RANGE(map.reserved[i], (b), (e));                    \
		TAP_EXPECT(map.reserved[i].why &&                           \
			   strcmp(map.reserved[i].why, (name)) == 0);       \
	} while (0)

/* The message must contain text; on failure show what it said. */
#define EXPECT_MESSAGE(err, text)                                           \
	do {                                                                \
		const char *m_ = (err);                                     \
		if (!m_ || !strstr(m_, (text)))                             \
			TAP_FAIL("expected an error containing \"%s\", got \"%s\"", \
				 (text), m_ ? m_ : "(none)");               \
	} while (0)

/* Validation must fail with -EINVAL and a message containing text. */
static void expect_invalid(int line, uint8_t *blob, size_t size,
			   const char *text)
{
	const char *err = NULL;
	int rc = fdt_validate(blob, size, &err);

	if (rc != -EINVAL || !err || !strstr(err, text))
		TAP_FAIL("line %d: expected -EINVAL with \"%s\", got %d \"%s\"",
			 line, text, rc, err ? err : "(none)");
	free(blob);
}
#define EXPECT_INVALID(blob, size, text) \
	expect_invalid(__LINE__, (blob), (size), (text))

/* Valid structure, but fdt_read_memmap must fail with rc and text. */
static void expect_memmap_error(int line, uint8_t *blob, size_t size,
				int want, const char *text)
{
	const char *err = NULL;
	int rc = fdt_validate(blob, size, &err);

	if (rc != 0) {
		TAP_FAIL("line %d: blob should be valid, got \"%s\"", line, err);
	} else {
		memmap_init(&map);
		rc = fdt_read_memmap(blob, 0, &map, &err);
		if (rc != want || !err || !strstr(err, text))
			TAP_FAIL("line %d: expected %d with \"%s\", got %d \"%s\"",
				 line, want, text, rc, err ? err : "(none)");
	}
	free(blob);
}
#define EXPECT_MEMMAP_ERROR(blob, size, rc, text) \
	expect_memmap_error(__LINE__, (blob), (size), (rc), (text))

/* ---- Real blobs from QEMU ----------------------------------------------- */

TAP_TEST(qemu_virt_128m)
{
	size_t size;
	uint8_t *blob = load_fixture("virt-128m.dtb", &size);
	const char *err;
	uint32_t tb = 0, len = 0;
	const char *compat;

	if (!blob)
		return;
	TAP_EXPECT_EQ(fdt_validate(blob, size, &err), 0);
	TAP_EXPECT_EQ(fdt_total_size(blob), size);
	TAP_EXPECT_EQ(parse(blob, size, 0x87e00000, &err), 0);
	TAP_EXPECT_EQ(map.nram, 1);
	EXPECT_RANGE(map.ram[0], 0x80000000, 0x88000000);
	TAP_EXPECT_EQ(map.nreserved, 1);
	EXPECT_RESERVED(0, 0x87e00000, 0x87e00000 + size, "dtb");
	TAP_EXPECT(fdt_bootargs(blob) == NULL);     /* no -append */
	/* Lookups the RISC-V boot code wants. */
	TAP_EXPECT(fdt_getprop_u32(blob, "/cpus", "timebase-frequency", &tb));
	TAP_EXPECT_EQ(tb, 10000000);
	compat = fdt_getprop(blob, "/", "compatible", &len);
	TAP_EXPECT(compat && strcmp(compat, "riscv-virtio") == 0);
	TAP_EXPECT(fdt_getprop(blob, "/soc/serial", "reg", &len) != NULL);
	TAP_EXPECT_EQ(len, 16);
	TAP_EXPECT(fdt_getprop(blob, "/soc/serial@10000000", "reg", NULL));
	TAP_EXPECT(!fdt_getprop(blob, "/soc/serial@20000000", "reg", NULL));
	TAP_EXPECT(!fdt_getprop(blob, "/soc/ser", "reg", NULL));
	TAP_EXPECT(!fdt_getprop(blob, "/nonexistent", "reg", NULL));
	TAP_EXPECT(!fdt_getprop(blob, "/cpus", "nonexistent", NULL));
	TAP_EXPECT(!fdt_getprop(blob, "cpus", "#address-cells", NULL));
	free(blob);
}

TAP_TEST(qemu_virt_2g_and_5g)
{
	size_t size;
	uint8_t *blob = load_fixture("virt-2g.dtb", &size);
	const char *err;

	if (!blob)
		return;
	TAP_EXPECT_EQ(parse(blob, size, 0xbfe00000, &err), 0);
	TAP_EXPECT_EQ(map.nram, 1);
	EXPECT_RANGE(map.ram[0], 0x80000000, 0x100000000);
	free(blob);

	blob = load_fixture("virt-5g.dtb", &size);
	if (!blob)
		return;
	TAP_EXPECT_EQ(parse(blob, size, 0xbfe00000, &err), 0);
	TAP_EXPECT_EQ(map.nram, 1);
	EXPECT_RANGE(map.ram[0], 0x80000000, 0x80000000 + 5 * GiB);
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	TAP_EXPECT_EQ(memmap_usable_bytes(&map), 5 * GiB - 2 * PAGE_SIZE);
	free(blob);
}

TAP_TEST(qemu_virt_smp4)
{
	size_t size;
	uint8_t *blob = load_fixture("virt-smp4.dtb", &size);
	const char *err;
	uint32_t hart = 0;

	if (!blob)
		return;
	TAP_EXPECT_EQ(parse(blob, size, 0x87e00000, &err), 0);
	EXPECT_RANGE(map.ram[0], 0x80000000, 0x88000000);
	TAP_EXPECT(fdt_getprop_u32(blob, "/cpus/cpu@3", "reg", &hart));
	TAP_EXPECT_EQ(hart, 3);
	TAP_EXPECT(!fdt_getprop_u32(blob, "/cpus/cpu@4", "reg", &hart));
	free(blob);
}

TAP_TEST(qemu_virt_append_has_bootargs)
{
	size_t size;
	uint8_t *blob = load_fixture("virt-append.dtb", &size);
	const char *err, *args;

	if (!blob)
		return;
	TAP_EXPECT_EQ(fdt_validate(blob, size, &err), 0);
	args = fdt_bootargs(blob);
	TAP_EXPECT(args && strcmp(args, "test=foo") == 0);
	free(blob);
}

/* After OpenSBI: it adds /reserved-memory/mmode_resv0 for itself. */
TAP_TEST(opensbi_128m_reserves_firmware)
{
	size_t size;
	uint8_t *blob = load_fixture("opensbi-128m-append.dtb", &size);
	const char *err, *args;

	if (!blob)
		return;
	TAP_EXPECT_EQ(parse(blob, size, 0x87e00000, &err), 0);
	TAP_EXPECT_EQ(map.nram, 1);
	EXPECT_RANGE(map.ram[0], 0x80000000, 0x88000000);
	TAP_EXPECT_EQ(map.nreserved, 2);
	EXPECT_RESERVED(0, 0x80000000, 0x80080000, "mmode_resv0@80000000");
	EXPECT_RESERVED(1, 0x87e00000, 0x87e00000 + size, "dtb");
	args = fdt_bootargs(blob);
	TAP_EXPECT(args && strcmp(args, "console=ttyS0 test=foo") == 0);

	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	TAP_EXPECT_EQ(map.nusable, 2);
	EXPECT_RANGE(map.usable[0], 0x80080000, 0x87e00000);
	EXPECT_RANGE(map.usable[1], 0x87e02000, 0x88000000);
	free(blob);
}

TAP_TEST(opensbi_2g_smp4)
{
	size_t size;
	uint8_t *blob = load_fixture("opensbi-2g-smp4.dtb", &size);
	const char *err;

	if (!blob)
		return;
	TAP_EXPECT_EQ(parse(blob, size, 0xbfe00000, &err), 0);
	EXPECT_RANGE(map.ram[0], 0x80000000, 0x100000000);
	TAP_EXPECT_EQ(map.nreserved, 2);
	EXPECT_RESERVED(0, 0x80000000, 0x80080000, "mmode_resv0@80000000");
	TAP_EXPECT(fdt_bootargs(blob) == NULL);
	free(blob);
}

/* ---- Synthetic blobs ---------------------------------------------------- */

TAP_TEST(builder_typical_tree)
{
	size_t size;
	uint8_t *blob = typical_blob(&size);
	const char *err, *args;

	TAP_EXPECT_EQ(parse(blob, size, 0x90000000, &err), 0);
	TAP_EXPECT_EQ(map.nram, 1);
	EXPECT_RANGE(map.ram[0], 0x80000000, 0x88000000);
	TAP_EXPECT_EQ(map.nreserved, 1);
	EXPECT_RESERVED(0, 0x90000000, 0x90000000 + size, "dtb");
	args = fdt_bootargs(blob);
	TAP_EXPECT(args && strcmp(args, "console=ttyS0 test=foo") == 0);
	/* A caller's bound larger than the blob is fine. */
	TAP_EXPECT_EQ(fdt_validate(blob, size + 100, &err), 0);
	/* err may be NULL. */
	TAP_EXPECT_EQ(fdt_validate(blob, size, NULL), 0);
	free(blob);
}

/* Every combination of 1-2 address cells and 0-2 size cells. */
TAP_TEST(address_and_size_cells)
{
	static const uint64_t ram[][2] = {
		{ 0x80000000, 0x10000000 }, { 0xc0000000, 0x1000 },
	};
	static const uint64_t resv[][2] = { { 0x80100000, 0x20000 } };

	for (unsigned ac = 1; ac <= 2; ac++) {
		for (unsigned sc = 0; sc <= 2; sc++) {
			size_t size;
			uint8_t *blob;
			const char *err;

			b_init();
			b_begin("");
			b_prop_u32("#address-cells", ac);
			b_prop_u32("#size-cells", sc);
			b_begin("memory@80000000");
			b_prop_str("device_type", "memory");
			b_prop_reg(ac, sc, 2, ram);
			b_end();
			b_begin("reserved-memory");
			b_prop_u32("#address-cells", ac);
			b_prop_u32("#size-cells", sc);
			b_prop("ranges", NULL, 0);
			b_begin("fw@80100000");
			b_prop_reg(ac, sc, 1, resv);
			b_end();
			b_end();
			b_end();
			blob = b_finish(&size);

			TAP_EXPECT_EQ(parse(blob, size, 0x1000, &err), 0);
			if (sc == 0) {
				/* Sizes of 0: nothing but the blob itself. */
				TAP_EXPECT_EQ(map.nram, 0);
				TAP_EXPECT_EQ(map.nreserved, 1);
			} else {
				TAP_EXPECT_EQ(map.nram, 2);
				EXPECT_RANGE(map.ram[0], 0x80000000, 0x90000000);
				EXPECT_RANGE(map.ram[1], 0xc0000000, 0xc0001000);
				TAP_EXPECT_EQ(map.nreserved, 2);
				EXPECT_RESERVED(0, 0x80100000, 0x80120000,
						"fw@80100000");
			}
			free(blob);
		}
	}
}

/* Spec defaults without #address-cells/#size-cells: 2 and 1. */
TAP_TEST(default_cells_are_2_and_1)
{
	static const uint64_t ram[][2] = { { 0x180000000, 0x40000000 } };
	size_t size;
	uint8_t *blob;
	const char *err;

	b_init();
	b_begin("");
	b_begin("memory");
	b_prop_reg(2, 1, 1, ram);
	b_end();
	b_end();
	blob = b_finish(&size);
	TAP_EXPECT_EQ(parse(blob, size, 0, &err), 0);
	TAP_EXPECT_EQ(map.nram, 1);
	EXPECT_RANGE(map.ram[0], 0x180000000, 0x1c0000000);
	free(blob);
}

TAP_TEST(several_memory_nodes_and_disabled_ones)
{
	static const uint64_t a[][2] = { { 0x80000000, 0x1000000 } };
	static const uint64_t b[][2] = { { 0x100000000, 0x2000000 },
					 { 0x200000000, 0x3000 } };
	static const uint64_t c[][2] = { { 0x300000000, 0x1000 } };
	static const uint64_t d[][2] = { { 0x400000000, 0x1000 } };
	static const uint64_t e[][2] = { { 0x500000000, 0x1000 } };
	size_t size;
	uint8_t *blob;
	const char *err;

	b_init();
	b_begin("");
	b_prop_u32("#address-cells", 2);
	b_prop_u32("#size-cells", 2);
	b_begin("memory@80000000");             /* no device_type: name is enough */
	b_prop_reg(2, 2, 1, a);
	b_end();
	b_begin("ram@100000000");               /* device_type is enough */
	b_prop_str("device_type", "memory");
	b_prop_reg(2, 2, 2, b);
	b_prop_str("status", "okay");
	b_end();
	b_begin("memory@300000000");
	b_prop_reg(2, 2, 1, c);
	b_prop_str("status", "disabled");
	b_end();
	b_begin("soc");                         /* not at root level: ignored */
	b_prop_u32("#address-cells", 2);
	b_prop_u32("#size-cells", 2);
	b_begin("memory@400000000");
	b_prop_str("device_type", "memory");
	b_prop_reg(2, 2, 1, d);
	b_end();
	b_end();
	b_begin("memory");                      /* "ok" is the old spelling */
	b_prop_str("status", "ok");
	b_prop_reg(2, 2, 1, e);
	b_end();
	b_begin("memoryless");                  /* not a memory node */
	b_end();
	b_end();
	blob = b_finish(&size);

	TAP_EXPECT_EQ(parse(blob, size, 0x1000, &err), 0);
	TAP_EXPECT_EQ(map.nram, 4);
	EXPECT_RANGE(map.ram[0], 0x80000000, 0x81000000);
	EXPECT_RANGE(map.ram[1], 0x100000000, 0x102000000);
	EXPECT_RANGE(map.ram[2], 0x200000000, 0x200003000);
	EXPECT_RANGE(map.ram[3], 0x500000000, 0x500001000);
	free(blob);
}

TAP_TEST(reserved_memory_with_its_own_cells)
{
	static const uint64_t fw[][2] = { { 0x80000000, 0x80000 } };
	static const uint64_t two[][2] = { { 0x84000000, 0x1000 },
					   { 0x85000000, 0x2000 } };
	static const uint64_t off[][2] = { { 0x86000000, 0x1000 } };
	size_t size;
	uint8_t *blob;
	const char *err;

	b_typical_tree_start();
	b_begin("reserved-memory");
	b_prop_u32("#address-cells", 1);        /* unlike the root's 2 */
	b_prop_u32("#size-cells", 1);
	b_prop("ranges", NULL, 0);
	b_begin("mmode_resv0@80000000");
	b_prop_reg(1, 1, 1, fw);
	b_prop("no-map", NULL, 0);
	b_end();
	b_begin("pool");                        /* dynamic: no reg, skipped */
	b_prop_u32("size", 0x100000);
	b_end();
	b_begin("two@84000000");
	b_prop_reg(1, 1, 2, two);
	b_end();
	b_begin("off@86000000");
	b_prop_reg(1, 1, 1, off);
	b_prop_str("status", "disabled");
	b_end();
	b_end();
	b_end();
	b_memreserve(0x87000000, 0x10000);
	b_memreserve(0x1000, 0);                /* empty: ignored */
	b_memreserve(0x87f00000, 0x100);
	blob = b_finish(&size);

	TAP_EXPECT_EQ(parse(blob, size, 0x87e00000, &err), 0);
	TAP_EXPECT_EQ(map.nram, 1);
	TAP_EXPECT_EQ(map.nreserved, 6);
	EXPECT_RESERVED(0, 0x80000000, 0x80080000, "mmode_resv0@80000000");
	EXPECT_RESERVED(1, 0x84000000, 0x84001000, "two@84000000");
	EXPECT_RESERVED(2, 0x85000000, 0x85002000, "two@84000000");
	EXPECT_RESERVED(3, 0x87000000, 0x87010000, "memreserve");
	EXPECT_RESERVED(4, 0x87f00000, 0x87f00100, "memreserve");
	EXPECT_RESERVED(5, 0x87e00000, 0x87e00000 + size, "dtb");
	TAP_EXPECT_EQ(memmap_finalize(&map), 0);
	TAP_EXPECT_EQ(map.nusable, 6);
	free(blob);
}

/* NOPs may appear anywhere between tokens. */
TAP_TEST(nops_are_skipped)
{
	static const uint64_t ram[][2] = { { 0x80000000, 0x1000000 } };
	size_t size;
	uint8_t *blob;
	const char *err, *args;

	b_init();
	b_word(FDT_NOP);
	b_begin("");
	b_word(FDT_NOP);
	b_begin("chosen");
	b_word(FDT_NOP);
	b_prop_str("bootargs", "quiet");
	b_word(FDT_NOP);
	b_end();
	b_word(FDT_NOP);
	b_begin("memory@80000000");
	b_prop_reg(2, 1, 1, ram);
	b_word(FDT_NOP);
	b_end();
	b_end();
	b_word(FDT_NOP);
	blob = b_finish(&size);
	TAP_EXPECT_EQ(parse(blob, size, 0, &err), 0);
	TAP_EXPECT_EQ(map.nram, 1);
	args = fdt_bootargs(blob);
	TAP_EXPECT(args && strcmp(args, "quiet") == 0);
	free(blob);
}

TAP_TEST(bootargs_must_be_a_string)
{
	size_t size;
	uint8_t *blob;
	const char *args;

	/* Not NUL-terminated within the property. */
	b_init();
	b_begin("");
	b_begin("chosen");
	b_prop("bootargs", "abcd", 4);
	b_end();
	b_end();
	blob = b_finish(&size);
	TAP_EXPECT(fdt_bootargs(blob) == NULL);
	free(blob);

	/* Zero length. */
	b_init();
	b_begin("");
	b_begin("chosen");
	b_prop("bootargs", NULL, 0);
	b_end();
	b_end();
	blob = b_finish(&size);
	TAP_EXPECT(fdt_bootargs(blob) == NULL);
	free(blob);

	/* Empty string: fine, it is "". */
	b_init();
	b_begin("");
	b_begin("chosen");
	b_prop_str("bootargs", "");
	b_end();
	b_end();
	blob = b_finish(&size);
	args = fdt_bootargs(blob);
	TAP_EXPECT(args && args[0] == '\0');
	free(blob);

	/* No /chosen at all. */
	b_init();
	b_begin("");
	b_end();
	blob = b_finish(&size);
	TAP_EXPECT(fdt_bootargs(blob) == NULL);
	TAP_EXPECT(fdt_bootargs(NULL) == NULL);
	free(blob);
}

/* ---- Rejected headers --------------------------------------------------- */

/* A typical blob with one header field replaced. */
static uint8_t *with_header(size_t *size, unsigned field, uint32_t value)
{
	uint8_t *blob = typical_blob(size);

	put32(blob + field, value);
	return blob;
}

TAP_TEST(rejects_bad_headers)
{
	size_t size;
	uint8_t *blob;
	const char *err = NULL;

	TAP_EXPECT_EQ(fdt_validate(NULL, 100, &err), -EINVAL);
	EXPECT_MESSAGE(err, "NULL");

	blob = typical_blob(&size);
	EXPECT_INVALID(copy_of(blob, 39), 39, "header");
	EXPECT_INVALID(copy_of(blob, size - 1), size - 1,
		       "is more than the");
	free(blob);

	blob = with_header(&size, 0, 0xedfe0dd0);       /* little-endian */
	EXPECT_INVALID(blob, size, "bad magic 0xedfe0dd0");
	blob = with_header(&size, HDR_VERSION, 15);
	EXPECT_INVALID(blob, size, "version 15");
	blob = with_header(&size, HDR_LAST_COMP_VERSION, 18);
	EXPECT_INVALID(blob, size, "last_comp_version 18");
	blob = with_header(&size, HDR_TOTALSIZE, 0x20);
	EXPECT_INVALID(blob, size, "smaller than the header");
	blob = with_header(&size, HDR_TOTALSIZE, 0xffffffff);
	EXPECT_INVALID(blob, size, "totalsize 0xffffffff is more than");
}

TAP_TEST(rejects_misplaced_blocks)
{
	size_t size;
	uint8_t *blob = typical_blob(&size);
	uint32_t dt_off = get32(blob + HDR_OFF_DT_STRUCT);
	uint32_t str_off = get32(blob + HDR_OFF_DT_STRINGS);
	uint32_t str_size = get32(blob + HDR_SIZE_DT_STRINGS);
	char text[100];

	free(blob);
	blob = with_header(&size, HDR_OFF_DT_STRUCT, 0x20);
	EXPECT_INVALID(blob, size, "struct block offset 0x20 overlaps the header");
	blob = with_header(&size, HDR_OFF_DT_STRUCT, dt_off + 2);
	EXPECT_INVALID(blob, size, "not 4-byte aligned");
	blob = with_header(&size, HDR_SIZE_DT_STRUCT, size);
	snprintf(text, sizeof(text), "struct block [%#x, %#x) runs past totalsize %#zx",
		 dt_off, dt_off + (uint32_t)size, size);
	EXPECT_INVALID(blob, size, text);
	blob = with_header(&size, HDR_SIZE_DT_STRUCT, 0xfffffff0);
	EXPECT_INVALID(blob, size, "runs past totalsize");
	blob = with_header(&size, HDR_OFF_DT_STRUCT, 0xfffffffc);
	EXPECT_INVALID(blob, size, "runs past totalsize");

	blob = with_header(&size, HDR_OFF_DT_STRINGS, 0);
	EXPECT_INVALID(blob, size, "strings block offset 0x0 overlaps the header");
	blob = with_header(&size, HDR_SIZE_DT_STRINGS, str_size + 1);
	EXPECT_INVALID(blob, size, "strings block");
	blob = with_header(&size, HDR_OFF_DT_STRINGS, 0xffffffff);
	EXPECT_INVALID(blob, size, "runs past totalsize");
	/* Strings block moved back into the struct block. */
	blob = with_header(&size, HDR_OFF_DT_STRINGS, str_off - 8);
	EXPECT_INVALID(blob, size, "overlaps strings block");

	blob = with_header(&size, HDR_OFF_MEM_RSVMAP, 8);
	EXPECT_INVALID(blob, size, "memory reservation block offset 0x8 overlaps the header");
	blob = with_header(&size, HDR_OFF_MEM_RSVMAP, 44);
	EXPECT_INVALID(blob, size, "not 8-byte aligned");
	/* The struct block moved on top of the reservation block. */
	blob = with_header(&size, HDR_OFF_DT_STRUCT, FDT_HEADER_SIZE);
	EXPECT_INVALID(blob, size,
		       "memory reservation block [0x28, 0x38) overlaps struct block");
	/* ... or from the last 8 bytes: no room for a terminator. */
	blob = with_header(&size, HDR_OFF_MEM_RSVMAP, ALIGN_DOWN(size - 8, 8));
	EXPECT_INVALID(blob, size, "no 0,0 entry");
}

TAP_TEST(rejects_rsvmap_without_terminator)
{
	size_t size;
	uint8_t *blob;

	/* Fill the whole blob after the header with non-zero entries. */
	size = 40 + 16 * 4;
	blob = malloc(size);
	memset(blob, 0x11, size);
	put32(blob + 0, FDT_MAGIC);
	put32(blob + HDR_TOTALSIZE, size);
	put32(blob + HDR_OFF_DT_STRUCT, 40);
	put32(blob + HDR_SIZE_DT_STRUCT, 0);
	put32(blob + HDR_OFF_DT_STRINGS, 40);
	put32(blob + HDR_SIZE_DT_STRINGS, 0);
	put32(blob + HDR_OFF_MEM_RSVMAP, 40);
	put32(blob + HDR_VERSION, 17);
	put32(blob + HDR_LAST_COMP_VERSION, 16);
	EXPECT_INVALID(blob, size, "no 0,0 entry before totalsize");

	/* Half a terminator (8 zero bytes) at the very end of the blob. */
	size = 56;
	blob = calloc(1, size);
	put32(blob + 0, FDT_MAGIC);
	put32(blob + HDR_TOTALSIZE, size);
	put32(blob + HDR_OFF_DT_STRUCT, 40);
	put32(blob + HDR_OFF_DT_STRINGS, 40);
	put32(blob + HDR_OFF_MEM_RSVMAP, 48);
	put32(blob + HDR_VERSION, 17);
	put32(blob + HDR_LAST_COMP_VERSION, 16);
	EXPECT_INVALID(blob, size, "no 0,0 entry before totalsize");
}

/* ---- Rejected structure blocks ------------------------------------------ */

TAP_TEST(rejects_property_running_past_struct_block)
{
	size_t size;
	uint8_t *blob;

	b_init();
	b_begin("");
	b_word(FDT_PROP);
	b_word(0x1000);                 /* len far too large */
	b_word(b_string("x"));
	b_end();
	blob = b_finish(&size);
	EXPECT_INVALID(blob, size, "4096-byte value runs past the struct block");

	b_init();
	b_begin("");
	b_word(FDT_PROP);
	b_word(0xffffffff);             /* and one that would wrap */
	b_word(b_string("x"));
	b_end();
	blob = b_finish(&size);
	EXPECT_INVALID(blob, size, "runs past the struct block");
}

TAP_TEST(rejects_property_header_past_struct_block)
{
	size_t size;
	uint8_t *blob;

	/* FDT_PROP as the very last word of the struct block. */
	b_init();
	b_begin("");
	b_end();
	blob = b_finish(&size);
	{
		uint32_t dt_off = get32(blob + HDR_OFF_DT_STRUCT);
		uint32_t dt_size = get32(blob + HDR_SIZE_DT_STRUCT);
		put32(blob + dt_off + dt_size - 4, FDT_PROP);
	}
	EXPECT_INVALID(blob, size, "header runs past the struct block");

	/* Room for two of its three header words, not the third. */
	b_init();
	b_begin("");
	b_end();
	blob = b_finish(&size);
	{
		uint32_t dt_off = get32(blob + HDR_OFF_DT_STRUCT);
		uint32_t dt_size = get32(blob + HDR_SIZE_DT_STRUCT);
		put32(blob + dt_off + dt_size - 8, FDT_PROP);
	}
	EXPECT_INVALID(blob, size, "header runs past the struct block");
}

TAP_TEST(rejects_bad_property_names)
{
	size_t size;
	uint8_t *blob;

	b_init();
	b_begin("");
	b_word(FDT_PROP);
	b_word(0);
	b_word(0x500);                  /* past the strings block */
	b_end();
	b_string("x");
	blob = b_finish(&size);
	EXPECT_INVALID(blob, size, "name offset 0x500 is past the strings block");

	/* The last name runs to the end of the strings block without NUL. */
	b_init();
	b_begin("");
	b_prop_u32("abc", 1);
	b_end();
	blob = b_finish(&size);
	put32(blob + HDR_SIZE_DT_STRINGS, get32(blob + HDR_SIZE_DT_STRINGS) - 1);
	/* (The blob's last byte is still that NUL: the reader must not look.) */
	EXPECT_INVALID(blob, size, "not NUL-terminated inside the strings block");
}

TAP_TEST(rejects_unterminated_node_name)
{
	size_t size;
	uint8_t *blob;

	b_init();
	b_begin("");
	b_word(FDT_BEGIN_NODE);
	b_bytes("abcd", 4);             /* no NUL, and then the struct ends */
	blob = b_finish(&size);
	/* b_finish appended FDT_END; cut the struct block before it. */
	put32(blob + HDR_SIZE_DT_STRUCT, get32(blob + HDR_SIZE_DT_STRUCT) - 4);
	EXPECT_INVALID(blob, size, "name of node at");
}

TAP_TEST(rejects_unbalanced_nodes)
{
	size_t size;
	uint8_t *blob;

	b_init();
	b_begin("");
	b_begin("child");
	b_end();                        /* root never closed */
	blob = b_finish(&size);
	EXPECT_INVALID(blob, size, "with 1 node(s) still open");

	b_init();
	b_begin("");
	b_end();
	b_end();                        /* one END_NODE too many */
	blob = b_finish(&size);
	EXPECT_INVALID(blob, size, "closes no node");

	b_init();
	b_begin("");
	b_end();
	b_begin("");                    /* a second root */
	b_end();
	blob = b_finish(&size);
	EXPECT_INVALID(blob, size, "second root node");

	b_init();                       /* nothing at all */
	blob = b_finish(&size);
	EXPECT_INVALID(blob, size, "no root node");
}

TAP_TEST(rejects_missing_fdt_end)
{
	size_t size;
	uint8_t *blob = typical_blob(&size);

	/* Drop the FDT_END: the struct block just stops. */
	put32(blob + HDR_SIZE_DT_STRUCT, get32(blob + HDR_SIZE_DT_STRUCT) - 4);
	EXPECT_INVALID(blob, size, "without an FDT_END token");

	blob = typical_blob(&size);
	put32(blob + HDR_SIZE_DT_STRUCT, 0);
	EXPECT_INVALID(blob, size, "without an FDT_END token");
}

TAP_TEST(rejects_deep_nesting)
{
	size_t size;
	uint8_t *blob;

	/* FDT_MAX_DEPTH levels are fine... */
	b_init();
	for (int i = 0; i < FDT_MAX_DEPTH; i++)
		b_begin(i ? "n" : "");
	for (int i = 0; i < FDT_MAX_DEPTH; i++)
		b_end();
	blob = b_finish(&size);
	TAP_EXPECT_EQ(fdt_validate(blob, size, NULL), 0);
	free(blob);

	/* ... one more is not. */
	b_init();
	for (int i = 0; i <= FDT_MAX_DEPTH; i++)
		b_begin(i ? "n" : "");
	for (int i = 0; i <= FDT_MAX_DEPTH; i++)
		b_end();
	blob = b_finish(&size);
	EXPECT_INVALID(blob, size, "nested deeper than 16");
}

TAP_TEST(rejects_unknown_tokens)
{
	static const uint32_t bad[] = { 0, 5, 8, 10, 0xd00dfeed };

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		size_t size;
		uint8_t *blob;
		char text[64];

		b_init();
		b_begin("");
		b_word(bad[i]);
		b_end();
		blob = b_finish(&size);
		snprintf(text, sizeof(text), "unknown token %#x", bad[i]);
		EXPECT_INVALID(blob, size, text);
	}
}

TAP_TEST(rejects_misplaced_properties)
{
	size_t size;
	uint8_t *blob;

	b_init();
	b_prop_u32("x", 1);             /* before the root */
	b_begin("");
	b_end();
	blob = b_finish(&size);
	EXPECT_INVALID(blob, size, "property 'x' at 0x");
	b_init();
	b_prop_u32("x", 1);
	blob = b_finish(&size);
	EXPECT_INVALID(blob, size, "outside any node");

	b_init();
	b_begin("");
	b_begin("child");
	b_end();
	b_prop_u32("late", 1);          /* after a child node */
	b_end();
	blob = b_finish(&size);
	EXPECT_INVALID(blob, size, "property 'late' at 0x");
}

/* ---- Well-formed blobs that describe memory wrongly -------------------- */

/* A root with the given cells and one memory node with a raw reg value. */
static uint8_t *memory_blob(size_t *size, uint32_t ac, uint32_t sc,
			    const void *reg, size_t reg_len)
{
	b_init();
	b_begin("");
	b_prop_u32("#address-cells", ac);
	b_prop_u32("#size-cells", sc);
	b_begin("memory@0");
	b_prop_str("device_type", "memory");
	if (reg)
		b_prop("reg", reg, reg_len);
	b_end();
	b_end();
	return b_finish(size);
}

TAP_TEST(rejects_bad_memory_descriptions)
{
	static const uint8_t reg12[12] = { 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0x10, 0 };
	static const uint8_t reg16[16] = { 0 };
	size_t size;
	uint8_t *blob;

	blob = memory_blob(&size, 2, 2, reg12, 12);
	EXPECT_MEMMAP_ERROR(blob, size, -EINVAL,
			    "reg of 'memory@0' is 12 bytes, not a multiple of 16");
	blob = memory_blob(&size, 3, 2, reg16, 16);
	EXPECT_MEMMAP_ERROR(blob, size, -EINVAL, "#address-cells = 3 in node '/'");
	blob = memory_blob(&size, 0, 2, reg16, 16);
	EXPECT_MEMMAP_ERROR(blob, size, -EINVAL, "#address-cells = 0");
	blob = memory_blob(&size, 2, 3, reg16, 16);
	EXPECT_MEMMAP_ERROR(blob, size, -EINVAL, "#size-cells = 3");
	blob = memory_blob(&size, 2, 2, NULL, 0);
	EXPECT_MEMMAP_ERROR(blob, size, -EINVAL, "'memory@0' has no reg property");

	/* #address-cells of the wrong length. */
	b_init();
	b_begin("");
	b_prop("#address-cells", "\0\0\0\2\0\0\0\0", 8);
	b_begin("memory");
	b_end();
	b_end();
	blob = b_finish(&size);
	EXPECT_MEMMAP_ERROR(blob, size, -EINVAL, "#address-cells of node '/' is 8 bytes");

	/* Bad cells in /reserved-memory are caught too. */
	b_typical_tree_start();
	b_begin("reserved-memory");
	b_prop_u32("#size-cells", 4);
	b_end();
	b_end();
	blob = b_finish(&size);
	EXPECT_MEMMAP_ERROR(blob, size, -EINVAL,
			    "#size-cells = 4 in node 'reserved-memory'");
}

TAP_TEST(rejects_missing_memory_node)
{
	static const uint64_t ram[][2] = { { 0x80000000, 0x1000 } };
	size_t size;
	uint8_t *blob;

	b_init();
	b_begin("");
	b_begin("chosen");
	b_end();
	b_end();
	blob = b_finish(&size);
	EXPECT_MEMMAP_ERROR(blob, size, -EINVAL, "no /memory node");

	/* Only a disabled one is no better. */
	b_init();
	b_begin("");
	b_begin("memory@80000000");
	b_prop_reg(2, 1, 1, ram);
	b_prop_str("status", "disabled");
	b_end();
	b_end();
	blob = b_finish(&size);
	EXPECT_MEMMAP_ERROR(blob, size, -EINVAL, "no /memory node");
}

TAP_TEST(passes_on_memmap_errors)
{
	static const uint64_t wraps[][2] = { { 0xfffffffffffff000, 0x2000 } };
	static const uint64_t top[][2] = { { 0xfffffffffffff000, 0x1000 } };
	static uint64_t many[MEMMAP_MAX + 1][2];
	size_t size;
	uint8_t *blob;

	b_init();
	b_begin("");
	b_begin("memory");
	b_prop_reg(2, 1, 1, wraps);    /* default cells: 2 and 1 */
	b_end();
	b_end();
	blob = b_finish(&size);
	EXPECT_MEMMAP_ERROR(blob, size, -EOVERFLOW,
			    "range 0xfffffffffffff000 + 0x2000 wraps");

	b_typical_tree_start();
	b_begin("reserved-memory");
	b_begin("top");
	b_prop_reg(2, 1, 1, top);       /* ends exactly at 2^64 */
	b_end();
	b_end();
	b_end();
	blob = b_finish(&size);
	EXPECT_MEMMAP_ERROR(blob, size, -EOVERFLOW, "top: range");

	for (unsigned i = 0; i < ARRAY_SIZE(many); i++) {
		many[i][0] = 0x80000000 + i * 0x10000;
		many[i][1] = 0x1000;
	}
	b_init();
	b_begin("");
	b_begin("memory");
	b_prop_reg(2, 1, MEMMAP_MAX + 1, many);
	b_end();
	b_end();
	blob = b_finish(&size);
	EXPECT_MEMMAP_ERROR(blob, size, -ENOSPC, "no room in the memory map");

	/* memreserve entries that wrap. */
	b_typical_tree_start();
	b_end();
	b_memreserve(0xffffffffffff0000, 0x10000);
	blob = b_finish(&size);
	EXPECT_MEMMAP_ERROR(blob, size, -EOVERFLOW, "memreserve: range");
}

/* ---- Damaged real blobs: must fail cleanly or give a sane answer -------- */

/* Run every reader on a blob; only the sanitizers judge. */
static int exercise(const uint8_t *blob, size_t size)
{
	const char *err = NULL;
	uint32_t v;
	int rc = fdt_validate(blob, size, &err);

	if (rc < 0) {
		if (!err || strncmp(err, "fdt: ", 5) != 0)
			TAP_FAIL("error without a message");
		return rc;
	}
	memmap_init(&map);
	if (fdt_read_memmap(blob, 0x87e00000, &map, &err) == 0)
		memmap_finalize(&map);
	fdt_bootargs(blob);
	fdt_getprop_u32(blob, "/cpus", "timebase-frequency", &v);
	fdt_getprop(blob, "/soc/serial", "reg", NULL);
	fdt_getprop(blob, "/reserved-memory/mmode_resv0", "reg", NULL);
	return 0;
}

TAP_TEST(every_truncation_is_rejected)
{
	size_t size;
	uint8_t *blob = load_fixture("opensbi-128m-append.dtb", &size);

	if (!blob)
		return;
	/* The caller's bound is shorter than totalsize. */
	for (size_t len = 0; len < size; len++) {
		uint8_t *copy = copy_of(blob, len);
		const char *err = NULL;

		if (fdt_validate(copy, len, &err) >= 0)
			TAP_FAIL("truncated to %zu bytes but accepted", len);
		free(copy);
	}
	free(blob);
}

TAP_TEST(every_truncation_with_matching_totalsize_is_safe)
{
	size_t size, accepted = 0;
	uint8_t *blob = load_fixture("opensbi-128m-append.dtb", &size);

	if (!blob)
		return;
	/* The header claims the shorter size, so only its offsets can tell. */
	for (size_t len = FDT_HEADER_SIZE; len <= size; len++) {
		uint8_t *copy = copy_of(blob, len);

		put32(copy + HDR_TOTALSIZE, len);
		accepted += exercise(copy, len) == 0;
		free(copy);
	}
	printf("# %zu of %zu truncations accepted\n", accepted,
	       size - FDT_HEADER_SIZE + 1);
	free(blob);
}

TAP_TEST(every_shorter_struct_or_strings_block_is_safe)
{
	size_t size;
	uint8_t *blob = load_fixture("opensbi-128m-append.dtb", &size);
	uint32_t dt_size, str_size;

	if (!blob)
		return;
	dt_size = get32(blob + HDR_SIZE_DT_STRUCT);
	str_size = get32(blob + HDR_SIZE_DT_STRINGS);
	for (uint32_t k = 0; k < dt_size; k++) {
		uint8_t *copy = copy_of(blob, size);

		put32(copy + HDR_SIZE_DT_STRUCT, k);
		/* QEMU ends the block with FDT_END: any cut loses it. */
		if (exercise(copy, size) == 0)
			TAP_FAIL("struct block cut to %u bytes but accepted", k);
		free(copy);
	}
	for (uint32_t k = 0; k <= str_size; k++) {
		uint8_t *copy = copy_of(blob, size);

		put32(copy + HDR_SIZE_DT_STRINGS, k);
		exercise(copy, size);
		free(copy);
	}
	free(blob);
}

static uint64_t rng_state = 0x2545f4914f6cdd1d;

TAP_TEST(random_byte_flips_are_safe)
{
	const char *names[] = { "opensbi-128m-append.dtb", "virt-smp4.dtb" };
	unsigned accepted = 0, rounds = 0;

	printf("# seed %#llx\n", (unsigned long long)rng_state);
	for (unsigned n = 0; n < ARRAY_SIZE(names); n++) {
		size_t size;
		uint8_t *blob = load_fixture(names[n], &size);

		if (!blob)
			return;
		accepted += random_flips(blob, size, 3000, 256, &rng_state,
					 exercise);
		rounds += 3000;
		free(blob);
	}
	{
		/* And a synthetic blob with every feature in it. */
		static const uint64_t fw[][2] = { { 0x80000000, 0x80000 } };
		size_t size;
		uint8_t *blob;

		b_typical_tree_start();
		b_begin("reserved-memory");
		b_prop_u32("#address-cells", 1);
		b_prop_u32("#size-cells", 1);
		b_begin("fw@80000000");
		b_prop_reg(1, 1, 1, fw);
		b_end();
		b_end();
		b_end();
		b_memreserve(0x87000000, 0x1000);
		blob = b_finish(&size);
		accepted += random_flips(blob, size, 3000, 256, &rng_state,
					 exercise);
		rounds += 3000;
		free(blob);
	}
	printf("# %u of %u damaged blobs still valid\n", accepted, rounds);
}

TAP_MAIN()

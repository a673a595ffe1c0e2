/*
 * In-kernel tests of the device tree reader (mm/fdt.c), on small blobs
 * built here. Nothing depends on the machine we run on: the blobs are
 * synthetic, so the suite runs the same on every architecture. The host
 * tests (tests/host/test_fdt.c) cover real QEMU blobs and damaged ones.
 */
#include "kernel/errno.h"
#include "kernel/ktest.h"
#include "mm/fdt.h"
#include "mm/memmap.h"

/* ---- A very small blob builder ------------------------------------------
 *
 * Layout: header (40 bytes), a reservation block of one entry plus the
 * 0,0 terminator, the structure block, then the strings block.
 */
#define RSV_OFF    FDT_HEADER_SIZE
#define STRUCT_OFF (RSV_OFF + 2 * 16)

static uint8_t blob[1024] __attribute__((aligned(8)));
static uint8_t *dt = blob + STRUCT_OFF;        /* structure block */
static size_t dt_len;
static char strings[128];
static size_t strings_len;
static struct memmap map;                      /* ~7 KiB: not on the stack */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, (uint32_t)v);
}

static void word(uint32_t v)
{
	put32(dt + dt_len, v);
	dt_len += 4;
}

/* Copy len bytes into the structure block, padded to 4 bytes. */
static void bytes(const void *data, size_t len)
{
	memcpy(dt + dt_len, data, len);
	dt_len = ALIGN_UP(dt_len + len, 4);
}

static void begin_node(const char *name)
{
	word(FDT_BEGIN_NODE);
	bytes(name, strlen(name) + 1);
}

static void end_node(void)
{
	word(FDT_END_NODE);
}

/* Each property name is stored once per use: fine for a test. */
static void prop(const char *name, const void *value, size_t len)
{
	word(FDT_PROP);
	word(len);
	word(strings_len);
	memcpy(strings + strings_len, name, strlen(name) + 1);
	strings_len += strlen(name) + 1;
	bytes(value, len);
}

static void prop_u32(const char *name, uint32_t v)
{
	uint8_t cell[4];

	put32(cell, v);
	prop(name, cell, 4);
}

static void start(void)
{
	memset(blob, 0, sizeof(blob));
	dt_len = 0;
	strings_len = 0;
}

/* Add FDT_END, the strings and the header. Returns the blob's size. */
static size_t finish(uint64_t rsv_base, uint64_t rsv_size)
{
	size_t strings_off, total;

	word(FDT_END);
	strings_off = STRUCT_OFF + dt_len;
	total = strings_off + strings_len;
	memcpy(blob + strings_off, strings, strings_len);
	put64(blob + RSV_OFF, rsv_base);
	put64(blob + RSV_OFF + 8, rsv_size);
	put32(blob + 0, FDT_MAGIC);
	put32(blob + 4, total);                 /* totalsize */
	put32(blob + 8, STRUCT_OFF);            /* off_dt_struct */
	put32(blob + 12, strings_off);          /* off_dt_strings */
	put32(blob + 16, RSV_OFF);              /* off_mem_rsvmap */
	put32(blob + 20, 17);                   /* version */
	put32(blob + 24, 16);                   /* last_comp_version */
	put32(blob + 32, strings_len);          /* size_dt_strings */
	put32(blob + 36, dt_len);               /* size_dt_struct */
	return total;
}

/*
 * / { #address-cells = <2>; #size-cells = <2>;
 *     chosen { bootargs = "hello"; };
 *     memory@80000000 { device_type = "memory";
 *                       reg = <0 0x80000000 0 0x8000000>; };
 *     reserved-memory { #address-cells = <1>; #size-cells = <1>;
 *                       fw@80000000 { reg = <0x80000000 0x80000>; }; };
 * };  plus /memreserve/ 0x87000000 0x1000
 */
static size_t build_small_machine(bool with_memory)
{
	static const uint8_t mem_reg[16] = {
		0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x08, 0, 0, 0,
	};
	static const uint8_t fw_reg[8] = { 0x80, 0, 0, 0, 0, 0x08, 0, 0 };

	start();
	begin_node("");
	prop_u32("#address-cells", 2);
	prop_u32("#size-cells", 2);
	begin_node("chosen");
	prop("bootargs", "hello", 6);
	end_node();
	if (with_memory) {
		begin_node("memory@80000000");
		prop("device_type", "memory", 7);
		prop("reg", mem_reg, sizeof(mem_reg));
		end_node();
	}
	begin_node("reserved-memory");
	prop_u32("#address-cells", 1);
	prop_u32("#size-cells", 1);
	begin_node("fw@80000000");
	prop("reg", fw_reg, sizeof(fw_reg));
	end_node();
	end_node();
	end_node();
	return finish(0x87000000, 0x1000);
}

/* Does s contain part? (The kernel has no strstr.) */
static bool contains(const char *s, const char *part)
{
	size_t n = strlen(part);

	for (; s && *s; s++)
		if (strncmp(s, part, n) == 0)
			return true;
	return false;
}

/* ---- Tests -------------------------------------------------------------- */

KTEST(fdt, reads_small_machine)
{
	size_t size = build_small_machine(true);
	const char *err = NULL;
	uint32_t cells = 0;

	KT_ASSERT_EQ(fdt_validate(blob, sizeof(blob), &err), 0);
	KT_EXPECT_EQ(fdt_total_size(blob), size);
	memmap_init(&map);
	KT_ASSERT_EQ(fdt_read_memmap(blob, 0x87f00000, &map, &err), 0);

	KT_ASSERT_EQ(map.nram, 1);
	KT_EXPECT_EQ(map.ram[0].base, 0x80000000);
	KT_EXPECT_EQ(map.ram[0].end, 0x88000000);
	KT_ASSERT_EQ(map.nreserved, 3);
	KT_EXPECT_EQ(map.reserved[0].base, 0x80000000);
	KT_EXPECT_EQ(map.reserved[0].end, 0x80080000);
	KT_EXPECT_STREQ(map.reserved[0].why, "fw@80000000");
	KT_EXPECT_EQ(map.reserved[1].base, 0x87000000);
	KT_EXPECT_STREQ(map.reserved[1].why, "memreserve");
	KT_EXPECT_EQ(map.reserved[2].base, 0x87f00000);
	KT_EXPECT_EQ(map.reserved[2].end, 0x87f00000 + size);
	KT_EXPECT_STREQ(map.reserved[2].why, "dtb");

	KT_ASSERT_EQ(memmap_finalize(&map), 0);
	KT_EXPECT_EQ(map.nusable, 3);
	KT_EXPECT_EQ(map.usable[0].base, 0x80080000);

	KT_ASSERT_TRUE(fdt_bootargs(blob) != NULL);
	KT_EXPECT_STREQ(fdt_bootargs(blob), "hello");
	KT_EXPECT_TRUE(fdt_getprop_u32(blob, "/", "#address-cells", &cells));
	KT_EXPECT_EQ(cells, 2);
	KT_EXPECT_TRUE(fdt_getprop(blob, "/memory", "reg", NULL) != NULL);
}

KTEST(fdt, rejects_bad_magic)
{
	const char *err = NULL;

	build_small_machine(true);
	blob[0] = 0;
	KT_EXPECT_EQ(fdt_validate(blob, sizeof(blob), &err), -EINVAL);
	KT_EXPECT_TRUE(contains(err, "bad magic"));
}

KTEST(fdt, rejects_blob_larger_than_bound)
{
	const char *err = NULL;
	size_t size = build_small_machine(true);

	KT_EXPECT_EQ(fdt_validate(blob, size - 1, &err), -EINVAL);
	KT_EXPECT_TRUE(contains(err, "totalsize"));
}

KTEST(fdt, rejects_property_running_off_the_end)
{
	const char *err = NULL;

	build_small_machine(true);
	/* The first token after the root's name is #address-cells: make
	 * its length absurd. Root: BEGIN_NODE word + "" padded = 8 bytes. */
	put32(dt + 8 + 4, 0x10000);
	KT_EXPECT_EQ(fdt_validate(blob, sizeof(blob), &err), -EINVAL);
	KT_EXPECT_TRUE(contains(err, "runs past the struct block"));
}

KTEST(fdt, rejects_unbalanced_nodes)
{
	const char *err = NULL;

	start();
	begin_node("");
	begin_node("never-closed");
	end_node();
	finish(0, 0);
	KT_EXPECT_EQ(fdt_validate(blob, sizeof(blob), &err), -EINVAL);
	KT_EXPECT_TRUE(contains(err, "still open"));
}

KTEST(fdt, needs_a_memory_node)
{
	const char *err = NULL;

	build_small_machine(false);
	KT_ASSERT_EQ(fdt_validate(blob, sizeof(blob), &err), 0);
	memmap_init(&map);
	KT_EXPECT_EQ(fdt_read_memmap(blob, 0, &map, &err), -EINVAL);
	KT_EXPECT_TRUE(contains(err, "no /memory node"));
}

/*
 * Fuzz target: the memory map normaliser (mm/memmap.c).
 *
 * Input: a stream of operations -- add a RAM or a reserved range (or many
 * at once), finalize, ask memmap_is_usable() -- with addresses small, page-sized, near the
 * top of the address space, or raw (an operation byte: low 4 bits the
 * operation, high 4 bits the kind of address). Checked against a model that knows
 * nothing of memmap.c's algorithm:
 *   - add: 0 for size 0 (nothing added), -EOVERFLOW if base + size wraps,
 *     -ENOSPC when the list is full, else 0 and one more entry;
 *   - finalize: usable = the union of RAM minus the union of reserved,
 *     computed by a sweep over every range boundary, each piece shrunk
 *     to whole pages. It must equal map.usable exactly (sorted, merged,
 *     aligned, nothing touching). -ENOSPC only when the pieces could not
 *     fit in MEMMAP_MAX entries, and then no usable range at all;
 *     finalize again gives the same answer; the raw lists come out
 *     sorted and still hold what was added;
 *   - usable_bytes, ram_end and is_usable agree with the model.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/errno.h"
#include "mm/memmap.h"
#include "tests/fuzz/fuzz.h"

static struct memmap map, again;

/* What was added, in order (the raw lists get sorted by finalize). */
static struct model {
	struct mem_range ram[MEMMAP_MAX], reserved[MEMMAP_MAX];
	unsigned nram, nreserved;
	struct mem_range usable[4 * MEMMAP_MAX];
	unsigned nusable;       /* after the last successful finalize */
	unsigned pieces;        /* before shrinking to pages */
} model;

/* ---- The model of finalize ------------------------------------------------ */

struct event {
	paddr_t at;
	int ram, reserved;      /* +1 a range starts here, -1 one ends */
};

static struct event events[4 * MEMMAP_MAX];

static int by_address(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	return x->at < y->at ? -1 : x->at > y->at;
}

/* Record free piece [base, end), merging with the previous if touching. */
static void add_piece(struct mem_range *pieces, unsigned *n, paddr_t base,
		      paddr_t end)
{
	if (*n > 0 && pieces[*n - 1].end == base)
		pieces[*n - 1].end = end;
	else
		pieces[(*n)++] = (struct mem_range){ base, end };
}

static void model_finalize(void)
{
	struct mem_range pieces[4 * MEMMAP_MAX];
	unsigned nevents = 0, npieces = 0;
	int ram = 0, reserved = 0;

	for (unsigned i = 0; i < model.nram; i++) {
		events[nevents++] = (struct event){ model.ram[i].base, 1, 0 };
		events[nevents++] = (struct event){ model.ram[i].end, -1, 0 };
	}
	for (unsigned i = 0; i < model.nreserved; i++) {
		events[nevents++] = (struct event){ model.reserved[i].base, 0, 1 };
		events[nevents++] = (struct event){ model.reserved[i].end, 0, -1 };
	}
	qsort(events, nevents, sizeof(events[0]), by_address);
	for (unsigned i = 0; i < nevents; i++) {
		ram += events[i].ram;
		reserved += events[i].reserved;
		/* [here, next event) is free if RAM and not reserved. */
		if (i + 1 < nevents && events[i + 1].at != events[i].at &&
		    ram > 0 && reserved == 0)
			add_piece(pieces, &npieces, events[i].at,
				  events[i + 1].at);
	}
	model.pieces = npieces;
	model.nusable = 0;
	for (unsigned i = 0; i < npieces; i++) {
		paddr_t end = ALIGN_DOWN(pieces[i].end, PAGE_SIZE);
		if (pieces[i].base > end)
			continue;
		paddr_t base = ALIGN_UP(pieces[i].base, PAGE_SIZE);
		if (base < end)
			model.usable[model.nusable++] =
				(struct mem_range){ base, end };
	}
}

/* ---- Checks ----------------------------------------------------------------- */

static bool same_ranges(const struct mem_range *a, unsigned na,
			const struct mem_range *b, unsigned nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

static int by_base_then_end(const void *a, const void *b)
{
	const struct mem_range *x = a, *y = b;

	if (x->base != y->base)
		return x->base < y->base ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* The raw list got[] is sorted by base and holds exactly what was added. */
static void check_raw(const char *what, struct mem_range *got, unsigned n,
		      const struct mem_range *added, unsigned nadded)
{
	struct mem_range want[MEMMAP_MAX];

	for (unsigned i = 1; i < n; i++)
		FUZZ_CHECK(got[i - 1].base <= got[i].base,
			   "%s: not sorted at entry %u", what, i);
	FUZZ_CHECK(n == nadded, "%s: %u entries, %u added", what, n, nadded);
	memcpy(want, added, n * sizeof(*want));
	qsort(want, n, sizeof(*want), by_base_then_end);
	qsort(got, n, sizeof(*got), by_base_then_end);
	FUZZ_CHECK(same_ranges(got, n, want, n),
		   "%s: the list no longer holds what was added", what);
}

static void finalize_op(void)
{
	int rc = memmap_finalize(&map);

	model_finalize();
	fuzz_trace("finalize -> %d (model: %u pieces, %u usable)", rc,
		   model.pieces, model.nusable);
	struct mem_range got[MEMMAP_MAX];

	memcpy(got, map.ram, map.nram * sizeof(got[0]));
	check_raw("ram", got, map.nram, model.ram, model.nram);
	for (unsigned i = 0; i < map.nreserved; i++)
		got[i] = (struct mem_range){ map.reserved[i].base,
					     map.reserved[i].end };
	check_raw("reserved", got, map.nreserved, model.reserved,
		  model.nreserved);
	FUZZ_CHECK(rc == 0 || rc == -ENOSPC, "rc %d", rc);
	if (rc == -ENOSPC) {
		/* Every split needs a slot: pieces <= RAM ranges + reserved. */
		FUZZ_CHECK(map.nusable == 0);
		FUZZ_CHECK(model.pieces > MEMMAP_MAX ||
			   model.nram + model.nreserved > MEMMAP_MAX,
			   "-ENOSPC, but %u pieces from %u RAM and %u reserved "
			   "ranges fit", model.pieces, model.nram,
			   model.nreserved);
		model.nusable = 0;
		return;
	}
	FUZZ_CHECK(model.pieces <= MEMMAP_MAX);
	FUZZ_CHECK(same_ranges(map.usable, map.nusable, model.usable,
			       model.nusable),
		   "usable: %u ranges, model %u; first [%#lx, %#lx) vs "
		   "[%#lx, %#lx)", map.nusable, model.nusable,
		   (unsigned long)map.usable[0].base,
		   (unsigned long)map.usable[0].end,
		   (unsigned long)model.usable[0].base,
		   (unsigned long)model.usable[0].end);

	/* Finalizing again changes nothing. */
	again = map;
	FUZZ_CHECK(memmap_finalize(&again) == 0);
	FUZZ_CHECK(same_ranges(again.usable, again.nusable, map.usable,
			       map.nusable), "finalize is not idempotent");

	uint64_t bytes = 0;
	paddr_t ram_end = 0;
	for (unsigned i = 0; i < model.nusable; i++)
		bytes += model.usable[i].end - model.usable[i].base;
	for (unsigned i = 0; i < model.nram; i++)
		ram_end = MAX(ram_end, model.ram[i].end);
	FUZZ_CHECK(memmap_usable_bytes(&map) == bytes);
	FUZZ_CHECK(memmap_ram_end(&map) == ram_end);
}

/* ---- Operations ------------------------------------------------------------- */

/* A range: small and sub-page, whole pages, near the top, or raw. */
static void decode_range(struct input *in, unsigned how, paddr_t *base,
			 uint64_t *size)
{
	switch (how) {
	case 0:
		*base = (paddr_t)take16(in) << 8;
		*size = (uint64_t)take16(in) << 8;
		break;
	case 1:
		*base = (paddr_t)take32(in) << PAGE_SHIFT;
		*size = (uint64_t)take16(in) << PAGE_SHIFT;
		break;
	case 2:
		*base = UINT64_MAX - ((paddr_t)take32(in) << 8);
		*size = (uint64_t)take32(in) << 8;
		break;
	default:
		*base = take64(in);
		*size = take64(in);
	}
}

/* Add [base, +size) to the map and to the model; check the result. */
static void add(bool ram, paddr_t base, uint64_t size)
{
	struct mem_range *list = ram ? model.ram : model.reserved;
	unsigned *n = ram ? &model.nram : &model.nreserved;
	int rc, want = 0;

	rc = ram ? memmap_add_ram(&map, base, size) :
		   memmap_add_reserved(&map, base, size, "fuzz");
	if (size == 0)
		want = 0;
	else if (size > UINT64_MAX - base)
		want = -EOVERFLOW;
	else if (*n == MEMMAP_MAX)
		want = -ENOSPC;
	fuzz_trace("add %s [%#lx, +%#lx) -> %d", ram ? "ram" : "reserved",
		   (unsigned long)base, (unsigned long)size, rc);
	FUZZ_CHECK(rc == want, "add %s [%#lx, +%#lx): %d, expected %d",
		   ram ? "ram" : "reserved", (unsigned long)base,
		   (unsigned long)size, rc, want);
	if (rc == 0 && size > 0)
		list[(*n)++] = (struct mem_range){ base, base + size };
	FUZZ_CHECK(map.nram == model.nram && map.nreserved == model.nreserved);
}

static void add_op(struct input *in, bool ram, unsigned how)
{
	paddr_t base;
	uint64_t size;

	decode_range(in, how, &base, &size);
	add(ram, base, size);
}

/* Many ranges in a few bytes: count ranges of size bytes, stride apart
 * (enough to fill the tables and split RAM into too many pieces). */
static void repeat_op(struct input *in)
{
	uint8_t count = take8(in);
	bool ram = count & 1;
	paddr_t base = (paddr_t)take32(in) << PAGE_SHIFT;
	uint64_t stride = (uint64_t)take16(in) << 8;
	uint64_t size = (uint64_t)take16(in) << 8;

	for (unsigned i = 0; i <= count; i++)
		add(ram, base + i * stride, size);
}

static void is_usable_op(struct input *in, unsigned how)
{
	paddr_t base;
	uint64_t size;
	bool want = false;

	decode_range(in, how, &base, &size);
	for (unsigned i = 0; i < model.nusable && size > 0 &&
	     size <= UINT64_MAX - base; i++)
		want |= base >= model.usable[i].base &&
			base + size <= model.usable[i].end;
	FUZZ_CHECK(memmap_is_usable(&map, base, size) == want,
		   "is_usable(%#lx, %#lx) should be %d", (unsigned long)base,
		   (unsigned long)size, want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	memmap_init(&map);
	memset(&model, 0, sizeof(model));
	while (fuzz_more(&in)) {
		uint8_t op = take8(&in);
		unsigned how = op >> 4 & 3;     /* which kind of address */

		/* Finalize is O(n^2) (and the model's check O(n log n)):
		 * one operation in 16, or the fuzzer crawls. */
		if (op % 16 < 6)
			add_op(&in, true, how);
		else if (op % 16 < 11)
			add_op(&in, false, how);
		else if (op % 16 == 11)
			repeat_op(&in);
		else if (op % 16 < 15)
			is_usable_op(&in, how);
		else
			finalize_op();
	}
	finalize_op();
	return 0;
}

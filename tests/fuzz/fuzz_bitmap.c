/*
 * Fuzz target: the bitmap page allocator (mm/bitmap.c).
 *
 * Input: a machine (machine.h), then an operation stream checked by
 * the page model (page_model.h), plus bitmap-only operations:
 *   - bitmap_reserve / bitmap_unreserve of any range (an unaligned one
 *     must panic; unreserve only of ranges the model holds no page of);
 *   - zero-on-alloc switched on or off.
 * The bitmap searches all of memory, so the model also checks that a
 * request fails only if no aligned run of free pages exists.
 */
#include "mm/bitmap.h"
#include "tests/fuzz/page_model.h"

static struct bump boot;
static struct bitmap_alloc bm;

/* Window pages [*lo, *hi) covered by [pa, pa + npages pages). */
static void window_span(paddr_t pa, uint64_t npages, unsigned *lo,
			unsigned *hi)
{
	uint64_t first = pa / PAGE_SIZE;
	uint64_t last = first + MIN(npages, UINT64_MAX - first);
	uint64_t wfirst = machine.base / PAGE_SIZE;
	uint64_t wlast = wfirst + machine.npages;

	*lo = *hi = 0;
	if (MAX(first, wfirst) < MIN(last, wlast)) {
		*lo = (unsigned)(MAX(first, wfirst) - wfirst);
		*hi = (unsigned)(MIN(last, wlast) - wfirst);
	}
}

/* The bitmap searches all of memory: it fails only if no run fits. */
static bool can_fail(uint64_t npages, uint64_t align_pages)
{
	return !pm_run_exists(npages, align_pages);
}

static void reserve_op(struct input *in, bool reserve)
{
	uint8_t how = take8(in);
	paddr_t pa = how & 1 ? take64(in) :
		     machine_pa(take16(in) % machine.npages);
	uint64_t npages = how & 2 ? take64(in) : take8(in) % 8;
	bool aligned;
	unsigned lo, hi;

	if (how & 4)
		pa += 1 + how % 64;     /* unaligned: must panic */
	aligned = pa % PAGE_SIZE == 0;
	window_span(pa, npages, &lo, &hi);
	if (!reserve)           /* unreserve only what nobody holds */
		for (unsigned p = lo; p < hi; p++)
			if (pm.state[p] == PG_OWNED)
				return;

	fuzz_trace("bitmap_%sreserve(%#lx, %#lx)%s", reserve ? "" : "un",
		   (unsigned long)pa, (unsigned long)npages,
		   aligned ? "" : ": must panic");
	EXPECT_PANIC_IF(!aligned, reserve ? "bitmap_reserve: " :
			"bitmap_unreserve: ", "reserve",
			reserve ? bitmap_reserve(&bm, pa, npages) :
				  bitmap_unreserve(&bm, pa, npages));
	for (unsigned p = lo; aligned && p < hi; p++) {
		uint8_t *s = &pm.state[p];
		if (reserve && *s == PG_FREE) {
			*s = PG_RESERVED;
			pm.free--;
			pm.total--;
		} else if (!reserve && *s == PG_RESERVED) {
			*s = PG_FREE;
			pm.free++;
			pm.total++;
		}
	}
	pm_check();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	bool empty;

	machine_build(&in, 256);
	bump_init(&boot, &machine.map);
	empty = machine.map.nusable == 0;
	EXPECT_PANIC_IF(empty, "bitmap_init: the memory map has no usable RAM",
			"bitmap_init", bitmap_init(&bm, &machine.map, &boot));
	if (empty)
		return 0;
	pm_start("bitmap", &bitmap_ops, &bm, &bm.lock, boot.next);
	pm.can_fail = can_fail;

	while (fuzz_more(&in)) {
		uint8_t op = take8(&in);
		if (op < 0xe0) {
			pm_step(op, &in);
		} else if (op < 0xf0) {
			reserve_op(&in, op % 2 == 0);
		} else {
			pm.expect_zeroed = op % 2;
			fuzz_trace("bitmap_zero_on_alloc(%d)", op % 2);
			bitmap_zero_on_alloc(&bm, pm.expect_zeroed);
		}
	}
	pm_finish();
	return 0;
}

/*
 * Fuzz target: the bump allocator (mm/bump.c).
 *
 * Input: a machine (machine.h), then a stream of operations:
 *   - bump_alloc(n, align), checked against a one-line model: the result
 *     is the first run of n usable pages at an aligned address at or
 *     above the cursor, and the cursor moves past it (no fit: PHYS_NONE,
 *     nothing moves). Bad arguments must panic;
 *   - bump_free(anything) must panic: a bump allocator cannot free;
 *   - bump_handover(): every usable page below the address it returns
 *     has been handed out or skipped, none at or above it; from then on
 *     every bump_alloc must panic.
 * After each operation free_pages() must count the usable pages at or
 * above the model's cursor.
 */
#include "mm/bump.h"
#include "tests/fuzz/page_model.h"

static struct bump b;

static struct {
	unsigned cursor;        /* window page: everything below is used */
	bool handed_over;
} model;

/* Usable pages at or above the cursor. */
static uint64_t model_free(void)
{
	uint64_t n = 0;

	for (unsigned p = model.cursor; p < machine.npages; p++)
		n += machine.usable[p];
	return n;
}

/* The model's answer: the first fit at or above the cursor. */
static paddr_t model_alloc(uint64_t npages, uint64_t align_pages)
{
	uint64_t run = 0;

	if (npages > machine.npages)
		return PHYS_NONE;
	for (unsigned p = model.cursor; p < machine.npages; p++) {
		run = machine.usable[p] ? run + 1 : 0;
		if (run >= npages) {
			unsigned first = p + 1 - (unsigned)npages;
			if (machine_pa(first) / PAGE_SIZE % align_pages == 0 &&
			    first >= model.cursor) {
				model.cursor = p + 1;
				return machine_pa(first);
			}
		}
	}
	return PHYS_NONE;
}

static void check_counts(void)
{
	FUZZ_CHECK(bump_free_pages(&b) == model_free(), "free %lu, model %lu",
		   (unsigned long)bump_free_pages(&b),
		   (unsigned long)model_free());
	FUZZ_CHECK(bump_total_pages(&b) == memmap_usable_bytes(&machine.map) /
		   PAGE_SIZE);
	FUZZ_CHECK(!spin_is_locked(&b.lock));
	fuzz_check_no_locks();
}

static void alloc_op(struct input *in)
{
	uint64_t npages, align_pages;
	paddr_t pa = PHYS_NONE, want;
	bool bad, panicked;

	pm_decode_request(in, &npages, &align_pages);
	bad = npages == 0 || !IS_POWER_OF_2(align_pages) ||
	      align_pages > (UINT64_MAX >> PAGE_SHIFT);
	fuzz_trace("bump_alloc(%#lx, %#lx)%s", (unsigned long)npages,
		   (unsigned long)align_pages,
		   bad || model.handed_over ? ": must panic" : "");
	panicked = PANICKED(pa = bump_ops.alloc(&b, npages, align_pages));
	fuzz_expect(panicked, bad || model.handed_over, "bump_alloc: ",
		    "bump_alloc");
	if (panicked)
		return;
	want = model_alloc(npages, align_pages);
	FUZZ_CHECK(pa == want, "bump_alloc(%lu, %lu) gave %#lx, model %#lx",
		   (unsigned long)npages, (unsigned long)align_pages,
		   (unsigned long)pa, (unsigned long)want);
}

static void free_op(struct input *in)
{
	paddr_t pa = take8(in) % 2 ? take64(in) : machine_pa(take8(in));
	uint64_t npages = take8(in);

	fuzz_trace("bump_free(%#lx, %lu): must panic", (unsigned long)pa,
		   (unsigned long)npages);
	EXPECT_PANIC_IF(true, "the bump allocator cannot free", "bump_free",
			bump_ops.free(&b, pa, npages));
}

static void handover_op(void)
{
	paddr_t stop = bump_handover(&b);

	fuzz_trace("bump_handover() -> %#lx", (unsigned long)stop);
	for (unsigned p = 0; p < machine.npages; p++)
		FUZZ_CHECK(!machine.usable[p] ||
			   (machine_pa(p) < stop) == (p < model.cursor),
			   "handover at %#lx, but usable page %#lx is %s",
			   (unsigned long)stop, (unsigned long)machine_pa(p),
			   p < model.cursor ? "used" : "untouched");
	model.handed_over = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	machine_build(&in, 256);
	bump_init(&b, &machine.map);
	model.cursor = 0;
	model.handed_over = false;
	check_counts();

	while (fuzz_more(&in)) {
		uint8_t op = take8(&in);
		if (op < 0xe0)
			alloc_op(&in);
		else if (op < 0xf8)
			free_op(&in);
		else
			handover_op();
		check_counts();
	}
	return 0;
}

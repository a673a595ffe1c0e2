/*
 * Fuzz target: the free-list page allocator (mm/freelist.c).
 *
 * Input: a machine (machine.h), a byte choosing poisoning on or off, then
 * an operation stream checked by the page model (page_model.h), with the
 * free list's own rules:
 *   - a single page comes from the head of the list (LIFO), or from an
 *     untouched tail when the list is empty; it fails only when no page
 *     is free at all;
 *   - with poisoning on, a write into a free page is caught when the
 *     page is handed out again: the write-after-free operation scribbles
 *     on the head page, and the next single-page allocation must panic.
 *     A damaged fill is repaired and the page stays free; a damaged link
 *     loses the rest of the list, so that input ends there.
 */
#include "kernel/arch.h"
#include "mm/freelist.h"
#include "tests/fuzz/page_model.h"

static struct bump boot;
static struct freelist fl;

static paddr_t predict(uint64_t npages, uint64_t align_pages)
{
	if (npages != 1 || align_pages != 1)
		return PREDICT_ANY;     /* carved from a tail, if one fits */
	if (fl.head != PHYS_NONE)
		return fl.head;
	return pm.free == 0 ? PHYS_NONE : PREDICT_ANY;
}

/*
 * Write into the free page at the head of the list, then allocate it.
 * Returns false if the list can no longer be trusted (link damaged).
 */
static bool write_after_free(struct input *in)
{
	uint16_t offset = take16(in) % PAGE_SIZE & ~7u;
	uint64_t value = take64(in), *word;
	paddr_t head = fl.head, got = PHYS_NONE;
	bool panicked;

	if (!fl.poison || head == PHYS_NONE)
		return true;
	word = (uint64_t *)phys_to_virt(head) + offset / 8;
	if (offset == 0) {
		/* The link: an odd address is never a valid one (all
		 * ones is: it is PHYS_NONE, the end of the list). */
		value = (value | 1) & ~(uint64_t)2;
	} else if (value == FREELIST_POISON) {
		value = 0;              /* the write must change something */
	}
	fuzz_trace("write %#lx at %#lx + %#x (free page)",
		   (unsigned long)value, (unsigned long)head, offset);
	*word = value;
	panicked = PANICKED(got = freelist_alloc(&fl, 1, 1));
	fuzz_expect(panicked, true, "was written after it was freed",
		    "freelist_alloc after a write to a free page");
	(void)got;
	if (offset == 0)
		return false;
	/* Repaired, still at the head, nothing else changed. */
	FUZZ_CHECK(fl.head == head && *word == FREELIST_POISON);
	pm_check();
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	bool empty, poison;

	machine_build(&in, 256);
	poison = take8(&in) % 4 != 0;
	bump_init(&boot, &machine.map);
	empty = machine.map.nusable == 0;
	EXPECT_PANIC_IF(empty, "freelist_init: the memory map has no usable "
			"RAM", "freelist_init",
			freelist_init(&fl, &machine.map, &boot, poison));
	if (empty)
		return 0;
	pm_start("freelist", &freelist_ops, &fl, &fl.lock, boot.next);
	pm.predict = predict;

	while (fuzz_more(&in)) {
		uint8_t op = take8(&in);
		if (op < 0xf0)
			pm_step(op, &in);
		else if (!write_after_free(&in))
			return 0;
	}
	pm_finish();
	return 0;
}

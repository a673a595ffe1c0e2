/*
 * Per-frame metadata. See mm/frame.h for the sparse layout.
 */
#include "kernel/arch.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "mm/bump.h"
#include "mm/frame.h"
#include "mm/memmap.h"

/* BEGIN SOLUTION lab7 */
/* Frames per section: sections are handled in frame numbers (pfns), which
 * cannot overflow where byte addresses near the top of memory could. */
#define SECTION_PFN_SHIFT (FRAME_SECTION_SHIFT - PAGE_SHIFT)

static uint64_t section_of_pfn(uint64_t pfn)
{
	return pfn >> SECTION_PFN_SHIFT;
}

/* bytes of memory from the bump allocator, or panic naming what for. */
static void *boot_alloc(struct bump *boot, uint64_t bytes, const char *what)
{
	uint64_t npages = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE;
	paddr_t pa = bump_alloc(boot, npages, 1);

	if (pa == PHYS_NONE)
		panic("frame_table_init: no room for %lu bytes of %s",
		      (unsigned long)bytes, what);
	return phys_to_virt(pa);
}

/*
 * Stretch the span of each section that [first, end) (frame numbers)
 * touches, so that its array will cover them. Usable ranges come sorted,
 * so the first range to reach a section fixes where its span starts.
 */
static void cover(struct frame_table *t, uint64_t first, uint64_t end)
{
	for (uint64_t s = section_of_pfn(first); s <= section_of_pfn(end - 1);
	     s++) {
		struct frame_section *sec = &t->section[s - t->first_section];
		uint64_t lo = MAX(first, s << SECTION_PFN_SHIFT);
		uint64_t hi = MIN(end, (s + 1) << SECTION_PFN_SHIFT);

		if (sec->nframes == 0)
			sec->first_pfn = lo;
		sec->nframes = hi - sec->first_pfn;
	}
}

/* Give a section its array: every frame reserved until claimed. */
static void fill(struct frame_table *t, struct frame_section *sec,
		 struct bump *boot)
{
	uint64_t bytes = sec->nframes * sizeof(struct frame);

	sec->frames = boot_alloc(boot, bytes, "frame records");
	for (uint64_t i = 0; i < sec->nframes; i++)
		sec->frames[i] = (struct frame){
			.pa = (sec->first_pfn + i) * PAGE_SIZE,
			.state = FRAME_RESERVED,
		};
	t->nframes += sec->nframes;
	t->bytes += bytes;
}
/* END SOLUTION */

void frame_table_init(struct frame_table *t, const struct memmap *map,
		      struct bump *boot)
{
	/* BEGIN SOLUTION lab7 */
	const struct mem_range *usable = map->usable;

	if (map->nusable == 0)
		panic("frame_table_init: the memory map has no usable RAM");
	memset(t, 0, sizeof(*t));
	t->first_section = section_of_pfn(usable[0].base / PAGE_SIZE);
	t->nsections = section_of_pfn(usable[map->nusable - 1].end / PAGE_SIZE
				      - 1) - t->first_section + 1;
	t->bytes = t->nsections * sizeof(*t->section);
	t->section = boot_alloc(boot, t->bytes, "section directory");
	memset(t->section, 0, t->bytes);

	for (unsigned i = 0; i < map->nusable; i++)
		cover(t, usable[i].base / PAGE_SIZE, usable[i].end / PAGE_SIZE);
	for (uint64_t s = 0; s < t->nsections; s++)
		if (t->section[s].nframes)
			fill(t, &t->section[s], boot);
	/* END SOLUTION */
}

struct frame *frame_lookup(const struct frame_table *t, paddr_t pa)
{
	/* BEGIN SOLUTION lab7 */
	/* Unsigned: an address below the first section wraps to a huge
	 * index, so one comparison rejects both sides. */
	uint64_t s = (pa >> FRAME_SECTION_SHIFT) - t->first_section;

	if (s >= t->nsections)
		return NULL;
	const struct frame_section *sec = &t->section[s];
	uint64_t i = pa / PAGE_SIZE - sec->first_pfn;
	return i < sec->nframes ? &sec->frames[i] : NULL;
	/* END SOLUTION */
}

/*
 * A small machine for the allocator fuzz targets, described by the first
 * bytes of the input: a window of fake physical memory (1 to 4 RAM
 * ranges, 0 to 3 reserved ranges, possibly unaligned), placed at one of
 * a few interesting physical addresses -- 0 (page 0 is real on x86), the
 * RISC-V RAM base, above 4 GiB, or just below the top of the address
 * space, where careless "pa + size" arithmetic wraps.
 *
 * The window is backed by one arena allocated once per process (fresh
 * memory for every input would cost a page fault per page). Everything in
 * it that is not usable RAM is poisoned for AddressSanitizer, so an
 * allocator touching reserved memory or a hole is reported as a crash.
 */
#ifndef DUET_FUZZ_MACHINE_H
#define DUET_FUZZ_MACHINE_H

#include "mm/memmap.h"
#include "tests/fuzz/fuzz.h"

#define MACHINE_MAX_PAGES 512

struct machine {
	struct memmap map;      /* finalised; nusable may be 0 */
	paddr_t base;           /* physical address of window page 0 */
	unsigned npages;        /* window size in pages */
	bool usable[MACHINE_MAX_PAGES];  /* page i lies in map.usable */
};

extern struct machine machine;

/* Read a machine of npages (<= MACHINE_MAX_PAGES, a multiple of 256)
 * pages from the input, back it with memory and finalise its map. */
void machine_build(struct input *in, unsigned npages);

/* Window page index of pa, or -1 if pa is not a page of the window. */
long machine_page(paddr_t pa);

static inline paddr_t machine_pa(unsigned page)
{
	return machine.base + (paddr_t)page * PAGE_SIZE;
}

#endif

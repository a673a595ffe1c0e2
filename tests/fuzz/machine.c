/*
 * The fuzzers' small machine. See machine.h.
 */
#include <sanitizer/asan_interface.h>
#include <string.h>

#include "kernel/arch.h"
#include "tests/fuzz/machine.h"
#include "tests/host/host.h"

struct machine machine;

/* Where window page 0 may be (chosen by two bits of the input). */
static const paddr_t window_bases[4] = {
	0x80000000,                     /* RISC-V virt RAM */
	0,                              /* x86: page 0 is a real page */
	0x100000000 + 0x3000,           /* above 4 GiB, oddly aligned */
	/* The window ends one page below 2^64 (ranges may not reach it). */
	-(paddr_t)(MACHINE_MAX_PAGES + 1) * PAGE_SIZE,
};

/* A range of whole window pages [first, first + len), trimmed inwards by
 * up to 15/16 of a page at each end (shift picks the trim), clamped to
 * the window. Returns false if nothing is left. */
static bool read_range(struct input *in, unsigned scale, unsigned max_len,
		       paddr_t *base, uint64_t *size)
{
	uint64_t first = (uint64_t)take8(in) * scale;
	uint64_t len = (1 + (uint64_t)take8(in) % max_len) * scale;
	uint8_t trim = take8(in);
	paddr_t start = machine_pa(0) + first * PAGE_SIZE + (trim & 15) * 256;
	paddr_t end = machine_pa(0) + MIN(first + len, machine.npages) *
		      PAGE_SIZE - (trim >> 4) * 256;

	if (end <= start)
		return false;
	*base = start;
	*size = end - start;
	return true;
}

void machine_build(struct input *in, unsigned npages)
{
	static uint8_t *arena;
	uint8_t shape = take8(in);
	unsigned nram = 1 + (shape & 3), nreserved = (shape >> 2) & 3;
	unsigned scale = npages / 256;
	paddr_t base;
	uint64_t size;

	if (!arena)
		arena = host_ram_init(0, (uint64_t)MACHINE_MAX_PAGES * PAGE_SIZE);
	machine.base = window_bases[(shape >> 4) & 3];
	machine.npages = npages;
	/* host_ram_init() made the direct map point at the arena: move it. */
	direct_map_offset = (uintptr_t)arena - (uintptr_t)machine.base;

	memmap_init(&machine.map);
	for (unsigned i = 0; i < nram; i++)
		if (read_range(in, scale, 256, &base, &size))
			FUZZ_CHECK(memmap_add_ram(&machine.map, base, size) == 0);
	for (unsigned i = 0; i < nreserved; i++)
		if (read_range(in, scale, 8, &base, &size))
			FUZZ_CHECK(memmap_add_reserved(&machine.map, base, size,
						       "fuzz") == 0);
	FUZZ_CHECK(memmap_finalize(&machine.map) == 0);
	for (unsigned i = 0; i < machine.map.nusable; i++)
		fuzz_trace("usable [%#lx, %#lx)",
			   (unsigned long)machine.map.usable[i].base,
			   (unsigned long)machine.map.usable[i].end);

	/* Only usable RAM may be touched. */
	ASAN_POISON_MEMORY_REGION(arena,
				  (size_t)MACHINE_MAX_PAGES * PAGE_SIZE);
	memset(machine.usable, 0, sizeof(machine.usable));
	for (unsigned i = 0; i < machine.map.nusable; i++) {
		const struct mem_range *u = &machine.map.usable[i];
		ASAN_UNPOISON_MEMORY_REGION(phys_to_virt(u->base),
					    u->end - u->base);
		for (paddr_t pa = u->base; pa < u->end; pa += PAGE_SIZE)
			machine.usable[machine_page(pa)] = true;
	}
}

long machine_page(paddr_t pa)
{
	if (pa < machine.base || pa % PAGE_SIZE != 0 ||
	    (pa - machine.base) / PAGE_SIZE >= machine.npages)
		return -1;
	return (long)((pa - machine.base) / PAGE_SIZE);
}

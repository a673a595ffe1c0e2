/*
 * The physical memory map: which physical addresses are RAM we may use.
 *
 * Arch code describes what the firmware told it -- RAM ranges and
 * reserved ranges, in any order, possibly overlapping or unaligned -- and
 * memmap_finalize() turns that into the "usable" list every allocator
 * starts from:
 *
 *     usable = page-aligned (union of RAM  minus  union of reserved)
 *
 * sorted by address, with touching ranges merged, each range shrunk
 * inwards to whole pages, and empty ranges dropped.
 *
 *   RAM       |==================================================|
 *   reserved      |fw|          |kernel|     |dtb|
 *   usable    |==|    |========|        |===|     |==============|
 */
#ifndef DUET_MEMMAP_H
#define DUET_MEMMAP_H

#include "kernel/types.h"

#define MEMMAP_MAX 128          /* entries per list; firmware rarely has 20 */

/* Half-open range [base, end). end > base; end == 0 never happens because
 * ranges reaching the very top of the address space are rejected. */
struct mem_range {
	paddr_t base;
	paddr_t end;
};

struct reserved_range {
	paddr_t base;
	paddr_t end;
	const char *why;        /* "firmware", "kernel", "dtb", ... */
};

struct memmap {
	struct mem_range ram[MEMMAP_MAX];         /* as reported, raw */
	unsigned nram;
	struct reserved_range reserved[MEMMAP_MAX]; /* as reported, raw */
	unsigned nreserved;
	struct mem_range usable[MEMMAP_MAX];      /* output of finalize */
	unsigned nusable;
};

void memmap_init(struct memmap *map);

/* Record a RAM range. Zero size is ignored (returns 0). Errors:
 * -EOVERFLOW if base + size wraps, -ENOSPC if the table is full. */
int memmap_add_ram(struct memmap *map, paddr_t base, uint64_t size);

/* Record a range that must never be allocated. It may lie partly or wholly
 * outside RAM (then only its overlap with RAM matters). Same errors. */
int memmap_add_reserved(struct memmap *map, paddr_t base, uint64_t size,
			const char *why);

/* Compute map->usable from ram and reserved (may be called again after
 * adding more). Returns 0, or -ENOSPC if the result does not fit. */
int memmap_finalize(struct memmap *map);

/* Total bytes in map->usable. */
uint64_t memmap_usable_bytes(const struct memmap *map);
/* Highest RAM address + 1 (0 for an empty map). */
paddr_t memmap_ram_end(const struct memmap *map);

/* True if [base, base+size) lies entirely inside one usable range. */
bool memmap_is_usable(const struct memmap *map, paddr_t base, uint64_t size);

/* Print RAM, reserved and usable ranges as a table with totals. */
void memmap_print(const struct memmap *map);

#endif

/*
 * The physical memory map normaliser. See mm/memmap.h for the picture.
 *
 * Everything lives in fixed arrays inside struct memmap: this code runs
 * before any allocator exists, so it may not allocate. The lists are
 * short (firmware reports a handful of ranges), so simple quadratic
 * algorithms -- insertion sort, linear scans -- are the clearest choice.
 */
#include "mm/memmap.h"
#include "kernel/errno.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "kernel/panic.h"

void memmap_init(struct memmap *map)
{
	memset(map, 0, sizeof(*map));
}

/*
 * A range [base, base + size) is representable only if its end fits in
 * 64 bits without wrapping to 0: that is what lets every other function
 * use half-open [base, end) ranges with plain comparisons.
 */
static bool range_fits(paddr_t base, uint64_t size)
{
	return size <= UINT64_MAX - base;
}

int memmap_add_ram(struct memmap *map, paddr_t base, uint64_t size)
{
	/* BEGIN SOLUTION lab0 */
	if (size == 0)
		return 0;
	if (!range_fits(base, size))
		return -EOVERFLOW;
	if (map->nram == MEMMAP_MAX)
		return -ENOSPC;
	map->ram[map->nram].base = base;
	map->ram[map->nram].end = base + size;
	map->nram++;
	return 0;
	/* END SOLUTION */
}

int memmap_add_reserved(struct memmap *map, paddr_t base, uint64_t size,
			const char *why)
{
	/* BEGIN SOLUTION lab0 */
	if (size == 0)
		return 0;
	if (!range_fits(base, size))
		return -EOVERFLOW;
	if (map->nreserved == MEMMAP_MAX)
		return -ENOSPC;
	map->reserved[map->nreserved].base = base;
	map->reserved[map->nreserved].end = base + size;
	map->reserved[map->nreserved].why = why;
	map->nreserved++;
	return 0;
	/* END SOLUTION */
}

/* ---- Finalize ----------------------------------------------------------- */

/* BEGIN SOLUTION lab0 */
/*
 * Sort the raw lists by base address. Their order carries no meaning, and
 * sorted lists make memmap_print() readable and let us merge RAM in one
 * pass. Insertion sort: stable, in place, and n is at most MEMMAP_MAX.
 */
static void sort_ram(struct mem_range *r, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		struct mem_range key = r[i];
		unsigned j = i;
		while (j > 0 && r[j - 1].base > key.base) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = key;
	}
}

static void sort_reserved(struct reserved_range *r, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		struct reserved_range key = r[i];
		unsigned j = i;
		while (j > 0 && r[j - 1].base > key.base) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = key;
	}
}

/* usable = union of the (sorted) RAM ranges, overlapping or touching
 * ones merged. The result never has more entries than map->ram. */
static void merge_ram_into_usable(struct memmap *map)
{
	map->nusable = 0;
	for (unsigned i = 0; i < map->nram; i++) {
		struct mem_range r = map->ram[i];
		struct mem_range *last;

		if (map->nusable == 0) {
			map->usable[map->nusable++] = r;
			continue;
		}
		last = &map->usable[map->nusable - 1];
		if (r.base <= last->end)                /* overlaps or touches */
			last->end = MAX(last->end, r.end);
		else
			map->usable[map->nusable++] = r;
	}
}

static void remove_usable(struct memmap *map, unsigned i)
{
	memmove(&map->usable[i], &map->usable[i + 1],
		(map->nusable - i - 1) * sizeof(map->usable[0]));
	map->nusable--;
}

/* Make room at index i (shifting later entries up). Caller checks space. */
static void insert_usable(struct memmap *map, unsigned i, struct mem_range r)
{
	memmove(&map->usable[i + 1], &map->usable[i],
		(map->nusable - i) * sizeof(map->usable[0]));
	map->usable[i] = r;
	map->nusable++;
}

/*
 * Cut [base, end) out of every usable range. A range can lose its head,
 * its tail, all of it, or -- if the hole is strictly inside -- be split in
 * two, which is the only case that needs a free slot.
 */
static int subtract(struct memmap *map, paddr_t base, paddr_t end)
{
	unsigned i = 0;

	while (i < map->nusable) {
		struct mem_range *u = &map->usable[i];

		if (end <= u->base || base >= u->end) {
			i++;                            /* no overlap */
		} else if (base <= u->base && end >= u->end) {
			remove_usable(map, i);          /* all of it */
		} else if (base <= u->base) {
			u->base = end;                  /* the head */
			i++;
		} else if (end >= u->end) {
			u->end = base;                  /* the tail */
			i++;
		} else {                                /* the middle */
			struct mem_range upper = { end, u->end };

			if (map->nusable == MEMMAP_MAX)
				return -ENOSPC;
			u->end = base;
			insert_usable(map, i + 1, upper);
			i += 2;
		}
	}
	return 0;
}

/*
 * Shrink every range inwards to whole pages; drop those left empty.
 * ALIGN_UP(base) could wrap for a base in the very last page of the
 * address space, so compare base with the rounded-down end first.
 */
static void align_to_pages(struct memmap *map)
{
	unsigned i = 0;

	while (i < map->nusable) {
		struct mem_range *u = &map->usable[i];
		paddr_t end = ALIGN_DOWN(u->end, PAGE_SIZE);

		if (u->base >= end || ALIGN_UP(u->base, PAGE_SIZE) >= end) {
			remove_usable(map, i);
			continue;
		}
		u->base = ALIGN_UP(u->base, PAGE_SIZE);
		u->end = end;
		i++;
	}
}

/*
 * Pieces that come out of subtract() are separated by at least one
 * reserved byte, and align_to_pages() only widens those gaps, so the
 * result is still sorted with no touching neighbours: nothing to merge.
 */
/* END SOLUTION */
int memmap_finalize(struct memmap *map)
{
	/* BEGIN SOLUTION lab0 */
	sort_ram(map->ram, map->nram);
	sort_reserved(map->reserved, map->nreserved);
	merge_ram_into_usable(map);

	for (unsigned i = 0; i < map->nreserved; i++) {
		if (subtract(map, map->reserved[i].base,
			     map->reserved[i].end) < 0) {
			map->nusable = 0;       /* never leave half an answer */
			return -ENOSPC;
		}
	}
	align_to_pages(map);
	return 0;
	/* END SOLUTION */
}

/* ---- Queries ------------------------------------------------------------ */

uint64_t memmap_usable_bytes(const struct memmap *map)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < map->nusable; i++)
		total += map->usable[i].end - map->usable[i].base;
	return total;
}

paddr_t memmap_ram_end(const struct memmap *map)
{
	paddr_t end = 0;

	for (unsigned i = 0; i < map->nram; i++)
		end = MAX(end, map->ram[i].end);
	return end;
}

/* An empty range is not "usable": there is nothing in it to use. */
bool memmap_is_usable(const struct memmap *map, paddr_t base, uint64_t size)
{
	if (size == 0 || !range_fits(base, size))
		return false;
	for (unsigned i = 0; i < map->nusable; i++) {
		const struct mem_range *u = &map->usable[i];
		if (base >= u->base && base + size <= u->end)
			return true;
	}
	return false;
}

/* ---- Printing ----------------------------------------------------------- */

/*
 * "128 MiB", "1.5 MiB", "620 KiB", "5315 B": the largest unit the size
 * reaches, with one (truncated) decimal when it is not a whole number.
 */
static const char *format_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	uint64_t unit = 1;
	unsigned u = 0;

	while (u + 1 < ARRAY_SIZE(units) && bytes / unit >= KiB) {
		unit *= KiB;
		u++;
	}
	if (bytes % unit == 0)
		ksnprintf(buf, len, "%llu %s",
			  (unsigned long long)(bytes / unit), units[u]);
	else
		ksnprintf(buf, len, "%llu.%llu %s",
			  (unsigned long long)(bytes / unit),
			  (unsigned long long)(bytes % unit * 10 / unit),
			  units[u]);
	return buf;
}

static void print_row(const char *type, paddr_t base, paddr_t end,
		      const char *why)
{
	char size[32];

	kprintf("  %-9s 0x%016llx  0x%016llx  %s%s%s\n", type,
		(unsigned long long)base, (unsigned long long)end,
		format_size(size, sizeof(size), end - base),
		why ? "  " : "", why ? why : "");
}

/* Bytes covered by the union of the RAM ranges. Assumes they are sorted,
 * which memmap_finalize() guarantees. */
static uint64_t ram_union_bytes(const struct memmap *map)
{
	uint64_t total = 0;
	paddr_t covered = 0;    /* everything below this is counted */

	for (unsigned i = 0; i < map->nram; i++) {
		paddr_t base = MAX(map->ram[i].base, covered);
		if (map->ram[i].end > base) {
			total += map->ram[i].end - base;
			covered = map->ram[i].end;
		}
	}
	return total;
}

/* Call after memmap_finalize(), which sorts the lists printed here. */
void memmap_print(const struct memmap *map)
{
	uint64_t ram = ram_union_bytes(map);
	uint64_t usable = memmap_usable_bytes(map);
	char a[32], b[32], c[32];

	kprintf("Physical memory map\n");
	kprintf("  %-9s %-18s  %-18s  %s\n", "type", "start", "end", "size");
	for (unsigned i = 0; i < map->nram; i++)
		print_row("RAM", map->ram[i].base, map->ram[i].end, NULL);
	for (unsigned i = 0; i < map->nreserved; i++)
		print_row("reserved", map->reserved[i].base,
			  map->reserved[i].end,
			  map->reserved[i].why ? map->reserved[i].why : "?");
	for (unsigned i = 0; i < map->nusable; i++)
		print_row("usable", map->usable[i].base, map->usable[i].end,
			  NULL);
	/* "reserved" here means RAM we may not use, alignment waste included. */
	kprintf("  total RAM %s, reserved %s, usable %s (%llu pages)\n",
		format_size(a, sizeof(a), ram),
		format_size(b, sizeof(b), ram - usable),
		format_size(c, sizeof(c), usable),
		(unsigned long long)(usable / PAGE_SIZE));
}

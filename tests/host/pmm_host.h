/*
 * Helpers shared by the host tests of the page allocators: test_bump.c,
 * test_bitmap.c, test_freelist.c and test_buddy.c.
 *
 * Each test_*.c is a program of its own (linked with HOST_LIB_SRCS, see
 * the Makefile), so everything here is static: each program has its own
 * map, model and random sequence. The functions are static inline only
 * so that a program that does not need one (test_bump.c has no fake RAM)
 * is not warned about it.
 */
#ifndef DUET_PMM_HOST_H
#define DUET_PMM_HOST_H

#include <sanitizer/asan_interface.h>

#include "kernel/arch.h"
#include "mm/bump.h"
#include "mm/memmap.h"
#include "tests/host/host.h"
#include "tests/host/tap.h"

/* n pages, in bytes. */
#define P(n) ((uint64_t)(n) * PAGE_SIZE)

static struct memmap map;       /* ~7 KiB: off the stack */
static struct bump bump;

/* ---- Machines --------------------------------------------------------- */

/*
 * RAM ranges written in place, as the two arguments (array, length) the
 * functions below take: map_ram(RANGES({ a, b }, { c, d })).
 */
#define RANGES(...)                                                          \
	(const struct mem_range[]){ __VA_ARGS__ },                           \
	ARRAY_SIZE(((const struct mem_range[]){ __VA_ARGS__ }))

/* Start map afresh with the RAM ranges ram[0 .. nram-1]. The caller adds
 * reserved ranges, if any, then finalizes it. */
static inline void map_ram(const struct mem_range *ram, unsigned nram)
{
	memmap_init(&map);
	for (unsigned i = 0; i < nram; i++)
		memmap_add_ram(&map, ram[i].base, ram[i].end - ram[i].base);
}

/*
 * Back [window, window + size) with fake RAM, of which map says the ram[]
 * ranges minus [res_base, res_base + res_size) are usable. Everything
 * else in the window is poisoned for AddressSanitizer: an allocator that
 * so much as reads a hole or a reserved page stops the test. Returns the
 * fake RAM; the caller starts its allocator on map.
 */
static inline uint8_t *fake_ram(paddr_t window, uint64_t size,
				const struct mem_range *ram, unsigned nram,
				paddr_t res_base, uint64_t res_size)
{
	uint8_t *arena = host_ram_init(window, size);

	map_ram(ram, nram);
	memmap_add_reserved(&map, res_base, res_size, "test");
	memmap_finalize(&map);
	ASAN_POISON_MEMORY_REGION(arena, size);
	for (unsigned i = 0; i < map.nusable; i++) {
		const struct mem_range *r = &map.usable[i];
		ASAN_UNPOISON_MEMORY_REGION(arena + (r->base - window),
					    r->end - r->base);
	}
	return arena;
}

/*
 * A machine for the allocator under test: each test program defines
 *
 *     static void machine(paddr_t window, uint64_t size,
 *                         const struct mem_range *ram, unsigned nram,
 *                         paddr_t res_base, uint64_t res_size);
 *
 * as fake_ram() and then its allocator started on map, and writes
 * MACHINE(window, size, res_base, res_size, { base, end }, ...).
 */
#define MACHINE(window, size, res_base, res_size, ...)                       \
	machine(window, size, RANGES(__VA_ARGS__), res_base, res_size)

/* The type of machine(), to hand it to start_round(). */
typedef void machine_fn(paddr_t window, uint64_t size,
			const struct mem_range *ram, unsigned nram,
			paddr_t res_base, uint64_t res_size);

/* 1 MiB of fake RAM at 0x80000000, all of it usable: for pmm_init(). */
static inline void one_mib_machine(void)
{
	host_ram_init(0x80000000, 1 * MiB);
	memmap_init(&map);
	memmap_add_ram(&map, 0x80000000, 1 * MiB);
	memmap_finalize(&map);
}

/*
 * Allocate single pages with alloc_one until it fails. Proves each page
 * handed out is usable RAM of map (a hole or reserved page fails the
 * test). Returns how many there were; *above counts those at or above
 * 4 GiB.
 */
static inline uint64_t take_every_page(paddr_t (*alloc_one)(void),
				       uint64_t *above)
{
	uint64_t got = 0;
	paddr_t pa;

	*above = 0;
	while ((pa = alloc_one()) != PHYS_NONE) {
		TAP_EXPECT(memmap_is_usable(&map, pa, PAGE_SIZE));
		*above += pa >= 0x100000000;
		got++;
	}
	return got;
}

/* ---- Random operations, checked against a model ------------------------ */

/* xorshift64: a repeatable sequence, from a seed of each test's own. */
static uint64_t rng;

static inline void random_seed(uint64_t seed)
{
	rng = seed;
}

static inline uint64_t random_below(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

/* What the model says of a page. */
enum { FREE, USED, NOT_OURS };

/* The model: one byte per page of a window of fake RAM (at most
 * MODEL_MAX_PAGES). Slow and obviously right, which is the point. */
#define MODEL_MAX_PAGES 2048
static struct {
	paddr_t window;                 /* the address of page[0] */
	uint64_t npages;
	uint8_t page[MODEL_MAX_PAGES];
} model;

/* What the test holds: n pages from pa. order is test_buddy.c's: the
 * block's order, or -1 for a run of pages. */
static struct { paddr_t pa; uint64_t n; int order; } live[64];

static inline uint64_t page_of(paddr_t pa)
{
	return (pa - model.window) / PAGE_SIZE;
}

/* Does the model say value of every page of [first, first + n)? */
static inline bool model_is(uint64_t first, uint64_t n, uint8_t value)
{
	for (uint64_t i = first; i < first + n; i++)
		if (i >= model.npages || model.page[i] != value)
			return false;
	return true;
}

/* The model says value of the n pages from pa. */
static inline void model_set(paddr_t pa, uint64_t n, uint8_t value)
{
	memset(&model.page[page_of(pa)], value, n);
}

static inline uint64_t model_free(void)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < model.npages; i++)
		n += model.page[i] == FREE;
	return n;
}

/* The allocator handed out [pa, +n pages) for live[slot]: the model must
 * say all of it was free (else false); now it is used, and held. */
static inline bool take(paddr_t pa, uint64_t n, unsigned slot, int order)
{
	if (!model_is(page_of(pa), n, FREE))
		return false;
	model_set(pa, n, USED);
	live[slot].pa = pa;
	live[slot].n = n;
	live[slot].order = order;
	return true;
}

/* Give back live[slot]'s run through free_run: all of it, or a tail of a
 * random length. */
static inline void release_tail(unsigned slot,
				void (*free_run)(paddr_t pa, uint64_t n))
{
	uint64_t keep = random_below(live[slot].n);
	paddr_t pa = live[slot].pa + P(keep);
	uint64_t n = live[slot].n - keep;

	free_run(pa, n);
	model_set(pa, n, FREE);
	live[slot].n = keep;
}

/*
 * Start a round of a model check, on npages pages from window:
 *  - a machine (the test's own, with its allocator) whose RAM is eight
 *    ranges of 1 to max_pages pages, each after a hole of 1 to 16 pages;
 *  - the model, saying no page is the allocator's yet (the caller then
 *    marks FREE those that are), and a test that holds nothing.
 */
static inline void start_round(paddr_t window, uint64_t npages,
			       uint64_t max_pages, machine_fn *machine)
{
	struct mem_range ram[8];
	paddr_t at = window;

	for (int i = 0; i < 8; i++) {
		at += P(1 + random_below(16));
		ram[i].base = at;
		ram[i].end = at = at + P(1 + random_below(max_pages));
	}
	machine(window, P(npages), ram, 8, 0, 0);
	model.window = window;
	model.npages = npages;
	memset(model.page, NOT_OURS, npages);
	memset(live, 0, sizeof(live));
}

/*
 * nops random operations (op: false if the allocator contradicted the
 * model), after each of which the allocator's free count (free_count)
 * must be the model's. Reports each disagreement, until failures reaches
 * 5; returns failures, plus the new ones.
 */
static inline int random_ops_agree(int round, int nops, int failures,
				   bool (*op)(void),
				   uint64_t (*free_count)(void))
{
	for (int i = 0; i < nops && failures < 5; i++) {
		if (!op() || free_count() != model_free()) {
			TAP_FAIL("round %d op %d disagrees with the model",
				 round, i);
			failures++;
		}
	}
	return failures;
}

#endif

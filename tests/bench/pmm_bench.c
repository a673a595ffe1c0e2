/*
 * make bench: how fast are the page allocators, next to naive baselines
 * measured in the same run?
 *
 *   allocator          operation timed       baseline
 *   bump               one page              rewalk-bump (walks the map
 *                                            frame by frame every call)
 *   bitmap             one page              byte-scan (a byte per page,
 *                                            scanned from page 0)
 *   freelist           alloc + free pair     none
 *   freelist+poison    alloc + free pair     none (fills and checks 4 KiB)
 *   buddy              one page, and an      none (order 0 goes through
 *                      alloc + free pair     this CPU's cache)
 *   buddy-order9       one 2 MiB block, and  none
 *                      an alloc + free pair
 *
 * Each runs the same mm/ sources as the kernel, built natively with -O2
 * and no sanitizers, on a fake machine of 1 Mi or 4 Mi pages (4 or 16 GiB)
 * in four regions with holes between, 0%, 50% or 90% full. The fake RAM
 * is mapped MAP_NORESERVE, so only pages an allocator writes cost memory.
 *
 * "Full" means: bump -- the cursor is that far through the map; bitmap
 * and byte-scan -- that share of pages, chosen at random (the same pages
 * for both), is in use; freelist -- that share was carved from the tails
 * (a LIFO list's cost does not depend on it, which is the point); buddy
 * -- that share was allocated as single pages, so the rest is mostly
 * whole 4 MiB blocks (neither order's cost depends on where the used
 * pages are, as long as a block of the order is free somewhere).
 *
 * Every figure is the fastest of REPS timed batches, after one untimed
 * warm-up batch: other processes can only add time, so the minimum is
 * the most repeatable figure on a shared machine (the reasoning of
 * Python's timeit). Bitmap and byte-scan use the same batch size, since the
 * byte scan's cost grows as a batch fills the low pages. The bitmap,
 * byte-scan and buddy "alloc" batches are freed again, untimed, between
 * batches.
 *
 *   tests/bench/pmm_bench [--json FILE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "kernel/arch.h"
#include "mm/bitmap.h"
#include "mm/buddy.h"
#include "mm/bump.h"
#include "mm/freelist.h"
#include "tests/bench/baselines.h"
#include "tests/host/tap.h"

/* host_arch.c carries the unit tests' TAP runner too: define its tables. */
struct tap_test tap_tests[TAP_MAX_TESTS];
int tap_ntests;
int tap_current_failed;

#define REPS       15
#define RAM_BASE   0x80000000
#define REGIONS    4
#define HOLE_PAGES 16
#define MAX_BATCH  4096

/* ---- The fake machine --------------------------------------------------- */

static struct memmap map;
static void *arena;
static uint64_t arena_size;

/* npages of usable RAM in REGIONS equal regions, with holes between. */
static void build_machine(uint64_t npages)
{
	if (arena)
		munmap(arena, arena_size);
	arena_size = (npages + REGIONS * HOLE_PAGES) * PAGE_SIZE;
	arena = mmap(NULL, arena_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena == MAP_FAILED) {
		perror("pmm_bench: mmap");
		exit(1);
	}
	direct_map_offset = (uintptr_t)arena - RAM_BASE;

	memmap_init(&map);
	for (paddr_t i = 0, at = RAM_BASE; i < REGIONS; i++) {
		memmap_add_ram(&map, at, npages / REGIONS * PAGE_SIZE);
		at += (npages / REGIONS + HOLE_PAGES) * PAGE_SIZE;
	}
	memmap_finalize(&map);
}

/* ---- Timing --------------------------------------------------------------- */

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* The fastest ns per operation of run(ops) over REPS batches, after a
 * warm-up batch; undo (if any) runs untimed after each batch. */
static double measure(void (*run)(uint64_t ops), void (*undo)(void),
		      uint64_t ops)
{
	double best = 0;

	for (int rep = -1; rep < REPS; rep++) {
		double start = now_ns();
		run(ops);
		double ns = (now_ns() - start) / ops;
		if (undo)
			undo();
		if (rep == 0 || (rep > 0 && ns < best))
			best = ns;
	}
	return best;
}

/* ---- Subjects: the state each run() works on ---------------------------- */

static struct bump bump;
static struct rewalk_bump rewalk;
static struct bitmap_alloc bitmap;
static struct byte_map bytes;
static struct freelist freelist;
static struct buddy buddy;
static unsigned buddy_order;            /* of the buddy runs below */
static paddr_t batch[MAX_BATCH];
static uint64_t batch_len;

static void fail(const char *what)
{
	fprintf(stderr, "pmm_bench: %s ran out of memory\n", what);
	exit(1);
}

static void run_bump(uint64_t ops)
{
	for (uint64_t i = 0; i < ops; i++)
		if (bump_alloc(&bump, 1, 1) == PHYS_NONE)
			fail("bump");
}

static void run_rewalk(uint64_t ops)
{
	for (uint64_t i = 0; i < ops; i++)
		if (rewalk_bump_alloc(&rewalk) == PHYS_NONE)
			fail("rewalk-bump");
}

static void run_bitmap(uint64_t ops)
{
	for (batch_len = 0; batch_len < ops; batch_len++)
		if ((batch[batch_len] = bitmap_alloc(&bitmap, 1, 1)) == PHYS_NONE)
			fail("bitmap");
}

static void undo_bitmap(void)
{
	for (uint64_t i = 0; i < batch_len; i++)
		bitmap_free(&bitmap, batch[i], 1);
}

static void run_bytes(uint64_t ops)
{
	for (batch_len = 0; batch_len < ops; batch_len++)
		if ((batch[batch_len] = byte_map_alloc(&bytes)) == PHYS_NONE)
			fail("byte-scan");
}

static void undo_bytes(void)
{
	for (uint64_t i = 0; i < batch_len; i++)
		byte_map_free(&bytes, batch[i]);
}

static void run_freelist(uint64_t ops)
{
	for (uint64_t i = 0; i < ops; i++) {
		paddr_t pa = freelist_alloc(&freelist, 1, 1);
		if (pa == PHYS_NONE)
			fail("freelist");
		freelist_free(&freelist, pa, 1);
	}
}

static void run_buddy(uint64_t ops)
{
	for (batch_len = 0; batch_len < ops; batch_len++)
		if ((batch[batch_len] = buddy_alloc_order(&buddy, buddy_order))
		    == PHYS_NONE)
			fail("buddy");
}

static void undo_buddy(void)
{
	for (uint64_t i = 0; i < batch_len; i++)
		buddy_free_order(&buddy, batch[i], buddy_order);
}

static void run_buddy_pairs(uint64_t ops)
{
	for (uint64_t i = 0; i < ops; i++) {
		paddr_t pa = buddy_alloc_order(&buddy, buddy_order);
		if (pa == PHYS_NONE)
			fail("buddy");
		buddy_free_order(&buddy, pa, buddy_order);
	}
}

/* ---- Setting each one up at a given fill ------------------------------ */

static uint64_t rng;

static uint64_t random_below(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static void setup_bumps(uint64_t npages, int fill)
{
	build_machine(npages);
	bump_init(&bump, &map);
	uint64_t used = bump_total_pages(&bump) * fill / 100;
	for (uint64_t i = 0; i < used; i++)
		bump_alloc(&bump, 1, 1);
	rewalk = (struct rewalk_bump){ &map, used };
}

/*
 * The bitmap and the byte map, with the same pages in use: everything
 * allocated, then a random free_pages of the bitmap's pages freed in both
 * (selection sampling: each page is freed with probability
 * still-to-free / still-to-visit, which frees exactly that many).
 */
static void setup_bitmaps(uint64_t npages, int fill)
{
	build_machine(npages);
	bump_init(&bump, &map);
	bitmap_init(&bitmap, &map, &bump);
	while (bitmap_alloc(&bitmap, 1, 1) != PHYS_NONE)
		;
	const struct bitmap_region *first = &bitmap.region[0];
	const struct bitmap_region *last = &bitmap.region[bitmap.nregions - 1];
	bytes.base = first->base;
	bytes.npages = (last->base - first->base) / PAGE_SIZE + last->npages;
	bytes.used = realloc(bytes.used, bytes.npages);
	memset(bytes.used, 1, bytes.npages);

	uint64_t total = bitmap_total_pages(&bitmap);
	uint64_t to_free = total - total * fill / 100, left = total;
	rng = 0x2545f4914f6cdd1d;
	for (unsigned r = 0; r < bitmap.nregions; r++) {
		for (uint64_t i = 0; i < bitmap.region[r].npages; i++, left--) {
			if (random_below(left) >= to_free)
				continue;
			paddr_t pa = bitmap.region[r].base + i * PAGE_SIZE;
			bitmap_free(&bitmap, pa, 1);
			byte_map_free(&bytes, pa);
			to_free--;
		}
	}
}

static void setup_freelist(uint64_t npages, int fill, bool poison)
{
	build_machine(npages);
	bump_init(&bump, &map);
	freelist_init(&freelist, &map, &bump, poison);
	uint64_t used = freelist_total_pages(&freelist) * fill / 100;
	for (uint64_t i = 0; i < used; i++)
		freelist_alloc(&freelist, 1, 1);
}

static void setup_buddy(uint64_t npages, int fill)
{
	build_machine(npages);
	bump_init(&bump, &map);
	buddy_init(&buddy, &map, &bump);
	uint64_t used = buddy_total_pages(&buddy) * fill / 100;
	for (uint64_t i = 0; i < used; i++)
		buddy_alloc_order(&buddy, 0);
}

/* ---- Results -------------------------------------------------------------- */

struct record {
	const char *allocator;
	const char *op;
	uint64_t pages;
	int fill;                       /* percent */
	double ns_per_op;
	const char *baseline;           /* NULL: none */
	double baseline_ns_per_op;
};

static struct record records[64];
static int nrecords;

/* Other busy processes make every figure slower and noisier: say so. */
static void print_load(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double load;

	if (f && fscanf(f, "%lf", &load) == 1)
		printf("load average %.2f (figures are noisier on a busy "
		       "machine)\n", load);
	if (f)
		fclose(f);
}

static void print_header(void)
{
	printf("%-16s %6s %5s  %-10s %10s  %-12s %12s %9s\n", "allocator",
	       "pages", "fill", "op", "ns/op", "baseline", "ns/op", "speedup");
}

static void add(struct record r)
{
	records[nrecords++] = r;
	printf("%-16s %5luMi %4d%%  %-10s %10.1f", r.allocator,
	       (unsigned long)(r.pages >> 20), r.fill, r.op, r.ns_per_op);
	if (r.baseline)
		printf("  %-12s %12.1f %8.0fx", r.baseline,
		       r.baseline_ns_per_op, r.baseline_ns_per_op / r.ns_per_op);
	printf("\n");
	fflush(stdout);
}

static void write_json(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(1);
	}
	fprintf(f, "[\n");
	for (int i = 0; i < nrecords; i++) {
		const struct record *r = &records[i];
		fprintf(f, "  {\"allocator\": \"%s\", \"op\": \"%s\", "
			"\"pages\": %lu, \"fill\": %.2f, \"ns_per_op\": %.2f, ",
			r->allocator, r->op, (unsigned long)r->pages,
			r->fill / 100.0, r->ns_per_op);
		if (r->baseline)
			fprintf(f, "\"baseline\": \"%s\", "
				"\"baseline_ns_per_op\": %.2f}", r->baseline,
				r->baseline_ns_per_op);
		else
			fprintf(f, "\"baseline\": null, "
				"\"baseline_ns_per_op\": null}");
		fprintf(f, "%s\n", i + 1 < nrecords ? "," : "");
	}
	fprintf(f, "]\n");
	fclose(f);
}

/* ---- The targets --------------------------------------------------------- */

#define BITMAP_MIN_SPEEDUP 50.0         /* at 4 Mi pages, 90% full */
#define FREELIST_MAX_NS    20.0         /* per alloc + free pair */

static bool check_targets(void)
{
	bool ok = true;

	for (int i = 0; i < nrecords; i++) {
		const struct record *r = &records[i];
		if (!strcmp(r->allocator, "bitmap") && r->pages == 4 << 20 &&
		    r->fill == 90) {
			double x = r->baseline_ns_per_op / r->ns_per_op;
			printf("target: bitmap >= %.0fx byte-scan at 4Mi pages, "
			       "90%% full: %.0fx %s\n", BITMAP_MIN_SPEEDUP, x,
			       x >= BITMAP_MIN_SPEEDUP ? "met" : "MISSED");
			ok &= x >= BITMAP_MIN_SPEEDUP;
		}
		if (!strcmp(r->allocator, "freelist") &&
		    r->ns_per_op > FREELIST_MAX_NS) {
			printf("target: freelist <= %.0f ns per pair: %.1f ns at "
			       "%luMi %d%% MISSED\n", FREELIST_MAX_NS,
			       r->ns_per_op, (unsigned long)(r->pages >> 20),
			       r->fill);
			ok = false;
		}
	}
	printf("target: freelist <= %.0f ns per alloc+free pair: %s\n",
	       FREELIST_MAX_NS, ok ? "met" : "see above");
	return ok;
}

int main(int argc, char **argv)
{
	static const uint64_t sizes[] = { 1 << 20, 4 << 20 };
	static const int fills[] = { 0, 50, 90 };
	const char *json = argc == 3 && !strcmp(argv[1], "--json") ? argv[2]
								   : NULL;

	if (argc != 1 && !json) {
		fprintf(stderr, "usage: %s [--json FILE]\n", argv[0]);
		return 2;
	}
	print_load();
	print_header();
	for (unsigned s = 0; s < ARRAY_SIZE(sizes); s++) {
		for (unsigned f = 0; f < ARRAY_SIZE(fills); f++) {
			uint64_t n = sizes[s];
			int fill = fills[f];

			setup_bumps(n, fill);
			add((struct record){ "bump", "alloc", n, fill,
				measure(run_bump, NULL, 4096), "rewalk-bump",
				measure(run_rewalk, NULL, 64) });
			setup_bitmaps(n, fill);
			add((struct record){ "bitmap", "alloc", n, fill,
				measure(run_bitmap, undo_bitmap, 1024),
				"byte-scan",
				measure(run_bytes, undo_bytes, 1024) });
			setup_freelist(n, fill, false);
			add((struct record){ "freelist", "alloc+free", n, fill,
				measure(run_freelist, NULL, 4096), NULL, 0 });
			setup_freelist(n, fill, true);
			add((struct record){ "freelist+poison", "alloc+free", n,
				fill, measure(run_freelist, NULL, 4096), NULL,
				0 });
			setup_buddy(n, fill);
			buddy_order = 0;
			add((struct record){ "buddy", "alloc", n, fill,
				measure(run_buddy, undo_buddy, 1024), NULL, 0 });
			add((struct record){ "buddy", "alloc+free", n, fill,
				measure(run_buddy_pairs, NULL, 4096), NULL, 0 });
			buddy_order = 9;
			add((struct record){ "buddy-order9", "alloc", n, fill,
				measure(run_buddy, undo_buddy, 64), NULL, 0 });
			add((struct record){ "buddy-order9", "alloc+free", n,
				fill, measure(run_buddy_pairs, NULL, 1024), NULL,
				0 });
		}
	}
	check_targets();
	if (json)
		write_json(json);
	return 0;
}

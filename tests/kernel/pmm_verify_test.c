/*
 * pmm_verify: a trace of the page allocator, for the grader to check.
 *
 * The other allocator suites check the allocator from inside the kernel,
 * and a kernel that says "ok" is believed. This one checks nothing
 * itself: it runs a random sequence of page_alloc_aligned() and
 * page_free() calls on whichever allocator pmm= chose, and prints every
 * call and every answer, the usable memory map and the free page counts.
 * The grader derives the same sequence from the seed and checks the
 * answers on the host (tests/grader/pmm_verify.py): alignment, bounds,
 * overlap, frees of live blocks only, no lost pages, and the map against
 * the RAM QEMU was given.
 *
 * The seed comes from the command line, verify_seed=<n>, fresh for every
 * boot, so no trace can be saved and replayed. Without one (a boot by
 * hand, "test pmm_verify" at the monitor) the seed is 1.
 *
 * The sequence and the trace format are defined in tests/grader/
 * pmm_verify.py and docs/grading.md; this file must stay in step with them.
 * Each block's first word is written, so a block outside the direct map
 * traps here rather than going unnoticed.
 */
#include "kernel/arch.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "kernel/string.h"
#include "mm/page_alloc.h"
#include "tests/kernel/pmm_test.h"

#define VERIFY_OPS        400
#define VERIFY_MAX_LIVE   64
#define VERIFY_MAX_PAGES  8
#define VERIFY_ALIGN_LOG  4     /* alignments of 1, 2, 4 or 8 pages */
#define VERIFY_ZERO_SEED  0x9e3779b97f4a7c15ull

struct block {
	paddr_t pa;
	uint64_t npages;
};

static struct {
	uint64_t rng;                   /* xorshift64* state, never 0 */
	struct block live[VERIFY_MAX_LIVE];
	unsigned nlive;
	unsigned op;                    /* number of the next traced call */
	bool can_free;                  /* false for bump */
} v;

/* Vigna's xorshift64*: tiny, and easy to write again in Python. */
static uint64_t next_random(void)
{
	v.rng ^= v.rng >> 12;
	v.rng ^= v.rng << 25;
	v.rng ^= v.rng >> 27;
	return v.rng * 0x2545f4914f6cdd1dull;
}

static uint64_t seed_from_cmdline(void)
{
	char text[24];
	uint64_t seed;

	if (cmdline_get(arch_cmdline(), "verify_seed", text, sizeof(text)) == 0 &&
	    parse_size(text, &seed))
		return seed;
	return 1;
}

static void verify_alloc(void)
{
	uint64_t npages = 1 + next_random() % VERIFY_MAX_PAGES;
	uint64_t align = (uint64_t)1 << (next_random() % VERIFY_ALIGN_LOG);
	paddr_t pa = page_alloc_aligned(npages, align);

	if (pa == PHYS_NONE) {
		kprintf("    # verify: op %u alloc %lu %lu none\n", v.op++,
			(unsigned long)npages, (unsigned long)align);
		return;
	}
	kprintf("    # verify: op %u alloc %lu %lu %#lx\n", v.op++,
		(unsigned long)npages, (unsigned long)align, (unsigned long)pa);
	*(volatile uint64_t *)phys_to_virt(pa) = pa;
	if (v.can_free)
		v.live[v.nlive++] = (struct block){ pa, npages };
}

/* Free live block k; the last one takes its place. */
static void verify_free(unsigned k)
{
	struct block b = v.live[k];

	v.live[k] = v.live[--v.nlive];
	kprintf("    # verify: op %u free %#lx %lu\n", v.op++,
		(unsigned long)b.pa, (unsigned long)b.npages);
	page_free(b.pa, b.npages);
}

static void print_usable_map(void)
{
	for (unsigned i = 0; i < boot_memmap.nusable; i++)
		kprintf("    # verify: usable %#lx %#lx\n",
			(unsigned long)boot_memmap.usable[i].base,
			(unsigned long)boot_memmap.usable[i].end);
}

KTEST(pmm_verify, seeded_random_sequence)
{
	uint64_t seed = seed_from_cmdline();

	v.rng = seed ? seed : VERIFY_ZERO_SEED;
	v.nlive = 0;
	v.op = 0;
	v.can_free = !pmm_is("bump");
	kprintf("    # verify: begin seed=%lu pmm=%s ops=%d\n",
		(unsigned long)seed, pmm_name(), VERIFY_OPS);
	print_usable_map();
	kprintf("    # verify: free_pages %lu\n",
		(unsigned long)pmm_free_pages());

	for (int i = 0; i < VERIFY_OPS; i++) {
		uint64_t r = next_random();
		if (v.can_free && v.nlive > 0 &&
		    (v.nlive == VERIFY_MAX_LIVE || r % 8 < 3))
			verify_free(next_random() % v.nlive);
		else
			verify_alloc();
	}
	while (v.can_free && v.nlive > 0)
		verify_free(v.nlive - 1);

	kprintf("    # verify: free_pages %lu\n",
		(unsigned long)pmm_free_pages());
	kprintf("    # verify: end\n");
}

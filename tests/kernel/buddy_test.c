/*
 * In-kernel tests of the buddy allocator (mm/buddy.c), its frame records
 * (mm/frame.c) and its per-CPU caches (mm/pcp.c), run on the live
 * allocator: boot with pmm=buddy.
 *
 * Suite "buddy": the tests every page allocator passes (pmm_testlib),
 * then the buddy's own: orders, splitting, merging back, fragmentation,
 * reference counts, the caches, and the rules a bad free breaks. Suite
 * "buddy_smp": a stress run on every online CPU at once (smp_run_on_all)
 * that loses no frame.
 *
 * The exit hooks are the leak checks: with the caches drained, the free
 * count and the free blocks of every order must be what they were before
 * the suite. Because merging is eager, the same free frames always make
 * the same blocks, so anything missing shows up in the counts.
 *
 * Exact splitting and merging need a known starting point, which a live
 * allocator (after the heap and the page tables took their share) is not:
 * those tests run a private buddy allocator on 4 MiB borrowed from the
 * live one.
 */
#include "kernel/arch.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "mm/buddy.h"
#include "tests/kernel/pmm_test.h"

static uint64_t free_at_start;
static uint64_t blocks_at_start[BUDDY_MAX_ORDER + 1];
static struct page_set handed_out;     /* pages the tests hold */
static paddr_t shared_block = PHYS_NONE;        /* the exit hook frees it */

static struct buddy *live_buddy(void)
{
	return pmm_allocator()->self;
}

/* Empty the caches and record the free blocks of every order. */
static void snapshot(struct buddy *b, uint64_t *blocks)
{
	pcp_drain_all(b, smp_run_on_all);
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
		blocks[k] = buddy_free_blocks(b, k);
}

/* Empty the caches; are the free blocks those of the snapshot? Prints
 * the orders that differ. */
static bool same_blocks(struct buddy *b, const uint64_t *blocks)
{
	bool same = true;

	pcp_drain_all(b, smp_run_on_all);
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
		if (buddy_free_blocks(b, k) == blocks[k])
			continue;
		kprintf("    # order %u: %lu free block(s), %lu before\n", k,
			(unsigned long)buddy_free_blocks(b, k),
			(unsigned long)blocks[k]);
		same = false;
	}
	return same;
}

static void buddy_suite_init(void)
{
	if (pmm_is("buddy"))    /* first: the page set takes blocks */
		snapshot(live_buddy(), blocks_at_start);
	pmm_suite_init("buddy", &free_at_start, &handed_out);
}

/* The leak check: with what the tests still hold given back, every page
 * is free again and merged into the same blocks as before. */
static void buddy_suite_exit(void)
{
	if (!pmm_is("buddy"))
		return;
	if (shared_block != PHYS_NONE) {        /* both references */
		frame_put(live_buddy(), shared_block);
		frame_put(live_buddy(), shared_block);
	}
	shared_block = PHYS_NONE;
	page_set_free_all(&handed_out);
	check_free_count_is_back(&handed_out, free_at_start);
	KT_EXPECT_TRUE(same_blocks(live_buddy(), blocks_at_start));
	KT_EXPECT_FALSE(spin_is_locked(&live_buddy()->lock));
}

KTEST_SUITE(buddy, buddy_suite_init, buddy_suite_exit);

/* ---- What every page allocator does (pmm_testlib.c) --------------------- */

KTEST(buddy, pages_are_usable_ram_and_distinct)
{
	require_pmm("buddy");
	check_pages_are_usable_ram_and_distinct(&handed_out);
}

KTEST(buddy, alignment)
{
	require_pmm("buddy");
	check_alignment();
}

KTEST(buddy, contiguous_runs)
{
	require_pmm("buddy");
	uint64_t before = pmm_free_pages();

	take_contiguous_runs(&handed_out);
	/* A run costs its own pages: the rest of its block came back. */
	KT_EXPECT_EQ(pmm_free_pages(), before - handed_out.count);
	page_set_free_all(&handed_out);
}

KTEST(buddy, a_run_can_be_freed_in_parts)
{
	require_pmm("buddy");
	uint64_t before = pmm_free_pages();
	paddr_t pa = page_alloc(8);

	KT_ASSERT_NE(pa, PHYS_NONE);
	page_free(pa + 6 * PAGE_SIZE, 2);       /* the last two */
	page_free(pa, 3);                       /* the first three */
	KT_EXPECT_EQ(pmm_free_pages(), before - 3);
	page_free(pa + 3 * PAGE_SIZE, 3);       /* the middle */
	KT_EXPECT_EQ(pmm_free_pages(), before);
}

/* ---- Blocks and orders -------------------------------------------------- */

KTEST(buddy, blocks_of_every_order_are_aligned_to_their_size)
{
	require_pmm("buddy");
	struct buddy *b = live_buddy();
	uint64_t blocks[BUDDY_MAX_ORDER + 1];

	snapshot(b, blocks);
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
		paddr_t pa = buddy_alloc_order(b, k);
		KT_ASSERT_NE(pa, PHYS_NONE);
		KT_EXPECT_TRUE(IS_ALIGNED(pa, PAGE_SIZE << k));
		KT_EXPECT_TRUE(pages_are_allowed(pa, (uint64_t)1 << k));
		struct frame *f = frame_lookup(&b->frames, pa);
		KT_ASSERT_TRUE(f != NULL);
		KT_EXPECT_EQ(f->state, FRAME_ALLOCATED);
		KT_EXPECT_EQ(f->order, k);
		KT_EXPECT_EQ(f->refcount, 1);
		buddy_free_order(b, pa, k);
	}
	KT_EXPECT_TRUE(same_blocks(b, blocks));
}

KTEST(buddy, every_order_splits_and_merges_back)
{
	require_pmm("buddy");
	struct buddy *b = live_buddy();
	uint64_t blocks[BUDDY_MAX_ORDER + 1];
	static paddr_t got[64];

	snapshot(b, blocks);
	for (unsigned k = 1; k < BUDDY_MAX_ORDER; k++) {
		/* Every free block of order k, then one more: a larger
		 * block splits, and its upper half of order k stays free. */
		uint64_t n = buddy_free_blocks(b, k) + 1;
		KT_ASSERT_LE(n, ARRAY_SIZE(got));
		for (uint64_t i = 0; i < n; i++) {
			got[i] = buddy_alloc_order(b, k);
			KT_ASSERT_NE(got[i], PHYS_NONE);
		}
		KT_EXPECT_EQ(buddy_free_blocks(b, k), 1);
		for (uint64_t i = 0; i < n; i++)
			buddy_free_order(b, got[i], k);
		KT_EXPECT_TRUE(same_blocks(b, blocks));
	}
}

KTEST(buddy, frees_merge_the_live_lists_back_to_where_they_were)
{
	require_pmm("buddy");
	struct buddy *b = live_buddy();
	uint64_t blocks[BUDDY_MAX_ORDER + 1], seed = 0xb1d5;
	static struct { paddr_t pa; unsigned order; } got[300];

	snapshot(b, blocks);
	for (unsigned i = 0; i < ARRAY_SIZE(got); i++) {
		got[i].order = random_below(&seed, 4) ? 0 :
						       random_below(&seed, 6);
		got[i].pa = buddy_alloc_order(b, got[i].order);
		KT_ASSERT_NE(got[i].pa, PHYS_NONE);
	}
	for (unsigned i = ARRAY_SIZE(got); i > 1; i--) {  /* shuffle */
		unsigned j = random_below(&seed, i);
		typeof(got[0]) t = got[i - 1];
		got[i - 1] = got[j];
		got[j] = t;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(got); i++)
		buddy_free_order(b, got[i].pa, got[i].order);
	KT_EXPECT_TRUE(same_blocks(b, blocks));
}

/* A buddy allocator of its own, on 4 MiB of the live one's memory: the
 * directory and the records take frames 0-8, then it has 9, 10-11, 12-15,
 * 16-31, 32-63, 64-127, 128-255, 256-511 and 512-1023. */
static struct memmap private_map;
static struct bump private_bump;
static struct buddy private;

static paddr_t private_machine(void)
{
	paddr_t ram = buddy_alloc_order(live_buddy(), BUDDY_MAX_ORDER);

	KT_ASSERT_NE(ram, PHYS_NONE);
	memmap_init(&private_map);
	memmap_add_ram(&private_map, ram, PAGE_SIZE << BUDDY_MAX_ORDER);
	memmap_finalize(&private_map);
	bump_init(&private_bump, &private_map);
	buddy_init(&private, &private_map, &private_bump);
	return ram;
}

/* Does the private allocator have exactly these free blocks, order 0 up? */
static bool private_lists_are(const uint64_t *want)
{
	bool same = true;

	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
		if (buddy_free_blocks(&private, k) == want[k])
			continue;
		kprintf("    # order %u: %lu free block(s), expected %lu\n", k,
			(unsigned long)buddy_free_blocks(&private, k),
			(unsigned long)want[k]);
		same = false;
	}
	return same;
}

#define PRIVATE_LISTS_ARE(...)                                               \
	private_lists_are((const uint64_t[BUDDY_MAX_ORDER + 1]){ __VA_ARGS__ })

KTEST(buddy, splitting_takes_the_smallest_block_that_fits)
{
	require_pmm("buddy");
	paddr_t ram = private_machine();
	paddr_t P = PAGE_SIZE;

	KT_EXPECT_EQ(buddy_total_pages(&private), 1024 - 9);
	KT_EXPECT_TRUE(PRIVATE_LISTS_ARE(1, 1, 1, 0, 1, 1, 1, 1, 1, 1));
	/* Order 3: none, so 16-31 splits; 24-31 stays free. */
	KT_EXPECT_EQ(buddy_alloc_order(&private, 3), ram + 16 * P);
	KT_EXPECT_TRUE(PRIVATE_LISTS_ARE(1, 1, 1, 1, 0, 1, 1, 1, 1, 1));
	/* Order 3 again: 24-31, no split. */
	KT_EXPECT_EQ(buddy_alloc_order(&private, 3), ram + 24 * P);
	/* Order 4: none, so 32-63 splits. Order 1: 10-11, then 12-15
	 * splits. */
	KT_EXPECT_EQ(buddy_alloc_order(&private, 4), ram + 32 * P);
	KT_EXPECT_EQ(buddy_alloc_order(&private, 1), ram + 10 * P);
	KT_EXPECT_EQ(buddy_alloc_order(&private, 1), ram + 12 * P);
	KT_EXPECT_TRUE(PRIVATE_LISTS_ARE(1, 1, 0, 0, 1, 0, 1, 1, 1, 1));
	KT_EXPECT_EQ(buddy_alloc_order(&private, 10), PHYS_NONE);
	buddy_free_order(live_buddy(), ram, BUDDY_MAX_ORDER);
}

KTEST(buddy, freeing_merges_back_to_the_initial_state)
{
	require_pmm("buddy");
	paddr_t ram = private_machine();
	uint64_t blocks[BUDDY_MAX_ORDER + 1], seed = 0x3e63;
	paddr_t pa[40];
	unsigned order[40], n = 0;

	snapshot(&private, blocks);
	while (n < ARRAY_SIZE(pa)) {
		order[n] = random_below(&seed, 5);
		pa[n] = buddy_alloc_order(&private, order[n]);
		if (pa[n] == PHYS_NONE)
			break;
		n++;
	}
	KT_EXPECT_GT(n, 10);
	for (unsigned i = 0; i < n; i += 2)     /* every other one ... */
		buddy_free_order(&private, pa[i], order[i]);
	for (unsigned i = 1; i < n; i += 2)     /* ... then the rest */
		buddy_free_order(&private, pa[i], order[i]);
	KT_EXPECT_TRUE(same_blocks(&private, blocks));
	KT_EXPECT_EQ(buddy_free_pages(&private), 1024 - 9);
	buddy_free_order(live_buddy(), ram, BUDDY_MAX_ORDER);
}

KTEST_SHOULD_PANIC(buddy, an_invalid_order_panics)
{
	require_pmm("buddy");
	expect_panic("buddy_alloc_order: order %u is invalid",
		     BUDDY_MAX_ORDER + 1);
	buddy_alloc_order(live_buddy(), BUDDY_MAX_ORDER + 1);
}

KTEST(buddy, too_large_a_run_is_phys_none)
{
	require_pmm("buddy");
	uint64_t most = (uint64_t)1 << BUDDY_MAX_ORDER;

	KT_EXPECT_EQ(page_alloc(most + 1), PHYS_NONE);
	KT_EXPECT_EQ(page_alloc_aligned(1, most * 2), PHYS_NONE);
	paddr_t pa = page_alloc_aligned(most, most);
	KT_EXPECT_NE(pa, PHYS_NONE);
	page_free(pa, most);
}

/* ---- Frame records ------------------------------------------------------ */

KTEST(buddy, every_usable_frame_has_a_record_found_in_o1)
{
	require_pmm("buddy");
	const struct frame_table *t = &live_buddy()->frames;
	uint64_t bad = 0, usable = 0;

	KT_EXPECT_EQ(sizeof(struct frame), 32);
	for (unsigned i = 0; i < boot_memmap.nusable; i++) {
		const struct mem_range *r = &boot_memmap.usable[i];
		for (paddr_t pa = r->base; pa < r->end; pa += PAGE_SIZE) {
			struct frame *f = frame_lookup(t, pa + 0x123);
			bad += !f || f->pa != pa || (uintptr_t)f % 32;
		}
		usable += (r->end - r->base) / PAGE_SIZE;
	}
	KT_EXPECT_EQ(bad, 0);
	/* Records for usable frames, and a few between them. */
	KT_EXPECT_GE(t->nframes, usable);
	KT_EXPECT_LE(t->nframes, usable + usable / 16 + 4096);
}

KTEST(buddy, out_of_range_lookups_find_nothing)
{
	require_pmm("buddy");
	const struct frame_table *t = &live_buddy()->frames;
	const struct mem_range *usable = boot_memmap.usable;
	paddr_t section = (paddr_t)1 << FRAME_SECTION_SHIFT;
	unsigned last = boot_memmap.nusable - 1;

	KT_EXPECT_TRUE(frame_lookup(t, PHYS_NONE) == NULL);
	KT_EXPECT_TRUE(frame_lookup(t, usable[0].base - 1) == NULL);
	KT_EXPECT_TRUE(frame_lookup(t, usable[last].end) == NULL);
	KT_EXPECT_TRUE(frame_lookup(t, usable[last].end + section) == NULL);
	/* A hole of a whole section or more (3 to 4 GiB on x86-64 with
	 * -m 5G) has no records at all. */
	for (unsigned i = 0; i < last; i++) {
		paddr_t gap = ALIGN_UP(usable[i].end, section);
		if (gap + section <= usable[i + 1].base)
			KT_EXPECT_TRUE(frame_lookup(t, gap) == NULL);
	}
	/* The kernel: no record, or a reserved one. */
	struct frame *k = frame_lookup(t, virt_to_phys(&free_at_start));
	KT_EXPECT_TRUE(!k || k->state == FRAME_RESERVED);
}

KTEST(buddy, a_block_is_freed_when_its_last_reference_goes)
{
	require_pmm("buddy");
	struct buddy *b = live_buddy();
	uint64_t before = pmm_free_pages();
	paddr_t pa = buddy_alloc_order(b, 2);
	struct frame *f = frame_lookup(&b->frames, pa);

	KT_ASSERT_NE(pa, PHYS_NONE);
	frame_get(b, pa);
	frame_get(b, pa);
	KT_EXPECT_EQ(f->refcount, 3);
	frame_put(b, pa);
	frame_put(b, pa);
	KT_EXPECT_EQ(f->state, FRAME_ALLOCATED);
	KT_EXPECT_EQ(pmm_free_pages(), before - 4);
	frame_put(b, pa);
	KT_EXPECT_NE(f->state, FRAME_ALLOCATED);
	KT_EXPECT_EQ(pmm_free_pages(), before);
}

/* ---- This CPU's cache --------------------------------------------------- */

KTEST(buddy, the_cache_refills_and_gives_back_in_batches)
{
	require_pmm("buddy");
	struct buddy *b = live_buddy();
	const struct frame_list *cache = &b->pcp[arch_cpu_id()].frames;
	static paddr_t pa[PCP_HIGH + PCP_BATCH];

	pcp_drain_all(b, smp_run_on_all);
	uint64_t listed = b->free_pages;
	pa[0] = buddy_alloc_order(b, 0);
	KT_EXPECT_EQ(cache->count, PCP_BATCH - 1);
	KT_EXPECT_EQ(b->free_pages, listed - PCP_BATCH);
	buddy_free_order(b, pa[0], 0);
	KT_EXPECT_EQ(cache->count, PCP_BATCH);
	KT_EXPECT_EQ(buddy_alloc_order(b, 0), pa[0]);   /* warm: LIFO */

	for (unsigned i = 1; i < ARRAY_SIZE(pa); i++)
		pa[i] = buddy_alloc_order(b, 0);
	for (unsigned i = 0; i < ARRAY_SIZE(pa); i++) {
		buddy_free_order(b, pa[i], 0);
		KT_EXPECT_LE(cache->count, PCP_HIGH);
	}
	KT_EXPECT_GE(cache->count, PCP_HIGH - PCP_BATCH);
	pcp_drain_all(b, smp_run_on_all);
	KT_EXPECT_EQ(cache->count, 0);
	KT_EXPECT_EQ(b->free_pages, pmm_free_pages());
}

/* ---- Bad frees: panics naming the page and the rule --------------------- */

KTEST_SHOULD_PANIC(buddy, double_free_panics)
{
	require_pmm("buddy");
	check_double_free_panics("buddy_free", "is not allocated: it is "
				 "already free (double free)");
}

KTEST_SHOULD_PANIC(buddy, freeing_inside_a_block_panics)
{
	require_pmm("buddy");
	expect_panic("is not the head of a block");
	paddr_t pa = buddy_alloc_order(live_buddy(), 2);

	page_set_add(&handed_out, pa, 4);       /* the exit hook frees it */
	expect_panic("buddy_free_order: page %#lx is not the head of a block: "
		     "it is inside the order-2 block at %#lx",
		     (unsigned long)(pa + PAGE_SIZE), (unsigned long)pa);
	buddy_free_order(live_buddy(), pa + PAGE_SIZE, 0);
}

KTEST_SHOULD_PANIC(buddy, freeing_with_the_wrong_order_panics)
{
	require_pmm("buddy");
	expect_panic("(order mismatch)");
	paddr_t pa = buddy_alloc_order(live_buddy(), 2);

	page_set_add(&handed_out, pa, 4);
	expect_panic("buddy_free_order: page %#lx heads an order-2 block, not "
		     "order 1 (order mismatch)", (unsigned long)pa);
	buddy_free_order(live_buddy(), pa, 1);
}

KTEST_SHOULD_PANIC(buddy, freeing_a_shared_block_panics)
{
	require_pmm("buddy");
	expect_panic("is shared (refcount 2)");
	paddr_t pa = buddy_alloc_order(live_buddy(), 0);

	frame_get(live_buddy(), pa);
	shared_block = pa;
	expect_panic("buddy_free_order: page %#lx is shared (refcount 2)",
		     (unsigned long)pa);
	buddy_free_order(live_buddy(), pa, 0);
}

KTEST_SHOULD_PANIC(buddy, unaligned_free_panics)
{
	require_pmm("buddy");
	check_unaligned_free_panics("buddy_free");
}

KTEST_SHOULD_PANIC(buddy, freeing_the_kernel_panics)
{
	require_pmm("buddy");
	check_freeing_the_kernel_panics("buddy_free");
}

KTEST(buddy, the_lock_is_free_after_a_panic)
{
	require_pmm("buddy");
	check_the_lock_is_free_after_a_panic(&live_buddy()->lock);
}

/* ---- Exhaustion and fragmentation --------------------------------------- */

/*
 * Handing out every page one by one is a few seconds at 5 GiB under
 * emulation, so the first test leaves its pages to the next ones (which
 * drain what is left, so each also works alone); the exit hook frees
 * anything still held.
 */
KTEST(buddy, every_page_handed_out_is_usable_and_unreserved)
{
	require_pmm("buddy");
	check_every_page_is_handed_out(&handed_out);
}

/*
 * After exhaustion, two freed pages are handed out again, and then none.
 * Unlike the free list, the order is not promised: if a and b are buddies
 * they merge, and the merged block is split lower half first.
 */
static void check_frees_are_reused(struct page_set *s, paddr_t *a, paddr_t *b)
{
	*a = page_set_next(s, s->base);
	*b = page_set_next(s, *a + PAGE_SIZE);
	page_set_remove(s, *a, 1);
	page_set_remove(s, *b, 1);
	page_free(*a, 1);
	page_free(*b, 1);
	KT_EXPECT_EQ(pmm_free_pages(), 2);
	paddr_t first = page_alloc(1), second = page_alloc(1);
	KT_EXPECT_TRUE((first == *a && second == *b) ||
		       (first == *b && second == *a));
	KT_EXPECT_EQ(page_alloc(1), PHYS_NONE);
}

KTEST(buddy, exhaustion_returns_phys_none_and_frees_are_reused)
{
	require_pmm("buddy");
	paddr_t a, b;

	drain_and_check_exhausted(&handed_out);
	KT_EXPECT_EQ(buddy_alloc_order(live_buddy(), 1), PHYS_NONE);
	check_frees_are_reused(&handed_out, &a, &b);
	KT_EXPECT_TRUE(page_set_add(&handed_out, a, 1));
	KT_EXPECT_TRUE(page_set_add(&handed_out, b, 1));
}

/* The first 8-page aligned group of pages the tests all hold. */
static paddr_t held_group(void)
{
	for (paddr_t pa = ALIGN_UP(handed_out.base, 8 * PAGE_SIZE);; pa +=
	     8 * PAGE_SIZE) {
		unsigned n = 0;
		while (n < 8 && page_set_contains(&handed_out,
						  pa + n * PAGE_SIZE))
			n++;
		if (n == 8)
			return pa;
	}
}

KTEST(buddy, fragmentation_blocks_large_orders_until_buddies_return)
{
	require_pmm("buddy");
	struct buddy *b = live_buddy();
	uint64_t bad;

	drain_pages(&handed_out, &bad);
	paddr_t group = held_group();
	page_set_remove(&handed_out, group, 8);
	for (unsigned i = 0; i < 8; i += 2)     /* every other page */
		page_free(group + i * PAGE_SIZE, 1);
	KT_EXPECT_EQ(pmm_free_pages(), 4);
	KT_EXPECT_EQ(buddy_alloc_order(b, 1), PHYS_NONE);
	KT_EXPECT_EQ(page_alloc(2), PHYS_NONE);
	for (unsigned i = 1; i < 8; i += 2)     /* their buddies */
		page_free(group + i * PAGE_SIZE, 1);
	KT_EXPECT_EQ(buddy_alloc_order(b, 3), group);
	KT_EXPECT_EQ(pmm_free_pages(), 0);
	buddy_free_order(b, group, 3);
	page_set_free_all(&handed_out);
}

/* ---- A long random sequence --------------------------------------------- */

static struct random_test sequence;

/* Mostly single pages, and runs of 2 to 16 pages aligned to 1 to 8 pages,
 * given back whole or half at a time: every request must succeed. */
KTEST(buddy, random_allocs_and_frees)
{
	require_pmm("buddy");
	random_test_start(&sequence, &handed_out);
	for (int op = 0; op < 5000; op++) {
		struct held_run *run = random_slot(&sequence);
		if (run->n) {
			bool all = random_below(&sequence.seed, 2);
			random_release(&sequence, run, all ? 0 : run->n / 2);
			continue;
		}
		bool single = random_below(&sequence.seed, 4) != 0;
		uint64_t n = single ? 1 : 2 + random_below(&sequence.seed, 15);
		uint64_t align = (uint64_t)1 << random_below(&sequence.seed, 4);
		paddr_t pa = page_alloc_aligned(n, align);
		if (pa == PHYS_NONE) {
			sequence.bad++;
			continue;
		}
		sequence.bad += !IS_ALIGNED(pa, align * PAGE_SIZE) ||
				!pages_are_allowed(pa, n) ||
				!page_set_add(&handed_out, pa, n);
		*run = (struct held_run){ pa, n };
		sequence.bad += !random_free_count_is_right(&sequence);
	}
	random_test_end(&sequence);
}

/* ---- Every CPU at once ------------------------------------------------ */

struct stress {
	struct buddy *b;
	uint64_t ops;
	uint64_t bad;           /* added to atomically by each CPU */
};

/* What a block held by (cpu, slot) says in the first word of each frame:
 * another owner of the same frame would have written something else. */
static uint64_t tag(paddr_t pa, unsigned cpu, unsigned slot)
{
	return pa ^ ((uint64_t)cpu << 56) ^ ((uint64_t)slot << 40) ^
	       0x5a5a000000000000;
}

static void write_tags(paddr_t pa, unsigned order, unsigned cpu,
		       unsigned slot)
{
	for (uint64_t i = 0; i < (uint64_t)1 << order; i++) {
		paddr_t f = pa + i * PAGE_SIZE;
		*(volatile uint64_t *)phys_to_virt(f) = tag(f, cpu, slot);
	}
}

static uint64_t broken_tags(paddr_t pa, unsigned order, unsigned cpu,
			    unsigned slot)
{
	uint64_t broken = 0;

	for (uint64_t i = 0; i < (uint64_t)1 << order; i++) {
		paddr_t f = pa + i * PAGE_SIZE;
		broken += *(volatile uint64_t *)phys_to_virt(f) !=
			  tag(f, cpu, slot);
	}
	return broken;
}

/* One CPU's share: random blocks, mostly single frames (its cache at
 * work), each tagged while held and checked before it is freed. */
static void stress_worker(void *arg)
{
	struct stress *s = arg;
	unsigned cpu = arch_cpu_id();
	uint64_t seed = 0x57e55 + cpu, bad = 0;
	struct { paddr_t pa; unsigned order; } mine[64];

	for (unsigned i = 0; i < ARRAY_SIZE(mine); i++)
		mine[i].pa = PHYS_NONE;
	for (uint64_t op = 0; op < s->ops + ARRAY_SIZE(mine); op++) {
		/* The last ops visit every slot once: all is given back. */
		unsigned slot = op < s->ops ? random_below(&seed, 64) :
					      op - s->ops;
		if (mine[slot].pa != PHYS_NONE) {
			bad += broken_tags(mine[slot].pa, mine[slot].order,
					   cpu, slot);
			buddy_free_order(s->b, mine[slot].pa, mine[slot].order);
			mine[slot].pa = PHYS_NONE;
		} else if (op < s->ops) {
			unsigned order = random_below(&seed, 4) ? 0 :
					 1 + random_below(&seed, 3);
			paddr_t pa = buddy_alloc_order(s->b, order);
			if (pa == PHYS_NONE)
				continue;
			bad += !pages_are_allowed(pa, (uint64_t)1 << order);
			write_tags(pa, order, cpu, slot);
			mine[slot].pa = pa;
			mine[slot].order = order;
		}
	}
	__atomic_add_fetch(&s->bad, bad, __ATOMIC_RELAXED);
}

static void buddy_smp_suite_init(void)
{
	if (!pmm_is("buddy"))
		return;
	snapshot(live_buddy(), blocks_at_start);
	free_at_start = pmm_free_pages();
}

static void buddy_smp_suite_exit(void)
{
	if (!pmm_is("buddy"))
		return;
	KT_EXPECT_EQ(pmm_free_pages(), free_at_start);
	KT_EXPECT_TRUE(same_blocks(live_buddy(), blocks_at_start));
}

KTEST_SUITE(buddy_smp, buddy_smp_suite_init, buddy_smp_suite_exit);

KTEST(buddy_smp, stress_on_every_cpu_loses_no_frame)
{
	require_pmm("buddy");
	struct stress s = { live_buddy(), 100000, 0 };
	uint64_t blocks[BUDDY_MAX_ORDER + 1];

	snapshot(s.b, blocks);
	uint64_t before = pmm_free_pages();
	smp_run_on_all(stress_worker, &s);
	kprintf("    # ran on %u CPU(s)\n", smp_cpu_count());
	KT_EXPECT_EQ(s.bad, 0);
	KT_EXPECT_EQ(pmm_free_pages(), before);
	KT_EXPECT_TRUE(same_blocks(s.b, blocks));
}

/* Leave a frame or more in this CPU's cache. */
static void cache_a_frame(void *b)
{
	buddy_free_order(b, buddy_alloc_order(b, 0), 0);
}

KTEST(buddy_smp, drain_all_leaves_every_cache_empty)
{
	require_pmm("buddy");
	struct buddy *b = live_buddy();

	smp_run_on_all(cache_a_frame, b);
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		if (smp_cpu_online(cpu))
			KT_EXPECT_GT(b->pcp[cpu].frames.count, 0);
	pcp_drain_all(b, smp_run_on_all);
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		KT_EXPECT_EQ(b->pcp[cpu].frames.count, 0);
	KT_EXPECT_EQ(pcp_cached(b), 0);
	KT_EXPECT_EQ(buddy_free_pages(b), b->free_pages);
}

/*
 * Stress: every CPU allocates and frees at once, through page_alloc() /
 * page_free() and kmalloc() / kfree(), so an allocator that forgets its
 * lock somewhere shows it (on a machine with one CPU these still pass,
 * and prove little).
 *
 * Each CPU keeps up to SLOTS page runs and SLOTS heap blocks. Every step
 * picks a slot at random: a full slot is checked and freed, an empty one
 * filled. What a CPU holds carries its tag -- a value made from the CPU,
 * the step and the address -- written when it gets the memory and
 * checked before it frees it. If two CPUs were ever handed the same
 * memory, one of them finds the other's tag. At the end everything is
 * freed, and the allocator must have as many free pages, and the heap as
 * many live blocks and pages, as before: no page lost, none invented.
 *
 * The workers count what goes wrong; the test checks the counts on
 * CPU 0 (KT_* checks may not run on other CPUs: see kernel/smp.h).
 */
#include "kernel/arch.h"
#include "kernel/ktest.h"
#include "kernel/smp.h"
#include "mm/heap.h"
#include "mm/page_alloc.h"
#include "tests/kernel/pmm_test.h"

#define OPS_PER_CPU 50000
#define SLOTS       32          /* of each kind, per CPU */
#define MAX_RUN     8           /* pages in one page_alloc() */
#define PAGE_STRIDE 64          /* tag one word in 64 of a page */

enum { PAGES = 1, HEAP = 2 };

struct stress {
	unsigned kinds;                 /* PAGES, HEAP or both */
	unsigned arrived;               /* CPUs at the start line */
	/* Totals over all CPUs, each added to once per CPU. */
	uint64_t allocs, out_of_memory; /* successful, and failed, requests */
	uint64_t bad_tags;              /* words not as their owner left them */
	uint64_t bad_memory;            /* not usable RAM, or misaligned */
};

/* One CPU's counts, added to the totals at the end. */
struct tally {
	uint64_t allocs, out_of_memory, bad_tags, bad_memory;
};

/* Something a CPU holds: pages (pa) or a heap block (p). */
struct held {
	paddr_t pa;             /* PHYS_NONE: no pages */
	void *p;                /* NULL: no block */
	uint64_t size;          /* pages, or bytes */
	uint64_t tag;
};

/* The tag of what CPU cpu got at step: each word it tags holds the tag
 * xor the word's address, so a stale copy elsewhere does not match. */
static uint64_t tag_for(unsigned cpu, uint64_t step)
{
	return (uint64_t)(cpu + 1) << 56 | step;
}

static void add(uint64_t *total, uint64_t n)
{
	__atomic_add_fetch(total, n, __ATOMIC_RELAXED);
}

/* ---- Tagging ------------------------------------------------------------ */

/* Visit the tagged words of h: write (or check) tag ^ address. */
static uint64_t tag_words(const struct held *h, bool check)
{
	uint64_t *words, n, stride, bad = 0;

	if (h->p) {
		words = h->p;
		n = h->size / sizeof(uint64_t);
		stride = 1;
	} else {
		words = phys_to_virt(h->pa);
		n = h->size * PAGE_SIZE / sizeof(uint64_t);
		stride = PAGE_STRIDE;
	}
	for (uint64_t i = 0; i < n; i += stride) {
		volatile uint64_t *w = &words[i];
		uint64_t want = h->tag ^ (uintptr_t)w;
		if (!check)
			*w = want;
		else if (*w != want)
			bad++;
	}
	return bad;
}

/* ---- Getting and giving back -------------------------------------------- */

/* Mostly single pages, sometimes a run of up to MAX_RUN, sometimes
 * aligned: single pages and runs take different paths in an allocator. */
static void get_pages(struct held *h, uint64_t *seed, struct tally *t)
{
	uint64_t n = 1, align = 1;

	if (random_below(seed, 4) == 0)
		n = 2 + random_below(seed, MAX_RUN - 1);
	if (random_below(seed, 4) == 0)
		align = 1 << random_below(seed, 3);
	paddr_t pa = page_alloc_aligned(n, align);

	if (pa == PHYS_NONE) {
		t->out_of_memory++;
		return;
	}
	t->allocs++;
	t->bad_memory += !IS_ALIGNED(pa, align * PAGE_SIZE) ||
			 !pages_are_allowed(pa, n);
	h->pa = pa;
	h->size = n;
}

/* Mostly small blocks, some of a few KiB, a few large (whole pages). */
static void get_block(struct held *h, uint64_t *seed, struct tally *t)
{
	uint64_t kind = random_below(seed, 20);
	uint64_t size = kind < 15 ? 8 + random_below(seed, 248) :
			kind < 19 ? 256 + random_below(seed, 4096) :
			HEAP_LARGE_MIN + random_below(seed, 24 * KiB);
	void *p = kmalloc(size);

	if (!p) {
		t->out_of_memory++;
		return;
	}
	t->allocs++;
	t->bad_memory += !IS_ALIGNED((uintptr_t)p, HEAP_ALIGN);
	h->p = p;
	h->size = size;
}

static void give_back(struct held *h, struct tally *t)
{
	t->bad_tags += tag_words(h, true);
	if (h->p)
		kfree(h->p);
	else
		page_free(h->pa, h->size);
	*h = (struct held){ PHYS_NONE, NULL, 0, 0 };
}

/* ---- One CPU's share ---------------------------------------------------- */

static void step(struct held *h, bool pages, uint64_t tag, uint64_t *seed,
		 struct tally *t)
{
	if (h->p || h->pa != PHYS_NONE) {
		give_back(h, t);
		return;
	}
	if (pages)
		get_pages(h, seed, t);
	else
		get_block(h, seed, t);
	if (h->p || h->pa != PHYS_NONE) {
		h->tag = tag;
		tag_words(h, false);
	}
}

/* smp_run_on_all() wakes the CPUs one after another: wait for all, so
 * that they run their steps at the same time from the first. */
static void start_together(unsigned *arrived)
{
	__atomic_add_fetch(arrived, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(arrived, __ATOMIC_ACQUIRE) < smp_cpu_count())
		arch_cpu_relax();
}

static void worker(void *arg)
{
	struct stress *s = arg;
	unsigned cpu = arch_cpu_id();
	uint64_t seed = 0x57e55 + 7919 * cpu;
	struct held pages[SLOTS], blocks[SLOTS];
	struct tally t = { 0 };

	for (unsigned i = 0; i < SLOTS; i++)
		pages[i] = blocks[i] = (struct held){ PHYS_NONE, NULL, 0, 0 };
	start_together(&s->arrived);
	for (uint64_t op = 0; op < OPS_PER_CPU; op++) {
		bool use_pages = s->kinds == PAGES ||
				 (s->kinds != HEAP && random_below(&seed, 2));
		struct held *h = &(use_pages ? pages : blocks)
					[random_below(&seed, SLOTS)];
		step(h, use_pages, tag_for(cpu, op), &seed, &t);
	}
	for (unsigned i = 0; i < SLOTS; i++) {
		if (pages[i].pa != PHYS_NONE)
			give_back(&pages[i], &t);
		if (blocks[i].p)
			give_back(&blocks[i], &t);
	}
	add(&s->allocs, t.allocs);
	add(&s->out_of_memory, t.out_of_memory);
	add(&s->bad_tags, t.bad_tags);
	add(&s->bad_memory, t.bad_memory);
}

/* ---- The tests ---------------------------------------------------------- */

static void run_stress(unsigned kinds)
{
	struct stress s = { .kinds = kinds };
	struct heap_stats before = { 0 }, after = { 0 };

	/* A stress on fewer CPUs than the machine has would prove less
	 * than it claims. */
	KT_ASSERT_EQ(smp_cpu_count(), smp_cpus_present());
	if (pmm_is("bump"))
		KT_SKIP("the bump allocator cannot free");
	if (kinds & HEAP)
		heap_get_stats(&kheap, &before);
	uint64_t free_before = pmm_free_pages();

	smp_run_on_all(worker, &s);

	kprintf("    # %u CPU(s) x %u operations: %lu allocations, %lu out "
		"of memory\n", smp_cpu_count(), OPS_PER_CPU,
		(unsigned long)s.allocs, (unsigned long)s.out_of_memory);
	KT_EXPECT_EQ(s.bad_tags, 0);
	KT_EXPECT_EQ(s.bad_memory, 0);
	/* Running out is no error (the free-list allocator cannot make a
	 * run once its untouched tails are used up), but about every other
	 * step allocates: if not one in eight did, nothing was stressed. */
	KT_EXPECT_GE(s.allocs, (uint64_t)smp_cpu_count() * OPS_PER_CPU / 8);
	KT_EXPECT_EQ(pmm_free_pages(), free_before);    /* no page lost */
	if (!(kinds & HEAP))
		return;
	heap_get_stats(&kheap, &after);
	KT_EXPECT_EQ(after.used_chunks, before.used_chunks);
	KT_EXPECT_EQ(after.used_bytes, before.used_bytes);
	KT_EXPECT_EQ(after.large, before.large);
	KT_EXPECT_EQ(after.pages, before.pages);
	heap_check(&kheap);
}

KTEST(stress, pages_on_every_cpu)
{
	run_stress(PAGES);
}

KTEST(stress, heap_on_every_cpu)
{
	run_stress(HEAP);
}

KTEST(stress, pages_and_heap_on_every_cpu)
{
	run_stress(PAGES | HEAP);
}

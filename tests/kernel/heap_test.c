/*
 * In-kernel tests of the heap (lab 4), suite "heap".
 *
 * Three kinds of test:
 *  - kmalloc and friends on the kernel heap, as the rest of the kernel
 *    uses them;
 *  - exact checks of splitting and merging through heap_get_stats(), on
 *    a heap of their own (th), so nothing else can change the numbers;
 *  - one should-panic test per rule the heap enforces. Those that only
 *    break a rule (a double free) use kfree on the kernel heap: the
 *    check comes before any change, so the heap stays sound. Those that
 *    corrupt memory (an overflow), or need chunks laid out just so, use
 *    the scratch heap, emptied before each and at the end of the suite.
 *
 * A test that ends in a panic cannot clean up after itself, so it lists
 * what it leaves on the kernel heap with keep(); the suite's exit hook
 * frees it all, then checks that the page allocator has every page back.
 */
#include "kernel/ktest.h"
#include "kernel/monitor.h"
#include "mm/heap.h"
#include "mm/heap_chunk.h"         /* SPAN_BYTES, for the end-fence test */
#include "mm/page_alloc.h"

static uint64_t baseline_free_pages, baseline_kheap_pages;
static struct heap th;          /* a heap of the test's own, for stats */
static struct heap scratch;     /* for tests that corrupt a heap */

static void *leftover[16];
static unsigned nleftover;

/* p stays allocated after this test panics: free it at suite exit. */
static void *keep(void *p)
{
	if (nleftover < ARRAY_SIZE(leftover))
		leftover[nleftover++] = p;
	return p;
}

static void heap_suite_init(void)
{
	KT_ASSERT_TRUE(kheap.ready);    /* did the "heap" boot step run? */
	heap_init(&th, "test");
	heap_init(&scratch, "scratch");
	baseline_free_pages = pmm_free_pages();
	baseline_kheap_pages = kheap.pages;
}

/* The leak check: every page back where it came from. */
static void heap_suite_exit(void)
{
	while (nleftover > 0)
		kfree(leftover[--nleftover]);
	heap_destroy(&scratch);
	heap_destroy(&th);
	heap_check(&kheap);
	KT_EXPECT_EQ(kheap.pages, baseline_kheap_pages);
	KT_EXPECT_EQ(pmm_free_pages(), baseline_free_pages);
}

KTEST_SUITE(heap, heap_suite_init, heap_suite_exit);

static void fill(void *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		((unsigned char *)p)[i] = (unsigned char)(seed + i * 31);
}

static bool holds(const void *p, size_t n, unsigned seed)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != (unsigned char)(seed + i * 31))
			return false;
	return true;
}

static struct heap_stats stats(struct heap *h)
{
	struct heap_stats st;

	heap_get_stats(h, &st);
	return st;
}

/* ---- kmalloc and kfree --------------------------------------------------- */

KTEST(heap, blocks_are_16_byte_aligned)
{
	static void *p[200];

	for (unsigned i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = kmalloc(i * 13);
		KT_ASSERT_NE(p[i], NULL);
		KT_EXPECT_TRUE(IS_ALIGNED((uintptr_t)p[i], 16));
		fill(p[i], i * 13, i);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(p); i++) {
		KT_EXPECT_TRUE(holds(p[i], i * 13, i));
		kfree(p[i]);
	}
}

/* kmalloc(0) is a unique minimal chunk; kfree(NULL) does nothing. */
KTEST(heap, zero_size_and_null)
{
	void *a = kmalloc(0), *b = kmalloc(0);

	KT_EXPECT_NE(a, NULL);
	KT_EXPECT_NE(b, NULL);
	KT_EXPECT_NE(a, b);
	kfree(NULL);
	kfree(a);
	kfree(b);
	heap_check(&kheap);
}

KTEST(heap, kzalloc_zeroes_reused_memory)
{
	void *guard = kmalloc(16);
	unsigned char *p = kmalloc(300);

	memset(p, 0xee, 300);
	kfree(p);
	unsigned char *q = kzalloc(300);
	KT_ASSERT_NE(q, NULL);
	for (int i = 0; i < 300; i++)
		KT_ASSERT_EQ(q[i], 0);
	kfree(q);
	kfree(guard);
}

/* ---- Splitting and merging, through the statistics ----------------------- */

/* Four 112-byte chunks a b c d in a new span, then the free rest r. */
static unsigned char *blk[4];

static void four_blocks(void)
{
	heap_init(&th, "test");
	for (int i = 0; i < 4; i++)
		blk[i] = heap_alloc(&th, 100);
}

static void free_all_four(void)
{
	for (int i = 0; i < 4; i++)
		heap_free(&th, blk[i]);
}

KTEST(heap, allocation_splits_a_free_chunk)
{
	heap_init(&th, "test");
	void *p = heap_alloc(&th, 100);
	struct heap_stats st = stats(&th);

	KT_EXPECT_EQ(st.spans, 1);
	KT_EXPECT_EQ(st.used_chunks, 1);
	KT_EXPECT_EQ(st.used_bytes, 104);       /* a 112-byte chunk */
	KT_EXPECT_EQ(st.free_chunks, 1);        /* the rest of the span */
	KT_EXPECT_EQ(st.largest_free, st.free_bytes);
	KT_EXPECT_EQ(st.used_bytes + st.free_bytes + st.overhead_bytes,
		     st.pages * PAGE_SIZE);
	heap_free(&th, p);
	KT_EXPECT_EQ(th.pages, 0);
}

KTEST(heap, free_merges_with_next)
{
	four_blocks();
	heap_free(&th, blk[2]);                 /* a b _ d r */
	KT_EXPECT_EQ(stats(&th).free_chunks, 2);
	heap_free(&th, blk[1]);                 /* a [b c] d r */
	KT_EXPECT_EQ(stats(&th).free_chunks, 2);
	heap_check(&th);
	blk[1] = heap_alloc(&th, 2 * 112 - 8); /* exactly the merged chunk */
	blk[2] = NULL;
	KT_EXPECT_EQ(stats(&th).free_chunks, 1);
	free_all_four();
	KT_EXPECT_EQ(th.pages, 0);
}

KTEST(heap, free_merges_with_previous)
{
	four_blocks();
	heap_free(&th, blk[1]);                 /* a _ c d r */
	heap_free(&th, blk[2]);                 /* a [b c] d r */
	KT_EXPECT_EQ(stats(&th).free_chunks, 2);
	KT_EXPECT_EQ(stats(&th).used_chunks, 2);
	heap_check(&th);
	blk[1] = blk[2] = NULL;
	free_all_four();
	KT_EXPECT_EQ(th.pages, 0);
}

KTEST(heap, free_merges_with_both_neighbours)
{
	four_blocks();
	heap_free(&th, blk[0]);                 /* _ b c d r */
	heap_free(&th, blk[2]);                 /* _ b _ d r */
	KT_EXPECT_EQ(stats(&th).free_chunks, 3);
	heap_free(&th, blk[1]);                 /* [a b c] d r */
	struct heap_stats st = stats(&th);
	KT_EXPECT_EQ(st.free_chunks, 2);
	KT_EXPECT_EQ(st.free_bytes - st.largest_free, 3 * 112 - 8);
	heap_check(&th);
	heap_free(&th, blk[3]);                 /* one chunk: span freed */
	KT_EXPECT_EQ(th.pages, 0);
}

/* ---- Growing and shrinking ----------------------------------------------- */

KTEST(heap, grows_by_spans_and_returns_them)
{
	static void *p[400];
	uint64_t before = pmm_free_pages();

	heap_init(&th, "test");
	for (unsigned i = 0; i < ARRAY_SIZE(p); i++)
		KT_ASSERT_NE(p[i] = heap_alloc(&th, 1000), NULL);
	struct heap_stats st = stats(&th);
	KT_EXPECT_GE(st.spans, 5);
	KT_EXPECT_EQ(pmm_free_pages(), before - st.pages);
	for (unsigned i = 0; i < ARRAY_SIZE(p); i++)
		heap_free(&th, p[i]);
	KT_EXPECT_EQ(th.pages, 0);
	KT_EXPECT_EQ(th.peak_pages, st.pages);
	KT_EXPECT_EQ(pmm_free_pages(), before);
}

KTEST(heap, large_allocations_get_their_own_pages)
{
	uint64_t before = pmm_free_pages();
	unsigned char *p = kmalloc(5 * PAGE_SIZE);

	KT_ASSERT_NE(p, NULL);
	KT_EXPECT_TRUE(IS_ALIGNED((uintptr_t)p, 16));
	/* Five pages and a 32-byte header: six pages. */
	KT_EXPECT_EQ(pmm_free_pages(), before - 6);
	fill(p, 5 * PAGE_SIZE, 7);
	KT_EXPECT_TRUE(holds(p, 5 * PAGE_SIZE, 7));
	kfree(p);
	KT_EXPECT_EQ(pmm_free_pages(), before);
}

/* ---- krealloc ------------------------------------------------------------ */

KTEST(heap, krealloc_grows_and_keeps_data)
{
	unsigned char *p = kmalloc(100);
	void *guard = kmalloc(16);      /* so p cannot grow in place */

	fill(p, 100, 1);
	unsigned char *q = krealloc(p, 5000);
	KT_ASSERT_NE(q, NULL);
	KT_EXPECT_TRUE(holds(q, 100, 1));
	fill(q, 5000, 2);
	unsigned char *r = krealloc(q, 100000);   /* into pages */
	KT_ASSERT_NE(r, NULL);
	KT_EXPECT_TRUE(holds(r, 5000, 2));
	kfree(r);
	kfree(guard);
}

KTEST(heap, krealloc_grows_in_place_when_next_is_free)
{
	heap_init(&th, "test");
	unsigned char *p = heap_alloc(&th, 100);

	fill(p, 100, 3);
	KT_EXPECT_EQ(heap_realloc(&th, p, 4000), p);
	KT_EXPECT_TRUE(holds(p, 100, 3));
	KT_EXPECT_GE(heap_usable_size(&th, p), 4000);
	heap_free(&th, p);
	KT_EXPECT_EQ(th.pages, 0);
}

KTEST(heap, krealloc_shrinks_in_place_and_keeps_data)
{
	unsigned char *p = kmalloc(3000);

	fill(p, 3000, 4);
	KT_EXPECT_EQ(krealloc(p, 200), p);
	KT_EXPECT_TRUE(holds(p, 200, 4));
	unsigned char *q = krealloc(kmalloc(70000), 0);   /* pages to chunk */
	KT_ASSERT_NE(q, NULL);
	kfree(q);
	kfree(p);
}

KTEST(heap, krealloc_null_is_kmalloc)
{
	void *p = krealloc(NULL, 64);

	KT_ASSERT_NE(p, NULL);
	KT_EXPECT_GE(heap_usable_size(&kheap, p), 64);
	kfree(p);
}

/* Sizes that can only come from overflowed arithmetic: NULL, never a
 * small chunk, and krealloc leaves the block alone. */
KTEST(heap, absurd_sizes_return_null)
{
	unsigned char *p = kmalloc(64);

	fill(p, 64, 5);
	KT_EXPECT_EQ(kmalloc(SIZE_MAX), NULL);
	KT_EXPECT_EQ(kmalloc(SIZE_MAX - 7), NULL);
	KT_EXPECT_EQ(kmalloc((size_t)1 << 63), NULL);
	KT_EXPECT_EQ(kmalloc(HEAP_MAX_REQUEST + 1), NULL);
	KT_EXPECT_EQ(kmalloc(HEAP_MAX_REQUEST), NULL);  /* no such memory */
	KT_EXPECT_EQ(kzalloc(SIZE_MAX), NULL);
	KT_EXPECT_EQ(krealloc(p, SIZE_MAX), NULL);
	KT_EXPECT_TRUE(holds(p, 64, 5));
	kfree(p);
}

/* ---- Everything together ------------------------------------------------- */

KTEST(heap, random_workload_keeps_the_heap_consistent)
{
	enum { SLOTS = 128, OPS = 4000 };
	static struct { unsigned char *p; size_t n; } slot[SLOTS];
	uint64_t rng = 42;

	for (int op = 0; op < OPS; op++) {
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		unsigned i = (rng >> 33) % SLOTS;
		size_t n = (rng >> 20) % ((rng & 7) ? 600 : 20000);
		if (slot[i].p && !holds(slot[i].p, slot[i].n, i))
			KT_FAIL("block %u at %p lost its data", i, slot[i].p);
		if (rng & 0x100) {
			slot[i].p = krealloc(slot[i].p, n);
		} else {
			kfree(slot[i].p);
			slot[i].p = kmalloc(n);
		}
		KT_ASSERT_NE(slot[i].p, NULL);
		slot[i].n = n;
		fill(slot[i].p, n, i);
		if (op % 500 == 0)
			heap_check(&kheap);
	}
	for (int i = 0; i < SLOTS; i++) {
		kfree(slot[i].p);
		slot[i].p = NULL;
	}
	heap_check(&kheap);
}

KTEST(heap, monitor_command_prints_the_table)
{
	char line[] = "heap 4";
	void *p = kmalloc(10), *q = kmalloc(30000);

	monitor_execute(line);
	kfree(p);
	kfree(q);
}

/* ---- Broken rules: kfree on the kernel heap ------------------------------ */

KTEST_SHOULD_PANIC(heap, double_free)
{
	void *p;

	keep(kmalloc(64));
	p = kmalloc(64);
	keep(kmalloc(64));
	kfree(p);
	KT_PANIC_MESSAGE_CONTAINS("(double free)");
	kfree(p);
}

KTEST_SHOULD_PANIC(heap, free_of_unaligned_pointer)
{
	char *p = keep(kmalloc(64));

	KT_PANIC_MESSAGE_CONTAINS("not 16-byte aligned");
	kfree(p + 8);
}

KTEST_SHOULD_PANIC(heap, free_of_interior_pointer)
{
	char *p = keep(kmalloc(256));

	memset(p, 0, 256);
	KT_PANIC_MESSAGE_CONTAINS("no valid header");
	kfree(p + 128);
}

KTEST_SHOULD_PANIC(heap, free_of_stack_pointer)
{
	uint64_t local[4] __attribute__((aligned(16)));

	keep(kmalloc(16));              /* the heap holds some memory */
	KT_PANIC_MESSAGE_CONTAINS("outside the heap");
	kfree(&local[2]);
}

KTEST_SHOULD_PANIC(heap, free_of_static_pointer)
{
	static uint64_t global[4] __attribute__((aligned(16)));

	keep(kmalloc(16));
	KT_PANIC_MESSAGE_CONTAINS("outside the heap");
	kfree(&global[2]);
}

KTEST_SHOULD_PANIC(heap, free_of_pointer_into_free_chunk)
{
	char *p = kmalloc(256);

	keep(kmalloc(16));
	kfree(p);
	KT_PANIC_MESSAGE_CONTAINS("points into a free chunk");
	kfree(p + 128);
}

KTEST_SHOULD_PANIC(heap, krealloc_of_foreign_pointer)
{
	static uint64_t global[4] __attribute__((aligned(16)));

	keep(kmalloc(16));
	KT_PANIC_MESSAGE_CONTAINS("heap_realloc: heap \"kernel\"");
	krealloc(&global[2], 100);
}

KTEST_SHOULD_PANIC(heap, large_double_free)
{
	void *p = kmalloc(8 * PAGE_SIZE);

	kfree(p);
	KT_PANIC_MESSAGE_CONTAINS("double free");
	kfree(p);
}

KTEST_SHOULD_PANIC(heap, use_before_init)
{
	static struct heap never_started;

	KT_PANIC_MESSAGE_CONTAINS("before heap_init");
	heap_alloc(&never_started, 8);
}

/* ---- Broken rules on the scratch heap: memory corrupted, or a layout
 * the kernel heap cannot promise ------------------------------------------ */

/* The scratch heap, emptied of whatever the last test broke. */
static struct heap *fresh_scratch(void)
{
	heap_destroy(&scratch);
	return &scratch;
}

/* Fill one span exactly (found by the fuzzer): the address just past its
 * last chunk is the span's end fence, which looks like a used chunk of
 * size 0. Freeing it must panic before anything is written. */
KTEST_SHOULD_PANIC(heap, free_of_span_end_fence)
{
	struct heap *h = fresh_scratch();
	char *first = heap_alloc(h, 16360);

	KT_ASSERT_NE(first, NULL);
	heap_alloc(h, 16360);
	heap_alloc(h, 16360);
	heap_alloc(h, 16376);
	char *end = (char *)ALIGN_DOWN((uintptr_t)first, SPAN_BYTES) + SPAN_BYTES;
	KT_PANIC_MESSAGE_CONTAINS("was never returned by this heap");
	heap_free(h, end);
}

/* b has merged into a, its free neighbour: b's header is gone, but the
 * poison under the pointer gives the double free away. */
KTEST_SHOULD_PANIC(heap, double_free_after_merge)
{
	struct heap *h = fresh_scratch();
	void *a = heap_alloc(h, 64), *b = heap_alloc(h, 64);

	heap_alloc(h, 64);
	heap_free(h, b);
	heap_free(h, a);
	KT_PANIC_MESSAGE_CONTAINS("points into a free chunk (double free");
	heap_free(h, b);
}


/* One byte past the end of a reaches b's header: kfree(a) looks. */
KTEST_SHOULD_PANIC(heap, overflow_caught_by_free)
{
	struct heap *h = fresh_scratch();
	char *a = heap_alloc(h, 24);

	heap_alloc(h, 24);
	memset(a, 'A', 25);
	KT_PANIC_MESSAGE_CONTAINS("overflow");
	heap_free(h, a);
}

/* The overflow lands on a free chunk: taking it off its list looks. */
KTEST_SHOULD_PANIC(heap, overflow_caught_by_alloc)
{
	struct heap *h = fresh_scratch();
	char *a = heap_alloc(h, 100), *b = heap_alloc(h, 100);

	heap_alloc(h, 100);
	heap_free(h, b);
	memset(a, 0, heap_usable_size(h, a) + 8);
	KT_PANIC_MESSAGE_CONTAINS("corrupt header: overflow");
	heap_alloc(h, 100);
}

KTEST_SHOULD_PANIC(heap, underflow_caught_by_free)
{
	struct heap *h = fresh_scratch();
	char *p = heap_alloc(h, 100);

	p[-1] ^= 0x40;                  /* p's own header */
	KT_PANIC_MESSAGE_CONTAINS("no valid header");
	heap_free(h, p);
}

/* A write through a stale pointer changes the poison; reusing the chunk
 * finds it, and says where. */
KTEST_SHOULD_PANIC(heap, use_after_free_caught_on_reuse)
{
	struct heap *h = fresh_scratch();
	char *p = heap_alloc(h, 200);

	heap_alloc(h, 16);
	heap_free(h, p);
	p[100] = 1;
	KT_PANIC_MESSAGE_CONTAINS("written at offset 100 after it was freed");
	heap_alloc(h, 200);
}

/* The first bytes of a freed block are its free-list links. */
KTEST_SHOULD_PANIC(heap, use_after_free_of_links)
{
	struct heap *h = fresh_scratch();
	uint64_t *p = heap_alloc(h, 200);

	heap_alloc(h, 16);
	heap_free(h, p);
	p[0] = 0xdead;
	KT_PANIC_MESSAGE_CONTAINS("links were overwritten (use after free?)");
	heap_alloc(h, 200);
}

KTEST_SHOULD_PANIC(heap, corrupt_large_header)
{
	struct heap *h = fresh_scratch();
	uint64_t *p = heap_alloc(h, 40000);

	p[-3] = 0x1000;                 /* the header's prev link */
	KT_PANIC_MESSAGE_CONTAINS("large-allocation header is corrupt");
	heap_free(h, p);
}

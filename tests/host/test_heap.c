/*
 * Host unit tests for the heap (mm/heap*.c), under AddressSanitizer and
 * UBSan, on the real bitmap page allocator over host_ram_init() memory.
 *
 * Each test uses a heap of its own and ends with finish(), which checks
 * that every page went back to the page allocator. The error tests check
 * the panic message and that the heap lock was released before the panic.
 * The last test runs a long seeded random stream of alloc, free and
 * realloc calls against a model that knows what every block must hold.
 */
#include "kernel/spinlock.h"
#include "mm/heap.h"
#include "mm/heap_chunk.h"
#include "mm/memmap.h"
#include "mm/page_alloc.h"
#include "tests/host/host.h"
#include "tests/host/tap.h"

#define RAM_BASE 0x80000000ULL
#define RAM_SIZE (64 * MiB)

static struct memmap map;       /* the page allocator keeps a pointer */
static struct heap h;
static uint64_t baseline;       /* free pages before the test */

/* A fresh heap over the page allocator (started once per run). */
static void start(void)
{
	static bool booted;

	if (!booted) {
		host_boot_page_allocator(&map, RAM_BASE, RAM_SIZE, "bitmap");
		booted = true;
	}
	heap_init(&h, "test");
	baseline = pmm_free_pages();
}

/* The heap is consistent, and every page has gone back. */
static void finish(void)
{
	heap_check(&h);
	TAP_EXPECT_EQ(h.pages, 0);
	TAP_EXPECT_EQ(pmm_free_pages(), baseline);
}

static struct heap_stats stats(void)
{
	struct heap_stats st;

	heap_get_stats(&h, &st);
	return st;
}

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

/* stmt must panic with a message containing text, and leave the heap
 * unlocked. */
#define EXPECT_HEAP_PANIC(stmt, text)                                        \
	do {                                                                 \
		TAP_EXPECT_PANIC(stmt);                                      \
		if (!strstr(host_panic_message, text))                       \
			TAP_FAIL("panic \"%s\" does not say \"%s\"",         \
				 host_panic_message, text);                  \
		TAP_EXPECT(!spin_is_locked(&h.lock));                        \
	} while (0)

/* ---- Size classes -------------------------------------------------------- */

TAP_TEST(size_classes_are_ordered_and_exact_when_small)
{
	unsigned last = 0;

	for (uint64_t size = MIN_CHUNK; size <= 4 * MiB; size += HEAP_ALIGN) {
		unsigned cls = size_class(size);
		if (cls < last || cls >= HEAP_NCLASSES)
			TAP_FAIL("size %llu: class %u after %u",
				 (unsigned long long)size, cls, last);
		last = cls;
	}
	TAP_EXPECT_EQ(size_class(32), 0);
	TAP_EXPECT_EQ(size_class(48), 1);
	TAP_EXPECT_EQ(size_class(512), 30);
	TAP_EXPECT_EQ(size_class(528), 31);
	TAP_EXPECT_EQ(size_class(1024), 35);
	TAP_EXPECT_EQ(size_class(128 * KiB), HEAP_NCLASSES - 1);
	TAP_EXPECT_EQ(size_class(64 * KiB), 59);      /* 64 KiB up: 59..62 */
}

/* ---- Allocating and freeing ---------------------------------------------- */

TAP_TEST(blocks_are_aligned_distinct_and_big_enough)
{
	enum { N = 300 };
	static unsigned char *p[N];

	start();
	for (int i = 0; i < N; i++) {
		size_t n = (size_t)i * 7;
		p[i] = heap_alloc(&h, n);
		TAP_EXPECT(p[i] != NULL);
		TAP_EXPECT(IS_ALIGNED((uintptr_t)p[i], HEAP_ALIGN));
		TAP_EXPECT(heap_usable_size(&h, p[i]) >= n);
		fill(p[i], n, i);
	}
	for (int i = 0; i < N; i++)
		TAP_EXPECT(holds(p[i], (size_t)i * 7, i));
	for (int i = 0; i < N; i++)
		heap_free(&h, p[i]);
	finish();
}

TAP_TEST(zero_size_gives_unique_blocks_and_free_null_is_a_no_op)
{
	start();
	void *a = heap_alloc(&h, 0), *b = heap_alloc(&h, 0);
	TAP_EXPECT(a != NULL && b != NULL && a != b);
	TAP_EXPECT_EQ(stats().used_chunks, 2);
	heap_free(&h, NULL);
	TAP_EXPECT_EQ(stats().used_chunks, 2);
	heap_free(&h, a);
	heap_free(&h, b);
	finish();
}

TAP_TEST(zalloc_zeroes_recycled_memory)
{
	start();
	unsigned char *guard = heap_alloc(&h, 16);
	unsigned char *p = heap_alloc(&h, 200);
	memset(p, 0xee, 200);
	heap_free(&h, p);
	unsigned char *q = heap_zalloc(&h, 200);
	TAP_EXPECT(q == p);             /* the same chunk, reused */
	for (int i = 0; i < 200; i++)
		if (q[i])
			TAP_FAIL("byte %d is %#x", i, q[i]);
	heap_free(&h, q);
	heap_free(&h, guard);
	finish();
}

/* A first allocation splits a new span's one free chunk in two; every
 * byte of the span is used, free or overhead. */
TAP_TEST(first_allocation_splits_a_new_span)
{
	start();
	void *p = heap_alloc(&h, 100);
	struct heap_stats st = stats();
	TAP_EXPECT_EQ(st.spans, 1);
	TAP_EXPECT_EQ(st.pages, SPAN_PAGES);
	TAP_EXPECT_EQ(st.used_chunks, 1);
	TAP_EXPECT_EQ(st.used_bytes, 104);      /* a 112-byte chunk */
	TAP_EXPECT_EQ(st.free_chunks, 1);
	TAP_EXPECT_EQ(st.free_bytes, SPAN_BYTES - sizeof(struct span) -
		      TAG_SIZE - 112 - TAG_SIZE);
	TAP_EXPECT_EQ(st.largest_free, st.free_bytes);
	TAP_EXPECT_EQ(st.used_bytes + st.free_bytes + st.overhead_bytes,
		      SPAN_BYTES);
	heap_free(&h, p);
	finish();
}

/* Four 112-byte chunks a b c d, then the rest of the span (r). */
static unsigned char *blk[4];

static void four_blocks(void)
{
	for (int i = 0; i < 4; i++)
		blk[i] = heap_alloc(&h, 100);
}

TAP_TEST(free_merges_with_the_next_chunk)
{
	start();
	four_blocks();
	heap_free(&h, blk[2]);                  /* a b _ d r */
	TAP_EXPECT_EQ(stats().free_chunks, 2);
	heap_free(&h, blk[1]);                  /* a [b c] d r */
	TAP_EXPECT_EQ(stats().free_chunks, 2);
	TAP_EXPECT_EQ(stats().free_bytes, 224 - 8 +
		      SPAN_BYTES - 48 - 4 * 112 - 8);
	heap_check(&h);
	/* The merged chunk serves a request neither half could. */
	TAP_EXPECT(heap_alloc(&h, 200) == blk[1]);
	for (int i = 0; i < 4; i++)
		if (i != 2)
			heap_free(&h, blk[i]);
	finish();
}

TAP_TEST(free_merges_with_the_previous_chunk)
{
	start();
	four_blocks();
	heap_free(&h, blk[1]);                  /* a _ c d r */
	heap_free(&h, blk[2]);                  /* a [b c] d r */
	TAP_EXPECT_EQ(stats().free_chunks, 2);
	heap_check(&h);
	TAP_EXPECT(heap_alloc(&h, 200) == blk[1]);
	heap_free(&h, blk[0]);
	heap_free(&h, blk[1]);
	heap_free(&h, blk[3]);
	finish();
}

TAP_TEST(free_merges_with_both_neighbours)
{
	start();
	four_blocks();
	heap_free(&h, blk[0]);                  /* _ b c d r */
	heap_free(&h, blk[2]);                  /* _ b _ d r */
	TAP_EXPECT_EQ(stats().free_chunks, 3);
	heap_free(&h, blk[1]);                  /* [a b c] d r */
	struct heap_stats st = stats();
	TAP_EXPECT_EQ(st.free_chunks, 2);
	TAP_EXPECT_EQ(st.used_chunks, 1);
	heap_check(&h);
	TAP_EXPECT(heap_alloc(&h, 3 * 112 - 8) == blk[0]);
	heap_free(&h, blk[0]);
	heap_free(&h, blk[3]);                  /* everything: span freed */
	TAP_EXPECT_EQ(stats().spans, 0);
	finish();
}

TAP_TEST(heap_grows_by_spans_and_gives_free_spans_back)
{
	enum { N = 300 };
	static void *p[N];

	start();
	for (int i = 0; i < N; i++)
		p[i] = heap_alloc(&h, 1000);
	struct heap_stats st = stats();
	TAP_EXPECT(st.spans >= 4);
	TAP_EXPECT_EQ(st.pages, st.spans * SPAN_PAGES);
	TAP_EXPECT_EQ(pmm_free_pages(), baseline - st.pages);
	for (int i = 0; i < N; i += 2)         /* every other block */
		heap_free(&h, p[i]);
	TAP_EXPECT_EQ(stats().spans, st.spans); /* no span is all free */
	for (int i = 1; i < N; i += 2)
		heap_free(&h, p[i]);
	TAP_EXPECT_EQ(stats().spans, 0);
	TAP_EXPECT_EQ(h.peak_pages, st.pages);
	finish();
}

TAP_TEST(large_requests_get_pages_of_their_own)
{
	start();
	void *small = heap_alloc(&h, HEAP_LARGE_MIN - 1);
	TAP_EXPECT_EQ(stats().large, 0);
	unsigned char *big = heap_alloc(&h, 5 * PAGE_SIZE);
	TAP_EXPECT(IS_ALIGNED((uintptr_t)big, HEAP_ALIGN));
	TAP_EXPECT_EQ(stats().large, 1);
	/* 5 pages and a 32-byte header: 6 pages. */
	TAP_EXPECT_EQ(pmm_free_pages(), baseline - SPAN_PAGES - 6);
	TAP_EXPECT_EQ(heap_usable_size(&h, big), 6 * PAGE_SIZE - 32);
	fill(big, 5 * PAGE_SIZE, 3);
	TAP_EXPECT(holds(big, 5 * PAGE_SIZE, 3));
	heap_check(&h);
	heap_free(&h, big);
	TAP_EXPECT_EQ(pmm_free_pages(), baseline - SPAN_PAGES);
	heap_free(&h, small);
	finish();
}

/* ---- Resizing ------------------------------------------------------------ */

TAP_TEST(realloc_grows_in_place_into_a_free_neighbour)
{
	start();
	unsigned char *p = heap_alloc(&h, 100);   /* the rest is free */
	fill(p, 100, 1);
	TAP_EXPECT(heap_realloc(&h, p, 3000) == p);
	TAP_EXPECT(holds(p, 100, 1));
	TAP_EXPECT(heap_usable_size(&h, p) >= 3000);
	heap_free(&h, p);
	finish();
}

TAP_TEST(realloc_shrinks_in_place_and_frees_the_tail)
{
	start();
	unsigned char *p = heap_alloc(&h, 2000);
	void *guard = heap_alloc(&h, 16);
	fill(p, 2000, 2);
	TAP_EXPECT_EQ(stats().free_chunks, 1);
	TAP_EXPECT(heap_realloc(&h, p, 100) == p);
	TAP_EXPECT(holds(p, 100, 2));
	TAP_EXPECT_EQ(stats().free_chunks, 2);  /* the tail */
	TAP_EXPECT(heap_realloc(&h, p, 0) == p);
	heap_check(&h);
	heap_free(&h, p);
	heap_free(&h, guard);
	finish();
}

TAP_TEST(realloc_moves_when_it_must_and_keeps_the_data)
{
	start();
	unsigned char *p = heap_alloc(&h, 300);
	void *guard = heap_alloc(&h, 16);
	fill(p, 300, 3);
	unsigned char *q = heap_realloc(&h, p, 5000);
	TAP_EXPECT(q != NULL && q != p);
	TAP_EXPECT(holds(q, 300, 3));
	/* Small to large, and back. */
	fill(q, 5000, 4);
	unsigned char *r = heap_realloc(&h, q, 50000);
	TAP_EXPECT_EQ(stats().large, 1);
	TAP_EXPECT(holds(r, 5000, 4));
	fill(r, 50000, 5);
	TAP_EXPECT(heap_realloc(&h, r, 50001) == r);    /* same pages */
	unsigned char *s = heap_realloc(&h, r, 1000);
	TAP_EXPECT_EQ(stats().large, 0);
	TAP_EXPECT(holds(s, 1000, 5));
	heap_free(&h, s);
	heap_free(&h, guard);
	finish();
}

TAP_TEST(realloc_of_null_allocates)
{
	start();
	void *p = heap_realloc(&h, NULL, 40);
	TAP_EXPECT(p != NULL);
	TAP_EXPECT_EQ(stats().used_chunks, 1);
	heap_free(&h, p);
	finish();
}

TAP_TEST(absurd_sizes_return_null)
{
	start();
	unsigned char *p = heap_alloc(&h, 64);
	fill(p, 64, 6);
	TAP_EXPECT(heap_alloc(&h, SIZE_MAX) == NULL);
	TAP_EXPECT(heap_alloc(&h, SIZE_MAX - 7) == NULL);  /* +8 wraps */
	TAP_EXPECT(heap_alloc(&h, SIZE_MAX - PAGE_SIZE) == NULL);
	TAP_EXPECT(heap_alloc(&h, (size_t)1 << 63) == NULL);
	TAP_EXPECT(heap_alloc(&h, HEAP_MAX_REQUEST + 1) == NULL);
	TAP_EXPECT(heap_alloc(&h, HEAP_MAX_REQUEST) == NULL); /* no memory */
	TAP_EXPECT(heap_zalloc(&h, SIZE_MAX) == NULL);
	TAP_EXPECT(heap_realloc(&h, p, SIZE_MAX) == NULL);
	TAP_EXPECT(heap_realloc(&h, p, SIZE_MAX - 7) == NULL);
	TAP_EXPECT(holds(p, 64, 6));            /* untouched */
	TAP_EXPECT_EQ(stats().used_chunks, 1);
	heap_free(&h, p);
	finish();
}

/* ---- Broken rules -------------------------------------------------------- */

TAP_TEST(double_free_panics)
{
	start();
	void *a = heap_alloc(&h, 64), *b = heap_alloc(&h, 64);
	void *c = heap_alloc(&h, 64);
	heap_free(&h, b);
	EXPECT_HEAP_PANIC(heap_free(&h, b), "double free");
	TAP_EXPECT(strstr(host_panic_message, "heap_free: heap \"test\""));
	heap_check(&h);                 /* the heap is still fine */
	heap_free(&h, a);               /* b merges into a */
	EXPECT_HEAP_PANIC(heap_free(&h, b), "double free");
	heap_free(&h, c);
	finish();
}

TAP_TEST(freeing_what_the_heap_never_returned_panics)
{
	static uint64_t static_buf[4] __attribute__((aligned(16)));
	uint64_t stack_buf[4] __attribute__((aligned(16)));

	start();
	unsigned char *p = heap_alloc(&h, 256);
	void *guard = heap_alloc(&h, 256);
	memset(p, 0x11, 256);
	EXPECT_HEAP_PANIC(heap_free(&h, p + 1), "not 16-byte aligned");
	EXPECT_HEAP_PANIC(heap_free(&h, p + 64), "no valid header");
	EXPECT_HEAP_PANIC(heap_free(&h, &static_buf[2]), "outside the heap");
	EXPECT_HEAP_PANIC(heap_free(&h, &stack_buf[2]), "outside the heap");
	EXPECT_HEAP_PANIC(heap_realloc(&h, p + 32, 10), "heap_realloc");
	EXPECT_HEAP_PANIC(heap_usable_size(&h, p + 16), "no valid header");
	heap_free(&h, p);
	EXPECT_HEAP_PANIC(heap_free(&h, p + 64), "points into a free chunk");
	heap_check(&h);
	heap_free(&h, guard);
	finish();
}

TAP_TEST(overflow_into_the_next_header_is_caught_by_free)
{
	start();
	unsigned char *a = heap_alloc(&h, 24), *b = heap_alloc(&h, 24);
	memset(a, 'A', 25);             /* one byte too many */
	EXPECT_HEAP_PANIC(heap_free(&h, a), "overflow");
	EXPECT_HEAP_PANIC(heap_free(&h, b), "no valid header");
	UNUSED(b);
	heap_destroy(&h);
	finish();
}

TAP_TEST(overflow_into_a_free_chunk_is_caught_by_alloc)
{
	start();
	unsigned char *a = heap_alloc(&h, 100), *b = heap_alloc(&h, 100);
	heap_alloc(&h, 100);
	heap_free(&h, b);
	memset(a, 0, 104 + 8);          /* over b's header */
	EXPECT_HEAP_PANIC(heap_alloc(&h, 100), "corrupt header");
	TAP_EXPECT(strstr(host_panic_message, "heap_alloc"));
	heap_destroy(&h);
	finish();
}

TAP_TEST(underflow_and_corrupt_neighbours_are_caught)
{
	start();
	unsigned char *a = heap_alloc(&h, 100), *b = heap_alloc(&h, 100);
	unsigned char *c = heap_alloc(&h, 100);
	a[-3] ^= 1;                     /* a's own header */
	EXPECT_HEAP_PANIC(heap_free(&h, a), "no valid header");
	a[-3] ^= 1;
	heap_free(&h, a);
	b[-16] ^= 1;                    /* the free chunk a's footer */
	EXPECT_HEAP_PANIC(heap_free(&h, b), "the free chunk before");
	UNUSED(c);
	heap_destroy(&h);
	finish();
}

TAP_TEST(use_after_free_is_caught_when_the_memory_is_reused)
{
	start();
	unsigned char *a = heap_alloc(&h, 200);
	heap_alloc(&h, 16);
	heap_free(&h, a);
	a[100] = 1;
	EXPECT_HEAP_PANIC(heap_alloc(&h, 200), "use after free");
	TAP_EXPECT(strstr(host_panic_message, "offset 100"));
	heap_destroy(&h);
	finish();
}

TAP_TEST(use_after_free_of_the_links_is_caught)
{
	start();
	unsigned char *a = heap_alloc(&h, 200), *b;
	heap_alloc(&h, 16);
	b = heap_alloc(&h, 200);
	heap_alloc(&h, 16);
	heap_free(&h, a);
	heap_free(&h, b);               /* list: b -> a */
	*(uint64_t *)b = 0x1234;        /* b's next link */
	EXPECT_HEAP_PANIC(heap_alloc(&h, 200), "use after free");
	heap_destroy(&h);
	finish();
}

TAP_TEST(large_double_free_and_corrupt_header_panic)
{
	start();
	unsigned char *p = heap_alloc(&h, 40000), *q = heap_alloc(&h, 40000);
	heap_free(&h, p);
	EXPECT_HEAP_PANIC(heap_free(&h, p), "double free");
	q[-16] ^= 1;                    /* the page-count copy */
	EXPECT_HEAP_PANIC(heap_free(&h, q), "large-allocation header");
	q[-16] ^= 1;
	heap_free(&h, q);
	finish();
}

TAP_TEST(a_heap_must_be_started)
{
	static struct heap never;

	EXPECT_HEAP_PANIC(heap_alloc(&never, 8), "before heap_init");
}

TAP_TEST(destroy_gives_every_page_back)
{
	start();
	for (int i = 0; i < 100; i++)
		heap_alloc(&h, 900);
	heap_alloc(&h, 100000);
	TAP_EXPECT(h.pages > SPAN_PAGES);
	heap_destroy(&h);
	TAP_EXPECT_EQ(stats().used_chunks, 0);
	finish();
}

TAP_TEST(print_shows_chunks_and_summary)
{
	start();
	void *a = heap_alloc(&h, 10), *b = heap_alloc(&h, 20000);
	heap_print(&h, 2);              /* to stdout: not TAP, ignored */
	heap_free(&h, a);
	heap_free(&h, b);
	finish();
}

/* ---- Random stream against a model --------------------------------------- */

enum { SLOTS = 400, OPS = 40000 };

struct slot {
	unsigned char *p;               /* NULL: empty */
	size_t size;
	unsigned seed;
};

static struct slot slot[SLOTS];
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Mostly small, some medium, a few large. */
static size_t random_size(void)
{
	uint64_t r = next_random() % 100;

	if (r < 70)
		return next_random() % 257;
	if (r < 92)
		return 257 + next_random() % 4000;
	if (r < 98)
		return 4257 + next_random() % (HEAP_LARGE_MIN - 4257);
	return HEAP_LARGE_MIN + next_random() % 60000;
}

static int by_address(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	return (x->p > y->p) - (x->p < y->p);
}

/* No two live blocks overlap; the heap agrees on how many there are. */
static void check_model(void)
{
	static struct slot sorted[SLOTS];
	unsigned live = 0;

	for (int i = 0; i < SLOTS; i++)
		if (slot[i].p)
			sorted[live++] = slot[i];
	qsort(sorted, live, sizeof(sorted[0]), by_address);
	for (unsigned i = 1; i < live; i++)
		if (sorted[i - 1].p + sorted[i - 1].size > sorted[i].p)
			TAP_FAIL("blocks %p and %p overlap",
				 (void *)sorted[i - 1].p, (void *)sorted[i].p);
	TAP_EXPECT_EQ(stats().used_chunks, live);
	heap_check(&h);
}

static void random_op(struct slot *s)
{
	uint64_t r = next_random() % 10;
	size_t n = random_size();

	if (s->p && !holds(s->p, s->size, s->seed))
		TAP_FAIL("block %p lost its contents", (void *)s->p);
	if (!s->p || r < 4) {           /* (re)allocate */
		heap_free(&h, s->p);
		s->p = r == 0 ? heap_zalloc(&h, n) : heap_alloc(&h, n);
		for (size_t i = 0; r == 0 && i < n; i++)
			if (s->p[i])
				TAP_FAIL("zalloc: byte %zu is not 0", i);
	} else if (r < 7) {
		heap_free(&h, s->p);
		s->p = NULL;
		return;
	} else {
		unsigned char *q = heap_realloc(&h, s->p, n);
		if (q && !holds(q, MIN(n, s->size), s->seed))
			TAP_FAIL("realloc %p -> %p lost data", (void *)s->p,
				 (void *)q);
		s->p = q;
	}
	if (!s->p || !IS_ALIGNED((uintptr_t)s->p, HEAP_ALIGN))
		TAP_FAIL("got %p for %zu bytes", (void *)s->p, n);
	s->size = n;
	s->seed = (unsigned)next_random();
	fill(s->p, n, s->seed);
}

TAP_TEST(random_stream_matches_the_model)
{
	start();
	for (int op = 0; op < OPS && !tap_current_failed; op++) {
		random_op(&slot[next_random() % SLOTS]);
		if (op % 2000 == 0)
			check_model();
	}
	check_model();
	for (int i = 0; i < SLOTS; i++) {
		heap_free(&h, slot[i].p);
		slot[i].p = NULL;
	}
	TAP_EXPECT(h.peak_pages > 0);
	finish();
}

TAP_MAIN()

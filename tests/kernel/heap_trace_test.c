/*
 * Trace-driven tests of the heap (lab 4), suite "heap_trace": the traces
 * of tests/heap/traces/ (made by tests/heap/gen_traces.py, format in
 * tests/heap/README.md), built into the kernel and replayed on a heap of
 * their own, checking as they go that
 *
 *   - every block is 16-byte aligned;
 *   - no two live blocks overlap: a shadow bitmap, one bit per 16 bytes
 *     of RAM, says which bytes belong to a live block;
 *   - every block keeps its contents: each is filled with a pattern made
 *     from its id when allocated (or resized) and checked before it is
 *     freed or resized;
 *   - all pages go back to the page allocator once the trace is over.
 *
 * Each replay prints its utilisation, peak live payload / peak heap size
 * (pages obtained from the page allocator), as a KTAP diagnostic. The
 * last test asserts it is at least 70% for every trace: a sanity check of
 * the reference heap, not a target (that is 80% on average; make bench
 * prints the same figures on the host).
 */
#include "kernel/arch.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "mm/heap.h"
#include "mm/page_alloc.h"
#include "tests/heap/trace.h"

/*
 * The traces in .rodata, packed (tests/heap/pack_traces.py: a quarter of
 * the text's size, and every byte of the kernel is loaded at every boot).
 * The Makefile packs tests/heap/traces/NAME.trace into
 * HEAP_TRACE_DIR/NAME.tpk, a path relative to the top of the tree.
 */
#define TRACE_FILE(name)                                                     \
	extern const char trace_##name##_start[], trace_##name##_end[];      \
	__asm__(".pushsection .rodata\n"                                     \
		".balign 8\n"                                                \
		"trace_" #name "_start:\n"                                   \
		".incbin \"" HEAP_TRACE_DIR "/" #name ".tpk\"\n"             \
		"trace_" #name "_end:\n"                                     \
		".popsection\n")

TRACE_FILE(random);
TRACE_FILE(small);
TRACE_FILE(realloc);
TRACE_FILE(binary);
TRACE_FILE(bursty);

struct trace_file {
	const char *name;
	const char *start, *end;
	unsigned util;                  /* per mille; 0: not replayed yet */
};

static struct trace_file traces[] = {
	{ "random", trace_random_start, trace_random_end, 0 },
	{ "small", trace_small_start, trace_small_end, 0 },
	{ "realloc", trace_realloc_start, trace_realloc_end, 0 },
	{ "binary", trace_binary_start, trace_binary_end, 0 },
	{ "bursty", trace_bursty_start, trace_bursty_end, 0 },
};

#define MIN_UTIL 700                    /* per mille */

/* ---- Pages for the bookkeeping (never from the heap under test) ---------- */

struct pages {
	void *va;
	uint64_t npages;
};

static void *get_pages(struct pages *p, uint64_t bytes)
{
	p->npages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	paddr_t pa = page_alloc(p->npages);
	if (pa == PHYS_NONE)
		KT_FAIL("no %lu contiguous pages for the test's tables",
			(unsigned long)p->npages);
	p->va = phys_to_virt(pa);
	memset(p->va, 0, p->npages * PAGE_SIZE);
	return p->va;
}

static void put_pages(struct pages *p)
{
	if (p->va)
		page_free(virt_to_phys(p->va), p->npages);
	p->va = NULL;
}

/* ---- The shadow map: which 16-byte granules of RAM live blocks hold ------ */

static struct pages shadow_pages;
static uint64_t *shadow;
static paddr_t shadow_base;

static void shadow_init(void)
{
	shadow_base = boot_memmap.usable[0].base;
	uint64_t granules = (memmap_ram_end(&boot_memmap) - shadow_base) / 16;
	shadow = get_pages(&shadow_pages, (granules + 63) / 64 * 8);
}

/* Mark [p, p + size) as held by a live block (claim) or not (release).
 * Claiming a granule that is already held means two blocks overlap. */
static void shadow_mark(const void *p, uint64_t size, bool claim,
			uint32_t id)
{
	uint64_t first = (virt_to_phys(p) - shadow_base) / 16;

	for (uint64_t g = first; g < first + (size + 15) / 16; g++) {
		uint64_t bit = (uint64_t)1 << (g % 64);
		if (claim && (shadow[g / 64] & bit))
			KT_FAIL("block %u at %p overlaps a live block", id, p);
		if (claim)
			shadow[g / 64] |= bit;
		else
			shadow[g / 64] &= ~bit;
	}
}

/* ---- Contents: a pattern made from the block's id ------------------------ */

static uint64_t pattern(uint32_t id, uint64_t word)
{
	return ((uint64_t)id << 32 | word) * 0x9e3779b97f4a7c15ULL;
}

static void fill(void *p, uint64_t size, uint32_t id)
{
	uint64_t *w = p, n = size / 8, last = pattern(id, n);

	for (uint64_t i = 0; i < n; i++)
		w[i] = pattern(id, i);
	memcpy(&w[n], &last, size % 8);
}

static void verify(const void *p, uint64_t size, uint32_t id, uint32_t op)
{
	const uint64_t *w = p;
	uint64_t n = size / 8, last = pattern(id, n);

	for (uint64_t i = 0; i < n; i++)
		if (w[i] != pattern(id, i))
			KT_FAIL("op %u: block %u at %p changed at byte %lu",
				op, id, p, (unsigned long)(i * 8));
	if (memcmp(&w[n], &last, size % 8) != 0)
		KT_FAIL("op %u: block %u at %p changed in its last bytes",
			op, id, p);
}

/* ---- Replaying ----------------------------------------------------------- */

struct block {
	void *p;
	uint64_t size;
};

static struct heap th;
static struct pages block_pages;
static struct block *blocks;
static uint64_t baseline_free_pages;

static void check_new_block(void *p, uint64_t size, uint32_t id, uint32_t op)
{
	if (!p)
		KT_FAIL("op %u: no memory for %lu bytes (block %u)", op,
			(unsigned long)size, id);
	if (!IS_ALIGNED((uintptr_t)p, HEAP_ALIGN))
		KT_FAIL("op %u: block %u at %p is not 16-byte aligned", op,
			id, p);
	shadow_mark(p, size, true, id);
	fill(p, size, id);
}

static void run_op(const struct trace_op *op, uint32_t n)
{
	struct block *b = &blocks[op->id];

	if (op->kind != 'a') {
		verify(b->p, b->size, op->id, n);
		shadow_mark(b->p, b->size, false, op->id);
	}
	if (op->kind == 'a')
		b->p = heap_alloc(&th, op->size);
	else if (op->kind == 'r')
		b->p = heap_realloc(&th, b->p, op->size);
	else
		heap_free(&th, b->p);
	if (op->kind == 'r' && b->p)
		verify(b->p, MIN(b->size, op->size), op->id, n);
	b->size = op->kind == 'f' ? 0 : op->size;
	if (op->kind != 'f')
		check_new_block(b->p, b->size, op->id, n);
}

/* Throw away what a failed replay left behind. */
static void clean_up(void)
{
	if (th.ready)
		heap_destroy(&th);
	put_pages(&block_pages);
	put_pages(&shadow_pages);
}

/* Replay trace f; records and prints its utilisation. */
static void replay(struct trace_file *f)
{
	struct trace t;
	struct trace_op op;
	uint64_t live = 0, peak_live = 0;
	uint32_t n = 0;

	clean_up();
	if (!trace_open(&t, f->start, (size_t)(f->end - f->start)))
		KT_FAIL("trace %s: no header", f->name);
	blocks = get_pages(&block_pages, (uint64_t)t.nids * sizeof(*blocks));
	shadow_init();
	heap_init(&th, f->name);
	for (; trace_next(&t, &op); n++) {
		live -= blocks[op.id].size;
		run_op(&op, n);
		live += blocks[op.id].size;
		peak_live = MAX(peak_live, live);
	}
	KT_ASSERT_TRUE(trace_done(&t));
	KT_EXPECT_EQ(n, t.nops);
	heap_check(&th);
	KT_EXPECT_EQ(th.pages, 0);              /* everything was freed */

	uint64_t peak_heap = th.peak_pages * PAGE_SIZE;
	f->util = (unsigned)(peak_live * 1000 / peak_heap);
	kprintf("    # %s: %u ops, peak payload %lu, peak heap %lu bytes: "
		"utilisation %u.%03u\n", f->name, n, (unsigned long)peak_live,
		(unsigned long)peak_heap, f->util / 1000, f->util % 1000);
	clean_up();
}

static void trace_suite_init(void)
{
	baseline_free_pages = pmm_free_pages();
}

/* The leak check: every page back with the page allocator. */
static void trace_suite_exit(void)
{
	clean_up();
	KT_EXPECT_EQ(pmm_free_pages(), baseline_free_pages);
}

KTEST_SUITE(heap_trace, trace_suite_init, trace_suite_exit);

KTEST(heap_trace, random)
{
	replay(&traces[0]);
}

KTEST(heap_trace, small)
{
	replay(&traces[1]);
}

KTEST(heap_trace, realloc)
{
	replay(&traces[2]);
}

KTEST(heap_trace, binary)
{
	replay(&traces[3]);
}

KTEST(heap_trace, bursty)
{
	replay(&traces[4]);
}

/* Replays any trace not replayed yet (when run on its own). */
KTEST(heap_trace, utilisation_at_least_70_percent)
{
	unsigned sum = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(traces); i++) {
		if (!traces[i].util)
			replay(&traces[i]);
		if (traces[i].util < MIN_UTIL)
			ktest_fail(__FILE__, __LINE__, false, "%s: utilisation "
				   "%u per mille, below %u", traces[i].name,
				   traces[i].util, MIN_UTIL);
		sum += traces[i].util;
	}
	sum /= ARRAY_SIZE(traces);
	kprintf("    # average utilisation %u.%03u (target 0.800)\n",
		sum / 1000, sum % 1000);
}

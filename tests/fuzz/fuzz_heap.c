/*
 * Fuzz target: the heap (mm/heap*.c), over the bitmap or the free-list
 * page allocator (poisoned), on the fuzz machine (machine.h).
 *
 * Input: a machine, a byte choosing the page allocator, then a stream of
 * operations on up to NSLOTS live blocks, checked against a model that
 * knows each block's size and contents:
 *   - alloc / zalloc / realloc / free / usable_size, with sizes small,
 *     around the large-allocation threshold, large, or absurd. A block
 *     is 16-byte aligned, inside usable RAM, overlaps no other live
 *     block, has usable_size >= its size, keeps its contents (realloc:
 *     the common prefix), and zalloc's is zeroed. A size above
 *     HEAP_MAX_REQUEST gets NULL at once; any other NULL must mean the
 *     page allocator really has no room (checked by asking it);
 *   - misuse that corrupts nothing must panic, naming the function and
 *     the heap, and leave the heap sound: a double free, and freeing or
 *     reallocating a pointer the heap did not hand out (unaligned,
 *     interior, on the stack, static, malloc'd, any 16-byte aligned
 *     address of usable RAM that is no live block);
 *   - corruption must be caught: an overflow that changes the next
 *     chunk's header and an underflow into the block's own header, by
 *     heap_free of the block (the heap is then destroyed and restarted);
 *     a write into a freed chunk still in a span, by heap_check (the
 *     byte is then restored);
 *   - heap_check() passes after every 8th operation and at the end, and
 *     with every block freed, the heap holds no page and the page
 *     allocator has every page back (no loss).
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/arch.h"
#include "mm/heap.h"
#include "mm/heap_chunk.h"
#include "mm/page_alloc.h"
#include "tests/fuzz/machine.h"

#define NSLOTS 32
#define FILLED 512      /* bytes checked at each end of a block */

static struct heap h;
static uint64_t baseline;       /* free pages with an empty heap */

static struct slot {
	uint8_t *p;             /* NULL: empty */
	size_t size;            /* asked for */
	size_t usable;          /* heap_usable_size() when handed out */
	uint8_t seed;           /* contents: see byte_at() */
} slots[NSLOTS];

/* ---- Contents ----------------------------------------------------------- */

/* The model's contents of a block: the first and last FILLED bytes. */
static uint8_t byte_at(uint8_t seed, size_t i)
{
	return (uint8_t)(seed + i * 7);
}

static bool is_filled(size_t size, size_t i)
{
	return i < FILLED || i + FILLED >= size;
}

static void fill(struct slot *s)
{
	for (size_t i = 0; i < s->size; i++)
		if (is_filled(s->size, i))
			s->p[i] = byte_at(s->seed, i);
		else
			i = s->size - FILLED - 1;       /* skip the middle */
}

/* The first n bytes of p hold what slot s wrote there. */
static void check_contents(const struct slot *s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < MIN(n, s->size); i++) {
		if (!is_filled(s->size, i)) {
			i = s->size - FILLED - 1;
			continue;
		}
		FUZZ_CHECK(p[i] == byte_at(s->seed, i), "block %p (size %zu):"
			   " byte %zu changed from %#x to %#x", (void *)s->p,
			   s->size, i, byte_at(s->seed, i), p[i]);
	}
}

/* ---- Checks ------------------------------------------------------------- */

static bool is_live(const void *p)
{
	for (unsigned i = 0; i < NSLOTS; i++)
		if (slots[i].p && slots[i].p == p)
			return true;
	return false;
}

/* heap_check() passes and no lock is held. */
static void check_heap(void)
{
	EXPECT_PANIC_IF(false, NULL, "heap_check", heap_check(&h));
	FUZZ_CHECK(!spin_is_locked(&h.lock));
}

/* A new block: aligned, in usable RAM, clear of every other block. */
static void check_new_block(const uint8_t *p, size_t size, size_t usable)
{
	paddr_t pa = virt_to_phys(p);

	FUZZ_CHECK((uintptr_t)p % HEAP_ALIGN == 0, "%p is not aligned",
		   (void *)p);
	FUZZ_CHECK(usable >= size, "usable %zu < size %zu", usable, size);
	FUZZ_CHECK(memmap_is_usable(&machine.map, pa, MAX(usable, 1)),
		   "block [%#lx, +%zu) is not in usable RAM",
		   (unsigned long)pa, usable);
	for (unsigned i = 0; i < NSLOTS; i++) {
		const struct slot *s = &slots[i];
		FUZZ_CHECK(!s->p || p + usable <= s->p || s->p + s->usable <= p,
			   "block %p (+%zu) overlaps live block %p (+%zu)",
			   (void *)p, usable, (void *)s->p, s->usable);
	}
}

/* The heap said NULL to a valid size: the page allocator must have no
 * room for what the heap would have asked it for. */
static void check_out_of_memory(size_t size)
{
	paddr_t pa;

	if (size > HEAP_MAX_REQUEST)
		return;
	if (size >= HEAP_LARGE_MIN) {
		pa = page_alloc(large_pages_for(size));
		if (pa != PHYS_NONE)
			page_free(pa, large_pages_for(size));
	} else {
		pa = page_alloc_aligned(SPAN_PAGES, SPAN_PAGES);
		if (pa != PHYS_NONE)
			page_free(pa, SPAN_PAGES);
	}
	FUZZ_CHECK(pa == PHYS_NONE, "NULL for %zu bytes, but the page "
		   "allocator had room", size);
}

/* ---- Valid operations --------------------------------------------------- */

static size_t decode_size(struct input *in)
{
	uint8_t how = take8(in);

	switch (how >> 5) {
	case 3:
		return take16(in) % 2048;
	case 4:
		return take16(in) % HEAP_LARGE_MIN;
	case 5:
		return HEAP_LARGE_MIN - 64 + take8(in);
	case 6:
		return HEAP_LARGE_MIN + (size_t)take16(in) * 4;
	case 7:
		switch (how % 4) {
		case 0:
			return SIZE_MAX - take8(in);
		case 1:
			return HEAP_MAX_REQUEST - 128 + take8(in);
		case 2:
			return ((size_t)1 << 63) + take8(in);
		default:
			return take64(in);
		}
	default:
		return take8(in);
	}
}

static void free_slot(struct slot *s)
{
	if (!s->p)
		return;
	check_contents(s, s->p, s->size);
	fuzz_trace("free %p", (void *)s->p);
	EXPECT_PANIC_IF(false, NULL, "heap_free", heap_free(&h, s->p));
	s->p = NULL;
}

/* Make s a new block of size bytes (or leave it empty on NULL). */
static void record(struct slot *s, uint8_t *p, size_t size, uint8_t seed)
{
	size_t usable = 0;

	if (!p) {
		check_out_of_memory(size);
		return;
	}
	FUZZ_CHECK(size <= HEAP_MAX_REQUEST, "%zu bytes: not NULL", size);
	EXPECT_PANIC_IF(false, NULL, "heap_usable_size",
			usable = heap_usable_size(&h, p));
	check_new_block(p, size, usable);
	*s = (struct slot){ p, size, usable, seed };
	fill(s);
}

static void alloc_op(struct input *in, bool zero)
{
	struct slot *s = &slots[take8(in) % NSLOTS];
	size_t size = decode_size(in);
	uint8_t *p = NULL;

	free_slot(s);
	fuzz_trace("%s(%zu)", zero ? "zalloc" : "alloc", size);
	EXPECT_PANIC_IF(false, NULL, "heap_alloc", p = zero ?
			heap_zalloc(&h, size) : heap_alloc(&h, size));
	fuzz_trace("  -> %p", (void *)p);
	if (p && zero)
		for (size_t i = 0; i < size; i++)
			FUZZ_CHECK(p[i] == 0, "zalloc(%zu): byte %zu is %#x",
				   size, i, p[i]);
	record(s, p, size, take8(in));
}

static void realloc_op(struct input *in)
{
	struct slot *s = &slots[take8(in) % NSLOTS], old = *s;
	size_t size = decode_size(in);
	uint8_t *q = NULL;

	fuzz_trace("realloc(%p, %zu)", (void *)s->p, size);
	EXPECT_PANIC_IF(false, NULL, "heap_realloc",
			q = heap_realloc(&h, s->p, size));
	fuzz_trace("  -> %p", (void *)q);
	if (!q) {                       /* the old block is untouched */
		if (old.p)
			check_contents(&old, old.p, old.size);
		record(s, NULL, size, 0);
		return;
	}
	if (old.p) {
		check_contents(&old, q, size);
		s->p = NULL;            /* not an overlap with itself */
	}
	record(s, q, size, take8(in));
}

/* ---- Misuse: broken rules, nothing corrupted ------------------------------ */

static uint8_t static_block[64] __attribute__((aligned(16)));

/*
 * A pointer the heap did not hand out: unaligned or interior (of slot s,
 * up to the payload of the chunk after it), on the stack, static,
 * malloc'd, inside the span header of slot s or just past the end of its
 * span, or any 16-byte aligned address in usable RAM whose 8 bytes
 * before are usable RAM too (the heap may read its would-be header; on
 * the host, reading a reserved hole is an ASan report, in the kernel it
 * is not).
 */
static uint8_t *bad_pointer(struct input *in, struct slot *s,
			    uint8_t *stack_block)
{
	static uint8_t *foreign;
	uint8_t how = take8(in);

	if (!foreign)
		foreign = aligned_alloc(16, 64);
	switch (how % 8) {
	case 0:
		return s->p ? s->p + 1 + how / 8 % 15 : static_block + 1;
	case 1: {
		size_t last = s->size < HEAP_LARGE_MIN ? s->usable + 8 :
			      s->usable - 8;
		return s->p ? s->p + 16 * (1 + take16(in) % (last / 16)) :
			      static_block;
	}
	case 2:
		return stack_block;
	case 3:
		return static_block + 16;
	case 4:
		return foreign;
	case 5: {
		unsigned r = take8(in) % machine.map.nusable;
		const struct mem_range *u = &machine.map.usable[r];
		uint64_t off = 16 + take32(in) % (u->end - u->base - 16);
		return phys_to_virt(u->base + (off & ~15ull));
	}
	default:
		if (!s->p || s->size >= HEAP_LARGE_MIN)
			return static_block;
		if (how % 2)            /* just past the end fence */
			return (uint8_t *)span_of(s->p) + SPAN_BYTES;
		return (uint8_t *)span_of(s->p) + 16 * (1 + how / 8 % 2);
	}
}

static void misuse_op(struct input *in)
{
	uint8_t stack_block[64] __attribute__((aligned(16)));
	struct slot *s = &slots[take8(in) % NSLOTS];
	uint8_t how = take8(in);
	uint8_t *p;

	if (how % 4 == 0) {             /* double free */
		p = s->p;
		if (!p)
			return;
		free_slot(s);
	} else {
		p = bad_pointer(in, s, stack_block);
		if (is_live(p))
			return;         /* a valid pointer after all */
	}
	fuzz_trace("misuse: %s(%p)", how % 2 ? "realloc" : "free", (void *)p);
	if (how % 2)
		EXPECT_PANIC_IF(true, "heap_realloc: heap \"fuzz\": ",
				"heap_realloc of a bad pointer",
				heap_realloc(&h, p, take8(in)));
	else
		EXPECT_PANIC_IF(true, "heap_free: heap \"fuzz\": ",
				"heap_free of a bad pointer", heap_free(&h, p));
	check_heap();
}

/* ---- Misuse: corruption --------------------------------------------------- */

/* Forget every block and start an empty heap: no page may be lost. */
static void restart_heap(void)
{
	heap_destroy(&h);
	memset(slots, 0, sizeof(slots));
	FUZZ_CHECK(h.pages == 0 && pmm_free_pages() == baseline,
		   "heap_destroy left %lu pages, %lu free of %lu",
		   (unsigned long)h.pages, (unsigned long)pmm_free_pages(),
		   (unsigned long)baseline);
	heap_init(&h, "fuzz");
}

/* Write 1..8 equal bytes past the end of a small block (or flip a bit of
 * its own header): freeing it must panic if a header changed. */
static void overflow_op(struct input *in)
{
	struct slot *s = &slots[take8(in) % NSLOTS];
	uint8_t how = take8(in), value = take8(in);
	unsigned n = 1 + how % 8;
	bool changed = false;

	if (!s->p || s->size >= HEAP_LARGE_MIN)
		return;
	if (how & 0x80) {
		s->p[-1 - how % 8] ^= 1 << (how >> 4 & 7);      /* underflow */
		changed = true;
	} else {
		for (unsigned i = 0; i < n; i++) {
			changed |= s->p[s->usable + i] != value;
			s->p[s->usable + i] = value;
		}
	}
	fuzz_trace("%s of %p (size %zu): %u byte(s) %#x", how & 0x80 ?
		   "underflow" : "overflow", (void *)s->p, s->size, n, value);
	if (!changed)
		return;
	EXPECT_PANIC_IF(true, "heap_free: heap \"fuzz\": ",
			"heap_free of a block whose neighbour or own header "
			"was overwritten", heap_free(&h, s->p));
	restart_heap();
}

/*
 * Write into a freed small block: heap_check must find it, if the memory
 * is still in a span (else it went back to the page allocator). The
 * write lands in the poison, or flips a low bit of a free-list link (a
 * link then points at no chunk: following it could read anything).
 */
static void use_after_free_op(struct input *in)
{
	struct slot *s = &slots[take8(in) % NSLOTS];
	uint16_t how = take16(in);
	uint8_t *p = s->p, *at, old;
	bool in_span = false;

	if (!p || s->size >= HEAP_LARGE_MIN || s->usable < 40)
		return;
	if (how % 4 == 0)
		at = p + 8 * (how / 4 % 2);             /* next or prev */
	else
		at = p + 16 + how / 4 % (s->usable - 24);
	free_slot(s);
	for (struct span *sp = h.spans; sp; sp = sp->next)
		in_span |= sp == span_of(p);
	if (!in_span)
		return;
	old = *at;
	*at = how % 4 == 0 ? old ^ (1 << (how / 8 % 4)) : ~old;
	fuzz_trace("write after free at %p + %ld", (void *)p, (long)(at - p));
	EXPECT_PANIC_IF(true, "heap_check: heap \"fuzz\": ",
			"heap_check after a write to a freed block",
			heap_check(&h));
	*at = old;
	check_heap();
}

/* ---- The run ------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	const char *pmm;

	machine_build(&in, MACHINE_MAX_PAGES);
	pmm = take8(&in) % 2 ? "freelist" : "bitmap";
	if (machine.map.nusable == 0)
		return 0;               /* no page allocator can start */
	EXPECT_PANIC_IF(false, NULL, "pmm_init", pmm_init(&machine.map, pmm));
	heap_init(&h, "fuzz");
	baseline = pmm_free_pages();
	memset(slots, 0, sizeof(slots));
	fuzz_trace("heap over %s, %lu pages", pmm, (unsigned long)baseline);

	for (unsigned n = 1; fuzz_more(&in); n++) {
		uint8_t op = take8(&in);
		switch (op % 16) {
		case 0: case 1: case 2: case 3: case 4:
			alloc_op(&in, false);
			break;
		case 5:
			alloc_op(&in, true);
			break;
		case 6: case 7: case 8:
			free_slot(&slots[take8(&in) % NSLOTS]);
			break;
		case 9: case 10:
			realloc_op(&in);
			break;
		case 11:
			misuse_op(&in);
			break;
		case 12:
			overflow_op(&in);
			break;
		case 13:
			use_after_free_op(&in);
			break;
		default: {
			struct slot *s = &slots[take8(&in) % NSLOTS];
			if (s->p)
				FUZZ_CHECK(heap_usable_size(&h, s->p) ==
					   s->usable);
		}
		}
		/* O(heap size): reading all the poison dominated the run
		 * time when done after every operation. */
		if (n % 8 == 0)
			check_heap();
		FUZZ_CHECK(!spin_is_locked(&h.lock));
		fuzz_check_no_locks();
	}

	struct heap_stats st;
	unsigned live = 0;
	heap_get_stats(&h, &st);
	for (unsigned i = 0; i < NSLOTS; i++)
		live += slots[i].p != NULL;
	FUZZ_CHECK(st.used_chunks == live, "%lu used chunks, %u live blocks",
		   (unsigned long)st.used_chunks, live);
	for (unsigned i = 0; i < NSLOTS; i++)
		free_slot(&slots[i]);
	check_heap();
	FUZZ_CHECK(h.pages == 0 && pmm_free_pages() == baseline,
		   "every block freed, but the heap holds %lu pages and %lu of "
		   "%lu are free", (unsigned long)h.pages,
		   (unsigned long)pmm_free_pages(), (unsigned long)baseline);
	return 0;
}

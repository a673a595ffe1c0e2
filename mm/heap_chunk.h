/*
 * Inside the heap: boundary tags, chunks, spans and large allocations.
 * Only the mm/heap*.c files include this header.
 *
 * ---- Chunks -------------------------------------------------------------
 *
 * A chunk is a multiple of 16 bytes long and starts 8 bytes before a
 * 16-byte boundary, so that its payload, right after an 8-byte header,
 * is 16-byte aligned:
 *
 *   used:  | header | payload ........................................ |
 *   free:  | header | next | prev | 6b 6b 6b 6b 6b 6b ... 6b | footer |
 *          ^ chunk  ^ chunk + 8: the pointer kmalloc returned
 *
 * A free chunk ends with a footer, a copy of its header, so the chunk
 * after it can find where it starts: that is what makes merging with the
 * chunk before O(1). A used chunk needs no footer (nobody merges into a
 * used chunk), which saves 8 bytes per allocation; instead the PREV_FREE
 * bit in each header says whether the chunk before is free, i.e. whether
 * there is a footer to read (Knuth's boundary tags, as dlmalloc does them).
 *
 * A free chunk's payload holds its free-list links and is otherwise
 * filled with POISON_BYTE. Handing the memory out again checks the
 * poison: a write through a stale pointer shows up as a changed byte.
 *
 * ---- Tags ---------------------------------------------------------------
 *
 * A tag (header or footer) is 8 bytes: the chunk size with flags in its
 * low 4 bits (sizes are multiples of 16), and a check word
 *
 *   check = TAG_MAGIC ^ word ^ (address of the tag / 8)
 *
 * A tag is valid only if its check word matches. Bytes written by an
 * overflow, user data under an interior pointer, a stale copy of a tag
 * at another address: none of them has a matching check (except by a
 * one in 2^32 accident), so every tag we read is checked first.
 *
 * ---- Spans --------------------------------------------------------------
 *
 * Chunks live in spans of SPAN_PAGES pages, aligned to their own size,
 * so the span holding any chunk is found by rounding its address down
 * (its physical address: see span_of()). That is how kfree sees, in O(1),
 * that the chunk it has just merged fills its span, which then goes back
 * to the page allocator.
 *
 *   | struct span | start fence | chunk | chunk | ... | chunk | end fence |
 *   ^ page aligned  used, size 0  ^ +40                  used, size 0
 *
 * The fences are tags of used, zero-sized chunks: the first chunk never
 * merges backwards and the last never forwards, with no special case.
 *
 * ---- Large allocations --------------------------------------------------
 *
 * A request of HEAP_LARGE_MIN bytes or more gets pages of its own:
 *
 *   | next | prev | npages | tag | payload (to the end of the last page) |
 *   ^ page aligned               ^ + 32
 *
 * The tag has TAG_LARGE set, and its size field counts pages, not bytes,
 * so the check word covers the page count. The npages field is a second
 * copy: kfree trusts the count only when both agree, and heap_destroy(),
 * which trusts no tag, uses the copy.
 */
#ifndef DUET_HEAP_CHUNK_H
#define DUET_HEAP_CHUNK_H

#include <stdnoreturn.h>

#include "kernel/arch.h"
#include "kernel/printf.h"
#include "mm/heap.h"

#define TAG_SIZE        8
#define MIN_CHUNK       32      /* header, two links, footer */
#define SPAN_PAGES      16
#define SPAN_BYTES      (SPAN_PAGES * PAGE_SIZE)
#define POISON_BYTE     0x6b    /* Linux's "freed memory" byte */
#define POISON_WORD     0x6b6b6b6b6b6b6b6bULL
#define TAG_MAGIC       0x44756574u     /* "Duet" */

#define TAG_USED        0x1u    /* the chunk is allocated */
#define TAG_PREV_FREE   0x2u    /* the chunk before is free: has a footer */
#define TAG_LARGE       0x4u    /* a large allocation's header */
#define TAG_FLAGS       0xfu

struct tag {
	uint32_t word;          /* size | flags */
	uint32_t check;         /* TAG_MAGIC ^ word ^ (address / 8) */
};

struct chunk {
	struct tag head;
	struct chunk *next;     /* free chunks only: their free list */
	struct chunk *prev;
};

struct span {
	struct span *next, *prev;
	uint64_t magic;         /* SPAN_MAGIC ^ address: is this a span? */
	uint64_t pad;           /* puts the first chunk at +40 */
	struct tag start_fence;
};

struct large {
	struct large *next, *prev;
	uint64_t npages;        /* a second copy, kept apart from the tag */
	struct tag tag;
};

#define SPAN_MAGIC 0x5350414e44756574ULL        /* "SPANDuet" */

/* Poison is written and read 8 bytes at a time, over memory that also
 * holds tags at other times: tell the compiler these words may alias. */
typedef uint64_t __attribute__((may_alias)) poison_t;

/* ---- Tags ---------------------------------------------------------------- */

static inline uint32_t tag_check_for(const struct tag *t, uint32_t word)
{
	return TAG_MAGIC ^ word ^ (uint32_t)((uintptr_t)t >> 3);
}

static inline void tag_set(struct tag *t, uint32_t word)
{
	t->word = word;
	t->check = tag_check_for(t, word);
}

static inline bool tag_valid(const struct tag *t)
{
	return t->check == tag_check_for(t, t->word);
}

static inline uint64_t tag_size(const struct tag *t)
{
	return t->word & ~TAG_FLAGS;
}

static inline bool tag_used(const struct tag *t)
{
	return t->word & TAG_USED;
}

/* Both halves of the tag read as poison: it lies inside a free chunk. */
static inline bool tag_is_poison(const struct tag *t)
{
	return *(const poison_t *)t == POISON_WORD;
}

/* ---- Chunks -------------------------------------------------------------- */

static inline uint64_t chunk_size(const struct chunk *c)
{
	return tag_size(&c->head);
}

static inline bool chunk_used(const struct chunk *c)
{
	return tag_used(&c->head);
}

static inline bool chunk_prev_free(const struct chunk *c)
{
	return c->head.word & TAG_PREV_FREE;
}

static inline void chunk_set(struct chunk *c, uint64_t size, uint32_t flags)
{
	tag_set(&c->head, (uint32_t)size | flags);
}

static inline void chunk_set_prev_free(struct chunk *c, bool prev_free)
{
	uint32_t word = c->head.word & ~TAG_PREV_FREE;

	tag_set(&c->head, word | (prev_free ? TAG_PREV_FREE : 0));
}

static inline struct chunk *chunk_next(const struct chunk *c)
{
	return (struct chunk *)((char *)c + chunk_size(c));
}

/* The footer of a free chunk: its last 8 bytes. */
static inline struct tag *chunk_footer(const struct chunk *c)
{
	return (struct tag *)((char *)c + chunk_size(c)) - 1;
}

/* The footer of the chunk before c (only there if c is PREV_FREE). */
static inline struct tag *prev_footer(const struct chunk *c)
{
	return (struct tag *)c - 1;
}

static inline void *chunk_payload(const struct chunk *c)
{
	return (char *)c + TAG_SIZE;
}

static inline struct chunk *payload_chunk(const void *p)
{
	return (struct chunk *)((char *)p - TAG_SIZE);
}

static inline uint64_t chunk_usable(const struct chunk *c)
{
	return chunk_size(c) - TAG_SIZE;
}

/* The chunk size that holds a request of n bytes (n <= HEAP_MAX_REQUEST,
 * so nothing here can overflow). */
static inline uint64_t chunk_size_for(size_t n)
{
	return MAX(ALIGN_UP((uint64_t)n + TAG_SIZE, HEAP_ALIGN), MIN_CHUNK);
}

/* ---- Spans --------------------------------------------------------------- */

/* The span holding p. Spans are aligned in physical memory (that is what
 * the page allocator aligns), and the direct map need not keep that
 * alignment (the host tests' does not): round the physical address. */
static inline struct span *span_of(const void *p)
{
	return phys_to_virt(ALIGN_DOWN(virt_to_phys(p), SPAN_BYTES));
}

static inline struct chunk *span_first(const struct span *s)
{
	return (struct chunk *)(s + 1);
}

static inline struct chunk *span_end_fence(const struct span *s)
{
	return (struct chunk *)((char *)s + SPAN_BYTES - TAG_SIZE);
}

static inline bool span_valid(const struct span *s)
{
	return s->magic == (SPAN_MAGIC ^ (uintptr_t)s);
}

/* ---- Large allocations --------------------------------------------------- */

static inline struct large *large_of(const void *p)
{
	return (struct large *)p - 1;
}

static inline uint64_t large_usable(const struct large *l)
{
	return l->npages * PAGE_SIZE - sizeof(struct large);
}

/* Pages for a large request of n bytes (n <= HEAP_MAX_REQUEST). */
static inline uint64_t large_pages_for(size_t n)
{
	return ((uint64_t)n + sizeof(struct large) + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* ---- Shared between the heap files --------------------------------------- */

/* heap_class.c: the segregated free lists. */
unsigned size_class(uint64_t size);
void freelist_push(struct heap *h, struct chunk *c);
void freelist_remove(struct heap *h, struct chunk *c);
struct chunk *freelist_take(struct heap *h, uint64_t size);

/* heap_chunk.c: splitting, merging, poison. */
void *chunk_alloc(struct heap *h, uint64_t size);
void chunk_free(struct heap *h, struct chunk *c);
bool chunk_resize(struct heap *h, struct chunk *c, uint64_t size);
void poison_fill(void *from, void *to);

/* heap_span.c: getting and giving back spans. */
struct chunk *span_grow(struct heap *h);
bool span_is_free(const struct chunk *c);
void span_release(struct heap *h, struct chunk *c);
void heap_got_pages(struct heap *h, void *base, uint64_t npages);

/* heap_large.c: requests that get pages of their own. */
void *large_alloc(struct heap *h, size_t n);
void large_free(struct heap *h, struct large *l);

/* heap_check.c: the rules, and what happens when one is broken. */
noreturn void heap_panic(struct heap *h, const char *fmt, ...)
	PRINTF_LIKE(2, 3);
struct tag *check_pointer(struct heap *h, void *p);
void check_free_chunk(struct heap *h, struct chunk *c);
void check_poison(struct heap *h, struct chunk *c, const void *end);

/* heap.c: taking and releasing the lock. */
void heap_lock(struct heap *h, const char *op);
void heap_unlock(struct heap *h);

#endif

/*
 * The heap's rules, and what happens when one is broken.
 *
 * Checked on every call, in O(1):
 *  - kfree and krealloc: is p a pointer this heap handed out and has not
 *    taken back (check_pointer), and are the tags of the chunks on both
 *    sides intact (an overflow from p, or into the chunk before it)?
 *  - every free chunk taken off a list: header, footer and links intact
 *    (check_free_chunk), and every byte about to be handed out still
 *    poison (check_poison): nobody wrote to it after it was freed.
 * Checked all at once, in O(heap size), by heap_check() for tests.
 *
 * A broken rule is a bug in the caller (or memory already corrupted), so
 * it panics with the entry point, the heap, the address and the rule:
 *
 *   heap_free: heap "kernel": 0xffffffc080520080 is already free (double
 *   free)
 */
#include <stdarg.h>

#include "kernel/panic.h"
#include "mm/heap_chunk.h"
#include "mm/page_alloc.h"

noreturn void heap_panic(struct heap *h, const char *fmt, ...)
{
	char rule[160];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(rule, sizeof(rule), fmt, ap);
	va_end(ap);
	/* Unlock first: the kernel goes on after a panic inside a test,
	 * and the heap must still work for the next one. */
	unlock_and_panic(&h->lock, "%s: heap \"%s\": %s", h->op, h->name, rule);
}

/* Do the n bytes at p lie where this heap has ever held pages? Checked
 * before anything is read near a pointer we were given. */
static bool in_heap(const struct heap *h, const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;

	return a >= h->lo && a <= h->hi && n <= h->hi - a;
}

/* May a free-list link (NULL or a chunk) be followed? */
static bool link_ok(const struct heap *h, const struct chunk *c)
{
	return !c || (in_heap(h, c, sizeof(*c)) &&
		      ((uintptr_t)c & (HEAP_ALIGN - 1)) == TAG_SIZE);
}

/* ---- Pointers handed to kfree and krealloc ------------------------------- */

/* The free chunk before used chunk c, whose PREV_FREE bit is set. */
static void check_prev(struct heap *h, struct chunk *c)
{
	struct tag *foot = prev_footer(c);
	struct chunk *prev = (struct chunk *)((char *)c - tag_size(foot));

	if (!tag_valid(foot) || tag_used(foot) ||
	    prev < span_first(span_of(c)) || !tag_valid(&prev->head) ||
	    chunk_used(prev) || chunk_size(prev) != tag_size(foot))
		heap_panic(h, "the free chunk before %p is corrupt: its "
			   "footer or header was overwritten",
			   chunk_payload(c));
}

static void check_used_chunk(struct heap *h, struct chunk *c)
{
	struct span *s = span_of(c);
	struct chunk *next = chunk_next(c);

	if (!in_heap(h, s, sizeof(*s)) || !span_valid(s) || c < span_first(s))
		heap_panic(h, "%p is not in a span of this heap",
			   chunk_payload(c));
	/* The end fence looks like a used chunk of size 0: never an
	 * allocation, and freeing it would write outside the span. */
	if (c >= span_end_fence(s) || chunk_size(c) < MIN_CHUNK)
		heap_panic(h, "%p was never returned by this heap (a span's "
			   "end fence, or a chunk too small to exist)",
			   chunk_payload(c));
	if (next > span_end_fence(s) || !tag_valid(&next->head) ||
	    chunk_prev_free(next))
		heap_panic(h, "the header after %p is corrupt: written past "
			   "the end of its %lu bytes (overflow)?",
			   chunk_payload(c), (unsigned long)chunk_usable(c));
	if (chunk_prev_free(c))
		check_prev(h, c);
}

/* May a large-allocation list link (NULL or a header) be followed? */
static bool large_link_ok(const struct heap *h, const struct large *l)
{
	return !l || (in_heap(h, l, sizeof(*l)) &&
		      IS_ALIGNED((uintptr_t)l, PAGE_SIZE));
}

static void check_large(struct heap *h, struct large *l)
{
	if (!IS_ALIGNED((uintptr_t)l, PAGE_SIZE) ||
	    l->npages != tag_size(&l->tag) >> 4 ||
	    !large_link_ok(h, l->prev) || !large_link_ok(h, l->next) ||
	    (l->prev ? l->prev->next : h->large) != l ||
	    (l->next && l->next->prev != l))
		heap_panic(h, "%p: its large-allocation header is corrupt",
			   (void *)(l + 1));
}

/*
 * Is p a live allocation of this heap, with intact neighbours? Returns
 * its header tag (TAG_LARGE says which kind); panics otherwise. The
 * checks go from cheapest and safest to the ones that read memory.
 */
struct tag *check_pointer(struct heap *h, void *p)
{
	struct tag *t = (struct tag *)p - 1;

	if (!IS_ALIGNED((uintptr_t)p, HEAP_ALIGN))
		heap_panic(h, "%p is not 16-byte aligned, so not a pointer "
			   "from this heap", p);
	if (!in_heap(h, t, TAG_SIZE))
		heap_panic(h, "%p is outside the heap: a stack, static or "
			   "foreign pointer?", p);
	if (tag_is_poison(t))
		heap_panic(h, "%p points into a free chunk (double free, or a "
			   "pointer into freed memory)", p);
	if (!tag_valid(t))
		heap_panic(h, "%p has no valid header: an interior or foreign "
			   "pointer, or the header was overwritten", p);
	if (!tag_used(t))
		heap_panic(h, "%p is already free (double free)", p);
	if (t->word & TAG_LARGE)
		check_large(h, large_of(p));
	else
		check_used_chunk(h, payload_chunk(p));
	return t;
}

/* ---- Free chunks --------------------------------------------------------- */

/* c is on a free list, or the free neighbour of a chunk being freed. */
void check_free_chunk(struct heap *h, struct chunk *c)
{
	if (!link_ok(h, c))
		heap_panic(h, "a free list leads to %p, not a chunk of this "
			   "heap: a link was overwritten (use after free?)", c);
	if (!tag_valid(&c->head) || chunk_used(c))
		heap_panic(h, "free chunk %p has a corrupt header: overflow "
			   "from the chunk before it?", chunk_payload(c));
	struct tag *foot = chunk_footer(c);
	if (!tag_valid(foot) || tag_size(foot) != chunk_size(c))
		heap_panic(h, "free chunk %p has a corrupt footer (overflow?)",
			   chunk_payload(c));
	if (!link_ok(h, c->next) || !link_ok(h, c->prev))
		heap_panic(h, "free chunk %p: its free-list links were "
			   "overwritten (use after free?)", chunk_payload(c));
}

/* Every byte of free chunk c's poison that lies below end must still be
 * poison (the free-list links and the footer are not poison). Compared a
 * word at a time; the message names the first byte that changed. */
void check_poison(struct heap *h, struct chunk *c, const void *end)
{
	const poison_t *w = (const poison_t *)(c + 1);
	const void *stop = MIN(end, (const void *)chunk_footer(c));

	while ((const void *)w < stop && *w == POISON_WORD)
		w++;
	if ((const void *)w >= stop)
		return;
	const unsigned char *b = (const unsigned char *)w;
	while (*b == POISON_BYTE)
		b++;
	heap_panic(h, "free chunk %p was written at offset %lu after it was "
		   "freed (use after free)", chunk_payload(c),
		   (unsigned long)(b - (unsigned char *)chunk_payload(c)));
}

/* ---- heap_check(): everything at once ------------------------------------ */

/* Check every chunk of span s; returns how many are free. */
static uint64_t check_span(struct heap *h, struct span *s)
{
	struct chunk *c = span_first(s), *end = span_end_fence(s);
	bool prev_free = false;
	uint64_t nfree = 0;

	if (!span_valid(s) || !tag_valid(&s->start_fence) ||
	    s->start_fence.word != TAG_USED)
		heap_panic(h, "span %p has a corrupt header", (void *)s);
	for (; c != end; c = chunk_next(c)) {
		if (!tag_valid(&c->head) || chunk_size(c) < MIN_CHUNK ||
		    chunk_next(c) > end)
			heap_panic(h, "chunk %p has a corrupt header",
				   chunk_payload(c));
		if (chunk_prev_free(c) != prev_free)
			heap_panic(h, "chunk %p: wrong PREV_FREE bit",
				   chunk_payload(c));
		if (!chunk_used(c)) {
			if (prev_free)
				heap_panic(h, "chunk %p: two free chunks side "
					   "by side (missed merge)",
					   chunk_payload(c));
			check_free_chunk(h, c);
			check_poison(h, c, chunk_footer(c));
			nfree++;
		}
		prev_free = !chunk_used(c);
	}
	if (!tag_valid(&end->head) || chunk_size(end) != 0 ||
	    !chunk_used(end) || chunk_prev_free(end) != prev_free)
		heap_panic(h, "span %p: corrupt end fence", (void *)s);
	return nfree;
}

/* Check every free list; returns how many chunks they hold. */
static uint64_t check_lists(struct heap *h)
{
	uint64_t listed = 0, limit = h->pages * PAGE_SIZE / MIN_CHUNK;

	for (unsigned cls = 0; cls < HEAP_NCLASSES; cls++) {
		if (!h->free[cls] != !(h->nonempty & ((uint64_t)1 << cls)))
			heap_panic(h, "class %u: wrong non-empty bit", cls);
		for (struct chunk *c = h->free[cls]; c; c = c->next) {
			check_free_chunk(h, c);
			if (size_class(chunk_size(c)) != cls ||
			    (c->next && c->next->prev != c) || ++listed > limit)
				heap_panic(h, "free list %u is corrupt at %p",
					   cls, chunk_payload(c));
		}
	}
	return listed;
}

void heap_check(struct heap *h)
{
	uint64_t nfree = 0, pages = 0;

	heap_lock(h, "heap_check");
	for (struct span *s = h->spans; s; s = s->next) {
		nfree += check_span(h, s);
		pages += SPAN_PAGES;
	}
	for (struct large *l = h->large; l; l = l->next) {
		check_large(h, l);
		pages += l->npages;
	}
	if (pages != h->pages)
		heap_panic(h, "holds %lu pages but counts %lu",
			   (unsigned long)pages, (unsigned long)h->pages);
	uint64_t listed = check_lists(h);
	if (listed != nfree)
		heap_panic(h, "%lu free chunks, but %lu on the free lists",
			   (unsigned long)nfree, (unsigned long)listed);
	heap_unlock(h);
}

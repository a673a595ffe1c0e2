/*
 * Spans: the heap grows SPAN_PAGES pages at a time, and gives a span back
 * to the page allocator as soon as every chunk in it is free (layout in
 * mm/heap_chunk.h). A span is aligned to its own size, so span_of() finds
 * the span of any chunk by rounding down: freeing the last used chunk of
 * a span notices that the merged chunk fills it in O(1), with no search.
 *
 * Spans go back at once, not kept for later: a heap that keeps an empty
 * span holds memory nobody uses, and a test cannot tell a leak from a
 * cache. The price is paid by a workload that allocates and frees one
 * block over and over in an empty heap: a span each time.
 */
#include "kernel/arch.h"
#include "mm/heap_chunk.h"
#include "mm/page_alloc.h"
#include "kernel/panic.h"

/* Count pages we now hold, and widen the range of heap addresses. */
void heap_got_pages(struct heap *h, void *base, uint64_t npages)
{
	/* BEGIN SOLUTION lab4 */
	uintptr_t start = (uintptr_t)base;

	h->pages += npages;
	h->peak_pages = MAX(h->peak_pages, h->pages);
	h->lo = MIN(h->lo, start);
	h->hi = MAX(h->hi, start + npages * PAGE_SIZE);
	/* END SOLUTION */
}

/*
 * A new span holding one free chunk, poisoned but not on a free list
 * (the caller is about to use it), or NULL if the page allocator has no
 * SPAN_PAGES aligned pages left.
 */
struct chunk *span_grow(struct heap *h)
{
	/* BEGIN SOLUTION lab4 */
	paddr_t pa = page_alloc_aligned(SPAN_PAGES, SPAN_PAGES);

	if (pa == PHYS_NONE)
		return NULL;
	struct span *s = phys_to_virt(pa);
	heap_got_pages(h, s, SPAN_PAGES);
	s->magic = SPAN_MAGIC ^ (uintptr_t)s;
	s->pad = 0;
	s->prev = NULL;
	s->next = h->spans;
	if (s->next)
		s->next->prev = s;
	h->spans = s;

	struct chunk *c = span_first(s), *end = span_end_fence(s);
	tag_set(&s->start_fence, TAG_USED);
	chunk_set(c, (uint64_t)((char *)end - (char *)c), 0);
	poison_fill(chunk_payload(c), end);
	chunk_set(end, 0, TAG_USED | TAG_PREV_FREE);
	return c;
	/* END SOLUTION */
}

/* Does free chunk c fill its whole span? */
bool span_is_free(const struct chunk *c)
{
	/* BEGIN SOLUTION lab4 */
	const struct span *s = span_of(c);

	return c == span_first(s) && chunk_next(c) == span_end_fence(s);
	/* END SOLUTION */
}

/* Give back the span that free chunk c fills (c is on no list). */
void span_release(struct heap *h, struct chunk *c)
{
	/* BEGIN SOLUTION lab4 */
	struct span *s = span_of(c);

	if (s->prev)
		s->prev->next = s->next;
	else
		h->spans = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->magic = 0;           /* a stale pointer into it is no longer ours */
	h->pages -= SPAN_PAGES;
	page_free(virt_to_phys(s), SPAN_PAGES);
	/* END SOLUTION */
}

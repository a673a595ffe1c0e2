/*
 * The heap's entry points: size checks, the lock, and the choice between
 * a chunk in a span and pages of its own. See mm/heap.h for the rules.
 *
 *   heap_chunk.c   carving, merging and resizing chunks
 *   heap_class.c   size classes and segregated free lists
 *   heap_span.c    growing by a span, giving a free span back
 *   heap_large.c   requests that get pages of their own
 *   heap_check.c   the rules, checked, and the panics
 *   heap_print.c   statistics, the chunk table, the "heap" command
 */
#include "kernel/arch.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "mm/heap_chunk.h"
#include "mm/page_alloc.h"

struct heap kheap;

void heap_init(struct heap *h, const char *name)
{
	/* A heap grows with pages: with no page allocator, fail now (at
	 * boot) rather than at the first kmalloc. Panics before pmm_init(). */
	pmm_allocator();
	*h = (struct heap){
		.lock = SPINLOCK_INIT("heap"),
		.name = name,
		.op = "heap_init",
		.ready = true,
		.lo = UINTPTR_MAX,      /* no address is in the heap yet */
		.hi = 0,
	};
}

void heap_lock(struct heap *h, const char *op)
{
	if (!h->ready)
		panic("%s: heap used before heap_init()", op);
	spin_lock(&h->lock);
	h->op = op;
}

void heap_unlock(struct heap *h)
{
	spin_unlock(&h->lock);
}

/* ---- Allocating ---------------------------------------------------------- */

/* BEGIN SOLUTION lab4 */
static void *alloc_locked(struct heap *h, size_t size)
{
	if (size >= HEAP_LARGE_MIN)
		return large_alloc(h, size);
	return chunk_alloc(h, chunk_size_for(size));
}
/* END SOLUTION */

void *heap_alloc(struct heap *h, size_t size)
{
	/* BEGIN SOLUTION lab4 */
	/* Before any arithmetic on size, which could then overflow. */
	if (size > HEAP_MAX_REQUEST)
		return NULL;
	heap_lock(h, "heap_alloc");
	void *p = alloc_locked(h, size);
	heap_unlock(h);
	return p;
	/* END SOLUTION */
}

void *heap_zalloc(struct heap *h, size_t size)
{
	/* BEGIN SOLUTION lab4 */
	void *p = heap_alloc(h, size);

	if (p)
		memset(p, 0, size);
	return p;
	/* END SOLUTION */
}

/* ---- Freeing ------------------------------------------------------------- */

/* BEGIN SOLUTION lab4 */
static void free_locked(struct heap *h, void *p)
{
	struct tag *t = check_pointer(h, p);

	if (t->word & TAG_LARGE)
		large_free(h, large_of(p));
	else
		chunk_free(h, payload_chunk(p));
}
/* END SOLUTION */

void heap_free(struct heap *h, void *p)
{
	/* BEGIN SOLUTION lab4 */
	if (!p)
		return;
	heap_lock(h, "heap_free");
	free_locked(h, p);
	heap_unlock(h);
	/* END SOLUTION */
}

/* ---- Resizing ------------------------------------------------------------ */

/* BEGIN SOLUTION lab4 */
static size_t usable(const struct tag *t, void *p)
{
	if (t->word & TAG_LARGE)
		return large_usable(large_of(p));
	return chunk_usable(payload_chunk(p));
}

/* Can p hold size bytes without moving? Resizes it if it can. */
static bool resize_in_place(struct heap *h, const struct tag *t, void *p,
			    size_t size)
{
	if (t->word & TAG_LARGE)
		return size >= HEAP_LARGE_MIN &&
		       large_pages_for(size) == large_of(p)->npages;
	if (size >= HEAP_LARGE_MIN)
		return false;
	return chunk_resize(h, payload_chunk(p), chunk_size_for(size));
}

static void *realloc_locked(struct heap *h, void *p, size_t size)
{
	struct tag *t = check_pointer(h, p);

	if (resize_in_place(h, t, p, size))
		return p;
	void *q = alloc_locked(h, size);
	if (!q)
		return NULL;
	memcpy(q, p, MIN(size, usable(t, p)));
	free_locked(h, p);
	return q;
}
/* END SOLUTION */

void *heap_realloc(struct heap *h, void *p, size_t size)
{
	/* BEGIN SOLUTION lab4 */
	if (!p)
		return heap_alloc(h, size);
	if (size > HEAP_MAX_REQUEST)
		return NULL;
	heap_lock(h, "heap_realloc");
	void *q = realloc_locked(h, p, size);
	heap_unlock(h);
	return q;
	/* END SOLUTION */
}

size_t heap_usable_size(struct heap *h, void *p)
{
	/* BEGIN SOLUTION lab4 */
	heap_lock(h, "heap_usable_size");
	size_t n = usable(check_pointer(h, p), p);
	heap_unlock(h);
	return n;
	/* END SOLUTION */
}

/* ---- Starting over ------------------------------------------------------- */

void heap_destroy(struct heap *h)
{
	/* BEGIN SOLUTION lab4 */
	heap_lock(h, "heap_destroy");
	while (h->spans) {
		struct span *s = h->spans;
		h->spans = s->next;
		s->magic = 0;
		page_free(virt_to_phys(s), SPAN_PAGES);
	}
	while (h->large) {
		struct large *l = h->large;
		h->large = l->next;
		page_free(virt_to_phys(l), l->npages);
	}
	memset(h->free, 0, sizeof(h->free));
	h->nonempty = 0;
	h->lo = UINTPTR_MAX;
	h->hi = 0;
	h->pages = h->peak_pages = 0;
	heap_unlock(h);
	/* END SOLUTION */
}

/* ---- The kernel heap ----------------------------------------------------- */

void kheap_init(void)
{
	/* BEGIN SOLUTION lab4 */
	heap_init(&kheap, "kernel");
	/* END SOLUTION */
}

void *kmalloc(size_t size)
{
	return heap_alloc(&kheap, size);
}

void *kzalloc(size_t size)
{
	return heap_zalloc(&kheap, size);
}

void *krealloc(void *p, size_t size)
{
	return heap_realloc(&kheap, p, size);
}

void kfree(void *p)
{
	heap_free(&kheap, p);
}

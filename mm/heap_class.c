/*
 * Size classes and the segregated free lists.
 *
 * Every free chunk is on exactly one of HEAP_NCLASSES doubly linked lists,
 * picked by its size:
 *
 *   class  0 .. 30   one size each: 32, 48, 64, ..., 512 bytes
 *   class 31 .. 62   four per power of two: 528-624, 640-752, 768-880,
 *                    896-1008, 1024-1264, ... up to 128 KiB
 *   class 63         128 KiB and more
 *
 * Small chunks are the common case, and their classes are exact: the
 * first chunk on the list fits, so finding one is O(1). A larger class
 * covers a quarter of a power of two, so its list is searched first fit;
 * then the first chunk of the next non-empty class is taken: it is
 * bigger than anything the request's class holds, so it fits. The
 * quarters keep what that costs small: a chunk is split rather than
 * wasted, but splitting a much larger chunk than needed fragments the
 * heap (the finer the classes, the closer this comes to best fit).
 *
 * A bitmap says which lists are non-empty, so the next class that has a
 * chunk is one count-trailing-zeros away, not a walk over empty lists.
 *
 * Lists are LIFO: a freed chunk goes to the front, still warm in the
 * cache, and is the first to be reused.
 */
#include "mm/heap_chunk.h"
#include "kernel/panic.h"

#define EXACT_MAX       512     /* the largest size with a class of its own */
#define EXACT_CLASSES   ((EXACT_MAX - MIN_CHUNK) / HEAP_ALIGN + 1)
#define TOP_SHIFT       17      /* 128 KiB: the last class starts here */

unsigned size_class(uint64_t size)
{
	/* BEGIN SOLUTION lab4 */
	if (size <= EXACT_MAX)
		return (unsigned)((size - MIN_CHUNK) / HEAP_ALIGN);

	unsigned log = 63 - __builtin_clzll(size);     /* 2^log <= size */
	if (log >= TOP_SHIFT)
		return HEAP_NCLASSES - 1;
	unsigned quarter = (size >> (log - 2)) & 3;
	return EXACT_CLASSES + (log - 9) * 4 + quarter;
	/* END SOLUTION */
}

void freelist_push(struct heap *h, struct chunk *c)
{
	/* BEGIN SOLUTION lab4 */
	unsigned cls = size_class(chunk_size(c));

	c->prev = NULL;
	c->next = h->free[cls];
	if (c->next)
		c->next->prev = c;
	h->free[cls] = c;
	h->nonempty |= (uint64_t)1 << cls;
	/* END SOLUTION */
}

/* BEGIN SOLUTION lab4 */
/*
 * Unlink free chunk c, which has been checked, once its neighbours on the
 * list are seen to point back at it: a write through a stale pointer to a
 * freed block lands first in its links, and unlinking through them
 * blindly would write wherever they now point.
 */
static void unlink_checked(struct heap *h, struct chunk *c)
{
	unsigned cls = size_class(chunk_size(c));
	struct chunk **from = c->prev ? &c->prev->next : &h->free[cls];

	if (*from != c || (c->next && c->next->prev != c))
		heap_panic(h, "free chunk %p: its free-list links were "
			   "overwritten (use after free?)", chunk_payload(c));
	*from = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (!h->free[cls])
		h->nonempty &= ~((uint64_t)1 << cls);
}
/* END SOLUTION */

void freelist_remove(struct heap *h, struct chunk *c)
{
	/* BEGIN SOLUTION lab4 */
	check_free_chunk(h, c);
	unlink_checked(h, c);
	/* END SOLUTION */
}

/* BEGIN SOLUTION lab4 */
/* The first chunk on list cls with at least size bytes, or NULL. */
static struct chunk *first_fit(struct heap *h, unsigned cls, uint64_t size)
{
	for (struct chunk *c = h->free[cls]; c; c = c->next) {
		check_free_chunk(h, c);         /* before following c->next */
		if (chunk_size(c) >= size)
			return c;
	}
	return NULL;
}
/* END SOLUTION */

/* Take a free chunk of at least size bytes off its list, or NULL. */
struct chunk *freelist_take(struct heap *h, uint64_t size)
{
	/* BEGIN SOLUTION lab4 */
	unsigned cls = size_class(size);
	struct chunk *c = first_fit(h, cls, size);

	if (!c) {
		/* Classes above cls; for cls 63, (2 << 63) - 1 is all ones. */
		uint64_t larger = h->nonempty & ~(((uint64_t)2 << cls) - 1);
		if (!larger)
			return NULL;
		c = h->free[__builtin_ctzll(larger)];
		check_free_chunk(h, c);
	}
	unlink_checked(h, c);
	return c;
	/* END SOLUTION */
}

/*
 * Chunks: carving a used chunk out of free memory, merging a freed chunk
 * with its free neighbours, resizing in place. See mm/heap_chunk.h for
 * the layout. Everything here runs with the heap lock held, on chunks
 * the caller has already checked.
 */
#include "mm/heap_chunk.h"
#include "kernel/panic.h"

void poison_fill(void *from, void *to)
{
	/* BEGIN SOLUTION lab4 */
	for (poison_t *w = from; w < (poison_t *)to; w++)
		*w = POISON_WORD;
	/* END SOLUTION */
}

/* BEGIN SOLUTION lab4 */
/* c's header says free: give it a footer, list it, tell its neighbour. */
static void mark_free(struct heap *h, struct chunk *c)
{
	tag_set(chunk_footer(c), (uint32_t)chunk_size(c));
	freelist_push(h, c);
	chunk_set_prev_free(chunk_next(c), true);
}

/*
 * The total bytes from c on are free memory, poisoned, and ours to use
 * (c's header may still describe something else). Make the first size
 * bytes a used chunk, and the rest a free chunk if it is big enough to
 * be one; if not, the used chunk keeps it (at most 16 bytes wasted).
 */
static void carve(struct heap *h, struct chunk *c, uint64_t total,
		  uint64_t size)
{
	uint32_t prev_free = c->head.word & TAG_PREV_FREE;

	if (total - size >= MIN_CHUNK) {
		struct chunk *rest = (struct chunk *)((char *)c + size);
		chunk_set(rest, total - size, 0);
		mark_free(h, rest);
		total = size;
	} else {
		chunk_set_prev_free((struct chunk *)((char *)c + total), false);
	}
	chunk_set(c, total, TAG_USED | prev_free);
}
/* END SOLUTION */

/*
 * A used chunk of size bytes (a multiple of 16, at least MIN_CHUNK):
 * from a free list, or from a new span if none fits.
 */
void *chunk_alloc(struct heap *h, uint64_t size)
{
	/* BEGIN SOLUTION lab4 */
	struct chunk *c = freelist_take(h, size);

	if (!c)
		c = span_grow(h);
	if (!c)
		return NULL;
	/* Everything carve() writes must still be poison: the new chunk,
	 * and the header and links of the rest. */
	check_poison(h, c, (char *)c + size + sizeof(struct chunk));
	carve(h, c, chunk_size(c), size);
	return chunk_payload(c);
	/* END SOLUTION */
}

/*
 * Free c, merging it with a free neighbour on either side: the chunk
 * after is found through c's size, the chunk before through its footer,
 * so this is O(1) whatever the size of the heap. The merged chunk's
 * payload must be all poison: c's payload is filled, and the tags and
 * links that end up inside it (they belonged to the chunks merged away)
 * are overwritten with poison too.
 */
void chunk_free(struct heap *h, struct chunk *c)
{
	/* BEGIN SOLUTION lab4 */
	struct chunk *next = chunk_next(c);
	uint64_t size = chunk_size(c);

	poison_fill(chunk_payload(c), next);
	if (!chunk_used(next)) {
		freelist_remove(h, next);
		size += chunk_size(next);
		poison_fill(next, next + 1);
	}
	if (chunk_prev_free(c)) {
		struct chunk *prev = (struct chunk *)((char *)c -
						      tag_size(prev_footer(c)));
		freelist_remove(h, prev);
		size += chunk_size(prev);
		poison_fill(prev_footer(c), chunk_payload(c));
		c = prev;
	}
	chunk_set(c, size, 0);
	if (span_is_free(c))
		span_release(h, c);
	else
		mark_free(h, c);
	/* END SOLUTION */
}

/* BEGIN SOLUTION lab4 */
/* Give the tail of used chunk c beyond size bytes back, if it can be a
 * chunk of its own. */
static void shrink(struct heap *h, struct chunk *c, uint64_t size)
{
	uint64_t total = chunk_size(c);
	struct chunk *rest = (struct chunk *)((char *)c + size);

	if (total - size < MIN_CHUNK)
		return;
	chunk_set(c, size, TAG_USED | (c->head.word & TAG_PREV_FREE));
	chunk_set(rest, total - size, TAG_USED);
	chunk_free(h, rest);
}
/* END SOLUTION */

/*
 * Make used chunk c size bytes long without moving it: shrink it, or
 * grow it into a free chunk right after it. False if there is no room
 * (the caller moves the data instead).
 */
bool chunk_resize(struct heap *h, struct chunk *c, uint64_t size)
{
	/* BEGIN SOLUTION lab4 */
	uint64_t have = chunk_size(c);
	struct chunk *next = chunk_next(c);

	if (size <= have) {
		shrink(h, c, size);
		return true;
	}
	if (chunk_used(next) || have + chunk_size(next) < size)
		return false;
	freelist_remove(h, next);
	check_poison(h, next, (char *)c + size + sizeof(struct chunk));
	carve(h, c, have + chunk_size(next), size);
	return true;
	/* END SOLUTION */
}

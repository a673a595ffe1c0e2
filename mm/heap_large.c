/*
 * Large allocations: a request of HEAP_LARGE_MIN bytes or more gets whole
 * pages of its own, straight from the page allocator, behind a 32-byte
 * header (see mm/heap_chunk.h). Inside a span it would waste up to a
 * span's worth of space around it; here the waste is under one page, and
 * kfree gives the pages back at once.
 *
 * The headers are on a list, so the monitor can show them and
 * heap_destroy() can find them.
 */
#include "kernel/arch.h"
#include "mm/heap_chunk.h"
#include "mm/page_alloc.h"
#include "kernel/panic.h"

void *large_alloc(struct heap *h, size_t n)
{
	/* BEGIN SOLUTION lab4 */
	uint64_t npages = large_pages_for(n);
	paddr_t pa = page_alloc(npages);

	if (pa == PHYS_NONE)
		return NULL;
	struct large *l = phys_to_virt(pa);
	heap_got_pages(h, l, npages);
	l->npages = npages;
	tag_set(&l->tag, (uint32_t)(npages << 4) | TAG_LARGE | TAG_USED);
	l->prev = NULL;
	l->next = h->large;
	if (l->next)
		l->next->prev = l;
	h->large = l;
	return l + 1;
	/* END SOLUTION */
}

void large_free(struct heap *h, struct large *l)
{
	/* BEGIN SOLUTION lab4 */
	if (l->prev)
		l->prev->next = l->next;
	else
		h->large = l->next;
	if (l->next)
		l->next->prev = l->prev;
	/* No longer used: a second kfree finds a double free, as long as
	 * nobody has reused the pages in between. */
	tag_set(&l->tag, l->tag.word & ~TAG_USED);
	h->pages -= l->npages;
	page_free(virt_to_phys(l), l->npages);
	/* END SOLUTION */
}

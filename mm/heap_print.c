/*
 * Looking at a heap: statistics, the chunk table, and the monitor's
 * "heap" command. All of it walks every chunk, O(heap size), under the
 * lock: it is for people and tests, never for the allocation paths.
 *
 *   duet> heap
 *   heap "kernel": pages 24 (peak 24), spans 1, large 1
 *     chunk                   bytes  state
 *     0xffffffc080500028         32  used
 *     0xffffffc080500048      65456  free
 *     0xffffffc080510000      32768  used, large (8 pages)
 *   used 2 (32760 bytes), free 1 (65448 bytes), overhead 96 bytes
 *   fragmentation 0% (1 - largest free 65448 / free 65448)
 */
#include "kernel/monitor.h"
#include "kernel/string.h"
#include "mm/heap_chunk.h"

/* Add span s's chunks to st. */
static void span_stats(const struct span *s, struct heap_stats *st)
{
	for (struct chunk *c = span_first(s); c != span_end_fence(s);
	     c = chunk_next(c)) {
		if (chunk_used(c)) {
			st->used_chunks++;
			st->used_bytes += chunk_usable(c);
		} else {
			st->free_chunks++;
			st->free_bytes += chunk_usable(c);
			st->largest_free = MAX(st->largest_free,
					       chunk_usable(c));
		}
	}
}

static void stats_locked(struct heap *h, struct heap_stats *st)
{
	*st = (struct heap_stats){ .pages = h->pages,
				   .peak_pages = h->peak_pages };
	for (struct span *s = h->spans; s; s = s->next) {
		st->spans++;
		span_stats(s, st);
	}
	for (struct large *l = h->large; l; l = l->next) {
		st->large++;
		st->used_chunks++;
		st->used_bytes += large_usable(l);
	}
	st->overhead_bytes = h->pages * PAGE_SIZE - st->used_bytes -
			     st->free_bytes;
}

void heap_get_stats(struct heap *h, struct heap_stats *st)
{
	heap_lock(h, "heap_get_stats");
	stats_locked(h, st);
	heap_unlock(h);
}

/* ---- The chunk table ----------------------------------------------------- */

/* Print one row if there is room; count it either way. */
static void row(unsigned *rows, unsigned max_rows, const void *addr,
		uint64_t bytes, const char *state, uint64_t npages)
{
	if ((*rows)++ >= max_rows)
		return;
	kprintf("  %-20p %8lu  %s", addr, (unsigned long)bytes, state);
	if (npages)
		kprintf(", large (%lu pages)", (unsigned long)npages);
	kprintf("\n");
}

static void print_summary(const struct heap_stats *st)
{
	/* External fragmentation: how much of the free memory cannot be
	 * handed out in one piece. 0% is one free chunk, or none. */
	uint64_t frag = st->free_bytes ?
		100 - st->largest_free * 100 / st->free_bytes : 0;

	kprintf("used %lu (%lu bytes), free %lu (%lu bytes), overhead %lu "
		"bytes\n", (unsigned long)st->used_chunks,
		(unsigned long)st->used_bytes, (unsigned long)st->free_chunks,
		(unsigned long)st->free_bytes,
		(unsigned long)st->overhead_bytes);
	kprintf("fragmentation %lu%% (1 - largest free %lu / free %lu)\n",
		(unsigned long)frag, (unsigned long)st->largest_free,
		(unsigned long)st->free_bytes);
}

void heap_print(struct heap *h, unsigned max_rows)
{
	struct heap_stats st;
	unsigned rows = 0;

	heap_lock(h, "heap_print");
	stats_locked(h, &st);
	kprintf("heap \"%s\": pages %lu (peak %lu), spans %lu, large %lu\n",
		h->name, (unsigned long)st.pages, (unsigned long)st.peak_pages,
		(unsigned long)st.spans, (unsigned long)st.large);
	kprintf("  %-20s %8s  %s\n", "chunk", "bytes", "state");
	for (struct span *s = h->spans; s; s = s->next)
		for (struct chunk *c = span_first(s); c != span_end_fence(s);
		     c = chunk_next(c))
			row(&rows, max_rows, c, chunk_size(c),
			    chunk_used(c) ? "used" : "free", 0);
	for (struct large *l = h->large; l; l = l->next)
		row(&rows, max_rows, l, l->npages * PAGE_SIZE, "used",
		    l->npages);
	if (rows > max_rows)
		kprintf("  ... and %u more\n", rows - max_rows);
	print_summary(&st);
	heap_unlock(h);
}

/* ---- The monitor command ------------------------------------------------- */

#define DEFAULT_ROWS 32

/* heap [rows]: the kernel heap's chunk table, at most rows rows. */
static void cmd_heap(int argc, char **argv)
{
	uint64_t rows = DEFAULT_ROWS;

	if (argc > 1 && !parse_size(argv[1], &rows)) {
		kprintf("usage: heap [rows]\n");
		return;
	}
	if (!kheap.ready) {
		kprintf("heap: the kernel heap is not running\n");
		return;
	}
	heap_print(&kheap, (unsigned)MIN(rows, (uint64_t)UINT32_MAX));
}
MONITOR_COMMAND(heap, "the kernel heap's chunks: heap [rows]", cmd_heap);

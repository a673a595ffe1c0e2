/*
 * Per-frame metadata (lab 7): one 32-byte record for every physical frame
 * of RAM, found from a physical address in O(1).
 *
 * The records are "sparse", as in Linux's SPARSEMEM: physical memory is
 * cut into 128 MiB sections, and only a section that holds usable RAM gets
 * an array of records, just long enough to cover that RAM. A small
 * directory, one entry per section from the lowest to the highest usable
 * one, points at the arrays:
 *
 *   physical  |0       128M      ...       3G      4G        ...       6G|
 *   RAM       |=============================|       |=====================|
 *   section   | 0 | 1 | ... | 23 | 24 ... 31 | 32 | ... | 47 |
 *   records   |arr|arr| ... |arr |   none    |arr | ... |arr |
 *
 *   frame_lookup(pa):  s = pa / 128M - first section       (directory)
 *                      i = pa / 4K - section[s].first_pfn   (array)
 *                      both in range? &section[s].frames[i] : NULL
 *
 * So x86-64 with -m 5G (RAM 0-3G and 4G-6G) pays for no record in the
 * hole between 3G and 4G: a hole costs a directory entry (24 bytes) per
 * 128 MiB, not a record per frame (a gap of 1 TiB: 192 KiB). Inside a section,
 * an array runs from the first usable frame to the last one, so the few
 * frames between them that are not usable (the kernel image, firmware, a
 * device tree) do get a record: a FRAME_RESERVED one.
 *
 * Cost: 32 bytes per 4 KiB frame (0.8%, 8 MiB per GiB), from the bump
 * allocator at boot, one allocation per section (at most 1 MiB each),
 * plus the directory; and a write to every record at boot.
 *
 * A record is 32 bytes and 32-byte aligned, so no record straddles a
 * 64-byte cache line and looking at one frame costs one line.
 */
#ifndef DUET_FRAME_H
#define DUET_FRAME_H

#include "kernel/types.h"

struct bump;
struct memmap;

#define FRAME_SECTION_SHIFT 27          /* 128 MiB sections */

/* What a frame is doing. Only the first frame of a block, its head, says
 * anything about the block; the other frames of a block are FRAME_TAIL. */
enum frame_state {
	FRAME_RESERVED = 0,     /* not the allocator's: zeroed records say so */
	FRAME_TAIL,             /* inside a block, not its first frame */
	FRAME_FREE,             /* heads a free block, on a buddy free list */
	FRAME_ALLOCATED,        /* heads an allocated block */
	FRAME_CACHED,           /* a free single frame in a per-CPU cache */
};

struct frame {
	struct frame *next;     /* on a free list or in a per-CPU cache */
	struct frame *prev;
	paddr_t pa;             /* the frame this record describes */
	uint32_t refcount;      /* of an allocated block, on its head */
	uint8_t state;          /* enum frame_state */
	uint8_t order;          /* the block is 2^order frames (heads only) */
	uint8_t cpu;            /* whose cache holds it (FRAME_CACHED) */
	uint8_t unused;
} __attribute__((aligned(32)));

_Static_assert(sizeof(struct frame) == 32, "a frame record is 32 bytes");

/* The records of one section: frames[i] describes frame first_pfn + i. */
struct frame_section {
	struct frame *frames;   /* NULL (and nframes 0): no RAM here */
	uint64_t first_pfn;
	uint64_t nframes;
};

struct frame_table {
	struct frame_section *section;  /* the directory */
	uint64_t first_section;         /* section[0] is this section */
	uint64_t nsections;
	uint64_t nframes;               /* records, in all sections */
	uint64_t bytes;                 /* memory they and the directory use */
};

/*
 * Build the records for the usable RAM of map, taking their memory from
 * boot (which must not have handed over yet). Every record starts out
 * FRAME_RESERVED with its pa set; the allocator then claims the frames
 * it manages. Panics if boot has no room.
 */
void frame_table_init(struct frame_table *t, const struct memmap *map,
		      struct bump *boot);

/* The record of the frame holding pa, or NULL if pa is in no section's
 * array (below or above RAM, in a hole): an out-of-range lookup. O(1). */
struct frame *frame_lookup(const struct frame_table *t, paddr_t pa);

/* ---- Lists of frames ------------------------------------------------------
 *
 * Doubly linked through the records, NULL-terminated at both ends, with a
 * count. The buddy allocator keeps one per order; each per-CPU cache is
 * one. Push and pop work at the front (last in, first out: the frame
 * freed last is still warm in the cache); pop_last takes the coldest.
 */
struct frame_list {
	struct frame *first;
	struct frame *last;
	uint64_t count;
};

static inline void frame_list_push(struct frame_list *l, struct frame *f)
{
	f->prev = NULL;
	f->next = l->first;
	if (l->first)
		l->first->prev = f;
	else
		l->last = f;
	l->first = f;
	l->count++;
}

static inline void frame_list_remove(struct frame_list *l, struct frame *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		l->first = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		l->last = f->prev;
	f->next = f->prev = NULL;
	l->count--;
}

/* The first (or last) frame, taken off the list; NULL if it is empty. */
static inline struct frame *frame_list_pop(struct frame_list *l)
{
	struct frame *f = l->first;

	if (f)
		frame_list_remove(l, f);
	return f;
}

static inline struct frame *frame_list_pop_last(struct frame_list *l)
{
	struct frame *f = l->last;

	if (f)
		frame_list_remove(l, f);
	return f;
}

#endif

/*
 * The naive allocators the benchmark measures ours against: what a first
 * attempt usually looks like. Both are correct; both get slower the more
 * memory is in use, which is the point.
 */
#ifndef DUET_BENCH_BASELINES_H
#define DUET_BENCH_BASELINES_H

#include "mm/memmap.h"

/* One byte per page, scanned from page 0 on every allocation. */
struct byte_map {
	paddr_t base;
	uint64_t npages;
	uint8_t *used;
};

paddr_t byte_map_alloc(struct byte_map *m);
void byte_map_free(struct byte_map *m, paddr_t pa);

/* A bump allocator that counts the frames it has handed out and, on each
 * call, walks the map frame by frame from the start to find the next. */
struct rewalk_bump {
	const struct memmap *map;
	uint64_t handed_out;
};

paddr_t rewalk_bump_alloc(struct rewalk_bump *b);

#endif

/*
 * The naive baselines. See baselines.h.
 */
#include "tests/bench/baselines.h"

paddr_t byte_map_alloc(struct byte_map *m)
{
	for (uint64_t i = 0; i < m->npages; i++) {
		if (!m->used[i]) {
			m->used[i] = 1;
			return m->base + i * PAGE_SIZE;
		}
	}
	return PHYS_NONE;
}

void byte_map_free(struct byte_map *m, paddr_t pa)
{
	m->used[(pa - m->base) / PAGE_SIZE] = 0;
}

paddr_t rewalk_bump_alloc(struct rewalk_bump *b)
{
	uint64_t n = 0;

	for (unsigned r = 0; r < b->map->nusable; r++) {
		const struct mem_range *range = &b->map->usable[r];
		for (paddr_t pa = range->base; pa < range->end; pa += PAGE_SIZE) {
			if (n++ == b->handed_out) {
				b->handed_out++;
				return pa;
			}
		}
	}
	return PHYS_NONE;
}

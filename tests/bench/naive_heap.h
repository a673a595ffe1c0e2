/*
 * The heap benchmark's naive baseline: the classic implicit-list heap
 * (the first design in CS:APP's malloc chapter).
 *
 * One arena grows like sbrk(). Each chunk has an 8-byte header, its size
 * and a used bit, and nothing else: no footers, no free lists. malloc
 * walks every chunk from the start of the arena and takes the first free
 * one that fits (first fit), splitting it; free only clears the used bit;
 * free neighbours are merged in one pass over the whole heap ("global
 * coalescing") only when no chunk fits, before the arena grows. Correct,
 * simple, and O(number of chunks) per malloc.
 */
#ifndef DUET_BENCH_NAIVE_HEAP_H
#define DUET_BENCH_NAIVE_HEAP_H

#include <stddef.h>

/* Start an empty heap in [arena, arena + size); 16-byte aligned arena. */
void naive_init(void *arena, size_t size);

void *naive_malloc(size_t n);
void naive_free(void *p);
void *naive_realloc(void *p, size_t n);

/* The highest the arena has grown, in bytes: its "pages obtained". */
size_t naive_peak_size(void);

#endif

/*
 * The naive implicit-list heap: see naive_heap.h. A chunk starts 8 bytes
 * before a 16-byte boundary, so the payload after its header is aligned.
 *
 *   arena: | pad | hdr payload | hdr payload ..... | hdr payload | brk
 */
#include <stdint.h>
#include <string.h>

#include "tests/bench/naive_heap.h"

#define HDR     8
#define ALIGN   16
#define MIN     16              /* a header and 8 bytes */
#define USED    1ULL

static char *start, *brk, *limit;
static size_t peak;

static uint64_t *hdr(char *chunk)
{
	return (uint64_t *)chunk;
}

static size_t size_of(char *chunk)
{
	return *hdr(chunk) & ~USED;
}

static int used(char *chunk)
{
	return *hdr(chunk) & USED;
}

void naive_init(void *arena, size_t size)
{
	start = (char *)arena + ALIGN - HDR;
	brk = start;
	limit = (char *)arena + size;
	peak = 0;
}

static size_t chunk_size_for(size_t n)
{
	size_t size = (n + HDR + ALIGN - 1) & ~(size_t)(ALIGN - 1);

	return size < MIN ? MIN : size;
}

/* First fit, from the start of the heap; splits what it finds. */
static char *first_fit(size_t size)
{
	for (char *c = start; c < brk; c += size_of(c)) {
		size_t have = size_of(c);
		if (used(c) || have < size)
			continue;
		if (have - size >= MIN) {
			*hdr(c + size) = have - size;
			have = size;
		}
		*hdr(c) = have | USED;
		return c;
	}
	return NULL;
}

/* Merge every run of free chunks: one pass over the whole heap. */
static void coalesce_all(void)
{
	for (char *c = start; c < brk; c += size_of(c)) {
		if (used(c))
			continue;
		while (c + size_of(c) < brk && !used(c + size_of(c)))
			*hdr(c) = size_of(c) + size_of(c + size_of(c));
	}
}

void *naive_malloc(size_t n)
{
	size_t size = chunk_size_for(n);
	char *c = first_fit(size);

	if (!c) {
		coalesce_all();
		c = first_fit(size);
	}
	if (!c) {
		if (n > (size_t)(limit - brk) || size > (size_t)(limit - brk))
			return NULL;
		c = brk;
		brk += size;
		*hdr(c) = size | USED;
		if ((size_t)(brk - start) > peak)
			peak = (size_t)(brk - start);
	}
	return c + HDR;
}

void naive_free(void *p)
{
	if (p)
		*hdr((char *)p - HDR) &= ~USED;
}

void *naive_realloc(void *p, size_t n)
{
	if (!p)
		return naive_malloc(n);
	size_t have = size_of((char *)p - HDR) - HDR;
	if (n <= have)
		return p;
	void *q = naive_malloc(n);
	if (q) {
		memcpy(q, p, have);
		naive_free(p);
	}
	return q;
}

size_t naive_peak_size(void)
{
	return peak;
}

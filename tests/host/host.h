/* Host-only helpers for unit tests and benchmarks (see host_arch.c). */
#ifndef DUET_HOST_H
#define DUET_HOST_H

#include "kernel/types.h"

/* Back physical addresses [base, base+size) with real memory; returns it. */
void *host_ram_init(paddr_t base, uint64_t size);

struct memmap;

/* Fake RAM at [base, base+size), all usable, described in *map (which
 * must outlive the allocator: it keeps a pointer), and the page allocator
 * called pmm started on it -- the machine the heap and vm tests run on. */
void host_boot_page_allocator(struct memmap *map, paddr_t base,
			      uint64_t size, const char *pmm);

#endif

/* Host-only helpers for unit tests and benchmarks (see host_arch.c). */
#ifndef DUET_HOST_H
#define DUET_HOST_H

#include "kernel/types.h"

/* Back physical addresses [base, base+size) with real memory; returns it. */
void *host_ram_init(paddr_t base, uint64_t size);

#endif

/* Host-only controls of the made-up page-table entries (host_pte.c). */
#ifndef DUET_HOST_PTE_H
#define DUET_HOST_PTE_H

#include "kernel/types.h"

/* Which levels may hold a leaf: bit n for level n (bit 0 always works).
 * Starts as 1 GiB and 2 MiB pages both allowed. */
extern unsigned host_large_page_levels;

/* The root "in use" (as if loaded into satp or cr3), and how many times
 * the walker flushed one page or switched (a full flush). */
extern paddr_t host_active_root;
extern unsigned long host_page_flushes;
extern unsigned long host_activations;

#endif

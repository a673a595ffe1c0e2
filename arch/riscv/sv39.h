/* Sv39 page-table entry bits and helpers (RISC-V privileged spec, 4.4). */
#ifndef DUET_RISCV_SV39_H
#define DUET_RISCV_SV39_H

#include <stdint.h>

#define PTE_V (1UL << 0)        /* valid */
#define PTE_R (1UL << 1)        /* readable */
#define PTE_W (1UL << 2)        /* writable */
#define PTE_X (1UL << 3)        /* executable */
#define PTE_U (1UL << 4)        /* user */
#define PTE_G (1UL << 5)        /* global */
#define PTE_A (1UL << 6)        /* accessed: preset, QEMU may not set it */
#define PTE_D (1UL << 7)        /* dirty: likewise */
#define PTE_PPN_SHIFT 10
#define PTE_PPN_BITS  44        /* bits 53..10: physical page number */

#define SV39_LEVELS   3
#define SV39_VA_BITS  39

#define SV39_ENTRIES  512
#define SV39_GIGAPAGE (1UL << 30)
/* Index into the table at level (2 = root) for virtual address va. */
#define SV39_INDEX(level, va) ((((uint64_t)(va)) >> (12 + 9 * (level))) & 511)

#define SATP_MODE_SV39 (8UL << 60)
#define SATP_PPN_MASK  ((1UL << 44) - 1)

/* Root entries 256..509 hold the direct map: 254 GiB of physical space. */
#define DIRECT_MAP_GIGAPAGES 254
#define DIRECT_MAP_LIMIT     ((uint64_t)DIRECT_MAP_GIGAPAGES * SV39_GIGAPAGE)
/* Sv39 page-table entries hold 56-bit physical addresses. */
#define PHYS_ADDR_LIMIT      ((uint64_t)1 << 56)

#endif

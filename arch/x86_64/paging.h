/* x86-64 page-table entry bits (Intel SDM volume 3, section 4.5). */
#ifndef DUET_X86_64_PAGING_H
#define DUET_X86_64_PAGING_H

#define PTE_P   (1UL << 0)      /* present */
#define PTE_W   (1UL << 1)      /* writable */
#define PTE_U   (1UL << 2)      /* user mode may use it */
#define PTE_PS  (1UL << 7)      /* above level 0: a large page, not a table */
#define PTE_G   (1UL << 8)      /* global: kept in the TLB across cr3 writes */
#define PTE_NX  (1UL << 63)     /* no execute (needs EFER.NXE) */
/* Bits 51..12: the physical address of the page or table. (A large page
 * keeps its PAT bit at 12; Duet never sets it.) */
#define PTE_ADDR_MASK 0x000ffffffffff000UL

#define X86_PT_LEVELS  4
#define X86_VA_BITS    48

#endif

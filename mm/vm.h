/*
 * Page tables (lab 5): address spaces built from 4 KiB, 2 MiB and 1 GiB
 * pages, the same code on Sv39 (3 levels) and x86-64 (4 levels).
 *
 *   struct vm_space vs;
 *   vm_create(&vs);                                   an empty space
 *   vm_map(&vs, va, pa, 4 * PAGE_SIZE, VM_READ | VM_WRITE);
 *   vm_translate(&vs, va + 5, &perm);                 pa + 5
 *   vm_unmap(&vs, va, 4 * PAGE_SIZE);
 *   vm_destroy(&vs);
 *
 * The rules:
 *  - addresses and sizes are multiples of PAGE_SIZE, sizes are not 0, and
 *    [va, va + size) lies in one canonical half of the address space;
 *  - perm is VM_READ plus any of VM_WRITE, VM_EXEC, VM_USER, VM_GLOBAL
 *    (kernel/arch.h): every mapping is readable;
 *  - vm_map uses the largest page (1 GiB, 2 MiB, 4 KiB) that va, pa and
 *    the size left allow and the CPU supports. It never replaces a
 *    mapping: if any page of the range is mapped it returns -EBUSY and
 *    changes nothing. Out of memory for a table, it undoes what it
 *    mapped and returns -ENOMEM;
 *  - vm_unmap removes whatever is mapped in the range (holes are fine)
 *    and frees the tables it leaves empty. It never splits a large page:
 *    a range that covers only part of one is -EINVAL, and nothing
 *    changes. So vm_unmap never allocates, and never fails for want of
 *    memory;
 *  - table pages come from page_alloc(); vm_destroy gives back every
 *    one of them (never the pages they map);
 *  - changes to the space in use (vm_activate) flush the TLB themselves.
 *
 * Errors are negative codes from kernel/errno.h. There is no lock: an
 * address space belongs to whoever created it.
 */
#ifndef DUET_VM_H
#define DUET_VM_H

#include "kernel/arch.h"
#include "kernel/types.h"

struct vm_space {
	paddr_t root;           /* the top-level table; PHYS_NONE if none */
};

/* One leaf of the tree: a page of size bytes at va, mapped to pa. */
struct vm_mapping {
	uintptr_t va;
	paddr_t pa;
	uint64_t size;          /* PAGE_SIZE, 2 MiB or 1 GiB */
	unsigned perm;
};

/* The kernel's own address space, built at boot by vm_kernel_init(). */
extern struct vm_space kernel_space;

int vm_create(struct vm_space *vs);     /* 0 or -ENOMEM */
int vm_map(struct vm_space *vs, uintptr_t va, paddr_t pa, uint64_t size,
	   unsigned perm);
int vm_unmap(struct vm_space *vs, uintptr_t va, uint64_t size);
void vm_destroy(struct vm_space *vs);   /* panics if vs is in use */
void vm_activate(const struct vm_space *vs);

/* The physical address va maps to (and its VM_* bits in *perm if perm
 * is not NULL), or PHYS_NONE if va is not mapped. */
paddr_t vm_translate(const struct vm_space *vs, uintptr_t va,
		     unsigned *perm);
/* The page that maps va, whatever its size; false if va is unmapped. */
bool vm_lookup(const struct vm_space *vs, uintptr_t va, struct vm_mapping *m);
/* Call fn for every page mapped in vs, in address order. */
void vm_for_each_mapping(const struct vm_space *vs,
			 void (*fn)(const struct vm_mapping *m, void *arg),
			 void *arg);

/* Print the mappings of vs, with runs of neighbouring pages of the same
 * size and permissions merged into one line (mm/vm_print.c). */
void vm_print(const struct vm_space *vs);

/* Build the kernel's final page table and switch to it (mm/vm_kernel.c). */
void vm_kernel_init(void);

#endif

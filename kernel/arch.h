/*
 * The interface between the architecture-neutral kernel (kernel/, mm/) and
 * the architecture code (arch/riscv/, arch/x86_64/).
 *
 * This is the ONLY header through which kernel/ and mm/ reach arch code.
 * Each architecture implements every function declared here; the host
 * unit tests (tests/host/) implement them too, so mm/ can be tested as a
 * normal Linux program.
 */
#ifndef DUET_ARCH_H
#define DUET_ARCH_H

#include <stdnoreturn.h>
#include "kernel/types.h"

struct memmap;

/* ---- Physical <-> virtual translation ----------------------------------
 *
 * All of RAM is mapped at one fixed offset (the "direct map"), so the
 * virtual address of physical address pa is pa + direct_map_offset.
 * The kernel image itself is also mapped higher up (where it is linked);
 * virt_to_phys() understands both windows.
 */
extern uintptr_t direct_map_offset;

static inline void *phys_to_virt(paddr_t pa)
{
	return (void *)(uintptr_t)(pa + direct_map_offset);
}

paddr_t virt_to_phys(const void *va);

/* ---- Boot information --------------------------------------------------- */

/* Name of this architecture: "riscv" or "x86_64". */
extern const char arch_name[];

/*
 * Fill in the raw memory map: RAM ranges plus everything inside RAM that
 * must never be handed out (firmware, kernel image, boot blobs). Panics
 * with a clear message if the firmware handed us a malformed description.
 */
void arch_memmap(struct memmap *map);

/* Kernel command line ("" when there is none). */
const char *arch_cmdline(void);

/* ---- Console ------------------------------------------------------------ */

void arch_putc(char c);
int  arch_getc(void);           /* next input byte, or -1 if none yet */

/* ---- Leaving the machine ------------------------------------------------
 *
 * arch_exit(0) makes QEMU exit with the "pass" status; any other value
 * makes it exit with a "fail" status. The grader trusts neither alone: it
 * also needs a complete KTAP report.
 */
noreturn void arch_exit(int code);

/* ---- Interrupts and CPUs ------------------------------------------------ */

/* Disable interrupts; return whether they were enabled before. */
bool arch_irq_save(void);
void arch_irq_restore(bool was_enabled);
void arch_cpu_relax(void);      /* hint inside spin loops */

#define MAX_CPUS 8
/* 0 .. MAX_CPUS-1: this CPU's index (not its hart or APIC id). Cheap:
 * every spin_lock() asks. */
unsigned arch_cpu_id(void);

/* ---- Other CPUs (used by kernel/smp.c) ----------------------------------
 *
 * CPU 0 is the one the firmware booted. The boot step "other CPUs" starts
 * the rest, one at a time, through arch_cpu_start(). A started CPU turns
 * on paging with the page table CPU 0 uses (the final kernel table if it
 * was built, else the boot table), sets arch_cpu_id() and its trap
 * vector, and calls smp_secondary_main() on the stack it was given.
 * Interrupts stay off on every CPU, but for the wake-up inside
 * arch_cpu_idle().
 */

/* Each CPU but 0 runs on a stack this big, with an unmapped guard page
 * below it (kernel/smp.c); CPU 0 runs on boot_stack. */
#define CPU_STACK_SIZE (16 * 1024)

/* How many CPUs the firmware describes, at most MAX_CPUS (it says so if
 * there are more: those stay stopped). At least 1. CPU 0 included. */
unsigned arch_cpu_count(void);

/*
 * Ask CPU cpu (1 .. arch_cpu_count() - 1) to start on the stack ending at
 * stack_top. Does not wait for it; returns false, saying why, if the
 * firmware or hardware refused. CPUs are started one at a time: the
 * next call comes only once this CPU is online or given up on.
 */
bool arch_cpu_start(unsigned cpu, uintptr_t stack_top);

/* Sleep until arch_cpu_wake(this CPU), or less: callers check again.
 * Called with interrupts off; they are off again on return. */
void arch_cpu_idle(void);

/* Wake CPU cpu from arch_cpu_idle() (harmless if it is awake). */
void arch_cpu_wake(unsigned cpu);

/* ---- Non-local jumps (used by the test framework) -----------------------
 *
 * arch_setjmp() returns 0 when called and the value passed to
 * arch_longjmp() when jumped back to. Used to recover from a panic inside
 * a test, the kernel's equivalent of an exception.
 */
struct jmp_buf {
	uintptr_t regs[16];
};
int arch_setjmp(struct jmp_buf *buf) __attribute__((returns_twice));
noreturn void arch_longjmp(struct jmp_buf *buf, int value);

/* ---- Backtraces --------------------------------------------------------- */

/*
 * Call fn(return_address) for each frame of the current call stack,
 * innermost first, at most max frames. Needs frame pointers.
 */
void arch_backtrace(void (*fn)(uintptr_t ra), int max);

/* ---- Page tables ---------------------------------------------------------
 *
 * Sv39 and x86-64 paging are the same tree: every table is one 4 KiB page
 * of 512 eight-byte entries, indexed by 9 bits of the virtual address per
 * level. They differ in the number of levels and in the bits of an entry,
 * so mm/vm.c walks the tree and arch code only encodes and decodes
 * entries. Levels count up from the leaves: an entry of a level-0 table
 * maps a 4 KiB page, level 1 a 2 MiB page, level 2 a 1 GiB page.
 *
 * An all-zero entry is invalid on every architecture, so a zeroed page is
 * an empty table.
 */
typedef uint64_t pte_t;

struct vm_space;

/* Permissions of a mapping. Every mapping is readable: x86 has no way to
 * say otherwise. */
#define VM_READ   (1u << 0)
#define VM_WRITE  (1u << 1)
#define VM_EXEC   (1u << 2)
#define VM_USER   (1u << 3)     /* user mode may use it */
#define VM_GLOBAL (1u << 4)     /* the same in every address space */

extern const int arch_pt_levels;        /* 3 (Sv39) or 4 (x86-64) */

/* Is va a valid address here: are its unused top bits copies of the top
 * bit that the tables translate? */
bool arch_va_is_canonical(uintptr_t va);
/* Can a level-level entry be a leaf (1: a 2 MiB page, 2: 1 GiB)? */
bool arch_large_page_ok(int level);

/* A leaf entry at level mapping pa (aligned to the page size) with perm. */
pte_t arch_pte_leaf(paddr_t pa, unsigned perm, int level);
/* An entry pointing to the next-level table at physical address table. */
pte_t arch_pte_table(paddr_t table);
bool arch_pte_valid(pte_t pte);
/* Does this valid entry of a level-level table map a page (rather than
 * point to a table)? Always true at level 0. */
bool arch_pte_is_leaf(pte_t pte, int level);
paddr_t arch_pte_addr(pte_t pte);       /* the page or table it points to */
unsigned arch_pte_perm(pte_t pte);      /* VM_* bits of a leaf */

/* Switch to the tables rooted at root (satp, cr3), forgetting every
 * cached translation; and which root is in use now. */
void arch_pt_activate(paddr_t root);
paddr_t arch_pt_active(void);
/* Forget the cached translation of the page holding va. */
void arch_tlb_flush_page(uintptr_t va);

/* Add the kernel mappings only this architecture needs (devices). */
void arch_kernel_mappings(struct vm_space *vs);

/*
 * The kernel image, from the linker script (virtual addresses, each page
 * aligned): code [_kernel_start, _text_end), read-only data up to
 * _rodata_end, then data and bss up to _kernel_end. The boot stack is in
 * the bss, and the page below it, its guard, is left unmapped so that an
 * overflow faults.
 */
extern char _kernel_start[], _text_end[], _rodata_end[], _kernel_end[];
extern char boot_stack_guard[], boot_stack[], boot_stack_top[];

#endif

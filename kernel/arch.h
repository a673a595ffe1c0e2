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
unsigned arch_cpu_id(void);     /* 0 .. MAX_CPUS-1: this CPU's index */

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

#endif

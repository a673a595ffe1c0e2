/*
 * More than one CPU: starting them at boot, and running a function on
 * all of them at once.
 *
 * CPU 0 boots the kernel alone. The boot step "other CPUs" (smp_init)
 * starts the others; each comes up with the kernel's page table, a stack
 * of its own and its trap vector, marks itself online and sleeps until
 * CPU 0 gives it work:
 *
 *   static void count(void *arg)
 *   {
 *           __atomic_add_fetch((unsigned *)arg, 1, __ATOMIC_RELAXED);
 *   }
 *
 *   unsigned n = 0;
 *   smp_run_on_all(count, &n);          n == smp_cpu_count()
 *
 * There is no scheduler and no interrupt: a CPU runs what it is given to
 * the end, then sleeps again.
 *
 * A panic on another CPU:
 *  - inside smp_run_on_all: that CPU abandons fn, releases the spinlocks
 *    it took there and finishes; once every CPU is done, CPU 0 panics with
 *    "smp_run_on_all: CPU n panicked: <its message>" -- inside a test,
 *    the test fails with that message (or passes, if it expects it);
 *  - anywhere else: it prints "panic: CPU n: ..." and fails the run.
 */
#ifndef DUET_SMP_H
#define DUET_SMP_H

#include <stdnoreturn.h>
#include "kernel/types.h"

/* The boot step "other CPUs": start every CPU the firmware describes. */
void smp_init(void);

/* CPUs online now, CPU 0 included (1 before smp_init). */
unsigned smp_cpu_count(void);

/* CPUs the machine has (arch_cpu_count(), capped at MAX_CPUS); 1 before
 * smp_init. More than smp_cpu_count() if some failed to start. */
unsigned smp_cpus_present(void);

/* Is CPU cpu (0 .. MAX_CPUS-1) online? Indices of CPUs that failed to
 * start are skipped, so the online ones need not be 0 .. count-1. */
bool smp_cpu_online(unsigned cpu);

/*
 * Run fn(arg) on every online CPU at once, this one included, and return
 * when all have finished. Only CPU 0 may call it, holding no spinlock
 * (another CPU may need it), and not from inside fn.
 *
 * KT_EXPECT_* checks in fn mark the test failed; a failing KT_ASSERT_*
 * (or KT_SKIP) in fn panics instead of ending the test at once, because
 * the test's jump buffer lives on CPU 0's stack. A panic in fn, on any
 * CPU, is reported on CPU 0 as described at the top.
 */
void smp_run_on_all(void (*fn)(void *arg), void *arg);

/* Is this CPU running smp_run_on_all work right now? */
bool smp_in_run(void);

/* ---- For panic() and arch code ------------------------------------------ */

/* Called by panic(): if this CPU is running smp_run_on_all work, abandon
 * it and report the message to CPU 0 (does not return); else return. */
void smp_panic_hook(const char *message);

/* Where a started CPU goes once arch code has set it up. */
noreturn void smp_secondary_main(void);

#endif

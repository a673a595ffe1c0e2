/*
 * Per-CPU page caches (lab 7): a few free single frames per CPU, in front
 * of the buddy allocator's lists.
 *
 * Most requests are for one frame, and every trip to the lists takes the
 * allocator's lock, which all CPUs share. So each CPU keeps its own stack
 * of free frames: it allocates from it and frees to it without a lock,
 * and goes to the lists only PCP_BATCH frames at a time:
 *
 *   CPU 0 cache  [f][f][f]...          CPU 1 cache  [f][f]...
 *       ^ alloc pops, free pushes          ^
 *       |   empty: refill PCP_BATCH        |   (its own, untouched by CPU 0)
 *       |   over PCP_HIGH: give back
 *       v   the PCP_BATCH coldest
 *   buddy lists, under b->lock:  order 0 [..]  order 1 [..] ... order 10 [..]
 *
 * A cache is touched only by its own CPU, with interrupts off (an
 * interrupt handler that allocates would otherwise find it half-changed),
 * so it needs no lock. Frames in a cache are free (they count in
 * buddy_free_pages()) but not on the lists, so they do not merge: the
 * leak checks drain the caches first.
 *
 * Cost: at most PCP_HIGH frames (256 KiB) parked per CPU.
 */
#ifndef DUET_PCP_H
#define DUET_PCP_H

#include "mm/frame.h"

struct buddy;

#define PCP_HIGH  64    /* a cache holding more gives PCP_BATCH back */
#define PCP_BATCH 16    /* frames moved per refill or give-back */

/* Aligned to a cache line, so two CPUs' caches never share one. */
struct pcp {
	struct frame_list frames;
} __attribute__((aligned(64)));

/* One free frame from this CPU's cache, refilled from the lists when it
 * is empty; PHYS_NONE if the lists are empty too. */
paddr_t pcp_alloc(struct buddy *b);

/* Put f, the head of an allocated order-0 block that its owner is done
 * with (the caller has checked), into this CPU's cache. */
void pcp_free(struct buddy *b, struct frame *f);

/* Give every frame of this CPU's cache back to the lists; returns
 * whether there was any. */
bool pcp_drain_local(struct buddy *b);

/*
 * How to run fn(arg) on every CPU that may have a cache, at once, and wait
 * for all of them: smp_run_on_all() in the kernel (kernel/smp.h: from
 * CPU 0, holding no lock), pcp_run_here() where only one CPU runs.
 */
typedef void (*pcp_runner)(void (*fn)(void *arg), void *arg);

/*
 * Empty the cache of every CPU, so that all free frames are on the lists
 * and merged (the leak checks need this). A cache may only be touched by
 * its own CPU, so each CPU empties its own, through run_on_all. Panics if
 * a cache still holds frames after that: a CPU that run_on_all missed.
 */
void pcp_drain_all(struct buddy *b, pcp_runner run_on_all);

/* The pcp_runner for code that runs on one CPU only (host tests, the
 * benchmarks): fn(arg), here. */
void pcp_run_here(void (*fn)(void *arg), void *arg);

/* Frames in all the caches. Reads other CPUs' counts without stopping
 * them: exact when they are idle, a snapshot otherwise. */
uint64_t pcp_cached(const struct buddy *b);

/* One line for meminfo: the frames each CPU has cached. */
void pcp_print_stats(const struct buddy *b);

#endif

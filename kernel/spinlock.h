/*
 * Spinlocks. Taking a lock disables interrupts on this CPU (an interrupt
 * handler that took the same lock would otherwise deadlock against the
 * code it interrupted) and restores them on release.
 */
#ifndef DUET_SPINLOCK_H
#define DUET_SPINLOCK_H

#include "kernel/types.h"

struct spinlock {
	volatile uint32_t locked;
	bool irq_was_enabled;   /* restored by spin_unlock */
	unsigned cpu;           /* the holder, valid while locked */
	const char *name;       /* for panic messages */
};

#define SPINLOCK_INIT(n) { .locked = 0, .irq_was_enabled = false, .cpu = 0, .name = (n) }

void spin_lock(struct spinlock *lk);
void spin_unlock(struct spinlock *lk);
bool spin_is_locked(const struct spinlock *lk);

/*
 * Each CPU remembers the locks it holds, innermost last. When a test
 * panics while holding a lock, the test framework uses these to release
 * what the test took, so the next test does not deadlock.
 */
unsigned spin_held_count(void);
void spin_release_held_above(unsigned count);

#endif

/*
 * Tests of the test framework itself: if these fail, no other result can
 * be trusted. They also serve as the "infrastructure" tests that every
 * handout tree must pass before any lab is solved.
 */
#include "kernel/ktest.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"

static int suite_init_ran;
static int tests_ran;

static void selftest_init(void)
{
	suite_init_ran = 1;
}

/* The exit hook runs after the last test and checks what they did. */
static void selftest_exit(void)
{
	KT_EXPECT_EQ(suite_init_ran, 1);
	KT_EXPECT_GT(tests_ran, 0);
}

KTEST_SUITE(ktest_selftest, selftest_init, selftest_exit);

KTEST(ktest_selftest, passes)
{
	tests_ran++;
	KT_EXPECT_EQ(1 + 1, 2);
	KT_EXPECT_NE(PHYS_NONE, 0);
	KT_EXPECT_TRUE(IS_ALIGNED(PAGE_SIZE * 3, PAGE_SIZE));
	KT_EXPECT_FALSE(IS_ALIGNED(PHYS_NONE, PAGE_SIZE));
	KT_EXPECT_LT(1, 2);
	KT_EXPECT_STREQ("duet", "duet");
}

KTEST_SHOULD_PANIC(ktest_selftest, expect_panic_caught)
{
	tests_ran++;
	KT_PANIC_MESSAGE_CONTAINS("deliberate");
	panic("ktest_selftest: a deliberate panic");
}

static struct spinlock selftest_lock = SPINLOCK_INIT("selftest");

/* A test that panics while holding a lock: the framework must release it,
 * or every later test that takes the lock would deadlock. */
KTEST_SHOULD_PANIC(ktest_selftest, panic_releases_locks)
{
	tests_ran++;
	spin_lock(&selftest_lock);
	panic("ktest_selftest: panicking with a lock held");
}

KTEST(ktest_selftest, lock_was_released)
{
	tests_ran++;
	KT_EXPECT_FALSE(spin_is_locked(&selftest_lock));
	KT_EXPECT_EQ(spin_held_count(), 0);
}

/* A trap (here: a load from an unmapped address) is reported as a panic,
 * so a test can expect it. */
KTEST_SHOULD_PANIC(ktest_selftest, trap_is_caught)
{
	KT_PANIC_MESSAGE_CONTAINS("trap");
	/* Read through a volatile so the compiler cannot see it is bogus. */
	static volatile uintptr_t unmapped = 0x8;
	volatile uint64_t *nowhere = (volatile uint64_t *)unmapped;
	(void)*nowhere;
}

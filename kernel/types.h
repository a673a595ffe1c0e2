/*
 * Basic types and helpers shared by every part of Duet.
 *
 * The kernel is freestanding: only the compiler's own headers (stdint,
 * stddef, stdbool, stdarg, stdnoreturn) are used, never a C library.
 */
#ifndef DUET_TYPES_H
#define DUET_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A physical address. Never dereference one: go through phys_to_virt(). */
typedef uint64_t paddr_t;

#define PAGE_SHIFT 12
#define PAGE_SIZE  ((uint64_t)1 << PAGE_SHIFT)

/*
 * The "no page" sentinel returned by every page allocator on failure.
 * All ones is never page aligned, so it can never be a real page address
 * (physical 0 can be: it is a valid frame on x86).
 */
#define PHYS_NONE ((paddr_t)~(uint64_t)0)

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)

/* Round x to a multiple of a, which must be a power of two. */
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a)   ALIGN_DOWN((x) + ((__typeof__(x))(a) - 1), (a))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define IS_POWER_OF_2(x) ((x) != 0 && ((x) & ((x) - 1)) == 0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define UNUSED(x) ((void)(x))

#endif

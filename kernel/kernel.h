/* The portable half of boot, and what it leaves behind for others. */
#ifndef DUET_KERNEL_H
#define DUET_KERNEL_H

#include <stdnoreturn.h>
#include "mm/memmap.h"

#define DUET_VERSION "0.1"

/* Called by arch code once the console, traps and the direct map work. */
noreturn void kernel_main(void);

/* The normalised memory map, filled in by kernel_main(). */
extern struct memmap boot_memmap;

/*
 * Find "key=value" on the kernel command line and copy value into out
 * (the last one if key is given twice; a bare "key" yields ""). Returns 0,
 * -ENOENT if key is absent, or -E2BIG if the value does not fit in out
 * (out is then ""): a caller must not mistake a value it cannot hold for
 * no value at all.
 */
int cmdline_get(const char *cmdline, const char *key, char *out,
		size_t out_size);

#endif

/*
 * A reader for the Multiboot2 boot information: the block in which a
 * Multiboot2 boot loader (GRUB, on x86) tells the kernel what memory the
 * machine has, the command line, and more. The x86-64 entry code gets its
 * physical address in ebx.
 *
 * The block comes from outside the kernel, so it is checked before it is
 * trusted: mb2_validate() walks all of it once, and the readers below may
 * only be given a block that passed. Nothing here writes to the block;
 * every string handed back points into it.
 *
 * Layout (all numbers little-endian; "u32" is 4 bytes):
 *
 *   +----------------------+  0
 *   | u32 total_size       |  of the whole block, this header included
 *   | u32 reserved         |  0
 *   +----------------------+  8
 *   | tag: u32 type        |  each tag starts 8-byte aligned; size counts
 *   |      u32 size        |  the 8-byte tag header but not the padding
 *   |      ... payload     |  up to the next multiple of 8
 *   +----------------------+
 *   | ... more tags        |
 *   +----------------------+
 *   | end tag: 0, 8        |  type 0, size 8
 *   +----------------------+  total_size
 *
 * The memory map tag (type 6) is "u32 entry_size, u32 entry_version (0)"
 * followed by entries of entry_size bytes, each starting
 * "u64 base_addr, u64 length, u32 type, u32 reserved" (24 bytes; a later
 * version may make them longer, which is why entry_size is there).
 *
 * This file is also included by the x86-64 assembly (for the magic
 * numbers), hence the __ASSEMBLY__ guard.
 */
#ifndef DUET_MULTIBOOT2_H
#define DUET_MULTIBOOT2_H

/* In the kernel image's Multiboot2 header, which GRUB looks for. */
#define MB2_HEADER_MAGIC        0xe85250d6
#define MB2_ARCH_I386           0       /* 32-bit protected mode entry */
#define MB2_HEADER_TAG_END      0
#define MB2_HEADER_TAG_ENTRY    3       /* entry address (physical) */

/* In eax when the boot loader jumps to the kernel. */
#define MB2_BOOTLOADER_MAGIC    0x36d76289

/* Boot information tag types (the ones Duet reads or checks). */
#define MB2_TAG_END             0
#define MB2_TAG_CMDLINE         1       /* NUL-terminated string */
#define MB2_TAG_BOOTLOADER_NAME 2       /* NUL-terminated string */
#define MB2_TAG_MODULE          3       /* u32 start, u32 end, string */
#define MB2_TAG_BASIC_MEMINFO   4
#define MB2_TAG_MMAP            6

/* Memory map entry types; every other value means "reserved". */
#define MB2_MEMORY_AVAILABLE    1
#define MB2_MEMORY_RESERVED     2
#define MB2_MEMORY_ACPI_RECLAIMABLE 3
#define MB2_MEMORY_NVS          4
#define MB2_MEMORY_BADRAM       5

#define MB2_INFO_HEADER_SIZE    8
#define MB2_TAG_HEADER_SIZE     8
#define MB2_MMAP_HEADER_SIZE    16      /* tag header, entry_size, version */
#define MB2_MMAP_ENTRY_MIN      24
#define MB2_MODULE_HEADER_SIZE  16      /* tag header, start, end */

#ifndef __ASSEMBLY__

#include "kernel/types.h"

struct memmap;

/*
 * Check the block's header and walk every tag. max_size is how many bytes
 * the caller can vouch are readable at info. Returns 0, or -EINVAL and
 * sets *err (if err is not NULL) to a message naming the rule broken, e.g.
 *   "multiboot2: tag at offset 0x48 (type 6, size 0x40) runs past
 *    total_size 0x60"
 * The message lives in a static buffer, overwritten by the next error.
 */
int mb2_validate(const void *info, size_t max_size, const char **err);

/* The block's size in bytes, from its header. Only for a validated block. */
size_t mb2_total_size(const void *info);

/*
 * The payload (what follows the 8-byte tag header) of the first tag of
 * the given type, and its length in *len (if len is not NULL); NULL if
 * there is no such tag. Only for a validated block.
 */
const void *mb2_find_tag(const void *info, uint32_t type, uint32_t *len);

/*
 * Add to map (which the caller has initialised, and may already hold
 * other ranges) everything the block says about memory:
 *   - each memory map entry of type 1 ("available"): RAM;
 *   - each other entry: reserved, why = "reserved", "ACPI reclaimable",
 *     "ACPI NVS" or "bad RAM";
 *   - each boot module: reserved, "multiboot2 module";
 *   - the block itself, at physical address info_pa: "multiboot2 info";
 *   - the first MiB: "first MiB (BIOS, real-mode)" -- the BIOS data area,
 *     EBDA and option ROMs live there, and an SMP kernel will need a page
 *     below 1 MiB for its real-mode AP start-up code anyway.
 * Returns 0, -EINVAL if there is no memory map tag, or the error
 * memmap_add_*() gave (-EOVERFLOW, -ENOSPC); *err says why.
 */
int mb2_read_memmap(const void *info, paddr_t info_pa, struct memmap *map,
		    const char **err);

/* The boot loader's command line for the kernel (GRUB: what follows the
 * file name on the "multiboot2" line), or NULL if there is no such tag.
 * Only for a validated block. */
const char *mb2_cmdline(const void *info);

/* The boot loader's name, e.g. "GRUB 2.06-13+deb12u1", or NULL. */
const char *mb2_bootloader_name(const void *info);

#endif /* __ASSEMBLY__ */
#endif

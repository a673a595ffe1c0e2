/*
 * A reader for the flattened device tree (FDT, "DTB"): the binary blob in
 * which firmware on RISC-V (and many other machines) describes the
 * hardware -- how much RAM there is and where, what firmware has kept for
 * itself, the kernel command line.
 *
 * The blob comes from outside the kernel, so it is checked before it is
 * trusted: fdt_validate() walks all of it once, and the readers below may
 * only be given a blob that passed. Nothing here allocates or writes to
 * the blob; every string handed back points into it.
 *
 * Layout (all numbers big-endian):
 *
 *   +------------------+  0
 *   | header (40 B)    |  magic 0xd00dfeed, totalsize, block offsets ...
 *   +------------------+  off_mem_rsvmap
 *   | memory           |  (u64 address, u64 size) pairs, ended by 0, 0
 *   | reservations     |
 *   +------------------+  off_dt_struct
 *   | structure block  |  tokens: BEGIN_NODE name, PROP len nameoff value,
 *   |                  |  END_NODE, NOP, ..., END -- each 4-byte aligned
 *   +------------------+  off_dt_strings
 *   | strings block    |  property names, NUL-terminated
 *   +------------------+  totalsize
 */
#ifndef DUET_FDT_H
#define DUET_FDT_H

#include "kernel/types.h"

struct memmap;

#define FDT_MAGIC       0xd00dfeed
#define FDT_HEADER_SIZE 40      /* ten 32-bit fields, version 17 */

/* Structure block tokens. */
#define FDT_BEGIN_NODE  1       /* followed by the node name, NUL, padding */
#define FDT_END_NODE    2
#define FDT_PROP        3       /* followed by len, nameoff, value, padding */
#define FDT_NOP         4
#define FDT_END         9

/* Deepest node nesting accepted (the root is depth 1). Real trees use 4-6. */
#define FDT_MAX_DEPTH   16

/*
 * Check the header and walk the whole structure block. max_size is how
 * many bytes the caller can vouch are readable at blob. Returns 0, or
 * -EINVAL and sets *err (if err is not NULL) to a message naming the rule
 * broken, e.g.
 *   "fdt: struct block [0x38, 0x1038) runs past totalsize 0x800"
 * The message lives in a static buffer, overwritten by the next error.
 */
int fdt_validate(const void *blob, size_t max_size, const char **err);

/* The blob's size in bytes, from its header. Only for a validated blob. */
size_t fdt_total_size(const void *blob);

/*
 * Add to map (which the caller has initialised, and may already hold
 * other ranges) everything the blob says about memory:
 *   - each root-level memory node ("memory", "memory@...", or
 *     device_type = "memory") whose status is okay: its reg as RAM;
 *   - each /reserved-memory child with a reg: reserved, why = node name;
 *   - each memory reservation block entry: reserved, why = "memreserve";
 *   - the blob itself, at physical address blob_pa: reserved, "dtb".
 * Returns 0, -EINVAL for a description that makes no sense (no memory
 * node, a memory node without reg, #address-cells not 1..2,
 * #size-cells not 0..2, reg length not a whole number of entries), or
 * the error memmap_add_*() gave (-EOVERFLOW, -ENOSPC); *err says why.
 */
int fdt_read_memmap(const void *blob, paddr_t blob_pa, struct memmap *map,
		    const char **err);

/*
 * The value of property `name` of the node at `path`, e.g.
 * fdt_getprop(blob, "/cpus", "timebase-frequency", &len). A path
 * component without '@' also matches a node with a unit address, so
 * "/memory" finds "memory@80000000". Returns NULL if there is no such
 * node or property; else *len (if len is not NULL) is the value's length.
 */
const void *fdt_getprop(const void *blob, const char *path, const char *name,
			uint32_t *len);

/* A 4-byte property as a number; false if missing or not 4 bytes long. */
bool fdt_getprop_u32(const void *blob, const char *path, const char *name,
		     uint32_t *out);

/* /chosen/bootargs, or NULL if missing, zero-length, or not NUL-terminated
 * within the property. The string points into the blob. */
const char *fdt_bootargs(const void *blob);

#endif

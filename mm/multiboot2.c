/*
 * The Multiboot2 boot information reader. See mm/multiboot2.h for the
 * layout.
 *
 * mb2_validate() is the only function that looks at an untrusted block:
 * it checks every offset and size against total_size before reading, so
 * a corrupt block yields an error message, never a wild read. The readers
 * after it rely on that and stay simple.
 *
 * Fields are read a byte at a time (get32/get64), which works at any
 * alignment and on any host, so the host unit tests can feed it
 * arbitrary bytes.
 */
#include <stdarg.h>

#include "mm/multiboot2.h"
#include "mm/memmap.h"
#include "kernel/errno.h"
#include "kernel/printf.h"
#include "kernel/string.h"

static char error_buf[192];

/* Format the message for *err and return -EINVAL. */
PRINTF_LIKE(2, 3)
static int fail(const char **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(error_buf, sizeof(error_buf), fmt, ap);
	va_end(ap);
	if (err)
		*err = error_buf;
	return -EINVAL;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* BEGIN SOLUTION lab6 */
static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}
/* END SOLUTION */

/* ---- Validation ---------------------------------------------------------- */

/* BEGIN SOLUTION lab6 */
/* Tag payloads that are strings must end with a NUL inside the tag. */
static int check_string(const uint8_t *s, uint32_t len, size_t offset,
			const char *what, const char **err)
{
	if (strnlen((const char *)s, len) == len)
		return fail(err, "multiboot2: %s tag at offset %#zx is not "
			    "NUL-terminated within its %u bytes", what, offset,
			    len);
	return 0;
}

static int check_mmap(const uint8_t *tag, uint32_t size, size_t offset,
		      const char **err)
{
	if (size < MB2_MMAP_HEADER_SIZE)
		return fail(err, "multiboot2: memory map tag at offset %#zx "
			    "has size %u, less than its %d-byte header",
			    offset, size, MB2_MMAP_HEADER_SIZE);

	uint32_t entry_size = get32(tag + 8);
	uint32_t version = get32(tag + 12);
	uint32_t entries_len = size - MB2_MMAP_HEADER_SIZE;

	if (entry_size < MB2_MMAP_ENTRY_MIN || entry_size % 8 != 0)
		return fail(err, "multiboot2: memory map entry_size %u is not "
			    "a multiple of 8 of at least %d", entry_size,
			    MB2_MMAP_ENTRY_MIN);
	if (version != 0)
		return fail(err, "multiboot2: memory map entry_version %u is "
			    "not 0, the only version defined", version);
	if (entries_len % entry_size != 0)
		return fail(err, "multiboot2: memory map tag at offset %#zx: "
			    "its %u bytes of entries are not a whole number "
			    "of %u-byte entries", offset, entries_len,
			    entry_size);
	return 0;
}

static int check_module(const uint8_t *tag, uint32_t size, size_t offset,
			const char **err)
{
	if (size < MB2_MODULE_HEADER_SIZE + 1)
		return fail(err, "multiboot2: module tag at offset %#zx has "
			    "size %u, too small for start, end and a name",
			    offset, size);
	if (get32(tag + 8) > get32(tag + 12))
		return fail(err, "multiboot2: module tag at offset %#zx ends "
			    "(%#x) before it starts (%#x)", offset,
			    get32(tag + 12), get32(tag + 8));
	return check_string(tag + MB2_MODULE_HEADER_SIZE,
			    size - MB2_MODULE_HEADER_SIZE, offset, "module",
			    err);
}

/* Rules for the tag types Duet reads; others are skipped unread. */
static int check_tag(const uint8_t *tag, uint32_t type, uint32_t size,
		     size_t offset, const char **err)
{
	const uint8_t *payload = tag + MB2_TAG_HEADER_SIZE;
	uint32_t len = size - MB2_TAG_HEADER_SIZE;

	switch (type) {
	case MB2_TAG_CMDLINE:
		return check_string(payload, len, offset, "command line", err);
	case MB2_TAG_BOOTLOADER_NAME:
		return check_string(payload, len, offset, "boot loader name",
				    err);
	case MB2_TAG_MODULE:
		return check_module(tag, size, offset, err);
	case MB2_TAG_MMAP:
		return check_mmap(tag, size, offset, err);
	default:
		return 0;
	}
}

static int check_header(const uint8_t *p, size_t max_size, const char **err)
{
	if (p == NULL)
		return fail(err, "multiboot2: no information block (NULL)");
	if (!IS_ALIGNED((uintptr_t)p, 8))
		return fail(err, "multiboot2: information block at %p is not "
			    "8-byte aligned", (const void *)p);
	if (max_size < MB2_INFO_HEADER_SIZE)
		return fail(err, "multiboot2: only %zu bytes readable, less "
			    "than the %d-byte header", max_size,
			    MB2_INFO_HEADER_SIZE);

	uint32_t total = get32(p);

	if (total < MB2_INFO_HEADER_SIZE)
		return fail(err, "multiboot2: total_size %u is smaller than "
			    "the %d-byte header", total, MB2_INFO_HEADER_SIZE);
	if (total > max_size)
		return fail(err, "multiboot2: total_size %#x is larger than "
			    "the %#zx bytes the caller can vouch for", total,
			    max_size);
	/* The spec says "ignore", but GRUB writes 0: anything else means
	 * we are most likely looking at something that is not the block. */
	if (get32(p + 4) != 0)
		return fail(err, "multiboot2: reserved header field is %#x, "
			    "not 0", get32(p + 4));
	return 0;
}
/* END SOLUTION */

int mb2_validate(const void *info, size_t max_size, const char **err)
{
	/* BEGIN SOLUTION lab6 */
	const uint8_t *p = info;
	int rc = check_header(p, max_size, err);

	if (rc < 0)
		return rc;

	size_t total = get32(p);

	/* Stepping by ALIGN_UP(size, 8) from offset 8 keeps every tag 8-byte
	 * aligned; off never exceeds total + 7, so nothing here overflows. */
	for (size_t off = MB2_INFO_HEADER_SIZE;;) {
		if (off + MB2_TAG_HEADER_SIZE > total)
			return fail(err, "multiboot2: no end tag (type 0) "
				    "before total_size %#zx", total);

		uint32_t type = get32(p + off);
		uint32_t size = get32(p + off + 4);

		if (size < MB2_TAG_HEADER_SIZE)
			return fail(err, "multiboot2: tag at offset %#zx "
				    "(type %u) has size %u, less than 8", off,
				    type, size);
		if (size > total - off)
			return fail(err, "multiboot2: tag at offset %#zx "
				    "(type %u, size %#x) runs past total_size "
				    "%#zx", off, type, size, total);
		if (type == MB2_TAG_END) {
			if (size != MB2_TAG_HEADER_SIZE)
				return fail(err, "multiboot2: end tag at "
					    "offset %#zx has size %u, not 8",
					    off, size);
			return 0;
		}
		rc = check_tag(p + off, type, size, off, err);
		if (rc < 0)
			return rc;
		off += ALIGN_UP((size_t)size, 8);
	}
	/* STUB
	(void)info;
	(void)max_size;
	(void)err;
	return 0;
	   END SOLUTION */
}

/* ---- Readers (validated blocks only) ------------------------------------- */

size_t mb2_total_size(const void *info)
{
	return get32(info);
}

static const uint8_t *first_tag(const void *info)
{
	return (const uint8_t *)info + MB2_INFO_HEADER_SIZE;
}

static const uint8_t *next_tag(const uint8_t *tag)
{
	return tag + ALIGN_UP(get32(tag + 4), 8);
}

/* Tags of type `type` from `tag` on (inclusive), or NULL at the end tag. */
static const uint8_t *tag_from(const uint8_t *tag, uint32_t type)
{
	for (; get32(tag) != MB2_TAG_END; tag = next_tag(tag))
		if (get32(tag) == type)
			return tag;
	return NULL;
}

const void *mb2_find_tag(const void *info, uint32_t type, uint32_t *len)
{
	const uint8_t *tag = tag_from(first_tag(info), type);

	if (!tag)
		return NULL;
	if (len)
		*len = get32(tag + 4) - MB2_TAG_HEADER_SIZE;
	return tag + MB2_TAG_HEADER_SIZE;
}

const char *mb2_cmdline(const void *info)
{
	return mb2_find_tag(info, MB2_TAG_CMDLINE, NULL);
}

const char *mb2_bootloader_name(const void *info)
{
	return mb2_find_tag(info, MB2_TAG_BOOTLOADER_NAME, NULL);
}

/* ---- The memory map ------------------------------------------------------ */

/* BEGIN SOLUTION lab6 */
static const char *memory_type_name(uint32_t type)
{
	switch (type) {
	case MB2_MEMORY_ACPI_RECLAIMABLE:
		return "ACPI reclaimable";
	case MB2_MEMORY_NVS:
		return "ACPI NVS";
	case MB2_MEMORY_BADRAM:
		return "bad RAM";
	default:
		return "reserved";
	}
}

static int add_failed(const char **err, int rc, const char *what,
		      uint64_t base, uint64_t size)
{
	fail(err, "multiboot2: cannot add %s [%#llx, +%#llx) to the memory "
	     "map: %s", what, (unsigned long long)base,
	     (unsigned long long)size, error_name(rc));
	return rc;
}

static int read_mmap_entries(const uint8_t *mmap, uint32_t len,
			     struct memmap *map, const char **err)
{
	uint32_t entry_size = get32(mmap);
	uint32_t n = (len - 8) / entry_size;    /* validated: exact, >= 24 */

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = mmap + 8 + (size_t)i * entry_size;
		uint64_t base = get64(e), size = get64(e + 8);
		uint32_t type = get32(e + 16);
		int rc;

		if (type == MB2_MEMORY_AVAILABLE)
			rc = memmap_add_ram(map, base, size);
		else
			rc = memmap_add_reserved(map, base, size,
						 memory_type_name(type));
		if (rc < 0)
			return add_failed(err, rc, "memory map entry", base,
					  size);
	}
	return 0;
}

/* Boot modules (an initrd, say) sit in RAM that the map calls free. */
static int reserve_modules(const void *info, struct memmap *map,
			   const char **err)
{
	for (const uint8_t *t = tag_from(first_tag(info), MB2_TAG_MODULE); t;
	     t = tag_from(next_tag(t), MB2_TAG_MODULE)) {
		uint32_t start = get32(t + 8), end = get32(t + 12);
		int rc = memmap_add_reserved(map, start, end - start,
					     "multiboot2 module");
		if (rc < 0)
			return add_failed(err, rc, "module", start,
					  end - start);
	}
	return 0;
}
/* END SOLUTION */

int mb2_read_memmap(const void *info, paddr_t info_pa, struct memmap *map,
		    const char **err)
{
	/* BEGIN SOLUTION lab6 */
	uint32_t len;
	const uint8_t *mmap = mb2_find_tag(info, MB2_TAG_MMAP, &len);
	int rc;

	if (!mmap)
		return fail(err, "multiboot2: no memory map tag (type %d)",
			    MB2_TAG_MMAP);
	rc = read_mmap_entries(mmap, len, map, err);
	if (rc < 0)
		return rc;
	rc = reserve_modules(info, map, err);
	if (rc < 0)
		return rc;
	rc = memmap_add_reserved(map, info_pa, mb2_total_size(info),
				 "multiboot2 info");
	if (rc < 0)
		return add_failed(err, rc, "the information block", info_pa,
				  mb2_total_size(info));
	rc = memmap_add_reserved(map, 0, 1 * MiB,
				 "first MiB (BIOS, real-mode)");
	if (rc < 0)
		return add_failed(err, rc, "the first MiB", 0, 1 * MiB);
	return 0;
	/* STUB
	uint32_t len;
	const uint8_t *basic = mb2_find_tag(info, MB2_TAG_BASIC_MEMINFO, &len);

	if (!basic || len < 8)
		return fail(err, "multiboot2: mb2_read_memmap: not implemented "
			    "(lab 6), and no basic memory information either");
	kprintf("multiboot2: mb2_read_memmap: not implemented (lab 6): "
		"RAM from 1 MiB up to the first hole only (basic memory "
		"information)\n");
	if (memmap_add_ram(map, 1 * MiB, (uint64_t)get32(basic + 4) * KiB) < 0 ||
	    memmap_add_reserved(map, info_pa, mb2_total_size(info),
				"multiboot2 info") < 0)
		return fail(err, "multiboot2: no room in the memory map");
	return 0;
	   END SOLUTION */
}

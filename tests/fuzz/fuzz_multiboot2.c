/*
 * Fuzz target: the Multiboot2 boot information reader (mm/multiboot2.c).
 *
 * Input: a boot information block (seeds: the blocks GRUB handed Duet
 * under QEMU, tests/host/fixtures/mb2_qemu_*.bin), copied into a buffer
 * of exactly its size so AddressSanitizer reports any read past the end.
 * The rules:
 *   - mb2_validate() returns 0 or -EINVAL with a message
 *     "multiboot2: ...", and rejects a block whose total_size is more than
 *     the bytes the caller vouches for;
 *   - on a block that passed, the readers stay inside total_size: every
 *     tag payload mb2_find_tag() returns, and the command line and boot
 *     loader name, NUL-terminated inside it;
 *   - mb2_read_memmap() returns 0 or an error with a message; on success
 *     the block and the first MiB are reserved, and the map finalizes.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/errno.h"
#include "mm/memmap.h"
#include "mm/multiboot2.h"
#include "tests/fuzz/fuzz.h"

#define INFO_PA 0x168630        /* where GRUB put the fixtures' blocks */

static struct memmap map;

static void check_inside(const uint8_t *info, size_t total, const void *p,
			 size_t len, const char *what)
{
	const uint8_t *b = p;

	FUZZ_CHECK(b >= info && b <= info + total && len <= (size_t)(info +
		   total - b), "%s: %zu bytes at offset %ld, outside the "
		   "%zu-byte block", what, len, (long)(b - info), total);
}

static void check_string(const uint8_t *info, size_t total, const char *s,
			 const char *what)
{
	if (!s)
		return;
	check_inside(info, total, s, 1, what);
	size_t room = info + total - (const uint8_t *)s;
	FUZZ_CHECK(strnlen(s, room) < room, "%s is not NUL-terminated inside "
		   "the block", what);
}

static void check_error(int rc, const char *err, const char *what)
{
	FUZZ_CHECK(err && strncmp(err, "multiboot2: ", 12) == 0,
		   "%s failed (%d) without a message \"multiboot2: ...\"",
		   what, rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *info = malloc(size ? size : 1);        /* 16-byte aligned */
	const char *err = NULL;
	size_t total;
	uint32_t len;
	int rc;

	memcpy(info, data, size);
	rc = mb2_validate(info, size, &err);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL, "mb2_validate returned %d", rc);
	FUZZ_CHECK(mb2_validate(info, size, NULL) == rc);
	if (rc < 0) {
		check_error(rc, err, "mb2_validate");
		free(info);
		return 0;
	}
	total = mb2_total_size(info);
	FUZZ_CHECK(total >= MB2_INFO_HEADER_SIZE && total <= size);
	FUZZ_CHECK(mb2_validate(info, total - 1, NULL) == -EINVAL,
		   "validated although total_size %zu > the %zu bytes vouched "
		   "for", total, total - 1);

	for (uint32_t type = 0; type < 24; type++) {
		const void *p = mb2_find_tag(info, type, &len);
		if (p)
			check_inside(info, total, p, len, "mb2_find_tag");
	}
	check_string(info, total, mb2_cmdline(info), "the command line");
	check_string(info, total, mb2_bootloader_name(info),
		     "the boot loader name");

	memmap_init(&map);
	err = NULL;
	rc = mb2_read_memmap(info, INFO_PA, &map, &err);
	if (rc < 0) {
		FUZZ_CHECK(rc == -EINVAL || rc == -EOVERFLOW || rc == -ENOSPC,
			   "mb2_read_memmap returned %d", rc);
		check_error(rc, err, "mb2_read_memmap");
	} else {
		bool block = false, low = false;
		for (unsigned i = 0; i < map.nreserved; i++) {
			const struct reserved_range *r = &map.reserved[i];
			block |= r->base == INFO_PA && r->end == INFO_PA + total;
			low |= r->base == 0 && r->end == 1 * MiB;
		}
		FUZZ_CHECK(block && low, "the block or the first MiB is not "
			   "reserved");
		rc = memmap_finalize(&map);
		FUZZ_CHECK(rc == 0 || rc == -ENOSPC);
	}
	free(info);
	return 0;
}

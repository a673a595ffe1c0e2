/*
 * Fuzz target: the device tree reader (mm/fdt.c).
 *
 * Input: a DTB, as firmware would hand it over (seeds: the QEMU and
 * OpenSBI blobs of tests/host/fixtures/). It is copied into a buffer of
 * exactly its size, so AddressSanitizer reports any read past the end.
 * The rules:
 *   - fdt_validate() returns 0 or -EINVAL with a message "fdt: ...",
 *     never reads outside the buffer, and rejects a blob whose totalsize
 *     is more than the bytes the caller vouches for;
 *   - on a blob that passed, every reader (fdt_read_memmap, fdt_getprop,
 *     fdt_bootargs, ...) stays inside the blob: each value it returns
 *     lies within totalsize, and bootargs is NUL-terminated there;
 *   - fdt_read_memmap() returns 0 or an error with a message; on success
 *     the blob itself is reserved ("dtb"), and the map finalizes.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/errno.h"
#include "mm/fdt.h"
#include "mm/memmap.h"
#include "tests/fuzz/fuzz.h"

#define BLOB_PA 0x87e00000     /* where OpenSBI put the fixtures' blobs */

static struct memmap map;

/* p (len bytes) lies inside the blob. */
static void check_inside(const uint8_t *blob, size_t total, const void *p,
			 uint32_t len, const char *what)
{
	const uint8_t *b = p;

	FUZZ_CHECK(b >= blob && b <= blob + total && len <= blob + total - b,
		   "%s: %u bytes at offset %ld, outside the %zu-byte blob",
		   what, len, (long)(b - blob), total);
}

static void check_error(int rc, const char *err, const char *what)
{
	FUZZ_CHECK(err && strncmp(err, "fdt: ", 5) == 0,
		   "%s failed (%d) without a message \"fdt: ...\"", what, rc);
}

/* Look up properties the kernel reads, and a few odd paths. */
static void read_properties(const uint8_t *blob, size_t total)
{
	static const char *const lookups[][2] = {
		{ "/", "#address-cells" }, { "/chosen", "bootargs" },
		{ "/memory", "reg" }, { "/memory@80000000", "device_type" },
		{ "/cpus", "timebase-frequency" }, { "/cpus/cpu@0", "status" },
		{ "/reserved-memory", "#size-cells" }, { "/soc", "compatible" },
		{ "//chosen/", "stdout-path" }, { "/no/such/node", "reg" },
		{ "relative", "reg" }, { "/", "" },
	};
	uint32_t len, value;

	for (unsigned i = 0; i < ARRAY_SIZE(lookups); i++) {
		const void *p = fdt_getprop(blob, lookups[i][0], lookups[i][1],
					    &len);
		if (p)
			check_inside(blob, total, p, len, "fdt_getprop");
	}
	fdt_getprop_u32(blob, "/cpus", "#address-cells", &value);
	const char *args = fdt_bootargs(blob);
	if (args) {
		size_t room = blob + total - (const uint8_t *)args;
		check_inside(blob, total, args, 1, "fdt_bootargs");
		FUZZ_CHECK(strnlen(args, room) < room,
			   "bootargs is not NUL-terminated inside the blob");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *blob = malloc(size ? size : 1);
	const char *err = NULL;
	size_t total;
	int rc;

	memcpy(blob, data, size);
	rc = fdt_validate(blob, size, &err);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL, "fdt_validate returned %d", rc);
	FUZZ_CHECK(fdt_validate(blob, size, NULL) == rc);
	if (rc < 0) {
		check_error(rc, err, "fdt_validate");
		free(blob);
		return 0;
	}
	total = fdt_total_size(blob);
	FUZZ_CHECK(total >= FDT_HEADER_SIZE && total <= size);
	FUZZ_CHECK(fdt_validate(blob, total - 1, NULL) == -EINVAL,
		   "validated although totalsize %zu > the %zu bytes vouched "
		   "for", total, total - 1);

	memmap_init(&map);
	err = NULL;
	rc = fdt_read_memmap(blob, BLOB_PA, &map, &err);
	if (rc < 0) {
		FUZZ_CHECK(rc == -EINVAL || rc == -EOVERFLOW || rc == -ENOSPC,
			   "fdt_read_memmap returned %d", rc);
		check_error(rc, err, "fdt_read_memmap");
	} else {
		bool dtb = false;
		/* No RAM is possible: #size-cells = 0 makes every memory
		 * range empty. Boot then stops at "no usable RAM". */
		for (unsigned i = 0; i < map.nreserved; i++)
			dtb |= strcmp(map.reserved[i].why, "dtb") == 0 &&
			       map.reserved[i].base == BLOB_PA &&
			       map.reserved[i].end == BLOB_PA + total;
		FUZZ_CHECK(dtb, "the blob itself is not reserved");
		rc = memmap_finalize(&map);
		FUZZ_CHECK(rc == 0 || rc == -ENOSPC);
	}
	read_properties(blob, total);
	free(blob);
	return 0;
}

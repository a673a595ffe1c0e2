/*
 * Helpers for the host tests of the boot-blob parsers (test_fdt.c,
 * test_multiboot2.c): load a fixture, copy a blob into a buffer of
 * exactly its size (so AddressSanitizer catches any over-read), and
 * damage copies at random.
 */
#ifndef DUET_TESTS_HOST_BLOB_H
#define DUET_TESTS_HOST_BLOB_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/host/tap.h"

#define FIXTURES "tests/host/fixtures/"

/* The fixture tests/host/fixtures/name, malloc'd; NULL (and a failed
 * test) if it cannot be read. The tests run from the top of the tree. */
static inline uint8_t *load_fixture(const char *name, size_t *size)
{
	char path[256];
	FILE *f;
	long len;
	uint8_t *blob;

	snprintf(path, sizeof(path), FIXTURES "%s", name);
	f = fopen(path, "rb");
	if (!f) {
		TAP_FAIL("cannot open %s (run from the top of the tree)", path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	blob = malloc(len);
	if (fread(blob, 1, len, f) != (size_t)len) {
		TAP_FAIL("cannot read %s", path);
		free(blob);
		blob = NULL;
	}
	fclose(f);
	*size = len;
	return blob;
}

/* A malloc'd copy, exactly size bytes long. */
static inline uint8_t *copy_of(const uint8_t *blob, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	memcpy(copy, blob, size);
	return copy;
}

/* xorshift64*: a repeatable sequence from the seed in *state. */
static inline uint64_t blob_rng(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1d;
}

/*
 * rounds times: copy orig, change 1-4 random bytes (a random value, or
 * one flipped bit), half the time within its first `hot` bytes where the
 * damage bites most (header, first structures), and hand the copy to
 * exercise(). Returns how many copies exercise() accepted (returned 0).
 */
static inline unsigned random_flips(const uint8_t *orig, size_t size,
				    unsigned rounds, size_t hot,
				    uint64_t *state,
				    int (*exercise)(const uint8_t *, size_t))
{
	unsigned accepted = 0;

	for (unsigned i = 0; i < rounds; i++) {
		uint8_t *copy = copy_of(orig, size);
		unsigned flips = 1 + blob_rng(state) % 4;

		for (unsigned f = 0; f < flips; f++) {
			size_t where = (blob_rng(state) % 2 ?
					blob_rng(state) % hot :
					blob_rng(state)) % size;

			if (blob_rng(state) % 3)
				copy[where] = (uint8_t)blob_rng(state);
			else
				copy[where] ^= 1u << (blob_rng(state) % 8);
		}
		accepted += exercise(copy, size) == 0;
		free(copy);
	}
	return accepted;
}

#endif

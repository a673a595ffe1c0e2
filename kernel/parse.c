/*
 * Small text parsers shared by the kernel and the host tests: glob
 * matching (test selection) and sizes ("64M", "0x1000").
 */
#include "kernel/string.h"

bool glob_match(const char *pattern, const char *text)
{
	const char *star = NULL, *resume = NULL;

	/* Iterative matcher: on mismatch, let the last '*' eat one more
	 * character. Linear in practice, and no recursion depth to worry
	 * about on a 16 KiB kernel stack. */
	while (*text) {
		if (*pattern == '*') {
			star = pattern++;
			resume = text;
		} else if (*pattern == '?' || *pattern == *text) {
			pattern++;
			text++;
		} else if (star) {
			pattern = star + 1;
			text = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

static unsigned suffix_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	default:            return 0;
	}
}

bool parse_size(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	int ndigits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; digit_value(*s) < (int)base; s++, ndigits++) {
		unsigned d = (unsigned)digit_value(*s);
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (ndigits == 0)
		return false;
	unsigned shift = suffix_shift(*s);
	if (shift) {
		if (v > (UINT64_MAX >> shift))
			return false;
		v <<= shift;
		s++;
	}
	if (*s != '\0')
		return false;
	*out = v;
	return true;
}

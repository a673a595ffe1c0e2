/*
 * Host tests of the portable kernel library: ksnprintf, glob_match,
 * parse_size, cmdline_get, error_name.
 */
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "tests/host/tap.h"

static const char *fmt(const char *f, ...)
{
	static char buf[128];
	va_list ap;

	va_start(ap, f);
	kvsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	return buf;
}

TAP_TEST(printf_integers)
{
	TAP_EXPECT(strcmp(fmt("%d %i %u", -42, 7, 3000000000u), "-42 7 3000000000") == 0);
	TAP_EXPECT(strcmp(fmt("%x %X %o", 0xbeefu, 0xbeefu, 8u), "beef BEEF 10") == 0);
	TAP_EXPECT(strcmp(fmt("%lx", 0xffffffff80200000ul), "ffffffff80200000") == 0);
	TAP_EXPECT(strcmp(fmt("%ld", (long)INT64_MIN), "-9223372036854775808") == 0);
	TAP_EXPECT(strcmp(fmt("%llu", 18446744073709551615ull), "18446744073709551615") == 0);
	TAP_EXPECT(strcmp(fmt("%zu", (size_t)12), "12") == 0);
}

TAP_TEST(printf_width_and_padding)
{
	TAP_EXPECT(strcmp(fmt("[%5d]", 42), "[   42]") == 0);
	TAP_EXPECT(strcmp(fmt("[%-5d]", 42), "[42   ]") == 0);
	TAP_EXPECT(strcmp(fmt("[%05d]", -42), "[-0042]") == 0);
	TAP_EXPECT(strcmp(fmt("[%#010lx]", 0x1000ul), "[0x00001000]") == 0);
	TAP_EXPECT(strcmp(fmt("[%-6s|%3s]", "ab", "abcd"), "[ab    |abcd]") == 0);
}

TAP_TEST(printf_strings_chars_pointers)
{
	TAP_EXPECT(strcmp(fmt("%s %c%c %%", "duet", 'o', 'k'), "duet ok %") == 0);
	TAP_EXPECT(strcmp(fmt("%s", (char *)NULL), "(null)") == 0);
	TAP_EXPECT(strcmp(fmt("%p", (void *)0x80200000), "0x80200000") == 0);
	TAP_EXPECT(strcmp(fmt("100%"), "100") == 0);      /* lone % at the end */
}

TAP_TEST(snprintf_truncates_and_terminates)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	TAP_EXPECT_EQ(ksnprintf(buf, sizeof(buf), "%s", "0123456789"), 10);
	TAP_EXPECT(strcmp(buf, "0123456") == 0);
	TAP_EXPECT_EQ(ksnprintf(buf, 0, "abc"), 3);        /* size 0: no write */
}

TAP_TEST(glob_matching)
{
	TAP_EXPECT(glob_match("*", ""));
	TAP_EXPECT(glob_match("*", "bitmap"));
	TAP_EXPECT(glob_match("bit*", "bitmap"));
	TAP_EXPECT(glob_match("*map", "bitmap"));
	TAP_EXPECT(glob_match("b?tmap", "bitmap"));
	TAP_EXPECT(glob_match("pmm_*.alloc*", "pmm_bitmap.alloc_aligned"));
	TAP_EXPECT(!glob_match("bit", "bitmap"));
	TAP_EXPECT(!glob_match("?", ""));
	TAP_EXPECT(!glob_match("*x", "bitmap"));
	TAP_EXPECT(glob_match("a*b*c", "aXXbYYbc"));
}

TAP_TEST(sizes)
{
	uint64_t v = 0;

	TAP_EXPECT(parse_size("4096", &v) && v == 4096);
	TAP_EXPECT(parse_size("0x1000", &v) && v == 0x1000);
	TAP_EXPECT(parse_size("64M", &v) && v == 64ull << 20);
	TAP_EXPECT(parse_size("2g", &v) && v == 2ull << 30);
	TAP_EXPECT(parse_size("18446744073709551615", &v) && v == UINT64_MAX);
	TAP_EXPECT(!parse_size("18446744073709551616", &v));      /* overflow */
	TAP_EXPECT(!parse_size("17179869184G", &v));              /* overflow */
	TAP_EXPECT(!parse_size("", &v));
	TAP_EXPECT(!parse_size("0x", &v));
	TAP_EXPECT(!parse_size("12Q", &v));
	TAP_EXPECT(!parse_size("1MM", &v));
}

TAP_TEST(command_line)
{
	char v[16];

	TAP_EXPECT(cmdline_get("pmm=bitmap test=bump*", "test", v, sizeof(v)) == 0);
	TAP_EXPECT(strcmp(v, "bump*") == 0);
	TAP_EXPECT(cmdline_get("  pmm=bitmap  ", "pmm", v, sizeof(v)) == 0);
	TAP_EXPECT(strcmp(v, "bitmap") == 0);
	TAP_EXPECT(cmdline_get("quiet", "quiet", v, sizeof(v)) == 0 && v[0] == '\0');
	TAP_EXPECT(cmdline_get("testing=1", "test", v, sizeof(v)) == -ENOENT);
	TAP_EXPECT(cmdline_get("", "test", v, sizeof(v)) == -ENOENT);
	TAP_EXPECT(cmdline_get("a=1 a=2", "a", v, sizeof(v)) == 0 && strcmp(v, "2") == 0);
	/* Too long is not "absent": 15 characters fit in 16 bytes, 16 do not. */
	TAP_EXPECT(cmdline_get("a=0123456789abcde", "a", v, sizeof(v)) == 0);
	TAP_EXPECT(cmdline_get("a=0123456789abcdef", "a", v, sizeof(v)) == -E2BIG);
	TAP_EXPECT(v[0] == '\0');
	TAP_EXPECT(cmdline_get("a=0123456789abcdefXYZ a=1", "a", v, sizeof(v)) == 0);
	TAP_EXPECT(cmdline_get("a=1 a=0123456789abcdefXYZ", "a", v, sizeof(v)) == -E2BIG);
}

TAP_TEST(error_names)
{
	TAP_EXPECT(strcmp(error_name(-ENOMEM), "out of memory") == 0);
	TAP_EXPECT(strcmp(error_name(EOVERFLOW), error_name(-EOVERFLOW)) == 0);
	TAP_EXPECT(strcmp(error_name(12345), "unknown error") == 0);
}

TAP_MAIN()

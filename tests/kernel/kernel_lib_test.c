/*
 * The kernel library on the real target: formatting, string functions and
 * command-line parsing must behave the same under the cross compiler.
 */
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "kernel/string.h"

KTEST(kernel_lib, snprintf_formats)
{
	char buf[64];

	ksnprintf(buf, sizeof(buf), "%d|%5u|%-3x|%#lx|%s|%c", -7, 42u, 0xau,
		  0xffffffff80200000ul, "ok", '!');
	KT_EXPECT_STREQ(buf, "-7|   42|a  |0xffffffff80200000|ok|!");
	KT_EXPECT_EQ(ksnprintf(buf, 4, "%s", "truncated"), 9);
	KT_EXPECT_STREQ(buf, "tru");
}

KTEST(kernel_lib, memory_functions)
{
	static char a[32], b[32];

	memset(a, 0x5a, sizeof(a));
	KT_EXPECT_EQ(a[31], 0x5a);
	memcpy(b, a, sizeof(b));
	KT_EXPECT_EQ(memcmp(a, b, sizeof(a)), 0);
	memcpy(a, "abcdef", 6);
	memmove(a + 2, a, 6);           /* overlapping, dst above src */
	KT_EXPECT_EQ(memcmp(a, "ababcdef", 8), 0);
	memmove(a, a + 2, 6);           /* overlapping, dst below src */
	KT_EXPECT_EQ(memcmp(a, "abcdefef", 8), 0);
	KT_EXPECT_EQ(strlen("duet"), 4);
	KT_EXPECT_TRUE(strcmp("a", "b") < 0);
	KT_EXPECT_TRUE(strstr("page allocator", "alloc") != NULL);
}

KTEST(kernel_lib, glob_and_cmdline)
{
	char v[16];

	KT_EXPECT_TRUE(glob_match("bit*", "bitmap"));
	KT_EXPECT_FALSE(glob_match("bit", "bitmap"));
	KT_EXPECT_EQ(cmdline_get("pmm=freelist test=a,b", "test", v, sizeof(v)), 0);
	KT_EXPECT_STREQ(v, "a,b");
	KT_EXPECT_EQ(cmdline_get("pmm=freelist", "test", v, sizeof(v)), -ENOENT);
	KT_EXPECT_EQ(cmdline_get("pmm=0123456789abcdef", "pmm", v, sizeof(v)),
		     -E2BIG);
}

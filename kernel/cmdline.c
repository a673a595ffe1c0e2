/* Parsing the kernel command line: space-separated "key=value" words. */
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/string.h"

static const char *skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static size_t word_length(const char *s)
{
	size_t n = 0;

	while (s[n] && s[n] != ' ' && s[n] != '\t')
		n++;
	return n;
}

int cmdline_get(const char *cmdline, const char *key, char *out,
		size_t out_size)
{
	size_t key_len = strlen(key);
	int found = -ENOENT;

	/* The last occurrence wins, as on Linux. */
	for (const char *w = skip_spaces(cmdline); *w; w = skip_spaces(w)) {
		size_t n = word_length(w);
		if (n >= key_len && strncmp(w, key, key_len) == 0 &&
		    (n == key_len || w[key_len] == '=')) {
			size_t vlen = n == key_len ? 0 : n - key_len - 1;
			if (vlen + 1 > out_size) {
				if (out_size > 0)
					out[0] = '\0';
				found = -E2BIG;
			} else {
				memcpy(out, w + n - vlen, vlen);
				out[vlen] = '\0';
				found = 0;
			}
		}
		w += n;
	}
	return found;
}

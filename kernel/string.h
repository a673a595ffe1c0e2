/*
 * The handful of C string and memory functions the kernel needs. GCC may
 * emit calls to memset/memcpy/memmove/memcmp even in freestanding code, so
 * these must exist with exactly the standard names and behaviour.
 */
#ifndef DUET_STRING_H
#define DUET_STRING_H

#include "kernel/types.h"

void  *memset(void *dst, int c, size_t n);
void  *memcpy(void *dst, const void *src, size_t n);
void  *memmove(void *dst, const void *src, size_t n);
int    memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int    strcmp(const char *a, const char *b);
int    strncmp(const char *a, const char *b, size_t n);
char  *strchr(const char *s, int c);
char  *strstr(const char *haystack, const char *needle);
/* Copy src into dst (size bytes), always NUL-terminated; returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);

/* Shell-style pattern match: '*' any run, '?' any one character. */
bool glob_match(const char *pattern, const char *text);

/* Parse an unsigned number (decimal, 0x hex) with optional K/M/G suffix.
 * Returns false if s is not entirely such a number or overflows. */
bool parse_size(const char *s, uint64_t *out);

#endif

/*
 * Formatted output: kprintf() writes to the console.
 *
 * Supported: %d %i %u %x %X %o %p %s %c %% with the length modifiers
 * l, ll and z, a field width, '0' padding and '-' left alignment.
 */
#ifndef DUET_PRINTF_H
#define DUET_PRINTF_H

#include <stdarg.h>
#include "kernel/types.h"

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

int kprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
int kvprintf(const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* Write a string with no formatting. */
void kputs(const char *s);

#endif

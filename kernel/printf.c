/*
 * kprintf and friends: a small printf that formats into a sink. The
 * console sink writes each character with arch_putc(); the buffer sink
 * writes into a caller's array and always NUL-terminates.
 */
#include "kernel/arch.h"
#include "kernel/printf.h"
#include "kernel/spinlock.h"

struct sink {
	void (*put)(struct sink *s, char c);
	char *buf;
	size_t size;
	size_t len;     /* characters produced, even those that did not fit */
};

static void put_console(struct sink *s, char c)
{
	if (c == '\n')
		arch_putc('\r');
	arch_putc(c);
	s->len++;
}

static void put_buffer(struct sink *s, char c)
{
	if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

struct spec {
	bool left;      /* '-': pad on the right */
	bool zero;      /* '0': pad with zeros */
	bool alt;       /* '#': 0x prefix for %x */
	int width;
	int longs;      /* 0 int, 1 long, 2 long long (z counts as 1) */
};

static void pad(struct sink *s, char c, int n)
{
	while (n-- > 0)
		s->put(s, c);
}

/* Emit text (length n) padded to the field width. */
static void emit(struct sink *s, const struct spec *sp, const char *prefix,
		 const char *text, int n)
{
	int plen = 0;

	while (prefix[plen])
		plen++;
	int fill = sp->width - n - plen;
	if (!sp->left && !sp->zero)
		pad(s, ' ', fill);
	for (int i = 0; i < plen; i++)
		s->put(s, prefix[i]);
	if (!sp->left && sp->zero)
		pad(s, '0', fill);
	for (int i = 0; i < n; i++)
		s->put(s, text[i]);
	if (sp->left)
		pad(s, ' ', fill);
}

static void emit_number(struct sink *s, const struct spec *sp, uint64_t v,
			unsigned base, bool negative, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = sizeof(tmp);

	do {
		tmp[--n] = digits[v % base];
		v /= base;
	} while (v);
	const char *prefix = negative ? "-" : (sp->alt && base == 16) ? "0x" : "";
	emit(s, sp, prefix, tmp + n, (int)sizeof(tmp) - n);
}

static uint64_t fetch_unsigned(va_list *ap, int longs)
{
	if (longs == 2)
		return va_arg(*ap, unsigned long long);
	if (longs == 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static int64_t fetch_signed(va_list *ap, int longs)
{
	if (longs == 2)
		return va_arg(*ap, long long);
	if (longs == 1)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

/* Parse flags, width and length of one conversion; returns the conversion
 * character's position. */
static const char *parse_spec(const char *f, struct spec *sp)
{
	*sp = (struct spec){ 0 };
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else if (*f == '#')
			sp->alt = true;
		else
			break;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	while (*f == 'l' || *f == 'z') {
		sp->longs++;
		f++;
	}
	if (sp->longs > 2)
		sp->longs = 2;
	return f;
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
	va_list args;

	va_copy(args, ap);
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			s->put(s, *f);
			continue;
		}
		struct spec sp;
		f = parse_spec(f + 1, &sp);
		switch (*f) {
		case 'd':
		case 'i': {
			int64_t v = fetch_signed(&args, sp.longs);
			emit_number(s, &sp, v < 0 ? -(uint64_t)v : (uint64_t)v,
				    10, v < 0, false);
			break;
		}
		case 'u':
			emit_number(s, &sp, fetch_unsigned(&args, sp.longs), 10,
				    false, false);
			break;
		case 'x':
		case 'X':
			emit_number(s, &sp, fetch_unsigned(&args, sp.longs), 16,
				    false, *f == 'X');
			break;
		case 'o':
			emit_number(s, &sp, fetch_unsigned(&args, sp.longs), 8,
				    false, false);
			break;
		case 'p':
			sp.alt = true;
			emit_number(s, &sp, (uintptr_t)va_arg(args, void *), 16,
				    false, false);
			break;
		case 'c': {
			char c = (char)va_arg(args, int);
			emit(s, &sp, "", &c, 1);
			break;
		}
		case 's': {
			const char *str = va_arg(args, const char *);
			int n = 0;
			if (!str)
				str = "(null)";
			while (str[n])
				n++;
			emit(s, &sp, "", str, n);
			break;
		}
		case '%':
			s->put(s, '%');
			break;
		case '\0':      /* format ends in a lone '%' */
			f--;
			break;
		default:        /* unknown: print it as it is */
			s->put(s, '%');
			s->put(s, *f);
			break;
		}
	}
	va_end(args);
}

/* One lock so lines from different CPUs do not interleave mid-line. */
static struct spinlock console_lock = SPINLOCK_INIT("console");

int kvprintf(const char *fmt, va_list ap)
{
	struct sink s = { .put = put_console };

	spin_lock(&console_lock);
	format(&s, fmt, ap);
	spin_unlock(&console_lock);
	return (int)s.len;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { .put = put_buffer, .buf = buf, .size = size };

	format(&s, fmt, ap);
	if (size)
		buf[s.len < size ? s.len : size - 1] = '\0';
	return (int)s.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void kputs(const char *s)
{
	kprintf("%s", s);
}

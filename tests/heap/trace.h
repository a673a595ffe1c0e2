/*
 * Reading a heap trace (the format is in tests/heap/README.md), in its
 * text form or the packed binary form of tests/heap/pack_traces.py:
 *
 *   # comment lines first
 *   trace random 9123 20000     name, number of ids, number of operations
 *   a 0 123                     allocate 123 bytes as block 0
 *   r 0 456                     resize block 0 to 456 bytes
 *   f 0                         free block 0
 *
 *   struct trace t;
 *   struct trace_op op;
 *   if (!trace_open(&t, text, len))
 *           ... not a trace
 *   while (trace_next(&t, &op))
 *           ... op.kind is 'a', 'r' or 'f'
 *   if (!trace_done(&t))
 *           ... a malformed line at t.next
 *
 * Freestanding and header-only: the kernel's trace test and the host
 * benchmark both include it.
 */
#ifndef DUET_TESTS_HEAP_TRACE_H
#define DUET_TESTS_HEAP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trace {
	char name[32];
	uint32_t nids, nops;
	const char *next, *end;         /* what is left to read */
	bool packed;                    /* the binary form (pack_traces.py) */
	uint32_t next_new_id;           /* packed: the id the next 'a' gets */
};

struct trace_op {
	char kind;                      /* 'a', 'r' or 'f' */
	uint32_t id;                    /* < nids */
	uint64_t size;                  /* for 'a' and 'r' */
};

static inline void trace_skip_blanks(struct trace *t)
{
	while (t->next < t->end && (*t->next == ' ' || *t->next == '\t'))
		t->next++;
}

/* Skip to the start of the next line. */
static inline void trace_skip_line(struct trace *t)
{
	while (t->next < t->end && *t->next++ != '\n')
		;
}

/* A decimal number (after blanks); false if there is none. */
static inline bool trace_number(struct trace *t, uint64_t *out)
{
	const char *start;

	trace_skip_blanks(t);
	start = t->next;
	*out = 0;
	while (t->next < t->end && *t->next >= '0' && *t->next <= '9' &&
	       *out < UINT64_MAX / 10 - 9)
		*out = *out * 10 + (uint64_t)(*t->next++ - '0');
	return t->next > start;
}

/* The end of a line: blanks then a newline, or the end of the text. */
static inline bool trace_end_of_line(struct trace *t)
{
	trace_skip_blanks(t);
	if (t->next == t->end)
		return true;
	return *t->next++ == '\n';
}

/* ---- The packed form (tests/heap/pack_traces.py says how it is laid out) */

/* A varint: 7 bits a byte, low bits first; false if it runs off the end
 * or does not fit in 64 bits. */
static inline bool trace_varint(struct trace *t, uint64_t *out)
{
	*out = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (t->next >= t->end)
			return false;
		uint8_t byte = (uint8_t)*t->next++;
		*out |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return true;
	}
	return false;
}

static inline bool trace_open_packed(struct trace *t)
{
	uint64_t nids, nops;
	size_t n = 0;

	t->next += 4;                   /* the magic */
	while (t->next < t->end && *t->next && n + 1 < sizeof(t->name))
		t->name[n++] = *t->next++;
	t->name[n] = '\0';
	if (t->next >= t->end || *t->next++ != '\0' ||
	    !trace_varint(t, &nids) || !trace_varint(t, &nops) ||
	    nids > UINT32_MAX || nops > UINT32_MAX)
		return false;
	t->nids = (uint32_t)nids;
	t->nops = (uint32_t)nops;
	t->packed = true;
	return n > 0;
}

static inline bool trace_next_packed(struct trace *t, struct trace_op *op)
{
	const char *start = t->next;
	uint64_t v, id;

	if (t->next >= t->end || !trace_varint(t, &v))
		goto malformed;
	op->size = v >> 2;
	switch (v & 3) {
	case 0:                         /* allocate as the next new id */
		op->kind = 'a';
		id = t->next_new_id;
		break;
	case 1:                         /* resize */
		op->kind = 'r';
		if (!trace_varint(t, &id))
			goto malformed;
		break;
	case 2:                         /* free */
		op->kind = 'f';
		id = op->size;
		op->size = 0;
		break;
	default:                        /* allocate as a given id */
		op->kind = 'a';
		if (!trace_varint(t, &id))
			goto malformed;
		break;
	}
	if (id >= t->nids)
		goto malformed;
	op->id = (uint32_t)id;
	if (op->kind == 'a' && op->id >= t->next_new_id)
		t->next_new_id = op->id + 1;
	return true;
malformed:
	t->next = start;                /* trace_done() says false */
	return false;
}

/* ---- Either form ---------------------------------------------------------- */

static inline bool trace_open(struct trace *t, const char *text, size_t len)
{
	static const char keyword[] = "trace ";
	uint64_t nids, nops;
	size_t n = 0;

	*t = (struct trace){ .next = text, .end = text + len };
	if (len >= 4 && text[0] == 'D' && text[1] == 'T' && text[2] == 'P' &&
	    text[3] == '1')
		return trace_open_packed(t);
	while (t->next < t->end && *t->next == '#')
		trace_skip_line(t);
	for (size_t i = 0; i < sizeof(keyword) - 1; i++)
		if (t->next >= t->end || *t->next++ != keyword[i])
			return false;
	while (t->next < t->end && *t->next != ' ' &&
	       n + 1 < sizeof(t->name))
		t->name[n++] = *t->next++;
	t->name[n] = '\0';
	if (!trace_number(t, &nids) || !trace_number(t, &nops) ||
	    !trace_end_of_line(t) || nids > UINT32_MAX || nops > UINT32_MAX)
		return false;
	t->nids = (uint32_t)nids;
	t->nops = (uint32_t)nops;
	return n > 0;
}

/* The next operation, or false at the end or at a malformed line. */
static inline bool trace_next(struct trace *t, struct trace_op *op)
{
	const char *line = t->next;
	uint64_t id;

	if (t->next >= t->end)
		return false;
	if (t->packed)
		return trace_next_packed(t, op);
	op->kind = *t->next++;
	op->size = 0;
	if ((op->kind != 'a' && op->kind != 'r' && op->kind != 'f') ||
	    !trace_number(t, &id) || id >= t->nids ||
	    (op->kind != 'f' && !trace_number(t, &op->size)) ||
	    !trace_end_of_line(t)) {
		t->next = line;         /* trace_done() says false */
		return false;
	}
	op->id = (uint32_t)id;
	return true;
}

/* After trace_next() returned false: was the whole trace read? */
static inline bool trace_done(const struct trace *t)
{
	return t->next >= t->end;
}

#endif

/*
 * make bench, the heap's part: the traces of tests/heap/traces/ replayed
 * on three heaps in the same run.
 *
 *   duet    mm/heap*.c, the kernel's own heap, on the bitmap page
 *           allocator over host memory (the same sources as the kernel)
 *   glibc   malloc, realloc, free
 *   naive   tests/bench/naive_heap.c: one implicit list, first fit from
 *           the start, merging only when nothing fits
 *
 * For each trace and heap, throughput: operations (alloc, realloc, free)
 * per second, from the median of several timed replays after an untimed
 * warm-up. The blocks are never written, so this is the allocators' own
 * cost; for duet it includes filling freed memory with poison and
 * checking the poison when the memory is handed out again.
 *
 * And utilisation: peak live payload (the sizes the trace asked for) over
 * the peak memory the heap obtained -- pages from the page allocator for
 * duet, the arena's high-water mark for naive. glibc does not say.
 *
 *   build/bench/heap_bench TRACE...
 *
 * Built natively with -O2 and no sanitizers (see the Makefile's bench
 * section).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "kernel/arch.h"
#include "mm/heap.h"
#include "mm/memmap.h"
#include "mm/page_alloc.h"
#include "tests/bench/naive_heap.h"
#include "tests/heap/trace.h"
#include "tests/host/host.h"
#include "tests/host/tap.h"

/* host_arch.c carries the unit tests' TAP runner too: define its tables. */
struct tap_test tap_tests[TAP_MAX_TESTS];
int tap_ntests;
int tap_current_failed;

#define RAM_BASE    0x80000000ULL
#define RAM_SIZE    (128 * MiB)
#define NAIVE_SIZE  ((size_t)1 << 30)
#define MIN_REPS    5
#define MAX_REPS    101
#define MIN_SECONDS 0.3

/* ---- The traces ---------------------------------------------------------- */

struct loaded {
	struct trace t;
	struct trace_op *ops;
	void **ptr;                     /* per id */
	uint64_t *size;                 /* per id */
};

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || !(text = malloc((size_t)n + 1)) ||
	    fread(text, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)n;
	return text;
}

static void load(const char *path, struct loaded *l)
{
	size_t len, n = 0;
	char *text = read_file(path, &len);

	if (!trace_open(&l->t, text, len)) {
		fprintf(stderr, "%s: not a heap trace\n", path);
		exit(1);
	}
	l->ops = calloc(l->t.nops, sizeof(*l->ops));
	l->ptr = calloc(l->t.nids, sizeof(*l->ptr));
	l->size = calloc(l->t.nids, sizeof(*l->size));
	while (n < l->t.nops && trace_next(&l->t, &l->ops[n]))
		n++;
	if (n != l->t.nops || !trace_done(&l->t)) {
		fprintf(stderr, "%s: malformed at operation %zu\n", path, n);
		exit(1);
	}
}

/* ---- The heaps ----------------------------------------------------------- */

struct heap_ops {
	const char *name;
	void (*start)(void);
	void *(*alloc)(size_t n);
	void *(*resize)(void *p, size_t n);
	void (*release)(void *p);
	uint64_t (*peak_bytes)(void);   /* 0: unknown */
};

static struct heap duet;

static void duet_start(void)
{
	heap_init(&duet, "bench");
}

static void *duet_alloc(size_t n)
{
	return heap_alloc(&duet, n);
}

static void *duet_resize(void *p, size_t n)
{
	return heap_realloc(&duet, p, n);
}

static void duet_release(void *p)
{
	heap_free(&duet, p);
}

static uint64_t duet_peak(void)
{
	if (duet.pages != 0) {
		fprintf(stderr, "heap_bench: duet kept %lu pages after a "
			"trace freed everything\n", (unsigned long)duet.pages);
		exit(1);
	}
	return duet.peak_pages * PAGE_SIZE;
}

static void glibc_start(void)
{
}

static uint64_t glibc_peak(void)
{
	return 0;
}

static void *naive_arena;

static void naive_start(void)
{
	naive_init(naive_arena, NAIVE_SIZE);
}

static uint64_t naive_peak(void)
{
	return naive_peak_size();
}

static const struct heap_ops heaps[] = {
	{ "duet", duet_start, duet_alloc, duet_resize, duet_release,
	  duet_peak },
	{ "glibc", glibc_start, malloc, realloc, free, glibc_peak },
	{ "naive", naive_start, naive_malloc, naive_realloc, naive_free,
	  naive_peak },
};
#define NHEAPS (sizeof(heaps) / sizeof(heaps[0]))

/* ---- Replaying ----------------------------------------------------------- */

/* Run the whole trace on h; returns the peak live payload in bytes. */
static uint64_t replay(struct loaded *l, const struct heap_ops *h)
{
	uint64_t live = 0, peak = 0;

	h->start();
	for (uint32_t i = 0; i < l->t.nops; i++) {
		const struct trace_op *op = &l->ops[i];
		void **p = &l->ptr[op->id];
		live -= l->size[op->id];
		if (op->kind == 'f') {
			h->release(*p);
			l->size[op->id] = 0;
			continue;
		}
		*p = op->kind == 'a' ? h->alloc(op->size) :
				       h->resize(*p, op->size);
		if (!*p) {
			fprintf(stderr, "heap_bench: %s: %s: out of memory at "
				"operation %u\n", l->t.name, h->name, i);
			exit(1);
		}
		l->size[op->id] = op->size;
		live += op->size;
		peak = live > peak ? live : peak;
	}
	return peak;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median seconds per replay of l on h. */
static double time_replays(struct loaded *l, const struct heap_ops *h)
{
	static double t[MAX_REPS];
	double total = 0;
	int n = 0;

	replay(l, h);                   /* warm up */
	while (n < MIN_REPS || (total < MIN_SECONDS && n < MAX_REPS)) {
		double t0 = now();
		replay(l, h);
		t[n] = now() - t0;
		total += t[n++];
	}
	qsort(t, (size_t)n, sizeof(t[0]), by_value);
	return t[n / 2];
}

/* ---- The report ---------------------------------------------------------- */

struct result {
	double seconds[NHEAPS];
	double util[NHEAPS];            /* < 0: unknown */
};

static void measure(struct loaded *l, struct result *r)
{
	for (unsigned k = 0; k < NHEAPS; k++) {
		uint64_t payload = replay(l, &heaps[k]);
		uint64_t obtained = heaps[k].peak_bytes();
		r->util[k] = obtained ? (double)payload / (double)obtained : -1;
		r->seconds[k] = time_replays(l, &heaps[k]);
	}
}

static void print_header(void)
{
	printf("heap bench: the median of at least %d replays of each trace\n",
	       MIN_REPS);
	printf("%15s%s %s %s\n", "", "---------- Mops/s -----------",
	       "-- utilisation --", "--- duet speed ----");
	printf("%-8s %5s %9s %9s %9s %8s %8s %9s %9s\n", "trace", "ops",
	       "duet", "glibc", "naive", "duet", "naive", "vs glibc",
	       "vs naive");
}

static void print_row(const char *name, double ops, const double *seconds,
		      const double *util)
{
	printf("%-8s %5.0f", name, ops);
	for (unsigned k = 0; k < NHEAPS; k++)
		printf(" %9.2f", ops / seconds[k] / 1e6);
	for (unsigned k = 0; k < NHEAPS; k++)
		if (util[k] >= 0)
			printf(" %8.3f", util[k]);
	printf(" %8.2fx %8.1fx\n", seconds[1] / seconds[0],
	       seconds[2] / seconds[0]);
}

static void target(const char *what, double value, double goal)
{
	printf("target: %s: %.2f %s\n", what, value,
	       value >= goal ? "met" : "MISSED");
}

static void boot_host_machine(void)
{
	static struct memmap map;

	/* Touch all of it now: the first touch of a page costs the host
	 * kernel far more than anything the heap does, and the kernel's
	 * heap never pays it. */
	memset(host_ram_init(RAM_BASE, RAM_SIZE), 0, RAM_SIZE);
	memmap_init(&map);
	memmap_add_ram(&map, RAM_BASE, RAM_SIZE);
	memmap_finalize(&map);
	pmm_init(&map, "bitmap");
	naive_arena = mmap(NULL, NAIVE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (naive_arena == MAP_FAILED) {
		perror("heap_bench: mmap");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	double ops_all = 0, seconds_all[NHEAPS] = { 0 };
	double util_sum[NHEAPS] = { 0 };

	if (argc < 2) {
		fprintf(stderr, "usage: %s TRACE...\n", argv[0]);
		return 2;
	}
	boot_host_machine();
	print_header();
	for (int i = 1; i < argc; i++) {
		struct loaded l;
		struct result r;
		load(argv[i], &l);
		measure(&l, &r);
		print_row(l.t.name, l.t.nops, r.seconds, r.util);
		ops_all += l.t.nops;
		for (unsigned k = 0; k < NHEAPS; k++) {
			seconds_all[k] += r.seconds[k];
			util_sum[k] += r.util[k];
		}
	}
	for (unsigned k = 0; k < NHEAPS; k++)
		util_sum[k] = util_sum[k] < 0 ? -1 : util_sum[k] / (argc - 1);
	print_row("all", ops_all, seconds_all, util_sum);
	printf("(all: total operations / total time; average utilisation)\n");
	target("heap utilisation >= 0.80 on average", util_sum[0], 0.80);
	target("heap speed >= 0.5x glibc over all traces",
	       seconds_all[1] / seconds_all[0], 0.5);
	return 0;
}

/*
 * The page allocator model. See page_model.h for the rules it checks.
 */
#include <stdio.h>
#include <string.h>

#include "kernel/arch.h"
#include "tests/fuzz/page_model.h"

struct page_model pm;

static const char *const state_names[] = {
	"not managed", "free", "owned", "reserved", "a tracked block",
};

/* Written into every owned page; a change means someone else wrote. */
#define FINGERPRINT 0xf1f0f1f0deadbeefULL

static uint64_t *page_words(paddr_t pa)
{
	return phys_to_virt(pa);
}

static void fingerprint(paddr_t pa)
{
	uint64_t *w = page_words(pa);

	w[1] = pa ^ FINGERPRINT;
	w[PAGE_SIZE / 8 - 1] = ~pa ^ FINGERPRINT;
}

static void check_fingerprint(paddr_t pa)
{
	const uint64_t *w = page_words(pa);

	FUZZ_CHECK(w[1] == (pa ^ FINGERPRINT) &&
		   w[PAGE_SIZE / 8 - 1] == (~pa ^ FINGERPRINT),
		   "page %#lx was written by someone else while allocated",
		   (unsigned long)pa);
}

static void check_zeroed(paddr_t pa)
{
	const uint64_t *w = page_words(pa);

	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		FUZZ_CHECK(w[i] == 0, "page %#lx handed out with word %u = "
			   "%#lx, not zeroed", (unsigned long)pa, i,
			   (unsigned long)w[i]);
}

void pm_start(const char *name, const struct page_alloc_ops *ops, void *self,
	      struct spinlock *lock, paddr_t stop)
{
	pm.name = name;
	pm.ops = ops;
	pm.self = self;
	pm.lock = lock;
	pm.total = 0;
	memset(pm.runs, 0, sizeof(pm.runs));
	pm.next_run = 0;
	pm.can_fail = NULL;
	pm.expect_zeroed = false;
	pm.predict = NULL;
	for (unsigned p = 0; p < machine.npages; p++) {
		bool managed = machine.usable[p] && machine_pa(p) >= stop;
		pm.state[p] = managed ? PG_FREE : PG_UNMANAGED;
		pm.total += managed;
	}
	pm.free = pm.total;
	fuzz_trace("%s: %lu pages managed from %#lx", name,
		   (unsigned long)pm.total, (unsigned long)stop);
	pm_check();
}

void pm_check(void)
{
	uint64_t free = pm.ops->free_pages(pm.self);
	uint64_t total = pm.ops->total_pages(pm.self);

	FUZZ_CHECK(free == pm.free, "%s: free_pages() says %lu, model %lu",
		   pm.name, (unsigned long)free, (unsigned long)pm.free);
	FUZZ_CHECK(total == pm.total, "%s: total_pages() says %lu, model %lu",
		   pm.name, (unsigned long)total, (unsigned long)pm.total);
	FUZZ_CHECK(!spin_is_locked(pm.lock), "%s: lock left locked", pm.name);
	fuzz_check_no_locks();
}

/*
 * A call fn(a, b) must panic exactly when expected, with a message that
 * starts "<allocator><fn>: ". Formats the call's name only to fail: this
 * runs for every operation.
 */
static void expect(bool panicked, bool expected, const char *fn, uint64_t a,
		   uint64_t b)
{
	size_t len = strlen(pm.name);
	const char *m = host_panic_message;
	char what[96], text[48];

	if (panicked == expected && (!panicked ||
	    (strncmp(m, pm.name, len) == 0 && strncmp(m + len, fn, strlen(fn))
	     == 0 && strncmp(m + len + strlen(fn), ": ", 2) == 0))) {
		fuzz_check_no_locks();
		return;
	}
	snprintf(what, sizeof(what), "%s%s(%#lx, %#lx)", pm.name, fn,
		 (unsigned long)a, (unsigned long)b);
	snprintf(text, sizeof(text), "%s%s: ", pm.name, fn);
	fuzz_expect(panicked, expected, text, what);
	fuzz_fail("%s: panic message \"%s\" does not start with \"%s\"",
		  what, m, text);
}

/* ---- Allocating ---------------------------------------------------------- */

bool pm_run_exists(uint64_t npages, uint64_t align_pages)
{
	uint64_t run = 0;       /* free pages from p on */

	/* Walk down, so run counts the free pages starting at p. */
	for (unsigned p = machine.npages; p-- > 0;) {
		run = pm.state[p] == PG_FREE ? run + 1 : 0;
		if (run >= npages && machine_pa(p) / PAGE_SIZE % align_pages == 0)
			return true;
	}
	return false;
}

paddr_t pm_alloc(uint64_t npages, uint64_t align_pages)
{
	bool bad = npages == 0 || !IS_POWER_OF_2(align_pages) ||
		   align_pages > (UINT64_MAX >> PAGE_SHIFT);
	paddr_t predicted = PREDICT_ANY, pa = PHYS_NONE;
	bool panicked;

	if (!bad && pm.predict)
		predicted = pm.predict(npages, align_pages);
	fuzz_trace("%s_alloc(%#lx, %#lx)%s", pm.name, (unsigned long)npages,
		   (unsigned long)align_pages, bad ? ": must panic" : "");
	panicked = PANICKED(pa = pm.ops->alloc(pm.self, npages, align_pages));
	expect(panicked, bad, "_alloc", npages, align_pages);
	if (bad || pa == PHYS_NONE) {
		FUZZ_CHECK(bad || predicted == PREDICT_ANY ||
			   predicted == PHYS_NONE,
			   "%s: alloc(%lu, %lu) failed, expected %#lx", pm.name,
			   (unsigned long)npages, (unsigned long)align_pages,
			   (unsigned long)predicted);
		FUZZ_CHECK(bad || !pm.can_fail ||
			   pm.can_fail(npages, align_pages),
			   "%s: alloc(%lu, %lu) failed, but a free run fits",
			   pm.name, (unsigned long)npages,
			   (unsigned long)align_pages);
		fuzz_trace("  -> PHYS_NONE");
		pm_check();
		return PHYS_NONE;
	}
	fuzz_trace("  -> %#lx", (unsigned long)pa);

	long first = machine_page(pa);
	FUZZ_CHECK(predicted == PREDICT_ANY || pa == predicted,
		   "%s: alloc(%lu, %lu) gave %#lx, expected %#lx", pm.name,
		   (unsigned long)npages, (unsigned long)align_pages,
		   (unsigned long)pa, (unsigned long)predicted);
	FUZZ_CHECK(pa % (align_pages * PAGE_SIZE) == 0,
		   "%s: %#lx is not aligned to %lu pages", pm.name,
		   (unsigned long)pa, (unsigned long)align_pages);
	FUZZ_CHECK(first >= 0 && npages <= (uint64_t)(machine.npages - first),
		   "%s: alloc(%lu) gave %#lx, outside the machine", pm.name,
		   (unsigned long)npages, (unsigned long)pa);
	for (uint64_t k = 0; k < npages; k++) {
		uint8_t *s = &pm.state[first + k];
		FUZZ_CHECK(*s == PG_FREE, "%s: handed out page %#lx, which is "
			   "%s", pm.name, (unsigned long)(pa + k * PAGE_SIZE),
			   state_names[*s]);
		*s = PG_OWNED;
		if (pm.expect_zeroed)
			check_zeroed(pa + k * PAGE_SIZE);
		fingerprint(pa + k * PAGE_SIZE);
	}
	pm.free -= npages;
	pm.runs[pm.next_run++ % NRUNS].pa = pa;
	pm.runs[(pm.next_run - 1) % NRUNS].n = npages;
	pm_check();
	return pa;
}

/* ---- Freeing ------------------------------------------------------------- */

/* May [pa, +npages) be freed: all pages in the window and owned? */
static bool owned(paddr_t pa, uint64_t npages)
{
	long first = machine_page(pa);

	if (npages == 0 || first < 0 || npages > (uint64_t)(machine.npages - first))
		return false;
	for (uint64_t k = 0; k < npages; k++)
		if (pm.state[first + k] != PG_OWNED)
			return false;
	return true;
}

/* Does [pa, +npages) hold a page taken out with bitmap_reserve(), or
 * one of a block the target tracks itself? */
static bool holds_reserved(paddr_t pa, uint64_t npages)
{
	long first = machine_page(pa);

	for (uint64_t k = 0; first >= 0 && k < npages &&
	     first + k < machine.npages; k++)
		if (pm.state[first + k] == PG_RESERVED ||
		    pm.state[first + k] == PG_BLOCK)
			return true;
	return false;
}

void pm_free(paddr_t pa, uint64_t npages)
{
	bool valid = owned(pa, npages);
	long first = machine_page(pa);
	bool panicked;

	/* One bit cannot tell reserved from allocated (mm/bitmap.h): such
	 * a free has no defined reaction, so the model never makes one.
	 * Tracked blocks are the target's to free. */
	if (holds_reserved(pa, npages))
		return;

	fuzz_trace("%s_free(%#lx, %#lx)%s", pm.name, (unsigned long)pa,
		   (unsigned long)npages, valid ? "" : ": must panic");
	if (valid)
		for (uint64_t k = 0; k < npages; k++)
			check_fingerprint(pa + k * PAGE_SIZE);
	panicked = PANICKED(pm.ops->free(pm.self, pa, npages));
	expect(panicked, !valid, "_free", pa, npages);
	if (valid) {
		for (uint64_t k = 0; k < npages; k++)
			pm.state[first + k] = PG_FREE;
		pm.free += npages;
	}
	pm_check();     /* a bad free must change nothing */
}

/* ---- The operation stream ----------------------------------------------- */

void pm_decode_request(struct input *in, uint64_t *npages,
		       uint64_t *align_pages)
{
	uint8_t n = take8(in), a = take8(in);

	switch (n >> 5) {
	case 5:
		*npages = 1 + take8(in);        /* up to the whole machine */
		break;
	case 6:
		*npages = n & 1 ? 0 : UINT64_MAX - (n & 15);
		break;
	case 7:
		*npages = take64(in);
		break;
	default:
		*npages = 1 + (n & 7);
	}
	if (a < 128)
		*align_pages = (uint64_t)1 << (a % 4);
	else if (a < 192)
		*align_pages = (uint64_t)1 << (a % 8);
	else if (a < 224)
		*align_pages = (uint64_t)1 << (a & 63);         /* to 2^63 */
	else
		*align_pages = take64(in);      /* 0, not a power of two... */
}

/* Pick something to free: part of a recent allocation (often already
 * freed: a double free), any page of the window, an unaligned address,
 * or anything at all. */
static void decode_free(struct input *in, paddr_t *pa, uint64_t *npages)
{
	uint8_t how = take8(in);
	unsigned r = take8(in) % NRUNS;
	paddr_t run = pm.runs[r].pa;
	uint64_t n = pm.runs[r].n;

	if (n == 0) {                   /* an empty slot: page 0 instead */
		run = machine_pa(0);
		n = 1;
	}
	switch (how % 8) {
	case 4:
		*pa = machine_pa(take16(in) % machine.npages);
		*npages = 1 + take8(in) % 4;
		break;
	case 5:
		*pa = run + 1 + take16(in) % (PAGE_SIZE - 1);
		*npages = 1;
		break;
	case 6:
		*pa = take64(in);
		*npages = take64(in);
		break;
	case 7:
		*pa = run;
		*npages = n + 1 + take64(in) % 4 * (UINT64_MAX / 4);
		break;
	default: {
		uint64_t off = take8(in) % n;
		*pa = run + off * PAGE_SIZE;
		*npages = 1 + take8(in) % (n - off);
	}
	}
}

void pm_step(uint8_t op, struct input *in)
{
	uint64_t a, b;

	if (op % 2 == 0) {
		pm_decode_request(in, &a, &b);
		pm_alloc(a, b);
	} else {
		decode_free(in, &a, &b);
		pm_free(a, b);
	}
}

/* ---- The end ------------------------------------------------------------- */

void pm_finish(void)
{
	uint64_t drained = 0;

	for (unsigned p = 0; p < machine.npages;) {
		unsigned q = p;
		while (q < machine.npages && pm.state[q] == PG_OWNED)
			q++;
		if (q > p)
			pm_free(machine_pa(p), q - p);
		p = q + (q == p);
	}
	FUZZ_CHECK(pm.free == pm.total);
	while (pm_alloc(1, 1) != PHYS_NONE)
		drained++;
	FUZZ_CHECK(pm.free == 0, "%s: %lu free page(s) lost: single-page "
		   "allocations stopped after %lu of %lu", pm.name,
		   (unsigned long)pm.free, (unsigned long)drained,
		   (unsigned long)pm.total);
}

/*
 * Fuzz target: the buddy allocator (mm/buddy.c, frame.c, pcp.c).
 *
 * Input: a machine (machine.h), then an operation stream: the page model's
 * (page_model.h: runs of pages through the page_alloc interface, valid
 * and not), plus whole blocks through the buddy's own interface, which
 * the model tracks with their order and reference count:
 *   - buddy_alloc_order(k): a free block of 2^k pages aligned to its size
 *     (k > BUDDY_MAX_ORDER must panic);
 *   - frame_get / frame_put: the block is freed when its last reference
 *     goes;
 *   - buddy_free_order: valid only with the block's order, by its only
 *     holder; else it must panic: order mismatch, shared, not the head of
 *     a block, and (right after the block went back) double free;
 *   - buddy_free of a page of a shared block must panic.
 * The failure rule: free memory is always merged into the largest blocks
 * (the per-CPU cache is drained before a larger request fails), so a
 * request fails only if no free, aligned run of its block size exists.
 */
#include <string.h>

#include "mm/buddy.h"
#include "tests/fuzz/page_model.h"

static struct bump boot;
static struct buddy bd;

#define NBLOCKS 8

static struct block {
	paddr_t pa;
	unsigned order;
	unsigned refs;          /* 0: the slot is empty */
} blocks[NBLOCKS];

static unsigned order_for(uint64_t n)
{
	unsigned order = 0;

	while (((uint64_t)1 << order) < n)
		order++;
	return order;
}

static bool can_fail(uint64_t npages, uint64_t align_pages)
{
	uint64_t max = (uint64_t)1 << BUDDY_MAX_ORDER;

	if (npages > max || align_pages > max)
		return true;
	uint64_t size = (uint64_t)1 << MAX(order_for(npages),
					   order_for(align_pages));
	return !pm_run_exists(size, size);
}

/* Set the model's pages of block b to state. */
static void mark(const struct block *b, uint8_t state)
{
	long first = machine_page(b->pa);

	for (uint64_t k = 0; k < ((uint64_t)1 << b->order); k++)
		pm.state[first + k] = state;
}

static void alloc_order_op(struct block *b, unsigned order)
{
	paddr_t pa = PHYS_NONE;
	bool bad = order > BUDDY_MAX_ORDER, panicked;
	uint64_t size = (uint64_t)1 << (order % 64);

	if (b->refs)
		return;
	fuzz_trace("buddy_alloc_order(%u)%s", order, bad ? ": must panic" : "");
	panicked = PANICKED(pa = buddy_alloc_order(&bd, order));
	fuzz_expect(panicked, bad, "buddy_alloc_order: ", "buddy_alloc_order");
	if (bad)
		return;
	fuzz_trace("  -> %#lx", (unsigned long)pa);
	if (pa == PHYS_NONE) {
		FUZZ_CHECK(!pm_run_exists(size, size), "order %u failed, but "
			   "such a block is free", order);
		return;
	}
	long first = machine_page(pa);
	FUZZ_CHECK(first >= 0 && pa / PAGE_SIZE % size == 0 &&
		   size <= (uint64_t)(machine.npages - first),
		   "order %u block at %#lx", order, (unsigned long)pa);
	for (uint64_t k = 0; k < size; k++)
		FUZZ_CHECK(pm.state[first + k] == PG_FREE, "order %u block at "
			   "%#lx: page %lu was not free", order,
			   (unsigned long)pa, (unsigned long)k);
	*b = (struct block){ pa, order, 1 };
	mark(b, PG_BLOCK);
	pm.free -= size;
}

/* The block went back: its pages are free. */
static void released(struct block *b)
{
	mark(b, PG_FREE);
	pm.free += (uint64_t)1 << b->order;
	b->refs = 0;
}

/* Free b with the wrong order, while shared, or through a tail page:
 * must panic; else free it, and perhaps free it again (double free). */
static void free_order_op(struct block *b, struct input *in)
{
	uint8_t how = take8(in);
	unsigned order = how % 4 == 1 ? take8(in) % 12 : b->order;
	paddr_t pa = b->pa;
	const char *why = NULL;

	if (!b->refs)
		return;
	if (how % 4 == 2 && b->order > 0) {
		pa += PAGE_SIZE * (1 + take8(in) % (((uint64_t)1 << b->order) - 1));
		why = "is not the head of a block";
	} else if (order > BUDDY_MAX_ORDER) {
		why = "is invalid";
	} else if (order != b->order) {
		why = "(order mismatch)";
	} else if (b->refs > 1) {
		why = "is shared (refcount";
	}
	fuzz_trace("buddy_free_order(%#lx, %u)%s", (unsigned long)pa, order,
		   why ? ": must panic" : "");
	EXPECT_PANIC_IF(why != NULL, why, "buddy_free_order",
			buddy_free_order(&bd, pa, order));
	if (why)
		return;
	released(b);
	if (how & 0x80) {
		fuzz_trace("buddy_free_order(%#lx, %u) again: must panic",
			   (unsigned long)pa, order);
		EXPECT_PANIC_IF(true, "(double free)", "buddy_free_order twice",
				buddy_free_order(&bd, pa, order));
	}
}

static void get_put_op(struct block *b, bool get)
{
	if (!b->refs)
		return;
	fuzz_trace("frame_%s(%#lx)", get ? "get" : "put", (unsigned long)b->pa);
	EXPECT_PANIC_IF(false, NULL, get ? "frame_get" : "frame_put",
			get ? frame_get(&bd, b->pa) : frame_put(&bd, b->pa));
	if (get)
		b->refs++;
	else if (--b->refs == 0)
		released(b);
}

/* A page of a shared block may not be freed as a run either. */
static void free_shared_op(struct block *b, struct input *in)
{
	paddr_t pa = b->pa + PAGE_SIZE * (take8(in) % ((uint64_t)1 << b->order));

	if (b->refs < 2)
		return;
	fuzz_trace("buddy_free(%#lx, 1) of a shared block: must panic",
		   (unsigned long)pa);
	EXPECT_PANIC_IF(true, "is shared (refcount", "buddy_free",
			buddy_free(&bd, pa, 1));
}

static void block_op(uint8_t op, struct input *in)
{
	struct block *b = &blocks[take8(in) % NBLOCKS];

	switch (op % 8) {
	case 0:
	case 1:
		alloc_order_op(b, take8(in) % 12);
		break;
	case 2:
	case 3:
		free_order_op(b, in);
		break;
	case 4:
		get_put_op(b, true);
		break;
	case 5:
	case 6:
		get_put_op(b, false);
		break;
	default:
		free_shared_op(b, in);
	}
	pm_check();
}

/*
 * Can the frame table (mm/frame.c) get its memory from the bump
 * allocator? It takes one page for the section directory (the window
 * lies in one 128 MiB section), then one run of pages for 32-byte records
 * from the first to the last usable frame, first fit from there on.
 */
static bool metadata_fits(void)
{
	const struct memmap *m = &machine.map;
	uint64_t frames = (m->usable[m->nusable - 1].end -
			   m->usable[0].base) / PAGE_SIZE;
	uint64_t records = (frames * sizeof(struct frame) + PAGE_SIZE - 1) /
			   PAGE_SIZE;

	for (unsigned i = 0; i < m->nusable; i++) {
		uint64_t pages = (m->usable[i].end - m->usable[i].base) /
				 PAGE_SIZE - (i == 0);
		if (pages >= records)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	bool empty, fits;

	machine_build(&in, 256);
	bump_init(&boot, &machine.map);
	empty = machine.map.nusable == 0;
	fits = !empty && metadata_fits();
	EXPECT_PANIC_IF(!fits, empty ? "no usable RAM" : "no room for",
			"buddy_init", buddy_init(&bd, &machine.map, &boot));
	if (!fits)
		return 0;
	pm_start("buddy", &buddy_ops, &bd, &bd.lock, boot.next);
	pm.can_fail = can_fail;
	memset(blocks, 0, sizeof(blocks));

	while (fuzz_more(&in)) {
		uint8_t op = take8(&in);
		if (op < 0xe0)
			pm_step(op, &in);
		else
			block_op(op, &in);
	}
	for (unsigned i = 0; i < NBLOCKS; i++)
		while (blocks[i].refs)
			get_put_op(&blocks[i], false);
	pm_finish();
	return 0;
}

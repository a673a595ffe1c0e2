/*
 * Printing an address space, one line per run of pages that continue
 * each other (next virtual and next physical address) with the same
 * permissions and page size. A line (wrapped here) reads
 *
 *   0xffffffff80200000-0xffffffff80209000 -> 0x0000000080200000
 *        36 KiB r-x-g  4K
 *
 * virtual range -> physical start, size, permissions (read, write,
 * execute, user, global) and page size.
 */
#include "kernel/printf.h"
#include "mm/vm.h"

struct run {
	struct vm_mapping start;        /* its first page */
	uint64_t bytes;                 /* 0: no run yet */
};

static void print_size(uint64_t bytes)
{
	if (IS_ALIGNED(bytes, GiB))
		kprintf("%6lu GiB", (unsigned long)(bytes / GiB));
	else if (IS_ALIGNED(bytes, MiB))
		kprintf("%6lu MiB", (unsigned long)(bytes / MiB));
	else
		kprintf("%6lu KiB", (unsigned long)(bytes / KiB));
}

static const char *page_size_name(uint64_t size)
{
	return size == PAGE_SIZE ? "4K" : size == 2 * MiB ? "2M" : "1G";
}

static void print_run(const struct run *r)
{
	unsigned p = r->start.perm;

	kprintf("%#018lx-%#018lx -> %#018lx ", (unsigned long)r->start.va,
		(unsigned long)(r->start.va + r->bytes),
		(unsigned long)r->start.pa);
	print_size(r->bytes);
	kprintf(" %c%c%c%c%c  %s\n", p & VM_READ ? 'r' : '-',
		p & VM_WRITE ? 'w' : '-', p & VM_EXEC ? 'x' : '-',
		p & VM_USER ? 'u' : '-', p & VM_GLOBAL ? 'g' : '-',
		page_size_name(r->start.size));
}

/* Does m carry on where the run r stops? */
static bool continues(const struct run *r, const struct vm_mapping *m)
{
	return r->bytes != 0 && m->va == r->start.va + r->bytes &&
	       m->pa == r->start.pa + r->bytes && m->perm == r->start.perm &&
	       m->size == r->start.size;
}

static void add_page(const struct vm_mapping *m, void *arg)
{
	struct run *r = arg;

	if (continues(r, m)) {
		r->bytes += m->size;
		return;
	}
	if (r->bytes != 0)
		print_run(r);
	r->start = *m;
	r->bytes = m->size;
}

void vm_print(const struct vm_space *vs)
{
	struct run r = { .bytes = 0 };

	kprintf("%-37s    %-18s %10s perm  page\n", "virtual", "physical",
		"size");
	vm_for_each_mapping(vs, add_page, &r);
	if (r.bytes != 0)
		print_run(&r);
}

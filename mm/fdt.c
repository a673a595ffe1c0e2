/*
 * Flattened device tree reader. See mm/fdt.h for the blob's layout.
 *
 * The one rule of this file: the blob is input from outside, so no byte
 * is read before we know it lies inside the blob. fdt_open() checks the
 * header and the position of every block; read_token() checks each token
 * against the block it lives in. Everything else is built on those two,
 * so even the tree-walking helpers cannot run off the end.
 *
 * Values are read a byte at a time (be32/be64), which also makes the
 * code independent of the blob's alignment and of the CPU's endianness.
 */
#include <stdarg.h>
#include "mm/fdt.h"
#include "mm/memmap.h"
#include "kernel/errno.h"
#include "kernel/printf.h"
#include "kernel/string.h"

/* Byte offsets of the header fields (each a big-endian u32). */
#define HDR_MAGIC               0
#define HDR_TOTALSIZE           4
#define HDR_OFF_DT_STRUCT       8
#define HDR_OFF_DT_STRINGS      12
#define HDR_OFF_MEM_RSVMAP      16
#define HDR_VERSION             20
#define HDR_LAST_COMP_VERSION   24
#define HDR_BOOT_CPUID_PHYS     28
#define HDR_SIZE_DT_STRINGS     32
#define HDR_SIZE_DT_STRUCT      36      /* only from version 17 on */

#define RSV_ENTRY_SIZE          16      /* u64 address, u64 size */

/* A blob whose header has been checked. Offsets count from the start of
 * the blob; every block lies inside [0, totalsize). */
struct fdt {
	const uint8_t *base;
	uint32_t totalsize;
	uint32_t rsvmap;                /* memory reservation block */
	uint32_t struct_start, struct_end;
	uint32_t strings_start, strings_size;
};

/* One token of the structure block, as read_token() found it. */
struct token {
	uint32_t type;          /* FDT_BEGIN_NODE, FDT_PROP, ... */
	uint32_t off;           /* where the token starts */
	uint64_t next;          /* where the following token starts; 64 bits
				   because padding may step past 4 GiB */
	const char *name;       /* node name, or property name */
	const uint8_t *value;   /* property value ... */
	uint32_t len;           /* ... and its length in bytes */
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* ---- Error messages ----------------------------------------------------- */

static char error_message[160];

/* Format the message into error_message, point *err at it, return code. */
static int PRINTF_LIKE(3, 4) error(const char **err, int code,
				   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(error_message, sizeof(error_message), fmt, ap);
	va_end(ap);
	if (err)
		*err = error_message;
	return code;
}

/* BEGIN SOLUTION lab0 */
/* The root node's name is empty; show it as "/". */
static const char *display_name(const char *node_name)
{
	return node_name[0] ? node_name : "/";
}
/* END SOLUTION */

/* ---- The header --------------------------------------------------------- */

static bool overlap(uint64_t a_start, uint64_t a_end,
		    uint64_t b_start, uint64_t b_end)
{
	return a_start < a_end && b_start < b_end &&
	       a_start < b_end && b_start < a_end;
}

/* A block must start after the header, be aligned, and end in the blob. */
static int check_block(const char *what, uint32_t start, uint64_t end,
		       uint32_t align, uint32_t totalsize, const char **err)
{
	if (start < FDT_HEADER_SIZE)
		return error(err, -EINVAL,
			     "fdt: %s block offset 0x%x overlaps the header",
			     what, start);
	if (start % align != 0)
		return error(err, -EINVAL,
			     "fdt: %s block offset 0x%x is not %u-byte aligned",
			     what, start, align);
	if (end > totalsize)
		return error(err, -EINVAL,
			     "fdt: %s block [0x%x, 0x%llx) runs past totalsize 0x%x",
			     what, start, (unsigned long long)end, totalsize);
	return 0;
}

/* The reservation block has no size field: it ends after the 0,0 entry. */
static int find_rsvmap_end(const struct fdt *f, uint32_t *end,
			   const char **err)
{
	for (uint64_t off = f->rsvmap;; off += RSV_ENTRY_SIZE) {
		if (off + RSV_ENTRY_SIZE > f->totalsize)
			return error(err, -EINVAL,
				     "fdt: memory reservation block at 0x%x has no 0,0 entry before totalsize 0x%x",
				     f->rsvmap, f->totalsize);
		if (be64(f->base + off) == 0 && be64(f->base + off + 8) == 0) {
			*end = (uint32_t)(off + RSV_ENTRY_SIZE);
			return 0;
		}
	}
}

static int check_versions(const uint8_t *b, const char **err)
{
	uint32_t version = be32(b + HDR_VERSION);
	uint32_t last_comp = be32(b + HDR_LAST_COMP_VERSION);

	if (version < 16)
		return error(err, -EINVAL,
			     "fdt: version %u is older than 16, the oldest Duet reads",
			     version);
	if (last_comp > 17)
		return error(err, -EINVAL,
			     "fdt: last_comp_version %u: readers of version 17 cannot read this blob",
			     last_comp);
	return 0;
}

/* The struct block's size field only exists from version 17; before that
 * the block runs up to the strings block (or the end of the blob). */
static uint64_t struct_size(const uint8_t *b, uint32_t start,
			    uint32_t totalsize)
{
	uint32_t strings = be32(b + HDR_OFF_DT_STRINGS);

	if (be32(b + HDR_VERSION) >= 17)
		return be32(b + HDR_SIZE_DT_STRUCT);
	if (strings > start)
		return strings - start;
	return start < totalsize ? totalsize - start : 0;
}

/* The three blocks must not share bytes. */
static int check_no_overlaps(const struct fdt *f, uint32_t rsvmap_end,
			     const char **err)
{
	uint32_t strings_end = f->strings_start + f->strings_size;

	if (overlap(f->rsvmap, rsvmap_end, f->struct_start, f->struct_end))
		return error(err, -EINVAL,
			     "fdt: memory reservation block [0x%x, 0x%x) overlaps struct block [0x%x, 0x%x)",
			     f->rsvmap, rsvmap_end, f->struct_start, f->struct_end);
	if (overlap(f->rsvmap, rsvmap_end, f->strings_start, strings_end))
		return error(err, -EINVAL,
			     "fdt: memory reservation block [0x%x, 0x%x) overlaps strings block [0x%x, 0x%x)",
			     f->rsvmap, rsvmap_end, f->strings_start, strings_end);
	if (overlap(f->struct_start, f->struct_end, f->strings_start, strings_end))
		return error(err, -EINVAL,
			     "fdt: struct block [0x%x, 0x%x) overlaps strings block [0x%x, 0x%x)",
			     f->struct_start, f->struct_end, f->strings_start, strings_end);
	return 0;
}

/*
 * Check the header against the max_size bytes we may read, and fill in f.
 * After this every block offset and size in f can be trusted.
 */
static int fdt_open(const void *blob, size_t max_size, struct fdt *f,
		    const char **err)
{
	const uint8_t *b = blob;
	uint64_t size;
	uint32_t rsvmap_end = 0;
	int rc;

	if (b == NULL)
		return error(err, -EINVAL, "fdt: no blob (NULL pointer)");
	if (max_size < FDT_HEADER_SIZE)
		return error(err, -EINVAL,
			     "fdt: only %zu bytes readable, the header alone is %u",
			     max_size, FDT_HEADER_SIZE);
	if (be32(b + HDR_MAGIC) != FDT_MAGIC)
		return error(err, -EINVAL,
			     "fdt: bad magic 0x%08x (expected 0x%08x)",
			     be32(b + HDR_MAGIC), FDT_MAGIC);
	if ((rc = check_versions(b, err)) < 0)
		return rc;

	f->base = b;
	f->totalsize = be32(b + HDR_TOTALSIZE);
	if (f->totalsize < FDT_HEADER_SIZE)
		return error(err, -EINVAL,
			     "fdt: totalsize 0x%x is smaller than the header",
			     f->totalsize);
	if (f->totalsize > max_size)
		return error(err, -EINVAL,
			     "fdt: totalsize 0x%x is more than the 0x%zx readable bytes",
			     f->totalsize, max_size);

	f->struct_start = be32(b + HDR_OFF_DT_STRUCT);
	size = struct_size(b, f->struct_start, f->totalsize);
	if ((rc = check_block("struct", f->struct_start,
			      f->struct_start + size, 4, f->totalsize, err)) < 0)
		return rc;
	f->struct_end = (uint32_t)(f->struct_start + size);

	f->strings_start = be32(b + HDR_OFF_DT_STRINGS);
	f->strings_size = be32(b + HDR_SIZE_DT_STRINGS);
	if ((rc = check_block("strings", f->strings_start,
			      (uint64_t)f->strings_start + f->strings_size, 1,
			      f->totalsize, err)) < 0)
		return rc;

	f->rsvmap = be32(b + HDR_OFF_MEM_RSVMAP);
	if ((rc = check_block("memory reservation", f->rsvmap, f->rsvmap, 8,
			      f->totalsize, err)) < 0)
		return rc;
	if ((rc = find_rsvmap_end(f, &rsvmap_end, err)) < 0)
		return rc;
	return check_no_overlaps(f, rsvmap_end, err);
}

/* ---- Tokens ------------------------------------------------------------- */

/* FDT_BEGIN_NODE: the name follows, NUL-terminated, padded to 4 bytes. */
static int read_node_name(const struct fdt *f, struct token *t,
			  const char **err)
{
	uint32_t start = t->off + 4;
	size_t room = f->struct_end - start;
	size_t len = strnlen((const char *)f->base + start, room);

	if (len == room)
		return error(err, -EINVAL,
			     "fdt: name of node at 0x%x is not NUL-terminated inside the struct block",
			     t->off);
	t->name = (const char *)f->base + start;
	t->next = ALIGN_UP((uint64_t)start + len + 1, 4);
	return 0;
}

/* FDT_PROP: u32 value length, u32 name offset in the strings block, the
 * value, padding to 4 bytes. */
static int read_prop(const struct fdt *f, struct token *t, const char **err)
{
	uint32_t nameoff;
	size_t room;

	if ((uint64_t)t->off + 12 > f->struct_end)
		return error(err, -EINVAL,
			     "fdt: property at 0x%x: header runs past the struct block end 0x%x",
			     t->off, f->struct_end);
	t->len = be32(f->base + t->off + 4);
	nameoff = be32(f->base + t->off + 8);
	if (t->len > f->struct_end - (t->off + 12))
		return error(err, -EINVAL,
			     "fdt: property at 0x%x: %u-byte value runs past the struct block end 0x%x",
			     t->off, t->len, f->struct_end);
	if (nameoff >= f->strings_size)
		return error(err, -EINVAL,
			     "fdt: property at 0x%x: name offset 0x%x is past the strings block (size 0x%x)",
			     t->off, nameoff, f->strings_size);
	room = f->strings_size - nameoff;
	t->name = (const char *)f->base + f->strings_start + nameoff;
	if (strnlen(t->name, room) == room)
		return error(err, -EINVAL,
			     "fdt: property at 0x%x: name at strings offset 0x%x is not NUL-terminated inside the strings block",
			     t->off, nameoff);
	t->value = f->base + t->off + 12;
	t->next = ALIGN_UP((uint64_t)t->off + 12 + t->len, 4);
	return 0;
}

/* Read the token at offset off of the struct block, checking its bounds. */
static int read_token(const struct fdt *f, uint64_t off, struct token *t,
		      const char **err)
{
	if (off + 4 > f->struct_end)
		return error(err, -EINVAL,
			     "fdt: struct block ends at 0x%x without an FDT_END token",
			     f->struct_end);
	t->off = (uint32_t)off;
	t->type = be32(f->base + off);
	t->name = NULL;
	t->value = NULL;
	t->len = 0;
	t->next = off + 4;
	switch (t->type) {
	case FDT_BEGIN_NODE:
		return read_node_name(f, t, err);
	case FDT_PROP:
		return read_prop(f, t, err);
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		return 0;
	default:
		return error(err, -EINVAL, "fdt: unknown token 0x%x at 0x%x",
			     t->type, t->off);
	}
}

/* ---- Validation --------------------------------------------------------- */

/* BEGIN SOLUTION lab0 */
/*
 * Walk every token once, checking the nesting: exactly one root node,
 * every node closed, no deeper than FDT_MAX_DEPTH, properties inside a
 * node and before its children (so readers can stop looking for a
 * property at the first child), and an FDT_END at depth 0.
 */
static int walk_struct_block(const struct fdt *f, const char **err)
{
	bool has_child[FDT_MAX_DEPTH + 1] = { false };
	int depth = 0, roots = 0, rc;
	struct token t;

	for (uint64_t off = f->struct_start;; off = t.next) {
		if ((rc = read_token(f, off, &t, err)) < 0)
			return rc;
		switch (t.type) {
		case FDT_BEGIN_NODE:
			if (depth == 0 && roots++ > 0)
				return error(err, -EINVAL,
					     "fdt: second root node '%s' at 0x%x",
					     t.name, t.off);
			if (depth == FDT_MAX_DEPTH)
				return error(err, -EINVAL,
					     "fdt: node '%s' at 0x%x is nested deeper than %d",
					     t.name, t.off, FDT_MAX_DEPTH);
			has_child[depth] = true;
			has_child[++depth] = false;
			break;
		case FDT_END_NODE:
			if (depth == 0)
				return error(err, -EINVAL,
					     "fdt: FDT_END_NODE at 0x%x closes no node",
					     t.off);
			depth--;
			break;
		case FDT_PROP:
			if (depth == 0)
				return error(err, -EINVAL,
					     "fdt: property '%s' at 0x%x is outside any node",
					     t.name, t.off);
			if (has_child[depth])
				return error(err, -EINVAL,
					     "fdt: property '%s' at 0x%x comes after a child node",
					     t.name, t.off);
			break;
		case FDT_END:
			if (depth != 0)
				return error(err, -EINVAL,
					     "fdt: FDT_END at 0x%x with %d node(s) still open",
					     t.off, depth);
			if (roots == 0)
				return error(err, -EINVAL, "fdt: no root node");
			return 0;
		}
	}
}
/* END SOLUTION */

int fdt_validate(const void *blob, size_t max_size, const char **err)
{
	/* BEGIN SOLUTION lab0 */
	struct fdt f;
	int rc;

	if ((rc = fdt_open(blob, max_size, &f, err)) < 0)
		return rc;
	return walk_struct_block(&f, err);
	/* STUB
	(void)blob;
	(void)max_size;
	(void)err;
	return 0;
	   END SOLUTION */
}

size_t fdt_total_size(const void *blob)
{
	return be32((const uint8_t *)blob + HDR_TOTALSIZE);
}

/* For the readers: re-check the header of a blob that passed
 * fdt_validate(), so a stray pointer cannot take us far. */
static int open_validated(const void *blob, struct fdt *f, const char **err)
{
	if (blob == NULL)
		return error(err, -EINVAL, "fdt: no blob (NULL pointer)");
	return fdt_open(blob, fdt_total_size(blob), f, err);
}

/* ---- Walking the tree ---------------------------------------------------
 *
 * A node is named by the offset of its FDT_BEGIN_NODE token. These helpers
 * assume a validated blob, but still go through read_token(), so on a
 * damaged one they just report "not found".
 */

static const char *node_name(const struct fdt *f, uint32_t node)
{
	struct token t;

	if (read_token(f, node, &t, NULL) < 0 || t.type != FDT_BEGIN_NODE)
		return "?";
	return t.name;
}

/* Offset of the root node: the first token that is not a NOP. */
static bool root_node(const struct fdt *f, uint32_t *node)
{
	struct token t;

	for (uint64_t off = f->struct_start;; off = t.next) {
		if (read_token(f, off, &t, NULL) < 0)
			return false;
		if (t.type == FDT_BEGIN_NODE) {
			*node = t.off;
			return true;
		}
		if (t.type != FDT_NOP)
			return false;
	}
}

/* Offset just past node's FDT_END_NODE, or 0 if the blob is damaged. */
static uint64_t skip_node(const struct fdt *f, uint32_t node)
{
	struct token t;
	int depth = 0;

	for (uint64_t off = node;; off = t.next) {
		if (read_token(f, off, &t, NULL) < 0 || t.type == FDT_END)
			return 0;
		if (t.type == FDT_BEGIN_NODE)
			depth++;
		if (t.type == FDT_END_NODE && --depth == 0)
			return t.next;
	}
}

/*
 * Step *child through parent's children: start with *child = 0 (never a
 * node offset: the header is there). Returns false after the last one.
 */
static bool next_child(const struct fdt *f, uint32_t parent, uint32_t *child)
{
	struct token t;
	uint64_t off;

	if (*child == 0) {
		if (read_token(f, parent, &t, NULL) < 0)
			return false;
		off = t.next;                   /* parent's first property */
	} else {
		off = skip_node(f, *child);
		if (off == 0)
			return false;
	}
	for (;; off = t.next) {
		if (read_token(f, off, &t, NULL) < 0)
			return false;
		if (t.type == FDT_BEGIN_NODE) {
			*child = t.off;
			return true;
		}
		if (t.type != FDT_PROP && t.type != FDT_NOP)
			return false;           /* parent's END_NODE */
	}
}

/* Find property `name` of node. Properties come before child nodes. */
static bool find_prop(const struct fdt *f, uint32_t node, const char *name,
		      struct token *prop)
{
	struct token t;

	if (read_token(f, node, &t, NULL) < 0)
		return false;
	for (uint64_t off = t.next;; off = prop->next) {
		if (read_token(f, off, prop, NULL) < 0)
			return false;
		if (prop->type == FDT_PROP && strcmp(prop->name, name) == 0)
			return true;
		if (prop->type != FDT_PROP && prop->type != FDT_NOP)
			return false;
	}
}

/* BEGIN SOLUTION lab0 */
/* Is the property's value exactly the string s (with its NUL)? */
static bool prop_is(const struct token *prop, const char *s)
{
	size_t len = strlen(s) + 1;

	return prop->len == len && memcmp(prop->value, s, len) == 0;
}
/* END SOLUTION */

/* Does node name match path component comp[0..n)? Either exactly, or
 * up to the unit address: "memory" matches "memory@80000000". */
static bool name_matches(const char *name, const char *comp, size_t n)
{
	return strncmp(name, comp, n) == 0 &&
	       (name[n] == '\0' || name[n] == '@');
}

/* Find the node at an absolute path such as "/cpus" or "/". */
static bool find_node(const struct fdt *f, const char *path, uint32_t *node)
{
	if (path[0] != '/' || !root_node(f, node))
		return false;
	while (*path != '\0') {
		uint32_t child = 0, parent = *node;
		size_t n = 0;

		while (*path == '/')
			path++;
		while (path[n] != '\0' && path[n] != '/')
			n++;
		if (n == 0)
			break;                  /* trailing '/' */
		do {
			if (!next_child(f, parent, &child))
				return false;
		} while (!name_matches(node_name(f, child), path, n));
		*node = child;
		path += n;
	}
	return true;
}

/* BEGIN SOLUTION lab0 */
/* A node is in use unless its status says otherwise. */
static bool is_enabled(const struct fdt *f, uint32_t node)
{
	struct token status;

	if (!find_prop(f, node, "status", &status))
		return true;
	return prop_is(&status, "okay") || prop_is(&status, "ok");
}
/* END SOLUTION */

/* ---- Memory ------------------------------------------------------------- */

/* BEGIN SOLUTION lab0 */
/* How a node's children write addresses: so many 32-bit cells each. */
struct cells {
	uint32_t address;
	uint32_t size;
};

static int read_cell_count(const struct fdt *f, uint32_t node,
			   const char *name, uint32_t min, uint32_t max,
			   uint32_t *count, const char **err)
{
	struct token prop;

	if (!find_prop(f, node, name, &prop))
		return 0;                       /* keep the default */
	if (prop.len != 4)
		return error(err, -EINVAL,
			     "fdt: %s of node '%s' is %u bytes long, not 4",
			     name, display_name(node_name(f, node)), prop.len);
	*count = be32(prop.value);
	if (*count < min || *count > max)
		return error(err, -EINVAL,
			     "fdt: %s = %u in node '%s' (Duet handles %u to %u)",
			     name, *count, display_name(node_name(f, node)),
			     min, max);
	return 0;
}

/* The #address-cells and #size-cells a node sets for its children.
 * Without them the spec's defaults apply: 2 and 1. We read at most two
 * cells into a 64-bit number, hence the upper limits. */
static int read_cells(const struct fdt *f, uint32_t node, struct cells *c,
		      const char **err)
{
	int rc;

	c->address = 2;
	c->size = 1;
	rc = read_cell_count(f, node, "#address-cells", 1, 2, &c->address, err);
	if (rc < 0)
		return rc;
	return read_cell_count(f, node, "#size-cells", 0, 2, &c->size, err);
}

static uint64_t read_number(const uint8_t *p, uint32_t cells)
{
	if (cells == 0)
		return 0;
	return cells == 1 ? be32(p) : be64(p);
}

/* Add one range to the map, turning memmap's error into a message. */
static int add_range(struct memmap *map, bool is_ram, uint64_t base,
		     uint64_t size, const char *name, const char **err)
{
	int rc;

	if (is_ram)
		rc = memmap_add_ram(map, base, size);
	else
		rc = memmap_add_reserved(map, base, size, name);
	if (rc == -EOVERFLOW)
		return error(err, rc,
			     "fdt: %s: range 0x%llx + 0x%llx wraps past the top of the address space",
			     name, (unsigned long long)base,
			     (unsigned long long)size);
	if (rc < 0)
		return error(err, rc, "fdt: %s: no room in the memory map (%d %s ranges at most)",
			     name, MEMMAP_MAX, is_ram ? "RAM" : "reserved");
	return 0;
}

/* Add every (address, size) entry of node's reg property. */
static int add_reg(const struct fdt *f, uint32_t node, struct cells c,
		   bool is_ram, struct memmap *map, const char **err)
{
	const char *name = node_name(f, node);
	uint32_t entry = 4 * (c.address + c.size);
	struct token reg;
	int rc;

	if (!find_prop(f, node, "reg", &reg))
		return error(err, -EINVAL, "fdt: node '%s' has no reg property",
			     name);
	if (reg.len % entry != 0)
		return error(err, -EINVAL,
			     "fdt: reg of '%s' is %u bytes, not a multiple of %u (#address-cells %u, #size-cells %u)",
			     name, reg.len, entry, c.address, c.size);
	for (uint32_t i = 0; i < reg.len; i += entry) {
		const uint8_t *p = reg.value + i;
		uint64_t base = read_number(p, c.address);
		uint64_t size = read_number(p + 4 * c.address, c.size);

		if ((rc = add_range(map, is_ram, base, size, name, err)) < 0)
			return rc;
	}
	return 0;
}

/* Memory nodes are children of the root called "memory" or "memory@...";
 * some firmware only marks them with device_type = "memory". */
static bool is_memory_node(const struct fdt *f, uint32_t node)
{
	struct token type;

	if (name_matches(node_name(f, node), "memory", 6))
		return true;
	return find_prop(f, node, "device_type", &type) &&
	       prop_is(&type, "memory");
}

static int read_memory_nodes(const struct fdt *f, uint32_t root,
			     struct memmap *map, const char **err)
{
	uint32_t node = 0;
	unsigned found = 0;
	struct cells c;
	int rc;

	if ((rc = read_cells(f, root, &c, err)) < 0)
		return rc;
	while (next_child(f, root, &node)) {
		if (!is_memory_node(f, node) || !is_enabled(f, node))
			continue;
		if ((rc = add_reg(f, node, c, true, map, err)) < 0)
			return rc;
		found++;
	}
	if (found == 0)
		return error(err, -EINVAL, "fdt: no /memory node");
	return 0;
}

/* Each child of /reserved-memory with a reg is memory firmware (or a
 * device) keeps for itself. Children with only a "size" ask the OS to
 * pick a place; Duet has no such users, so they are skipped. */
static int read_reserved_memory(const struct fdt *f, uint32_t root,
				struct memmap *map, const char **err)
{
	uint32_t parent = 0, node = 0;
	struct token reg;
	struct cells c;
	int rc;

	do {
		if (!next_child(f, root, &parent))
			return 0;               /* no /reserved-memory */
	} while (strcmp(node_name(f, parent), "reserved-memory") != 0);

	if ((rc = read_cells(f, parent, &c, err)) < 0)
		return rc;
	while (next_child(f, parent, &node)) {
		if (!is_enabled(f, node) || !find_prop(f, node, "reg", &reg))
			continue;
		if ((rc = add_reg(f, node, c, false, map, err)) < 0)
			return rc;
	}
	return 0;
}

/* The memory reservation block; fdt_open() found its 0,0 terminator. */
static int read_memreserve(const struct fdt *f, struct memmap *map,
			   const char **err)
{
	for (uint32_t off = f->rsvmap;; off += RSV_ENTRY_SIZE) {
		uint64_t base = be64(f->base + off);
		uint64_t size = be64(f->base + off + 8);
		int rc;

		if (base == 0 && size == 0)
			return 0;
		if ((rc = add_range(map, false, base, size, "memreserve",
				    err)) < 0)
			return rc;
	}
}
/* END SOLUTION */

int fdt_read_memmap(const void *blob, paddr_t blob_pa, struct memmap *map,
		    const char **err)
{
	/* BEGIN SOLUTION lab0 */
	struct fdt f;
	uint32_t root;
	int rc;

	if ((rc = open_validated(blob, &f, err)) < 0)
		return rc;
	if (!root_node(&f, &root))
		return error(err, -EINVAL, "fdt: no root node");
	if ((rc = read_memory_nodes(&f, root, map, err)) < 0)
		return rc;
	if ((rc = read_reserved_memory(&f, root, map, err)) < 0)
		return rc;
	if ((rc = read_memreserve(&f, map, err)) < 0)
		return rc;
	return add_range(map, false, blob_pa, f.totalsize, "dtb", err);
	/* STUB
	(void)blob;
	(void)blob_pa;
	(void)map;
	return error(err, -EINVAL, "fdt_read_memmap: not implemented (lab 0)");
	   END SOLUTION */
}

/* ---- Properties --------------------------------------------------------- */

const void *fdt_getprop(const void *blob, const char *path, const char *name,
			uint32_t *len)
{
	struct fdt f;
	struct token prop;
	uint32_t node;

	if (open_validated(blob, &f, NULL) < 0 || !find_node(&f, path, &node) ||
	    !find_prop(&f, node, name, &prop))
		return NULL;
	if (len)
		*len = prop.len;
	return prop.value;
}

bool fdt_getprop_u32(const void *blob, const char *path, const char *name,
		     uint32_t *out)
{
	uint32_t len;
	const uint8_t *value = fdt_getprop(blob, path, name, &len);

	if (value == NULL || len != 4)
		return false;
	*out = be32(value);
	return true;
}

const char *fdt_bootargs(const void *blob)
{
	uint32_t len;
	const char *args = fdt_getprop(blob, "/chosen", "bootargs", &len);

	if (args == NULL || len == 0 || args[len - 1] != '\0')
		return NULL;
	return args;
}

/* Human-readable names for the error codes in errno.h. */
#include "kernel/errno.h"

const char *error_name(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:         return "success";
	case EINVAL:    return "invalid argument";
	case ENOMEM:    return "out of memory";
	case ENOSPC:    return "table full";
	case EOVERFLOW: return "address range wraps around";
	case EFAULT:    return "address outside managed memory";
	case EBUSY:     return "already in use";
	case ENOENT:    return "not found";
	case E2BIG:     return "value too long";
	default:        return "unknown error";
	}
}

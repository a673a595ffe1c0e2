/* Error codes. Functions that can fail return 0 or a negative code. */
#ifndef DUET_ERRNO_H
#define DUET_ERRNO_H

#define EINVAL    1  /* malformed or out-of-range argument */
#define ENOMEM    2  /* out of memory */
#define ENOSPC    3  /* a fixed-size table is full */
#define EOVERFLOW 4  /* base + size wraps around the address space */
#define EFAULT    5  /* address outside any region we manage */
#define EBUSY     6  /* already allocated / already reserved */
#define ENOENT    7  /* not found */
#define E2BIG     8  /* a value does not fit the buffer given for it */

/* A short description of an error code (positive or negative). */
const char *error_name(int err);

#endif

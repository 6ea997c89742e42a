/*
 * kd.h: what every part of kindred shares — error codes, kd_strerror()
 * and the allocation wrappers the server uses.
 *
 * Errors are negative ints; 0 is success.  The server aborts on out of
 * memory (a half-served request is worse than a restart), so kd_xmalloc
 * and friends never return NULL.  The engine library has its own codes.
 */
#ifndef KD_H
#define KD_H

#include <stddef.h>
#include <stdint.h>

#define KINDRED_VERSION "0.1.0"

enum {
	KD_OK = 0,
	KD_ENOMEM = -1,      /* out of memory */
	KD_EINVAL = -2,      /* invalid argument or input */
	KD_ENOTFOUND = -3,   /* no such thing (or not yours to know of) */
	KD_EFORBIDDEN = -4,  /* known, but not allowed */
	KD_EEXIST = -5,      /* already exists */
	KD_EIO = -6,         /* file or system error */
	KD_EDB = -7,         /* database error */
	KD_ECRYPTO = -8,     /* sealing, opening or key error */
	KD_ETOOBIG = -9,     /* over a size limit */
	KD_EUTF8 = -10,      /* text is not valid UTF-8 (or holds NUL) */
	KD_EEXPIRED = -11,   /* expired */
	KD_EUSED = -12,      /* single-use thing already used */
	KD_EAUTH = -13,      /* wrong credentials */
	KD_ETHROTTLED = -14, /* too many attempts; wait */
	KD_EBUSY = -15,      /* try again later */
	KD_ECONFIG = -16,    /* bad configuration */
	KD_ECONFLICT = -17,  /* state changed under us */
	KD_ENOSPC = -18,     /* the disk (or a file-size limit) is full */
	KD_ERR_MIN = -18
};

/* Returns a static, human-readable string for err; never NULL. */
const char *kd_strerror(int err);

/* Allocation that aborts on failure; the returned memory is the caller's. */
void *kd_xmalloc(size_t n);
void *kd_xcalloc(size_t n, size_t size);
void *kd_xrealloc(void *p, size_t n);
char *kd_xstrdup(const char *s);
char *kd_xstrndup(const char *s, size_t n);

#define KD_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define KD_UNUSED(x) ((void)(x))

#endif

/*
 * buf.h: a growable byte buffer, always NUL-terminated, for building
 * responses, SQL arguments and rendered templates.  Growth aborts on out
 * of memory (see kd.h).  A zeroed struct buf is a valid empty buffer.
 */
#ifndef KD_BUF_H
#define KD_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct buf {
	char *data; /* owned; NULL until the first append */
	size_t len;
	size_t cap;
} buf;

void buf_init(buf *b);
/* Releases the storage; the buf is empty and reusable afterwards. */
void buf_free(buf *b);
void buf_reset(buf *b);
void buf_append(buf *b, const void *data, size_t len);
void buf_puts(buf *b, const char *s);
void buf_putc(buf *b, char c);
/* Makes room for n more bytes and returns where they go; buf_added(b, k)
 * then counts the k (<= n) written there. */
char *buf_space(buf *b, size_t n);
void buf_added(buf *b, size_t k);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf *b, const char *fmt, va_list ap);
/* Appends s with HTML special characters (& < > " ' ` =) escaped. */
void buf_put_html(buf *b, const char *s, size_t len);
/* Hands the storage to the caller (free() it); the buf is left empty.
 * Never returns NULL: an empty buffer yields "". */
char *buf_steal(buf *b, size_t *len);
/* Returns the contents as a C string ("" when empty); owned by b. */
const char *buf_cstr(const buf *b);

#endif

/*
 * embed.h: files compiled into the binary at build time (templates,
 * static assets, data/, migrations).  Content is data (DESIGN rule 6);
 * embedding keeps one binary self-contained.  tools/embed.c writes the
 * table; paths are relative to the repository root, e.g.
 * "templates/layout.html" or "data/content/feelings.json".
 */
#ifndef KD_EMBED_H
#define KD_EMBED_H

#include <stddef.h>

typedef struct embed_file {
	const char *path;
	const unsigned char *data; /* NUL-terminated for convenience */
	size_t len;
} embed_file;

/* Returns the embedded file at path, or NULL.  Static storage. */
const embed_file *embed_find(const char *path);
/* The whole table, sorted by path; *n receives its length. */
const embed_file *embed_all(size_t *n);

#endif

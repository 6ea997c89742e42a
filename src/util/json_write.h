/*
 * json_write.h: compact JSON text of a jansson value, appended to a buf.
 * jansson's own json_dumps guards every container against cycles with a
 * formatted-pointer hash table, which cost more than building the reply;
 * replies are trees, and depth is bounded here instead.
 */
#ifndef KD_JSON_WRITE_H
#define KD_JSON_WRITE_H

#include "util/buf.h"

#include <jansson.h>

/* Deeper values are written as null: replies are never this deep. */
#define JSON_WRITE_MAX_DEPTH 64

/* Appends v as compact JSON (keys in insertion order, UTF-8 kept as is,
 * as json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) writes it). */
void json_write(buf *b, const json_t *v);
/* Appends n in decimal. */
void json_write_int(buf *b, int64_t n);
/* Appends s as a JSON string literal, quotes included. */
void json_write_string(buf *b, const char *s, size_t len);

#endif

/*
 * input.h: the request input layer.  Outside bytes (form bodies, query
 * strings, JSON bodies, cookie headers, request paths) become one input
 * shape, a jansson object, so a handler reads a field the same way
 * whether a browser form or an API client sent it (DESIGN rule 2).
 *
 * Everything passed in here is hostile.  Parsers enforce input_limits
 * and never accept text that is not valid UTF-8 or that holds NUL, so
 * every string a handler reads from the input shape is safe to store,
 * compare and render.  It runs on every request: parsers copy each
 * value once (into its json string) and accessors copy nothing.
 *
 * The input shape: a JSON object.  A form field seen once is a string;
 * a form field seen again is an array of strings in arrival order.  A
 * JSON body keeps its own types.
 */
#ifndef KD_WEB_INPUT_H
#define KD_WEB_INPUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct input_limits {
	size_t max_fields;    /* form: name=value pairs per call; JSON: see below */
	size_t max_field_len; /* bytes of one decoded name or value */
	size_t max_depth;     /* JSON nesting; the top-level object is depth 1 */
} input_limits;

/* 64 fields, 262144 bytes, depth 16. */
extern const input_limits input_default_limits;

/* 1 if s[0..len) is valid UTF-8 (shortest form, no surrogates, at most
 * U+10FFFF) and holds no NUL byte, else 0.  len 0 is valid. */
int input_utf8_valid(const char *s, size_t len);

/* Parses application/x-www-form-urlencoded text (a body, or a query
 * string without its '?').  '+' is a space; %XX is decoded, and a '%'
 * not followed by two hex digits is KD_EINVAL.  Pairs are split on '&';
 * a pair without '=' has the empty value; a pair with an empty name is
 * skipped.  Decoded names and values must be valid UTF-8 without NUL
 * (KD_EUTF8).  More than lim->max_fields pairs, or a name or value longer
 * than lim->max_field_len once decoded, is KD_ETOOBIG.  lim NULL means
 * input_default_limits.
 *
 * If *out is NULL on entry, on success it receives a new object that the
 * caller owns (json_decref).  If *out is an object on entry, the fields
 * are merged into it, so a query string and a body can share one input:
 * a name already present as a string or an array gains the new values
 * after its old ones; a name present with any other JSON type is
 * KD_EINVAL.  On failure *out is as it was on entry (after KD_ENOMEM it
 * may hold some of the new fields). */
int input_parse_form(const char *s, size_t len, const input_limits *lim, json_t **out);

/* Parses a JSON body, which must be an object (anything else, and
 * malformed JSON, is KD_EINVAL; duplicate names are malformed here).
 * Nesting deeper than lim->max_depth, more than lim->max_fields * 4
 * fields counted over the whole tree (each object member and each array
 * element is one field), or a string or name longer than
 * lim->max_field_len bytes is KD_ETOOBIG.  Invalid UTF-8 and \u0000 are
 * KD_EUTF8.  lim NULL means input_default_limits.
 *
 * If *out is NULL on entry, on success it receives a new object that the
 * caller owns (json_decref).  If *out is an object on entry (say, from
 * the query string), the body's members are added to it; a name present
 * in both is KD_EINVAL, since nobody can tell which one the client
 * meant.  On failure *out is as it was on entry (after KD_ENOMEM it may
 * hold some of the new members). */
int input_parse_json(const char *s, size_t len, const input_limits *lim, json_t **out);

/* The string value of key, borrowed from in (valid while in lives); NULL
 * if in or key is NULL, the key is missing, or its value is not a string
 * (a repeated form field, an array, is NULL: a handler asking for one
 * value must not silently get the first of several). */
const char *input_str(const json_t *in, const char *key);

/* Reads key as an integer in [min, max] into *out.  Accepts a JSON
 * integer or a decimal string (optional '-', digits only, no spaces, no
 * '+', no overflow).  KD_ENOTFOUND if the key is missing or its value is
 * the empty string (browsers send an untouched optional field as
 * "name="); KD_EINVAL if it is not such a number, out of range, or
 * min > max.  *out is written only on success. */
int input_int(const json_t *in, const char *key, long long min, long long max,
	      long long *out);

/* The string values of key, which may be one string or an array of
 * strings (other array elements are skipped).  Writes up to max borrowed
 * pointers (valid while in lives) into vals and returns how many it
 * wrote, never more than max, so the return value is always safe to loop
 * over.  With vals NULL it writes nothing and returns how many string
 * values there are, which lets a caller tell a truncated list from a
 * complete one.  Missing key: 0. */
size_t input_strings(const json_t *in, const char *key, const char **vals, size_t max);

/* 1 if key is "1", "on", "true" or JSON true; 0 otherwise, including
 * missing, "0", "off", "false", false and anything unrecognised.  Never
 * negative, so it cannot be mistaken for true in a condition. */
int input_bool(const json_t *in, const char *key);

/* What a field may hold.  Form fields are always strings (a repeated
 * field an array of strings); JSON may send anything, and a value of the
 * wrong kind must be refused, not read as missing (a number for the
 * draft's text would otherwise delete the draft). */
typedef enum input_kind {
	INPUT_TEXT,  /* a string */
	INPUT_TEXTS, /* a string, or an array of strings */
	INPUT_INT,   /* a JSON integer, or a string (input_int reads the digits) */
	INPUT_BOOL,  /* true or false; or "on", "off", "1", "0", "true", "false", or
		      * an array of those (a form's hidden "off" before its checkbox) */
} input_kind;

/* 0 if key is missing from in or holds a value of kind; KD_EINVAL if it
 * holds anything else (null included). */
int input_expect(const json_t *in, const char *key, input_kind kind);

/* s without ASCII whitespace (space, \t, \n, \v, \f, \r) at either end,
 * as a new string the caller frees; NULL in gives NULL out. */
char *input_trimmed(const char *s);

/* Finds cookie name in a Cookie header ("a=b; c=d") and copies its value,
 * NUL-terminated, into the caller's out[0..outlen).  Whitespace around
 * names and values is ignored and one pair of double quotes around a
 * value is removed.  Names match exactly (no prefixes, case-sensitive);
 * the first pair with the name wins.  KD_ENOTFOUND if absent,
 * KD_ETOOBIG if the value and its NUL do not fit, KD_EINVAL for NULL
 * arguments or an empty name.  On failure out holds "" (when outlen > 0). */
int input_cookie(const char *header, const char *name, char *out, size_t outlen);

/* Matches a request path (without its query string) against a router
 * pattern, segment by segment between '/'s.  A pattern segment is either
 * literal (compared byte for byte), "{id}" or "{token}":
 *   {id}    a decimal id 1..INT64_MAX: digits only, no sign, no leading
 *           zero (one resource, one URL), written to *id if id != NULL;
 *   {token} a segment of 1..128 characters from [A-Za-z0-9_-], copied
 *           NUL-terminated into token[0..tokenlen) if token != NULL; a
 *           tokenlen under 129 can turn away a valid token, so pass 129.
 * Segment counts must be equal: "/a/1/" does not match "/a/{id}".  A
 * pattern may hold each placeholder at most once (otherwise nothing
 * matches).  Returns 1 on a match, else 0; id and token are written only
 * on a match.  No allocation; both strings stay the caller's. */
int input_match_path(const char *pattern, const char *path, int64_t *id, char *token,
		     size_t tokenlen);

#endif

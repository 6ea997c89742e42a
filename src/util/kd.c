/*
 * kd.c: error strings and the aborting allocators declared in kd.h.
 */
#include "kd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kd_errors[] = {
	"success",
	"out of memory",
	"invalid input",
	"not found",
	"not allowed",
	"already exists",
	"input/output error",
	"database error",
	"could not seal or open protected data",
	"too large",
	"text is not valid UTF-8",
	"expired",
	"already used",
	"wrong username or password",
	"too many attempts; please wait",
	"busy; please try again",
	"configuration error",
	"changed meanwhile; please try again",
	"the disk is full",
};

const char *kd_strerror(int err)
{
	if (err > 0 || err < KD_ERR_MIN)
		return "unknown error";
	return kd_errors[-err];
}

static void kd_oom(size_t n)
{
	fprintf(stderr, "kindred: out of memory allocating %zu bytes\n", n);
	abort();
}

void *kd_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		kd_oom(n);
	return p;
}

void *kd_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		kd_oom(n * size);
	return p;
}

void *kd_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		kd_oom(n);
	return q;
}

char *kd_xstrdup(const char *s)
{
	return kd_xstrndup(s, strlen(s));
}

char *kd_xstrndup(const char *s, size_t n)
{
	char *p = kd_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

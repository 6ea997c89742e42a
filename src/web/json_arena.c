/*
 * json_arena.c: see json_arena.h.  A thread's arena is a list of blocks;
 * allocation bumps a pointer in the newest, free does nothing for memory
 * of a block and hands anything else (values made before the request)
 * to free().  The first block (16 KiB) is kept between requests, larger
 * needs get blocks of their own, given back at the end.
 */
#include "web/json_arena.h"

#include "kd.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#define BLOCK_SIZE ((size_t)16 * 1024)
#define ALIGN ((size_t)16)

typedef struct block {
	struct block *next; /* older */
	size_t used, cap;
	_Alignas(16) unsigned char data[];
} block;

typedef struct arena {
	block *head; /* newest */
	block *first; /* kept between requests */
	int active;
} arena;

static _Thread_local arena here;
static int installed;

static block *block_new(size_t cap)
{
	block *b = malloc(sizeof(*b) + cap);

	if (!b)
		return NULL;
	b->next = NULL;
	b->used = 0;
	b->cap = cap;
	return b;
}

void *json_arena_malloc(size_t n)
{
	block *b = here.head;
	void *p;

	if (!here.active)
		return malloc(n);
	n = (n + ALIGN - 1) & ~(ALIGN - 1);
	if (!b || b->cap - b->used < n) {
		b = block_new(n > BLOCK_SIZE / 4 ? n : BLOCK_SIZE);
		if (!b)
			return NULL;
		b->next = here.head;
		here.head = b;
	}
	p = b->data + b->used;
	b->used += n;
	return p;
}

void json_arena_free(void *p)
{
	const block *b;

	if (!p)
		return;
	for (b = here.head; b; b = b->next)
		if ((const unsigned char *)p >= b->data && (const unsigned char *)p < b->data + b->cap)
			return;
	free(p);
}

void json_arena_install(void)
{
	/* Under AddressSanitizer every value keeps its own malloc, so a use
	 * after the request is still caught. */
#ifndef __SANITIZE_ADDRESS__
	json_set_alloc_funcs(json_arena_malloc, json_arena_free);
	installed = 1;
#endif
}

void json_arena_begin(void)
{
	if (!installed)
		return;
	if (!here.first) {
		here.first = block_new(BLOCK_SIZE);
		here.head = here.first;
	}
	here.active = here.first != NULL;
}

void json_arena_end(void)
{
	block *b = here.head, *next;

	here.active = 0;
	for (; b && b != here.first; b = next) {
		next = b->next;
		free(b);
	}
	here.head = here.first;
	if (here.first)
		here.first->used = 0;
}

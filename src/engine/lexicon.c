/*
 * engine/lexicon.c: lexicon files and the phrase matcher every reading
 * shares.
 *
 * A lexicon is a TSV file of rows; each reading decides what its columns
 * mean, but the pattern column always has one syntax (docs/models.md):
 * space-separated words, each matched on its Snowball stem ("kill myself"
 * also matches "killing myself"), or on its exact key when written "=w";
 * "a|b|c" lists alternatives; "*" (or "*N") skips up to 3 (N) words.
 * Alternatives are expanded when the lexicon is built, so matching is a
 * plain walk along the tokens.
 *
 * Workload: built once per engine (a few thousand patterns); scanned once
 * per utterance.  Patterns are indexed by their first element in an
 * open-addressing table, so a scan costs two probes per word plus the
 * patterns that start there.  Words are compared by 64-bit FNV-1a hash
 * alone; with a few thousand lexicon words a false match is about as
 * likely as a cosmic-ray bit flip, and skipping the string compare keeps
 * the scan free of memory traffic beyond the token array.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PIECES 16
#define MAX_ALTS 160
#define MAX_EXPANSIONS 4096
#define SALT_EXACT 0x9e3779b97f4a7c15ull
#define SALT_STEM 0xc2b2ae3d27d4eb4full

int tsv_each(const void *data, size_t len, tsv_fn fn, void *ctx)
{
	const char *p = data, *end = p + len, *nl;
	char *line = NULL, *s;
	size_t cap = 0, n, lineno = 0;
	tsv_row row;
	int rc = 0;

	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0 || p[0] == '#')
			goto next;
		if ((rc = grow((void **)&line, &cap, n + 1, 1)) != 0)
			goto done;
		memcpy(line, p, n);
		line[n] = '\0';
		memset(&row, 0, sizeof(row));
		row.line = lineno;
		s = line;
		row.field[row.nfield++] = s;
		while ((s = strchr(s, '\t')) != NULL && row.nfield < sizeof(row.field) / sizeof(row.field[0])) {
			*s++ = '\0';
			row.field[row.nfield++] = s;
		}
		if ((rc = fn(ctx, &row)) != 0)
			goto done;
	next:
		p += (nl ? (size_t)(nl - p) + 1 : (size_t)(end - p));
	}
done:
	free(line);
	return rc;
}

/* Compiles one pattern word (an alternative) into elem. */
static int compile_word(const char *w, size_t len, int exact, kd_text *scratch,
			struct sb_stemmer *st, const kd_wclass *wc, lex_elem *el)
{
	const kd_tok *k;
	int rc;

	if ((rc = text_analyse(scratch, w, len, st, wc)) != 0)
		return rc == KD_ENGINE_ENOMEM ? rc : KD_ENGINE_EDATA;
	if (scratch->ntok != 1)
		return KD_ENGINE_EDATA;
	k = &scratch->tok[0];
	el->kind = exact ? LEX_EXACT : LEX_STEM;
	el->h = exact ? k->hkey : k->hstem;
	el->gap = 0;
	el->wclass = (uint16_t)(k->flags & TF_CLASS_MASK);
	return 0;
}

/* Whether the n elements at el already form a pattern in [from, npat):
 * duplicates would count a cue twice. */
static int lex_dup(const kd_lex *lx, size_t from, const lex_elem *el, size_t n)
{
	size_t p, q;

	for (p = from; p < lx->npat; p++) {
		const lex_elem *o = &lx->el[lx->pat[p].first];
		if (lx->pat[p].n != n)
			continue;
		for (q = 0; q < n; q++)
			if (o[q].h != el[q].h || o[q].kind != el[q].kind || o[q].gap != el[q].gap)
				break;
		if (q == n)
			return 1;
	}
	return 0;
}

static int lex_add_one(kd_lex *lx, const char *pattern, uint32_t rule, kd_text *scratch,
		       struct sb_stemmer *st, const kd_wclass *wc, size_t from)
{
	lex_elem one[MAX_PIECES];
	lex_elem opts[MAX_PIECES][MAX_ALTS];
	size_t nopt[MAX_PIECES], idx[MAX_PIECES], npiece = 0, total = 1, x, q;
	const char *p = pattern, *ws, *we, *a, *b;
	int rc = 0, exact;

	/* split into pieces and alternatives */
	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		ws = p;
		while (*p && *p != ' ')
			p++;
		we = p;
		if (npiece == MAX_PIECES)
			return KD_ENGINE_EDATA;
		nopt[npiece] = 0;
		if (*ws == '*') {
			lex_elem *el = &opts[npiece][0];
			unsigned g = 3;
			if (we - ws > 1) {
				g = 0;
				for (a = ws + 1; a < we; a++) {
					if (*a < '0' || *a > '9' || g > 20)
						return KD_ENGINE_EDATA;
					g = g * 10 + (unsigned)(*a - '0');
				}
			}
			if (npiece == 0)
				return KD_ENGINE_EDATA;
			memset(el, 0, sizeof(*el));
			el->kind = LEX_GAP;
			el->gap = (uint8_t)g;
			nopt[npiece++] = 1;
			continue;
		}
		exact = *ws == '=';
		if (exact)
			ws++;
		for (a = ws; a < we; a = b + 1) {
			b = memchr(a, '|', (size_t)(we - a));
			if (!b)
				b = we;
			if (nopt[npiece] == MAX_ALTS || b == a)
				return KD_ENGINE_EDATA;
			rc = compile_word(a, (size_t)(b - a), exact, scratch, st, wc,
					  &opts[npiece][nopt[npiece]]);
			if (rc != 0)
				return rc;
			nopt[npiece]++;
			if (b == we)
				break;
		}
		total *= nopt[npiece];
		if (total > MAX_EXPANSIONS)
			return KD_ENGINE_EDATA;
		npiece++;
	}
	if (npiece == 0 || opts[npiece - 1][0].kind == LEX_GAP)
		return KD_ENGINE_EDATA;
	/* every combination of alternatives becomes one pattern */
	memset(idx, 0, sizeof(idx));
	for (x = 0; x < total; x++) {
		lex_pat *pt;
		for (q = 0; q < npiece; q++)
			one[q] = opts[q][idx[q]];
		if (lex_dup(lx, from, one, npiece))
			goto next;
		if ((rc = grow((void **)&lx->el, &lx->elcap, lx->nel + npiece, sizeof(lex_elem))) != 0)
			return rc;
		if ((rc = grow((void **)&lx->pat, &lx->patcap, lx->npat + 1, sizeof(lex_pat))) != 0)
			return rc;
		pt = &lx->pat[lx->npat++];
		pt->first = (uint32_t)lx->nel;
		pt->n = (uint32_t)npiece;
		pt->rule = rule;
		pt->next = 0;
		for (q = 0; q < npiece; q++)
			lx->el[lx->nel++] = one[q];
	next:
		for (q = npiece; q-- > 0;) {
			if (++idx[q] < nopt[q])
				break;
			idx[q] = 0;
		}
	}
	return 0;
}

int lex_add(kd_lex *lx, const char *pattern, uint32_t rule, kd_text *scratch,
	    struct sb_stemmer *st, const kd_wclass *wc)
{
	char one[1024];
	const char *p = pattern, *semi;
	size_t n, from = lx->npat;
	int rc = 0;

	for (;;) {
		semi = strchr(p, ';');
		n = semi ? (size_t)(semi - p) : strlen(p);
		if (n >= sizeof(one))
			return KD_ENGINE_EDATA;
		memcpy(one, p, n);
		one[n] = '\0';
		if ((rc = lex_add_one(lx, one, rule, scratch, st, wc, from)) != 0)
			return rc;
		if (!semi)
			break;
		p = semi + 1;
	}
	return 0;
}

static uint64_t salted(const lex_elem *el)
{
	uint64_t h = el->h ^ (el->kind == LEX_EXACT ? SALT_EXACT : SALT_STEM);
	return h ? h : 1;
}

/* The key of a pattern's first two words, or of a token pair. */
static uint64_t pair_key(uint64_t a, uint64_t b)
{
	uint64_t h = (a ^ (b * 0xff51afd7ed558ccdull)) * 0xc4ceb9fe1a85ec53ull;

	return h ? h : 1;
}

/* The filter bit of key h in filter half f (0: slot, 1: slot2); the high
 * bits, as the slots' index uses the low ones. */
static inline int filter_has(const uint64_t *filter, int f, uint64_t h)
{
	uint64_t b = h >> (64 - LEX_FILTER_BITS);

	return (int)(filter[((size_t)f << (LEX_FILTER_BITS - 6)) + (b >> 6)] >> (b & 63) & 1);
}

static void filter_add(uint64_t *filter, int f, uint64_t h)
{
	uint64_t b = h >> (64 - LEX_FILTER_BITS);

	filter[((size_t)f << (LEX_FILTER_BITS - 6)) + (b >> 6)] |= 1ull << (b & 63);
}

static void slot_insert(lex_slot *slot, size_t n, uint64_t h, lex_pat *pt, uint32_t p)
{
	size_t s;

	for (s = (size_t)h & (n - 1); slot[s].h && slot[s].h != h; s = (s + 1) & (n - 1))
		;
	slot[s].h = h;
	pt->next = slot[s].head;
	slot[s].head = p + 1;
}

/* Long chains of patterns sharing a first word ("i ...", "want ...") made
 * every such word expensive, so patterns of two or more leading words are
 * indexed by the pair and a scan probes four pairs per word instead. */
int lex_finish(kd_lex *lx)
{
	size_t n = 16, p;

	while (n < lx->npat * 2)
		n *= 2;
	free(lx->slot);
	free(lx->slot2);
	free(lx->filter);
	lx->slot = calloc(n, sizeof(lex_slot));
	lx->slot2 = calloc(n, sizeof(lex_slot));
	lx->filter = calloc(2u << (LEX_FILTER_BITS - 6), sizeof(uint64_t));
	if (!lx->slot || !lx->slot2 || !lx->filter)
		return KD_ENGINE_ENOMEM;
	lx->nslot = lx->nslot2 = n;
	/* inserted last to first so each chain runs in file order */
	for (p = lx->npat; p-- > 0;) {
		lex_pat *pt = &lx->pat[p];
		const lex_elem *el = &lx->el[pt->first];
		uint64_t h;
		if (pt->n >= 2 && el[1].kind != LEX_GAP) {
			h = pair_key(salted(&el[0]), salted(&el[1]));
			slot_insert(lx->slot2, n, h, pt, (uint32_t)p);
			filter_add(lx->filter, 1, h);
		} else {
			h = salted(&el[0]);
			slot_insert(lx->slot, n, h, pt, (uint32_t)p);
			filter_add(lx->filter, 0, h);
		}
	}
	return 0;
}

void lex_free(kd_lex *lx)
{
	if (!lx)
		return;
	free(lx->el);
	free(lx->pat);
	free(lx->slot);
	free(lx->slot2);
	free(lx->filter);
	memset(lx, 0, sizeof(*lx));
}

static uint32_t lex_head(const lex_slot *slot, size_t nslot, uint64_t h)
{
	size_t s, mask = nslot - 1;

	if (!nslot)
		return 0;
	for (s = (size_t)h & mask; slot[s].h; s = (s + 1) & mask)
		if (slot[s].h == h)
			return slot[s].head;
	return 0;
}

static int elem_eq(const lex_elem *el, const kd_tok *k)
{
	return el->h == (el->kind == LEX_EXACT ? k->hkey : k->hstem);
}

/* Matches elements e.. of p from token i (already known to be inside the
 * clause run); returns the last token matched, or -1. */
static long match_from(const kd_lex *lx, const kd_text *t, const lex_pat *p, uint32_t e, size_t i)
{
	const lex_elem *el = &lx->el[p->first + e];
	size_t skip, j;
	long r;

	if (el->kind == LEX_GAP) {
		for (skip = 0; skip <= el->gap; skip++) {
			j = i + skip;
			if (j >= t->ntok || (skip > 0 && (t->tok[j].flags & TF_BOUNDARY)))
				break;
			if ((r = match_from(lx, t, p, e + 1, j)) >= 0)
				return r;
		}
		return -1;
	}
	if (!elem_eq(el, &t->tok[i]))
		return -1;
	if (e + 1 == p->n)
		return (long)i;
	if (i + 1 >= t->ntok || (t->tok[i + 1].flags & TF_BOUNDARY))
		return -1;
	return match_from(lx, t, p, e + 1, i + 1);
}

/* Tries the patterns in the chain from head at token i: appends matches
 * to out, or keeps the longest in best.  Returns matches found or < 0. */
static int try_chain(const kd_lex *lx, const kd_text *t, size_t i, uint32_t head, lex_matches *out,
		     lex_match *best, int found)
{
	uint32_t p;
	long last;
	int rc;

	for (p = head; p; p = lx->pat[p - 1].next) {
		const lex_pat *pt = &lx->pat[p - 1];
		if ((last = match_from(lx, t, pt, 0, i)) < 0)
			continue;
		found++;
		if (out) {
			if ((rc = grow((void **)&out->m, &out->cap, out->n + 1, sizeof(lex_match))) != 0)
				return rc;
			out->m[out->n].rule = pt->rule;
			out->m[out->n].first = (uint32_t)i;
			out->m[out->n].last = (uint32_t)last;
			out->n++;
		} else if (best && (found == 1 || (uint32_t)last > best->last)) {
			best->rule = pt->rule;
			best->first = (uint32_t)i;
			best->last = (uint32_t)last;
		}
	}
	return found;
}

/* Every pattern matching at token i, via out (append) or best (longest). */
static int scan_at(const kd_lex *lx, const kd_text *t, size_t i, lex_matches *out, lex_match *best)
{
	const kd_tok *k = &t->tok[i];
	uint64_t hs[2], hn[2];
	int w, v, found = 0;

	hs[0] = k->hkey ^ SALT_EXACT;
	hs[1] = k->hstem ^ SALT_STEM;
	for (w = 0; w < 2; w++) {
		hs[w] = hs[w] ? hs[w] : 1;
		if (!filter_has(lx->filter, 0, hs[w]))
			continue;
		found = try_chain(lx, t, i, lex_head(lx->slot, lx->nslot, hs[w]), out, best, found);
		if (found < 0)
			return found;
	}
	if (i + 1 >= t->ntok || (t->tok[i + 1].flags & TF_BOUNDARY))
		return found;
	hn[0] = t->tok[i + 1].hkey ^ SALT_EXACT;
	hn[1] = t->tok[i + 1].hstem ^ SALT_STEM;
	for (w = 0; w < 2; w++) {
		hn[w] = hn[w] ? hn[w] : 1;
	}
	for (w = 0; w < 2; w++)
		for (v = 0; v < 2; v++) {
			uint64_t h = pair_key(hs[w], hn[v]);
			uint32_t head;
			if (!filter_has(lx->filter, 1, h))
				continue;
			head = lex_head(lx->slot2, lx->nslot2, h);
			if (head && (found = try_chain(lx, t, i, head, out, best, found)) < 0)
				return found;
		}
	return found;
}

int lex_scan(const kd_lex *lx, const kd_text *t, lex_matches *out)
{
	size_t i;
	int rc;

	if (!lx->npat)
		return 0;
	for (i = 0; i < t->ntok; i++)
		if ((rc = scan_at(lx, t, i, out, NULL)) < 0)
			return rc;
	return 0;
}

int lex_match_at(const kd_lex *lx, const kd_text *t, size_t i, lex_match *m)
{
	if (!lx->npat || i >= t->ntok)
		return 0;
	return scan_at(lx, t, i, NULL, m) > 0;
}

int wclass_add(kd_wclass *wc, uint64_t h, uint32_t flags)
{
	size_t s, i, n;

	if ((wc->n + 1) * 2 > wc->nslot) {
		/* rehash into twice the slots */
		n = wc->nslot ? wc->nslot * 2 : 64;
		uint64_t *nh = calloc(n, sizeof(uint64_t));
		uint32_t *nf = calloc(n, sizeof(uint32_t));
		if (!nh || !nf) {
			free(nh);
			free(nf);
			return KD_ENGINE_ENOMEM;
		}
		for (i = 0; i < wc->nslot; i++) {
			if (!wc->h[i])
				continue;
			for (s = (size_t)wc->h[i] & (n - 1); nh[s]; s = (s + 1) & (n - 1))
				;
			nh[s] = wc->h[i];
			nf[s] = wc->flags[i];
		}
		free(wc->h);
		free(wc->flags);
		wc->h = nh;
		wc->flags = nf;
		wc->nslot = n;
	}
	for (s = (size_t)h & (wc->nslot - 1); wc->h[s] && wc->h[s] != h; s = (s + 1) & (wc->nslot - 1))
		;
	if (!wc->h[s])
		wc->n++;
	wc->h[s] = h;
	wc->flags[s] |= flags;
	return 0;
}

uint32_t wclass_get(const kd_wclass *wc, uint64_t h)
{
	size_t s, mask;

	if (!wc->nslot)
		return 0;
	mask = wc->nslot - 1;
	for (s = (size_t)h & mask; wc->h[s]; s = (s + 1) & mask)
		if (wc->h[s] == h)
			return wc->flags[s];
	return 0;
}

const char *wclass_fix(const kd_wclass *wc, uint64_t h)
{
	size_t i;

	for (i = 0; i < wc->nfix; i++)
		if (wc->fix_h[i] == h)
			return wc->fix[i];
	return NULL;
}

int wclass_fix_add(kd_wclass *wc, uint64_t h, const char *right)
{
	size_t cap = wc->fixcap;
	char *c;
	int rc;

	if (wclass_fix(wc, h))
		return 0;
	if ((rc = grow((void **)&wc->fix_h, &cap, wc->nfix + 1, sizeof(uint64_t))) != 0)
		return rc;
	cap = wc->fixcap;
	if ((rc = grow((void **)&wc->fix, &cap, wc->nfix + 1, sizeof(char *))) != 0)
		return rc;
	wc->fixcap = cap;
	if (!(c = strdup(right)))
		return KD_ENGINE_ENOMEM;
	wc->fix_h[wc->nfix] = h;
	wc->fix[wc->nfix++] = c;
	return wclass_add(wc, h, TF_SPELL);
}

void wclass_free(kd_wclass *wc)
{
	size_t i;

	if (!wc)
		return;
	free(wc->h);
	free(wc->flags);
	for (i = 0; i < wc->nfix; i++)
		free(wc->fix[i]);
	free(wc->fix);
	free(wc->fix_h);
	memset(wc, 0, sizeof(*wc));
}

const char *engine_strdup(kd_engine *e, const char *s)
{
	char *c;

	if (grow((void **)&e->strings, &e->strcap, e->nstrings + 1, sizeof(char *)) != 0)
		return NULL;
	if (!(c = strdup(s)))
		return NULL;
	e->strings[e->nstrings++] = c;
	return c;
}

const char *engine_cue_name(kd_engine *e, const char *pattern)
{
	char name[256];
	size_t n = 0;
	const char *p = pattern;
	int skip = 0, start = 1;

	/* the first pattern, first alternative of each word: a readable name */
	for (; *p && *p != ';' && n + 4 < sizeof(name); p++) {
		if (*p == ' ') {
			skip = 0;
			start = 1;
			name[n++] = ' ';
		} else if (*p == '|') {
			skip = 1;
		} else if (!skip && !(start && *p == '=')) {
			if (*p >= '0' && *p <= '9' && n > 0 && name[n - 1] == '.')
				continue; /* the N of a gap "*N" */
			name[n++] = *p == '*' ? '.' : *p;
			if (*p == '*') {
				name[n++] = '.';
				name[n++] = '.';
			}
			start = 0;
		}
	}
	name[n] = '\0';
	return engine_strdup(e, name);
}

void engine_error(const kd_engine_data *d, const char *name, size_t line, const char *msg)
{
	if (d && d->errbuf && d->errlen && line)
		snprintf(d->errbuf, d->errlen, "%s:%zu: %s", name, line, msg);
	else if (d && d->errbuf && d->errlen)
		snprintf(d->errbuf, d->errlen, "%s: %s", name, msg); /* binary files */
}

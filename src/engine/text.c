/*
 * engine/text.c: the text layer.  Turns an utterance into normalised
 * text, word tokens and sentences, then marks negation scopes, quotation
 * and reported speech on the tokens.
 *
 * Workload: called once per utterance on the hot path (100k/s target), so
 * nothing here allocates once an analyzer's buffers have grown to the
 * largest text seen; growth is geometric.  ASCII takes a fast path of
 * one byte in, one byte out; anything else goes through utf8proc one
 * cluster (a starter and its combining marks) at a time, into a fixed
 * code-point buffer, so NFC and case folding never allocate either.
 *
 * Every normalised byte remembers the original bytes it came from
 * (map_s/map_e), so a token's span maps back to the caller's text even
 * when folding changed lengths ("STRASSE" vs "straße") or stripped an
 * ignorable character hidden inside a word ("k\u200bms").
 *
 * A token's key is what lexicons match: the folded word without
 * apostrophes ("don't" and "dont" are one key), with digits inside a word
 * read as letters ("su1c1de") and letter runs of three or more cut to
 * two ("soooo").  Its stem is the key's Snowball English stem.
 */
#include "internal.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define CLUSTER_MAX 16  /* code points per cluster (Zalgo text is split) */
#define CPBUF_MAX 512   /* decomposed code points per cluster */
#define STEM_MAX 64     /* longer words are their own stem */

uint64_t text_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h ? h : 1;
}

const char *text_key(const kd_text *t, const kd_tok *k)
{
	return t->strs + k->key;
}

int grow(void **p, size_t *cap, size_t need, size_t sz)
{
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / sz)
		return KD_ENGINE_ENOMEM;
	q = realloc(*p, n * sz);
	if (!q)
		return KD_ENGINE_ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* Makes room for extra more normalised bytes (and their maps). */
static int norm_reserve(kd_text *t, size_t extra)
{
	size_t need = t->nlen + extra + 1, n = t->ncap ? t->ncap : 256;
	void *q;

	if (need <= t->ncap)
		return 0;
	while (n < need)
		n *= 2;
	/* Each array that did grow keeps its new size; ncap is raised only
	 * when all three have, so it never overstates any of them. */
	if (!(q = realloc(t->norm, n)))
		return KD_ENGINE_ENOMEM;
	t->norm = q;
	if (!(q = realloc(t->map_s, n * sizeof(uint32_t))))
		return KD_ENGINE_ENOMEM;
	t->map_s = q;
	if (!(q = realloc(t->map_e, n * sizeof(uint32_t))))
		return KD_ENGINE_ENOMEM;
	t->map_e = q;
	t->ncap = n;
	return 0;
}

static void emit(kd_text *t, char c, size_t os, size_t oe)
{
	t->norm[t->nlen] = c;
	t->map_s[t->nlen] = (uint32_t)os;
	t->map_e[t->nlen] = (uint32_t)oe;
	t->nlen++;
}

/* Typographic marks folded to their ASCII meaning for the tokeniser:
 * curly apostrophes and quotes, guillemets, dashes, odd spaces. */
static char special_char(int32_t cp)
{
	switch (cp) {
	case 0x2018: case 0x2019: case 0x201b: case 0x02bc: case 0xff07:
		return '\'';
	case 0x201c: case 0x201d: case 0x201e: case 0x00ab: case 0x00bb:
	case 0xff02:
		return '"';
	case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014:
	case 0x2015: case 0x2212:
		return '-';
	case 0x2026:
		return '.';
	default:
		return 0;
	}
}

/* NFC + case fold of t->orig into t->norm, with the byte maps. */
static int normalise(kd_text *t)
{
	const uint8_t *p = (const uint8_t *)t->orig;
	size_t i = 0, n = t->olen, j, k;
	utf8proc_int32_t cps[CPBUF_MAX], cp, first = 0;
	utf8proc_ssize_t m, r;
	utf8proc_uint8_t enc[4];
	int ncp, rc;
	const utf8proc_option_t opt = UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE;

	if ((rc = norm_reserve(t, n + 16)) != 0)
		return rc;
	while (i < n) {
		uint8_t c = p[i];
		if (c < 0x80) {
			if (c == 0)
				return KD_ENGINE_EUTF8;
			if (t->nlen + 2 > t->ncap && (rc = norm_reserve(t, 1)) != 0)
				return rc;
			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c + 32);
			else if (c == '\r')
				c = '\n';
			else if (c < 0x20 && c != '\n')
				c = ' ';
			emit(t, (char)c, i, i + 1);
			i++;
			continue;
		}
		/* a cluster: a code point and the combining marks after it */
		j = i;
		ncp = 0;
		for (;;) {
			r = utf8proc_iterate(p + j, (utf8proc_ssize_t)(n - j), &cp);
			if (r < 0)
				return KD_ENGINE_EUTF8;
			if (ncp > 0 && (cp < 0x300 || utf8proc_get_property(cp)->combining_class == 0))
				break;
			if (ncp == 0)
				first = cp;
			j += (size_t)r;
			if (++ncp >= CLUSTER_MAX || j >= n)
				break;
		}
		if ((rc = norm_reserve(t, 4 * CPBUF_MAX)) != 0)
			return rc;
		if (ncp == 1 && special_char(first)) {
			emit(t, special_char(first), i, j);
			i = j;
			continue;
		}
		m = utf8proc_decompose(p + i, (utf8proc_ssize_t)(j - i), cps, CPBUF_MAX, opt);
		if (m < 0)
			return KD_ENGINE_EUTF8;
		if (m > CPBUF_MAX)
			return KD_ENGINE_EUTF8; /* cannot happen for 16 code points */
		m = utf8proc_normalize_utf32(cps, m, opt);
		if (m < 0)
			return KD_ENGINE_EUTF8;
		for (k = 0; k < (size_t)m; k++) {
			utf8proc_category_t cat = utf8proc_category(cps[k]);
			utf8proc_ssize_t e, b;
			if (cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_CC) {
				emit(t, ' ', i, j);
				continue;
			}
			if (cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP) {
				emit(t, '\n', i, j);
				continue;
			}
			e = utf8proc_encode_char(cps[k], enc);
			for (b = 0; b < e; b++)
				emit(t, (char)enc[b], i, j);
		}
		i = j;
	}
	t->norm[t->nlen] = '\0';
	return 0;
}

static int is_word_cp(int32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z');
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return 1;
	default:
		return 0;
	}
}

/* Hard punctuation breaks clauses; soft marks (symbols, emoji, # @ * &)
 * are ignored so "#kms" is the word "kms". */
static int is_hard_punct(int32_t cp)
{
	if (cp < 0x80)
		return cp == ',' || cp == ';' || cp == ':' || cp == '(' || cp == ')' || cp == '[' ||
		       cp == ']' || cp == '{' || cp == '}' || cp == '/' || cp == '-' || cp == '|' ||
		       cp == '<' || cp == '>' || cp == '=' || cp == '~';
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_PO: case UTF8PROC_CATEGORY_PS: case UTF8PROC_CATEGORY_PE:
	case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PC:
		return 1;
	default:
		return 0;
	}
}

static int is_ascii_alpha(char c)
{
	return c >= 'a' && c <= 'z';
}

static int is_ascii_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Leet digits between letters: "su1c1de" -> "suicide". */
static char leet(char c)
{
	switch (c) {
	case '0': return 'o';
	case '1': return 'i';
	case '3': return 'e';
	case '4': return 'a';
	case '5': return 's';
	case '7': return 't';
	default: return c;
	}
}

/* Appends the word norm[ws..we) as a token, with key, stem and class. */
static int add_word(kd_text *t, size_t ws, size_t we, struct sb_stemmer *st, const kd_wclass *wc,
		    uint32_t flags)
{
	kd_tok *k;
	size_t i, klen = 0, need = (we - ws) + 1;
	char *key;
	const sb_symbol *sym;
	int rc, slen;

	if ((rc = grow((void **)&t->tok, &t->tcap, t->ntok + 1, sizeof(kd_tok))) != 0)
		return rc;
	if ((rc = grow((void **)&t->strs, &t->strcap, t->slen + need, 1)) != 0)
		return rc;
	k = &t->tok[t->ntok];
	memset(k, 0, sizeof(*k));
	k->start = (uint32_t)ws;
	k->end = (uint32_t)we;
	k->ostart = t->map_s[ws];
	k->oend = t->map_e[we - 1];
	k->key = (uint32_t)t->slen;
	key = t->strs + t->slen;
	for (i = ws; i < we; i++) {
		char c = t->norm[i];
		if (c == '\'')
			continue;
		if (is_ascii_digit(c) && klen > 0 && is_ascii_alpha(key[klen - 1]) && i + 1 < we &&
		    is_ascii_alpha(t->norm[i + 1]))
			c = leet(c);
		if (is_ascii_alpha(c) && klen >= 2 && key[klen - 1] == c && key[klen - 2] == c)
			continue;
		key[klen++] = c;
	}
	key[klen] = '\0';
	k->hkey = text_hash(key, klen);
	k->flags = flags | (wc ? wclass_get(wc, k->hkey) : 0);
	if (k->flags & TF_SPELL) {
		/* a common misspelling ("tierd") reads as its word; the span
		 * stays the writer's */
		const char *fix = wclass_fix(wc, k->hkey);
		size_t n = fix ? strlen(fix) : 0;
		if (n) {
			if ((rc = grow((void **)&t->strs, &t->strcap, t->slen + n + 1, 1)) != 0)
				return rc;
			key = t->strs + t->slen;
			memcpy(key, fix, n + 1);
			klen = n;
			k->hkey = text_hash(key, klen);
			k->flags = flags | wclass_get(wc, k->hkey);
		}
	}
	k->klen = (uint32_t)klen;
	t->slen += klen + 1;
	/* a possessive or "'s" contraction keeps its noun's class:
	 * "mate's", "she's", "the novel's" */
	if (wc && klen > 1 && we - ws > 2 && t->norm[we - 1] == 's' && t->norm[we - 2] == '\'')
		k->flags |= wclass_get(wc, text_hash(key, klen - 1));
	/* stem, through the cache */
	k->hstem = k->hkey;
	k->slen = k->klen;
	if (st && klen > 0 && klen <= STEM_MAX) {
		stem_slot *c = &t->stems[k->hkey & (STEM_CACHE - 1)];
		if (c->hkey == k->hkey) {
			k->hstem = c->hstem;
			k->slen = c->slen;
		} else {
			sym = sb_stemmer_stem(st, (const sb_symbol *)key, (int)klen);
			if (!sym)
				return KD_ENGINE_ENOMEM;
			slen = sb_stemmer_length(st);
			if (slen >= 0) {
				k->hstem = text_hash((const char *)sym, (size_t)slen);
				k->slen = (uint32_t)slen;
			}
			c->hkey = k->hkey;
			c->hstem = k->hstem;
			c->slen = k->slen;
		}
	}
	k->sent = (uint32_t)t->nsent;
	t->ntok++;
	return 0;
}

static int sent_close(kd_text *t, int question)
{
	kd_sent *s;
	int rc;

	if (t->nsent > 0 && t->sent[t->nsent - 1].end == t->ntok)
		goto mark; /* nothing since the last close */
	if ((rc = grow((void **)&t->sent, &t->scap, t->nsent + 1, sizeof(kd_sent))) != 0)
		return rc;
	s = &t->sent[t->nsent];
	s->first = t->nsent ? t->sent[t->nsent - 1].end : 0;
	s->end = (uint32_t)t->ntok;
	s->flags = 0;
	t->nsent++;
mark:
	if (question && t->nsent > 0)
		t->sent[t->nsent - 1].flags |= SF_QUESTION;
	return 0;
}

/* Splits t->norm into word tokens and sentences. */
static int tokenise(kd_text *t, struct sb_stemmer *st, const kd_wclass *wc)
{
	const uint8_t *p = (const uint8_t *)t->norm;
	size_t i = 0, n = t->nlen, ws = 0, quote_tok = 0;
	int32_t cp, next;
	utf8proc_ssize_t r;
	int in_word = 0, in_quote = 0, rc = 0, prev_word = 0;
	uint32_t pending = TF_BOUNDARY, quoted = 0;

	while (i < n) {
		/* ASCII, most of any text, needs no decoder */
		if (p[i] < 0x80) {
			cp = p[i];
			r = 1;
		} else if ((r = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp)) <= 0) {
			return KD_ENGINE_EUTF8;
		}
		next = 0;
		if (i + (size_t)r < n) {
			if (p[i + (size_t)r] < 0x80)
				next = p[i + (size_t)r];
			else if (utf8proc_iterate(p + i + r, (utf8proc_ssize_t)(n - i - (size_t)r), &next) < 0)
				next = 0;
		}
		if (is_word_cp(cp)) {
			if (!in_word) {
				ws = i;
				in_word = 1;
			}
			i += (size_t)r;
			prev_word = 1;
			continue;
		}
		/* inside-word marks: apostrophes and dots ("don't", "3.5") */
		if (in_word && ((cp == '\'' && is_word_cp(next)) ||
				(cp == '.' && next >= '0' && next <= '9'))) {
			i += (size_t)r;
			continue;
		}
		if (in_word) {
			if ((rc = add_word(t, ws, i, st, wc, pending | quoted)) != 0)
				return rc;
			pending = 0;
			in_word = 0;
		}
		if (cp == '-' && prev_word && is_word_cp(next)) {
			/* "self-harm" is two words with no break between them */
		} else if (cp == '"') {
			in_quote = !in_quote;
			quoted = in_quote ? TF_QUOTED : 0;
			if (in_quote)
				quote_tok = t->ntok;
		} else if (cp == '.' || cp == '!' || cp == '?' || cp == '\n') {
			int abbrev = 0;
			if (cp == '.' && t->ntok > 0 && prev_word) {
				const kd_tok *k = &t->tok[t->ntok - 1];
				abbrev = (k->flags & TF_ABBREV) || k->end - k->start == 1;
			}
			if (!abbrev) {
				if ((rc = sent_close(t, cp == '?')) != 0)
					return rc;
				pending = TF_BOUNDARY;
			}
		} else if (is_hard_punct(cp)) {
			pending = TF_BOUNDARY;
		}
		prev_word = 0;
		i += (size_t)r;
	}
	if (in_word && (rc = add_word(t, ws, n, st, wc, pending | quoted)) != 0)
		return rc;
	if ((rc = sent_close(t, 0)) != 0)
		return rc;
	/* an unbalanced quote quotes nothing */
	if (in_quote) {
		size_t k;
		for (k = quote_tok; k < t->ntok; k++)
			t->tok[k].flags &= ~(uint32_t)TF_QUOTED;
	}
	return 0;
}

int text_valid(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;
	utf8proc_int32_t cp;
	utf8proc_ssize_t r;

	while (i < n) {
		if (p[i] < 0x80) {
			if (!p[i])
				return 0;
			i++;
			continue;
		}
		r = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
		if (r <= 0)
			return 0;
		i += (size_t)r;
	}
	return 1;
}

int text_analyse(kd_text *t, const char *s, size_t len, struct sb_stemmer *st, const kd_wclass *wc)
{
	int rc;
	size_t i;
	uint32_t clause = 0;

	t->orig = s;
	t->olen = len;
	t->nlen = t->ntok = t->nsent = t->slen = 0;
	t->nclause = 0;
	if (len > KD_ENGINE_MAX_TEXT) {
		rc = KD_ENGINE_ETOOBIG;
		goto done;
	}
	if (!t->stems && !(t->stems = calloc(STEM_CACHE, sizeof(stem_slot)))) {
		rc = KD_ENGINE_ENOMEM;
		goto done;
	}
	if ((rc = normalise(t)) != 0)
		goto done;
	if ((rc = tokenise(t, st, wc)) != 0)
		goto done;
	/* clauses: a hard break or a clause word starts one */
	for (i = 0; i < t->ntok; i++) {
		kd_tok *k = &t->tok[i];
		if (i > 0 && (k->flags & (TF_BOUNDARY | TF_CLAUSE)))
			clause++;
		k->clause = clause;
	}
	t->nclause = t->ntok ? clause + 1 : 0;
done:
	if (rc != 0)
		t->ntok = t->nsent = 0;
	return rc;
}

/* The referent nearest before token i, looking back within its clause
 * and then its sentence: TF_SELF, TF_OTHER or 0. */
uint32_t text_referent(const kd_text *t, size_t i, uint32_t other_mask)
{
	const kd_tok *k = &t->tok[i];
	size_t j = i;
	uint32_t sent = k->sent;

	while (j > 0) {
		const kd_tok *q = &t->tok[--j];
		if (q->sent != sent)
			break;
		if (q->flags & TF_SELF)
			return TF_SELF;
		if (q->flags & other_mask)
			return TF_OTHER;
	}
	return 0;
}

static uint32_t referent_after(const kd_text *t, size_t i, size_t max, uint32_t other_mask)
{
	size_t j;
	uint32_t sent = t->tok[i].sent;

	for (j = i; j < t->ntok && j < i + max; j++) {
		const kd_tok *q = &t->tok[j];
		if (q->sent != sent)
			break;
		if (q->flags & TF_SELF)
			return TF_SELF;
		if (q->flags & other_mask)
			return TF_OTHER;
	}
	return 0;
}

int text_mark(kd_text *t, const kd_engine *e, int helper)
{
	size_t i, j;
	int neg = 0;
	uint32_t other = TF_OTHER | (helper ? TF_YOU : 0);
	lex_match m;

	/* negation: from a negator to the end of its clause */
	for (i = 0; i < t->ntok; i++) {
		kd_tok *k = &t->tok[i];
		if (k->flags & (TF_BOUNDARY | TF_CLAUSE))
			neg = 0;
		if (neg)
			k->flags |= TF_NEGATED;
		if ((k->flags & TF_NEG) && !(e->negbreak.npat && lex_match_at(&e->negbreak, t, i, &m)))
			neg = 1;
	}
	/* quotations attributed to someone else */
	for (i = 0; i < t->ntok; i = j) {
		uint32_t who;
		j = i + 1;
		if (!(t->tok[i].flags & TF_QUOTED))
			continue;
		while (j < t->ntok && (t->tok[j].flags & TF_QUOTED) && t->tok[j].sent == t->tok[i].sent)
			j++;
		who = text_referent(t, i, other);
		if (!who && j < t->ntok)
			who = referent_after(t, j, 4, other);
		if (who == TF_OTHER)
			for (size_t q = i; q < j; q++)
				t->tok[q].flags |= TF_ELSEWHERE;
	}
	/* reported speech: "my friend said ..." up to a contrast or the end
	 * of the sentence */
	for (i = 0; i < t->ntok; i++) {
		if (!(t->tok[i].flags & TF_REPORT) || (t->tok[i].flags & TF_QUOTED))
			continue;
		if (text_referent(t, i, other) != TF_OTHER)
			continue;
		for (j = i + 1; j < t->ntok && t->tok[j].sent == t->tok[i].sent; j++) {
			if (t->tok[j].flags & TF_CONTRAST)
				break;
			t->tok[j].flags |= TF_ELSEWHERE;
		}
	}
	return 0;
}

void text_free(kd_text *t)
{
	if (!t)
		return;
	free(t->norm);
	free(t->map_s);
	free(t->map_e);
	free(t->tok);
	free(t->sent);
	free(t->strs);
	free(t->stems);
	memset(t, 0, sizeof(*t));
}

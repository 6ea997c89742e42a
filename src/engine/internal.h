/*
 * engine/internal.h: what the engine's files share and nobody else sees —
 * the text layer (normalised text, word tokens with spans back to the
 * original), the lexicon matcher, and the engine and analyzer structs.
 *
 * Tokens are words only.  Punctuation is not a token: it leaves marks on
 * the next word (TF_BOUNDARY: a hard break such as , . ; ? lies before
 * it) and on sentences (SF_QUESTION).  Every multi-word match stays
 * inside one clause, so "I want to, like, die" is not "want to die" but
 * "self harm" and "self-harm" are the same two words.
 */
#ifndef KD_ENGINE_INTERNAL_H
#define KD_ENGINE_INTERNAL_H

#include "kindred/engine.h"

#include <stddef.h>
#include <stdint.h>

struct sb_stemmer;

/* Word classes (from lexicons/text.tsv) and per-token context marks. */
enum {
	TF_NEG = 1u << 0,      /* negator: not, never, don't ... */
	TF_SELF = 1u << 1,     /* first person: i, me, my, myself */
	TF_OTHER = 1u << 2,    /* someone else or media: she, friend, film */
	TF_REPORT = 1u << 3,   /* reporting verb: said, told, wrote */
	TF_CLAUSE = 1u << 4,   /* opens a clause: but, and, because */
	TF_ABBREV = 1u << 5,   /* a following '.' does not end a sentence */
	TF_WH = 1u << 6,       /* wh-word opening an open question */
	TF_AUX = 1u << 7,      /* auxiliary opening a closed question */
	TF_YOU = 1u << 8,      /* second person */
	TF_EMOTION = 1u << 9,  /* feeling word */
	TF_CONTRAST = 1u << 10, /* ends reported speech: but, however */
	TF_SPELL = 1u << 11,    /* a misspelling with a fix (text.tsv "spell") */
	TF_CLASS_MASK = 0xffffu,
	TF_BOUNDARY = 1u << 16, /* hard punctuation between this and prev word */
	TF_NEGATED = 1u << 17,  /* inside a negation scope */
	TF_QUOTED = 1u << 18,   /* inside quotation marks */
	TF_ELSEWHERE = 1u << 19 /* someone else's words: quoted or reported */
};

typedef struct kd_tok {
	uint32_t start, end;   /* bytes of the normalised text */
	uint32_t ostart, oend; /* bytes of the original text */
	uint32_t key, klen;    /* lookup form, offset into kd_text.strs */
	uint32_t slen;         /* length of the key's Snowball stem */
	uint64_t hkey, hstem;  /* hashes of the key and of its stem */
	uint32_t flags;
	uint32_t sent, clause;
} kd_tok;

enum { SF_QUESTION = 1u << 0 };

typedef struct kd_sent {
	uint32_t first, end; /* tokens [first, end) */
	uint32_t flags;
} kd_sent;

/* A cached stem: most words in a stream repeat, and Snowball costs more
 * than the rest of the text layer together. */
typedef struct stem_slot {
	uint64_t hkey, hstem;
	uint32_t slen;
} stem_slot;

#define STEM_CACHE 4096 /* slots, a power of two */

/* Per-analyzer scratch for one text; buffers grow and are reused. */
typedef struct kd_text {
	const char *orig;
	size_t olen;
	char *norm;
	size_t nlen, ncap;
	uint32_t *map_s, *map_e; /* per normalised byte: original span */
	kd_tok *tok;
	size_t ntok, tcap;
	kd_sent *sent;
	size_t nsent, scap;
	char *strs;
	size_t slen, strcap;
	uint32_t nclause;
	struct stem_slot *stems; /* key hash -> stem, direct-mapped cache */
} kd_text;

/* ---- lexicons ---- */

enum { LEX_EXACT = 1, LEX_STEM = 2, LEX_GAP = 3 };

typedef struct lex_elem {
	uint64_t h;
	uint8_t kind;
	uint8_t gap;       /* LEX_GAP: at most this many words */
	uint16_t wclass;   /* class flags of the word, for rules */
} lex_elem;

typedef struct lex_pat {
	uint32_t first, n; /* elements */
	uint32_t rule;     /* the caller's row number */
	uint32_t next;     /* next pattern with the same first element + 1 */
} lex_pat;

typedef struct lex_slot {
	uint64_t h; /* first element hash, salted by kind; 0 = empty */
	uint32_t head; /* pattern index + 1 */
} lex_slot;

typedef struct kd_lex {
	lex_elem *el;
	size_t nel, elcap;
	lex_pat *pat;
	size_t npat, patcap;
	lex_slot *slot;  /* patterns by first element (one word or a gap next) */
	size_t nslot;    /* power of two */
	lex_slot *slot2; /* patterns by their first two words */
	size_t nslot2;
	/* one bit per key of slot and of slot2 (LEX_FILTER_BITS each): most
	 * words start no pattern, and a bit in L1 says so before a probe */
	uint64_t *filter;
} kd_lex;

#define LEX_FILTER_BITS 15

typedef struct lex_match {
	uint32_t rule;
	uint32_t first, last; /* tokens, inclusive */
} lex_match;

/* A growable list of matches owned by an analyzer. */
typedef struct lex_matches {
	lex_match *m;
	size_t n, cap;
} lex_matches;

/* Word class table: key hash -> TF_ class bits; and the fixes of the
 * keys marked TF_SPELL (few, so a list). */
typedef struct kd_wclass {
	uint64_t *h;
	uint32_t *flags;
	size_t nslot;
	size_t n;
	uint64_t *fix_h;
	char **fix;
	size_t nfix, fixcap;
} kd_wclass;

/* ---- TSV rows ---- */

/* One line of a lexicon, split on tabs; fields point into a copy. */
typedef struct tsv_row {
	char *field[8];
	size_t nfield;
	size_t line;
} tsv_row;

typedef int (*tsv_fn)(void *ctx, tsv_row *row);

/* ---- readings' compiled data ---- */

typedef struct risk_rule {
	uint8_t cat;
	uint8_t noneg;  /* negation before the cue does not cancel it */
	uint8_t negonly; /* the cue counts only when negated ("... keep living") */
	uint8_t anchored; /* the pattern names its subject ("myself") */
	uint8_t needmod;  /* counts only with modifiers around it (risk.c) */
	const char *name;
} risk_rule;

typedef struct stigma_rule {
	const char *term, *suggestion, *reason; /* NULL suggestion: allow row */
	uint8_t quoted_ok;
} stigma_rule;

typedef struct cue_rule {
	uint16_t label;
	uint8_t at_start; /* only at the start of a sentence */
	double weight;
	const char *name;
} cue_rule;

/* One head of a learned model: its classes' columns in the engine's
 * shared weight table (see model.c). */
typedef struct model_head {
	uint32_t nclass;
	uint32_t col; /* first column in kd_engine.w rows */
	float scale;
	float bias[8];
} model_head;

typedef struct kd_model {
	int present;
	uint32_t nheads;
	model_head head[4];
} kd_model;

#define MODEL_TASKS 4   /* indexed by kd_task; 0 unused */
#define MODEL_COLS 32   /* columns of the shared table, at most */

struct kd_engine {
	kd_wclass wc;
	kd_lex negbreak;
	int have_text;
	kd_lex risk;
	risk_rule *risk_rules;
	size_t n_risk;
	kd_lex stigma;
	stigma_rule *stigma_rules;
	size_t n_stigma;
	kd_lex cues;
	cue_rule *cue_rules;
	size_t n_cues;
	kd_model model[MODEL_TASKS];
	const char *refused[MODEL_TASKS]; /* why a given model was not loaded */
	int8_t *w;      /* 2^KD_FEATURE_BITS rows of MODEL_COLS weights, all models */
	uint32_t ncol;  /* columns in use */
	char **strings; /* every string the rules point at, owned */
	size_t nstrings, strcap;
};

/* The number of cue labels (see cue_label_names in cues.c). */
enum {
	CUE_MI_OPEN,
	CUE_MI_CLOSED,
	CUE_MI_REFLECTION,
	CUE_MI_COMPLEX,
	CUE_MI_INFORMATION,
	CUE_MI_ADVICE,
	CUE_MI_NEGOTIATION,
	CUE_MI_OPTIONS,
	CUE_MI_OTHER,
	CUE_EMOTION,
	CUE_ER,
	CUE_IP,
	CUE_EX,
	CUE_ST_RESTATEMENT,
	CUE_ST_FEELINGS,
	CUE_ST_SELF_DISCLOSURE,
	CUE_ST_AFFIRMATION,
	CUE_ST_SUGGESTIONS,
	CUE_ST_INFORMATION,
	CUE_C_RECOGNITION,
	CUE_C_UNIVERSALITY,
	CUE_C_TOLERANCE,
	CUE_C_ACTION,
	CUE_C_PERMISSION,
	CUE_NLABELS
};

struct kd_analyzer {
	const kd_engine *e;
	struct sb_stemmer *stemmer;
	kd_text text;  /* the utterance */
	kd_text ctx;   /* the preceding turn of the other speaker */
	kd_text prev;  /* the speaker's own previous turn (models only) */
	lex_matches lm;
	kd_evidence *ev; /* risk evidence */
	size_t nev, evcap;
	kd_stigma_hit *hits;
	size_t nhits, hitcap;
	kd_evidence *cue_ev;
	size_t ncue_ev, cue_evcap;
	uint32_t *feat; /* hashed features of the utterance (features.c) */
	size_t nfeat, featcap;
	float col[MODEL_COLS]; /* scores of every model column */
	double cue_score[CUE_NLABELS];
	double cue_max[CUE_NLABELS];
};

/* ---- text.c ---- */

/* Normalises (NFC, case fold), tokenises, stems and marks s[0..len) into
 * t, reusing t's buffers.  wc may be NULL (no word classes).  Returns 0,
 * KD_ENGINE_EUTF8 or KD_ENGINE_ENOMEM. */
int text_analyse(kd_text *t, const char *s, size_t len, struct sb_stemmer *st,
		 const kd_wclass *wc);
/* Marks negation scopes, quotation and reported speech on t's tokens;
 * negbreak lists negators that negate nothing ("not sure", "no longer").
 * helper: second person counts as someone else. */
int text_mark(kd_text *t, const kd_engine *e, int helper);
/* Releases t's buffers; t is empty and reusable.  NULL is a no-op. */
void text_free(kd_text *t);
/* 1 if s[0..n) is valid UTF-8 without NUL, else 0. */
int text_valid(const char *s, size_t n);
/* The referent nearest before token i in its sentence: TF_SELF, TF_OTHER
 * (a word in other_mask) or 0 for none. */
uint32_t text_referent(const kd_text *t, size_t i, uint32_t other_mask);
/* The key of token k, NUL-terminated. */
const char *text_key(const kd_text *t, const kd_tok *k);
/* 64-bit FNV-1a of s[0..n), never 0 (0 marks empty hash slots). */
uint64_t text_hash(const char *s, size_t n);

/* ---- lexicon.c ---- */

/* Calls fn for each non-blank, non-comment line of data[0..len), split on
 * tabs.  Stops at fn's first non-zero return and returns it. */
int tsv_each(const void *data, size_t len, tsv_fn fn, void *ctx);
/* Compiles pattern (space-separated words; "=w" exact form, "a|b" word
 * alternatives, "*" or "*N" a gap of up to 3 or N words; "p1;p2" lists
 * whole patterns) for rule, adding
 * every expansion to lx.  scratch/st tokenise the pattern words.  Returns
 * 0, KD_ENGINE_EDATA or KD_ENGINE_ENOMEM. */
int lex_add(kd_lex *lx, const char *pattern, uint32_t rule, kd_text *scratch,
	    struct sb_stemmer *st, const kd_wclass *wc);
/* Builds the index after the last lex_add. */
int lex_finish(kd_lex *lx);
/* Releases lx's arrays; lx is empty afterwards.  NULL is a no-op. */
void lex_free(kd_lex *lx);
/* Appends every match of lx in t to out (leaving earlier entries).  Matches
 * start at each word and never cross a hard boundary. */
int lex_scan(const kd_lex *lx, const kd_text *t, lex_matches *out);
/* Whether some pattern of lx matches starting exactly at token i. */
int lex_match_at(const kd_lex *lx, const kd_text *t, size_t i, lex_match *m);
/* Word classes: wclass_add ORs flags into the entry for key hash h (0 or
 * ENOMEM); wclass_get returns its flags (0 if absent); wclass_free
 * releases the table (NULL is a no-op). */
int wclass_add(kd_wclass *wc, uint64_t h, uint32_t flags);
uint32_t wclass_get(const kd_wclass *wc, uint64_t h);
/* wclass_fix: the key a misspelt key hash h stands for (NULL if none);
 * wclass_fix_add records one (0 or ENOMEM), marking h TF_SPELL. */
const char *wclass_fix(const kd_wclass *wc, uint64_t h);
int wclass_fix_add(kd_wclass *wc, uint64_t h, const char *right);
void wclass_free(kd_wclass *wc);
/* Copies s into the engine's string pool; NULL on out of memory. */
const char *engine_strdup(kd_engine *e, const char *s);
/* A short readable name for a lexicon row: its first pattern with the
 * first alternative of each word ("want to die"); owned by e. */
const char *engine_cue_name(kd_engine *e, const char *pattern);
/* Writes "name:line: msg" into the caller's error buffer, if any. */
void engine_error(const kd_engine_data *d, const char *name, size_t line, const char *msg);
/* Grows *p (of *cap elements of size sz) to hold need; 0 or ENOMEM. */
int grow(void **p, size_t *cap, size_t need, size_t sz);

/* ---- readings ----
 *
 * X_load compiles the lexicon in blob b into e (scratch and st tokenise its
 * patterns); returns 0, KD_ENGINE_EDATA (with a message via d) or
 * KD_ENGINE_ENOMEM.  X_read computes the reading for a->text into the
 * analyzer's reused arrays, which the result points at; returns 0 or
 * KD_ENGINE_ENOMEM.  The rule readings (mi..compassion) read the cue
 * scores cues_read left in the analyzer and cannot fail. */

int risk_load(kd_engine *e, const kd_engine_data *d, const kd_blob *b, kd_text *scratch,
	      struct sb_stemmer *st);
/* Reads in->text, and for a client the turns before it (in->context). */
int risk_read(kd_analyzer *a, const kd_input *in, kd_risk *out);
int stigma_load(kd_engine *e, const kd_engine_data *d, const kd_blob *b, kd_text *scratch,
		struct sb_stemmer *st);
int stigma_read(kd_analyzer *a, const kd_stigma_hit **hits, size_t *n);
int cues_load(kd_engine *e, const kd_engine_data *d, const kd_blob *b, kd_text *scratch,
	      struct sb_stemmer *st);
/* Scores cue labels of the utterance into a->cue_score / cue_max. */
int cues_read(kd_analyzer *a);
void mi_read(kd_analyzer *a, const kd_input *in, kd_mi *out);
void empathy_read(kd_analyzer *a, kd_empathy *out);
kd_strategy strategy_read(kd_analyzer *a);
void compassion_read(kd_analyzer *a, const kd_result *r, kd_compassion *out);

/* ---- features.c, model.c ---- */

/* Fills a->feat from the analysed utterance (a->text), the other
 * speaker's latest turn (a->ctx, possibly empty), the speaker's own
 * previous turn (analysed here into a->prev) and the cue scores that
 * cues_read left.  Returns 0 or KD_ENGINE_ENOMEM. */
int features_extract(kd_analyzer *a, const kd_input *in);
/* Parses one model file into e (copying its weights into e->w).  Returns
 * 0, KD_ENGINE_EDATA (e untouched, *why a static reason) or
 * KD_ENGINE_ENOMEM. */
int model_load(kd_engine *e, const kd_blob *b, const char **why);
/* Whether e has any model. */
int model_any(const kd_engine *e);
/* Scores every column for a->feat into a->col. */
void model_score(kd_analyzer *a);
/* The best class of head h of task's model, from a->col. */
int model_argmax(const kd_analyzer *a, kd_task task, size_t h);

#endif

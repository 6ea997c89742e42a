/*
 * kindred/engine.h: the compassion engine, an embeddable C library that
 * reads one utterance (a clinician's draft, a turn of a transcript, a
 * journal entry) and says how it listens (mi, empathy, strategy,
 * compassion), whether its writer may be at risk (risk) and where its
 * wording stigmatises (stigma), each with evidence spans a person can see.
 *
 * Two objects, split by how they are shared:
 *
 *   kd_engine    built once from data (lexicons and model files),
 *                read-only afterwards, so one engine may be shared by any
 *                number of threads without locks.
 *   kd_analyzer  per-thread scratch (normalised text, token arrays, match
 *                lists, a Snowball stemmer).  Reused across calls so the
 *                hot path allocates nothing once its buffers have grown to
 *                the largest input seen.  Not thread-safe: one per thread.
 *
 * The engine calls nothing else of kindred's and reads no files: the
 * caller passes every lexicon and model as a named byte buffer.  It never
 * aborts; failures return a negative KD_ENGINE_E... code.  Offsets in
 * results are byte offsets into the caller's original (un-normalised)
 * text, half-open [start, end).
 *
 * Workload: short utterances (10-60 words) at up to ~100k per second per
 * core, and occasionally whole notes or journal entries of a few pages.
 */
#ifndef KINDRED_ENGINE_H
#define KINDRED_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes.  Values shared with kindred's kd.h keep the same number so
 * the application can pass them straight to kd_strerror(). */
enum {
	KD_ENGINE_OK = 0,
	KD_ENGINE_ENOMEM = -1,  /* out of memory */
	KD_ENGINE_EINVAL = -2,  /* invalid argument */
	KD_ENGINE_ETOOBIG = -9, /* text longer than KD_ENGINE_MAX_TEXT */
	KD_ENGINE_EUTF8 = -10,  /* text is not valid UTF-8 (or holds NUL) */
	KD_ENGINE_EDATA = -100  /* a lexicon or model buffer is malformed */
};

/* Longest text kd_analyze() accepts, in bytes. */
#define KD_ENGINE_MAX_TEXT (16u * 1024u * 1024u)

/* Returns a static, human-readable string for err; never NULL. */
const char *kd_engine_strerror(int err);

/* ---- building an engine ------------------------------------------------ */

/* One named byte buffer.  Names the engine knows (see docs/models.md):
 *   "lexicons/text.tsv"    word classes and negation breakers (text layer)
 *   "lexicons/risk.tsv"    risk cues, idiom blocks, history markers
 *   "lexicons/stigma.tsv"  stigmatising terms, alternatives, reasons
 *   "lexicons/cues.tsv"    rule cues for mi, empathy, strategy, compassion
 *   "models/mi.bin"        learned models (format in docs/models.md and
 *   "models/empathy.bin"   below); a reading with a model uses it, one
 *   "models/strategy.bin"  without, or whose file does not fit this
 *                          engine, falls back to the rules
 * A reading whose data is absent is simply not computed (see
 * kd_result.readings).  Unknown names are ignored, so data an engine
 * does not know can be passed to it. */
typedef struct kd_blob {
	const char *name;
	const void *data;
	size_t len;
} kd_blob;

typedef struct kd_engine_data {
	const kd_blob *blobs;
	size_t n_blobs;
	/* Optional: on KD_ENGINE_EDATA (a malformed lexicon) a message such
	 * as "lexicons/risk.tsv:12: unknown category" is written here.  A
	 * refused model is no error: see kd_engine_source(). */
	char *errbuf;
	size_t errlen;
} kd_engine_data;

typedef struct kd_engine kd_engine;
typedef struct kd_analyzer kd_analyzer;

/* Builds an engine from data.  The engine copies what it needs: the
 * buffers may be freed as soon as this returns.  On success *out is the
 * caller's, to release with kd_engine_free(); on failure *out is NULL. */
int kd_engine_new(const kd_engine_data *data, kd_engine **out);

/* Releases an engine.  All its analyzers must have been freed first.
 * kd_engine_free(NULL) is a no-op. */
void kd_engine_free(kd_engine *e);

/* Creates per-thread scratch for e.  The analyzer borrows e, which must
 * outlive it.  *out is the caller's, to release with kd_analyzer_free(). */
int kd_analyzer_new(const kd_engine *e, kd_analyzer **out);

/* kd_analyzer_free(NULL) is a no-op. */
void kd_analyzer_free(kd_analyzer *a);

/* ---- input ------------------------------------------------------------- */

typedef enum kd_speaker {
	KD_SPEAKER_UNKNOWN = 0,
	KD_SPEAKER_CLIENT = 1, /* the person seeking care: risk applies */
	KD_SPEAKER_HELPER = 2  /* clinician, supporter or peer: mi applies */
} kd_speaker;

typedef struct kd_turn {
	kd_speaker speaker;
	const char *text; /* UTF-8, need not be NUL-terminated */
	size_t len;
} kd_turn;

/* Readings, as bits; kd_input.readings == 0 means all of them. */
enum {
	KD_READ_MI = 1u << 0,
	KD_READ_EMPATHY = 1u << 1,
	KD_READ_STRATEGY = 1u << 2,
	KD_READ_RISK = 1u << 3,
	KD_READ_STIGMA = 1u << 4,
	KD_READ_COMPASSION = 1u << 5,
	KD_READ_ALL = 0x3fu
};

typedef struct kd_input {
	const char *text; /* UTF-8, need not be NUL-terminated */
	size_t len;
	kd_speaker speaker;
	/* Preceding turns, oldest first; may be NULL.  mi and the models read
	 * them; risk, for a client's text, reads the helper's question just
	 * before ("yes" to "are you thinking of ending your life?") and the
	 * client's own last turns (see src/engine/risk.c). */
	const kd_turn *context;
	size_t n_context;
	unsigned readings; /* KD_READ_... bits; 0 = all */
} kd_input;

/* ---- result ------------------------------------------------------------ */

/* Strings in results (cue names, suggestions, reasons) belong to the
 * engine and live as long as it does. */
typedef struct kd_evidence {
	size_t start, end; /* bytes of the original text */
	const char *cue;   /* the lexicon entry that matched */
} kd_evidence;

typedef enum kd_risk_level {
	KD_RISK_NONE = 0,
	KD_RISK_SELF_HARM = 1,
	KD_RISK_IDEATION = 2,
	KD_RISK_IMMINENT = 3
} kd_risk_level;

typedef struct kd_risk {
	kd_risk_level level;
	const kd_evidence *evidence; /* cues that set the level, in text order */
	size_t n_evidence;
} kd_risk;

typedef struct kd_stigma_hit {
	size_t start, end;
	const char *term;       /* the lexicon entry, e.g. "committed suicide" */
	const char *suggestion; /* a person-first or neutral alternative */
	const char *reason;
} kd_stigma_hit;

typedef enum kd_mi_behaviour {
	KD_MI_NA = 0, /* not a helper's utterance */
	KD_MI_QUESTION,
	KD_MI_REFLECTION,
	KD_MI_INPUT, /* therapist input */
	KD_MI_OTHER
} kd_mi_behaviour;

/* Sub-labels; KD_MI_SUB_NONE where the behaviour has none. */
typedef enum kd_mi_sub {
	KD_MI_SUB_NONE = 0,
	KD_MI_OPEN,
	KD_MI_CLOSED,
	KD_MI_SIMPLE,
	KD_MI_COMPLEX,
	KD_MI_INFORMATION,
	KD_MI_ADVICE,
	KD_MI_NEGOTIATION,
	KD_MI_OPTIONS
} kd_mi_sub;

typedef struct kd_mi {
	kd_mi_behaviour behaviour;
	kd_mi_sub question;   /* OPEN | CLOSED when behaviour is QUESTION */
	kd_mi_sub reflection; /* SIMPLE | COMPLEX when REFLECTION */
	kd_mi_sub input;      /* INFORMATION..OPTIONS when INPUT */
} kd_mi;

/* EPITOME's three mechanisms, each 0 (none), 1 (weak) or 2 (strong). */
typedef struct kd_empathy {
	int emotional_reactions;
	int interpretations;
	int explorations;
} kd_empathy;

/* ESConv's eight support strategies. */
typedef enum kd_strategy {
	KD_STRATEGY_QUESTION = 0,
	KD_STRATEGY_RESTATEMENT,
	KD_STRATEGY_REFLECTION_OF_FEELINGS,
	KD_STRATEGY_SELF_DISCLOSURE,
	KD_STRATEGY_AFFIRMATION,
	KD_STRATEGY_SUGGESTIONS,
	KD_STRATEGY_INFORMATION,
	KD_STRATEGY_OTHERS
} kd_strategy;

/* The five elements of compassion, each in [0, 1] (docs/compassion.md). */
typedef struct kd_compassion {
	double recognition;
	double universality;
	double empathy;
	double tolerance;
	double action;
} kd_compassion;

/* How a reading was made, so a caller can say so. */
typedef enum kd_source {
	KD_SOURCE_NONE = 0, /* not computed */
	KD_SOURCE_RULES,    /* lexicon rules only */
	KD_SOURCE_MODEL     /* a learned model (data/models) */
} kd_source;

typedef struct kd_result {
	unsigned readings; /* KD_READ_... bits actually computed */
	kd_source source[6]; /* per reading, indexed by bit number */
	kd_mi mi;
	kd_empathy empathy;
	kd_strategy strategy;
	kd_risk risk;
	const kd_stigma_hit *stigma; /* in text order, non-overlapping */
	size_t n_stigma;
	kd_compassion compassion;
	const kd_evidence *cues; /* the rule cues behind mi..compassion */
	size_t n_cues;
} kd_result;

/* Analyses in->text.  The result's arrays belong to the analyzer and stay
 * valid until the next kd_analyze() on it or kd_analyzer_free().  Readings
 * not asked for, or whose data the engine lacks, are left zero and their
 * bits clear in out->readings.  Returns 0, KD_ENGINE_EUTF8 (invalid UTF-8
 * or NUL in the text or a context turn), KD_ENGINE_ETOOBIG, KD_ENGINE_EINVAL
 * or KD_ENGINE_ENOMEM; on error *out is zeroed. */
int kd_analyze(kd_analyzer *a, const kd_input *in, kd_result *out);

/* How reading (one KD_READ_... bit) is made by e: KD_SOURCE_MODEL,
 * KD_SOURCE_RULES, or KD_SOURCE_NONE when e lacks its data.  A model file
 * that does not fit the engine (another feature version or hash width,
 * another task, a file short, long or corrupt) does not fail
 * kd_engine_new(): its reading runs on the rules alone, and *why (when why
 * is not NULL) receives the reason, e.g. "models/mi.bin: feature version
 * or bits differ from this engine's: retrain", owned by e; else NULL.  A
 * caller should show that reason once, where a person will see it. */
kd_source kd_engine_source(const kd_engine *e, unsigned reading, const char **why);

/* ---- learned models ---------------------------------------------------
 *
 * A model file is little-endian binary:
 *   "KDM1"  u32 feature_version  u32 bits  u32 task  u32 n_heads
 *   per head: u32 n_classes, f32 scale, f32 bias[n_classes]
 *   per head: i8 weight[2^bits][n_classes]   (weight * scale is the value)
 * and nothing after.  task is a KD_TASK_...; the heads and their classes
 * are fixed per task (kd_task_heads()).  A score for class c of a head is
 * bias[c] + scale * sum(weight[f][c] for f in features) / sqrt(#features);
 * the highest score wins.  Files with another feature_version or bits are
 * refused, as are short, long or inconsistent ones: the engine is built
 * without them and their readings run on the rules (kd_engine_source()). */

#define KD_MODEL_MAGIC "KDM1"
#define KD_FEATURE_VERSION 3u
#define KD_FEATURE_BITS 17u

typedef enum kd_task {
	KD_TASK_MI = 1,       /* heads: behaviour(4) question(2) reflection(2) input(4) */
	KD_TASK_EMPATHY = 2,  /* heads: emotional_reactions(3) interpretations(3) explorations(3) */
	KD_TASK_STRATEGY = 3  /* heads: strategy(8), in kd_strategy order */
} kd_task;

/* The number of heads of task (0 for an unknown task); for head h,
 * *n_classes receives its class count when h is in range. */
size_t kd_task_heads(kd_task task, size_t h, size_t *n_classes);

/* The hashed feature indices (each < 2^KD_FEATURE_BITS, repeats allowed)
 * that the learned models read for in: the text layer and cue scan run as
 * in kd_analyze().  For `kindred train`; the array belongs to a and lives
 * until its next call.  Returns 0 or a kd_analyze() error. */
int kd_features(kd_analyzer *a, const kd_input *in, const uint32_t **idx, size_t *n);

/* ---- names (static strings, as in the CLI's JSON) ----------------------- */

const char *kd_risk_level_name(kd_risk_level l);      /* "none", "self_harm"... */
const char *kd_mi_behaviour_name(kd_mi_behaviour b);  /* NULL for KD_MI_NA */
const char *kd_mi_sub_name(kd_mi_sub s);              /* NULL for NONE */
const char *kd_strategy_name(kd_strategy s);          /* "Question", ... */

#ifdef __cplusplus
}
#endif

#endif

/*
 * care.h: kindred's care logic over store, vault and policy: accounts,
 * invitations, sessions' people, check-ins, caseloads and the audit
 * trail a person reads.  Every function that touches a person's data
 * asks policy first.  Results for the web layer come back as jansson
 * values (new references, the caller's to json_decref).
 *
 * Errors: the usual KD_E codes; where the person can fix something, the
 * human message is put in *why (a static string, or NULL).
 */
#ifndef KD_CARE_H
#define KD_CARE_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "kindred/engine.h"

#include "care/instruments.h"
#include "care/policy.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/memo.h"
#include "vault/vault.h"

typedef struct care {
	store *st;
	vault *v;
	json_t *feelings; /* [{code, label}] from data/content/feelings.json */
	char *feelings_text; /* the same as JSON text, written once */
	memo *rows;       /* list rows already unsealed and written (memo.h) */
	json_t *safety;   /* data/content/safety_plan.json */
	json_t *reflect;  /* data/content/reflections.json */
	json_t *measures; /* data/content/measures.json */
	instrument_catalog *instruments; /* data/instruments/ */
	int64_t invite_ttl; /* seconds an invitation stays valid */
	const kd_engine *engine; /* borrowed; NULL: no risk reading, no replies */
	pthread_key_t analyzers; /* each thread's kd_analyzer */
	int has_key;             /* analyzers was created (care_fini may run twice) */
} care;

/* Loads the content it needs; the care borrows st, v and engine (which
 * may be NULL, then free text is stored without readings). */
int care_init(care *c, store *st, vault *v, const kd_engine *engine);
void care_fini(care *c);

/* --- reading free text (analysis.c, engine_data.c) --- */

/* Builds the engine from the data embedded in the binary; on
 * KD_ENGINE_EDATA err says which file and line.  *out is the caller's. */
int care_engine_new(kd_engine **out, char *err, size_t errlen);
/* The same from the lexicons alone, without the learned models: the
 * rules-only engine (`kindred train`, `kindred eval --rules`). */
int care_engine_rules_new(kd_engine **out, char *err, size_t errlen);

/* Runs the engine over a client's text on this thread's analyzer; the
 * result's arrays stay valid until the next call on this thread. */
int care_analyze(care *c, const char *text, size_t len, unsigned readings, kd_result *out);

/* --- the risk pathway (risk.c) --- */

/* Reads a client's free text for risk and, if it finds any, records the
 * event and tells whom the client chose.  Never fails the caller's save:
 * a reading error counts as no reading.  *level receives the level. */
int care_risk_text(care *c, const actor *client, const char *source, int64_t source_id,
		   const char *text, size_t len, int *level);
/* Records a risk noticed another way (a measure's item). */
int care_risk_event(care *c, const actor *client, const char *source, int64_t source_id,
		    int level);
/* The client's choices: {"notify": "clinician"|"nobody"|null, "replies": bool}. */
int care_prefs_get(care *c, const actor *who, json_t **out);
int care_prefs_set(care *c, const actor *who, const char *notify, int replies,
		   const char **why);
/* Risk events a clinician was told of for client_id: {"events": [...]}. */
int care_risk_list(care *c, const actor *who, int64_t client_id, json_t **out);
/* The clinician has seen them. */
int care_risk_seen(care *c, const actor *who, int64_t client_id);

/* --- the journal (journal.c, reflect.c) --- */

/* Saves an entry (always, whatever its reading) and, unless the client
 * turned replies off, writes kindred's reflection: {id, created_at, text,
 * reply, risk: {level, at_risk}}. */
int care_journal_add(care *c, const actor *who, const char *text, json_t **out,
		     const char **why);
int care_journal_list(care *c, const actor *who, int limit, json_t **out);
int care_journal_get(care *c, const actor *who, int64_t id, json_t **out);
/* The client's unsent draft: {"text", "updated_at"} or {"text": ""}. */
int care_draft_get(care *c, const actor *who, json_t **out);
int care_draft_put(care *c, const actor *who, const char *text, const char **why);
/* Composes kindred's reflection on text from the engine's reading r;
 * deterministic for the same text.  Returns a malloc'd string. */
char *care_reflect(const care *c, const char *text, size_t len, const kd_result *r);

/* --- people (people.c) --- */

/* Checks a new username and password against kindred's rules. */
int care_check_credentials(const char *username, const char *password, const char **why);
/* Creates an account with its data key, in one transaction. */
int care_user_create(care *c, const char *role, const char *username,
		     const char *display_name, const char *password, int64_t *id,
		     const char **why);
/* 1 if no account exists yet (the setup page is open), 0 if one does. */
int care_needs_setup(care *c);
/* Creates the first account (an administrator with a caseload);
 * KD_EEXIST once any account exists. */
int care_setup(care *c, const char *username, const char *display_name,
	       const char *password, int64_t *id, const char **why);
/* Checks a password, throttled per username and per address:
 * KD_ETHROTTLED after too many failures, KD_EAUTH if wrong. */
int care_login(care *c, const char *username, const char *password, const char *addr,
	       actor *who);
/* Fills who from an account id (for sessions); KD_ENOTFOUND if gone. */
int care_actor(care *c, int64_t id, actor *who, char **display_name);

/* Creates a single-use invitation for a client to join who's caseload.
 * token receives the secret for the link; it is stored only hashed. */
int care_invite(care *c, const actor *who, char token[44], int64_t *expires_at);
/* KD_ENOTFOUND, KD_EUSED or KD_EEXPIRED if the link cannot be used. */
int care_invite_check(care *c, const char *token);
int care_invite_accept(care *c, const char *token, const char *username,
		       const char *display_name, const char *password, int64_t *id,
		       const char **why);
/* The role an invitation makes ("client" or "supporter"); the errors of
 * care_invite_check. */
int care_invite_role(care *c, const char *token, char role[16]);

/* --- supporters (supporters.c) --- */

/* A client invites a supporter who may see scopes (of "checkins",
 * "safety_plan", "alerts"); token as in care_invite. */
int care_supporter_invite(care *c, const actor *who, const char *const *scopes, size_t n,
			  char token[44], int64_t *expires_at, const char **why);
/* The client's supporters: {"supporters": [{id, name, checkins,
 * safety_plan, alerts, since}]}. */
int care_supporters(care *c, const actor *who, json_t **out);
/* Changes what a supporter may see; KD_ENOTFOUND if not theirs. */
int care_supporter_update(care *c, const actor *who, int64_t supporter_id,
			  const char *const *scopes, size_t n, const char **why);
int care_supporter_remove(care *c, const actor *who, int64_t supporter_id);
/* A supporter's people: {"people": [{id, name, checkins, safety_plan,
 * alerts, recent_alerts}]}. */
int care_people(care *c, const actor *who, json_t **out);
/* What client_id shares with the supporter who: {"client", "shares",
 * "checkins"?, "plan"?, "recent_alerts"}. */
int care_person(care *c, const actor *who, int64_t client_id, json_t **out);

/* --- check-ins (checkins.c) --- */

/* The feelings list for forms: [{code, label}] (new reference). */
json_t *care_feelings(care *c);
int care_checkin_add(care *c, const actor *who, int mood, const char *const *feelings,
		     size_t nfeelings, const char *note, json_t **out, const char **why);
/* The same as JSON text, written once at start. */
const char *care_feelings_text(const care *c);
/* The client's check-ins, newest first: {"client": {...}, "checkins": [...]} */
int care_checkin_list(care *c, const actor *who, int64_t client_id, int limit, json_t **out);
/* The same written as JSON text onto out (the API answers with it as it
 * is; the pages read it back).  On failure out is as it was. */
int care_checkin_list_text(care *c, const actor *who, int64_t client_id, int limit, buf *out);
/* A page of who's caseload, by name: {"clients": [...], "offset",
 * "limit", "more", "next_offset", "prev_offset"}. */
int care_caseload(care *c, const actor *who, int64_t limit, int64_t offset, json_t **out);
/* who's own audit trail: {"entries": [...]} */
int care_audit_list(care *c, const actor *who, int limit, json_t **out);

/* --- safety plans (safety.c) --- */

/* The client's plan, each step with its title, prompt and items:
 * {"client": {id, name}, "intro", "steps": [{key, title, prompt, example,
 * items: [..]}], "exists", "updated_at", "updated_when", "updated_by"}.
 * A client with no plan yet gets the steps with empty items. */
int care_safety_get(care *c, const actor *who, int64_t client_id, json_t **out);
/* Replaces the plan from in: each step's key holds an array of strings
 * (API) or one string with an item per line (form).  Empty items are
 * dropped; limits come from the content file. */
int care_safety_save(care *c, const actor *who, int64_t client_id, const json_t *in,
		     const char **why);

/* --- a client's own data (mydata.c) --- */

/* Everything kindred holds about who, opened: {"exported_at", "account",
 * "checkins", "journal", "safety_plan", "measures", "choices",
 * "supporters", "audit"}. */
int care_export(care *c, const actor *who, json_t **out);
/* Deletes who's account and all their data after checking the password:
 * the data key is destroyed first, so sealed text anywhere (the WAL, a
 * copy of the database) can no longer be opened with this database's
 * keys.  KD_EAUTH if the password is wrong. */
int care_delete_self(care *c, const actor *who, const char *password);

/* --- measures (measures.c) --- */

/* What a client has to answer and may choose: {"client", "assigned":
 * [{instrument, name, schedule, due, last_answered_at}], "available":
 * [{instrument, name, items}], "recent": [{id, name, total, band, at}]}. */
int care_measures_overview(care *c, const actor *who, int64_t client_id, json_t **out);
/* The form of an instrument for who to answer, with a fresh submission
 * token: {instrument, name, preamble, items: [{number, text, options,
 * ask_if}], submission}. */
int care_measure_form(care *c, const actor *who, const char *inst_id, json_t **out);
/* Scores and saves who's answers (fields "item1".."itemN", or "answers":
 * [..] with null for a skipped item).  The same submission token twice
 * saves once.  Risk items go through the risk pathway.  Returns the
 * result as care_measure_result does, with "repeat". */
int care_measure_answer(care *c, const actor *who, const char *inst_id, const json_t *in,
			json_t **out, const char **why);
/* One saved response, in plain words: {id, instrument, name, total,
 * band, subscales, meaning, does_not_mean, not_a_diagnosis, at_risk} (and
 * item alerts for the client's clinician). */
int care_measure_result(care *c, const actor *who, int64_t id, json_t **out);
/* Assigns instrument to client_id on schedule (once, weekly,
 * fortnightly, monthly); a client may choose one for themselves. */
int care_assign(care *c, const actor *who, int64_t client_id, const char *inst_id,
		const char *schedule, const char **why);
/* Series over time for charts: {"client", "mood": {points}, "measures":
 * [{instrument, name, min, max, higher_is_better, bands, points,
 * reliable_change: {reliability, sd, threshold, verified, note,
 * first, last, change, verdict}}]}. */
int care_progress(care *c, const actor *who, int64_t client_id, json_t **out);

/* Formats t as ISO 8601 UTC into out (at least 21 bytes). */
void care_iso_time(int64_t t, char *out, size_t len);
/* Formats t for people, "Wed 25 Nov 2026, 08:39 UTC" (at least 32 bytes). */
void care_human_time(int64_t t, char *out, size_t len);

#endif

/*
 * risk.c: the risk pathway (DESIGN rule 5).  Every piece of a client's
 * free text, and the answers of measures' risk items, come through here.
 * Saving never depends on it: a reading that fails counts as none, and
 * the caller's write has already happened or happens regardless.  Who is
 * told is the client's own choice, made at onboarding and changeable in
 * their settings; the event and the decision are in the audit trail.
 */
#include "care/care.h"

#include "kd.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const level_names[] = {"none", "self_harm", "ideation", "imminent"};

int care_risk_event(care *c, const actor *client, const char *source, int64_t source_id,
		    int level)
{
	store_prefs p;
	int64_t id = 0, now = (int64_t)time(NULL);
	int tell, tell_sup, rc;

	if (level <= 0)
		return 0;
	if (level > 3)
		level = 3;
	if ((rc = store_prefs_get(c->st, client->id, &p)) != 0)
		return rc;
	tell = strcmp(p.notify, "clinician") == 0 || strcmp(p.notify, "both") == 0;
	tell_sup = strcmp(p.notify, "supporters") == 0 || strcmp(p.notify, "both") == 0;
	rc = store_risk_add(c->st, client->id, source, source_id, level, tell, tell_sup, now, &id);
	if (rc != 0)
		return rc;
	/* The record of what happened, and whom it went to, is the client's
	 * to read like every other use of their data. */
	return store_audit_add(c->st, now, client->id, client->id, "write", "risk alerts", id, 1,
			       tell && tell_sup
				       ? "noticed possible risk; your clinician and your supporters "
					 "were told, as you chose"
			       : tell ? "noticed possible risk; your clinician was told, as you chose"
			       : tell_sup
				       ? "noticed possible risk; your supporters were told, as you chose"
				       : "noticed possible risk; nobody was told, as you chose");
}

int care_risk_text(care *c, const actor *client, const char *source, int64_t source_id,
		   const char *text, size_t len, int *level)
{
	kd_result r;

	*level = 0;
	if (!text || len == 0)
		return 0;
	if (care_analyze(c, text, len, KD_READ_RISK, &r) != 0)
		return 0;
	*level = (int)r.risk.level;
	return care_risk_event(c, client, source, source_id, *level);
}

int care_prefs_get(care *c, const actor *who, json_t **out)
{
	store_prefs p;
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_READ, RES_PREFS, who->id, 0)) != 0)
		return rc;
	if ((rc = store_prefs_get(c->st, who->id, &p)) != 0)
		return rc;
	*out = json_pack("{s:s?, s:b, s:b, s:b, s:b, s:b}", "notify", p.notify[0] ? p.notify : NULL,
			 "replies", p.replies, "notify_clinician", strcmp(p.notify, "clinician") == 0,
			 "notify_supporters", strcmp(p.notify, "supporters") == 0, "notify_both",
			 strcmp(p.notify, "both") == 0, "notify_nobody", strcmp(p.notify, "nobody") == 0);
	return 0;
}

int care_prefs_set(care *c, const actor *who, const char *notify, int replies, const char **why)
{
	store_prefs p;
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_WRITE, RES_PREFS, who->id, 0)) != 0)
		return rc;
	if ((rc = store_prefs_get(c->st, who->id, &p)) != 0)
		return rc;
	if (notify) {
		if (strcmp(notify, "clinician") != 0 && strcmp(notify, "supporters") != 0 &&
		    strcmp(notify, "both") != 0 && strcmp(notify, "nobody") != 0) {
			*why = "Please choose who is told: your clinician, your supporters, both, or "
			       "nobody.";
			return KD_EINVAL;
		}
		snprintf(p.notify, sizeof(p.notify), "%s", notify);
	}
	if (replies >= 0)
		p.replies = replies;
	return store_prefs_put(c->st, who->id, &p, (int64_t)time(NULL));
}

static int risk_row(void *arg, const store_risk_row *r)
{
	char when[32], human[40];

	care_iso_time(r->created_at, when, sizeof(when));
	care_human_time(r->created_at, human, sizeof(human));
	json_array_append_new(arg, json_pack("{s:I, s:s, s:s, s:s, s:s, s:b}", "id",
					     (json_int_t)r->id, "source", r->source ? r->source : "",
					     "level", level_names[r->level & 3], "at", when, "when",
					     human, "seen", r->seen_at != 0));
	return 0;
}

int care_risk_list(care *c, const actor *who, int64_t client_id, json_t **out)
{
	json_t *rows;
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_READ, RES_RISK, client_id, 0)) != 0)
		return rc;
	rows = json_array();
	if ((rc = store_risk_each(c->st, client_id, 50, risk_row, rows)) != 0) {
		json_decref(rows);
		return rc;
	}
	*out = json_pack("{s:o}", "events", rows);
	return 0;
}

int care_risk_seen(care *c, const actor *who, int64_t client_id)
{
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_WRITE, RES_RISK, client_id, 0)) != 0)
		return rc;
	return store_risk_seen(c->st, client_id, who->id, (int64_t)time(NULL));
}

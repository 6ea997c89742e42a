/*
 * policy.c: the access rules of policy.h.  Small and explicit on
 * purpose: one function per question, a table would hide the reasons
 * that the audit trail records.  Every call writes one audit row.
 */
#include "care/policy.h"

#include "kd.h"

#include <string.h>
#include <time.h>

const char *policy_resource_name(policy_resource res)
{
	switch (res) {
	case RES_CHECKINS: return "checkins";
	case RES_AUDIT: return "audit";
	case RES_CASELOAD: return "caseload";
	case RES_INVITATION: return "invitation";
	case RES_PROFILE: return "profile";
	case RES_USERS: return "users";
	case RES_SAFETY_PLAN: return "safety plan";
	case RES_JOURNAL: return "journal";
	case RES_PREFS: return "choices";
	case RES_RISK: return "risk alerts";
	case RES_MEASURES: return "measures";
	case RES_SUPPORTERS: return "supporters";
	}
	return "unknown";
}

const char *policy_action_name(policy_action action)
{
	return action == POLICY_READ ? "read" : "write";
}

static int is_role(const actor *who, const char *role)
{
	return strcmp(who->role, role) == 0;
}

/* Clinicians and admins both carry a caseload. */
static int has_caseload(const actor *who)
{
	return is_role(who, "clinician") || is_role(who, "admin");
}

/* 1 if who carries subject on their caseload, 0 if not, <0 on error;
 * *reason is set when it answers 1 or fails. */
static int clinician_of(store *s, const actor *who, int64_t subject, const char **reason)
{
	int linked;

	if (!has_caseload(who))
		return 0;
	linked = store_is_clinician_of(s, who->id, subject);
	if (linked < 0)
		*reason = "could not check caseload";
	else if (linked)
		*reason = "clinician of this client";
	return linked;
}

/* 1 if who is a supporter whom subject granted scope, 0 if not, <0 on
 * error; *reason is set when it answers 1. */
static int supporter_granted(store *s, const actor *who, int64_t subject, const char *scope,
			     const char **reason)
{
	char scopes[128], *p, *save = NULL;
	int rc;

	if (!is_role(who, "supporter"))
		return 0;
	rc = store_supporter_scopes(s, subject, who->id, scopes, sizeof(scopes));
	if (rc == KD_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	for (p = strtok_r(scopes, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (strcmp(p, scope) == 0) {
			*reason = "supporter the client shares this with";
			return 1;
		}
	return 0;
}

/* Decides without side effects; *reason names the rule that answered. */
static int decide(store *s, const actor *who, policy_action action, policy_resource res,
		  int64_t subject, const char **reason)
{
	int own = who->id != 0 && who->id == subject;
	int linked;

	if (who->id == 0) {
		*reason = "not signed in";
		return KD_EAUTH;
	}
	switch (res) {
	case RES_CHECKINS:
		if (own && is_role(who, "client")) {
			*reason = "own data";
			return 0;
		}
		if (action == POLICY_READ && (linked = clinician_of(s, who, subject, reason)) != 0)
			return linked > 0 ? 0 : linked;
		if (action == POLICY_READ &&
		    (linked = supporter_granted(s, who, subject, "checkins", reason)) != 0)
			return linked > 0 ? 0 : linked;
		*reason = action == POLICY_READ ? "not their data" : "only the client records check-ins";
		return KD_ENOTFOUND;
	case RES_SAFETY_PLAN:
		/* Written alone or together with their clinician. */
		if (own && is_role(who, "client")) {
			*reason = "own data";
			return 0;
		}
		if ((linked = clinician_of(s, who, subject, reason)) != 0)
			return linked > 0 ? 0 : linked;
		if (action == POLICY_READ &&
		    (linked = supporter_granted(s, who, subject, "safety_plan", reason)) != 0)
			return linked > 0 ? 0 : linked;
		*reason = "not their data";
		return KD_ENOTFOUND;
	case RES_SUPPORTERS:
		/* A client decides whom they share with; a supporter reads the
		 * list of people who share with them. */
		if (own && (is_role(who, "client") || is_role(who, "supporter"))) {
			*reason = "own data";
			return 0;
		}
		*reason = "not their data";
		return KD_ENOTFOUND;
	case RES_MEASURES:
		/* The client answers their own; their clinician reads and
		 * assigns (a write), never answers for them. */
		if (own && is_role(who, "client")) {
			*reason = "own data";
			return 0;
		}
		if ((linked = clinician_of(s, who, subject, reason)) != 0)
			return linked > 0 ? 0 : linked;
		*reason = "not their data";
		return KD_ENOTFOUND;
	case RES_JOURNAL:
	case RES_PREFS:
		*reason = own && is_role(who, "client") ? "own data" : "not their data";
		return own && is_role(who, "client") ? 0 : KD_ENOTFOUND;
	case RES_RISK:
		if ((linked = clinician_of(s, who, subject, reason)) != 0)
			return linked > 0 ? 0 : linked;
		*reason = "not their client";
		return KD_ENOTFOUND;
	case RES_AUDIT:
	case RES_PROFILE:
		*reason = own ? "own data" : "not their data";
		return own ? 0 : KD_ENOTFOUND;
	case RES_CASELOAD:
	case RES_INVITATION:
		if (!has_caseload(who)) {
			*reason = "only clinicians have a caseload";
			return KD_EFORBIDDEN;
		}
		*reason = own ? "own caseload" : "not their caseload";
		return own ? 0 : KD_ENOTFOUND;
	case RES_USERS:
		*reason = is_role(who, "admin") ? "administrator" : "only administrators";
		return is_role(who, "admin") ? 0 : KD_EFORBIDDEN;
	}
	*reason = "unknown resource";
	return KD_EFORBIDDEN;
}

int policy_require(store *s, const actor *who, policy_action action, policy_resource res,
		   int64_t subject_id, int64_t resource_id)
{
	const char *reason = "";
	int rc = decide(s, who, action, res, subject_id, &reason);
	int logged;

	/* An anonymous request about nobody in particular is not about a
	 * person's data; everything else is recorded. */
	if (who->id == 0 && subject_id == 0)
		return rc;
	logged = store_audit_add(s, (int64_t)time(NULL), who->id, subject_id,
				 policy_action_name(action), policy_resource_name(res),
				 resource_id, rc == 0, reason);
	if (logged != 0)
		return logged == KD_ENOSPC ? logged : KD_EDB; /* say why: 507 */
	return rc;
}

/*
 * policy.h: the one place that decides who may do what to whose data
 * (DESIGN rule 3).  Every decision about a person's data is written to
 * the audit trail in the same call, allowed or not, so the person can
 * see who looked.  Handlers never check roles themselves.
 */
#ifndef KD_POLICY_H
#define KD_POLICY_H

#include <stdint.h>

#include "store/store.h"

/* Who is asking.  id 0 is an anonymous visitor. */
typedef struct actor {
	int64_t id;
	char role[16]; /* "client", "clinician", "supporter", "admin" or "" */
} actor;

typedef enum policy_action {
	POLICY_READ,
	POLICY_WRITE,
} policy_action;

/* What is being touched; the subject is the person whose data it is. */
typedef enum policy_resource {
	RES_CHECKINS,   /* a client's check-ins */
	RES_AUDIT,      /* a person's own audit trail */
	RES_CASELOAD,   /* a clinician's list of clients */
	RES_INVITATION, /* inviting a client onto one's caseload */
	RES_PROFILE,    /* a person's account details */
	RES_USERS,      /* the list of accounts (administration) */
	RES_SAFETY_PLAN, /* a client's safety plan */
	RES_JOURNAL,     /* a client's journal: theirs alone */
	RES_PREFS,       /* a client's choices about their care */
	RES_RISK,        /* risk events a client's clinician was told of */
	RES_MEASURES,    /* a client's measures: assignments and answers */
	RES_SUPPORTERS,  /* whom a client shares with, and what (theirs to decide) */
} policy_resource;

/* Decides and audits.  Returns 0 if allowed; KD_EAUTH if the actor must
 * log in first; KD_EFORBIDDEN if the actor's role can never do this;
 * KD_ENOTFOUND if the subject is someone the actor may not know of (so
 * an answer does not reveal that the person exists); KD_EDB if the
 * decision could not be recorded (and then nothing is allowed). */
int policy_require(store *s, const actor *who, policy_action action, policy_resource res,
		   int64_t subject_id, int64_t resource_id);

/* The name used for a resource in the audit trail (static string). */
const char *policy_resource_name(policy_resource res);
const char *policy_action_name(policy_action action);

#endif

/*
 * supporters.c: family and friends a client invites.  The client decides,
 * per supporter, what they may see — check-ins, the safety plan, and
 * alerts when kindred notices the client may be at risk (if the client
 * chose to tell supporters) — and can change or end it at any time.
 * Access itself is decided in policy, from the scopes stored here.
 */
#include "care/care.h"

#include "kd.h"
#include "util/buf.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const known_scopes[] = {"checkins", "safety_plan", "alerts"};

enum { ALERT_WINDOW = 7 * 24 * 3600 };

/* Joins the known scopes among scopes[0..n) into out ("a,b"). */
static int scopes_join(const char *const *scopes, size_t n, buf *out, const char **why)
{
	size_t i, k;

	for (k = 0; k < KD_ARRAY_LEN(known_scopes); k++)
		for (i = 0; i < n; i++) {
			size_t j;
			for (j = 0; j < KD_ARRAY_LEN(known_scopes); j++)
				if (strcmp(scopes[i], known_scopes[j]) == 0)
					break;
			if (j == KD_ARRAY_LEN(known_scopes)) {
				*why = "Please choose what to share from the list.";
				return KD_EINVAL;
			}
			if (strcmp(scopes[i], known_scopes[k]) == 0) {
				if (out->len)
					buf_putc(out, ',');
				buf_puts(out, known_scopes[k]);
				break;
			}
		}
	return 0;
}

static int has_scope(const char *scopes, const char *scope)
{
	size_t n = strlen(scope);
	const char *p = scopes;

	while (p && *p) {
		if (strncmp(p, scope, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return 0;
}

static void put_scopes(json_t *o, const char *scopes)
{
	size_t k;

	for (k = 0; k < KD_ARRAY_LEN(known_scopes); k++)
		json_object_set_new(o, known_scopes[k], json_boolean(has_scope(scopes, known_scopes[k])));
}

int care_supporter_invite(care *c, const actor *who, const char *const *scopes, size_t n,
			  char token[44], int64_t *expires_at, const char **why)
{
	unsigned char hash[32];
	int64_t now = (int64_t)time(NULL), id = 0;
	buf b;
	int rc;

	buf_init(&b);
	if ((rc = policy_require(c->st, who, POLICY_WRITE, RES_SUPPORTERS, who->id, 0)) != 0)
		goto done;
	if (strcmp(who->role, "client") != 0) {
		rc = KD_EFORBIDDEN;
		goto done;
	}
	if ((rc = scopes_join(scopes, n, &b, why)) != 0)
		goto done;
	vault_token_new(token);
	vault_token_hash(token, hash);
	*expires_at = now + c->invite_ttl;
	rc = store_invite_add_scoped(c->st, hash, who->id, "supporter", buf_cstr(&b), now,
				     *expires_at, &id);
done:
	buf_free(&b);
	return rc;
}

static int supporter_row(void *arg, const store_support_row *r)
{
	json_t *o;
	char since[40];

	care_human_time(r->since, since, sizeof(since));
	o = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)r->id, "name",
		      r->display_name ? r->display_name : "", "since", since);
	put_scopes(o, r->scopes);
	/* Alerts reach a supporter only with that scope. */
	json_object_set_new(o, "recent_alerts",
			    json_integer(has_scope(r->scopes, "alerts") ? r->recent_alerts : 0));
	json_array_append_new(arg, o);
	return 0;
}

int care_supporters(care *c, const actor *who, json_t **out)
{
	json_t *rows;
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_READ, RES_SUPPORTERS, who->id, 0)) != 0)
		return rc;
	rows = json_array();
	if ((rc = store_supporters_each(c->st, who->id, supporter_row, rows)) != 0) {
		json_decref(rows);
		return rc;
	}
	*out = json_pack("{s:o}", "supporters", rows);
	return 0;
}

int care_supporter_update(care *c, const actor *who, int64_t supporter_id,
			  const char *const *scopes, size_t n, const char **why)
{
	char now_scopes[128];
	buf b;
	int rc;

	buf_init(&b);
	if ((rc = policy_require(c->st, who, POLICY_WRITE, RES_SUPPORTERS, who->id,
				 supporter_id)) != 0)
		goto done;
	if ((rc = store_supporter_scopes(c->st, who->id, supporter_id, now_scopes,
					 sizeof(now_scopes))) != 0)
		goto done;
	if ((rc = scopes_join(scopes, n, &b, why)) != 0)
		goto done;
	rc = store_supporter_link(c->st, who->id, supporter_id, buf_cstr(&b), (int64_t)time(NULL));
done:
	buf_free(&b);
	return rc;
}

int care_supporter_remove(care *c, const actor *who, int64_t supporter_id)
{
	char scopes[128];
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_WRITE, RES_SUPPORTERS, who->id,
				 supporter_id)) != 0)
		return rc;
	if ((rc = store_supporter_scopes(c->st, who->id, supporter_id, scopes, sizeof(scopes))) != 0)
		return rc;
	return store_supporter_unlink(c->st, who->id, supporter_id);
}

int care_people(care *c, const actor *who, json_t **out)
{
	json_t *rows;
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_READ, RES_SUPPORTERS, who->id, 0)) != 0)
		return rc;
	rows = json_array();
	rc = store_supported_each(c->st, who->id, (int64_t)time(NULL) - ALERT_WINDOW,
				  supporter_row, rows);
	if (rc != 0) {
		json_decref(rows);
		return rc;
	}
	*out = json_pack("{s:o}", "people", rows);
	return 0;
}

typedef struct find_ctx {
	int64_t id;
	json_t *found;
} find_ctx;

static int find_row(void *arg, const store_support_row *r)
{
	find_ctx *x = arg;

	if (r->id != x->id)
		return 0;
	x->found = json_array();
	supporter_row(x->found, r);
	return 1;
}

int care_person(care *c, const actor *who, int64_t client_id, json_t **out)
{
	find_ctx x = {client_id, NULL};
	json_t *person, *part = NULL;
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_READ, RES_SUPPORTERS, who->id, client_id)) != 0)
		return rc;
	rc = store_supported_each(c->st, who->id, (int64_t)time(NULL) - ALERT_WINDOW, find_row, &x);
	if (rc < 0)
		return rc;
	if (!x.found)
		return KD_ENOTFOUND;
	person = json_incref(json_array_get(x.found, 0));
	json_decref(x.found);
	/* Only what is shared is asked for, so the client's trail shows
	 * reads, not a refusal every time the page opens. */
	if (json_is_true(json_object_get(person, "checkins")) &&
	    care_checkin_list(c, who, client_id, 20, &part) == 0)
		json_object_set_new(person, "checkin_list", json_incref(json_object_get(part, "checkins")));
	json_decref(part);
	part = NULL;
	if (json_is_true(json_object_get(person, "safety_plan")) &&
	    care_safety_get(c, who, client_id, &part) == 0) {
		json_object_del(part, "crisis");
		json_object_set_new(person, "plan", part);
	}
	*out = person;
	return 0;
}

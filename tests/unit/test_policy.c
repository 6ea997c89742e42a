/*
 * test_policy.c: unit tests for policy.h — every rule of policy.c, and
 * the promise that comes with each answer: a decision about a person's
 * data writes exactly one audit row, with the right actor, subject,
 * action, resource and allowed flag, before the answer is given.  Runs
 * over a fresh SQLite store in a mkdtemp directory; no passwords, so it
 * is fast.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "care/policy.h"
#include "kd.h"
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct fx {
	char dir[64];
	char path[128];
	store *s;
	actor anon, c1, c2, k1, k2, adm, adm2, sup, norole;
} fx;

static void remove_db_files(const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char p[160], keys[160];
	size_t i;

	/* The database and its key store, each with its journal files. */
	assert_int_equal(store_keys_path(path, keys, sizeof(keys)), 0);
	for (i = 0; i < 2 * KD_ARRAY_LEN(suffix); i++) {
		snprintf(p, sizeof(p), "%s%s", i % 2 ? keys : path, suffix[i / 2]);
		unlink(p);
	}
}

static actor mk(store *s, const char *role, const char *name)
{
	actor a;
	int64_t id = 0;
	const char *db_role = role[0] ? role : "client";

	memset(&a, 0, sizeof(a));
	if (store_user_add(s, db_role, name, name, "hash", 1, &id) != 0)
		fail_msg("cannot add %s", name);
	a.id = id;
	snprintf(a.role, sizeof(a.role), "%s", role);
	return a;
}

/* People: clients c1 and c2; clinician k1 has c1 on the caseload, k2
 * nobody; admin adm also has c1, adm2 nobody; supporter sup is (oddly)
 * linked to c1, which must still not let them in. */
static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	char *err = NULL;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/kd-policy-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/kindred.db", f->dir);
	if (store_open(f->path, &f->s, &err) != 0) {
		fprintf(stderr, "store_open: %s\n", err ? err : "?");
		free(err);
		rmdir(f->dir);
		free(f);
		return -1;
	}
	f->c1 = mk(f->s, "client", "c1");
	f->c2 = mk(f->s, "client", "c2");
	f->k1 = mk(f->s, "clinician", "k1");
	f->k2 = mk(f->s, "clinician", "k2");
	f->adm = mk(f->s, "admin", "adm");
	f->adm2 = mk(f->s, "admin", "adm2");
	f->sup = mk(f->s, "supporter", "sup");
	f->norole = mk(f->s, "", "norole");
	if (store_care_link(f->s, f->k1.id, f->c1.id, 1) != 0 ||
	    store_care_link(f->s, f->adm.id, f->c1.id, 1) != 0 ||
	    store_care_link(f->s, f->sup.id, f->c1.id, 1) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	store_close(f->s);
	remove_db_files(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* --- counting audit rows --- */

static int64_t raw_count(const char *path)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM audit", -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

typedef struct newest {
	int n;
	int64_t at, actor, subject, res_id;
	int allowed;
	char action[16], resource[16], reason[64];
} newest;

static int newest_cb(void *arg, const store_audit_row *r)
{
	newest *w = arg;

	if (w->n++ == 0) {
		w->at = r->at;
		w->actor = r->actor_id;
		w->subject = r->subject_id;
		w->res_id = r->resource_id;
		w->allowed = r->allowed;
		snprintf(w->action, sizeof(w->action), "%s", r->action);
		snprintf(w->resource, sizeof(w->resource), "%s", r->resource);
		snprintf(w->reason, sizeof(w->reason), "%s", r->reason ? r->reason : "");
	}
	return 0;
}

/* Asks policy and checks the answer and its audit trail: one new row in
 * the table (none for an anonymous question about nobody), and for a
 * subject, one more row in the subject's trail, newest, describing this
 * decision.  Returns the reason recorded (static buffer). */
static const char *decide_and_check(fx *f, const actor *who, policy_action action,
				    policy_resource res, int64_t subject, int expected,
				    const char *file, int line)
{
	static char reason[64];
	newest before = {0}, after = {0};
	int64_t total0 = raw_count(f->path), total1;
	time_t t0 = time(NULL);
	int rc;

	if (subject)
		assert_int_equal(store_audit_each(f->s, subject, 10000, newest_cb, &before), 0);
	rc = policy_require(f->s, who, action, res, subject, 77);
	if (rc != expected)
		fail_msg("%s:%d: actor %lld (%s) %s %s of %lld: got %d (%s), want %d (%s)", file,
			 line, (long long)who->id, who->role, policy_action_name(action),
			 policy_resource_name(res), (long long)subject, rc, kd_strerror(rc),
			 expected, kd_strerror(expected));
	total1 = raw_count(f->path);
	reason[0] = '\0';
	if (who->id == 0 && subject == 0) {
		if (total1 != total0)
			fail_msg("%s:%d: anonymous question about nobody was audited", file, line);
		return reason;
	}
	if (total1 != total0 + 1)
		fail_msg("%s:%d: %lld audit rows written, want exactly 1", file, line,
			 (long long)(total1 - total0));
	if (!subject)
		return reason;
	assert_int_equal(store_audit_each(f->s, subject, 10000, newest_cb, &after), 0);
	if (after.n != before.n + 1)
		fail_msg("%s:%d: subject's trail grew by %d, want 1", file, line,
			 after.n - before.n);
	if (after.allowed != (expected == 0))
		fail_msg("%s:%d: audit row says allowed=%d for rc %d", file, line, after.allowed,
			 rc);
	assert_int_equal(after.actor, who->id);
	assert_int_equal(after.subject, subject);
	assert_int_equal(after.res_id, 77);
	assert_string_equal(after.action, policy_action_name(action));
	assert_string_equal(after.resource, policy_resource_name(res));
	assert_true(after.at >= (int64_t)t0 && after.at <= (int64_t)time(NULL));
	assert_true(after.reason[0] != '\0');
	snprintf(reason, sizeof(reason), "%s", after.reason);
	return reason;
}

#define CHECK(who, act, res, subj, want) \
	decide_and_check(f, &(who), (act), (res), (subj), (want), __FILE__, __LINE__)

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(policy_action_name(POLICY_READ), "read");
	assert_string_equal(policy_action_name(POLICY_WRITE), "write");
	assert_string_equal(policy_resource_name(RES_CHECKINS), "checkins");
	assert_string_equal(policy_resource_name(RES_AUDIT), "audit");
	assert_string_equal(policy_resource_name(RES_CASELOAD), "caseload");
	assert_string_equal(policy_resource_name(RES_INVITATION), "invitation");
	assert_string_equal(policy_resource_name(RES_PROFILE), "profile");
	assert_string_equal(policy_resource_name(RES_USERS), "users");
	assert_string_equal(policy_resource_name(RES_SAFETY_PLAN), "safety plan");
	assert_string_equal(policy_resource_name((policy_resource)99), "unknown");
}

static void test_anonymous(void **state)
{
	fx *f = *state;
	policy_resource r;

	for (r = RES_CHECKINS; r <= RES_SAFETY_PLAN; r++) {
		assert_string_equal(CHECK(f->anon, POLICY_READ, r, f->c1.id, KD_EAUTH),
				    "not signed in");
		CHECK(f->anon, POLICY_WRITE, r, f->c1.id, KD_EAUTH);
		/* About nobody: refused, and not a person's data to record. */
		CHECK(f->anon, POLICY_READ, r, 0, KD_EAUTH);
	}
	/* A role string does not make an anonymous actor someone. */
	{
		actor fake = {0, "admin"};
		CHECK(fake, POLICY_READ, RES_USERS, f->c1.id, KD_EAUTH);
		CHECK(fake, POLICY_READ, RES_CHECKINS, f->c1.id, KD_EAUTH);
	}
}

static void test_checkins(void **state)
{
	fx *f = *state;

	/* The client, on their own check-ins. */
	assert_string_equal(CHECK(f->c1, POLICY_READ, RES_CHECKINS, f->c1.id, 0), "own data");
	CHECK(f->c1, POLICY_WRITE, RES_CHECKINS, f->c1.id, 0);
	/* Another client: not to know of it. */
	assert_string_equal(CHECK(f->c2, POLICY_READ, RES_CHECKINS, f->c1.id, KD_ENOTFOUND),
			    "not their data");
	CHECK(f->c2, POLICY_WRITE, RES_CHECKINS, f->c1.id, KD_ENOTFOUND);

	/* The client's clinician may read, never write. */
	assert_string_equal(CHECK(f->k1, POLICY_READ, RES_CHECKINS, f->c1.id, 0),
			    "clinician of this client");
	assert_string_equal(CHECK(f->k1, POLICY_WRITE, RES_CHECKINS, f->c1.id, KD_ENOTFOUND),
			    "only the client records check-ins");
	/* The link is directional and per client. */
	CHECK(f->k1, POLICY_READ, RES_CHECKINS, f->c2.id, KD_ENOTFOUND);
	CHECK(f->c1, POLICY_READ, RES_CHECKINS, f->k1.id, KD_ENOTFOUND);
	/* Another clinician. */
	CHECK(f->k2, POLICY_READ, RES_CHECKINS, f->c1.id, KD_ENOTFOUND);
	CHECK(f->k2, POLICY_WRITE, RES_CHECKINS, f->c1.id, KD_ENOTFOUND);
	/* A clinician has no check-ins of their own to write. */
	CHECK(f->k1, POLICY_WRITE, RES_CHECKINS, f->k1.id, KD_ENOTFOUND);
	CHECK(f->k1, POLICY_READ, RES_CHECKINS, f->k1.id, KD_ENOTFOUND);
	/* Someone who does not exist is just as unknown. */
	CHECK(f->k1, POLICY_READ, RES_CHECKINS, 999999, KD_ENOTFOUND);

	/* An admin carries a caseload: with the link, read; without, not. */
	CHECK(f->adm, POLICY_READ, RES_CHECKINS, f->c1.id, 0);
	CHECK(f->adm, POLICY_WRITE, RES_CHECKINS, f->c1.id, KD_ENOTFOUND);
	CHECK(f->adm, POLICY_READ, RES_CHECKINS, f->c2.id, KD_ENOTFOUND);
	CHECK(f->adm2, POLICY_READ, RES_CHECKINS, f->c1.id, KD_ENOTFOUND);

	/* A supporter is denied, even with a care link row. */
	CHECK(f->sup, POLICY_READ, RES_CHECKINS, f->c1.id, KD_ENOTFOUND);
	CHECK(f->sup, POLICY_WRITE, RES_CHECKINS, f->c1.id, KD_ENOTFOUND);
	CHECK(f->sup, POLICY_WRITE, RES_CHECKINS, f->sup.id, KD_ENOTFOUND);
	/* A signed-in account with no role owns nothing here. */
	CHECK(f->norole, POLICY_WRITE, RES_CHECKINS, f->norole.id, KD_ENOTFOUND);
}

static void test_own_only(void **state)
{
	fx *f = *state;
	const actor *all[6];
	size_t i;

	all[0] = &f->c1;
	all[1] = &f->k1;
	all[2] = &f->adm;
	all[3] = &f->sup;
	all[4] = &f->c2;
	all[5] = &f->norole;
	for (i = 0; i < KD_ARRAY_LEN(all); i++) {
		const actor *a = all[i];
		int64_t other = a->id == f->c1.id ? f->c2.id : f->c1.id;

		assert_string_equal(CHECK(*a, POLICY_READ, RES_AUDIT, a->id, 0), "own data");
		CHECK(*a, POLICY_READ, RES_PROFILE, a->id, 0);
		CHECK(*a, POLICY_WRITE, RES_PROFILE, a->id, 0);
		assert_string_equal(CHECK(*a, POLICY_READ, RES_AUDIT, other, KD_ENOTFOUND),
				    "not their data");
		CHECK(*a, POLICY_READ, RES_PROFILE, other, KD_ENOTFOUND);
		CHECK(*a, POLICY_WRITE, RES_PROFILE, other, KD_ENOTFOUND);
	}
	/* Being someone's clinician does not open their trail or profile. */
	CHECK(f->k1, POLICY_READ, RES_AUDIT, f->c1.id, KD_ENOTFOUND);
	CHECK(f->adm, POLICY_READ, RES_PROFILE, f->c1.id, KD_ENOTFOUND);
}

static void test_caseload(void **state)
{
	fx *f = *state;
	policy_resource r;

	for (r = RES_CASELOAD; r <= RES_INVITATION; r++) {
		assert_string_equal(CHECK(f->k1, POLICY_READ, r, f->k1.id, 0), "own caseload");
		CHECK(f->k1, POLICY_WRITE, r, f->k1.id, 0);
		CHECK(f->k2, POLICY_READ, r, f->k2.id, 0);
		CHECK(f->adm, POLICY_READ, r, f->adm.id, 0);
		CHECK(f->adm, POLICY_WRITE, r, f->adm.id, 0);
		assert_string_equal(CHECK(f->k2, POLICY_READ, r, f->k1.id, KD_ENOTFOUND),
				    "not their caseload");
		CHECK(f->adm, POLICY_READ, r, f->k1.id, KD_ENOTFOUND);
		assert_string_equal(CHECK(f->c1, POLICY_READ, r, f->c1.id, KD_EFORBIDDEN),
				    "only clinicians have a caseload");
		CHECK(f->c1, POLICY_WRITE, r, f->c1.id, KD_EFORBIDDEN);
		CHECK(f->c1, POLICY_READ, r, f->k1.id, KD_EFORBIDDEN);
		CHECK(f->sup, POLICY_READ, r, f->sup.id, KD_EFORBIDDEN);
		CHECK(f->norole, POLICY_WRITE, r, f->norole.id, KD_EFORBIDDEN);
	}
}

static void test_users(void **state)
{
	fx *f = *state;

	assert_string_equal(CHECK(f->adm, POLICY_READ, RES_USERS, f->c1.id, 0), "administrator");
	CHECK(f->adm, POLICY_WRITE, RES_USERS, f->c1.id, 0);
	CHECK(f->adm2, POLICY_READ, RES_USERS, f->adm2.id, 0);
	assert_string_equal(CHECK(f->k1, POLICY_READ, RES_USERS, f->k1.id, KD_EFORBIDDEN),
			    "only administrators");
	CHECK(f->c1, POLICY_READ, RES_USERS, f->c1.id, KD_EFORBIDDEN);
	CHECK(f->sup, POLICY_WRITE, RES_USERS, f->c1.id, KD_EFORBIDDEN);
	/* About no one in particular, a signed-in question is still recorded. */
	CHECK(f->adm, POLICY_READ, RES_USERS, 0, 0);
	CHECK(f->k1, POLICY_READ, RES_USERS, 0, KD_EFORBIDDEN);

	/* An unknown resource is refused (and recorded). */
	CHECK(f->adm, POLICY_READ, (policy_resource)99, f->adm.id, KD_EFORBIDDEN);
}

/* A safety plan is the client's, written alone or with their clinician. */
static void test_safety_plan(void **state)
{
	fx *f = *state;
	const actor *nobody[4];
	size_t i;

	assert_string_equal(CHECK(f->c1, POLICY_READ, RES_SAFETY_PLAN, f->c1.id, 0), "own data");
	CHECK(f->c1, POLICY_WRITE, RES_SAFETY_PLAN, f->c1.id, 0);
	assert_string_equal(CHECK(f->k1, POLICY_READ, RES_SAFETY_PLAN, f->c1.id, 0),
			    "clinician of this client");
	assert_string_equal(CHECK(f->k1, POLICY_WRITE, RES_SAFETY_PLAN, f->c1.id, 0),
			    "clinician of this client");
	CHECK(f->adm, POLICY_READ, RES_SAFETY_PLAN, f->c1.id, 0);
	CHECK(f->adm, POLICY_WRITE, RES_SAFETY_PLAN, f->c1.id, 0);

	nobody[0] = &f->c2;
	nobody[1] = &f->k2;
	nobody[2] = &f->adm2;
	nobody[3] = &f->sup; /* linked, but a supporter carries no caseload */
	for (i = 0; i < KD_ARRAY_LEN(nobody); i++) {
		assert_string_equal(CHECK(*nobody[i], POLICY_READ, RES_SAFETY_PLAN, f->c1.id,
					  KD_ENOTFOUND),
				    "not their data");
		CHECK(*nobody[i], POLICY_WRITE, RES_SAFETY_PLAN, f->c1.id, KD_ENOTFOUND);
	}
	/* Only clients have one of their own. */
	CHECK(f->k1, POLICY_WRITE, RES_SAFETY_PLAN, f->k1.id, KD_ENOTFOUND);
	CHECK(f->sup, POLICY_READ, RES_SAFETY_PLAN, f->sup.id, KD_ENOTFOUND);
	CHECK(f->k1, POLICY_READ, RES_SAFETY_PLAN, f->c2.id, KD_ENOTFOUND);
}

/* A supporter sees what the client granted them, only for reading, and
 * nothing of anyone else's. */
static void test_supporter_scopes(void **state)
{
	fx *f = *state;

	CHECK(f->sup, POLICY_READ, RES_CHECKINS, f->c1.id, KD_ENOTFOUND);
	assert_int_equal(store_supporter_link(f->s, f->c1.id, f->sup.id, "checkins", 1), 0);
	assert_string_equal(CHECK(f->sup, POLICY_READ, RES_CHECKINS, f->c1.id, 0),
			    "supporter the client shares this with");
	CHECK(f->sup, POLICY_WRITE, RES_CHECKINS, f->c1.id, KD_ENOTFOUND);
	CHECK(f->sup, POLICY_READ, RES_SAFETY_PLAN, f->c1.id, KD_ENOTFOUND);
	CHECK(f->sup, POLICY_READ, RES_CHECKINS, f->c2.id, KD_ENOTFOUND);
	assert_int_equal(store_supporter_link(f->s, f->c1.id, f->sup.id, "safety_plan,alerts", 1), 0);
	CHECK(f->sup, POLICY_READ, RES_CHECKINS, f->c1.id, KD_ENOTFOUND);
	CHECK(f->sup, POLICY_READ, RES_SAFETY_PLAN, f->c1.id, 0);
	CHECK(f->sup, POLICY_WRITE, RES_SAFETY_PLAN, f->c1.id, KD_ENOTFOUND);
	/* Never the journal, measures or risk list, whatever the scopes. */
	assert_int_equal(store_supporter_link(f->s, f->c1.id, f->sup.id,
					      "checkins,safety_plan,alerts,journal,measures", 1), 0);
	CHECK(f->sup, POLICY_READ, RES_JOURNAL, f->c1.id, KD_ENOTFOUND);
	CHECK(f->sup, POLICY_READ, RES_MEASURES, f->c1.id, KD_ENOTFOUND);
	CHECK(f->sup, POLICY_READ, RES_RISK, f->c1.id, KD_ENOTFOUND);
	/* Only the client manages whom they share with. */
	CHECK(f->c1, POLICY_WRITE, RES_SUPPORTERS, f->c1.id, 0);
	CHECK(f->c2, POLICY_WRITE, RES_SUPPORTERS, f->c1.id, KD_ENOTFOUND);
	CHECK(f->k1, POLICY_WRITE, RES_SUPPORTERS, f->c1.id, KD_ENOTFOUND);
	CHECK(f->sup, POLICY_READ, RES_SUPPORTERS, f->sup.id, 0);
	assert_int_equal(store_supporter_unlink(f->s, f->c1.id, f->sup.id), 0);
	CHECK(f->sup, POLICY_READ, RES_SAFETY_PLAN, f->c1.id, KD_ENOTFOUND);
}

/* If the decision cannot be recorded, nothing is allowed. */
static void test_audit_failure_denies(void **state)
{
	fx *f = *state;
	sqlite3 *h = NULL;
	int64_t before;

	assert_int_equal(sqlite3_open_v2(f->path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	assert_int_equal(sqlite3_exec(h,
				      "CREATE TRIGGER no_audit BEFORE INSERT ON audit "
				      "BEGIN SELECT RAISE(ABORT, 'audit refused'); END",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	before = raw_count(f->path);
	assert_int_equal(policy_require(f->s, &f->c1, POLICY_READ, RES_CHECKINS, f->c1.id, 0),
			 KD_EDB);
	assert_int_equal(policy_require(f->s, &f->adm, POLICY_READ, RES_USERS, 0, 0), KD_EDB);
	assert_int_equal(policy_require(f->s, &f->k1, POLICY_READ, RES_CHECKINS, f->c1.id, 0),
			 KD_EDB);
	/* A denial stays a failure too. */
	assert_true(policy_require(f->s, &f->c2, POLICY_READ, RES_CHECKINS, f->c1.id, 0) != 0);
	/* The anonymous question about nobody never touches the audit. */
	assert_int_equal(policy_require(f->s, &f->anon, POLICY_READ, RES_USERS, 0, 0), KD_EAUTH);
	assert_int_equal(raw_count(f->path), before);

	assert_int_equal(sqlite3_exec(h, "DROP TRIGGER no_audit", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(policy_require(f->s, &f->c1, POLICY_READ, RES_CHECKINS, f->c1.id, 0), 0);
	assert_int_equal(raw_count(f->path), before + 1);
}

/* Policy inside a caller's transaction: the audit row goes with it. */
static void test_inside_transaction(void **state)
{
	fx *f = *state;
	int64_t before = raw_count(f->path);

	assert_int_equal(store_begin(f->s), 0);
	assert_int_equal(policy_require(f->s, &f->c1, POLICY_WRITE, RES_CHECKINS, f->c1.id, 0), 0);
	assert_int_equal(store_commit(f->s), 0);
	assert_int_equal(raw_count(f->path), before + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_anonymous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caseload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_safety_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_supporter_scopes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_failure_denies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inside_transaction, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

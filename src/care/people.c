/*
 * people.c: accounts, the first-run setup, logins with throttling and
 * invitations.  Password hashing is Argon2id in the vault; it takes a
 * tenth of a second on purpose, so logins are rare and slow and
 * everything else here is cheap.
 */
#include "care/care.h"

#include "kd.h"
#include "util/embed.h"
#include "util/json_write.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Unsealed, written list rows kept for the next reading: 2 MiB, and no
 * row longer than a few notes' worth (a long one is written again). */
enum { ROWS_MEMO_BYTES = 2 << 20, ROWS_MEMO_VALUE = 4096 };

enum {
	THROTTLE_WINDOW = 15 * 60,
	THROTTLE_USER = 5,  /* failures per username per window */
	THROTTLE_ADDR = 20, /* failures per address per window */
	PASSWORD_MIN = 10,
	PASSWORD_MAX = 1024,
	NAME_MAX_LEN = 100,
};

/* Loads an embedded JSON content file; NULL if missing or malformed. */
static json_t *content_load(const char *path)
{
	const embed_file *f = embed_find(path);
	json_error_t jerr;

	return f ? json_loadb((const char *)f->data, f->len, 0, &jerr) : NULL;
}

static void analyzer_free(void *a)
{
	kd_analyzer_free(a);
}

int care_init(care *c, store *st, vault *v, const kd_engine *engine)
{
	char msg[256] = "";
	json_t *doc;

	memset(c, 0, sizeof(*c));
	c->st = st;
	c->v = v;
	c->engine = engine;
	c->invite_ttl = 7 * 24 * 3600;
	if (pthread_key_create(&c->analyzers, analyzer_free) != 0)
		return KD_ENOMEM;
	c->has_key = 1;
	doc = content_load("data/content/feelings.json");
	c->feelings = json_incref(json_object_get(doc, "feelings"));
	json_decref(doc);
	c->safety = content_load("data/content/safety_plan.json");
	c->reflect = content_load("data/content/reflections.json");
	c->measures = content_load("data/content/measures.json");
	if (json_is_array(c->feelings)) {
		buf b;
		buf_init(&b);
		json_write(&b, c->feelings);
		c->feelings_text = buf_steal(&b, NULL);
	}
	c->rows = memo_new(ROWS_MEMO_BYTES, ROWS_MEMO_VALUE);
	if (!json_is_array(c->feelings) || !json_is_array(json_object_get(c->safety, "steps")) ||
	    !json_is_object(c->reflect) || !json_is_object(c->measures) ||
	    instrument_catalog_load(&c->instruments, msg, sizeof(msg)) != 0) {
		care_fini(c);
		return KD_EINVAL;
	}
	return 0;
}

void care_fini(care *c)
{
	if (c->has_key) {
		/* Worker threads free theirs as they exit; this is the caller's. */
		kd_analyzer_free(pthread_getspecific(c->analyzers));
		pthread_setspecific(c->analyzers, NULL);
		pthread_key_delete(c->analyzers);
		c->has_key = 0;
	}
	json_decref(c->feelings);
	free(c->feelings_text);
	memo_free(c->rows);
	c->feelings_text = NULL;
	c->rows = NULL;
	json_decref(c->safety);
	json_decref(c->reflect);
	json_decref(c->measures);
	instrument_catalog_free(c->instruments);
	c->instruments = NULL;
	c->measures = NULL;
	c->feelings = NULL;
	c->safety = NULL;
	c->reflect = NULL;
}

/* A UTC time's fields, by hand: gmtime_r and strftime go through the
 * time-zone and locale machinery, which cost more than the rest of a list
 * row.  Days to a civil date as in Howard Hinnant's date algorithms. */
typedef struct utc_time {
	int64_t year;
	int mon, day, hour, min, sec, wday; /* mon 1-12, wday 0 = Sunday */
} utc_time;

static void utc_of(int64_t t, utc_time *u)
{
	int64_t days = (t >= 0 ? t : t - 86399) / 86400, secs = t - days * 86400;
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	u->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	u->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	u->year = yoe + era * 400 + (u->mon <= 2);
	u->hour = (int)(secs / 3600);
	u->min = (int)(secs / 60 % 60);
	u->sec = (int)(secs % 60);
	u->wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
}

static char *two(char *o, int n)
{
	o[0] = (char)('0' + n / 10);
	o[1] = (char)('0' + n % 10);
	return o + 2;
}

static char *four(char *o, int64_t n)
{
	o = two(o, (int)(n / 100));
	return two(o, (int)(n % 100));
}

void care_iso_time(int64_t t, char *out, size_t len)
{
	utc_time u;
	char *o = out;

	utc_of(t, &u);
	if (len < 21 || u.year < 0 || u.year > 9999) { /* never for kindred's own times */
		time_t tt = (time_t)t;
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
		return;
	}
	o = four(o, u.year);
	*o++ = '-';
	o = two(o, u.mon);
	*o++ = '-';
	o = two(o, u.day);
	*o++ = 'T';
	o = two(o, u.hour);
	*o++ = ':';
	o = two(o, u.min);
	*o++ = ':';
	o = two(o, u.sec);
	memcpy(o, "Z", 2);
}

void care_human_time(int64_t t, char *out, size_t len)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	utc_time u;
	char *o = out;

	utc_of(t, &u);
	if (len < 27 || u.year < 1000 || u.year > 9999) {
		time_t tt = (time_t)t;
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(out, len, "%a %d %b %Y, %H:%M UTC", &tm);
		return;
	}
	memcpy(o, days + 3 * u.wday, 3);
	o[3] = ' ';
	o = two(o + 4, u.day);
	*o++ = ' ';
	memcpy(o, months + 3 * (u.mon - 1), 3);
	o[3] = ' ';
	o = four(o + 4, u.year);
	memcpy(o, ", ", 2);
	o = two(o + 2, u.hour);
	*o++ = ':';
	o = two(o, u.min);
	memcpy(o, " UTC", 5);
}

int care_check_credentials(const char *username, const char *password, const char **why)
{
	size_t i, n = username ? strlen(username) : 0;

	if (n < 3 || n > 64) {
		*why = "A username needs 3 to 64 characters.";
		return KD_EINVAL;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)username[i];
		if (!(islower(ch) || isdigit(ch) || ch == '.' || ch == '_' || ch == '-')) {
			*why = "A username may use lower-case letters, digits, dots, dashes and "
			       "underscores.";
			return KD_EINVAL;
		}
	}
	n = password ? strlen(password) : 0;
	if (n < PASSWORD_MIN) {
		*why = "Please choose a password of at least 10 characters; a few words "
		       "together make a good one.";
		return KD_EINVAL;
	}
	if (n > PASSWORD_MAX) {
		*why = "That password is longer than kindred accepts (1024 characters).";
		return KD_EINVAL;
	}
	return 0;
}

static int check_display_name(const char *name, const char **why)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > NAME_MAX_LEN) {
		*why = "Please give a name of up to 100 characters; it is how people here "
		       "will see you.";
		return KD_EINVAL;
	}
	return 0;
}

/* Creates the account inside the caller's transaction. */
/* Checks a new account and hashes its password, before any transaction:
 * Argon2id takes a tenth of a second and must not hold the write lock. */
static int account_prepare(const char *username, const char *display_name,
			   const char *password, char hash[128], const char **why)
{
	int rc;

	if ((rc = care_check_credentials(username, password, why)) != 0)
		return rc;
	if ((rc = check_display_name(display_name, why)) != 0)
		return rc;
	return vault_password_hash(password, hash);
}

/* Creates the prepared account inside the caller's transaction. */
static int user_create_tx(care *c, const char *role, const char *username,
			  const char *display_name, const char *hash, int64_t *id,
			  const char **why)
{
	unsigned char *key = NULL;
	size_t key_len = 0;
	int rc;

	rc = store_user_add(c->st, role, username, display_name, hash, (int64_t)time(NULL), id);
	if (rc == KD_EEXIST)
		*why = "That username is taken; please choose another.";
	if (rc != 0)
		goto done;
	if ((rc = vault_key_new(c->v, *id, &key, &key_len)) != 0)
		goto done;
	rc = store_user_set_key(c->st, *id, key, key_len);
done:
	free(key);
	return rc;
}

int care_user_create(care *c, const char *role, const char *username,
		     const char *display_name, const char *password, int64_t *id,
		     const char **why)
{
	char hash[128];
	int rc;

	if ((rc = account_prepare(username, display_name, password, hash, why)) != 0)
		return rc;
	if ((rc = store_begin(c->st)) != 0)
		return rc;
	rc = user_create_tx(c, role, username, display_name, hash, id, why);
	if (rc == 0)
		return store_commit(c->st);
	store_rollback(c->st);
	return rc;
}

int care_needs_setup(care *c)
{
	int64_t n = 0;

	if (store_user_count(c->st, &n) != 0)
		return 0;
	return n == 0;
}

int care_setup(care *c, const char *username, const char *display_name, const char *password,
	       int64_t *id, const char **why)
{
	char pw_hash[128];
	int64_t n = 0;
	int rc;

	if (!care_needs_setup(c)) {
		*why = "kindred is already set up; please sign in.";
		return KD_EEXIST;
	}
	if ((rc = account_prepare(username, display_name, password, pw_hash, why)) != 0)
		return rc;
	/* The count and the insert share one transaction under the setup
	 * lock, so two people racing through setup (on any server) cannot
	 * both become administrator. */
	if ((rc = store_begin(c->st)) != 0)
		return rc;
	if ((rc = store_lock(c->st, STORE_LOCK_SETUP)) != 0)
		goto fail;
	if ((rc = store_user_count(c->st, &n)) != 0)
		goto fail;
	if (n > 0) {
		*why = "kindred is already set up; please sign in.";
		rc = KD_EEXIST;
		goto fail;
	}
	if ((rc = user_create_tx(c, "admin", username, display_name, pw_hash, id, why)) != 0)
		goto fail;
	return store_commit(c->st);
fail:
	store_rollback(c->st);
	return rc;
}

int care_login(care *c, const char *username, const char *password, const char *addr,
	       actor *who)
{
	char ukey[96], akey[96];
	store_user u = {0};
	int fails = 0, rc;
	int64_t now = (int64_t)time(NULL);

	snprintf(ukey, sizeof(ukey), "user:%.64s", username ? username : "");
	snprintf(akey, sizeof(akey), "addr:%.64s", addr ? addr : "");
	/* Count this attempt before the slow check, so attempts running in
	 * parallel cannot all pass a check made before any of them failed;
	 * a success takes its count back below. */
	if ((rc = store_throttle_fail(c->st, ukey, now, THROTTLE_WINDOW, &fails)) != 0)
		return rc;
	if (fails > THROTTLE_USER)
		return KD_ETHROTTLED;
	if ((rc = store_throttle_fail(c->st, akey, now, THROTTLE_WINDOW, &fails)) != 0)
		return rc;
	if (fails > THROTTLE_ADDR)
		return KD_ETHROTTLED;

	rc = store_user_by_name(c->st, username ? username : "", &u);
	if (rc == KD_ENOTFOUND) {
		/* Same cost as a real check, so timing does not tell which
		 * usernames exist. */
		vault_password_dummy_verify(password ? password : "");
		rc = KD_EAUTH;
	} else if (rc == 0) {
		rc = vault_password_verify(u.pw_hash, password ? password : "");
		/* No data key: the account was deleted, and its row came back
		 * only with a restored data backup. */
		if (rc == 0 && (u.disabled || !u.data_key))
			rc = KD_EAUTH;
	}
	/* A failure stays counted (it was counted above). */
	if (rc != 0)
		goto done;
	store_throttle_clear(c->st, ukey);
	store_throttle_forgive(c->st, akey);
	who->id = u.id;
	snprintf(who->role, sizeof(who->role), "%s", u.role);
done:
	store_user_clear(&u);
	return rc;
}

int care_actor(care *c, int64_t id, actor *who, char **display_name)
{
	store_user u = {0};
	int rc = store_user_get(c->st, id, &u);

	if (rc != 0)
		return rc;
	who->id = u.id;
	snprintf(who->role, sizeof(who->role), "%s", u.role);
	if (display_name) {
		*display_name = u.display_name;
		u.display_name = NULL;
	}
	store_user_clear(&u);
	return 0;
}

int care_invite(care *c, const actor *who, char token[44], int64_t *expires_at)
{
	unsigned char hash[32];
	int64_t now = (int64_t)time(NULL), id = 0;
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_WRITE, RES_INVITATION, who->id, 0)) != 0)
		return rc;
	vault_token_new(token);
	vault_token_hash(token, hash);
	*expires_at = now + c->invite_ttl;
	return store_invite_add(c->st, hash, who->id, "client", now, *expires_at, &id);
}

int care_invite_check(care *c, const char *token)
{
	unsigned char hash[32];

	vault_token_hash(token, hash);
	return store_invite_check(c->st, hash, (int64_t)time(NULL));
}

int care_invite_accept(care *c, const char *token, const char *username,
		       const char *display_name, const char *password, int64_t *id,
		       const char **why)
{
	unsigned char hash[32];
	char pw_hash[128], role[16], scopes[128];
	int64_t now = (int64_t)time(NULL), inviter = 0;
	int rc;

	vault_token_hash(token, hash);
	/* A dead link is said first; the password is hashed outside the
	 * transaction, which then checks the link again. */
	if ((rc = store_invite_check(c->st, hash, now)) != 0)
		return rc;
	if ((rc = account_prepare(username, display_name, password, pw_hash, why)) != 0)
		return rc;
	if ((rc = store_begin(c->st)) != 0)
		return rc;
	if ((rc = store_invite_info(c->st, hash, now, role, scopes, sizeof(scopes))) != 0)
		goto fail;
	/* A clinician invites a client onto their caseload; a client invites
	 * a supporter, who sees what the client chose. */
	if (strcmp(role, "supporter") != 0)
		snprintf(role, sizeof(role), "client");
	if ((rc = user_create_tx(c, role, username, display_name, pw_hash, id, why)) != 0)
		goto fail;
	if ((rc = store_invite_take(c->st, hash, now, *id, &inviter, role)) != 0)
		goto fail;
	if (strcmp(role, "supporter") == 0)
		rc = store_supporter_link(c->st, inviter, *id, scopes, now);
	else
		rc = store_care_link(c->st, inviter, *id, now);
	if (rc != 0)
		goto fail;
	return store_commit(c->st);
fail:
	store_rollback(c->st);
	return rc;
}

int care_invite_role(care *c, const char *token, char role[16])
{
	unsigned char hash[32];
	char scopes[128];

	vault_token_hash(token, hash);
	return store_invite_info(c->st, hash, (int64_t)time(NULL), role, scopes, sizeof(scopes));
}

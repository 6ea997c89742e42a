/*
 * session.c: sign-in sessions and CSRF tokens.  The cookie holds a
 * random token; the database holds only its hash, so a copy of the
 * database cannot be replayed as a session.  Each session has its own
 * form token; visitors not signed in get one in a separate cookie
 * (double submit) so the login and setup forms are protected too.
 */
#include "web/web.h"

#include "kd.h"
#include "vault/vault.h"
#include "web/input.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SESSION_TTL = 12 * 3600 };

static const char session_cookie[] = "kd_session";
static const char anon_cookie[] = "kd_csrf";

void session_load(req *r, const char *cookie_header)
{
	char token[128];
	int64_t uid = 0;
	app *a = r->app;
	int rc;

	r->who.id = 0;
	r->who.role[0] = '\0';
	r->has_session = 0;
	r->session_rc = 0;
	r->csrf[0] = '\0';
	if (!cookie_header)
		return;
	if (input_cookie(cookie_header, session_cookie, token, sizeof(token)) == 0 &&
	    strlen(token) == 43) {
		vault_token_hash(token, r->session_hash);
		/* One query: the session joined with its account. */
		rc = store_session_actor(a->care.st, r->session_hash, (int64_t)time(NULL), &uid,
					 r->who.role, &r->who_name, r->csrf, sizeof(r->csrf));
		if (rc == 0) {
			r->who.id = uid;
			r->has_session = 1;
			return;
		}
		if (rc != KD_ENOTFOUND)
			r->session_rc = rc;
		r->who.id = 0;
		r->who.role[0] = '\0';
		r->csrf[0] = '\0';
	}
	if (input_cookie(cookie_header, anon_cookie, token, sizeof(token)) == 0 &&
	    strlen(token) == 43)
		memcpy(r->csrf, token, 44);
}

static const char *cookie_attrs(const req *r)
{
	return r->app->cfg.secure_cookies ? "; Path=/; HttpOnly; SameSite=Lax; Secure"
					  : "; Path=/; HttpOnly; SameSite=Lax";
}

int session_start(req *r, reply *out, const actor *who)
{
	char token[44], csrf[44];
	unsigned char hash[32];
	int64_t now = (int64_t)time(NULL);
	int rc;

	/* A new token at every sign-in: a session id planted before
	 * sign-in (fixation) is never promoted. */
	if (r->has_session)
		store_session_delete(r->app->care.st, r->session_hash);
	vault_token_new(token);
	vault_token_new(csrf);
	vault_token_hash(token, hash);
	rc = store_session_add(r->app->care.st, hash, who->id, csrf, now, now + SESSION_TTL);
	if (rc != 0)
		return rc;
	reply_cookie(out, "%s=%s; Max-Age=%d%s", session_cookie, token, SESSION_TTL,
		     cookie_attrs(r));
	r->who = *who;
	r->has_session = 1;
	memcpy(r->session_hash, hash, sizeof(hash));
	memcpy(r->csrf, csrf, sizeof(csrf));
	return 0;
}

void session_end(req *r, reply *out)
{
	if (r->has_session)
		store_session_delete(r->app->care.st, r->session_hash);
	r->has_session = 0;
	r->who.id = 0;
	r->who.role[0] = '\0';
	reply_cookie(out, "%s=; Max-Age=0%s", session_cookie, cookie_attrs(r));
}

int session_csrf_ok(req *r, const char *header_token)
{
	const char *t = header_token ? header_token : input_str(r->in, "csrf");
	size_t n = strlen(r->csrf);

	if (!t || n == 0 || strlen(t) != n)
		return 0;
	return vault_equal(t, r->csrf, n);
}

void session_anon_token(req *r, reply *out)
{
	char token[44];

	if (r->csrf[0])
		return;
	vault_token_new(token);
	memcpy(r->csrf, token, sizeof(token));
	reply_cookie(out, "%s=%s%s", anon_cookie, token,
		     r->app->cfg.secure_cookies ? "; Path=/; HttpOnly; SameSite=Strict; Secure"
						: "; Path=/; HttpOnly; SameSite=Strict");
}

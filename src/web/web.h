/*
 * web.h: what the web layer's rooms share — the application (config,
 * care, templates), a request as handlers see it, the reply a handler
 * builds, and the route table.  One handler serves both the HTML page
 * and the /api/v1 JSON (DESIGN rule 2): it fills a reply with a JSON
 * body, and render.c turns that into JSON or a page.
 */
#ifndef KD_WEB_H
#define KD_WEB_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "care/care.h"
#include "web/template.h"

typedef struct config {
	char bind[64];
	int port;
	char data_dir[512];
	char database[600];
	char locale[16];
	char access_log[512]; /* "-" for stderr, "off", or a path */
	int threads;          /* 0: by the database (server_run) */
	int secure_cookies;   /* 1: cookies carry Secure (served over TLS) */
	size_t max_body;
	char server_id[64];      /* sent as X-Kindred-Server and logged; "" for none */
	char trusted_proxy[256]; /* addresses whose X-Real-IP names the client */
} config;

typedef struct app {
	config cfg;
	care care;
	tpl_set *tpl;
	json_t *crisis; /* data/crisis/<locale>.json */
	FILE *log;      /* access log, or NULL */
} app;

typedef struct req {
	app *app;
	const char *method;
	const char *path;
	const char *addr; /* client address, text */
	int api;          /* under /api/v1: answer JSON */
	json_t *in;       /* query and body fields, one shape (input.h) */
	actor who;        /* id 0 when not signed in */
	char *who_name;   /* display name when signed in */
	char csrf[64];    /* the session's form token, or the anonymous one */
	int has_session;
	int session_rc; /* why a session cookie could not be checked (store down), or 0 */
	unsigned char session_hash[32];
	int64_t id;      /* {id} in the route pattern */
	char token[132]; /* {token} in the route pattern */
	void *conn;      /* the MHD connection, for headers */
} req;

enum { REPLY_MAX_COOKIES = 2 };

typedef struct reply {
	int status;
	json_t *body;           /* owned; the JSON answer and the page's context */
	buf text;               /* API: the answer already written as JSON, used
				 * instead of body when not empty; owned */
	const char *tpl;        /* page template (static string), or NULL */
	const char *title;      /* page title (static string) */
	char *location;         /* HTML: redirect here (303) after success; owned */
	char *cookies[REPLY_MAX_COOKIES]; /* Set-Cookie values; owned */
	const char *download;   /* a self-contained page saved as this file name */
} reply;

typedef void (*handler_fn)(req *r, reply *out);

enum route_flags {
	ROUTE_HTML = 1,   /* served at the pattern */
	ROUTE_API = 2,    /* served at /api/v1 + pattern */
	ROUTE_PUBLIC = 4, /* no sign-in needed */
	ROUTE_NOCSRF = 8, /* state-changing but before any session (login) */
};

typedef struct route {
	const char *method;
	const char *pattern;
	handler_fn fn;
	unsigned flags;
} route;

/* The route table (router.c) and its length. */
extern const route routes[];
extern const size_t routes_count;

/* Finds the route for method and path; api says whether path was under
 * /api/v1 (already stripped).  Fills r->id / r->token.  Returns the
 * route, or NULL with *status 404 (no such path) or 405 (wrong method;
 * allow receives the methods). */
const route *router_match(req *r, const char *method, const char *path, int api,
			  int *status, char *allow, size_t allow_len);

/* --- replies (render.c) --- */

/* Sets an error reply: status, a stable code and a human message. */
void reply_error(reply *out, int status, const char *code, const char *message);
/* Maps a KD_E code from care to a reply (404, 403, 401, 429, 500...). */
void reply_kd_error(reply *out, int rc, const char *why);
/* Adds "key": json (JSON text) to the written answer, an object. */
void reply_text_member(reply *out, const char *key, const char *json);
void reply_redirect(reply *out, const char *location);
void reply_cookie(reply *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_free(reply *out);
/* Turns the reply into bytes: JSON for the API, a page otherwise.
 * *ctype receives a static content type; returns a malloc'd buffer. */
char *render_reply(req *r, reply *out, size_t *len, const char **ctype);

/* --- sessions (session.c) --- */

/* Reads the session cookie and fills r->who, r->csrf.  When the store
 * cannot answer, the visitor is treated as not signed in and
 * r->session_rc says why, so private pages answer 503, not "sign in". */
void session_load(req *r, const char *cookie_header);
/* Starts a session for who; adds the cookie to out. */
int session_start(req *r, reply *out, const actor *who);
void session_end(req *r, reply *out);
/* 1 if the request carries the right CSRF token (field "csrf" or the
 * X-CSRF-Token header). */
int session_csrf_ok(req *r, const char *header_token);
/* Gives an anonymous visitor a form token (cookie) if they lack one. */
void session_anon_token(req *r, reply *out);

/* --- handlers (src/web/handlers) --- */

void h_health(req *r, reply *out);
void h_home(req *r, reply *out);
void h_help(req *r, reply *out);
void h_setup_form(req *r, reply *out);
void h_setup(req *r, reply *out);
void h_login_form(req *r, reply *out);
void h_login(req *r, reply *out);
void h_logout(req *r, reply *out);
void h_me(req *r, reply *out);
void h_join_form(req *r, reply *out);
void h_join(req *r, reply *out);
void h_invitations_new(req *r, reply *out);
void h_invitation_create(req *r, reply *out);
void h_checkins(req *r, reply *out);
void h_checkin_create(req *r, reply *out);
void h_client_checkins(req *r, reply *out);
void h_caseload(req *r, reply *out);
void h_audit(req *r, reply *out);
void h_safety(req *r, reply *out);
void h_safety_save(req *r, reply *out);
void h_client_safety(req *r, reply *out);
void h_client_safety_save(req *r, reply *out);
void h_safety_download(req *r, reply *out);
void h_journal(req *r, reply *out);
void h_journal_create(req *r, reply *out);
void h_journal_entry(req *r, reply *out);
void h_draft(req *r, reply *out);
void h_draft_save(req *r, reply *out);
void h_settings(req *r, reply *out);
void h_settings_save(req *r, reply *out);
void h_client_risk(req *r, reply *out);
void h_client_risk_seen(req *r, reply *out);
void h_mydata(req *r, reply *out);
void h_export(req *r, reply *out);
void h_delete_self(req *r, reply *out);
void h_supporters(req *r, reply *out);
void h_supporter_invite(req *r, reply *out);
void h_supporter_update(req *r, reply *out);
void h_supporter_remove(req *r, reply *out);
void h_people(req *r, reply *out);
void h_person(req *r, reply *out);
void h_measures(req *r, reply *out);
void h_client_measures(req *r, reply *out);
void h_measure_form(req *r, reply *out);
void h_measure_answer(req *r, reply *out);
void h_response(req *r, reply *out);
void h_assign(req *r, reply *out);
void h_progress(req *r, reply *out);
void h_client_progress(req *r, reply *out);
/* Adds the client's safety plan and the crisis lines to a page's body,
 * for the answer to text that read as at risk. */
void support_add(req *r, json_t *body);

/* --- the server (server.c) --- */

/* Loads templates and content, opens nothing else; app->care must be
 * set up by the caller. */
int app_load(app *a, char **err);
void app_unload(app *a);
/* Serves until SIGINT/SIGTERM. */
int server_run(app *a);

#endif

/*
 * server.c: the HTTP server on libmicrohttpd.  A thread pool (see
 * server_run for how many), each thread with its own epoll loop and
 * its own database connection.  A request's life: the first call sets
 * up state, further calls collect the body (within the limit), the last
 * call parses input, loads the session, routes, checks sign-in and the
 * CSRF token, calls the handler and queues the rendered reply, or holds
 * it, the connection suspended, until the request's commits are on disk
 * (see "durable replies").  GETs are answered on the second call, as
 * keep-alive needs.  Static files are embedded and answered from
 * responses built once at start.
 */
#include "web/web.h"

#include "kd.h"
#include "util/buf.h"
#include "util/embed.h"
#include "util/json_write.h"
#include "web/access_log.h"
#include "web/input.h"
#include "web/json_arena.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
			  "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
			  "base-uri 'none'; frame-ancestors 'none'";

typedef struct conn_state {
	buf body;
	size_t received; /* body bytes seen, kept or not */
	int too_big;
	int answered;
	struct timespec start;
	/* A reply held back, the connection suspended, until the request's
	 * commits are on disk (see park). */
	struct MHD_Connection *conn;
	struct MHD_Response *held;
	unsigned held_status;
	size_t held_len;
	int parked;  /* counted in parking, not yet back in on_request */
	int sync_rc; /* the sync's outcome, written before the resume */
	int api;
	int64_t uid;
	char addr[64];
} conn_state;

/* Suspended connections: MHD_stop_daemon must not meet one, nor a
 * resume still signalling the daemon, so at shutdown no new one is
 * parked (stopping) and the server waits until every parked connection
 * has been taken back by a worker and every resume call has returned. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned parked; /* suspended, not yet back in on_request */
	unsigned waking; /* their sync thread's call not yet returned */
	int stopping;
} parking = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};

typedef struct static_file {
	const char *path; /* "/static/kindred.css" */
	struct MHD_Response *resp;
	struct MHD_Response *not_modified;
	char etag[40];
} static_file;

static static_file *statics;
static size_t nstatics;

/* Also names the server when server_id is set, so an operator (and the
 * tests) behind a load balancer can tell which server answered. */
static void add_security_headers(struct MHD_Response *resp, const config *cfg)
{
	int secure = cfg->secure_cookies;

	if (cfg->server_id[0])
		MHD_add_response_header(resp, "X-Kindred-Server", cfg->server_id);
	MHD_add_response_header(resp, "Content-Security-Policy", csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
	if (secure)
		MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
}

static const char *content_type_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot)
		return "application/octet-stream";
	if (strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	if (strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if (strcmp(dot, ".svg") == 0)
		return "image/svg+xml";
	if (strcmp(dot, ".png") == 0)
		return "image/png";
	if (strcmp(dot, ".ico") == 0)
		return "image/x-icon";
	if (strcmp(dot, ".txt") == 0)
		return "text/plain; charset=utf-8";
	return "application/octet-stream";
}

static void statics_load(const config *cfg)
{
	const embed_file *all;
	size_t n, i;
	uint64_t h;
	size_t k;

	all = embed_all(&n);
	statics = kd_xcalloc(n, sizeof(*statics));
	for (i = 0; i < n; i++) {
		static_file *sf;
		if (strncmp(all[i].path, "static/", 7) != 0)
			continue;
		sf = &statics[nstatics++];
		sf->path = all[i].path; /* compared after the leading '/' */
		/* FNV-1a of the bytes: a content tag, not a secret. */
		h = 1469598103934665603ULL;
		for (k = 0; k < all[i].len; k++)
			h = (h ^ all[i].data[k]) * 1099511628211ULL;
		snprintf(sf->etag, sizeof(sf->etag), "\"%016llx\"", (unsigned long long)h);
		sf->resp = MHD_create_response_from_buffer(all[i].len, (void *)all[i].data,
							   MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(sf->resp, "Content-Type", content_type_of(all[i].path));
		MHD_add_response_header(sf->resp, "Cache-Control", "public, max-age=3600");
		MHD_add_response_header(sf->resp, "ETag", sf->etag);
		add_security_headers(sf->resp, cfg);
		sf->not_modified = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(sf->not_modified, "ETag", sf->etag);
		MHD_add_response_header(sf->not_modified, "Cache-Control", "public, max-age=3600");
	}
}

static void statics_free(void)
{
	size_t i;

	for (i = 0; i < nstatics; i++) {
		MHD_destroy_response(statics[i].resp);
		MHD_destroy_response(statics[i].not_modified);
	}
	free(statics);
	statics = NULL;
	nstatics = 0;
}

static const static_file *static_find(const char *path)
{
	size_t i;

	for (i = 0; i < nstatics; i++)
		if (strcmp(statics[i].path, path + 1) == 0)
			return &statics[i];
	return NULL;
}

int app_load(app *a, char **err)
{
	const embed_file *all, *f;
	size_t n, i;
	char path[96];
	json_error_t jerr;
	int rc;

	if ((rc = tpl_set_new(&a->tpl)) != 0)
		return rc;
	all = embed_all(&n);
	for (i = 0; i < n; i++) {
		if (strncmp(all[i].path, "templates/", 10) != 0)
			continue;
		rc = tpl_add(a->tpl, all[i].path + 10, (const char *)all[i].data, all[i].len, err);
		if (rc != 0)
			return rc;
	}
	if ((rc = tpl_link(a->tpl, err)) != 0)
		return rc;
	snprintf(path, sizeof(path), "data/crisis/%s.json", a->cfg.locale);
	f = embed_find(path);
	if (!f) {
		*err = kd_xstrdup("no crisis lines for this locale (see data/crisis/)");
		return KD_ECONFIG;
	}
	a->crisis = json_loadb((const char *)f->data, f->len, 0, &jerr);
	if (!a->crisis) {
		*err = kd_xstrdup("crisis lines file is not valid JSON");
		return KD_ECONFIG;
	}
	return 0;
}

void app_unload(app *a)
{
	tpl_set_free(a->tpl);
	a->tpl = NULL;
	json_decref(a->crisis);
	a->crisis = NULL;
}

/* --- input --- */

typedef struct query_ctx {
	json_t *in;
	size_t fields;
	int bad;
} query_ctx;

static enum MHD_Result query_field(void *cls, enum MHD_ValueKind kind, const char *key,
				   size_t key_size, const char *value, size_t value_size)
{
	query_ctx *q = cls;
	json_t *old, *val, *arr;

	KD_UNUSED(kind);
	if (!value) {
		value = "";
		value_size = 0;
	}
	if (++q->fields > input_default_limits.max_fields ||
	    value_size > input_default_limits.max_field_len ||
	    !input_utf8_valid(key, key_size) || !input_utf8_valid(value, value_size) ||
	    key_size == 0) {
		q->bad = 1;
		return MHD_NO;
	}
	val = json_stringn(value, value_size);
	old = json_object_get(q->in, key);
	if (!old) {
		json_object_set_new(q->in, key, val);
	} else if (json_is_array(old)) {
		json_array_append_new(old, val);
	} else {
		arr = json_array();
		json_array_append(arr, old);
		json_array_append_new(arr, val);
		json_object_set_new(q->in, key, arr);
	}
	return MHD_YES;
}

/* Parses the query and body into r->in; returns 0 or an HTTP status. */
static int read_input(struct MHD_Connection *c, req *r, conn_state *st)
{
	const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	query_ctx q = {json_object(), 0, 0};
	int rc = 0;

	MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, query_field, &q);
	r->in = q.in;
	if (q.bad)
		return 400;
	if (st->body.len == 0)
		return 0;
	if (ctype && strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0)
		rc = input_parse_form(st->body.data, st->body.len, &input_default_limits, &r->in);
	else if (ctype && strncasecmp(ctype, "application/json", 16) == 0)
		/* Merged into the query's fields: a name in both is refused
		 * (as a form's becomes a list), never silently overridden. */
		rc = input_parse_json(st->body.data, st->body.len, &input_default_limits, &r->in);
	else
		return 415;
	if (rc == KD_ETOOBIG)
		return 413;
	return rc == 0 ? 0 : 400;
}

/* --- access log --- */

static void log_request(app *a, const char *addr, int64_t uid, const char *method,
			const char *url, int status, size_t bytes, const struct timespec *start)
{
	buf b;
	struct timespec now;
	char when[32];
	int64_t us;

	if (!a->log)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (int64_t)(now.tv_sec - start->tv_sec) * 1000000 +
	     (int64_t)(now.tv_nsec - start->tv_nsec) / 1000;
	care_iso_time((int64_t)time(NULL), when, sizeof(when));
	/* Written by hand: printf's machinery cost more than answering a
	 * small request. */
	buf_init(&b);
	buf_puts(&b, "{\"ts\":\"");
	buf_puts(&b, when);
	buf_puts(&b, "\",\"addr\":");
	json_write_string(&b, addr, strlen(addr));
	buf_puts(&b, ",\"method\":");
	json_write_string(&b, method, strlen(method));
	buf_puts(&b, ",\"path\":");
	/* The path is outside input: quoted as JSON, and only if it is text. */
	if (input_utf8_valid(url, strlen(url)))
		json_write_string(&b, url, strlen(url));
	else
		buf_puts(&b, "\"?\"");
	buf_puts(&b, ",\"status\":");
	json_write_int(&b, status);
	buf_puts(&b, ",\"bytes\":");
	json_write_int(&b, (int64_t)bytes);
	buf_puts(&b, ",\"ms\":");
	json_write_int(&b, us / 1000);
	buf_putc(&b, '.');
	buf_putc(&b, (char)('0' + us / 100 % 10));
	buf_putc(&b, (char)('0' + us / 10 % 10));
	buf_putc(&b, (char)('0' + us % 10));
	buf_puts(&b, ",\"user\":");
	json_write_int(&b, uid);
	buf_puts(&b, ",\"server\":");
	json_write_string(&b, a->cfg.server_id, strlen(a->cfg.server_id));
	buf_puts(&b, "}\n");
	access_log_add(b.data, b.len);
	buf_free(&b);
}

/* --- answering --- */

/* The reply as MHD sends it; *status and *len are for the log. */
static struct MHD_Response *response_of(req *r, reply *out, int *status, size_t *len)
{
	struct MHD_Response *resp;
	const char *ctype = "text/plain";
	char *body;
	size_t i;

	*len = 0;

	if (!r->api && out->location && out->status < 400) {
		body = kd_xstrdup("");
		*status = 303;
	} else {
		body = render_reply(r, out, len, &ctype);
		*status = out->status ? out->status : 200;
	}
	resp = MHD_create_response_from_buffer(*len, body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", ctype);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (out->download && *status == 200) {
		char disp[160];
		/* A page to keep offline carries its style inside and runs no
		 * script at all. */
		snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", out->download);
		MHD_add_response_header(resp, "Content-Disposition", disp);
		MHD_add_response_header(resp, "Content-Security-Policy",
					"default-src 'none'; style-src 'unsafe-inline'; "
					"frame-ancestors 'none'");
		MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
		MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	} else {
		add_security_headers(resp, &r->app->cfg);
	}
	if (*status == 303)
		MHD_add_response_header(resp, "Location", out->location);
	for (i = 0; i < REPLY_MAX_COOKIES; i++)
		if (out->cookies[i])
			MHD_add_response_header(resp, "Set-Cookie", out->cookies[i]);
	if (*status == 429)
		MHD_add_response_header(resp, "Retry-After", "900");
	if (*status == 401 && r->api)
		MHD_add_response_header(resp, "WWW-Authenticate", "Cookie realm=\"kindred\"");
	return resp;
}

/* Sends resp (and lets it go) and logs the request. */
static enum MHD_Result send_reply(struct MHD_Connection *c, app *a, const char *addr, int64_t uid,
				  struct MHD_Response *resp, int status, size_t len,
				  const char *method, const char *url, conn_state *st)
{
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);

	MHD_destroy_response(resp);
	log_request(a, addr, uid, method, url, status, len, &st->start);
	st->answered = 1;
	return ret;
}

static enum MHD_Result queue(struct MHD_Connection *c, req *r, reply *out, const char *method,
			     const char *url, conn_state *st)
{
	int status;
	size_t len;
	struct MHD_Response *resp = response_of(r, out, &status, &len);

	return send_reply(c, r->app, r->addr, r->who.id, resp, status, len, method, url, st);
}

/* --- durable replies ---
 *
 * A request that committed a transaction is answered only once its
 * commits are on disk.  The worker does not wait for the disk: it
 * suspends the connection with the reply ready, and the database file's
 * sync thread, which syncs for all such requests at once, resumes it.
 * A few workers then keep the disk busy, and reads are not queued
 * behind threads asleep in fdatasync. */

/* What the client gets instead of the reply when the sync failed: an
 * acknowledged write must be on disk. */
static struct MHD_Response *sync_failed_response(app *a, int api, int *status, size_t *len)
{
	req r;
	reply out = {0};
	struct MHD_Response *resp;

	memset(&r, 0, sizeof(r));
	r.app = a;
	r.api = api;
	r.addr = "";
	reply_kd_error(&out, KD_EIO, NULL);
	resp = response_of(&r, &out, status, len);
	reply_free(&out);
	return resp;
}

static void parking_done(unsigned *count)
{
	pthread_mutex_lock(&parking.mu);
	if (--*count == 0)
		pthread_cond_broadcast(&parking.cv);
	pthread_mutex_unlock(&parking.mu);
}

static void unpark(conn_state *st)
{
	if (!st->parked)
		return;
	st->parked = 0;
	parking_done(&parking.parked);
}

/* From the sync thread.  The worker may free st as soon as the
 * connection is resumed: nothing touches it after. */
static void on_synced(void *arg, int rc)
{
	conn_state *st = arg;
	struct MHD_Connection *c = st->conn;

	st->sync_rc = rc;
	MHD_resume_connection(c);
	parking_done(&parking.waking);
}

/* Holds resp until the sync of token: returns 0 (and holds nothing)
 * when the server is stopping.  The connection is suspended before the
 * sync thread can know of it, so its resume never comes first. */
static int park(struct MHD_Connection *c, req *r, conn_state *st, uint64_t token,
		struct MHD_Response *resp, int status, size_t len)
{
	pthread_mutex_lock(&parking.mu);
	if (parking.stopping) {
		pthread_mutex_unlock(&parking.mu);
		return 0;
	}
	parking.parked++;
	parking.waking++;
	pthread_mutex_unlock(&parking.mu);
	st->conn = c;
	st->held = resp;
	st->held_status = (unsigned)status;
	st->held_len = len;
	st->parked = 1;
	st->sync_rc = 0;
	st->api = r->api;
	st->uid = r->who.id;
	snprintf(st->addr, sizeof(st->addr), "%s", r->addr);
	MHD_suspend_connection(c);
	store_sync_notify(r->app->care.st, token, on_synced, st);
	return 1;
}

/* The resumed connection's call: the held reply, or a 500 if the disk
 * refused the request's commits. */
static enum MHD_Result answer_parked(struct MHD_Connection *c, app *a, const char *method,
				     const char *url, conn_state *st)
{
	struct MHD_Response *resp = st->held;
	int status = (int)st->held_status;
	size_t len = st->held_len;

	unpark(st);
	st->held = NULL;
	if (st->sync_rc != 0) {
		MHD_destroy_response(resp);
		json_arena_begin();
		resp = sync_failed_response(a, st->api, &status, &len);
		json_arena_end();
	}
	return send_reply(c, a, st->addr, st->uid, resp, status, len, method, url, st);
}

typedef struct sync_waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, rc;
} sync_waiter;

static void waiter_done(void *arg, int rc)
{
	sync_waiter *w = arg;

	pthread_mutex_lock(&w->mu);
	w->done = 1;
	w->rc = rc;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* While stopping: waits here, as commits did before. */
static int sync_wait(store *s, uint64_t token)
{
	sync_waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

	store_sync_notify(s, token, waiter_done, &w);
	pthread_mutex_lock(&w.mu);
	while (!w.done)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	return w.rc;
}

/* Answers a handled request, at once if it wrote nothing that waits for
 * the disk. */
static enum MHD_Result answer(struct MHD_Connection *c, req *r, reply *out, const char *method,
			      const char *url, conn_state *st)
{
	store *s = r->app->care.st;
	uint64_t token = store_take_pending_sync(s);
	int status;
	size_t len;
	struct MHD_Response *resp = response_of(r, out, &status, &len);

	if (token && park(c, r, st, token, resp, status, len))
		return MHD_YES;
	if (token && sync_wait(s, token) != 0) {
		MHD_destroy_response(resp);
		resp = sync_failed_response(r->app, r->api, &status, &len);
	}
	return send_reply(c, r->app, r->addr, r->who.id, resp, status, len, method, url, st);
}

static enum MHD_Result serve_static(struct MHD_Connection *c, app *a, req *r, const char *method,
				    const char *url, conn_state *st)
{
	const static_file *sf = static_find(url);
	const char *inm;
	reply out = {0};
	enum MHD_Result ret;

	if (sf && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
		inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
		if (inm && strcmp(inm, sf->etag) == 0) {
			log_request(a, r->addr, r->who.id, method, url, 304, 0, &st->start);
			return MHD_queue_response(c, 304, sf->not_modified);
		}
		log_request(a, r->addr, r->who.id, method, url, 200, 0, &st->start);
		return MHD_queue_response(c, 200, sf->resp);
	}
	reply_error(&out, sf ? 405 : 404, sf ? "method_not_allowed" : "not_found",
		    sf ? "That method is not used here." : "There is no such file.");
	ret = queue(c, r, &out, method, url, st);
	reply_free(&out);
	return ret;
}

static void client_addr(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, len, "?");
	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, (socklen_t)len);
}

/* Behind a load balancer every request comes from the balancer's
 * address, and the sign-in throttle per address would count the whole
 * clinic's failures together (20 wrong passwords anywhere would lock
 * everyone out).  When the peer is one of trusted_proxy, its X-Real-IP
 * header names the client instead (nginx: proxy_set_header X-Real-IP
 * $remote_addr).  Anyone else's X-Real-IP is ignored. */
static void proxied_addr(const app *a, struct MHD_Connection *c, char *addr, size_t len)
{
	const char *list = a->cfg.trusted_proxy, *real;
	size_t n = strlen(addr), k;
	unsigned char bin[16];

	while (*list) {
		list += strspn(list, ", ");
		k = strcspn(list, ", ");
		if (k == n && k > 0 && memcmp(list, addr, n) == 0)
			break;
		list += k;
	}
	if (!*list)
		return;
	real = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Real-IP");
	if (real && strlen(real) < len &&
	    (inet_pton(AF_INET, real, bin) == 1 || inet_pton(AF_INET6, real, bin) == 1))
		snprintf(addr, len, "%s", real);
}

static int is_safe_method(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

static enum MHD_Result handle(app *a, struct MHD_Connection *c, const char *url,
			      const char *method, conn_state *st)
{
	req r;
	reply out = {0};
	const route *rt;
	const char *path = url, *cookie, *ctype;
	char addr[64], allow[64];
	int status = 0, bad;
	enum MHD_Result ret;

	memset(&r, 0, sizeof(r));
	r.app = a;
	r.method = method;
	r.conn = c;
	client_addr(c, addr, sizeof(addr));
	if (a->cfg.trusted_proxy[0])
		proxied_addr(a, c, addr, sizeof(addr));
	r.addr = addr;
	out.status = 200;

	if (strncmp(url, "/api/v1/", 8) == 0 || strcmp(url, "/api/v1") == 0) {
		r.api = 1;
		path = url + 7;
		if (!*path)
			path = "/";
	}
	r.path = path;
	if (!input_utf8_valid(url, strlen(url))) {
		reply_error(&out, 400, "invalid", "The address is not valid text.");
		goto answer;
	}
	if (!r.api && strncmp(url, "/static/", 8) == 0)
		return serve_static(c, a, &r, method, url, st);
	if (st->too_big) {
		reply_error(&out, 413, "too_large", "That is more than kindred accepts at once.");
		goto answer;
	}
	/* Commits leave the wait for the disk to the sync thread (answer). */
	store_defer_sync(a->care.st, 1);
	/* A GET's reads share one snapshot; a write on the way ends it. */
	if (is_safe_method(method))
		store_read_begin(a->care.st);
	cookie = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Cookie");
	session_load(&r, cookie);
	bad = read_input(c, &r, st);
	if (bad) {
		reply_error(&out, bad, bad == 413 ? "too_large" : bad == 415 ? "unsupported_media_type" : "invalid",
			    bad == 413   ? "That is more than kindred accepts at once."
			    : bad == 415 ? "Please send a form or JSON."
					 : "Some of what was sent could not be read.");
		goto answer;
	}
	rt = router_match(&r, method, path, r.api, &status, allow, sizeof(allow));
	if (!rt) {
		if (status == 405)
			reply_error(&out, 405, "method_not_allowed", "That method is not used here.");
		else
			reply_error(&out, 404, "not_found",
				    "We could not find that page. It may have moved.");
		goto answer;
	}
	if (!(rt->flags & ROUTE_PUBLIC) && r.who.id == 0) {
		if (r.session_rc != 0) {
			/* The database is away: "try again", not "sign in". */
			reply_kd_error(&out, r.session_rc, NULL);
		} else if (!r.api && is_safe_method(method)) {
			reply_redirect(&out, "/login");
			out.status = 200;
		} else {
			reply_kd_error(&out, KD_EAUTH, NULL);
		}
		goto answer;
	}
	if (!is_safe_method(method)) {
		ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
		/* A signed-in request needs its session's token.  Before sign-in,
		 * a JSON body cannot be sent cross-site without a CORS preflight
		 * (which kindred never grants); a form needs the cookie's token. */
		if (r.has_session || !r.api || !ctype ||
		    strncasecmp(ctype, "application/json", 16) != 0) {
			if (!session_csrf_ok(&r, MHD_lookup_connection_value(c, MHD_HEADER_KIND,
									      "X-CSRF-Token"))) {
				reply_error(&out, 403, "csrf",
					    "This form has expired or did not come from kindred. "
					    "Please go back, reload the page and try again.");
				goto answer;
			}
		}
	}
	rt->fn(&r, &out);
	/* A page for someone not signed in may hold a form: give them a
	 * form token (after the handler, which may have made it JSON). */
	if (!r.api && r.who.id == 0)
		session_anon_token(&r, &out);
answer:
	store_read_end(a->care.st);
	ret = answer(c, &r, &out, method, url, st);
	reply_free(&out);
	json_decref(r.in);
	free(r.who_name);
	return ret;
}

/* Every JSON value of a request comes from the thread's arena and is
 * let go at once when it has been answered (json_arena.h). */
static enum MHD_Result handle_in_arena(app *a, struct MHD_Connection *c, const char *url,
				       const char *method, conn_state *st)
{
	enum MHD_Result ret;

	json_arena_begin();
	ret = handle(a, c, url, method, st);
	json_arena_end();
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	app *a = cls;
	conn_state *st = *con_cls;
	const char *clen;

	KD_UNUSED(version);
	if (!st) {
		/* malloc, not calloc: calloc skips the thread's cache of small
		 * blocks and takes the shared allocator's lock. */
		st = kd_xmalloc(sizeof(*st));
		memset(st, 0, sizeof(*st));
		buf_init(&st->body);
		clock_gettime(CLOCK_MONOTONIC, &st->start);
		/* Owned by the connection from here: on_completed frees it. */
		*con_cls = st;
		clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		if (clen && strtoull(clen, NULL, 10) > a->cfg.max_body)
			st->too_big = 1;
		if (clen && strtoull(clen, NULL, 10) > 8 * a->cfg.max_body)
			return handle_in_arena(a, c, url, method, st);
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!st->too_big && st->body.len + *upload_data_size <= a->cfg.max_body)
			buf_append(&st->body, upload_data, *upload_data_size);
		else
			st->too_big = 1;
		st->received += *upload_data_size;
		*upload_data_size = 0;
		/* A body somewhat over the limit is read and dropped, so the
		 * client gets a clean 413; a flood is answered at once and the
		 * library closes the connection instead of reading the rest. */
		if (st->too_big && !st->answered && st->received > 8 * a->cfg.max_body)
			return handle_in_arena(a, c, url, method, st);
		return MHD_YES;
	}
	if (st->parked)
		return answer_parked(c, a, method, url, st);
	if (st->answered)
		return MHD_YES;
	return handle_in_arena(a, c, url, method, st);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	conn_state *st = *con_cls;

	KD_UNUSED(cls);
	KD_UNUSED(c);
	KD_UNUSED(toe);
	if (!st)
		return;
	unpark(st);
	if (st->held)
		MHD_destroy_response(st->held);
	buf_free(&st->body);
	free(st);
	*con_cls = NULL;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX in the path and in query names and values, in place, as
 * libmicrohttpd's own unescaping does, but %00 becomes 0xFF: a byte that
 * UTF-8 never holds, so the input check answers 400.  Decoded to a NUL,
 * it would cut the path short where the library hands it over as a C
 * string (/static/kindred.css%00.html served kindred.css, /api/v1/me%00x
 * answered as /api/v1/me).  Returns the new length. */
static size_t unescape_url(void *cls, struct MHD_Connection *c, char *s)
{
	char *w = s;
	const char *p = s;
	int hi, lo;

	KD_UNUSED(cls);
	KD_UNUSED(c);
	while (*p) {
		if (p[0] == '%' && (hi = hex_digit(p[1])) >= 0 && (lo = hex_digit(p[2])) >= 0) {
			/* %00 becomes 0xFF, a byte the UTF-8 check refuses. */
			*w++ = (char)((hi | lo) ? (hi << 4 | lo) : 0xFF);
			p += 3;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	KD_UNUSED(cls);
	fputs("kindred: http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

int server_run(app *a)
{
	struct MHD_Daemon *d;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const struct sockaddr *sa;
	const union MHD_DaemonInfo *info;
	sigset_t set;
	unsigned threads;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;
	int sig = 0, port;
	unsigned ticks = 0;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, a->cfg.bind, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)a->cfg.port);
		sa = (const struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, a->cfg.bind, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)a->cfg.port);
		sa = (const struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		fprintf(stderr, "kindred: bind address '%s' is not an IP address\n", a->cfg.bind);
		return KD_ECONFIG;
	}
	/* On SQLite a worker never waits for the disk (answer() leaves that to
	 * the sync thread), so one per core keeps the cores busy: two or four
	 * bought no more writes and lengthened the reads' tail
	 * (docs/PERFORMANCE.md, "Worker threads").  Never fewer than two, so
	 * that one worker that does wait (a checkpoint's sync inside a commit,
	 * a page read from disk) does not stop the server.  On PostgreSQL a
	 * worker waits for each round trip to the database server, and eight
	 * per core let others run meanwhile. */
	if (cores < 1)
		cores = 1;
	if (strcmp(store_backend(a->care.st), "sqlite") == 0)
		threads = (unsigned)(cores > 1 ? cores : 2);
	else
		threads = (unsigned)(8 * cores);
	if (a->cfg.threads > 0)
		threads = (unsigned)a->cfg.threads;
	statics_load(&a->cfg);
	json_arena_install();
	access_log_start(a->log);

	/* Signals are taken by sigwait() below, never by a worker. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, a,
			     MHD_OPTION_SOCK_ADDR, sa,
			     MHD_OPTION_THREAD_POOL_SIZE, threads,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
			     /* Each connection's buffer for a request's line and
			      * headers (bodies stream through it): libmicrohttpd
			      * zeroes all of it before every request, so it is no
			      * larger than requests need. */
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024),
			     MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_UNESCAPE_CALLBACK, unescape_url, NULL,
			     MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, NULL,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "kindred: cannot listen on %s port %d: %s\n", a->cfg.bind,
			a->cfg.port, errno ? strerror(errno) : "unknown error");
		statics_free();
		return KD_EIO;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	port = info ? info->port : a->cfg.port;
	printf("kindred %s is listening on http://%s%s%s:%d/ (data in %s, %s, %u threads)\n",
	       KINDRED_VERSION, sa->sa_family == AF_INET6 ? "[" : "", a->cfg.bind,
	       sa->sa_family == AF_INET6 ? "]" : "", port, a->cfg.data_dir,
	       store_backend(a->care.st), threads);
	fflush(stdout);
	/* Between signals: each second the access log's lines are written,
	 * and every ten seconds memory the workers freed goes back to the
	 * system (glibc keeps it otherwise, and a burst of large requests
	 * would stay in the resident size for good). */
	while ((sig = sigtimedwait(&set, NULL, &(struct timespec){1, 0})) < 0) {
		access_log_flush();
		if (++ticks % 10 == 0)
			malloc_trim(0);
	}
	fprintf(stderr, "kindred: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	/* Every suspended connection back in a worker's hands first. */
	pthread_mutex_lock(&parking.mu);
	parking.stopping = 1;
	while (parking.parked > 0 || parking.waking > 0)
		pthread_cond_wait(&parking.cv, &parking.mu);
	pthread_mutex_unlock(&parking.mu);
	MHD_stop_daemon(d);
	access_log_flush();
	statics_free();
	return 0;
}

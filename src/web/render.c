/*
 * render.c: replies.  A handler's reply is a status and a JSON body; for
 * /api/v1 that body is the answer, for a page it becomes the "page" part
 * of the template context, beside who is signed in and the form token.
 * Errors have one shape everywhere: {"error": {"code", "message"}}.
 */
#include "web/web.h"

#include "kd.h"
#include "util/buf.h"
#include "util/json_write.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void reply_error(reply *out, int status, const char *code, const char *message)
{
	out->status = status;
	buf_free(&out->text);
	json_decref(out->body);
	out->body = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message);
}

void reply_kd_error(reply *out, int rc, const char *why)
{
	switch (rc) {
	case KD_EAUTH:
		reply_error(out, 401, "sign_in_required", why ? why : "Please sign in first.");
		break;
	case KD_EFORBIDDEN:
		reply_error(out, 403, "forbidden",
			    why ? why : "Your account cannot do this. If you think it should, "
					"please ask your clinic's administrator.");
		break;
	case KD_ENOTFOUND:
		reply_error(out, 404, "not_found",
			    why ? why : "We could not find that page. It may have moved.");
		break;
	case KD_EINVAL:
	case KD_EUTF8:
		reply_error(out, 400, "invalid", why ? why : "Some of what was sent could not be read.");
		break;
	case KD_ETOOBIG:
		reply_error(out, 413, "too_large", why ? why : "That is more than kindred accepts at once.");
		break;
	case KD_EEXIST:
		reply_error(out, 409, "exists", why ? why : "That already exists.");
		break;
	case KD_ETHROTTLED:
		reply_error(out, 429, "too_many_attempts",
			    "There have been several unsuccessful attempts, so sign-in is paused "
			    "for a few minutes. Please try again shortly.");
		break;
	case KD_EBUSY:
		reply_error(out, 503, "busy", "kindred is busy for a moment; please try again.");
		break;
	case KD_ENOSPC:
		reply_error(out, 507, "disk_full",
			    "kindred could not save this: the disk is full. Nothing was changed. "
			    "Please try again later, and tell your clinic.");
		break;
	default:
		reply_error(out, 500, "internal",
			    "Something went wrong on our side and nothing was changed. Please try "
			    "again; if it keeps happening, tell your clinic.");
		break;
	}
}

void reply_text_member(reply *out, const char *key, const char *json)
{
	buf *t = &out->text;

	if (t->len < 2 || t->data[t->len - 1] != '}')
		return;
	t->len--;
	if (t->data[t->len - 1] != '{')
		buf_putc(t, ',');
	json_write_string(t, key, strlen(key));
	buf_putc(t, ':');
	buf_puts(t, json);
	buf_putc(t, '}');
}

void reply_redirect(reply *out, const char *location)
{
	free(out->location);
	out->location = kd_xstrdup(location);
}

void reply_cookie(reply *out, const char *fmt, ...)
{
	va_list ap;
	buf b;
	size_t i;

	for (i = 0; i < REPLY_MAX_COOKIES && out->cookies[i]; i++)
		;
	if (i == REPLY_MAX_COOKIES)
		return;
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	out->cookies[i] = buf_steal(&b, NULL);
}

void reply_free(reply *out)
{
	size_t i;

	json_decref(out->body);
	buf_free(&out->text);
	free(out->location);
	for (i = 0; i < REPLY_MAX_COOKIES; i++)
		free(out->cookies[i]);
	memset(out, 0, sizeof(*out));
}

static json_t *me_json(const req *r)
{
	const char *role = r->who.role;

	if (r->who.id == 0)
		return json_null();
	return json_pack("{s:I, s:s, s:s, s:b, s:b, s:b, s:b}", "id", (json_int_t)r->who.id,
			 "name", r->who_name ? r->who_name : "", "role", role, "is_client",
			 strcmp(role, "client") == 0, "has_caseload",
			 strcmp(role, "clinician") == 0 || strcmp(role, "admin") == 0, "is_admin",
			 strcmp(role, "admin") == 0, "is_supporter", strcmp(role, "supporter") == 0);
}

char *render_reply(req *r, reply *out, size_t *len, const char **ctype)
{
	json_t *ctx;
	buf b;
	const char *tpl = out->tpl;
	int rc;

	if (!out->body)
		out->body = json_object();
	if (r->api) {
		*ctype = "application/json";
		if (out->text.len)
			return buf_steal(&out->text, len);
		buf_init(&b);
		json_write(&b, out->body);
		return buf_steal(&b, len);
	}
	*ctype = "text/html; charset=utf-8";
	if (out->status >= 400 && (!tpl || out->status >= 500 || out->status == 404 ||
				   out->status == 405 || out->status == 401 || out->status == 403))
		tpl = "error.html";
	if (!tpl)
		tpl = "error.html";
	ctx = json_pack("{s:s, s:o, s:s, s:O, s:i, s:O?}", "title",
			out->title ? out->title : "kindred", "me", me_json(r), "csrf", r->csrf,
			"page", out->body, "status", out->status, "error",
			json_object_get(out->body, "error"));
	buf_init(&b);
	rc = tpl_render(r->app->tpl, tpl, ctx, &b);
	json_decref(ctx);
	if (rc != 0) {
		buf_reset(&b);
		buf_puts(&b, "<!doctype html><title>kindred</title><p>Something went wrong "
			     "showing this page.</p>");
		out->status = 500;
	}
	return buf_steal(&b, len);
}

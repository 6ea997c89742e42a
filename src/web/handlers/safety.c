/*
 * safety.c: the safety plan pages — the client's own, the same plan seen
 * and edited by their clinician, and a self-contained copy to keep
 * offline.  Access is decided in policy, through care_safety_*.
 */
#include "web/web.h"

#include "kd.h"
#include "web/input.h"

#include <stdio.h>
#include <string.h>

static void show(req *r, reply *out, int64_t client_id, const char *tpl)
{
	json_t *body = NULL;
	int rc = care_safety_get(&r->app->care, &r->who, client_id, &body);

	out->tpl = tpl;
	out->title = "Safety plan";
	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	json_object_set_new(body, "crisis", json_deep_copy(r->app->crisis));
	json_object_set_new(body, "own", json_boolean(client_id == r->who.id));
	out->body = body;
}

static void save(req *r, reply *out, int64_t client_id, const char *back)
{
	const char *why = NULL;
	int rc = care_safety_save(&r->app->care, &r->who, client_id, r->in, &why);

	if (rc != 0) {
		reply_kd_error(out, rc, why);
		return;
	}
	show(r, out, client_id, "safety.html");
	if (out->status >= 400)
		return;
	json_object_set_new(out->body, "saved", json_true());
	reply_redirect(out, back);
}

void h_safety(req *r, reply *out)
{
	show(r, out, r->who.id, "safety.html");
	if (out->body && input_bool(r->in, "saved"))
		json_object_set_new(out->body, "saved", json_true());
}

void h_safety_save(req *r, reply *out)
{
	save(r, out, r->who.id, "/safety-plan?saved=1");
}

void h_client_safety(req *r, reply *out)
{
	show(r, out, r->id, "safety.html");
	if (out->body && input_bool(r->in, "saved"))
		json_object_set_new(out->body, "saved", json_true());
}

void h_client_safety_save(req *r, reply *out)
{
	char back[64];

	snprintf(back, sizeof(back), "/clients/%lld/safety-plan?saved=1", (long long)r->id);
	save(r, out, r->id, back);
}

void h_safety_download(req *r, reply *out)
{
	show(r, out, r->who.id, "safety_download.html");
	if (out->status < 400)
		out->download = "my-safety-plan.html";
}

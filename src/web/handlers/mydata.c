/*
 * mydata.c: a person's own data — the page that offers it, the export as
 * one JSON file, and deleting the account with everything in it.
 */
#include "web/web.h"

#include "kd.h"
#include "web/input.h"

#include <string.h>

void h_mydata(req *r, reply *out)
{
	out->tpl = "mydata.html";
	out->title = "Your data";
	out->body = json_pack("{s:b}", "is_client", strcmp(r->who.role, "client") == 0);
}

void h_export(req *r, reply *out)
{
	json_t *doc = NULL;
	int rc = care_export(&r->app->care, &r->who, &doc);

	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	out->body = doc;
	out->download = "my-kindred-data.json";
}

void h_delete_self(req *r, reply *out)
{
	int rc = input_expect(r->in, "password", INPUT_TEXT);

	out->tpl = "mydata.html";
	out->title = "Your data";
	if (rc == 0)
		rc = care_delete_self(&r->app->care, &r->who, input_str(r->in, "password"));
	if (rc != 0) {
		reply_kd_error(out, rc,
			       rc == KD_EAUTH ? "That password did not match, so nothing was deleted."
					      : NULL);
		if (rc == KD_EAUTH)
			out->status = 403;
		json_object_set_new(out->body, "is_client", json_true());
		return;
	}
	session_end(r, out);
	out->body = json_pack("{s:b}", "deleted", 1);
	reply_redirect(out, "/?deleted=1");
}

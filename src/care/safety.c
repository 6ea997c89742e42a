/*
 * safety.c: a client's safety plan — the steps of safety planning in
 * kindred's own words (data/content/safety_plan.json) with the items the
 * client wrote, alone or with their clinician.  The whole plan is one
 * sealed JSON document per client: it is read far more often than it is
 * written, and always whole.
 */
#include "care/care.h"

#include "kd.h"
#include "util/buf.h"
#include "util/json_write.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Items of one step from the input: an array of strings, or one string
 * with an item per line.  Returns a new array, or NULL with *why set. */
static json_t *step_items(const json_t *v, size_t max_items, size_t max_len, const char **why)
{
	json_t *items = json_array(), *e;
	const char *p, *end, *text;
	size_t i, n;

	if (!v)
		return items;
	if (json_is_string(v)) {
		p = json_string_value(v);
		while (*p) {
			end = p + strcspn(p, "\r\n");
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			n = (size_t)(end - p);
			while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
				n--;
			if (n > 0)
				json_array_append_new(items, json_stringn(p, n));
			p = end + strspn(end, "\r\n");
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (!json_is_string(e))
				goto bad;
			text = json_string_value(e);
			if (text[strspn(text, " \t\r\n")] != '\0')
				json_array_append(items, e);
		}
	} else {
		goto bad;
	}
	if (json_array_size(items) > max_items) {
		*why = "Each step can hold up to 20 items.";
		goto fail;
	}
	json_array_foreach(items, i, e) {
		if (json_string_length(e) > max_len) {
			*why = "Each item can be up to 500 characters.";
			goto fail;
		}
	}
	return items;
bad:
	*why = "Each step is a list of short texts.";
fail:
	json_decref(items);
	return NULL;
}

int care_safety_save(care *c, const actor *who, int64_t client_id, const json_t *in,
		     const char **why)
{
	json_t *plan = json_object(), *step, *items;
	store_user owner = {0};
	unsigned char *sealed = NULL;
	size_t sealed_len = 0, i;
	size_t max_items = (size_t)json_integer_value(json_object_get(c->safety, "max_items"));
	size_t max_len = (size_t)json_integer_value(json_object_get(c->safety, "max_item_length"));
	char *doc = NULL;
	size_t doc_len = 0;
	buf text;
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_WRITE, RES_SAFETY_PLAN, client_id, 0)) != 0)
		goto done;
	json_array_foreach(json_object_get(c->safety, "steps"), i, step) {
		const char *key = json_string_value(json_object_get(step, "key"));
		items = step_items(json_object_get(in, key), max_items, max_len, why);
		if (!items) {
			rc = KD_EINVAL;
			goto done;
		}
		json_object_set_new(plan, key, items);
	}
	if ((rc = store_user_get(c->st, client_id, &owner)) != 0)
		goto done;
	/* json_write, not json_dumps: in a server, jansson's own memory is
	 * a request's arena, not free()'s. */
	buf_init(&text);
	json_write(&text, plan);
	doc = buf_steal(&text, &doc_len);
	rc = vault_seal(c->v, owner.id, owner.data_key, owner.data_key_len, "safety_plans", "body",
			client_id, doc, doc_len, &sealed, &sealed_len);
	if (rc == 0)
		rc = store_safety_plan_put(c->st, client_id, sealed, sealed_len, (int64_t)time(NULL),
					   who->id);
done:
	free(doc);
	free(sealed);
	store_user_clear(&owner);
	json_decref(plan);
	return rc;
}

/* The items as one string, an item per line, for a form's textarea. */
static json_t *lines_of(const json_t *items)
{
	const json_t *e;
	size_t i;
	buf b;
	json_t *out;

	buf_init(&b);
	json_array_foreach(items, i, e) {
		if (i)
			buf_putc(&b, '\n');
		buf_append(&b, json_string_value(e), json_string_length(e));
	}
	out = json_stringn(buf_cstr(&b), b.len);
	buf_free(&b);
	return out;
}

int care_safety_get(care *c, const actor *who, int64_t client_id, json_t **out)
{
	store_safety_plan sp = {0};
	store_user owner = {0};
	json_t *plan = NULL, *steps, *step, *view;
	json_error_t jerr;
	char *doc = NULL;
	size_t doc_len = 0, i;
	char when[32], human[40];
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_READ, RES_SAFETY_PLAN, client_id, 0)) != 0)
		return rc;
	if ((rc = store_user_get(c->st, client_id, &owner)) != 0)
		return rc;
	if (!owner.data_key) { /* shredded: deleted after a restored backup */
		store_user_clear(&owner);
		return KD_ENOTFOUND;
	}
	rc = store_safety_plan_get(c->st, client_id, &sp);
	if (rc == 0) {
		rc = vault_unseal(c->v, owner.id, owner.data_key, owner.data_key_len, "safety_plans",
				  "body", client_id, sp.body, sp.body_len, &doc, &doc_len);
		if (rc == 0 && !(plan = json_loadb(doc, doc_len, 0, &jerr)))
			rc = KD_ECRYPTO;
	} else if (rc == KD_ENOTFOUND) {
		rc = 0;
	}
	if (rc != 0)
		goto done;
	steps = json_array();
	json_array_foreach(json_object_get(c->safety, "steps"), i, step) {
		json_t *items = json_object_get(plan, json_string_value(json_object_get(step, "key")));
		view = json_deep_copy(step);
		json_object_set_new(view, "items", json_is_array(items) ? json_incref(items)
									 : json_array());
		json_object_set_new(view, "text", lines_of(items));
		json_array_append_new(steps, view);
	}
	*out = json_pack("{s:{s:I, s:s}, s:O, s:o, s:b}", "client", "id", (json_int_t)owner.id,
			 "name", owner.display_name, "intro", json_object_get(c->safety, "intro"),
			 "steps", steps, "exists", plan != NULL);
	if (plan) {
		care_iso_time(sp.updated_at, when, sizeof(when));
		care_human_time(sp.updated_at, human, sizeof(human));
		json_object_set_new(*out, "updated_at", json_string(when));
		json_object_set_new(*out, "updated_when", json_string(human));
		json_object_set_new(*out, "updated_by", sp.updated_by_name
							     ? json_string(sp.updated_by_name)
							     : json_null());
	}
done:
	json_decref(plan);
	if (doc)
		free(doc);
	store_safety_plan_clear(&sp);
	store_user_clear(&owner);
	return rc;
}

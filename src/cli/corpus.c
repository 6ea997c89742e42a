/*
 * corpus.c: loaders for `kindred train` and `kindred eval` (corpus.h).
 *
 *   AnnoMI   annomi/AnnoMI-full.csv, split by annomi/split.csv (train /
 *            valid); one example per therapist utterance, labelled with
 *            the main behaviour and, where annotated, each subtype; the
 *            context is the transcript's preceding utterances.
 *   EPITOME  epitome/{emotional-reactions,interpretations,explorations}-
 *            reddit.{train,dev}.csv joined on the reply id; the seeker's
 *            post is the context.  Replies whose text occurs more than
 *            once with conflicting levels lose that mechanism's label.
 *   ESConv   esconv/{train,valid}.txt (one JSON dialogue per line); one
 *            example per supporter turn that names a strategy, with the
 *            conversation so far as context.
 *
 * Workload: a few MB read once per command; clarity over speed.  Memory
 * runs out only as an abort (kd.h), as the command line does elsewhere.
 */
#include "cli/corpus.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kd.h"

static void ex_free(corpus_ex *x)
{
	size_t i;

	free(x->text);
	for (i = 0; i < x->nctx; i++)
		free((char *)x->ctx[i].text);
}

void corpus_free(corpus *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		ex_free(&c->ex[i]);
	free(c->ex);
	memset(c, 0, sizeof(*c));
}

kd_task corpus_task(const char *s)
{
	if (strcmp(s, "mi") == 0)
		return KD_TASK_MI;
	if (strcmp(s, "empathy") == 0)
		return KD_TASK_EMPATHY;
	if (strcmp(s, "strategy") == 0)
		return KD_TASK_STRATEGY;
	return (kd_task)0;
}

static char *dupn(const char *s, size_t n)
{
	char *p = kd_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* A new example with text s[0..n) and no labels; ctx from the last
 * CORPUS_CTX of turns[0..nturns). */
static corpus_ex *ex_add(corpus *c, const char *s, size_t n, kd_speaker sp, const kd_turn *turns,
			 size_t nturns)
{
	corpus_ex *x;
	size_t i, from = nturns > CORPUS_CTX ? nturns - CORPUS_CTX : 0;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->ex = kd_xrealloc(c->ex, c->cap * sizeof(*c->ex));
	}
	x = &c->ex[c->n++];
	memset(x, 0, sizeof(*x));
	x->text = dupn(s, n);
	x->len = n;
	x->speaker = sp;
	for (i = from; i < nturns; i++) {
		kd_turn *t = &x->ctx[x->nctx++];
		t->speaker = turns[i].speaker;
		t->text = dupn(turns[i].text, turns[i].len);
		t->len = turns[i].len;
	}
	x->y[0] = x->y[1] = x->y[2] = x->y[3] = -1;
	return x;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		p = kd_xmalloc((size_t)n + 1);
		*len = fread(p, 1, (size_t)n, f);
		p[*len] = '\0';
	}
	fclose(f);
	return p;
}

/* snprintf into a path buffer; a path too long is cut, and then simply
 * not found. */
static void pathf(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void pathf(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, n, fmt, ap);
	va_end(ap);
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* ---- CSV (RFC 4180: quoted fields, "" escapes, newlines inside) ---- */

typedef struct csv_row {
	char *f[24];
	size_t nf;
} csv_row;

/* Parses the row at *p (modifying the buffer in place: fields are
 * unquoted and NUL-terminated where they lie).  Returns 0 at the end. */
static int csv_next(char **p, char *end, csv_row *r)
{
	char *s = *p, *w;

	r->nf = 0;
	if (s >= end)
		return 0;
	for (;;) {
		char *start = s;
		w = s;
		if (s < end && *s == '"') {
			s++;
			while (s < end) {
				if (*s == '"' && s + 1 < end && s[1] == '"') {
					*w++ = '"';
					s += 2;
				} else if (*s == '"') {
					s++;
					break;
				} else {
					*w++ = *s++;
				}
			}
			while (s < end && *s != ',' && *s != '\n')
				s++;
		} else {
			while (s < end && *s != ',' && *s != '\n')
				s++;
			w = s;
			if (w > start && w[-1] == '\r')
				w--;
		}
		if (r->nf < 24)
			r->f[r->nf++] = start;
		if (s >= end || *s == '\n') {
			*w = '\0';
			*p = s < end ? s + 1 : end;
			return 1;
		}
		*w = '\0';
		s++; /* the comma */
	}
}

static int col(const csv_row *hdr, const char *name)
{
	size_t i;

	for (i = 0; i < hdr->nf; i++)
		if (strcmp(hdr->f[i], name) == 0)
			return (int)i;
	return -1;
}

static int index_of(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

static const char *const mi_beh[] = {"question", "reflection", "therapist_input", "other"};
static const char *const mi_q[] = {"open", "closed"};
static const char *const mi_r[] = {"simple", "complex"};
static const char *const mi_in[] = {"information", "advice", "negotiation", "options"};

/* ---- AnnoMI ---- */

static int load_annomi(corpus *c, const char *dir, corpus_split split, char *err, size_t errlen)
{
	char path[4096], *sp = NULL, *full = NULL, *p, *end;
	size_t len, nturn = 0, tcap = 0, i;
	csv_row hdr, r;
	kd_turn *turns = NULL;
	char want[2][8] = {"train", "valid"}, cur[32] = "";
	int rc = -1, ci[7];
	unsigned char *in_split = NULL;
	size_t nsplit = 0;

	pathf(path, sizeof(path), "%s/split.csv", dir);
	if (!(sp = slurp(path, &len))) {
		snprintf(err, errlen, "cannot read %s", path);
		goto done;
	}
	p = sp;
	end = sp + len;
	csv_next(&p, end, &hdr);
	in_split = calloc(1, 1);
	while (csv_next(&p, end, &r)) {
		long id;
		if (r.nf < 2)
			continue;
		id = strtol(r.f[0], NULL, 10);
		if (id < 0 || id > 100000)
			continue;
		if ((size_t)id >= nsplit) {
			in_split = kd_xrealloc(in_split, (size_t)id + 1);
			memset(in_split + nsplit, 0, (size_t)id + 1 - nsplit);
			nsplit = (size_t)id + 1;
		}
		in_split[id] = strcmp(r.f[1], want[split]) == 0;
	}
	pathf(path, sizeof(path), "%s/AnnoMI-full.csv", dir);
	if (!(full = slurp(path, &len))) {
		snprintf(err, errlen, "cannot read %s", path);
		goto done;
	}
	p = full;
	end = full + len;
	csv_next(&p, end, &hdr);
	{
		static const char *const names[] = {
			"transcript_id", "interlocutor", "utterance_text", "main_therapist_behaviour",
			"question_subtype", "reflection_subtype", "therapist_input_subtype"};
		for (i = 0; i < 7; i++)
			if ((ci[i] = col(&hdr, names[i])) < 0) {
				snprintf(err, errlen, "%s: no column %s", path, names[i]);
				goto done;
			}
	}
	while (csv_next(&p, end, &r)) {
		const char *t;
		kd_speaker who;
		long id;
		if (r.nf < hdr.nf)
			continue;
		if (strcmp(r.f[ci[0]], cur) != 0) {
			for (i = 0; i < nturn; i++)
				free((char *)turns[i].text);
			nturn = 0;
			snprintf(cur, sizeof(cur), "%s", r.f[ci[0]]);
		}
		id = strtol(r.f[ci[0]], NULL, 10);
		t = r.f[ci[2]];
		who = strcmp(r.f[ci[1]], "therapist") == 0 ? KD_SPEAKER_HELPER : KD_SPEAKER_CLIENT;
		if (who == KD_SPEAKER_HELPER && id >= 0 && (size_t)id < nsplit && in_split[id]) {
			corpus_ex *x = ex_add(c, t, strlen(t), who, turns, nturn);
			x->y[0] = index_of(r.f[ci[3]], mi_beh, 4);
			/* a subtype counts where it is the main behaviour's */
			if (x->y[0] == 0)
				x->y[1] = index_of(r.f[ci[4]], mi_q, 2);
			if (x->y[0] == 1)
				x->y[2] = index_of(r.f[ci[5]], mi_r, 2);
			if (x->y[0] == 2)
				x->y[3] = index_of(r.f[ci[6]], mi_in, 4);
		}
		if (nturn == tcap) {
			tcap = tcap ? tcap * 2 : 64;
			turns = kd_xrealloc(turns, tcap * sizeof(*turns));
		}
		turns[nturn].speaker = who;
		turns[nturn].text = kd_xstrdup(t);
		turns[nturn].len = strlen(t);
		nturn++;
	}
	rc = 0;
done:
	for (i = 0; i < nturn; i++)
		free((char *)turns[i].text);
	free(turns);
	free(in_split);
	free(sp);
	free(full);
	return rc;
}

/* ---- EPITOME ---- */

static int load_epitome(corpus *c, const char *dir, corpus_split split, char *err, size_t errlen)
{
	static const char *const files[] = {"emotional-reactions", "interpretations", "explorations"};
	char path[4096], *data[3] = {NULL, NULL, NULL}, **ids = NULL;
	size_t first = c->n, i, j, m, len, idcap = 0, nid = 0;
	int rc = -1;

	for (m = 0; m < 3; m++) {
		char *p, *end;
		csv_row hdr, r;
		int cs, cr, ct, cp, cl;
		pathf(path, sizeof(path), "%s/%s-reddit.%s.csv", dir, files[m],
			 split == SPLIT_TRAIN ? "train" : "dev");
		if (!(data[m] = slurp(path, &len))) {
			snprintf(err, errlen, "cannot read %s", path);
			goto done;
		}
		p = data[m];
		end = p + len;
		csv_next(&p, end, &hdr);
		cs = col(&hdr, "seeker_post");
		cr = col(&hdr, "rp_id");
		ct = col(&hdr, "response_post");
		cp = col(&hdr, "sp_id");
		cl = col(&hdr, "level");
		if (cs < 0 || cr < 0 || ct < 0 || cl < 0 || cp < 0) {
			snprintf(err, errlen, "%s: missing columns", path);
			goto done;
		}
		while (csv_next(&p, end, &r)) {
			corpus_ex *x = NULL;
			int lv;
			if (r.nf < hdr.nf)
				continue;
			lv = (int)strtol(r.f[cl], NULL, 10);
			if (lv < 0 || lv > 2)
				continue;
			/* join on the reply id: the three files word some replies
			 * differently (whitespace), so text is no key */
			for (j = first; j < c->n && m > 0; j++)
				if (strcmp(ids[j - first], r.f[cr]) == 0 && c->ex[j].y[m] < 0) {
					x = &c->ex[j];
					break;
				}
			if (!x) {
				kd_turn seeker = {KD_SPEAKER_CLIENT, r.f[cs], strlen(r.f[cs])};
				x = ex_add(c, r.f[ct], strlen(r.f[ct]), KD_SPEAKER_HELPER, &seeker, 1);
				if (nid == idcap) {
					idcap = idcap ? idcap * 2 : 1024;
					ids = kd_xrealloc(ids, idcap * sizeof(*ids));
				}
				ids[nid++] = kd_xstrdup(r.f[cr]);
			}
			x->y[m] = lv;
		}
	}
	/* duplicate replies: conflicting levels lose the label; agreeing
	 * copies after the first are dropped */
	for (i = first; i < c->n; i++)
		for (j = i + 1; j < c->n; j++) {
			if (strcmp(c->ex[i].text, c->ex[j].text) != 0)
				continue;
			for (m = 0; m < 3; m++)
				if (c->ex[i].y[m] != c->ex[j].y[m])
					c->ex[i].y[m] = -1;
			c->ex[j].y[0] = c->ex[j].y[1] = c->ex[j].y[2] = -1;
		}
	for (i = j = first; i < c->n; i++) {
		if (c->ex[i].y[0] < 0 && c->ex[i].y[1] < 0 && c->ex[i].y[2] < 0) {
			ex_free(&c->ex[i]);
			continue;
		}
		c->ex[j++] = c->ex[i];
	}
	c->n = j;
	rc = 0;
done:
	for (i = 0; ids && i < nid; i++)
		free(ids[i]);
	free(ids);
	for (m = 0; m < 3; m++)
		free(data[m]);
	return rc;
}

/* ---- ESConv ---- */

static int load_esconv(corpus *c, const char *dir, corpus_split split, char *err, size_t errlen)
{
	char path[4096], *data = NULL, *p, *nl;
	size_t len, i, nturn = 0, tcap = 0;
	kd_turn *turns = NULL;
	int rc = -1;

	pathf(path, sizeof(path), "%s/%s", dir, split == SPLIT_TRAIN ? "train.txt" : "valid.txt");
	if (!(data = slurp(path, &len))) {
		snprintf(err, errlen, "cannot read %s", path);
		goto done;
	}
	for (p = data; p < data + len; p = nl + 1) {
		json_t *root, *dialog, *turn;
		json_error_t je;
		size_t k;
		if (!(nl = memchr(p, '\n', (size_t)(data + len - p))))
			nl = data + len;
		if (nl == p)
			continue;
		if (!(root = json_loadb(p, (size_t)(nl - p), 0, &je))) {
			snprintf(err, errlen, "%s: line %d: %s", path, je.line, je.text);
			goto done;
		}
		dialog = json_object_get(root, "dialog");
		nturn = 0;
		json_array_foreach(dialog, k, turn) {
			const char *t = json_string_value(json_object_get(turn, "text"));
			const char *who = json_string_value(json_object_get(turn, "speaker"));
			const char *st = json_string_value(json_object_get(turn, "strategy"));
			kd_speaker sp;
			if (!t || !who)
				continue;
			sp = strcmp(who, "sys") == 0 ? KD_SPEAKER_HELPER : KD_SPEAKER_CLIENT;
			if (sp == KD_SPEAKER_HELPER && st) {
				corpus_ex *x = ex_add(c, t, strlen(t), sp, turns, nturn);
				for (i = 0; i < 8; i++)
					if (strcmp(st, kd_strategy_name((kd_strategy)i)) == 0)
						x->y[0] = (int)i;
			}
			if (nturn == tcap) {
				tcap = tcap ? tcap * 2 : 64;
				turns = kd_xrealloc(turns, tcap * sizeof(*turns));
			}
			/* borrowed from root, which outlives this dialogue's use */
			turns[nturn].speaker = sp;
			turns[nturn].text = t;
			turns[nturn].len = strlen(t);
			nturn++;
		}
		json_decref(root);
		if (nl == data + len)
			break;
	}
	rc = 0;
done:
	free(turns);
	free(data);
	return rc;
}

int corpus_add_esconv_as_mi(corpus *c, const char *dir, size_t every, char *err, size_t errlen)
{
	static const int beh[8] = {0, 1, 1, 3, 3, 2, 2, 3}, sub[8] = {-1, -1, -1, -1, -1, 1, 0, -1};
	char path[4096];
	corpus es;
	size_t i, k = 0;

	memset(&es, 0, sizeof(es));
	pathf(path, sizeof(path), "%s/esconv", dir);
	if (!exists(path))
		pathf(path, sizeof(path), "%s", dir);
	if (every == 0 || load_esconv(&es, path, SPLIT_TRAIN, err, errlen) != 0) {
		corpus_free(&es);
		return every == 0 ? 0 : -1;
	}
	for (i = 0; i < es.n; i++) {
		corpus_ex *x = &es.ex[i];
		int st = x->y[0];
		if (st < 0 || k++ % every != 0) {
			ex_free(x);
			continue;
		}
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 256;
			c->ex = kd_xrealloc(c->ex, c->cap * sizeof(*c->ex));
		}
		x->y[0] = beh[st];
		x->y[3] = sub[st];
		/* a restatement says what the seeker said (simple), a
		 * reflection of feelings adds what they felt (complex) */
		if (st == 1 || st == 2)
			x->y[2] = st - 1;
		c->ex[c->n++] = *x;
	}
	free(es.ex);
	return 0;
}

/* ---- the user's own JSON Lines ---- */

static kd_speaker speaker_of(const char *s)
{
	if (s && strcmp(s, "helper") == 0)
		return KD_SPEAKER_HELPER;
	if (s && strcmp(s, "client") == 0)
		return KD_SPEAKER_CLIENT;
	return KD_SPEAKER_UNKNOWN;
}

static int parse_label(kd_task task, const char *s, int y[4])
{
	char b[64], *slash;
	size_t i;

	y[0] = y[1] = y[2] = y[3] = -1;
	if (strlen(s) >= sizeof(b))
		return -1;
	strcpy(b, s);
	if (task == KD_TASK_MI) {
		if ((slash = strchr(b, '/')))
			*slash++ = '\0';
		if ((y[0] = index_of(b, mi_beh, 4)) < 0)
			return -1;
		if (!slash)
			return 0;
		if (y[0] == 0)
			y[1] = index_of(slash, mi_q, 2);
		else if (y[0] == 1)
			y[2] = index_of(slash, mi_r, 2);
		else if (y[0] == 2)
			y[3] = index_of(slash, mi_in, 4);
		return (y[1] < 0 && y[2] < 0 && y[3] < 0) ? -1 : 0;
	}
	if (task == KD_TASK_EMPATHY) {
		if (strlen(b) != 5 || b[1] != ',' || b[3] != ',')
			return -1;
		for (i = 0; i < 3; i++) {
			if (b[2 * i] < '0' || b[2 * i] > '2')
				return -1;
			y[i] = b[2 * i] - '0';
		}
		return 0;
	}
	for (i = 0; i < 8; i++)
		if (strcmp(b, kd_strategy_name((kd_strategy)i)) == 0)
			y[0] = (int)i;
	return y[0] < 0 ? -1 : 0;
}

int corpus_jsonl_line(corpus *c, kd_task task, const char *line, size_t len, char *err,
		      size_t errlen)
{
	json_t *root, *ctx, *turn;
	json_error_t je;
	kd_turn turns[CORPUS_CTX];
	const char *text, *label;
	size_t i, n, nt = 0;
	int y[4], rc = -1;
	corpus_ex *x;

	if (!(root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je))) {
		snprintf(err, errlen, "%s", je.text);
		return -1;
	}
	text = json_string_value(json_object_get(root, "text"));
	label = json_string_value(json_object_get(root, "label"));
	if (!text || !label) {
		snprintf(err, errlen, "needs string \"text\" and \"label\"");
		goto done;
	}
	if (parse_label(task, label, y) != 0) {
		snprintf(err, errlen, "label \"%.40s\" is not one of this task's (docs/models.md)", label);
		goto done;
	}
	ctx = json_object_get(root, "context");
	if (ctx && !json_is_array(ctx)) {
		snprintf(err, errlen, "\"context\" must be an array");
		goto done;
	}
	n = json_array_size(ctx);
	for (i = n > CORPUS_CTX ? n - CORPUS_CTX : 0; i < n; i++) {
		turn = json_array_get(ctx, i);
		if (!json_is_string(json_object_get(turn, "text"))) {
			snprintf(err, errlen, "each context turn needs a string \"text\"");
			goto done;
		}
		turns[nt].speaker = speaker_of(json_string_value(json_object_get(turn, "speaker")));
		turns[nt].text = json_string_value(json_object_get(turn, "text"));
		turns[nt].len = json_string_length(json_object_get(turn, "text"));
		nt++;
	}
	x = ex_add(c, text, json_string_length(json_object_get(root, "text")),
		   json_object_get(root, "speaker")
			   ? speaker_of(json_string_value(json_object_get(root, "speaker")))
			   : KD_SPEAKER_HELPER,
		   turns, nt);
	memcpy(x->y, y, sizeof(y));
	rc = 0;
done:
	json_decref(root);
	return rc;
}

static int load_jsonl(corpus *c, kd_task task, const char *path, char *err, size_t errlen)
{
	char *data, *p, *nl, msg[256];
	size_t len, line = 0;

	if (!(data = slurp(path, &len))) {
		snprintf(err, errlen, "cannot read %s", path);
		return -1;
	}
	for (p = data; p < data + len; p = nl + 1) {
		if (!(nl = memchr(p, '\n', (size_t)(data + len - p))))
			nl = data + len;
		line++;
		if (nl > p && corpus_jsonl_line(c, task, p, (size_t)(nl - p), msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "%s:%zu: %s", path, line, msg);
			free(data);
			return -1;
		}
		if (nl == data + len)
			break;
	}
	free(data);
	return 0;
}

int corpus_load(corpus *c, kd_task task, const char *dir, corpus_split split, char *err,
		size_t errlen)
{
	static const char *const sub[] = {"", "annomi", "epitome", "esconv"};
	char path[4096], probe[4096];
	size_t n = strlen(dir);

	if ((int)task < 1 || (int)task > 3) {
		snprintf(err, errlen, "unknown task");
		return -1;
	}
	if (n > 6 && strcmp(dir + n - 6, ".jsonl") == 0) {
		if (split == SPLIT_DEV) {
			snprintf(err, errlen, "%s: a single file has no dev split", dir);
			return -1;
		}
		return load_jsonl(c, task, dir, err, errlen);
	}
	pathf(probe, sizeof(probe), "%s/train.jsonl", dir);
	if (exists(probe)) {
		pathf(path, sizeof(path), "%s/%s.jsonl", dir, split == SPLIT_TRAIN ? "train" : "dev");
		if (split == SPLIT_DEV && !exists(path)) {
			snprintf(err, errlen, "%s: no dev.jsonl", dir);
			return -1;
		}
		return load_jsonl(c, task, path, err, errlen);
	}
	pathf(path, sizeof(path), "%s/%s", dir, sub[task]);
	if (!exists(path))
		pathf(path, sizeof(path), "%s", dir);
	if (!exists(path)) {
		snprintf(err, errlen,
			 "%s: no such folder (the corpora live in ../shared/data; see docs/models.md)",
			 dir);
		return -1;
	}
	if (task == KD_TASK_MI)
		return load_annomi(c, path, split, err, errlen);
	if (task == KD_TASK_EMPATHY)
		return load_epitome(c, path, split, err, errlen);
	return load_esconv(c, path, split, err, errlen);
}

/*
 * template.c: compiles the Mustache subset of template.h into a flat
 * array of nodes, and renders that array against a jansson value.
 *
 * Workload: a few dozen templates of a few kilobytes, compiled once when
 * the server starts, then rendered thousands of times a second from
 * several threads at once.  So everything that can be decided once is
 * decided in tpl_add: tag syntax, names, and where each section ends (a
 * section node stores the index just past its block, so the renderer
 * skips or repeats a block without looking for its close tag).  tpl_link
 * turns partial names into pointers.  Rendering keeps its context stack
 * in frames on the C stack and its budget in a local struct; it never
 * writes to the set, which is why concurrent renders need no lock.
 *
 * Nodes point into a private copy of the source instead of owning small
 * strings: one allocation per template, and names keep their dots, which
 * the renderer walks segment by segment with json_object_getn.
 *
 * A set is searched linearly by name: it holds tens of templates and a
 * render costs far more than a few strcmp calls.
 */
#include "web/template.h"

#include "kd.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum node_type {
	NODE_TEXT,     /* literal text */
	NODE_VAR,      /* {{name}}, escaped */
	NODE_RAW,      /* {{{name}}}, not escaped */
	NODE_SECTION,  /* {{#name}} .. {{/name}} */
	NODE_INVERTED, /* {{^name}} .. {{/name}} */
	NODE_PARTIAL   /* {{> name}} */
};

struct node {
	enum node_type type;
	size_t line;               /* where the tag starts, for messages */
	const char *str;           /* text or name, in tpl.src; no NUL */
	size_t len;
	size_t end;                /* sections: index of the node after the block */
	const struct tpl *partial; /* partials: bound by tpl_link, else NULL */
};

struct tpl {
	char *name;
	size_t name_len;
	char *src; /* private copy of the source; nodes point into it */
	struct node *nodes;
	size_t nnodes;
	size_t cap;
};

struct tpl_set {
	struct tpl **v; /* pointers, so bound partials survive growth of v */
	size_t n;
	size_t cap;
};

/* Longest name quoted in a message; a runaway name is not worth more. */
#define MSG_NAME_MAX 64
#define MSG_LEN(n) ((int)((n) > MSG_NAME_MAX ? MSG_NAME_MAX : (n)))

static void tpl_free_one(struct tpl *t)
{
	if (!t)
		return;
	free(t->nodes);
	free(t->src);
	free(t->name);
	free(t);
}

static const struct tpl *find_tpl(const tpl_set *s, const char *name, size_t len)
{
	const struct tpl *found = NULL;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->v[i]->name_len == len && memcmp(s->v[i]->name, name, len) == 0) {
			found = s->v[i];
			break;
		}
	}
	return found;
}

int tpl_set_new(tpl_set **out)
{
	*out = kd_xcalloc(1, sizeof **out);
	return 0;
}

void tpl_set_free(tpl_set *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		tpl_free_one(s->v[i]);
	free(s->v);
	free(s);
}

/* ---- compiling ---- */

struct parser {
	struct tpl *t;
	const char *src;
	size_t len;
	size_t line;
	size_t open[TPL_MAX_NEST]; /* node indexes of unclosed sections */
	size_t depth;
	buf *msg;
};

static int parse_error(struct parser *p, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int parse_error(struct parser *p, size_t line, const char *fmt, ...)
{
	va_list ap;

	buf_printf(p->msg, "%s:%zu: ", p->t->name, line);
	va_start(ap, fmt);
	buf_vprintf(p->msg, fmt, ap);
	va_end(ap);
	return KD_EINVAL;
}

static struct node *add_node(struct parser *p, enum node_type type, const char *str,
			     size_t len, size_t line)
{
	struct tpl *t = p->t;
	struct node *n;

	if (t->nnodes == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->nodes = kd_xrealloc(t->nodes, t->cap * sizeof *t->nodes);
	}
	n = &t->nodes[t->nnodes++];
	n->type = type;
	n->line = line;
	n->str = str;
	n->len = len;
	n->end = 0;
	n->partial = NULL;
	return n;
}

/* memmem is a GNU extension that not every build of ours declares
 * (the fuzz build sets no feature macros); an undeclared memmem would
 * silently truncate its pointer result to int. */
static const char *find(const char *s, size_t n, const char *pat, size_t plen)
{
	const char *end = s + n;
	const char *hit = NULL;

	while ((size_t)(end - s) >= plen) {
		s = memchr(s, pat[0], (size_t)(end - s) - plen + 1);
		if (!s)
			break;
		if (memcmp(s, pat, plen) == 0) {
			hit = s;
			break;
		}
		s++;
	}
	return hit;
}

static size_t count_lines(const char *s, size_t n)
{
	size_t i, lines = 0;

	for (i = 0; i < n; i++)
		lines += s[i] == '\n';
	return lines;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* Dotted names may not have empty segments: "a..b" or ".a" is a typo,
 * and rendering it as "missing" would hide the typo.  Partial names are
 * template names, so dots there are plain characters. */
static int check_name(struct parser *p, size_t line, const char *s, size_t len, int dotted)
{
	size_t i;
	int rc = 0;

	if (len == 0) {
		rc = parse_error(p, line, "empty name in tag");
		goto done;
	}
	for (i = 0; i < len; i++) {
		if (!is_name_char(s[i])) {
			rc = parse_error(p, line, "bad character 0x%02x in name",
					 (unsigned)(unsigned char)s[i]);
			goto done;
		}
	}
	if (dotted && !(len == 1 && s[0] == '.') &&
	    (s[0] == '.' || s[len - 1] == '.' || find(s, len, "..", 2))) {
		rc = parse_error(p, line, "empty part in dotted name '%.*s'", MSG_LEN(len), s);
		goto done;
	}
done:
	return rc;
}

/* Handles the tag whose "{{" is at offset open; sets *next past it. */
static int parse_tag(struct parser *p, size_t open, size_t *next)
{
	const char *s = p->src;
	const char *hit;
	const char *closer = "}}";
	size_t clen = 2, ns = open + 2, close, ne;
	size_t line = p->line;
	struct node *n;
	char sigil = '\0';
	int rc = 0;

	if (ns < p->len && s[ns] == '{') {
		sigil = '{';
		closer = "}}}";
		clen = 3;
		ns++;
	} else {
		while (ns < p->len && is_space(s[ns]))
			ns++;
		if (ns < p->len && s[ns] != '\0' && strchr("#^/>!", s[ns]))
			sigil = s[ns++];
	}
	hit = find(s + ns, p->len - ns, closer, clen);
	if (!hit) {
		rc = parse_error(p, line, "unterminated tag");
		goto done;
	}
	close = (size_t)(hit - s);
	*next = close + clen;
	p->line += count_lines(s + open, *next - open);
	if (sigil == '!')
		goto done;

	ne = close;
	while (ns < ne && is_space(s[ns]))
		ns++;
	while (ne > ns && is_space(s[ne - 1]))
		ne--;
	rc = check_name(p, line, s + ns, ne - ns, sigil != '>');
	if (rc)
		goto done;

	switch (sigil) {
	case '#':
	case '^':
		if (p->depth == TPL_MAX_NEST) {
			rc = parse_error(p, line, "sections nested deeper than %d", TPL_MAX_NEST);
			goto done;
		}
		p->open[p->depth++] = p->t->nnodes;
		add_node(p, sigil == '#' ? NODE_SECTION : NODE_INVERTED, s + ns, ne - ns, line);
		break;
	case '/':
		if (p->depth == 0) {
			rc = parse_error(p, line, "{{/%.*s}} closes no open section",
					 MSG_LEN(ne - ns), s + ns);
			goto done;
		}
		n = &p->t->nodes[p->open[p->depth - 1]];
		if (n->len != ne - ns || memcmp(n->str, s + ns, n->len) != 0) {
			rc = parse_error(p, line, "{{/%.*s}} does not match {{%c%.*s}} of line %zu",
					 MSG_LEN(ne - ns), s + ns,
					 n->type == NODE_SECTION ? '#' : '^', MSG_LEN(n->len), n->str,
					 n->line);
			goto done;
		}
		n->end = p->t->nnodes;
		p->depth--;
		break;
	case '>':
		add_node(p, NODE_PARTIAL, s + ns, ne - ns, line);
		break;
	case '{':
		add_node(p, NODE_RAW, s + ns, ne - ns, line);
		break;
	default:
		add_node(p, NODE_VAR, s + ns, ne - ns, line);
		break;
	}
done:
	return rc;
}

static int parse(struct parser *p)
{
	const char *s = p->src;
	const char *hit;
	size_t pos = 0, open;
	struct node *n;
	int rc = 0;

	while (pos < p->len) {
		hit = find(s + pos, p->len - pos, "{{", 2);
		open = hit ? (size_t)(hit - s) : p->len;
		if (open > pos) {
			add_node(p, NODE_TEXT, s + pos, open - pos, p->line);
			p->line += count_lines(s + pos, open - pos);
		}
		if (!hit)
			break;
		rc = parse_tag(p, open, &pos);
		if (rc)
			goto done;
	}
	if (p->depth) {
		n = &p->t->nodes[p->open[p->depth - 1]];
		rc = parse_error(p, n->line, "{{%c%.*s}} is never closed",
				 n->type == NODE_SECTION ? '#' : '^', MSG_LEN(n->len), n->str);
		goto done;
	}
done:
	return rc;
}

/* A malloc'd message goes to *err only on failure, so callers can free
 * unconditionally after a failed call and need not after a good one. */
int tpl_add(tpl_set *s, const char *name, const char *src, size_t len, char **err)
{
	struct parser p;
	struct tpl *t = NULL;
	buf msg;
	int rc;

	buf_init(&msg);
	if (err)
		*err = NULL;
	if (!s || !name || !*name || (!src && len)) {
		rc = KD_EINVAL;
		buf_puts(&msg, "tpl_add: no set, name or source");
		goto fail;
	}
	if (find_tpl(s, name, strlen(name))) {
		rc = KD_EEXIST;
		buf_printf(&msg, "%s: a template of that name already exists", name);
		goto fail;
	}
	t = kd_xcalloc(1, sizeof *t);
	t->name = kd_xstrdup(name);
	t->name_len = strlen(name);
	t->src = kd_xmalloc(len);
	if (len)
		memcpy(t->src, src, len);

	memset(&p, 0, sizeof p);
	p.t = t;
	p.src = t->src;
	p.len = len;
	p.line = 1;
	p.msg = &msg;
	rc = parse(&p);
	if (rc)
		goto fail;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = kd_xrealloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = t;
	goto done;
fail:
	tpl_free_one(t);
	if (err)
		*err = buf_steal(&msg, NULL);
done:
	buf_free(&msg);
	return rc;
}

/* Runs before any render (see template.h); the only writer of nodes
 * after tpl_add. */
int tpl_link(tpl_set *s, char **err)
{
	struct tpl *t;
	struct node *n;
	size_t i, j;
	buf msg;
	int rc = 0;

	buf_init(&msg);
	if (err)
		*err = NULL;
	for (i = 0; i < s->n; i++) {
		t = s->v[i];
		for (j = 0; j < t->nnodes; j++) {
			n = &t->nodes[j];
			if (n->type != NODE_PARTIAL)
				continue;
			n->partial = find_tpl(s, n->str, n->len);
			if (!n->partial) {
				rc = KD_ENOTFOUND;
				buf_printf(&msg, "%s:%zu: partial '%.*s' is not a template", t->name,
					   n->line, MSG_LEN(n->len), n->str);
				goto fail;
			}
		}
	}
	goto done;
fail:
	if (err)
		*err = buf_steal(&msg, NULL);
done:
	buf_free(&msg);
	return rc;
}

int tpl_has(const tpl_set *s, const char *name)
{
	return s && name && find_tpl(s, name, strlen(name)) != NULL;
}

/* ---- rendering ---- */

/* One context on the stack; the innermost frame is searched first. */
struct frame {
	const json_t *v;
	const struct frame *up;
};

/* Per-call state; lives on the caller's stack, never in the set. */
struct render {
	const tpl_set *set;
	buf *out;
	size_t start;        /* out->len when the render began */
	unsigned long steps; /* nodes and iterations left in the budget */
};

static size_t segment_len(const char *s, size_t len)
{
	const char *dot = memchr(s, '.', len);

	return dot ? (size_t)(dot - s) : len;
}

/* "list.0": a later segment of digits picks an array element, so a
 * template can wrap a list in a table only when it has a first row. */
static const json_t *array_item(const json_t *arr, const char *s, size_t len)
{
	size_t i, idx = 0;

	if (len == 0 || len > 6)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return NULL;
		idx = idx * 10 + (size_t)(s[i] - '0');
	}
	return json_array_get(arr, idx);
}

/* Mustache's rule: only the first segment walks the stack; once it is
 * found, a missing later segment means missing, not "try outer". */
static const json_t *lookup(const struct frame *top, const char *name, size_t len)
{
	const struct frame *f;
	const json_t *v = NULL;
	size_t pos, seg;

	if (len == 1 && name[0] == '.') {
		v = top->v;
		goto done;
	}
	seg = segment_len(name, len);
	for (f = top; f; f = f->up) {
		if (json_is_object(f->v)) {
			v = json_object_getn(f->v, name, seg);
			if (v)
				break;
		}
	}
	pos = seg;
	while (v && pos < len) {
		pos++;
		seg = segment_len(name + pos, len - pos);
		if (json_is_object(v))
			v = json_object_getn(v, name + pos, seg);
		else if (json_is_array(v))
			v = array_item(v, name + pos, seg);
		else
			v = NULL;
		pos += seg;
	}
done:
	return v;
}

static int truthy(const json_t *v)
{
	int yes = 0;

	switch (json_typeof(v)) {
	case JSON_OBJECT: yes = 1; break;
	case JSON_ARRAY: yes = json_array_size(v) > 0; break;
	case JSON_STRING: yes = json_string_length(v) > 0; break;
	case JSON_INTEGER: yes = json_integer_value(v) != 0; break;
	case JSON_REAL: yes = json_real_value(v) != 0.0; break;
	case JSON_TRUE: yes = 1; break;
	case JSON_FALSE:
	case JSON_NULL: break;
	}
	return yes;
}

static void put_value(buf *out, const json_t *v, int escape)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		if (escape)
			buf_put_html(out, json_string_value(v), json_string_length(v));
		else
			buf_append(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER: buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
	case JSON_REAL: buf_printf(out, "%g", json_real_value(v)); break;
	case JSON_TRUE: buf_puts(out, "true"); break;
	case JSON_FALSE:
	case JSON_NULL:
	case JSON_OBJECT:
	case JSON_ARRAY: break;
	}
}

static int render_range(struct render *r, const struct tpl *t, size_t from, size_t to,
			const struct frame *top, int depth);

static int render_section(struct render *r, const struct tpl *t, const struct node *n,
			  size_t at, const struct frame *top, int depth)
{
	const json_t *v = lookup(top, n->str, n->len);
	struct frame f;
	size_t i;
	int rc = 0;

	if (!v)
		goto done;
	f.up = top;
	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			if (r->steps == 0) {
				rc = KD_ETOOBIG;
				goto done;
			}
			r->steps--;
			f.v = json_array_get(v, i);
			rc = render_range(r, t, at + 1, n->end, &f, depth);
			if (rc)
				goto done;
		}
	} else if (json_is_object(v)) {
		f.v = v;
		rc = render_range(r, t, at + 1, n->end, &f, depth);
	} else if (truthy(v)) {
		rc = render_range(r, t, at + 1, n->end, top, depth);
	}
done:
	return rc;
}

static int render_partial(struct render *r, const struct node *n, const struct frame *top,
			  int depth)
{
	const struct tpl *pt = n->partial;
	int rc = 0;

	if (!pt)
		pt = find_tpl(r->set, n->str, n->len);
	if (!pt) {
		rc = KD_ENOTFOUND;
		goto done;
	}
	if (depth >= TPL_MAX_PARTIAL_DEPTH) {
		rc = KD_EINVAL;
		goto done;
	}
	rc = render_range(r, pt, 0, pt->nnodes, top, depth + 1);
done:
	return rc;
}

static int render_range(struct render *r, const struct tpl *t, size_t from, size_t to,
			const struct frame *top, int depth)
{
	const struct node *n;
	const json_t *v;
	size_t i = from;
	int rc = 0;

	while (i < to) {
		if (r->steps == 0) {
			rc = KD_ETOOBIG;
			goto done;
		}
		r->steps--;
		n = &t->nodes[i];
		switch (n->type) {
		case NODE_TEXT:
			buf_append(r->out, n->str, n->len);
			i++;
			break;
		case NODE_VAR:
		case NODE_RAW:
			v = lookup(top, n->str, n->len);
			if (v)
				put_value(r->out, v, n->type == NODE_VAR);
			i++;
			break;
		case NODE_SECTION:
			rc = render_section(r, t, n, i, top, depth);
			i = n->end;
			break;
		case NODE_INVERTED:
			v = lookup(top, n->str, n->len);
			if (!v || !truthy(v))
				rc = render_range(r, t, i + 1, n->end, top, depth);
			i = n->end;
			break;
		case NODE_PARTIAL:
			rc = render_partial(r, n, top, depth);
			i++;
			break;
		}
		if (rc)
			goto done;
		if (r->out->len - r->start > TPL_MAX_OUTPUT) {
			rc = KD_ETOOBIG;
			goto done;
		}
	}
done:
	return rc;
}

/* A failed render must not leave half a page in out: the caller would
 * otherwise have to remember the length to send an error page instead. */
int tpl_render(const tpl_set *s, const char *name, const json_t *ctx, buf *out)
{
	const struct tpl *t;
	struct render r;
	struct frame root;
	int rc;

	t = s && name ? find_tpl(s, name, strlen(name)) : NULL;
	if (!t) {
		rc = KD_ENOTFOUND;
		goto done;
	}
	r.set = s;
	r.out = out;
	r.start = out->len;
	r.steps = TPL_MAX_STEPS;
	root.v = ctx;
	root.up = NULL;
	rc = render_range(&r, t, 0, t->nnodes, &root, 0);
	if (rc)
		goto fail;
	goto done;
fail:
	out->len = r.start;
	if (out->data)
		out->data[out->len] = '\0';
done:
	return rc;
}

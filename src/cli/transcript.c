/*
 * transcript.c: reading a session transcript (plain "T:"/"C:" lines or
 * WebVTT) and writing the report of `kindred analyze FILE` (formats in
 * transcript.h).
 *
 * The parser is fed whatever a user points it at (and a fuzzer), so it
 * reads by explicit lengths, never past the end, and never trusts a tag
 * to close.  Cleaned turn text goes into one buffer; turns hold offsets
 * until parsing ends, then pointers, so growth cannot leave them dangling.
 *
 * Workload: one file of a few hundred turns per run; clarity first.
 */
#include "cli/transcript.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli_engine.h"
#include "kd.h"

#define CONTEXT_TURNS 8 /* preceding turns given to the engine */

void transcript_free(transcript *t)
{
	if (!t)
		return;
	free(t->turns);
	free(t->line);
	free(t->text);
	memset(t, 0, sizeof(*t));
}

typedef struct parser {
	transcript *t;
	buf text;
	kd_speaker cur; /* speaker of the open turn; UNKNOWN: none open */
	int open;
} parser;

/* A space between two pieces of one turn, unless one is there. */
static void sep(parser *p)
{
	size_t start;

	if (!p->open)
		return;
	start = (size_t)(uintptr_t)p->t->turns[p->t->n - 1].text;
	if (p->text.len > start && p->text.data[p->text.len - 1] != ' ')
		buf_putc(&p->text, ' ');
}

static void turn_open(parser *p, kd_speaker sp, size_t line)
{
	transcript *t = p->t;

	if (p->open && p->cur == sp) {
		sep(p);
		return;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->turns = kd_xrealloc(t->turns, t->cap * sizeof(*t->turns));
		t->line = kd_xrealloc(t->line, t->cap * sizeof(*t->line));
	}
	t->turns[t->n].speaker = sp;
	t->turns[t->n].text = (const char *)(uintptr_t)p->text.len; /* an offset, for now */
	t->turns[t->n].len = 0;
	t->line[t->n] = line;
	t->n++;
	p->cur = sp;
	p->open = 1;
}

/* Appends s[0..n) to the open turn, spaces collapsed. */
static void turn_add(parser *p, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i] == '\t' || s[i] == '\r' ? ' ' : s[i];
		size_t start = (size_t)(uintptr_t)p->t->turns[p->t->n - 1].text;
		if (c == ' ' && (p->text.len == start || p->text.data[p->text.len - 1] == ' '))
			continue;
		buf_putc(&p->text, c);
	}
}

static void finish(parser *p)
{
	transcript *t = p->t;
	size_t i, j;

	/* trailing spaces off, offsets to pointers, empty turns dropped */
	for (i = 0; i < t->n; i++) {
		size_t start = (size_t)(uintptr_t)t->turns[i].text;
		size_t end = i + 1 < t->n ? (size_t)(uintptr_t)t->turns[i + 1].text : p->text.len;
		while (end > start && p->text.data[end - 1] == ' ')
			end--;
		t->turns[i].len = end - start;
	}
	t->len = p->text.len;
	t->text = buf_steal(&p->text, &t->len);
	for (i = j = 0; i < t->n; i++) {
		if (!t->turns[i].len)
			continue;
		t->turns[j] = t->turns[i];
		t->turns[j].text = t->text + (size_t)(uintptr_t)t->turns[i].text;
		t->line[j] = t->line[i];
		j++;
	}
	t->n = j;
}

static int prefix_ci(const char *s, size_t n, const char *word)
{
	size_t k = strlen(word);

	return n >= k && strncasecmp(s, word, k) == 0;
}

/* A plain line's speaker prefix: its length (including ':'), or 0. */
static size_t plain_prefix(const char *s, size_t n, kd_speaker *sp)
{
	static const struct {
		const char *p;
		kd_speaker sp;
	} pre[] = {
		{"t:", KD_SPEAKER_HELPER},          {"therapist:", KD_SPEAKER_HELPER},
		{"helper:", KD_SPEAKER_HELPER},     {"counsellor:", KD_SPEAKER_HELPER},
		{"counselor:", KD_SPEAKER_HELPER},  {"c:", KD_SPEAKER_CLIENT},
		{"client:", KD_SPEAKER_CLIENT},
	};
	size_t i;

	for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		if (prefix_ci(s, n, pre[i].p)) {
			*sp = pre[i].sp;
			return strlen(pre[i].p);
		}
	return 0;
}

static int parse_plain(parser *p, const char *s, size_t len, char *err, size_t errlen)
{
	size_t pos = 0, line = 0;

	while (pos < len) {
		const char *l = s + pos, *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos, k;
		kd_speaker sp;
		pos += n + (nl != NULL);
		line++;
		while (n && (*l == ' ' || *l == '\t')) {
			l++;
			n--;
		}
		while (n && (l[n - 1] == '\r' || l[n - 1] == ' '))
			n--;
		if (!n || *l == '#')
			continue;
		if ((k = plain_prefix(l, n, &sp)) != 0) {
			p->open = 0; /* a prefix always opens a new turn */
			turn_open(p, sp, line);
			turn_add(p, l + k, n - k);
		} else if (p->open) {
			sep(p);
			turn_add(p, l, n);
		} else {
			snprintf(err, errlen, "line %zu: expected a turn starting T: or C:", line);
			return -1;
		}
	}
	return 0;
}

/* ---- WebVTT ---- */

typedef struct voices {
	char first[64]; /* the first voice heard, if not named by role */
	int have_first;
} voices;

static kd_speaker voice_speaker(voices *v, const char *name, size_t n)
{
	static const char *const helper[] = {"therapist", "counsellor", "counselor", "clinician",
					     "helper", "doctor", "interviewer"};
	static const char *const client[] = {"client", "patient"};
	char low[64];
	size_t i;

	if (n >= sizeof(low))
		n = sizeof(low) - 1;
	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[n] = '\0';
	for (i = 0; i < sizeof(helper) / sizeof(helper[0]); i++)
		if (strstr(low, helper[i]))
			return KD_SPEAKER_HELPER;
	for (i = 0; i < sizeof(client) / sizeof(client[0]); i++)
		if (strstr(low, client[i]))
			return KD_SPEAKER_CLIENT;
	if (!v->have_first) {
		memcpy(v->first, low, n + 1);
		v->have_first = 1;
	}
	return strcmp(v->first, low) == 0 ? KD_SPEAKER_HELPER : KD_SPEAKER_CLIENT;
}

/* Appends a cue payload line without tags, entities decoded; a voice tag
 * sets *sp (opening a turn for it). */
static void vtt_payload(parser *p, voices *v, const char *l, size_t n, size_t line)
{
	static const struct {
		const char *e;
		char c;
	} ent[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&nbsp;", ' '},
		   {"&lrm;", 0},   {"&rlm;", 0}};
	size_t i = 0, k;

	while (i < n) {
		if (l[i] == '<') {
			const char *gt = memchr(l + i, '>', n - i);
			size_t tl = gt ? (size_t)(gt - (l + i)) + 1 : n - i;
			if (tl > 2 && l[i + 1] == 'v' && (l[i + 2] == ' ' || l[i + 2] == '.')) {
				/* <v Name> or <v.class Name> */
				size_t a = i + 2, b = i + tl - (gt ? 1 : 0);
				while (a < b && l[a] != ' ')
					a++;
				while (a < b && l[a] == ' ')
					a++;
				turn_open(p, voice_speaker(v, l + a, b - a), line);
			} else if (!p->open) {
				turn_open(p, KD_SPEAKER_UNKNOWN, line);
			}
			i += tl;
			continue;
		}
		if (!p->open)
			turn_open(p, KD_SPEAKER_UNKNOWN, line);
		if (l[i] == '&') {
			for (k = 0; k < sizeof(ent) / sizeof(ent[0]); k++)
				if (prefix_ci(l + i, n - i, ent[k].e))
					break;
			if (k < sizeof(ent) / sizeof(ent[0])) {
				if (ent[k].c)
					turn_add(p, &ent[k].c, 1);
				i += strlen(ent[k].e);
				continue;
			}
		}
		turn_add(p, l + i, 1);
		i++;
	}
}

static int parse_vtt(parser *p, const char *s, size_t len)
{
	size_t pos = 0, line = 0;
	int in_cue = 0, first = 1;
	voices v;

	memset(&v, 0, sizeof(v));
	while (pos < len) {
		const char *l = s + pos, *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos;
		pos += n + (nl != NULL);
		line++;
		while (n && l[n - 1] == '\r')
			n--;
		if (first) { /* the WEBVTT header line */
			first = 0;
			continue;
		}
		if (!n) {
			in_cue = 0;
			continue;
		}
		if (!in_cue) {
			/* a timing line starts a cue; an id line may precede it;
			 * NOTE, STYLE and REGION blocks have none and are skipped */
			if (n >= 3 && memmem(l, n, "-->", 3))
				in_cue = 1;
			continue;
		}
		sep(p);
		vtt_payload(p, &v, l, n, line);
	}
	return 0;
}

int transcript_parse(transcript *t, const char *s, size_t len, char *err, size_t errlen)
{
	parser p;
	int rc;

	memset(t, 0, sizeof(*t));
	memset(&p, 0, sizeof(p));
	p.t = t;
	buf_init(&p.text);
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		len -= 3;
	}
	if (len >= 6 && memcmp(s, "WEBVTT", 6) == 0)
		rc = parse_vtt(&p, s, len);
	else
		rc = parse_plain(&p, s, len, err, errlen);
	finish(&p);
	buf_free(&p.text);
	if (rc == 0 && t->n == 0) {
		snprintf(err, errlen, "no turns found (T:/C: lines or WebVTT cues)");
		rc = -1;
	}
	if (rc != 0)
		transcript_free(t);
	return rc;
}

/* ---- the report ---- */

static const char *who(kd_speaker sp)
{
	return sp == KD_SPEAKER_HELPER ? "helper" : sp == KD_SPEAKER_CLIENT ? "client" : "?";
}

typedef struct tally {
	size_t helper, client, beh[5], open, closed, simple, complex_, refused;
	double er, ip, ex, comp[5];
	size_t risky;
	kd_source src[6];
} tally;

static void pct(buf *out, const char *label, size_t num, size_t den, const char *norm)
{
	if (den)
		buf_printf(out, "  %-24s %3.0f%%   (%zu of %zu; %s)\n", label,
			   100.0 * (double)num / (double)den, num, den, norm);
	else
		buf_printf(out, "  %-24s  n/a   (%s)\n", label, norm);
}

int transcript_report(kd_analyzer *a, const transcript *t, const char *name, buf *out)
{
	buf risk;
	tally s;
	size_t i, k;
	int rc = 0;

	memset(&s, 0, sizeof(s));
	buf_init(&risk);
	buf_printf(out, "%s: %zu turns\n\n turn  line  who     reading\n", name, t->n);
	for (i = 0; i < t->n; i++) {
		const kd_turn *tu = &t->turns[i];
		size_t from = i > CONTEXT_TURNS ? i - CONTEXT_TURNS : 0;
		kd_input in = {tu->text, tu->len, tu->speaker, t->turns + from, i - from, 0};
		kd_result r;
		buf_printf(out, "%5zu %5zu  %-6s  ", i + 1, t->line[i], who(tu->speaker));
		if ((rc = kd_analyze(a, &in, &r)) != 0) {
			if (rc != KD_ENGINE_EUTF8 && rc != KD_ENGINE_ETOOBIG && rc != KD_ENGINE_EINVAL)
				goto done;
			buf_printf(out, "not analysed: %s\n", kd_engine_strerror(rc));
			rc = 0;
			s.refused++;
			continue;
		}
		for (k = 0; k < 6; k++)
			if (r.source[k] > s.src[k])
				s.src[k] = r.source[k];
		if (tu->speaker == KD_SPEAKER_HELPER) {
			const char *sub = kd_mi_sub_name(r.mi.question ? r.mi.question
							  : r.mi.reflection ? r.mi.reflection
									    : r.mi.input);
			s.helper++;
			s.beh[r.mi.behaviour]++;
			s.open += r.mi.question == KD_MI_OPEN;
			s.closed += r.mi.question == KD_MI_CLOSED;
			s.simple += r.mi.reflection == KD_MI_SIMPLE;
			s.complex_ += r.mi.reflection == KD_MI_COMPLEX;
			s.er += r.empathy.emotional_reactions;
			s.ip += r.empathy.interpretations;
			s.ex += r.empathy.explorations;
			s.comp[0] += r.compassion.recognition;
			s.comp[1] += r.compassion.universality;
			s.comp[2] += r.compassion.empathy;
			s.comp[3] += r.compassion.tolerance;
			s.comp[4] += r.compassion.action;
			buf_printf(out, "%s%s%s%s | empathy ER %d IP %d EX %d | %s\n",
				   r.mi.behaviour ? kd_mi_behaviour_name(r.mi.behaviour) : "?",
				   sub ? " (" : "", sub ? sub : "", sub ? ")" : "",
				   r.empathy.emotional_reactions, r.empathy.interpretations,
				   r.empathy.explorations, kd_strategy_name(r.strategy));
		} else {
			s.client++;
			buf_printf(out, "risk %s", kd_risk_level_name(r.risk.level));
			if (r.risk.level != KD_RISK_NONE) {
				s.risky++;
				buf_printf(&risk, "  turn %zu (line %zu): %s:", i + 1, t->line[i],
					   kd_risk_level_name(r.risk.level));
				for (k = 0; k < r.risk.n_evidence && k < 6; k++) {
					const kd_evidence *ev = &r.risk.evidence[k];
					buf_puts(&risk, k ? ", " : " ");
					cli_json_str(&risk, tu->text + ev->start, ev->end - ev->start);
				}
				buf_putc(&risk, '\n');
			}
			buf_putc(out, '\n');
		}
	}
	buf_printf(out, "\nsummary of the helper's %zu turns (client: %zu)\n", s.helper, s.client);
	buf_printf(out,
		   "  MI behaviour             questions %zu (open %zu, closed %zu), reflections %zu "
		   "(simple %zu, complex %zu), input %zu, other %zu\n",
		   s.beh[KD_MI_QUESTION], s.open, s.closed, s.beh[KD_MI_REFLECTION], s.simple,
		   s.complex_, s.beh[KD_MI_INPUT], s.beh[KD_MI_OTHER]);
	if (s.beh[KD_MI_QUESTION])
		buf_printf(out, "  %-24s %4.2f   (MITI 4: fair 1, good 2)\n", "reflections : questions",
			   (double)s.beh[KD_MI_REFLECTION] / (double)s.beh[KD_MI_QUESTION]);
	else
		buf_printf(out, "  %-24s  n/a   (no questions; MITI 4: fair 1, good 2)\n",
			   "reflections : questions");
	pct(out, "open questions", s.open, s.open + s.closed, "MITI 3.1: fair 50%, good 70%");
	pct(out, "complex reflections", s.complex_, s.simple + s.complex_,
	    "MITI 4: fair 40%, good 50%");
	if (s.helper) {
		double h = (double)s.helper;
		buf_printf(out, "  %-24s ER %.2f  IP %.2f  EX %.2f   (mean, each 0-2)\n", "empathy",
			   s.er / h, s.ip / h, s.ex / h);
		buf_printf(out,
			   "  %-24s recognition %.2f  universality %.2f  empathy %.2f  tolerance "
			   "%.2f  action %.2f   (mean, each 0-1; docs/compassion.md)\n",
			   "compassion", s.comp[0] / h, s.comp[1] / h, s.comp[2] / h, s.comp[3] / h,
			   s.comp[4] / h);
	}
	buf_printf(out, "  %-24s mi %s, empathy %s, strategy %s\n", "made by",
		   s.src[0] == KD_SOURCE_MODEL ? "model" : "rules",
		   s.src[1] == KD_SOURCE_MODEL ? "model" : "rules",
		   s.src[2] == KD_SOURCE_MODEL ? "model" : "rules");
	if (s.refused)
		buf_printf(out, "  %zu turns could not be analysed (not UTF-8 text)\n", s.refused);
	buf_puts(out, s.risky ? "\nrisk in the client's turns:\n" : "\nrisk in the client's turns: none flagged\n");
	if (s.risky)
		buf_append(out, risk.data, risk.len);
done:
	buf_free(&risk);
	return rc;
}

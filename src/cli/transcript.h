/*
 * transcript.h: a session transcript for `kindred analyze FILE` — read
 * from plain "T:"/"C:" lines or WebVTT with <v Speaker> voice tags — and
 * the human-readable report the engine's readings make of it.
 *
 * Plain text: a line starting "T:" (or "Therapist:", "Helper:",
 * "Counsellor:", "Counselor:") opens a helper's turn, "C:" (or "Client:")
 * a client's; a line without a prefix continues the turn before it;
 * blank lines and lines starting with '#' are skipped.
 *
 * WebVTT ("WEBVTT" on the first line): each cue's text, with its voice
 * tag (<v Name>) naming the speaker; other tags are dropped and &amp;
 * &lt; &gt; &quot; &nbsp; decoded.  A voice whose name says therapist,
 * counsellor, counselor, clinician, helper, doctor or interviewer is the
 * helper; one saying client or patient the client; otherwise the first
 * voice heard is the helper and every other the client.  Consecutive cues
 * of one speaker make one turn.
 */
#ifndef KD_TRANSCRIPT_H
#define KD_TRANSCRIPT_H

#include <stddef.h>

#include "kindred/engine.h"
#include "util/buf.h"

typedef struct transcript {
	kd_turn *turns; /* texts point into text */
	size_t n, cap;
	size_t *line;   /* per turn: the line it starts on, from 1 */
	char *text;     /* owned: the turns' cleaned text */
	size_t len;
} transcript;

/* Parses s[0..len) into t (zeroed first).  Returns 0, or -1 with a
 * message in err when the input is not a transcript (no turn found, or a
 * line that is not a turn where one was expected). */
int transcript_parse(transcript *t, const char *s, size_t len, char *err, size_t errlen);
void transcript_free(transcript *t);

/* Runs a over every turn (with the turns before it as context) and
 * appends the report to out.  Turns the engine refuses (invalid UTF-8)
 * are named in the report and skipped.  Returns 0 or a kd_analyze error
 * other than EUTF8/ETOOBIG (out of memory). */
int transcript_report(kd_analyzer *a, const transcript *t, const char *name, buf *out);

#endif

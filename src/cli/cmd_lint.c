/*
 * cmd_lint.c: `kindred lint [--json] FILE...` — checks clinical notes for
 * stigmatising or blaming wording, like a compiler checks code:
 *
 *   notes.txt:3:12: "addict": consider "person with a substance use
 *   disorder" (Defines a person by a condition ...)
 *
 * Columns count code points from 1.  With --json, prints one JSON array of
 * findings.  Exit status: 0 clean, 1 findings (or a file could not be
 * read, with a message), 2 usage.  Each file is read whole and analysed
 * as one text, so a phrase broken across lines is still found.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_engine.h"
#include "util/buf.h"

static void usage(void)
{
	fprintf(stderr, "usage: kindred lint [--json] FILE...\n");
}

/* 1-based line and code-point column of byte off in s. */
static void line_col(const char *s, size_t off, size_t *line, size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)s[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static int lint_file(kd_analyzer *a, const char *path, int json, buf *out, size_t *nfound)
{
	char *text = NULL;
	size_t len = 0, i, line, col;
	kd_input in;
	kd_result r;
	int rc;

	if (cli_read_file(path, &text, &len) != 0) {
		fprintf(stderr, "kindred lint: cannot read %s (missing, unreadable or over %u bytes)\n",
			path, KD_ENGINE_MAX_TEXT);
		return -1;
	}
	memset(&in, 0, sizeof(in));
	in.text = text;
	in.len = len;
	in.speaker = KD_SPEAKER_HELPER;
	in.readings = KD_READ_STIGMA;
	if ((rc = kd_analyze(a, &in, &r)) != 0) {
		fprintf(stderr, "kindred lint: %s: %s\n", path, kd_engine_strerror(rc));
		free(text);
		return -1;
	}
	for (i = 0; i < r.n_stigma; i++) {
		const kd_stigma_hit *h = &r.stigma[i];
		line_col(text, h->start, &line, &col);
		if (json) {
			buf_puts(out, (*nfound)++ ? ",\n {\"file\":" : "\n {\"file\":");
			cli_json_str(out, path, strlen(path));
			buf_printf(out, ",\"line\":%zu,\"col\":%zu,", line, col);
			cli_json_stigma(out, text, h);
			buf_putc(out, '}');
		} else {
			(*nfound)++;
			buf_printf(out, "%s:%zu:%zu: \"%.*s\": consider \"%s\" (%s)\n", path, line, col,
				   (int)(h->end - h->start), text + h->start, h->suggestion, h->reason);
		}
	}
	free(text);
	return 0;
}

int cmd_lint(int argc, char **argv)
{
	kd_engine *e = NULL;
	kd_analyzer *a = NULL;
	buf out;
	size_t nfound = 0;
	int i, json = 0, first = 1, rc = CLI_OK, failed = 0;

	buf_init(&out);
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			usage();
			return CLI_USAGE;
		}
	}
	first = i;
	if (first >= argc) {
		usage();
		return CLI_USAGE;
	}
	if (cli_engine_new(&e) != 0 || kd_analyzer_new(e, &a) != 0) {
		rc = CLI_FAIL;
		goto done;
	}
	if (json)
		buf_putc(&out, '[');
	for (i = first; i < argc; i++)
		if (lint_file(a, argv[i], json, &out, &nfound) != 0)
			failed = 1;
	if (json)
		buf_puts(&out, nfound ? "\n]\n" : "]\n");
	fwrite(out.data ? out.data : "", 1, out.len, stdout);
	if (fflush(stdout) != 0)
		failed = 1;
	rc = (nfound || failed) ? CLI_FAIL : CLI_OK;
done:
	buf_free(&out);
	kd_analyzer_free(a);
	kd_engine_free(e);
	return rc;
}

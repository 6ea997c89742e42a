/*
 * cmd_analyze.c: `kindred analyze --jsonl` — reads JSON Lines on stdin and
 * writes one line of readings per input line on stdout (the protocol is
 * in analyze_jsonl.h and docs/models.md); `kindred analyze FILE` reads a
 * transcript and prints a report (transcript.h).  Runs for as long as input
 * flows; one engine, one analyzer, every buffer reused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/analyze_jsonl.h"
#include "cli/cli.h"
#include "cli/cli_engine.h"
#include "cli/transcript.h"
#include "kd.h"

static ssize_t fd_read(void *ctx, char *p, size_t n)
{
	int fd = *(int *)ctx;
	ssize_t r;

	do
		r = read(fd, p, n);
	while (r < 0 && errno == EINTR);
	return r;
}

static int fd_write(void *ctx, const char *p, size_t n)
{
	int fd = *(int *)ctx;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: kindred analyze --jsonl < in.jsonl > out.jsonl\n"
			"       kindred analyze TRANSCRIPT   (T:/C: lines or WebVTT)\n"
			"       kindred analyze --version    (how each reading is made)\n"
			"  reads {\"id\", \"speaker\": \"helper\"|\"client\", \"text\", \"context\"} per line\n");
}

/* `kindred analyze FILE`: the report on a transcript. */
static int analyze_file(kd_analyzer *a, const char *path)
{
	transcript t;
	char *data = NULL, err[256];
	size_t len;
	buf out;
	int rc = CLI_FAIL;

	buf_init(&out);
	memset(&t, 0, sizeof(t));
	if (cli_read_file(path, &data, &len) != 0) {
		fprintf(stderr, "kindred analyze: %s: %s\n", path, strerror(errno));
		goto done;
	}
	if (transcript_parse(&t, data, len, err, sizeof(err)) != 0) {
		fprintf(stderr, "kindred analyze: %s: %s\n", path, err);
		goto done;
	}
	if (transcript_report(a, &t, path, &out) != 0) {
		fprintf(stderr, "kindred analyze: out of memory\n");
		goto done;
	}
	fwrite(out.data, 1, out.len, stdout);
	rc = fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
done:
	transcript_free(&t);
	free(data);
	buf_free(&out);
	return rc;
}

int cmd_analyze(int argc, char **argv)
{
	kd_engine *e = NULL;
	kd_analyzer *a = NULL;
	jsonl j;
	int in = 0, out = 1, rc = CLI_OK;

	memset(&j, 0, sizeof(j));
	if (argc != 2 || (argv[1][0] == '-' && strcmp(argv[1], "--jsonl") != 0 &&
			  strcmp(argv[1], "--version") != 0)) {
		usage();
		return CLI_USAGE;
	}
	if (cli_engine_new(&e) != 0) {
		rc = CLI_FAIL;
		goto done;
	}
	if (kd_analyzer_new(e, &a) != 0) {
		fprintf(stderr, "kindred analyze: out of memory\n");
		rc = CLI_FAIL;
		goto done;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("kindred %s engine, feature version %u; readings:\n", KINDRED_VERSION,
		       KD_FEATURE_VERSION);
		cli_engine_sources(stdout, e);
		rc = fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
		goto done;
	}
	if (strcmp(argv[1], "--jsonl") != 0) {
		rc = analyze_file(a, argv[1]);
		goto done;
	}
	jsonl_init(&j, a);
	j.progress = isatty(2) && !isatty(0); /* not while someone types */
	if (jsonl_run(&j, fd_read, &in, fd_write, &out) != 0) {
		fprintf(stderr, "kindred analyze: %s\n", strerror(errno));
		rc = CLI_FAIL;
	}
done:
	jsonl_free(&j);
	kd_analyzer_free(a);
	kd_engine_free(e);
	return rc;
}

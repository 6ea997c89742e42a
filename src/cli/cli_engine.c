/*
 * cli_engine.c: builds the compassion engine from the lexicons and
 * models embedded in the binary (data/...), and the JSON string writer
 * the engine commands share.  Runs once per command; not a hot path
 * except cli_json_str, which runs for every string written.
 */
#include "cli/cli_engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "care/care.h"

#include <utf8proc.h>

static int built(int rc, const char *err)
{
	if (rc != 0)
		fprintf(stderr, "kindred: cannot build the engine: %s%s%s\n",
			kd_engine_strerror(rc), *err ? ": " : "", err);
	return rc;
}

static const struct {
	unsigned bit;
	const char *name;
} readings[] = {
	{KD_READ_MI, "mi"},         {KD_READ_EMPATHY, "empathy"}, {KD_READ_STRATEGY, "strategy"},
	{KD_READ_RISK, "risk"},     {KD_READ_STIGMA, "stigma"},   {KD_READ_COMPASSION, "compassion"},
};

int cli_engine_new(kd_engine **out)
{
	char err[512] = "";
	const char *why;
	size_t i;
	int rc;

	if ((rc = built(care_engine_new(out, err, sizeof(err)), err)) != 0)
		return rc;
	/* a model that does not fit must not stop the server: say so once */
	for (i = 0; i < sizeof(readings) / sizeof(readings[0]); i++)
		if (kd_engine_source(*out, readings[i].bit, &why) != KD_SOURCE_MODEL && why)
			fprintf(stderr,
				"kindred: warning: %s; the %s reading runs on its rules alone\n",
				why, readings[i].name);
	return 0;
}

void cli_engine_sources(FILE *f, const kd_engine *e)
{
	static const char *const src[] = {"off (no data)", "rules", "model"};
	const char *why;
	size_t i;
	kd_source s;

	for (i = 0; i < sizeof(readings) / sizeof(readings[0]); i++) {
		s = kd_engine_source(e, readings[i].bit, &why);
		fprintf(f, "  %-11s %s%s%s%s\n", readings[i].name, src[s], why ? " (" : "",
			why ? why : "", why ? ")" : "");
	}
}

int cli_engine_rules_new(kd_engine **out)
{
	char err[512] = "";

	return built(care_engine_rules_new(out, err, sizeof(err)), err);
}

int cli_read_file(const char *path, char **data, size_t *len)
{
	FILE *f = NULL;
	buf b;
	char chunk[65536];
	size_t n;
	int rc = -1;

	buf_init(&b);
	if (!(f = fopen(path, "rb")))
		goto done;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_append(&b, chunk, n);
		if (b.len > KD_ENGINE_MAX_TEXT) {
			errno = EFBIG;
			goto done;
		}
	}
	if (ferror(f))
		goto done;
	*data = buf_steal(&b, len);
	rc = 0;
done:
	if (f)
		fclose(f);
	buf_free(&b);
	return rc;
}

void cli_json_str(buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run = 0;
	utf8proc_int32_t cp;
	utf8proc_ssize_t r;

	buf_putc(b, '"');
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			/* valid sequences pass through; a bad byte becomes U+FFFD so
			 * messages quoting raw input stay valid JSON */
			r = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
			if (r > 0) {
				i += (size_t)r;
				continue;
			}
			buf_append(b, s + run, i - run);
			buf_puts(b, "\\ufffd");
			run = ++i;
			continue;
		}
		if (c >= 0x20 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		buf_append(b, s + run, i - run);
		run = ++i;
		switch (c) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		default:
			buf_puts(b, "\\u00");
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
	buf_append(b, s + run, len - run);
	buf_putc(b, '"');
}

void cli_json_uint(buf *b, size_t n)
{
	char d[24];
	size_t i = sizeof(d);

	do
		d[--i] = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	buf_append(b, d + i, sizeof(d) - i);
}

void cli_json_unit(buf *b, double x)
{
	unsigned m;
	char d[5];

	if (!(x > 0))
		x = 0;
	if (x > 1)
		x = 1;
	m = (unsigned)(x * 1000 + 0.5);
	d[0] = (char)('0' + m / 1000);
	d[1] = '.';
	d[2] = (char)('0' + m / 100 % 10);
	d[3] = (char)('0' + m / 10 % 10);
	d[4] = (char)('0' + m % 10);
	buf_append(b, d, 5);
}

void cli_json_stigma(buf *b, const char *text, const kd_stigma_hit *h)
{
	buf_puts(b, "\"start\":");
	cli_json_uint(b, h->start);
	buf_puts(b, ",\"end\":");
	cli_json_uint(b, h->end);
	buf_puts(b, ",\"text\":");
	cli_json_str(b, text + h->start, h->end - h->start);
	buf_puts(b, ",\"term\":");
	cli_json_str(b, h->term, strlen(h->term));
	buf_puts(b, ",\"suggestion\":");
	cli_json_str(b, h->suggestion, strlen(h->suggestion));
	buf_puts(b, ",\"reason\":");
	cli_json_str(b, h->reason, strlen(h->reason));
}

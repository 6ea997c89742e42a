/*
 * cmd_score.c: `kindred score` — score a questionnaire from the shell
 * with the same engine the web answers use (care/instruments.h), so a
 * clinician or a test can check a result by hand.  No data directory,
 * no database: definitions are the embedded data/instruments, or one
 * file given with --file (for a site's own licensed instrument).
 */
#include "cli/cli.h"

#include "care/instruments.h"
#include "kd.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEFINITION (1024 * 1024)

/* Prints a mean to two decimals, anything else as an integer when it is one. */
static void print_number(FILE *f, double v, int mean)
{
	if (!mean && fabs(v - round(v)) < 1e-9)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.2f", v);
}

static json_t *json_number_of(double v)
{
	if (fabs(v - round(v)) < 1e-9)
		return json_integer((json_int_t)llround(v));
	return json_real(round(v * 10000.0) / 10000.0);
}

/*
 * Splits "1,0,,3" into answers; an empty field is no answer.  Returns
 * the count, or -1 after printing what is wrong.  *out is the caller's.
 */
static int parse_answers(const char *s, int **out)
{
	size_t cap = 1, n = 0, i;
	const char *p;
	int *a = NULL;
	int rc = -1;

	for (p = s; *p; p++)
		cap += *p == ',';
	if (cap > 200) {
		fprintf(stderr, "kindred score: too many answers (%zu)\n", cap);
		goto done;
	}
	a = kd_xcalloc(cap, sizeof(int));
	p = s;
	for (i = 0; i < cap; i++) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char field[32], *stop;
		long v;

		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0) {
			a[n++] = INSTRUMENT_NO_ANSWER;
		} else {
			if (len >= sizeof(field)) {
				fprintf(stderr, "kindred score: answer %zu is too long\n", i + 1);
				goto done;
			}
			memcpy(field, p, len);
			field[len] = '\0';
			errno = 0;
			v = strtol(field, &stop, 10);
			if (*stop != '\0' || errno != 0 || v < -100000 || v > 100000) {
				fprintf(stderr,
					"kindred score: answer %zu ('%s') is not a whole number\n",
					i + 1, field);
				goto done;
			}
			a[n++] = (int)v;
		}
		p = end ? end + 1 : p + len;
	}
	*out = a;
	a = NULL;
	rc = (int)n;
done:
	free(a);
	return rc;
}

static int list_instruments(const instrument_catalog *cat)
{
	size_t i;

	printf("id\tname\titems\n");
	for (i = 0; i < instrument_catalog_count(cat); i++) {
		const instrument *in = instrument_catalog_at(cat, i);

		printf("%s\t%s (%s)\t%zu\n", instrument_id(in), instrument_name(in),
		       instrument_short_name(in), instrument_item_count(in));
	}
	return CLI_OK;
}

static int print_json(const instrument_result *r)
{
	json_t *o = json_object(), *subs = json_object(), *alerts = json_array();
	char *text;
	size_t i;

	json_object_set_new(o, "instrument", json_string(instrument_id(r->in)));
	json_object_set_new(o, "total", r->has_total ? json_number_of(r->total) : json_null());
	for (i = 0; i < r->nsubscales; i++)
		json_object_set_new(subs, r->subscales[i].id,
				    r->subscales[i].has_score ? json_number_of(r->subscales[i].score)
							      : json_null());
	json_object_set_new(o, "subscales", subs);
	json_object_set_new(o, "band", r->band ? json_string(r->band) : json_null());
	for (i = 0; i < r->nalerts; i++)
		json_array_append_new(alerts, json_pack("{s:i,s:s}", "item", r->alerts[i].item,
							"reason", r->alerts[i].reason));
	json_object_set_new(o, "alerts", alerts);
	text = json_dumps(o, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(o);
	if (!text)
		return CLI_FAIL;
	printf("%s\n", text);
	free(text);
	return CLI_OK;
}

static int print_text(const instrument_result *r)
{
	const instrument *in = r->in;
	int mean = strcmp(instrument_method(in), "mean") == 0;
	size_t i;

	printf("%s (%s)\n", instrument_short_name(in), instrument_name(in));
	if (r->has_total) {
		printf("Total: ");
		print_number(stdout, r->total, mean);
		printf(" (%s of the items; possible range ", instrument_method(in));
		print_number(stdout, instrument_total_min(in), 0);
		printf(" to ");
		print_number(stdout, instrument_total_max(in), 0);
		printf(")\n");
	} else {
		printf("Total: none (this instrument has no total score)\n");
	}
	if (r->has_scaled) {
		printf("%s: ", instrument_scaled_name(in));
		print_number(stdout, r->scaled, 0);
		printf("\n");
	}
	for (i = 0; i < r->nsubscales; i++) {
		if (i == 0)
			printf("Subscales:\n");
		printf("  %s: ", r->subscales[i].name);
		if (r->subscales[i].has_score)
			print_number(stdout, r->subscales[i].score, r->subscales[i].is_mean);
		else
			printf("not asked");
		printf("\n");
	}
	if (r->band)
		printf("Band: %s\n", r->band);
	else
		printf("Band: none (the authors publish no cut-offs for this score)\n");
	if (r->nalerts == 0)
		printf("Alerts: none\n");
	for (i = 0; i < r->nalerts; i++) {
		if (i == 0)
			printf("Alerts:\n");
		printf("  item %d (%s): %s\n", r->alerts[i].item, r->alerts[i].level,
		       r->alerts[i].reason);
	}
	if (r->nignored)
		printf("Note: %zu answer%s to items the instrument skips %s ignored.\n", r->nignored,
		       r->nignored == 1 ? "" : "s", r->nignored == 1 ? "was" : "were");
	if (!instrument_verified(in))
		printf("Note: parts of this definition are not yet verified against the "
		       "published source (see docs/CLINICAL.md).\n");
	return CLI_OK;
}

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t n;
	int rc = -1;

	if (!f) {
		fprintf(stderr, "kindred score: cannot open %s: %s\n", path, strerror(errno));
		goto done;
	}
	data = kd_xmalloc(MAX_DEFINITION + 1);
	n = fread(data, 1, MAX_DEFINITION + 1, f);
	if (ferror(f) || n > MAX_DEFINITION) {
		fprintf(stderr, "kindred score: cannot read %s (or it is over 1 MiB)\n", path);
		goto done;
	}
	*out = data;
	*len = n;
	data = NULL;
	rc = 0;
done:
	free(data);
	if (f)
		fclose(f);
	return rc;
}

int cmd_score(int argc, char **argv)
{
	instrument_catalog *cat = NULL;
	instrument *own = NULL;
	instrument_result *res = NULL;
	const instrument *in = NULL;
	const char *id = NULL, *answers = NULL, *file = NULL;
	char msg[512], *def = NULL;
	size_t deflen = 0;
	int *a = NULL;
	int i, n, rc, json = 0, list = 0, code = CLI_OK;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--list") == 0)
			list = 1;
		else if (strcmp(argv[i], "--file") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1] != '\0' &&
			 !(argv[i][1] >= '0' && argv[i][1] <= '9')) {
			fprintf(stderr, "kindred score: unknown option '%s' (see kindred help score)\n",
				argv[i]);
			code = CLI_USAGE;
			goto done;
		} else if (!id && !file)
			id = argv[i];
		else if (!answers)
			answers = argv[i];
		else {
			fprintf(stderr, "kindred score: unexpected '%s' (see kindred help score)\n",
				argv[i]);
			code = CLI_USAGE;
			goto done;
		}
	}
	if (file && id && !answers) {
		answers = id;
		id = NULL;
	}
	if (!list && (!(id || file) || !answers)) {
		fprintf(stderr, "usage: kindred score [--json] INSTRUMENT ANSWERS\n"
				"       kindred score --list\n");
		code = CLI_USAGE;
		goto done;
	}
	if (!file || list) {
		if ((rc = instrument_catalog_load(&cat, msg, sizeof(msg))) != 0) {
			fprintf(stderr, "kindred score: the built-in instruments are broken: %s\n",
				msg);
			code = CLI_FAIL;
			goto done;
		}
	}
	if (list) {
		code = list_instruments(cat);
		goto done;
	}
	if (file) {
		if (read_file(file, &def, &deflen) != 0) {
			code = CLI_USAGE;
			goto done;
		}
		if ((rc = instrument_load(def, deflen, &own, msg, sizeof(msg))) != 0) {
			fprintf(stderr, "kindred score: %s is not a valid definition: %s\n", file,
				msg);
			code = CLI_USAGE;
			goto done;
		}
		in = own;
	} else if (!(in = instrument_catalog_find(cat, id))) {
		fprintf(stderr, "kindred score: no instrument '%s' (kindred score --list names them)\n",
			id);
		code = CLI_USAGE;
		goto done;
	}
	if ((n = parse_answers(answers, &a)) < 0) {
		code = CLI_USAGE;
		goto done;
	}
	if ((rc = instrument_score(in, a, (size_t)n, &res, msg, sizeof(msg))) != 0) {
		fprintf(stderr, "kindred score: %s: %s\n", instrument_id(in),
			rc == KD_EINVAL ? msg : kd_strerror(rc));
		code = rc == KD_EINVAL ? CLI_USAGE : CLI_FAIL;
		goto done;
	}
	code = json ? print_json(res) : print_text(res);
done:
	instrument_result_free(res);
	free(a);
	instrument_free(own);
	free(def);
	instrument_catalog_free(cat);
	return code;
}

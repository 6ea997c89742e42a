/*
 * jsonl_roundtrip.c: the baseline of `make bench-engine` — reads JSON
 * Lines on stdin, parses each line with jansson and writes it back
 * compact, doing no analysis.  It is what any JSON Lines tool must do at
 * least, so analyze's rate is shown as a ratio to it.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	char *line = NULL, out[1 << 16];
	size_t cap = 0, n;
	ssize_t len;

	while ((len = getline(&line, &cap, stdin)) > 0) {
		json_error_t err;
		json_t *v = json_loadb(line, (size_t)len, 0, &err);
		if (!v) {
			fputs("{\"error\":\"bad line\"}\n", stdout);
			continue;
		}
		n = json_dumpb(v, out, sizeof(out) - 1, JSON_COMPACT);
		if (n < sizeof(out)) {
			out[n] = '\n';
			fwrite(out, 1, n + 1, stdout);
		}
		json_decref(v);
	}
	free(line);
	return 0;
}

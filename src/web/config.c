/*
 * config.c: kindred's configuration — defaults, then a file of
 * "key = value" lines, then command-line flags (cmd_serve.c).  Unknown
 * keys are errors, so a typo never silently keeps a default.
 */
#include "web/config.h"

#include "kd.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void config_defaults(config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->bind, sizeof(c->bind), "127.0.0.1");
	c->port = 8080;
	snprintf(c->data_dir, sizeof(c->data_dir), "./var");
	snprintf(c->locale, sizeof(c->locale), "en-GB");
	snprintf(c->access_log, sizeof(c->access_log), "-");
	c->max_body = 1024 * 1024;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int copy(char *dst, size_t len, const char *v)
{
	return (size_t)snprintf(dst, len, "%s", v) < len ? 0 : KD_ETOOBIG;
}

int config_set(config *c, const char *key, const char *v, char **err)
{
	char *end;
	long n;
	int rc = 0;

	errno = 0;
	if (strcmp(key, "port") == 0) {
		n = strtol(v, &end, 10);
		if (*v == '\0' || *end || n < 0 || n > 65535)
			rc = KD_ECONFIG;
		else
			c->port = (int)n;
	} else if (strcmp(key, "bind") == 0) {
		rc = copy(c->bind, sizeof(c->bind), v);
	} else if (strcmp(key, "data_dir") == 0) {
		rc = copy(c->data_dir, sizeof(c->data_dir), v);
	} else if (strcmp(key, "database") == 0) {
		rc = copy(c->database, sizeof(c->database), v);
	} else if (strcmp(key, "locale") == 0) {
		rc = copy(c->locale, sizeof(c->locale), v);
	} else if (strcmp(key, "access_log") == 0) {
		rc = copy(c->access_log, sizeof(c->access_log), v);
	} else if (strcmp(key, "threads") == 0) {
		n = strtol(v, &end, 10);
		if (*v == '\0' || *end || n < 0 || n > 256)
			rc = KD_ECONFIG;
		else
			c->threads = (int)n;
	} else if (strcmp(key, "secure_cookies") == 0) {
		if (strcmp(v, "true") == 0 || strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
			c->secure_cookies = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "off") == 0 || strcmp(v, "0") == 0)
			c->secure_cookies = 0;
		else
			rc = KD_ECONFIG;
	} else if (strcmp(key, "server_id") == 0) {
		/* A header value: a short name of letters, digits, '.', '-', '_'. */
		rc = strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
			     strlen(v)
			 ? copy(c->server_id, sizeof(c->server_id), v)
			 : KD_ECONFIG;
	} else if (strcmp(key, "trusted_proxy") == 0) {
		rc = strspn(v, "0123456789abcdefABCDEF.:, ") == strlen(v)
			 ? copy(c->trusted_proxy, sizeof(c->trusted_proxy), v)
			 : KD_ECONFIG;
	} else if (strcmp(key, "max_body") == 0) {
		n = strtol(v, &end, 10);
		if (*v == '\0' || *end || n < 1024 || n > 64L * 1024 * 1024)
			rc = KD_ECONFIG;
		else
			c->max_body = (size_t)n;
	} else {
		if (err) {
			size_t len = strlen(key) + 32;
			*err = kd_xmalloc(len);
			snprintf(*err, len, "unknown setting '%s'", key);
		}
		return KD_ECONFIG;
	}
	if (rc != 0 && err) {
		size_t len = strlen(key) + strlen(v) + 40;
		*err = kd_xmalloc(len);
		snprintf(*err, len, "bad value '%s' for '%s'", v, key);
	}
	return rc ? KD_ECONFIG : 0;
}

/* A longer line is refused.  fgets() into a fixed buffer cut a long line
 * in two: the value was shortened and the rest read as a line of its own
 * (silently, when that rest was blank or began with '#'). */
enum { CONFIG_LINE_MAX = 4096 };

int config_load(config *c, const char *path, char **err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *p, *eq, *msg = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, rc = 0;

	if (!f) {
		if (err) {
			size_t len = strlen(path) + 64;
			*err = kd_xmalloc(len);
			snprintf(*err, len, "cannot read %s: %s", path, strerror(errno));
		}
		return KD_ECONFIG;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if ((size_t)n > CONFIG_LINE_MAX) {
			rc = KD_ECONFIG;
			msg = kd_xstrdup("line too long");
		} else if (strlen(line) != (size_t)n) {
			/* a NUL would end the value early, unseen */
			rc = KD_ECONFIG;
			msg = kd_xstrdup("line holds a NUL byte");
		} else {
			p = trim(line);
			if (*p == '\0' || *p == '#')
				continue;
			eq = strchr(p, '=');
			if (!eq) {
				rc = KD_ECONFIG;
				msg = kd_xstrdup("expected 'key = value'");
			} else {
				*eq = '\0';
				rc = config_set(c, trim(p), trim(eq + 1), &msg);
			}
		}
		if (rc != 0) {
			if (err) {
				size_t len = strlen(path) + strlen(msg) + 32;
				*err = kd_xmalloc(len);
				snprintf(*err, len, "%s:%d: %s", path, lineno, msg);
			}
			free(msg);
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		rc = KD_ECONFIG;
		if (err) {
			size_t len = strlen(path) + 64;
			*err = kd_xmalloc(len);
			snprintf(*err, len, "cannot read %s: %s", path, strerror(errno));
		}
	}
	free(line);
	fclose(f);
	return rc;
}

void config_finish(config *c)
{
	if (c->database[0] == '\0')
		snprintf(c->database, sizeof(c->database), "%.500s/kindred.db", c->data_dir);
}

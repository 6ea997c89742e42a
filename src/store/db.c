/*
 * db.c: what the drivers share.  Only the rewriting of a migration's
 * dialect markers for now; it runs once per migration at start-up, so
 * plain repeated copying is fine.
 */
#include "store/db.h"

#include "kd.h"

#include <stdlib.h>
#include <string.h>

static void replace_all(char **s, const char *from, const char *to)
{
	char *p, *out;
	size_t fl = strlen(from), tl = strlen(to), n;

	while ((p = strstr(*s, from)) != NULL) {
		n = strlen(*s);
		out = kd_xmalloc(n - fl + tl + 1);
		memcpy(out, *s, (size_t)(p - *s));
		memcpy(out + (p - *s), to, tl);
		memcpy(out + (p - *s) + tl, p + fl, n - (size_t)(p - *s) - fl + 1);
		free(*s);
		*s = out;
	}
}

char *db_rewrite(const char *sql, const char *id, const char *blob, const char *i64,
		 const char *sqlite_only)
{
	char *s = kd_xstrdup(sql);

	replace_all(&s, "@SQLITE@", sqlite_only);
	replace_all(&s, "@ID@", id);
	replace_all(&s, "@BLOB@", blob);
	replace_all(&s, "@I64@", i64);
	return s;
}

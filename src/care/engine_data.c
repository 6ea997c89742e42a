/*
 * engine_data.c: builds the compassion engine from the lexicons and
 * models embedded in the binary (data/...).  The engine reads no files
 * itself (it is a library others embed); this is where kindred hands it
 * kindred's own data.  Runs once per process.
 */
#include "care/care.h"

#include "util/embed.h"

#include <stdlib.h>
#include <string.h>

/* The engine from every embedded file whose path starts with prefix. */
static int engine_from(const char *prefix, kd_engine **out, char *err, size_t errlen)
{
	const embed_file *all;
	kd_blob *blobs;
	kd_engine_data d;
	size_t n, i, nb = 0;
	int rc;

	all = embed_all(&n);
	blobs = calloc(n ? n : 1, sizeof(*blobs));
	if (!blobs)
		return KD_ENGINE_ENOMEM;
	for (i = 0; i < n; i++) {
		if (strncmp(all[i].path, prefix, strlen(prefix)) != 0)
			continue;
		blobs[nb].name = all[i].path + 5;
		blobs[nb].data = all[i].data;
		blobs[nb].len = all[i].len;
		nb++;
	}
	d.blobs = blobs;
	d.n_blobs = nb;
	d.errbuf = err;
	d.errlen = errlen;
	rc = kd_engine_new(&d, out);
	free(blobs);
	return rc;
}

int care_engine_new(kd_engine **out, char *err, size_t errlen)
{
	return engine_from("data/", out, err, errlen);
}

int care_engine_rules_new(kd_engine **out, char *err, size_t errlen)
{
	return engine_from("data/lexicons/", out, err, errlen);
}

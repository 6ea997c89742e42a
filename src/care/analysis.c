/*
 * analysis.c: the engine, seen from care.  The engine is shared and
 * read-only; each thread keeps its own analyzer (scratch buffers and a
 * stemmer), made on first use and freed when the thread ends.
 */
#include "care/care.h"

#include "kd.h"

#include <string.h>

int care_analyze(care *c, const char *text, size_t len, unsigned readings, kd_result *out)
{
	kd_analyzer *a;
	kd_input in;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!c->engine)
		return KD_ENOTFOUND;
	a = pthread_getspecific(c->analyzers);
	if (!a) {
		if ((rc = kd_analyzer_new(c->engine, &a)) != 0)
			return rc;
		if (pthread_setspecific(c->analyzers, a) != 0) {
			kd_analyzer_free(a);
			return KD_ENOMEM;
		}
	}
	memset(&in, 0, sizeof(in));
	in.text = text;
	in.len = len;
	in.speaker = KD_SPEAKER_CLIENT;
	in.readings = readings;
	return kd_analyze(a, &in, out);
}

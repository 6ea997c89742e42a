/*
 * fuzz_config.c: libFuzzer target over `kindred serve --config FILE`
 * (config_load, config_set) and over store_location_print(), which
 * shows the database location a file gave with its password hidden, in
 * logs and in `kindred migrate`.
 *
 * The input is the file, read from a memfd through /proc/self/fd so no
 * disk is touched.  Checks, beyond the sanitizers:
 *   - a refused file says why, naming the file;
 *   - a file with a NUL byte or a line over 4096 bytes is refused (fgets
 *     once cut such a line and read its rest as another line);
 *   - an accepted file leaves settings in range, and the database
 *     location shown fits every buffer size tried and shows the password
 *     of a "scheme://user:password@host" location fewer times than the
 *     location holds it.
 *
 * Build and run: sh tests/fuzz/run.sh tests/fuzz/fuzz_config.c
 */
#include "kd.h"
#include "store/store.h"
#include "web/config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int long_line(const uint8_t *p, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++)
		if (p[i] == '\n') {
			if (i + 1 - start > 4096)
				return 1;
			start = i + 1;
		}
	return n - start > 4096;
}

/* The password of scheme://user:password@host/..., if the location has
 * one (the userinfo ends at the last '@' before the path or query). */
static int password_of(const char *loc, char *out, size_t n)
{
	const char *host = strstr(loc, "://"), *at = NULL, *colon, *p;
	size_t len;

	if (!host)
		return 0;
	host += 3;
	len = strcspn(host, "/?");
	for (p = host; p < host + len; p++)
		if (*p == '@')
			at = p;
	if (!at || !(colon = memchr(host, ':', (size_t)(at - host))) || at - colon - 1 < 4 ||
	    (size_t)(at - colon) > n)
		return 0;
	memcpy(out, colon + 1, (size_t)(at - colon - 1));
	out[at - colon - 1] = '\0';
	/* "***" is what replaces it: a password of stars could reappear */
	return strchr(out, '*') == NULL;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = {1, 2, 9, 40, 700};
	char path[64], shown[700], pw[700];
	config cfg;
	char *err = NULL;
	size_t i;
	int fd, rc;

	if ((fd = memfd_create("kindred.conf", 0)) < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	config_defaults(&cfg);
	rc = config_load(&cfg, path, &err);
	close(fd);
	if (rc != 0) {
		CHECK(rc == KD_ECONFIG && err && strncmp(err, path, strlen(path)) == 0);
		free(err);
		return 0;
	}
	CHECK(err == NULL);
	CHECK(!memchr(data, '\0', size) && !long_line(data, size));
	CHECK(cfg.port >= 0 && cfg.port <= 65535 && cfg.threads >= 0 && cfg.threads <= 256);
	CHECK(cfg.max_body >= 1024 && cfg.max_body <= 64 * 1024 * 1024);
	config_finish(&cfg);
	CHECK(cfg.database[0] != '\0');
	for (i = 0; i < KD_ARRAY_LEN(sizes); i++) {
		memset(shown, 'x', sizeof(shown));
		store_location_print(cfg.database, shown, sizes[i]);
		CHECK(strlen(shown) < sizes[i]);
	}
	/* the last size holds the whole location: the password is gone
	 * from where it was (the same text may be elsewhere too) */
	if (password_of(cfg.database, pw, sizeof(pw)))
		CHECK(count(shown, pw) < count(cfg.database, pw));
	return 0;
}

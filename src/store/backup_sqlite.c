/*
 * backup_sqlite.c: a consistent online copy of an SQLite database, made
 * with SQLite's backup API while kindred keeps serving.  The copy is
 * taken in steps so writers are held up for one step at a time, never
 * for the whole copy; if a writer changes the database meanwhile, the
 * backup API restarts the copy, so the result is one consistent moment.
 */
#include "store/store.h"

#include "store/db.h"

#include "kd.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { BACKUP_PAGES_PER_STEP = 256 };

/* The message and code for a failure of dst, the backup being written. */
static int dst_failed(sqlite3 *dst, char **err)
{
	int full = db_sqlite_full(dst) != NULL;

	if (err)
		*err = kd_xstrdup(full ? "the disk is full: there is no room for the backup"
				       : sqlite3_errmsg(dst));
	return full ? KD_ENOSPC : KD_EIO;
}

int store_backup_sqlite(const char *location, const char *dest, char **err)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b = NULL;
	char journal[4096];
	int fd, rc = KD_EIO, src_rc;

	if (strncmp(location, "sqlite:", 7) == 0)
		location += 7;
	/* The copy holds everything the database holds: create it private,
	 * and never over an existing file. */
	fd = open(dest, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		if (err)
			*err = kd_xstrdup(errno == EEXIST ? "the backup file already exists"
							  : strerror(errno));
		return errno == EEXIST ? KD_EEXIST : KD_EIO;
	}
	close(fd);
	if (sqlite3_open_v2(location, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		if (err)
			*err = kd_xstrdup(src ? sqlite3_errmsg(src) : "cannot open the database");
		goto fail;
	}
	if (sqlite3_open_v2(dest, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		if (err)
			*err = kd_xstrdup(dst ? sqlite3_errmsg(dst) : "cannot open the backup file");
		goto fail;
	}
	sqlite3_busy_timeout(src, 10000);
	b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b) {
		if (err)
			*err = kd_xstrdup(sqlite3_errmsg(dst));
		goto fail;
	}
	do {
		src_rc = sqlite3_backup_step(b, BACKUP_PAGES_PER_STEP);
		if (src_rc == SQLITE_BUSY || src_rc == SQLITE_LOCKED)
			sqlite3_sleep(10);
	} while (src_rc == SQLITE_OK || src_rc == SQLITE_BUSY || src_rc == SQLITE_LOCKED);
	if (sqlite3_backup_finish(b) != SQLITE_OK || src_rc != SQLITE_DONE) {
		rc = dst_failed(dst, err);
		b = NULL;
		goto fail;
	}
	b = NULL;
	/* A backup is a single file: no WAL beside it. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = dst_failed(dst, err);
		goto fail;
	}
	rc = 0;
	goto done;
fail:
	if (b)
		sqlite3_backup_finish(b);
	sqlite3_close(dst);
	dst = NULL;
	/* No half backup is left, nor the journal of one. */
	unlink(dest);
	if ((size_t)snprintf(journal, sizeof(journal), "%s-journal", dest) < sizeof(journal))
		unlink(journal);
done:
	sqlite3_close(dst);
	sqlite3_close(src);
	return rc;
}

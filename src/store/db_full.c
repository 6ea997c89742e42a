/*
 * db_full.c: telling "the disk is full" from other write failures of
 * SQLite, for the driver and for backups.  Runs only after a write has
 * failed, so it may look at the file system.
 *
 * SQLite reports ENOSPC as SQLITE_FULL, but a quota (EDQUOT) or a
 * file-size limit (EFBIG, RLIMIT_FSIZE) as a plain I/O error, and the
 * errno behind that is often gone by the time the error comes back
 * (sqlite3_system_errno() reads errno late, after the rollback's own
 * system calls).  So when the errno is lost, the space itself is asked:
 * a file system with under 1 MiB free, or the database or its WAL within
 * 64 KiB of the process's file-size limit, means the write found no room.
 *
 * The log line is said once, then at most every FULL_LOG_EVERY seconds
 * with a count: while the disk stays full every write fails again (the
 * audit group retries ten times a second), and a line per failure would
 * bury the log, or fill the disk it is on.
 */
#include "store/db.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

enum { FREE_MIN = 1 << 20, LIMIT_MARGIN = 64 << 10, FULL_LOG_EVERY = 60 };

static int near_limit(const char *path, rlim_t limit)
{
	struct stat st;

	return stat(path, &st) == 0 && (uint64_t)st.st_size + LIMIT_MARGIN >= (uint64_t)limit;
}

const char *db_sqlite_full(struct sqlite3 *h)
{
	int ext = sqlite3_extended_errcode(h), e = sqlite3_system_errno(h);
	const char *file = sqlite3_db_filename(h, "main");
	char wal[4096];
	struct statvfs vfs;
	struct rlimit rl;

	if ((ext & 0xff) == SQLITE_FULL)
		return "no space left on the device";
	if ((ext & 0xff) != SQLITE_IOERR)
		return NULL;
	if (e == ENOSPC || e == EDQUOT)
		return e == ENOSPC ? "no space left on the device" : "disk quota exceeded";
	if (e == EFBIG)
		return "the file-size limit is reached";
	/* Only writes that grow a file can meet a full disk. */
	if (e != 0 || !file || !*file ||
	    (ext != SQLITE_IOERR_WRITE && ext != SQLITE_IOERR_TRUNCATE &&
	     ext != SQLITE_IOERR_SHMSIZE))
		return NULL;
	if (statvfs(file, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < FREE_MIN)
		return "no space left on the device";
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (near_limit(file, rl.rlim_cur) ||
	     ((size_t)snprintf(wal, sizeof(wal), "%s-wal", file) < sizeof(wal) &&
	      near_limit(wal, rl.rlim_cur))))
		return "the file-size limit is reached";
	return NULL;
}

void db_full_log(const char *file, const char *why)
{
	static _Atomic int64_t last = INT64_MIN / 2;
	static atomic_ulong quiet;
	int64_t now = (int64_t)time(NULL), was = atomic_load(&last);
	unsigned long more;

	if (now - was < FULL_LOG_EVERY || !atomic_compare_exchange_strong(&last, &was, now)) {
		atomic_fetch_add(&quiet, 1);
		return;
	}
	more = atomic_exchange(&quiet, 0);
	if (more)
		fprintf(stderr,
			"kindred: the disk is full: could not write %s (%s), and %lu more "
			"times since the last such line\n",
			file, why, more);
	else
		fprintf(stderr, "kindred: the disk is full: could not write %s (%s)\n", file, why);
}

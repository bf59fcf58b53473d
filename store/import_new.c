/*
 * import_new.c - an import that creates its SQLite store: built under a
 * name of its own (STORE.importing-PID) with no journal, then moved into
 * place once complete. The import itself is store_import.c; the contract
 * store/store.h (bph_store_import_new).
 *
 * Why: in WAL mode every page an import writes goes to the WAL and again
 * into the file at the checkpoint, a 10 GB WAL at ten million hosts; a
 * file nobody else can see needs neither the journal nor the locks, and
 * no reader or writer waits on it (docs/performance.md, "The session of
 * 2026-12-07 14:28 UTC").
 */
#include "store/db_int.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fingerprints/err.h"
#include "store/store.h"

#define BUILD_SUFFIX ".importing-"

/* Whether an import of path into where may build a new store: where is a
 * SQLite path naming nothing (nor its -wal and -shm: a WAL left without its
 * store would be replayed into the new one) and path a regular file, which
 * can be read again should another program create the store meanwhile. */
static bool applies(const char *where, const char *path)
{
	static const char *const side[] = {"", "-wal", "-shm"};
	char name[4096];
	struct stat sb;

	if (bph_db_is_uri(where) || !strcmp(path, "-") || stat(path, &sb) ||
	    !S_ISREG(sb.st_mode))
		return false;
	for (size_t i = 0; i < sizeof(side) / sizeof(side[0]); i++) {
		if ((size_t)snprintf(name, sizeof(name), "%s%s", where,
				     side[i]) >= sizeof(name) ||
		    !lstat(name, &sb) || errno != ENOENT)
			return false;
	}
	return true;
}

/* Whether a process holds a lock on the SQLite file at path: SQLite's
 * locks are POSIX locks on the bytes from 1 GiB on (its "pending byte"),
 * and a build's connection holds them from its first write to its end. */
static bool locked(const char *path)
{
	struct flock fl = {.l_type = F_WRLCK,
			   .l_whence = SEEK_SET,
			   .l_start = 0x40000000,
			   .l_len = 512};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool held = fd < 0 || fcntl(fd, F_GETLK, &fl) || fl.l_type != F_UNLCK;

	if (fd >= 0)
		close(fd);
	return held;
}

/* Removes the builds that imports killed before their end left beside
 * where (SIGKILL, a power cut): those whose process is gone (not in this
 * PID namespace) and which no process holds locked (in none). */
static void remove_stale(const char *where, FILE *errout)
{
	char *copy = strdup(where), *copy2 = strdup(where), name[4096];
	const char *dir = copy ? dirname(copy) : NULL;
	const char *base = copy2 ? basename(copy2) : NULL;
	DIR *d = dir && base ? opendir(dir) : NULL;
	size_t blen = base ? strlen(base) : 0;
	const struct dirent *e;

	while (d && (e = readdir(d))) {
		const char *tail = e->d_name + blen + strlen(BUILD_SUFFIX);
		char *end;
		if (strncmp(e->d_name, base, blen) ||
		    strncmp(e->d_name + blen, BUILD_SUFFIX,
			    strlen(BUILD_SUFFIX)))
			continue;
		long pid = strtol(tail, &end, 10);
		if (*end || end == tail || pid <= 0 || !kill((pid_t)pid, 0) ||
		    errno != ESRCH ||
		    (size_t)snprintf(name, sizeof(name), "%s/%s", dir,
				     e->d_name) >= sizeof(name) ||
		    locked(name) || unlink(name))
			continue;
		if (errout)
			fprintf(errout,
				"bphound: removed %s, left by an import that "
				"was stopped\n",
				name);
	}
	if (d)
		closedir(d);
	free(copy);
	free(copy2);
}

/* fsync of a file, or of the folder holding one. */
static int sync_path(const char *name, bool folder)
{
	char *copy = folder ? strdup(name) : NULL;
	const char *what = folder ? (copy ? dirname(copy) : NULL) : name;
	int fd = what ? open(what, O_RDONLY | O_CLOEXEC) : -1;
	int rc = fd >= 0 && !fsync(fd) ? 0 : BPH_ERR_IO;

	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

/* Moves tmp to where unless where exists (EEXIST): renameat2 where the
 * file system has it, a hard link otherwise. */
static int move_new(const char *tmp, const char *where)
{
	if (!renameat2(AT_FDCWD, tmp, AT_FDCWD, where, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return -1;
	if (link(tmp, where))
		return -1;
	unlink(tmp);
	return 0;
}

/* The import into tmp, a new file. 0 with *keep when tmp holds the
 * store to publish (also after a bad line ended the input: what came
 * before it is kept, as in any store), else tmp is to be removed. */
static int build(const char *tmp, const char *path,
		 const struct bph_import_opts *o,
		 struct bph_import_stats *stats, bool *keep, char *err,
		 size_t errlen)
{
	struct bph_store *st = NULL;
	int rc = bph_store_open(tmp, BPH_STORE_WRITE | BPH_STORE_UNJOURNALED,
				&st, err, errlen);

	*keep = false;
	if (rc)
		return rc;
	rc = bph_store_import_file(st, path, o, stats, err, errlen);
	*keep = !st->db->torn;
	bph_store_close(st);
	if (*keep)
		return rc;
	/* a failed write could not be undone: nothing of it is kept */
	stats->records = stats->added = 0;
	size_t n = strlen(err);
	snprintf(err + n, errlen - n, "%s(the new store was not created)",
		 n ? " " : "");
	return rc ? rc : BPH_ERR_DB;
}

/* The built store at where, as a writer leaves one (WAL mode, its -wal and
 * -shm kept for readers who may not write the folder: store/db_sqlite.c). */
static int publish_file(const char *tmp, const char *where, char *err,
			size_t errlen)
{
	struct bph_store *st = NULL;
	int rc;

	if (sync_path(tmp, false)) {
		snprintf(err, errlen, "syncing the new store: %s",
			 strerror(errno));
		return BPH_ERR_IO;
	}
	if (move_new(tmp, where)) {
		int e = errno;
		snprintf(err, errlen, "placing the new store: %s", strerror(e));
		return e == EEXIST ? BPH_ERR_AGAIN : BPH_ERR_IO;
	}
	if (sync_path(where, true)) {
		snprintf(err, errlen, "syncing the store's folder: %s",
			 strerror(errno));
		return BPH_ERR_IO;
	}
	rc = bph_store_open(where, BPH_STORE_WRITE, &st, err, errlen);
	bph_store_close(st);
	return rc;
}

int bph_store_import_new(const char *where, const char *path,
			 const struct bph_import_opts *o,
			 struct bph_import_stats *stats, bool *done, char *err,
			 size_t errlen)
{
	FILE *errout = o ? o->errout : NULL;
	char tmp[4096];
	bool keep;
	int fd, rc;

	*done = false;
	memset(stats, 0, sizeof(*stats));
	if (!applies(where, path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s" BUILD_SUFFIX "%ld", where,
			     (long)getpid()) >= sizeof(tmp))
		return 0;
	remove_stale(where, errout);
	/* a folder that is missing or not writable: the usual open says so */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		return 0;
	close(fd);
	rc = build(tmp, path, o, stats, &keep, err, errlen);
	int prc = keep ? publish_file(tmp, where, err, errlen) : 0;
	unlink(tmp); /* gone already once moved */
	if (prc == BPH_ERR_AGAIN) {
		err[0] = '\0';
		if (errout)
			fprintf(errout,
				"bphound: another program created the store "
				"during the import; importing into it\n");
		return 0;
	}
	*done = true;
	return rc ? rc : prc;
}

/*
 * store.c - opening a store (path checks, identity, schema), scans, the
 * rows of a record (the graph the clustering reads is graph_load.c's).
 * Contract in store/store.h; the SQL layer is store/db_int.h, the tables
 * store/schema.c.
 */
#include "store/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fingerprints/text.h"
#include "fingerprints/err.h"
#include "fingerprints/record_json.h"
#include "store/db_int.h"

/* mkdir -p of the directory part of path. */
static int make_parents(const char *path, char *err, size_t errlen)
{
	char *dir = strdup(path);
	int rc = dir ? 0 : BPH_ERR_NOMEM;

	for (char *p = dir ? dir + 1 : NULL; p && *p && !rc; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST) {
			snprintf(err, errlen, "mkdir %s: %s", dir,
				 strerror(errno));
			rc = BPH_ERR_IO;
		}
		*p = '/';
	}
	free(dir);
	return rc;
}

/* A SQLite path must name a file in an existing folder; a reader needs the
 * file to exist. Returns 0 or BPH_ERR_USAGE / BPH_ERR_IO with err. */
static int check_path(const char *path, unsigned flags, char *err,
		      size_t errlen)
{
	char *dir = strdup(path), *slash;
	struct stat sb;
	int rc = 0;

	if (!dir)
		return BPH_ERR_NOMEM;
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (!stat(path, &sb)) {
		if (S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen,
				 "is a directory, not a store "
				 "file (give a file name in it)");
			rc = BPH_ERR_USAGE;
		}
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "%s", strerror(errno));
		rc = errno == EACCES ? BPH_ERR_PERM : BPH_ERR_IO;
	} else if (slash && (flags & BPH_STORE_MKDIR)) {
		rc = make_parents(path, err, errlen);
	} else if (slash && stat(dir, &sb)) {
		snprintf(err, errlen, "folder %s does not exist", dir);
		rc = BPH_ERR_USAGE;
	} else if (!(flags & BPH_STORE_WRITE)) {
		snprintf(err, errlen,
			 "no store here yet (scan, pivot or "
			 "import creates one)");
		rc = BPH_ERR_USAGE;
	}
	free(dir);
	return rc;
}

/* Identifies the database; refuses what is not (or not yet) a store. */
static int check_identity(struct bph_db *db, unsigned flags,
			  struct bph_db_identity *id, char *err, size_t errlen)
{
	int rc = bph_db_identify(db, id);

	if (rc) {
		snprintf(err, errlen, "%s", bph_db_errmsg(db));
		return rc;
	}
	if (id->ours || (id->empty && (flags & BPH_STORE_WRITE)))
		return 0;
	if (id->empty) {
		snprintf(err, errlen,
			 "holds no bphound store yet (scan, pivot "
			 "or import creates one)");
		return BPH_ERR_USAGE;
	}
	snprintf(err, errlen, "not a bphound store: %s; left untouched",
		 id->what);
	return BPH_ERR_FORMAT;
}

/* A reader found an older schema: one writable connection upgrades it. */
static int upgrade_for_reader(const char *where, char *err, size_t errlen)
{
	struct bph_store *w = NULL;
	int rc = bph_store_open(where, BPH_STORE_WRITE, &w, err, errlen);

	bph_store_close(w);
	if (rc == BPH_ERR_PERM)
		snprintf(err, errlen,
			 "the store was written by an older bphound and "
			 "needs a one-time upgrade, which needs write "
			 "access to it");
	return rc;
}

/* Checks and, for a writer, upgrades the schema of an identified store. */
static int open_schema(struct bph_store *st, const char *where, unsigned flags,
		       const struct bph_db_identity *id, char *err,
		       size_t errlen)
{
	bool current = false;
	int rc = bph_schema_check(st->db, id, &current, err, errlen);

	if (rc || current)
		return rc;
	if (!(flags & BPH_STORE_WRITE)) {
		/* re-opened read-only afterwards: see bph_store_open */
		return upgrade_for_reader(where, err, errlen);
	}
	return bph_schema_upgrade(st->db, err, errlen);
}

static int open_db(struct bph_store *st, const char *where, unsigned flags,
		   char *err, size_t errlen)
{
	struct bph_db_identity id;
	bool write = flags & BPH_STORE_WRITE;
	unsigned dbflags =
	    !write
		? BPH_DB_READONLY
		: BPH_DB_CREATE |
		      (flags & BPH_STORE_UNJOURNALED ? BPH_DB_UNJOURNALED : 0);
	int rc = bph_db_open(where, dbflags, &st->db, err, errlen);

	if (!rc)
		rc = check_identity(st->db, flags, &id, err, errlen);
	if (rc == BPH_ERR_PERM && write)
		snprintf(err, errlen,
			 "the store or its folder is read-only "
			 "to this user: reading commands work, "
			 "writing ones do not");
	else if (rc == BPH_ERR_PERM)
		snprintf(err, errlen,
			 "cannot read it: its folder is not writable and its "
			 "-wal and -shm files are missing (bphound leaves "
			 "them when it writes; run one import or scan on it, "
			 "or make the folder writable)");
	if (!rc && write && (rc = bph_db_prepare_writes(st->db)))
		snprintf(err, errlen, "%s", bph_db_errmsg(st->db));
	if (!rc)
		rc = open_schema(st, where, flags, &id, err, errlen);
	if (!rc && write && (rc = bph_schema_staging(st->db)))
		snprintf(err, errlen, "%s", bph_db_errmsg(st->db));
	/* what an import killed or stopped by a full disk left unpublished
	 * (store_bulk.c): a writer publishes it; a reader sees the derived
	 * tables as they were before that import */
	if (!rc && write && (rc = bph_store_publish(st)))
		snprintf(err, errlen, "publishing an earlier import: %s",
			 bph_db_errmsg(st->db));
	return rc;
}

int bph_store_open(const char *where, unsigned flags, struct bph_store **out,
		   char *err, size_t errlen)
{
	struct bph_store *st = calloc(1, sizeof(*st));
	int rc = st ? 0 : BPH_ERR_NOMEM;

	*out = NULL;
	if (!rc && !bph_db_is_uri(where))
		rc = check_path(where, flags, err, errlen);
	if (!rc) {
		st->readonly = !(flags & BPH_STORE_WRITE);
		rc = open_db(st, where, flags, err, errlen);
	}
	if (rc) {
		bph_store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void bph_store_close(struct bph_store *st)
{
	if (!st)
		return;
	bph_db_close(st->db);
	bph_artdict_free(st->arts);
	bph_artdict_free(st->pend);
	free(st);
}

void bph_store_redact(const char *where, char *out, size_t outlen)
{
	const char *auth = bph_db_is_uri(where) ? strstr(where, "://") : NULL;
	const char *end = auth ? auth + 3 + strcspn(auth + 3, "/?") : NULL;
	const char *at =
	    auth ? memchr(auth + 3, '@', (size_t)(end - auth - 3)) : NULL;
	const char *colon =
	    at ? memchr(auth + 3, ':', (size_t)(at - auth - 3)) : NULL;
	const char *pw = auth ? strstr(auth, "password=") : NULL;

	if (colon) /* user:password@host */
		snprintf(out, outlen, "%.*s:***%s", (int)(colon - where), where,
			 at);
	else
		snprintf(out, outlen, "%s", where);
	if (pw && (pw = strstr(out, "password="))) /* ?password=... */
		snprintf((char *)pw, outlen - (size_t)(pw - out),
			 "password=***");
}

const char *bph_store_errmsg(const struct bph_store *st)
{
	return st && st->db ? bph_db_errmsg(st->db) : "";
}

int bph_store_err_is_input(int rc)
{
	return rc == BPH_ERR_USAGE || rc == BPH_ERR_FORMAT ||
	       rc == BPH_ERR_PERM || rc == BPH_ERR_NOSPACE ||
	       rc == BPH_ERR_REFUSED;
}

char *bph_store_default_path(void)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char *path = NULL;

	if (xdg && xdg[0] == '/') {
		if (asprintf(&path, "%s/bphound/bphound.db", xdg) < 0)
			return NULL;
		return path;
	}
	if (!home || !home[0]) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home ||
	    asprintf(&path, "%s/.local/share/bphound/bphound.db", home) < 0)
		return NULL;
	return path;
}

int bph_store_scan_begin(struct bph_store *st, const char *kind,
			 const char *args, int64_t *scan_id)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(st->db,
				"INSERT INTO scans(kind, args, started)"
				" VALUES (?, ?, ?) RETURNING id",
				&q);

	if (!rc) {
		bph_db_bind_text(q, 1, kind);
		bph_db_bind_text(q, 2, args);
		bph_db_bind_int64(q, 3, (int64_t)time(NULL));
		rc = bph_db_step(q);
	}
	if (rc == BPH_DB_ROW) {
		*scan_id = bph_db_column_int64(q, 0);
		rc = bph_db_step(q); /* completes the INSERT */
	}
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}

int bph_store_scan_end(struct bph_store *st, int64_t scan_id)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(
	    st->db, "UPDATE scans SET finished = ? WHERE id = ?", &q);

	if (!rc) {
		bph_db_bind_int64(q, 1, (int64_t)time(NULL));
		bph_db_bind_int64(q, 2, scan_id);
		rc = bph_db_step(q);
	}
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}

int bph_store_scan_kind(struct bph_store *st, int64_t scan_id, char *out,
			size_t outlen)
{
	struct bph_db_stmt *q = NULL;
	int rc =
	    bph_db_prepare(st->db, "SELECT kind FROM scans WHERE id = ?", &q);

	if (!rc) {
		bph_db_bind_int64(q, 1, scan_id);
		rc = bph_db_step(q);
	}
	if (rc == BPH_DB_ROW)
		snprintf(out, outlen, "%s", bph_db_column_text(q, 0));
	bph_db_finalize(q);
	return rc == BPH_DB_ROW ? 0 : rc == BPH_DB_DONE ? BPH_ERR_USAGE : rc;
}

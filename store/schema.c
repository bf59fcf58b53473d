/*
 * schema.c - every table and index of the store, as numbered migration
 * steps per module, recorded in the table bph_schema (module, version) on
 * both backends; opening a store applies what is missing and refuses a
 * store a newer bphound wrote. Contract in store/db_int.h; what the tables
 * hold is in docs/output.md ("The store").
 *
 * HOW A MODULE ADDS ITS TABLES
 *   - A module is a name and its own list of steps (core: scans, services,
 *     artifacts, resume; sweep: store_sweep.c's tables; data:
 *     store_data.c's). Give a new module its own array below and one line
 *     in `modules`; its versions count from 1 independently of the others,
 *     so two modules never compete for a number.
 *   - To change a module's tables, append a step with the next version;
 *     never edit a step that has landed (stores in the field ran it).
 *   - A step is portable DDL (store/db_int.h: BIGINT, TEXT, {id}, {blob}, no
 *     PRAGMA) and/or a function for what SQL alone cannot do. Steps of all
 *     modules run in one transaction under the schema lock, so concurrent
 *     openers apply each step once.
 *   - A store whose module version is higher than this build's is refused
 *     (it was written by a newer bphound); an unknown module is ignored.
 */
#include "store/db_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fingerprints/err.h"

struct step {
	int version;
	const char *what;
	const char *ddl;	      /* may be NULL */
	int (*fn)(struct bph_db *db); /* may be NULL */
};

struct module {
	const char *name;
	const struct step *steps;
	size_t n_steps;
};

/* Version 1 is the schema of the stores before bph_schema existed
 * (PRAGMA user_version 1): IF NOT EXISTS makes it a no-op on them. */
static const struct step core_steps[] = {
    {1, "scans, services, artifacts, resume checkpoints",
     "CREATE TABLE IF NOT EXISTS scans("
     " id {id}, kind TEXT NOT NULL, args TEXT,"
     " started BIGINT NOT NULL, finished BIGINT);"
     "CREATE TABLE IF NOT EXISTS services("
     " id {id},"
     " scan_id BIGINT NOT NULL REFERENCES scans(id),"
     " ip TEXT NOT NULL, port BIGINT NOT NULL, state TEXT NOT NULL,"
     " seen BIGINT NOT NULL, record TEXT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS services_ip ON services(ip, scan_id);"
     "CREATE TABLE IF NOT EXISTS artifacts("
     " scan_id BIGINT NOT NULL REFERENCES scans(id),"
     " ip TEXT NOT NULL, port BIGINT NOT NULL, kind TEXT NOT NULL,"
     " value TEXT NOT NULL, seen BIGINT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS artifacts_kv ON artifacts(kind, value);"
     "CREATE INDEX IF NOT EXISTS artifacts_ip ON artifacts(ip);"
     /* resume checkpoints of interrupted SYN scans (store_resume.c) */
     "CREATE TABLE IF NOT EXISTS synscan_resume("
     " scan_id BIGINT PRIMARY KEY, targets TEXT NOT NULL,"
     " ports TEXT NOT NULL, exclude TEXT, allow_reserved BIGINT NOT NULL,"
     " seed BIGINT NOT NULL, shard_index BIGINT NOT NULL,"
     " shard_count BIGINT NOT NULL, rate BIGINT NOT NULL,"
     " retries BIGINT NOT NULL, wait_ms BIGINT NOT NULL,"
     " pass BIGINT NOT NULL DEFAULT 0, pos BIGINT NOT NULL DEFAULT 0,"
     " done BIGINT NOT NULL DEFAULT 0, updated BIGINT);"
     "CREATE TABLE IF NOT EXISTS synscan_resume_open("
     " scan_id BIGINT NOT NULL, ip BIGINT NOT NULL, port BIGINT NOT NULL,"
     " tcp {blob}, PRIMARY KEY(scan_id, ip, port));",
     NULL},
};

static const struct module modules[] = {
    {"core", core_steps, sizeof(core_steps) / sizeof(core_steps[0])},
};

#define N_MODULES (sizeof(modules) / sizeof(modules[0]))

static const char version_table[] =
    "CREATE TABLE IF NOT EXISTS bph_schema("
    " module TEXT NOT NULL, version BIGINT NOT NULL,"
    " applied BIGINT NOT NULL, what TEXT,"
    " PRIMARY KEY(module, version))";

static int latest(const struct module *m)
{
	return m->steps[m->n_steps - 1].version;
}

/* The recorded version of every module into have[] (0: none yet). */
static int read_versions(struct bph_db *db, bool has_table, int64_t *have)
{
	struct bph_db_stmt *q = NULL;
	int rc;

	memset(have, 0, N_MODULES * sizeof(*have));
	if (!has_table)
		return 0;
	rc = bph_db_prepare(db,
			    "SELECT module, max(version) FROM bph_schema"
			    " GROUP BY module",
			    &q);
	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		const char *name = bph_db_column_text(q, 0);
		for (size_t i = 0; name && i < N_MODULES; i++)
			if (!strcmp(name, modules[i].name))
				have[i] = bph_db_column_int64(q, 1);
		rc = 0;
	}
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}

/* BPH_ERR_FORMAT with a message when a module is newer than this build. */
static int refuse_newer(const int64_t *have, char *err, size_t errlen)
{
	for (size_t i = 0; i < N_MODULES; i++)
		if (have[i] > latest(&modules[i])) {
			snprintf(err, errlen,
				 "the store was written by a newer bphound "
				 "(schema %s version %lld; this bphound knows "
				 "up to %d): use that version or a newer one",
				 modules[i].name, (long long)have[i],
				 latest(&modules[i]));
			return BPH_ERR_FORMAT;
		}
	return 0;
}

int bph_schema_check(struct bph_db *db, const struct bph_db_identity *id,
		     bool *current, char *err, size_t errlen)
{
	int64_t have[N_MODULES];
	int rc = read_versions(db, id->ours && !id->legacy, have);

	*current = false;
	if (rc) {
		snprintf(err, errlen, "reading the schema version: %s",
			 bph_db_errmsg(db));
		return rc;
	}
	if ((rc = refuse_newer(have, err, errlen)))
		return rc;
	*current = true;
	for (size_t i = 0; i < N_MODULES; i++)
		*current = *current && have[i] == latest(&modules[i]);
	return 0;
}

static int apply_step(struct bph_db *db, const struct module *m,
		      const struct step *s)
{
	struct bph_db_stmt *q = NULL;
	int rc = s->ddl ? bph_db_exec_ddl(db, s->ddl) : 0;

	if (!rc && s->fn)
		rc = s->fn(db);
	if (!rc)
		rc = bph_db_prepare(db,
				    "INSERT INTO bph_schema(module, version,"
				    " applied, what) VALUES (?, ?, ?, ?)",
				    &q);
	if (!rc) {
		bph_db_bind_text(q, 1, m->name);
		bph_db_bind_int64(q, 2, s->version);
		bph_db_bind_int64(q, 3, (int64_t)time(NULL));
		bph_db_bind_text(q, 4, s->what);
		rc = bph_db_step(q);
	}
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}

/* Applies the missing steps; the caller holds the transaction. */
static int upgrade_locked(struct bph_db *db, char *err, size_t errlen)
{
	int64_t have[N_MODULES];
	int rc = bph_db_exec(db, version_table);

	if (!rc)
		rc = read_versions(db, true, have);
	if (!rc && (rc = refuse_newer(have, err, errlen)))
		return rc;
	for (size_t i = 0; !rc && i < N_MODULES; i++)
		for (size_t j = 0; !rc && j < modules[i].n_steps; j++)
			if (modules[i].steps[j].version > have[i])
				rc = apply_step(db, &modules[i],
						&modules[i].steps[j]);
	if (!rc)
		rc = bph_db_mark(db, bph_schema_version("core"));
	if (rc)
		snprintf(err, errlen, "upgrading the schema: %s",
			 bph_db_errmsg(db));
	return rc;
}

int bph_schema_upgrade(struct bph_db *db, char *err, size_t errlen)
{
	int rc = bph_db_begin(db, BPH_DB_TXN_WRITE);

	if (!rc)
		rc = bph_db_lock_schema(db);
	if (rc) {
		snprintf(err, errlen, "upgrading the schema: %s",
			 bph_db_errmsg(db));
		bph_db_rollback(db);
		return rc;
	}
	rc = upgrade_locked(db, err, errlen);
	if (!rc && (rc = bph_db_commit(db)))
		snprintf(err, errlen, "upgrading the schema: %s",
			 bph_db_errmsg(db));
	bph_db_rollback(db);
	return rc;
}

int bph_schema_version(const char *module)
{
	for (size_t i = 0; i < N_MODULES; i++)
		if (!strcmp(module, modules[i].name))
			return latest(&modules[i]);
	return 0;
}

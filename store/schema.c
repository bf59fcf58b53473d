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
    {2,
     "unique observations (ip, hash) with integer addresses; hosts; an "
     "artifact dictionary with holder counts; host-artifact incidences",
     "ALTER TABLE services RENAME TO services_v1;"
     "DROP INDEX IF EXISTS services_ip;"
     "DROP INDEX IF EXISTS artifacts_kv;"
     "DROP INDEX IF EXISTS artifacts_ip;"
     "CREATE TABLE services("
     " id {id},"
     " scan_id BIGINT NOT NULL REFERENCES scans(id),"
     " ip BIGINT NOT NULL, port BIGINT NOT NULL, state TEXT NOT NULL,"
     " seen BIGINT NOT NULL, hash BIGINT NOT NULL, record TEXT NOT NULL);"
     "CREATE UNIQUE INDEX services_obs ON services(ip, hash);"
     "CREATE INDEX services_scan ON services(scan_id, ip, port);"
     /* every address with an open service in some scan */
     "CREATE TABLE hosts(ip BIGINT PRIMARY KEY) {norowid};"
     "CREATE TABLE arts("
     " id {id}, kind TEXT NOT NULL, value TEXT NOT NULL,"
     " holders BIGINT NOT NULL DEFAULT 0);"
     "CREATE UNIQUE INDEX arts_kv ON arts(kind, value);"
     /* the distinct hosts of each artifact (holders counts them) */
     "CREATE TABLE art_hosts(art BIGINT NOT NULL, ip BIGINT NOT NULL,"
     " PRIMARY KEY(art, ip)) {norowid};"
     /* the graph's incidences: first and last time over all scans */
     "CREATE TABLE host_arts(ip BIGINT NOT NULL, art BIGINT NOT NULL,"
     " port BIGINT NOT NULL, first_seen BIGINT NOT NULL,"
     " last_seen BIGINT NOT NULL, PRIMARY KEY(ip, art, port)) {norowid};",
     bph_store_migrate_v1},
    {3, "the probe options of a resumable scan (NULL: saved before them)",
     "ALTER TABLE synscan_resume ADD COLUMN no_probes BIGINT;"
     "ALTER TABLE synscan_resume ADD COLUMN no_jarm BIGINT;"
     "ALTER TABLE synscan_resume ADD COLUMN probe_retries BIGINT;"
     "ALTER TABLE synscan_resume ADD COLUMN timeout_ms BIGINT;"
     "ALTER TABLE synscan_resume ADD COLUMN max_connections BIGINT;"
     "ALTER TABLE synscan_resume ADD COLUMN max_per_host BIGINT;"
     "ALTER TABLE synscan_resume ADD COLUMN max_per_net BIGINT;"
     "ALTER TABLE synscan_resume ADD COLUMN sni TEXT;"
     "ALTER TABLE synscan_resume ADD COLUMN contact TEXT;",
     NULL},
    {4,
     "the bulk path's pending rows: an import's new hosts and incidences, "
     "merged into hosts, host_arts, art_hosts and the holder counts at its "
     "end (store_bulk.c)",
     "CREATE TABLE IF NOT EXISTS bulk_hosts(seq {id}, data {blob} NOT NULL);"
     "CREATE TABLE IF NOT EXISTS bulk_inc(seq {id}, data {blob} NOT NULL);",
     NULL},
    {5,
     "the bulk path's pending artifacts: the (kind, value) an import found "
     "neither in arts nor pending, added to arts in key order at its end "
     "(store_arts.c, store_bulk.c)",
     "CREATE TABLE IF NOT EXISTS bulk_arts(seq {id}, kind TEXT NOT NULL,"
     " value TEXT NOT NULL);",
     NULL},
};

/* Routing, registry and deny-list snapshots (store_data.c,
 * store/data_store.h). The row tables carry no foreign key: an import
 * writes millions of rows in the one transaction that also creates their
 * snapshot, and the snap indexes serve loading by snapshot. */
static const struct step data_steps[] = {
    {1,
     "data snapshots: pfx2as, ip2asn, as-rel, as2org, delegated, RPSL, "
     "deny lists",
     "CREATE TABLE IF NOT EXISTS data_snapshots("
     " id {id}, kind TEXT NOT NULL, name TEXT NOT NULL, date TEXT NOT NULL,"
     " date_source TEXT NOT NULL, file TEXT NOT NULL,"
     " compression TEXT NOT NULL, licence TEXT NOT NULL,"
     " origin TEXT NOT NULL, imported BIGINT NOT NULL,"
     " lines BIGINT NOT NULL, records BIGINT NOT NULL,"
     " rejected BIGINT NOT NULL, warnings BIGINT NOT NULL,"
     " parts BIGINT NOT NULL, licence_flags BIGINT NOT NULL);"
     "CREATE TABLE IF NOT EXISTS data_prefix(snap BIGINT NOT NULL,"
     " net TEXT NOT NULL, asn BIGINT NOT NULL, grp BIGINT NOT NULL,"
     " pos BIGINT NOT NULL, seq BIGINT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS data_prefix_snap ON data_prefix(snap, seq);"
     "CREATE INDEX IF NOT EXISTS data_prefix_asn ON data_prefix(asn, snap);"
     "CREATE TABLE IF NOT EXISTS data_asrange(snap BIGINT NOT NULL,"
     " first TEXT NOT NULL, last TEXT NOT NULL, asn BIGINT NOT NULL,"
     " cc TEXT NOT NULL, name TEXT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS data_asrange_snap ON data_asrange(snap);"
     "CREATE TABLE IF NOT EXISTS data_rel(snap BIGINT NOT NULL,"
     " a BIGINT NOT NULL, b BIGINT NOT NULL, rel BIGINT NOT NULL,"
     " source TEXT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS data_rel_snap ON data_rel(snap);"
     "CREATE INDEX IF NOT EXISTS data_rel_a ON data_rel(a, snap);"
     "CREATE INDEX IF NOT EXISTS data_rel_b ON data_rel(b, snap);"
     "CREATE TABLE IF NOT EXISTS data_org(snap BIGINT NOT NULL,"
     " org_id TEXT NOT NULL, changed TEXT NOT NULL, name TEXT NOT NULL,"
     " cc TEXT NOT NULL, source TEXT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS data_org_snap ON data_org(snap);"
     "CREATE TABLE IF NOT EXISTS data_asorg(snap BIGINT NOT NULL,"
     " asn BIGINT NOT NULL, changed TEXT NOT NULL, name TEXT NOT NULL,"
     " org_id TEXT NOT NULL, opaque_id TEXT NOT NULL,"
     " source TEXT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS data_asorg_snap ON data_asorg(snap);"
     "CREATE TABLE IF NOT EXISTS data_deleg(snap BIGINT NOT NULL,"
     " registry TEXT NOT NULL, cc TEXT NOT NULL, type TEXT NOT NULL,"
     " first TEXT NOT NULL, last TEXT NOT NULL, date TEXT NOT NULL,"
     " status TEXT NOT NULL, opaque_id TEXT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS data_deleg_snap ON data_deleg(snap);"
     "CREATE TABLE IF NOT EXISTS data_inetnum(snap BIGINT NOT NULL,"
     " first TEXT NOT NULL, last TEXT NOT NULL, netname TEXT NOT NULL,"
     " descr TEXT NOT NULL, country TEXT NOT NULL, org TEXT NOT NULL,"
     " status TEXT NOT NULL, abuse_c TEXT NOT NULL, mnt_irt TEXT NOT NULL,"
     " abuse_mailbox TEXT NOT NULL, source TEXT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS data_inetnum_snap ON data_inetnum(snap);"
     "CREATE TABLE IF NOT EXISTS data_rpsl_org(snap BIGINT NOT NULL,"
     " org_id TEXT NOT NULL, name TEXT NOT NULL, country TEXT NOT NULL,"
     " abuse_c TEXT NOT NULL, abuse_mailbox TEXT NOT NULL,"
     " source TEXT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS data_rpsl_org_snap ON data_rpsl_org(snap);"
     "CREATE TABLE IF NOT EXISTS data_contact(snap BIGINT NOT NULL,"
     " handle TEXT NOT NULL, cls TEXT NOT NULL, name TEXT NOT NULL,"
     " abuse_mailbox TEXT NOT NULL, source TEXT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS data_contact_snap ON data_contact(snap);"
     "CREATE TABLE IF NOT EXISTS data_autnum(snap BIGINT NOT NULL,"
     " asn BIGINT NOT NULL, as_name TEXT NOT NULL, org TEXT NOT NULL,"
     " sponsoring_org TEXT NOT NULL, abuse_c TEXT NOT NULL,"
     " mnt_irt TEXT NOT NULL, source TEXT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS data_autnum_snap ON data_autnum(snap);"
     "CREATE TABLE IF NOT EXISTS data_entry(snap BIGINT NOT NULL,"
     " first TEXT NOT NULL, last TEXT NOT NULL, text TEXT NOT NULL,"
     " ref TEXT NOT NULL, info TEXT NOT NULL, date TEXT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS data_entry_snap ON data_entry(snap);"
     "CREATE TABLE IF NOT EXISTS data_asn_entry(snap BIGINT NOT NULL,"
     " asn BIGINT NOT NULL, name TEXT NOT NULL, cc TEXT NOT NULL,"
     " domain TEXT NOT NULL, rir TEXT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS data_asn_entry_snap ON data_asn_entry(snap);",
     NULL},
};

/* Sweeps (store/store_sweep.c, store/store_outbox.c): runs, their events,
 * the watch hits and cluster members each run found, the outbox, the
 * runs' snapshots (store/store_snap.c). */
static const struct step sweep_steps[] = {
    {1, "sweep runs, events, watch hits, members, outbox",
     "CREATE TABLE IF NOT EXISTS sweep_runs("
     " id {id}, sweep TEXT NOT NULL, scan_id BIGINT,"
     " status TEXT NOT NULL, started BIGINT NOT NULL, finished BIGINT,"
     " pid BIGINT, config_sha256 TEXT, ranges TEXT, ports TEXT,"
     " observed BIGINT,"
     " hosts BIGINT NOT NULL DEFAULT 0, services BIGINT NOT NULL DEFAULT 0,"
     " events BIGINT NOT NULL DEFAULT 0,"
     " evaluated BIGINT NOT NULL DEFAULT 0, error TEXT);"
     "CREATE INDEX IF NOT EXISTS sweep_runs_sweep ON sweep_runs(sweep, id);"
     "CREATE TABLE IF NOT EXISTS sweep_events("
     " run_id BIGINT NOT NULL REFERENCES sweep_runs(id), id TEXT NOT NULL,"
     " type TEXT NOT NULL, severity TEXT NOT NULL, ip TEXT, port BIGINT,"
     " event TEXT NOT NULL, PRIMARY KEY(run_id, id));"
     "CREATE TABLE IF NOT EXISTS sweep_watch_hits("
     " run_id BIGINT NOT NULL REFERENCES sweep_runs(id),"
     " watch TEXT NOT NULL, ip TEXT NOT NULL, port BIGINT NOT NULL,"
     " PRIMARY KEY(run_id, watch, ip, port));"
     "CREATE TABLE IF NOT EXISTS sweep_members("
     " run_id BIGINT NOT NULL REFERENCES sweep_runs(id),"
     " cluster TEXT NOT NULL, ip TEXT NOT NULL,"
     " PRIMARY KEY(run_id, cluster, ip));"
     "CREATE TABLE IF NOT EXISTS sweep_outbox("
     " delivery TEXT PRIMARY KEY, sweep TEXT NOT NULL,"
     " run_id BIGINT NOT NULL REFERENCES sweep_runs(id),"
     " channel TEXT NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL,"
     " n_events BIGINT NOT NULL, status TEXT NOT NULL,"
     " attempts BIGINT NOT NULL DEFAULT 0, created BIGINT NOT NULL,"
     " last_attempt BIGINT, delivered BIGINT, last_error TEXT);"
     "CREATE INDEX IF NOT EXISTS sweep_outbox_status"
     " ON sweep_outbox(sweep, status);",
     NULL},
    {2, "run snapshots: the hashed fields the diff compares",
     "CREATE TABLE IF NOT EXISTS sweep_snaps("
     " run_id BIGINT NOT NULL REFERENCES sweep_runs(id),"
     " chunk BIGINT NOT NULL, format BIGINT NOT NULL, n BIGINT NOT NULL,"
     " data {blob} NOT NULL, PRIMARY KEY(run_id, chunk));",
     NULL},
    {3,
     "what a run's evaluation read (eval_key, eval_now) and each tracked "
     "member's evidence, so diff reuses the evaluation",
     "ALTER TABLE sweep_runs ADD COLUMN eval_key TEXT;"
     "ALTER TABLE sweep_runs ADD COLUMN eval_now BIGINT;"
     "ALTER TABLE sweep_members ADD COLUMN evidence TEXT;",
     NULL},
    {4,
     "run indexes: each complete run's graph and watch terms, so that "
     "evaluating it again decodes none of its records",
     "CREATE TABLE IF NOT EXISTS sweep_index("
     " run_id BIGINT NOT NULL REFERENCES sweep_runs(id),"
     " chunk BIGINT NOT NULL, format BIGINT NOT NULL, n BIGINT NOT NULL,"
     " data {blob} NOT NULL, PRIMARY KEY(run_id, chunk));",
     NULL},
};

static const struct module modules[] = {
    {"core", core_steps, sizeof(core_steps) / sizeof(core_steps[0])},
    {"data", data_steps, sizeof(data_steps) / sizeof(data_steps[0])},
    {"sweep", sweep_steps, sizeof(sweep_steps) / sizeof(sweep_steps[0])},
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

/* A writer's staging tables, one set per connection (store_write.c). */
static const char staging_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS stage_obs("
    " seq BIGINT PRIMARY KEY, ip BIGINT NOT NULL, port BIGINT NOT NULL,"
    " state TEXT NOT NULL, seen BIGINT NOT NULL, hash BIGINT NOT NULL,"
    " record TEXT NOT NULL);"
    "CREATE TEMP TABLE IF NOT EXISTS stage_art("
    " seq BIGINT NOT NULL, art BIGINT NOT NULL, port BIGINT NOT NULL);"
    "CREATE TEMP TABLE IF NOT EXISTS stage_newart("
    " seq BIGINT PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL);"
    "CREATE TEMP TABLE IF NOT EXISTS stage_holders("
    " art BIGINT PRIMARY KEY, n BIGINT NOT NULL)";

int bph_schema_staging(struct bph_db *db)
{
	return bph_db_exec(db, staging_sql);
}

int bph_schema_upgrade(struct bph_db *db, char *err, size_t errlen)
{
	int rc = bph_schema_staging(db);

	if (!rc)
		rc = bph_db_begin(db, BPH_DB_TXN_WRITE);

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

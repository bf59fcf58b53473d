/*
 * store.h - the store of scans, services and artifacts: an embedded SQLite
 * file (the default) or a PostgreSQL database (a postgresql:// URI).
 *
 * Every scan keeps its own rows: a later scan adds history, it never
 * overwrites. Each service row holds the full JSON of its record
 * (fingerprints/record_json.h); the artifacts table (scan_id, ip, port, kind,
 * value, seen) feeds the clustering. Writes run in transactions (SQLite in
 * WAL mode), so a crash loses at most the records not yet committed, and
 * readers see a consistent store while a writer works. The schema is
 * versioned per module in the table bph_schema (store/schema.c).
 */
#ifndef BPH_STORE_STORE_H
#define BPH_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cluster/graph.h"
#include "fingerprints/record.h"

struct bph_store;

/* bph_store_open() flags */
#define BPH_STORE_READ	0x0 /* queries only: never writes to the store */
#define BPH_STORE_WRITE 0x1 /* may write; creates a missing SQLite file */
#define BPH_STORE_MKDIR                                                        \
	0x2 /* with WRITE: also its missing parent folders                     \
	       (meant for the default path only) */

/*
 * Opens the store named by where: a SQLite file path, or a libpq
 * connection URI ("postgresql://..."). Nothing is written before the
 * database is known to be a bphound store (or empty, for a writer): a
 * file of another program is refused untouched. An older store is
 * upgraded (even for a reader: the one write it makes); a newer one is
 * refused. On success *out owns the handle. Returns 0 or, with a message
 * in err (which does not repeat the path):
 *   BPH_ERR_USAGE   a missing folder, a directory, no store yet (reader);
 *   BPH_ERR_FORMAT  not a database, another program's database, or a
 *                   store written by a newer bphound;
 *   BPH_ERR_PERM    a writer on a read-only store (or an upgrade needed
 *                   and no write access);
 *   BPH_ERR_NOSPACE, BPH_ERR_BUSY, BPH_ERR_REFUSED (server unreachable),
 *   BPH_ERR_NOMEM, BPH_ERR_IO, BPH_ERR_DB.
 */
int bph_store_open(const char *where, unsigned flags, struct bph_store **out,
		   char *err, size_t errlen);
void bph_store_close(struct bph_store *st); /* NULL-safe */

/*
 * The default path, $XDG_DATA_HOME/bphound/bphound.db or
 * ~/.local/share/bphound/bphound.db; a new string the caller frees, NULL
 * when no home directory is known or on allocation failure.
 */
char *bph_store_default_path(void);

/* where as it may be shown: a password in a URI replaced by *** (out is
 * cut to outlen). */
void bph_store_redact(const char *where, char *out, size_t outlen);

/* Why the store's last operation failed ("" if it did not): the
 * database's own words. Valid until the next call on st. */
const char *bph_store_errmsg(const struct bph_store *st);

/*
 * Whether an error of the store is the input's or the environment's fault
 * rather than bphound's (a missing folder, another program's file, a
 * read-only or full disk, an unreachable server): the CLI exits 2 for these.
 */
int bph_store_err_is_input(int rc);

/* Starts a scan of kind ("scan", "pivot", "import") with its arguments. */
int bph_store_scan_begin(struct bph_store *st, const char *kind,
			 const char *args, int64_t *scan_id);
/* Marks scan_id finished now. */
int bph_store_scan_end(struct bph_store *st, int64_t scan_id);
/* The kind scan_id was started with, into out (cut to outlen). Returns 0,
 * BPH_ERR_USAGE (no such scan) or BPH_ERR_DB. */
int bph_store_scan_kind(struct bph_store *st, int64_t scan_id, char *out,
			size_t outlen);

/*
 * READING RUNS BACK (store_scans.c; a stable interface: the sweep's diff
 * reads through it).
 */
enum bph_scan_status {
	BPH_SCAN_FINISHED,   /* ended normally */
	BPH_SCAN_UNFINISHED, /* still running, or stopped (see --resume) */
};

struct bph_scan_info {
	int64_t id;
	const char *kind;	   /* "scan", "pivot", "import", ... */
	const char *args;	   /* the command line, or the imported path */
	int64_t started, finished; /* Unix seconds; finished 0 if none */
	enum bph_scan_status status;
	int64_t services; /* service rows the scan added */
};

/* Receives one scan (borrowed for the call); nonzero stops the walk and
 * is returned by it. */
typedef int (*bph_store_scan_fn)(void *ctx, const struct bph_scan_info *s);

/*
 * Calls fn for every scan of kind (NULL: every kind) in id order, the
 * oldest first. Returns 0, fn's nonzero value, or a negative BPH_ERR_*.
 */
int bph_store_scans(struct bph_store *st, const char *kind,
		    bph_store_scan_fn fn, void *ctx);

/* Receives one service record (borrowed for the call); nonzero stops. */
typedef int (*bph_store_service_fn)(void *ctx, const struct bph_service *s);

/*
 * Calls fn for every service row of scan_id (open, closed or filtered, as
 * the scan recorded them) in (ip, port, seen) order, each the parsed
 * record with the row's ip, port and time, read from one snapshot (a
 * writer's commits during the walk are not seen). An observation that an
 * earlier scan had already recorded belongs to that scan: a scan holds
 * what it added. Returns 0, BPH_ERR_USAGE (no such scan), fn's nonzero
 * value, or a negative BPH_ERR_*.
 */
int bph_store_scan_services(struct bph_store *st, int64_t scan_id,
			    bph_store_service_fn fn, void *ctx);

/*
 * Stores one record (borrowed) under scan_id with its artifacts, atomically.
 * A record with seen == 0 is stamped with the current time. An
 * observation the store holds already (same address, port, state, time and
 * record) adds nothing. Returns 0 or a negative BPH_ERR_* (BPH_ERR_NOMEM,
 * BPH_ERR_NOSPACE, BPH_ERR_BUSY, BPH_ERR_DB, ...).
 */
int bph_store_put(struct bph_store *st, int64_t scan_id,
		  const struct bph_service *s);

/*
 * Stores the n records of v (borrowed) under scan_id in one transaction:
 * all of them or, on any error, none. Returns as bph_store_put().
 */
int bph_store_put_all(struct bph_store *st, int64_t scan_id,
		      const struct bph_service *v, size_t n);

/*
 * As bph_store_put_all, then, the records committed, hands fn each record
 * of v that the call added (not those the store held already, nor a
 * repeat within v) as bph_store_scan_services will give it back: the
 * record decoded from the JSON the store keeps, with the stored address,
 * port and time, every state, in (ip, port, seen) order (records of the
 * same address, port and time in v's order). A sweep's evaluation
 * gathers its run this way as the scan stores it (sweep/sweep.h,
 * struct bph_sweep_collector). fn's nonzero return stops the calls.
 * Returns as bph_store_put_all, or, the records stored, fn's nonzero
 * return or BPH_ERR_NOMEM.
 */
int bph_store_put_all_each(struct bph_store *st, int64_t scan_id,
			   const struct bph_service *v, size_t n,
			   bph_store_service_fn fn, void *ctx);

/*
 * Adds to g every host that answered (an open service in any scan) and every
 * artifact with its first and last time seen over all scans.
 */
int bph_store_load_graph(struct bph_store *st, struct bph_graph *g);

/*
 * bph_store_load_graph() with flags: BPH_LOAD_ONE_READER reads every table
 * on st's connection in one thread. Without it, a SQLite store is read by
 * two threads on two connections that share one snapshot (the same graph,
 * sooner), unless the caller has a transaction open on st or a writer
 * commits too often to start them together.
 */
#define BPH_LOAD_ONE_READER 0x1
int bph_store_load_graph_opt(struct bph_store *st, struct bph_graph *g,
			     unsigned flags);

/*
 * Writes a human-readable history of ip to out: each scan's services with
 * all their fingerprints (store_show.c); *rows counts the service rows
 * printed. Returns 0 (also when the host is unknown: out says so and
 * *rows is 0), BPH_ERR_USAGE when ip is not an IPv4 address, BPH_ERR_DB.
 */
int bph_store_show_host(struct bph_store *st, const char *ip, FILE *out,
			size_t *rows);

/* What an import did; counts only what was committed. */
struct bph_import_stats {
	size_t records; /* records read (JSON lines, ZGrab2 modules, ports) */
	size_t added;	/* of those, observations new to the store */
	size_t bad;	/* lines (nmap: ports and scripts) skipped as bad */
	uint64_t bytes; /* read from the file */
};

struct bph_import_opts {
	FILE *errout;  /* "path:line: message" for bad lines; NULL: quiet */
	bool progress; /* a progress line on errout (a terminal) */
	int threads;   /* parser threads; 0: one per CPU */
	/* SQLite: how many host-artifact pairs the import's last step merges
	 * at a time (its memory); 0: BPH_PUBLISH_CHUNK (store/db_int.h) */
	size_t merge_chunk;
};

/*
 * Imports path ("-": standard input; pipes work) as one scan of kind
 * "import": bphound JSON Lines, ZGrab2 JSON (lines with a "data" object;
 * store/import_zgrab.h) or nmap XML (store/import_nmap.h), told apart by
 * the first byte after an optional UTF-8 byte order mark and white space.
 * Read as a stream, parsed by o->threads workers, written in batches of one
 * transaction each: a crash keeps whole batches, and observations the
 * store already holds (the same file again, a re-run after a crash) add
 * nothing; an import that adds nothing leaves no scan behind. Bad lines
 * are reported and skipped. *stats holds what was committed, also on
 * failure. Returns 0, or with a message in err: BPH_ERR_USAGE (cannot
 * open path), BPH_ERR_FORMAT (not a format bphound imports, nothing but
 * bad lines, or nmap XML that is malformed or declares entities),
 * BPH_ERR_IO (read error), BPH_ERR_NOSPACE (full disk), BPH_ERR_NOMEM,
 * BPH_ERR_BUSY, BPH_ERR_REFUSED, BPH_ERR_DB.
 */
int bph_store_import_file(struct bph_store *st, const char *path,
			  const struct bph_import_opts *o,
			  struct bph_import_stats *stats, char *err,
			  size_t errlen);

/*
 * The import of path into a SQLite store that does not exist yet (where
 * names no file, path a regular one), built as where.importing-PID with
 * no journal and moved to where once complete: no reader sees it before,
 * and an import stopped before its end leaves no store (the next such
 * import removes the build a killed one left). A failed write leaves no
 * store either (stats count nothing); a bad line that ends the input keeps
 * what came before it, as bph_store_import_file() does. *done false: the
 * import did not happen here (where exists, path is a pipe, where's
 * folder cannot take the build) or another program created where
 * meanwhile; the caller imports the usual way. Returns as
 * bph_store_import_file(), and BPH_ERR_IO when the store could not be
 * placed.
 */
int bph_store_import_new(const char *where, const char *path,
			 const struct bph_import_opts *o,
			 struct bph_import_stats *stats, bool *done, char *err,
			 size_t errlen);

#endif

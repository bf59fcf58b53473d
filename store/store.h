/*
 * store.h - the embedded SQLite store of scans, services and artifacts.
 *
 * Every scan keeps its own rows: a later scan adds history, it never
 * overwrites. Each service row holds the full JSON of its record
 * (fingerprints/record_json.h); the artifacts table (scan_id, ip, port, kind,
 * value, seen) feeds the clustering. Writes run in transactions (and the
 * database in WAL mode), so a crash loses at most the record being written.
 * The schema version is kept in PRAGMA user_version.
 */
#ifndef BPH_STORE_STORE_H
#define BPH_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cluster/graph.h"
#include "fingerprints/record.h"

#define BPH_STORE_SCHEMA_VERSION 1

struct bph_store;

/*
 * Opens (creating it, its parent directories and the schema if needed) the
 * store at path. On success *out owns the handle. Returns 0, BPH_ERR_IO
 * (cannot create directories), BPH_ERR_DB (SQLite failed, or the file has
 * a newer schema); a message goes into err.
 */
int bph_store_open(const char *path, struct bph_store **out, char *err,
		   size_t errlen);
void bph_store_close(struct bph_store *st); /* NULL-safe */

/*
 * The default path, $XDG_DATA_HOME/bphound/bphound.db or
 * ~/.local/share/bphound/bphound.db; a new string the caller frees, NULL
 * when no home directory is known or on allocation failure.
 */
char *bph_store_default_path(void);

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
 * Stores one record (borrowed) under scan_id with its artifacts, atomically.
 * A record with seen == 0 is stamped with the current time.
 * Returns 0, BPH_ERR_NOMEM or BPH_ERR_DB.
 */
int bph_store_put(struct bph_store *st, int64_t scan_id,
		  const struct bph_service *s);

/*
 * Adds to g every host that answered (an open service in any scan) and every
 * artifact with its first and last time seen over all scans.
 */
int bph_store_load_graph(struct bph_store *st, struct bph_graph *g);

/*
 * Writes a human-readable history of ip to out: each scan's services with
 * all their fingerprints (store_show.c); *rows counts the service rows
 * printed. Returns 0 (also when the host is unknown: out says so and
 * *rows is 0), BPH_ERR_USAGE when ip is not an IPv4 address, BPH_ERR_DB.
 */
int bph_store_show_host(struct bph_store *st, const char *ip, FILE *out,
			size_t *rows);

/*
 * Imports path as one scan of kind "import": bphound JSON Lines, ZGrab2
 * JSON (lines with a "data" object; store/import_zgrab.h), or nmap XML
 * (a file with an <nmaprun> element; store/import_nmap.h). Bad lines are
 * reported to errout (may be NULL) as "path:line: message" and skipped;
 * *ok counts good lines (nmap XML: records stored), *bad bad lines (nmap
 * XML: skipped ports and scripts). Returns 0 when the file was read (even with
 * bad lines), BPH_ERR_IO when it cannot be read, BPH_ERR_DB.
 */
int bph_store_import_jsonl(struct bph_store *st, const char *path, FILE *errout,
			   size_t *ok, size_t *bad);

#endif

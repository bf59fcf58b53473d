/*
 * data_glue.h - where ranges/ (the data files and the in-memory lookups)
 * meets the store (store/data_store.h): importing a file as a snapshot,
 * and loading the current snapshots into an rdb. Shared by the command
 * files of cli/ (data, asinfo, rank, scan and pivot scoping, reports,
 * abuse reports), none of which calls another.
 */
#ifndef BPH_CLI_DATA_GLUE_H
#define BPH_CLI_DATA_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ranges/parse.h"
#include "ranges/rdb.h"

struct bph_store;

/* How to import or check a file. */
struct bph_data_file_opts {
	enum bph_kind kind; /* BPH_KIND_NONE: detect */
	const char *name; /* NULL: the kind's default (bph_data_default_name) */
	const char *date; /* NULL: from the file; else YYYY-MM-DD */
	bool strict;
	FILE *errout; /* malformed lines, "file:line: why" */
};

/*
 * The default snapshot name of a file: "spamhaus-drop", "dshield",
 * "feodo", "pfx2as", "as-rel", "as2org", "ip2asn", "delegated-<rir>",
 * RPSL's lower-cased source ("ripe"), a netset's or plain list's file name
 * without directories and extensions. Writes into buf (len bytes).
 */
void bph_data_default_name(enum bph_kind kind, const char *path,
			   const char *origin, char *buf, size_t len);

/*
 * Imports path into st as one snapshot (one transaction). res gets what
 * the parse found; *snap the snapshot's id. Returns 0, BPH_ERR_USAGE (bad
 * --date), BPH_ERR_FORMAT (kind not told, strict and a bad line, corrupt
 * compression: nothing stored), BPH_ERR_IO, or a store error; err says
 * why.
 */
int bph_data_import_file(struct bph_store *st, const char *path,
			 const struct bph_data_file_opts *o,
			 struct bph_parse_result *res, int64_t *snap, char *err,
			 size_t errlen);

/* Which kinds a caller needs loaded (bit 1u << enum bph_kind). */
#define BPH_KINDS(k)  (1u << (k))
#define BPH_KINDS_ALL 0xffffffffu
#define BPH_KINDS_ROUTING                                                      \
	(BPH_KINDS(BPH_KIND_PFX2AS) | BPH_KINDS(BPH_KIND_IP2ASN) |             \
	 BPH_KINDS(BPH_KIND_AS2ORG) | BPH_KINDS(BPH_KIND_DELEGATED))

/*
 * Loads into a new rdb the current snapshots of the kinds in mask: for
 * each kind, name and part (IPv4, IPv6, AS facts, organisations,
 * contacts, aut-nums) the newest snapshot (by date, then import) holding
 * it. *out is finished and owned by the caller (bph_rdb_free). Returns 0
 * (also with nothing loaded) or an error with err.
 */
int bph_data_load(struct bph_store *st, unsigned mask, struct bph_rdb **out,
		  char *err, size_t errlen);

/* The same from files (no store): each parsed with its kind detected. */
int bph_data_load_files(const char *const *paths, size_t n,
			struct bph_rdb **out, char *err, size_t errlen);

/*
 * Whether a snapshot (kind, name, date, id, parts) is current among all
 * the store's snapshots: fn(arg, s, current) for every snapshot in
 * bph_data_snapshots() order. Returns what the store returns.
 */
struct bph_data_snapshot;
int bph_data_each_snapshot(struct bph_store *st,
			   int (*fn)(void *arg,
				     const struct bph_data_snapshot *s,
				     unsigned current_parts),
			   void *arg);

#endif

/*
 * deny.c - `bphound export --format denylist|spamhaus|netset|nft|ipset|
 * stix-indicators [SEED | --cluster ID | --rank-file F] -o FILE`: the
 * hosts of a cluster of the store's clustering, or the units of a ranking
 * (bphound rank's CSV or JSON Lines) with the prefixes the store's data
 * gives them, each with the public list entries behind it, as a deny list
 * (abuse/denylist.h) in FILE and FILE.provenance.json. docs/guide.md
 * "Deny lists" shows a session.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abuse/addrlist.h"
#include "abuse/case.h"
#include "abuse/denylist.h"
#include "abuse/lookup_ranges.h"
#include "abuse/rankfile.h"
#include "cli/data_glue.h"
#include "cli/version.h"
#include "cluster/cluster.h"
#include "fingerprints/err.h"
#include "store/store.h"

/* Most entries a deny list may hold (a ranking of /24s of a large AS is
 * well below). */
#define MAX_ENTRIES 1000000

bool bph_cli_deny_asked(const struct bph_opts *o)
{
	return bph_cli_format_kind(o->format) == BPH_FMT_DENY ||
	       o->cluster_id || o->rank_file || o->allowlist || o->min_prefix ||
	       o->valid_days || o->allow_reserved;
}

/* The deny-list options given with another format, or a missing piece. */
static int check_args(const struct bph_opts *o)
{
	int picks = (o->n_args > 0) + (o->cluster_id > 0) + !!o->rank_file;
	if (!o->format || !o->out_file) {
		fputs("bphound export: --format FMT and -o FILE are required\n",
		      stderr);
		return BPH_EXIT_USAGE;
	}
	if (bph_cli_format_kind(o->format) != BPH_FMT_DENY) {
		fprintf(stderr,
			"bphound export: --cluster, --rank-file, "
			"--allowlist, --min-prefix, --valid-days and "
			"--allow-reserved are for the deny-list formats, not "
			"%s\n",
			o->format);
		return BPH_EXIT_USAGE;
	}
	if (picks != 1 || o->n_args > 1) {
		fprintf(stderr,
			"bphound export: --format %s takes one of SEED, "
			"--cluster ID or --rank-file FILE\n",
			o->format);
		return BPH_EXIT_USAGE;
	}
	if (!strcmp(o->out_file, "-")) {
		fputs("bphound export: a deny list needs -o FILE (its "
		      "provenance goes beside it, in FILE.provenance.json)\n",
		      stderr);
		return BPH_EXIT_USAGE;
	}
	return bph_cli_check_output(o->cmd, o->format, o->out_file);
}

static struct bph_denylist *new_list(const char *name, const char *tag)
{
	char gen[64];
	snprintf(gen, sizeof(gen), "bphound %s", bph_version());
	return bph_denylist_new(name, tag, gen);
}

/* The cluster of SEED or --cluster ID, its hosts as sources. */
static int add_cluster(const struct bph_opts *o, struct bph_store *st,
		       struct bph_denylist **d)
{
	struct bph_clustering *c = NULL;
	struct bph_abuse_case *k = NULL;
	const char *seed = o->n_args ? o->args[0] : NULL;
	char name[160], tag[32];
	long ci;
	int rc, status = bph_cli_clustering(o, st, &c);
	if (status)
		return status;
	ci = bph_abuse_case_find(c, seed, (uint32_t)o->cluster_id);
	if (ci < 0) {
		if (seed)
			fprintf(stderr,
				"bphound export: %s is not an answering "
				"host in the store\n",
				seed);
		else
			fprintf(stderr,
				"bphound export: no cluster %llu (bphound "
				"cluster lists them)\n",
				(unsigned long long)o->cluster_id);
		bph_clustering_free(c);
		return BPH_EXIT_USAGE;
	}
	rc = bph_abuse_case_new(c, (size_t)ci, &k);
	if (!rc) {
		snprintf(name, sizeof(name), "cluster %u%s%s", k->cluster,
			 seed ? " of " : "", seed ? seed : "");
		snprintf(tag, sizeof(tag), "bph_c%u", k->cluster);
		*d = new_list(name, tag);
		rc = *d ? bph_abuse_case_deny(k, *d) : BPH_ERR_NOMEM;
	}
	bph_abuse_case_free(k);
	bph_clustering_free(c);
	return rc ? bph_cli_fail("export", rc, NULL) : 0;
}

/* The units of --rank-file as sources (ASes and organisations through
 * the store's pfx2as and as2org). */
static int add_ranking(const struct bph_opts *o, const struct bph_rdb *db,
		       struct bph_denylist **d)
{
	struct bph_rank_unit *u = NULL;
	size_t n = 0, unmatched = 0;
	char err[512] = "", name[160];
	int rc = bph_rankfile_load(o->rank_file, &u, &n, err, sizeof(err));
	if (rc)
		return bph_cli_fail("export --rank-file",
				    rc == BPH_ERR_IO ? BPH_ERR_USAGE : rc, err);
	snprintf(name, sizeof(name), "ranking %.120s (%zu units)", o->rank_file,
		 n);
	*d = new_list(name, "bph_rank");
	rc =
	    *d ? bph_abuse_deny_units(*d, u, n, db, &unmatched) : BPH_ERR_NOMEM;
	free(u);
	if (rc)
		return bph_cli_fail("export", rc, NULL);
	if (unmatched && !o->quiet)
		fprintf(stderr,
			"bphound export: %zu of %zu units route no prefix in "
			"the store's pfx2as (bphound data list)\n",
			unmatched, n);
	return 0;
}

/* The sources of the list, with the public list entries behind them. */
static int gather(const struct bph_opts *o, struct bph_denylist **d)
{
	struct bph_store *st = NULL;
	struct bph_rdb *db = NULL;
	char err[512] = "";
	int rc, status = bph_cli_open_store(o, &st) ? BPH_EXIT_FAIL : 0;
	if (!status &&
	    (rc = bph_data_load(st, BPH_KINDS_ALL, &db, err, sizeof(err))))
		status = bph_cli_fail("export: loading the data", rc, err);
	if (!status)
		status = o->rank_file ? add_ranking(o, db, d)
				      : add_cluster(o, st, d);
	if (!status && (rc = bph_abuse_deny_listings(*d, db)))
		status = bph_cli_fail("export", rc, NULL);
	bph_rdb_free(db);
	bph_store_close(st);
	return status;
}

static int load_allowlist(const struct bph_opts *o, struct bph_rangeset *allow)
{
	char err[512] = "";
	int rc;
	if (!o->allowlist)
		return 0;
	rc = bph_addrlist_load(o->allowlist, allow, NULL, err, sizeof(err));
	if (rc == BPH_ERR_IO)
		rc = BPH_ERR_USAGE; /* a path the user gave */
	return rc ? bph_cli_fail("export --allowlist", rc, err) : 0;
}

static int write_file(const struct bph_denylist *d, const char *fmt,
		      const char *path, bool provenance)
{
	const struct bph_deny_format *f = bph_deny_format_find(fmt);
	char err[256] = "";
	FILE *out = fopen(path, "w");
	int rc;
	if (!out) {
		fprintf(stderr, "bphound export: cannot write %s: %s\n", path,
			strerror(errno));
		return BPH_EXIT_USAGE;
	}
	rc = provenance
		 ? bph_denylist_write_provenance(d, fmt, out, err, sizeof(err))
		 : f->write(d, out, err, sizeof(err));
	if (fclose(out) && !rc)
		rc = BPH_ERR_IO;
	if (rc) {
		fprintf(stderr, "bphound export: %s: %s\n", path,
			err[0] ? err : bph_strerror(rc));
		return BPH_EXIT_FAIL;
	}
	return 0;
}

/* FireHOL's netset is IPv4 (its header says "ipv4 hash:net"): the IPv6
 * entries are counted in the file's header and named here, not dropped
 * in silence; the provenance keeps them. */
static void netset_note(const struct bph_opts *o, const struct bph_denylist *d)
{
	size_t v6 = 0;

	if (strcmp(o->format, "netset"))
		return;
	for (size_t i = 0; i < d->n_entries; i++)
		v6 += d->entries[i].cidr.family == 6;
	if (v6)
		fprintf(stderr,
			"bphound export: netset is IPv4 only: %zu IPv6 "
			"entries are not in %s (the other formats carry both "
			"families)\n",
			v6, o->out_file);
}

/* What was left out and why, then what was written. */
static void summary(const struct bph_opts *o, const struct bph_denylist *d,
		    const char *prov)
{
	char n4[40];
	size_t shown = 0;
	bph_u128_format(d->n_addresses[0], n4);
	for (size_t i = 0; i < d->n_sources && shown < 10; i++) {
		const struct bph_deny_source *s = &d->sources[i];
		char c[BPH_CIDR_STRLEN];
		if (!s->excluded)
			continue;
		bph_cidr_format(&s->cidr, c);
		fprintf(stderr, "bphound export: left out %s: %s\n", c,
			s->excluded);
		shown++;
	}
	if (d->n_excluded > shown)
		fprintf(stderr, "bphound export: ... and %zu more left out\n",
			d->n_excluded - shown);
	if (d->n_excluded && !d->allow_special)
		fputs("bphound export: special-purpose ranges (private, "
		      "documentation, benchmarking, ...) are left out unless "
		      "--allow-reserved\n",
		      stderr);
	fprintf(stderr,
		"bphound export: %zu entries (%s IPv4 addresses) from %zu "
		"sources of %s to %s, provenance in %s\n",
		d->n_entries, n4, d->n_sources, d->name, o->out_file, prov);
	netset_note(o, d);
}

static int build_and_write(const struct bph_opts *o, struct bph_denylist *d,
			   struct bph_rangeset *allow)
{
	struct bph_deny_build_opts bo = {
	    .min_len4 = o->min_prefix ? (unsigned)o->min_prefix : 24,
	    .allow_special = o->allow_reserved,
	    .allow = allow,
	    .generated = (int64_t)time(NULL),
	    .valid_days = o->valid_days ? (unsigned)o->valid_days : 30,
	    .max_entries = MAX_ENTRIES,
	};
	size_t n = strlen(o->out_file) + sizeof(".provenance.json");
	char *prov = malloc(n);
	int rc, status;
	bo.min_len6 = bo.min_len4 + 24;
	bph_rangeset_normalize(allow);
	if (!prov)
		return bph_cli_fail("export", BPH_ERR_NOMEM, NULL);
	snprintf(prov, n, "%s.provenance.json", o->out_file);
	rc = bph_denylist_build(d, &bo);
	if (rc == BPH_ERR_TOOBIG)
		fprintf(stderr,
			"bphound export: more than %d entries: raise "
			"--min-prefix or narrow the input\n",
			MAX_ENTRIES);
	status = rc ? bph_cli_status(rc) : 0;
	if (!status)
		status = write_file(d, o->format, o->out_file, false);
	if (!status)
		status = write_file(d, o->format, prov, true);
	if (!status && !o->quiet)
		summary(o, d, prov);
	free(prov);
	return status;
}

int bph_cli_deny_export(const struct bph_opts *o)
{
	struct bph_rangeset allow = {0};
	struct bph_denylist *d = NULL;
	int status = check_args(o);
	if (!status)
		status = load_allowlist(o, &allow);
	if (!status)
		status = gather(o, &d);
	if (!status)
		status = build_and_write(o, d, &allow);
	bph_denylist_free(d);
	bph_rangeset_free(&allow);
	return status;
}

/*
 * asn_targets.c - AS numbers as targets and pivot's AS scope (contract
 * in cli/asn_targets.h): the store's current pfx2as (and as2org) are
 * loaded only when a spec names an AS.
 */
#include "cli/asn_targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/data_glue.h"
#include "fingerprints/err.h"

bool bph_cli_asn_spec(const char *spec, uint32_t *asn)
{
	char *end;
	unsigned long long v;

	if (strncasecmp(spec, "AS", 2) || !spec[2] ||
	    strspn(spec + 2, "0123456789") != strlen(spec + 2) ||
	    strlen(spec + 2) > 10)
		return false;
	v = strtoull(spec + 2, &end, 10);
	*asn = (uint32_t)v;
	return v <= UINT32_MAX;
}

static bool any_asn(const struct bph_scan_job *job)
{
	uint32_t asn;
	for (size_t i = 0; i < job->n_targets; i++)
		if (bph_cli_asn_spec(job->targets[i], &asn))
			return true;
	return false;
}

/* The prefixes of one AS, as specs appended to x. */
struct gather {
	struct bph_asn_expansion *x;
	size_t cap, v4, v6;
	bph_u128 (*ranges)[2];
	size_t n_ranges, cap_ranges;
	int rc;
};

static int push_spec(struct gather *g, const char *s)
{
	struct bph_asn_expansion *x = g->x;

	if (x->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		char **v = realloc(x->specs, cap * sizeof(*v));
		if (!v)
			return BPH_ERR_NOMEM;
		x->specs = v;
		g->cap = cap;
	}
	if (!(x->specs[x->n] = strdup(s)))
		return BPH_ERR_NOMEM;
	x->n++;
	return 0;
}

static int add_prefix(const struct bph_range *p, void *arg)
{
	struct gather *g = arg;
	char buf[BPH_RANGE_STRLEN];

	if (p->fam != BPH_FAM_V4) {
		g->v6++;
		return 0;
	}
	if (g->n_ranges == g->cap_ranges) {
		size_t cap = g->cap_ranges ? g->cap_ranges * 2 : 64;
		void *v = realloc(g->ranges, cap * sizeof(*g->ranges));
		if (!v)
			return BPH_ERR_NOMEM;
		g->ranges = v;
		g->cap_ranges = cap;
	}
	g->ranges[g->n_ranges][0] = p->first;
	g->ranges[g->n_ranges++][1] = p->last;
	g->v4++;
	bph_range_format(p, buf);
	return push_spec(g, buf);
}

static int pair_cmp(const void *a, const void *b)
{
	const bph_u128 *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Addresses covered by the gathered ranges, overlaps counted once. */
static double addresses(struct gather *g)
{
	double sum = 0;
	bph_u128 end = 0;
	bool any = false;

	if (g->n_ranges > 1)
		qsort(g->ranges, g->n_ranges, sizeof(*g->ranges), pair_cmp);
	for (size_t i = 0; i < g->n_ranges; i++) {
		bph_u128 a = g->ranges[i][0], b = g->ranges[i][1];
		if (any && a <= end)
			a = end + 1;
		if (a <= b)
			sum += (double)(b - a) + 1.0;
		if (!any || b > end)
			end = b;
		any = true;
	}
	return sum;
}

static int expand_asn(const struct bph_rdb *db, const char *spec, uint32_t asn,
		      struct gather *g)
{
	size_t before = g->v4;
	int rc = bph_rdb_prefixes_of(db, asn, add_prefix, g);

	if (rc)
		return rc;
	if (g->v4 == before) {
		fprintf(stderr,
			"bphound: %s originates no IPv4 prefix in the "
			"store's newest pfx2as snapshot\n",
			spec);
		return BPH_ERR_USAGE;
	}
	return 0;
}

static const char *pfx2as_date(const struct bph_rdb *db)
{
	for (size_t i = 0; i < bph_rdb_n_sources(db); i++)
		if (bph_rdb_source(db, i)->kind == BPH_KIND_PFX2AS)
			return bph_rdb_source(db, i)->date;
	return "?";
}

static int load_pfx2as(struct bph_store *st, unsigned mask, struct bph_rdb **db)
{
	char err[256] = "";
	int rc = bph_data_load(st, mask, db, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "bphound: %s\n", err);
		return rc;
	}
	if (!bph_rdb_has(*db, BPH_KIND_PFX2AS)) {
		fprintf(stderr, "bphound: AS targets need pfx2as data in the "
				"store (bphound data import FILE.pfx2as)\n");
		bph_rdb_free(*db);
		*db = NULL;
		return BPH_ERR_USAGE;
	}
	return 0;
}

static int check_size(const struct bph_scan_job *job, struct gather *g,
		      const struct bph_rdb *db)
{
	double n = addresses(g);
	uint64_t max = job->opts->max_targets;

	if (!job->opts->quiet || n > (double)max)
		fprintf(stderr,
			"bphound: the ASes expand to %zu IPv4 prefixes, %.0f "
			"addresses (pfx2as %s)%s%s\n",
			g->v4, n, pfx2as_date(db),
			g->v6 ? "; IPv6 prefixes left out: " : "",
			g->v6 ? "IPv4 scanning only" : "");
	if (n > (double)max) {
		fprintf(stderr,
			"bphound: that is more than --max-targets %llu: "
			"nothing was scanned (raise --max-targets, or give "
			"the prefixes you mean)\n",
			(unsigned long long)max);
		return BPH_ERR_USAGE;
	}
	return 0;
}

int bph_cli_asn_expand(struct bph_store *st, const struct bph_scan_job *job,
		       struct bph_scan_job *out, struct bph_asn_expansion *x)
{
	struct gather g = {.x = x};
	struct bph_rdb *db = NULL;
	uint32_t asn;
	int rc;

	memset(x, 0, sizeof(*x));
	*out = *job;
	if (!any_asn(job))
		return 0;
	if ((rc = load_pfx2as(st, BPH_KINDS(BPH_KIND_PFX2AS), &db)))
		return rc;
	for (size_t i = 0; !rc && i < job->n_targets; i++)
		rc = bph_cli_asn_spec(job->targets[i], &asn)
			 ? expand_asn(db, job->targets[i], asn, &g)
			 : push_spec(&g, job->targets[i]);
	if (!rc)
		rc = check_size(job, &g, db);
	bph_rdb_free(db);
	free(g.ranges);
	if (rc) {
		bph_cli_asn_expansion_free(x);
		return rc;
	}
	out->targets = (const char *const *)x->specs;
	out->n_targets = x->n;
	return 0;
}

void bph_cli_asn_expansion_free(struct bph_asn_expansion *x)
{
	for (size_t i = 0; x && i < x->n; i++)
		free(x->specs[i]);
	if (x)
		free(x->specs);
	if (x)
		memset(x, 0, sizeof(*x));
}

static void add_as(char (*out)[16], size_t max, size_t *n, uint32_t asn)
{
	char s[16];

	snprintf(s, sizeof(s), "AS%u", asn);
	for (size_t i = 0; i < *n && i < max; i++)
		if (!strcmp(out[i], s))
			return;
	if (*n < max)
		memcpy(out[*n], s, sizeof(s));
	(*n)++;
}

int bph_cli_scope_asns(struct bph_store *st, const char *seed, bool siblings,
		       char (*out)[16], size_t max, size_t *n)
{
	struct bph_rdb *db = NULL;
	struct bph_route r;
	struct bph_addr a;
	uint32_t sib[256];
	int rc = load_pfx2as(
	    st, BPH_KINDS(BPH_KIND_PFX2AS) | BPH_KINDS(BPH_KIND_AS2ORG), &db);

	*n = 0;
	if (rc)
		return rc;
	if (bph_addr_parse(seed, strlen(seed), &a) ||
	    !bph_rdb_route(db, &a, &r) || r.from_ip2asn) {
		fprintf(stderr,
			"bphound: --scope asn: %s is in no prefix of "
			"the store's newest pfx2as snapshot\n",
			seed);
		bph_rdb_free(db);
		return BPH_ERR_USAGE;
	}
	for (size_t i = 0; i < r.n_origins; i++)
		add_as(out, max, n, r.origins[i].asn);
	for (size_t i = 0; siblings && i < r.n_origins; i++) {
		size_t k = bph_rdb_siblings(db, r.origins[i].asn, sib, 256);
		for (size_t j = 0; j < k && j < 256; j++)
			add_as(out, max, n, sib[j]);
	}
	bph_rdb_free(db);
	return 0;
}

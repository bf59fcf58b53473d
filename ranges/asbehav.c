/*
 * asbehav.c - AS behaviour signals from snapshot timelines and current
 * registry data (contracts and sources in ranges/asbehav.h). Timelines
 * are short (monthly as-rel, daily pfx2as for one AS), so runs are
 * found key by key with binary searches.
 */
#include "ranges/asbehav.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fingerprints/err.h"
#include "fingerprints/reserved.h"

static double days_of(const char *date)
{
	struct tm tm = {0};

	if (!date || strlen(date) != 10)
		return 0;
	tm.tm_year = atoi(date) - 1900;
	tm.tm_mon = atoi(date + 5) - 1;
	tm.tm_mday = atoi(date + 8);
	return (double)timegm(&tm) / 86400.0;
}

/* ---- runs of presence ---- */

/* Presence of key k in snapshot i, supplied by the caller. */
typedef bool (*present_fn)(const void *snaps, size_t i, const void *key);

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct runs {
	double *days;
	size_t n, cap, ongoing;
};

static int add_run(struct runs *r, double days, bool ongoing)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		double *d = realloc(r->days, cap * sizeof(*d));
		if (!d)
			return BPH_ERR_NOMEM;
		r->days = d;
		r->cap = cap;
	}
	r->days[r->n++] = days;
	r->ongoing += ongoing;
	return 0;
}

/* The runs of key over snaps[0..n) (dates from date_of). */
static int key_runs(const void *snaps, size_t n, const void *key,
		    present_fn present,
		    const char *(*date_of)(const void *, size_t),
		    struct runs *r)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < n;) {
		if (!present(snaps, i, key)) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && present(snaps, j, key))
			j++;
		bool ongoing = j == n;
		double end = days_of(date_of(snaps, ongoing ? n - 1 : j));
		rc = add_run(r, end - days_of(date_of(snaps, i)), ongoing);
		i = j;
	}
	return rc;
}

static void summarize_runs(struct runs *r, struct bph_lifetimes *out)
{
	memset(out, 0, sizeof(*out));
	out->runs = r->n;
	out->ongoing = r->ongoing;
	if (!r->n)
		return;
	if (r->n > 1)
		qsort(r->days, r->n, sizeof(*r->days), dbl_cmp);
	out->min_days = r->days[0];
	out->max_days = r->days[r->n - 1];
	out->median_days =
	    r->n % 2 ? r->days[r->n / 2]
		     : (r->days[r->n / 2 - 1] + r->days[r->n / 2]) / 2.0;
}

/* ---- providers ---- */

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static bool has_provider(const void *snaps, size_t i, const void *key)
{
	const struct bph_as_relsnap *s =
	    &((const struct bph_as_relsnap *)snaps)[i];
	return s->n &&
	       bsearch(key, s->providers, s->n, sizeof(uint32_t), u32_cmp);
}

static const char *rel_date(const void *snaps, size_t i)
{
	return ((const struct bph_as_relsnap *)snaps)[i].date;
}

static bool same_set(const struct bph_as_relsnap *a,
		     const struct bph_as_relsnap *b)
{
	return a->n == b->n &&
	       !memcmp(a->providers, b->providers, a->n * sizeof(uint32_t));
}

/* Every provider ever seen, sorted and distinct, into *all. */
static int all_providers(const struct bph_as_relsnap *rel, size_t n,
			 uint32_t **all, size_t *n_all)
{
	size_t total = 0, d = 0;

	for (size_t i = 0; i < n; i++)
		total += rel[i].n;
	*all = malloc((total ? total : 1) * sizeof(**all));
	if (!*all)
		return BPH_ERR_NOMEM;
	for (size_t i = 0, k = 0; i < n; i++)
		for (size_t j = 0; j < rel[i].n; j++)
			(*all)[k++] = rel[i].providers[j];
	qsort(*all, total, sizeof(**all), u32_cmp);
	for (size_t i = 0; i < total; i++)
		if (i == 0 || (*all)[i] != (*all)[i - 1])
			(*all)[d++] = (*all)[i];
	*n_all = d;
	return 0;
}

static void additions(const struct bph_as_relsnap *rel, size_t n,
		      struct bph_as_history *h)
{
	for (size_t i = 1; i < n; i++) {
		h->provider_changes += !same_set(&rel[i], &rel[i - 1]);
		for (size_t j = 0; j < rel[i].n; j++) {
			const uint32_t *p = &rel[i].providers[j];
			if (has_provider(rel, i - 1, p))
				continue;
			h->provider_additions++;
			bool seen = false;
			for (size_t k = 0; k + 1 < i && !seen; k++)
				seen = has_provider(rel, k, p);
			h->new_provider_additions += !seen;
		}
	}
	h->new_provider_share = h->provider_additions
				    ? (double)h->new_provider_additions /
					  (double)h->provider_additions
				    : 0;
}

static int rewiring(const struct bph_as_relsnap *rel, size_t n,
		    struct bph_as_history *h)
{
	uint32_t *all = NULL;
	size_t n_all = 0;
	struct runs r = {0};
	int rc = all_providers(rel, n, &all, &n_all);

	h->distinct_providers = n_all;
	additions(rel, n, h);
	for (size_t i = 0; !rc && i < n_all; i++)
		rc = key_runs(rel, n, &all[i], has_provider, rel_date, &r);
	summarize_runs(&r, &h->provider_links);
	free(r.days);
	free(all);
	return rc;
}

/* ---- prefixes ---- */

static int range_cmp(const void *a, const void *b)
{
	const struct bph_range *x = a, *y = b;
	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->last < y->last ? -1 : x->last > y->last;
}

static bool has_prefix(const void *snaps, size_t i, const void *key)
{
	const struct bph_as_pfxsnap *s =
	    &((const struct bph_as_pfxsnap *)snaps)[i];
	/* an AS with no prefix in a snapshot has NULL prefixes, which
	 * bsearch may not be given */
	return s->n && bsearch(key, s->prefixes, s->n, sizeof(struct bph_range),
			       range_cmp);
}

static const char *pfx_date(const void *snaps, size_t i)
{
	return ((const struct bph_as_pfxsnap *)snaps)[i].date;
}

static int all_prefixes(const struct bph_as_pfxsnap *pfx, size_t n,
			struct bph_range **all, size_t *n_all)
{
	size_t total = 0, d = 0;

	for (size_t i = 0; i < n; i++)
		total += pfx[i].n;
	*all = malloc((total ? total : 1) * sizeof(**all));
	if (!*all)
		return BPH_ERR_NOMEM;
	for (size_t i = 0, k = 0; i < n; i++)
		for (size_t j = 0; j < pfx[i].n; j++)
			(*all)[k++] = pfx[i].prefixes[j];
	qsort(*all, total, sizeof(**all), range_cmp);
	for (size_t i = 0; i < total; i++)
		if (i == 0 || range_cmp(&(*all)[i], &(*all)[i - 1]))
			(*all)[d++] = (*all)[i];
	*n_all = d;
	return 0;
}

static void uptime(const struct bph_as_pfxsnap *pfx, size_t n,
		   struct bph_as_history *h)
{
	size_t first = n, last = 0, up = 0, sightings = 0, moas = 0;

	for (size_t i = 0; i < n; i++) {
		if (!pfx[i].n)
			continue;
		first = first == n ? i : first;
		last = i;
		sightings += pfx[i].n;
		moas += pfx[i].n_moas;
	}
	for (size_t i = first; i < n && i <= last; i++) {
		up += pfx[i].n > 0;
		h->origin_drops += i > first && !pfx[i].n && pfx[i - 1].n;
	}
	if (last + 1 < n && first < n)
		h->origin_drops++; /* stopped before the last snapshot */
	h->uptime = first < n ? (double)up / (double)(last - first + 1) : 0;
	h->moas_share = sightings ? (double)moas / (double)sightings : 0;
}

static int origin_churn(const struct bph_as_pfxsnap *pfx, size_t n,
			struct bph_as_history *h)
{
	struct bph_range *all = NULL;
	size_t n_all = 0;
	struct runs r = {0};
	int rc = all_prefixes(pfx, n, &all, &n_all);

	h->distinct_prefixes = n_all;
	uptime(pfx, n, h);
	for (size_t i = 0; !rc && i < n_all; i++)
		rc = key_runs(pfx, n, &all[i], has_prefix, pfx_date, &r);
	summarize_runs(&r, &h->announcements);
	free(r.days);
	free(all);
	return rc;
}

int bph_as_history(const struct bph_as_relsnap *rel, size_t n_rel,
		   const struct bph_as_pfxsnap *pfx, size_t n_pfx,
		   struct bph_as_history *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->rel_snapshots = n_rel;
	out->pfx_snapshots = n_pfx;
	rc = rewiring(rel, n_rel, out);
	return rc ? rc : origin_churn(pfx, n_pfx, out);
}

/* ---- space ---- */

static double overlap(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	uint32_t lo = a > c ? a : c, hi = b < d ? b : d;
	return lo <= hi ? (double)(hi - lo) + 1.0 : 0;
}

void bph_as_space(const struct bph_rdb *db, const struct bph_range *prefixes,
		  size_t n, struct bph_as_space *out)
{
	double announced = 0, in24 = 0, bogon = 0, unassigned = 0;
	/* the bogon rows of fingerprints/reserved.c: what no AS should
	 * originate (disjoint, so overlaps add up) */
	uint32_t bogons[32][2];
	size_t n_bogons = bph_reserved_v4(bogons, 32, true);

	memset(out, 0, sizeof(*out));
	out->unassigned_known = bph_rdb_has(db, BPH_KIND_DELEGATED);
	for (size_t i = 0; i < n; i++) {
		const struct bph_range *p = &prefixes[i];
		bool covered = false;
		if (p->fam != BPH_FAM_V4) {
			out->prefixes_v6++;
			continue;
		}
		out->prefixes_v4++;
		for (size_t j = 0; j < n && !covered; j++) /* nested: once */
			covered = j != i && prefixes[j].fam == BPH_FAM_V4 &&
				  prefixes[j].first <= p->first &&
				  prefixes[j].last >= p->last &&
				  (prefixes[j].first != p->first ||
				   prefixes[j].last != p->last || j < i);
		double size = bph_range_size_d(p);
		bool small = bph_range_prefix_len(p) >= 24;
		out->prefixes_24 += small;
		if (covered)
			continue;
		announced += size;
		in24 += small ? size : 0;
		for (size_t b = 0; b < n_bogons && b < 32; b++)
			bogon += overlap((uint32_t)p->first, (uint32_t)p->last,
					 bogons[b][0], bogons[b][1]);
		double yes, no;
		bph_rdb_deleg_coverage(db, p, &yes, &no);
		unassigned += no;
	}
	out->v4_addresses = announced;
	out->share_in_24s = announced ? in24 / announced : 0;
	out->bogon_share = announced ? bogon / announced : 0;
	out->unassigned_share = announced ? unassigned / announced : 0;
}

/* ---- leased sub-allocations ---- */

static bool is_status(const char *s, const char *want)
{
	return !strcmp(s, want);
}

/* The inetnum that holds all of p, most specific first, or false. */
static bool holding_inetnum(const struct bph_rdb *db, const struct bph_range *p,
			    struct bph_inetnum *in)
{
	struct bph_addr a = {p->fam, p->first};
	bool ok = bph_rdb_inetnum(db, &a, in);

	while (ok && (in->net.first > p->first || in->net.last < p->last))
		ok = bph_rdb_inetnum_get(db, in->parent, in);
	return ok;
}

/* Whether asn is one of holders, their sibling, or their customer. */
static bool related(const struct bph_rdb *db, uint32_t asn,
		    const uint32_t *holders, size_t n)
{
	uint32_t prov[64], sib[64];
	size_t np = bph_rdb_neighbours(db, asn, BPH_REL_PROVIDERS, prov, 64);
	size_t ns = bph_rdb_siblings(db, asn, sib, 64);

	for (size_t i = 0; i < n; i++) {
		if (holders[i] == asn)
			return true;
		for (size_t j = 0; j < np && j < 64; j++)
			if (prov[j] == holders[i])
				return true;
		for (size_t j = 0; j < ns && j < 64; j++)
			if (sib[j] == holders[i])
				return true;
	}
	return false;
}

size_t bph_as_leased(const struct bph_rdb *db, uint32_t asn,
		     const struct bph_range *prefixes, size_t n,
		     struct bph_leased *out, size_t max)
{
	size_t found = 0;

	for (size_t i = 0; i < n; i++) {
		struct bph_inetnum leaf, root;
		uint32_t holders[64];
		if (!holding_inetnum(db, &prefixes[i], &leaf) ||
		    (!is_status(leaf.status, "SUB-ALLOCATED PA") &&
		     !is_status(leaf.status, "ASSIGNED PA")))
			continue;
		root = leaf;
		while (!is_status(root.status, "ALLOCATED PA") &&
		       bph_rdb_inetnum_get(db, root.parent, &root))
			;
		if (!is_status(root.status, "ALLOCATED PA") || !root.org[0])
			continue;
		size_t nh = bph_rdb_org_asns(db, root.org, holders, 64);
		if (nh == 0 || related(db, asn, holders, nh < 64 ? nh : 64))
			continue;
		if (found < max)
			out[found] =
			    (struct bph_leased){prefixes[i], leaf.id, root.id,
						root.org, holders[0]};
		found++;
	}
	return found;
}

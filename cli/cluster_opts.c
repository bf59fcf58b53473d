/*
 * cluster_opts.c - the clustering and community options (--threshold,
 * --max-share, --families, --common, --communities, --community-min,
 * --resolution), checked against the cluster module's names and ranges.
 * bph_opts_parse() runs the checks so that a pivot rejects a bad value
 * before it sends a packet; report.c applies them.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/community.h"
#include "fingerprints/err.h"

/* --threshold: a positive, finite score. */
static int opt_threshold(const char *s, struct bph_cluster_opts *co)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v > 0) || v > 1e9) {
		fprintf(stderr,
			"bphound: --threshold: '%s' is not a positive "
			"number\n",
			s);
		return BPH_ERR_USAGE;
	}
	co->threshold = v;
	return 0;
}

/* --max-share S,M,W: host-count caps for strong, medium, weak artifacts. */
static int opt_max_share(const char *s, struct bph_cluster_opts *co)
{
	unsigned long v[3];
	int used = 0;
	if (sscanf(s, "%lu,%lu,%lu%n", &v[0], &v[1], &v[2], &used) != 3 ||
	    s[used] || strchr(s, '-') || !v[0] || !v[1] || !v[2] ||
	    v[0] > UINT32_MAX || v[1] > UINT32_MAX || v[2] > UINT32_MAX) {
		fprintf(stderr,
			"bphound: --max-share: '%s' is not three "
			"positive host counts STRONG,MEDIUM,WEAK\n",
			s);
		return BPH_ERR_USAGE;
	}
	co->max_share[BPH_STRONG] = (uint32_t)v[0];
	co->max_share[BPH_MEDIUM] = (uint32_t)v[1];
	co->max_share[BPH_WEAK] = (uint32_t)v[2];
	return 0;
}

static int family_index(const char *name, size_t len)
{
	for (int f = 0; f < BPH_FAM_COUNT; f++) {
		const char *fn = bph_family_name((enum bph_family)f);
		if (strlen(fn) == len && !strncmp(fn, name, len))
			return f;
	}
	return -1;
}

/* --families a,b,c: only these families may link. */
static int opt_families(const char *s, struct bph_cluster_opts *co)
{
	bool on[BPH_FAM_COUNT] = {false};
	for (const char *p = s;; p++) {
		size_t len = strcspn(p, ",");
		int f = family_index(p, len);
		if (f < 0) {
			fprintf(stderr,
				"bphound: --families: '%.*s' is not a "
				"family (",
				(int)len, p);
			bph_cli_list_families(stderr, ",");
			fputs(")\n", stderr);
			return BPH_ERR_USAGE;
		}
		on[f] = true;
		p += len;
		if (!*p)
			break;
	}
	memcpy(co->family_on, on, sizeof(on));
	return 0;
}

/* Applies the clustering options of the command line to co. */
int bph_cli_cluster_opts(const struct bph_opts *o, struct bph_cluster_opts *co)
{
	char err[256] = "";
	if (o->threshold && opt_threshold(o->threshold, co))
		return BPH_ERR_USAGE;
	if (o->max_share && opt_max_share(o->max_share, co))
		return BPH_ERR_USAGE;
	if (o->families && opt_families(o->families, co))
		return BPH_ERR_USAGE;
	if (o->common_file && bph_cluster_opts_load_common(co, o->common_file,
							   err, sizeof(err))) {
		/* the user's file is bad input */
		fprintf(stderr, "bphound: %s\n", err);
		return BPH_ERR_USAGE;
	}
	return 0;
}

/* --communities leiden|louvain. */
static int opt_method(const char *s, struct bph_community_opts *cm)
{
	if (bph_community_method_parse(s, &cm->method)) {
		fprintf(stderr,
			"bphound: --communities: '%s' is not a method "
			"(leiden or louvain)\n",
			s);
		return BPH_ERR_USAGE;
	}
	return 0;
}

/* --community-min N: a host count of at least 2 (one host never splits). */
static int opt_community_min(const char *s, struct bph_community_opts *cm)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || strspn(s, "0123456789") != strlen(s) || errno || v < 2 ||
	    v > UINT32_MAX) {
		fprintf(stderr,
			"bphound: --community-min: '%s' is not a host "
			"count of at least 2\n",
			s);
		return BPH_ERR_USAGE;
	}
	cm->min_size = (uint32_t)v;
	return 0;
}

/* --resolution R: a positive, finite modularity resolution. */
static int opt_resolution(const char *s, struct bph_community_opts *cm)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v > 0) || v > 1e6) {
		fprintf(stderr,
			"bphound: --resolution: '%s' is not a positive "
			"number (at most 1e6)\n",
			s);
		return BPH_ERR_USAGE;
	}
	cm->resolution = v;
	return 0;
}

/* The tuning options without a method would silently do nothing, so
 * they are an error. */
int bph_cli_community_opts(const struct bph_opts *o,
			   struct bph_community_opts *cm)
{
	struct bph_community_opts check;
	const char *lone = o->community_min ? "--community-min"
			   : o->resolution  ? "--resolution"
					    : NULL;

	if (!o->communities && lone) {
		fprintf(stderr,
			"bphound: %s needs --communities leiden|louvain\n",
			lone);
		return BPH_EXIT_USAGE;
	}
	if (!cm)
		cm = &check;
	bph_community_opts_default(cm);
	if ((o->communities && opt_method(o->communities, cm)) ||
	    (o->community_min && opt_community_min(o->community_min, cm)) ||
	    (o->resolution && opt_resolution(o->resolution, cm)))
		return BPH_EXIT_USAGE;
	return 0;
}

int bph_cli_check_cluster_opts(const struct bph_opts *o)
{
	struct bph_cluster_opts co;
	int rc;

	if (!o->threshold && !o->max_share && !o->families && !o->common_file)
		return 0;
	bph_cluster_opts_default(&co);
	rc = bph_cli_cluster_opts(o, &co);
	bph_cluster_opts_clear(&co);
	return rc ? BPH_EXIT_USAGE : 0;
}

/*
 * cli_opts.c - argv to struct bph_opts, with a clear message for every
 * malformed value. Values are checked for syntax here; their meaning
 * (targets, ports, formats) is checked by the module that owns it.
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/community.h"
#include "fingerprints/err.h"
#include "scanner/progress.h"
#include "scanner/send.h"

enum {
	OPT_RATE = 256,
	OPT_DB,
	OPT_RANGES,
	OPT_IFACE,
	OPT_SOURCE_IP,
	OPT_GATEWAY_MAC,
	OPT_ALLOW_RESERVED,
	OPT_EXCLUDE,
	OPT_EXPORT,
	OPT_FORMAT,
	OPT_RETRIES,
	OPT_WAIT,
	OPT_TIMEOUT,
	OPT_SEED,
	OPT_SHARD,
	OPT_NO_PROBES,
	OPT_NO_JARM,
	OPT_JSON,
	OPT_EXPLAIN,
	OPT_MAX_CONN,
	OPT_SNI,
	OPT_COMMON,
	OPT_RESUME,
	OPT_BANDWIDTH,
	OPT_THRESHOLD,
	OPT_MAX_SHARE,
	OPT_FAMILIES,
	OPT_ARTIFACT_NODES,
	OPT_COMMUNITIES,
	OPT_COMMUNITY_MIN,
	OPT_RESOLUTION,
};

static const struct option long_opts[] = {
    {"ports", required_argument, NULL, 'p'},
    {"output", required_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"rate", required_argument, NULL, OPT_RATE},
    {"db", required_argument, NULL, OPT_DB},
    {"ranges", required_argument, NULL, OPT_RANGES},
    {"iface", required_argument, NULL, OPT_IFACE},
    {"source-ip", required_argument, NULL, OPT_SOURCE_IP},
    {"gateway-mac", required_argument, NULL, OPT_GATEWAY_MAC},
    {"allow-reserved", no_argument, NULL, OPT_ALLOW_RESERVED},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"export", required_argument, NULL, OPT_EXPORT},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"wait", required_argument, NULL, OPT_WAIT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"seed", required_argument, NULL, OPT_SEED},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"no-probes", no_argument, NULL, OPT_NO_PROBES},
    {"no-jarm", no_argument, NULL, OPT_NO_JARM},
    {"json", no_argument, NULL, OPT_JSON},
    {"explain", required_argument, NULL, OPT_EXPLAIN},
    {"max-connections", required_argument, NULL, OPT_MAX_CONN},
    {"sni", required_argument, NULL, OPT_SNI},
    {"common", required_argument, NULL, OPT_COMMON},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"bandwidth", required_argument, NULL, OPT_BANDWIDTH},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"max-share", required_argument, NULL, OPT_MAX_SHARE},
    {"families", required_argument, NULL, OPT_FAMILIES},
    {"artifact-nodes", no_argument, NULL, OPT_ARTIFACT_NODES},
    {"communities", required_argument, NULL, OPT_COMMUNITIES},
    {"community-min", required_argument, NULL, OPT_COMMUNITY_MIN},
    {"resolution", required_argument, NULL, OPT_RESOLUTION},
    {NULL, 0, NULL, 0},
};

void bph_usage(FILE *out)
{
	fputs(
	    "usage:\n"
	    "  bphound scan   TARGET... -p PORTS [--rate PPS] [--db FILE] "
	    "[-o FILE.jsonl]\n"
	    "  bphound pivot  SEED [--ranges CIDR,...] [-p PORTS] [--db "
	    "FILE] [--export FMT:FILE]...\n"
	    "                 [--explain HOST]\n"
	    "  bphound cluster [SEED] [--db FILE] [--json] [--export "
	    "FMT:FILE]... [--explain HOST]\n"
	    "  bphound export --format FMT [--db FILE] -o FILE "
	    "[--artifact-nodes]\n"
	    "  bphound import FILE [--db FILE]\n"
	    "  bphound show   HOST [--db FILE]\n"
	    "formats: json graphml gexf dot cytoscape stix csv\n"
	    "  --artifact-nodes (export, pivot --export): shared artifacts, "
	    "titles and\n  servers as nodes too, with host-artifact edges\n"
	    "scan options: --iface IF --source-ip IP --gateway-mac MAC "
	    "--allow-reserved\n"
	    "  --exclude FILE --retries N --wait MS|auto --timeout MS --seed N "
	    "--shard I/N\n"
	    "  --max-connections N --sni NAME --no-probes --no-jarm --quiet\n"
	    "  --bandwidth BPS[K|M|G] (instead of --rate) --resume (scan or "
	    "pivot:\n  continue the last interrupted one of --db)\n"
	    "clustering options: --common FILE --threshold SCORE\n"
	    "  --max-share STRONG,MEDIUM,WEAK\n"
	    "  --families "
	    "hostkey,x509,favicon,body,title,software,tcp,netblock\n"
	    "  --communities leiden|louvain (default off): split clusters of\n"
	    "  --community-min N hosts or more (default 50) into communities;\n"
	    "  --resolution R (default 0.1): larger gives smaller communities\n"
	    "see docs/guide.md\n",
	    out);
}

static int bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "bphound: %s: '%s' %s\n", opt, val, why);
	return BPH_EXIT_USAGE;
}

/* Strict unsigned parse: digits only, within [min, max]. */
static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max,
		     uint64_t *out)
{
	char *end;
	if (!*s || strspn(s, "0123456789") != strlen(s))
		return bad(opt, s, "is not a non-negative integer");
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || v < min || v > max) {
		char why[96];
		snprintf(why, sizeof(why),
			 "is out of range (%" PRIu64 "..%" PRIu64 ")", min,
			 max);
		return bad(opt, s, why);
	}
	*out = v;
	return 0;
}

static int parse_int(const char *opt, const char *s, int min, int max, int *out)
{
	uint64_t v;
	int rc = parse_u64(opt, s, (uint64_t)min, (uint64_t)max, &v);
	if (rc == 0)
		*out = (int)v;
	return rc;
}

static int parse_shard(const char *s, struct bph_opts *o)
{
	char a[24], b[24];
	const char *slash = strchr(s, '/');
	if (!slash || slash == s || strlen(slash + 1) == 0 ||
	    (size_t)(slash - s) >= sizeof(a) || strlen(slash + 1) >= sizeof(b))
		return bad("--shard", s, "is not I/N (e.g. 0/4)");
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	strcpy(b, slash + 1);
	uint64_t i, n;
	if (parse_u64("--shard", a, 0, 65534, &i) ||
	    parse_u64("--shard", b, 1, 65535, &n))
		return BPH_EXIT_USAGE;
	if (i >= n)
		return bad("--shard", s, "needs I < N (shards count from 0)");
	o->shard_index = (uint32_t)i;
	o->shard_count = (uint32_t)n;
	return 0;
}

static int parse_export(const char *s, struct bph_opts *o)
{
	const char *colon = strchr(s, ':');
	if (!colon || colon == s || !colon[1])
		return bad("--export", s,
			   "is not FORMAT:FILE (e.g. graphml:out.graphml)");
	if (o->n_exports == BPH_MAX_EXPORTS)
		return bad("--export", s, "exceeds the limit of 16 exports");
	char *fmt = strndup(s, (size_t)(colon - s));
	if (!fmt)
		return BPH_EXIT_FAIL;
	o->exports[o->n_exports].format = fmt; /* lives until exit */
	o->exports[o->n_exports].path = colon + 1;
	o->n_exports++;
	return 0;
}

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
				"family (hostkey,x509,favicon,body,"
				"title,software,tcp,netblock)\n",
				(int)len, p);
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

static int apply_opt(int c, const char *arg, struct bph_opts *o)
{
	uint64_t v;
	switch (c) {
	case 'p':
		o->ports = arg;
		return 0;
	case 'o':
		o->out_file = arg;
		o->out_jsonl = arg;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	case OPT_RATE:
		return parse_u64("--rate", arg, 1, 100000000, &o->rate);
	case OPT_DB:
		o->db = arg;
		return 0;
	case OPT_RANGES:
		o->ranges = arg;
		return 0;
	case OPT_IFACE:
		o->iface = arg;
		return 0;
	case OPT_SOURCE_IP:
		o->source_ip = arg;
		return 0;
	case OPT_GATEWAY_MAC:
		o->gateway_mac = arg;
		return 0;
	case OPT_ALLOW_RESERVED:
		o->allow_reserved = true;
		return 0;
	case OPT_EXCLUDE:
		o->exclude_file = arg;
		return 0;
	case OPT_EXPORT:
		return parse_export(arg, o);
	case OPT_FORMAT:
		o->format = arg;
		return 0;
	case OPT_RETRIES:
		return parse_int("--retries", arg, 0, 20, &o->retries);
	case OPT_WAIT:
		if (!strcmp(arg, "auto")) {
			o->wait_ms = -1;
			return 0;
		}
		return parse_int("--wait", arg, 0, 600000, &o->wait_ms);
	case OPT_TIMEOUT:
		return parse_int("--timeout", arg, 10, 600000, &o->timeout_ms);
	case OPT_MAX_CONN:
		return parse_int("--max-connections", arg, 1, 65536,
				 &o->max_connections);
	case OPT_SEED:
		if (parse_u64("--seed", arg, 0, UINT64_MAX, &v))
			return BPH_EXIT_USAGE;
		o->seed = v;
		o->seed_set = true;
		return 0;
	case OPT_SHARD:
		return parse_shard(arg, o);
	case OPT_NO_PROBES:
		o->no_probes = true;
		return 0;
	case OPT_NO_JARM:
		o->no_jarm = true;
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_EXPLAIN:
		o->explain = arg;
		return 0;
	case OPT_SNI:
		o->sni = arg;
		return 0;
	case OPT_COMMON:
		o->common_file = arg;
		return 0;
	case OPT_RESUME:
		o->resume = true;
		return 0;
	case OPT_THRESHOLD:
		o->threshold = arg;
		return 0;
	case OPT_MAX_SHARE:
		o->max_share = arg;
		return 0;
	case OPT_FAMILIES:
		o->families = arg;
		return 0;
	case OPT_ARTIFACT_NODES:
		o->artifact_nodes = true;
		return 0;
	case OPT_COMMUNITIES:
		o->communities = arg;
		return 0;
	case OPT_COMMUNITY_MIN:
		o->community_min = arg;
		return 0;
	case OPT_RESOLUTION:
		o->resolution = arg;
		return 0;
	case OPT_BANDWIDTH:
		if (bph_bandwidth_to_pps(arg, BPH_SYN_FRAME_LEN, &o->rate))
			return bad("--bandwidth", arg,
				   "is not a bit rate of at least one SYN a "
				   "second (e.g. 10M)");
		return 0;
	}
	return BPH_EXIT_USAGE;
}

static void opts_defaults(struct bph_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rate = 10000;
	o->retries = 1;
	o->wait_ms = -1; /* auto: adapted to the round trips, 2 s at most */
	o->timeout_ms = 5000;
	o->max_connections = 512;
	o->shard_count = 1;
}

int bph_opts_parse(int argc, char **argv, struct bph_opts *o)
{
	opts_defaults(o);
	if (argc < 2) {
		bph_usage(stderr);
		return BPH_EXIT_USAGE;
	}
	o->cmd = argv[1];
	if (!strcmp(o->cmd, "-h") || !strcmp(o->cmd, "--help")) {
		o->cmd = "help";
		return 0;
	}
	/* GNU getopt permutes, so options may follow positionals
	 * ("pivot SEED -p 22"); argv[1] (the subcommand) acts as argv[0]. */
	int sub_argc = argc - 1;
	char **sub_argv = argv + 1;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(sub_argc, sub_argv, "p:o:qh", long_opts,
				NULL)) != -1) {
		if (c == 'h') {
			o->cmd = "help";
			return 0;
		}
		if (c == '?' || c == ':') {
			fprintf(stderr,
				"bphound: %s: unknown option or missing value "
				"(try bphound --help)\n",
				sub_argv[optind - 1]);
			return BPH_EXIT_USAGE;
		}
		int rc = apply_opt(c, optarg, o);
		if (rc)
			return rc;
	}
	o->args = (const char **)(sub_argv + optind);
	o->n_args = (size_t)(sub_argc - optind);
	if (bph_cli_check_cluster_opts(o))
		return BPH_EXIT_USAGE;
	return bph_cli_community_opts(o, NULL);
}

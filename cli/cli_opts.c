/*
 * cli_opts.c - bphound's command-line grammar: one table of commands and
 * one table of options (redis's config.c table is the model), from which
 * the parser, --help, the man page and the shell completions (cli_help.c)
 * are all generated. Adding an option is one row here plus its field in
 * struct bph_opts (cli/cli.h); docs/contributing.md has the recipe.
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ranges/parse.h"
#include "scanner/progress.h"
#include "scanner/send.h"

#define F(field) offsetof(struct bph_opts, field)

/* Which commands take an option: one bit per command of bph_commands[]. */
#define C(id)	   (1u << (id))
#define C_SCAN	   (C(BPH_CMD_SCAN) | C(BPH_CMD_PIVOT))
#define C_CLUSTER  (C(BPH_CMD_PIVOT) | C(BPH_CMD_CLUSTER) | C(BPH_CMD_EXPORT))
#define C_CLUSTERS (C_CLUSTER | C(BPH_CMD_SHOW) | C(BPH_CMD_REPORT))
#define C_DATA	   (C(BPH_CMD_DATA) | C(BPH_CMD_ASINFO) | C(BPH_CMD_RANK))
#define C_DB                                                                   \
	(C_SCAN | C(BPH_CMD_CLUSTER) | C(BPH_CMD_EXPORT) | C(BPH_CMD_IMPORT) | \
	 C(BPH_CMD_SHOW) | C_DATA | C(BPH_CMD_REPORT) | C(BPH_CMD_SWEEP) |     \
	 C(BPH_CMD_DIFF))

const struct bph_command bph_commands[] = {
    [BPH_CMD_SCAN] = {"scan", bph_cmd_scan, "TARGET... -p PORTS [OPTION]...",
		      "SYN-scan targets, fingerprint every open service, store "
		      "it"},
    [BPH_CMD_PIVOT] = {"pivot", bph_cmd_pivot, "SEED [OPTION]...",
		       "scan a seed host's neighbourhood and report the "
		       "hosts linked to it"},
    [BPH_CMD_CLUSTER] = {"cluster", bph_cmd_cluster, "[SEED] [OPTION]...",
			 "cluster what the store holds, without a packet"},
    [BPH_CMD_EXPORT] =
	{"export", bph_cmd_export,
	 "--format FMT [SEED | --cluster ID] -o FILE [OPTION]...",
	 "write the store's clustering for another tool or a "
	 "browser (html: the SEED's cluster), or one cluster as "
	 "a deny list"},
    [BPH_CMD_IMPORT] = {"import", bph_cmd_import, "FILE [OPTION]...",
			"load bphound JSON Lines, ZGrab2 JSON or nmap XML"},
    [BPH_CMD_SHOW] = {"show", bph_cmd_show, "HOST [OPTION]...",
		      "a host's history and its cluster's evidence"},
    [BPH_CMD_DATA] = {"data", bph_cmd_data,
		      "import|list|check|expand [FILE|TARGET]... [OPTION]...",
		      "load routing, registry and deny-list files as dated "
		      "snapshots, list them, check a file, or show what AS "
		      "targets expand to"},
    [BPH_CMD_ASINFO] = {"asinfo", bph_cmd_asinfo, "AS [OPTION]...",
			"an AS's names, prefixes, providers, customers, "
			"peers and, with --history, how it behaved"},
    [BPH_CMD_RANK] = {"rank", bph_cmd_rank, "[OPTION]...",
		      "rank prefixes, ASes or organisations by deny-list "
		      "density and linked hosts"},
    [BPH_CMD_REPORT] = {"report", bph_cmd_report,
			"SEED | --cluster ID --outdir DIR --contact EMAIL "
			"[OPTION]...",
			"write abuse reports of a cluster to its provider and "
			"upstreams as .eml files (never sent)"},
    [BPH_CMD_SWEEP] =
	{"sweep", bph_cmd_sweep,
	 "run NAME|--config FILE [--db FILE] [--wait SECS] [--no-notify] | "
	 "show NAME | list | history NAME [--json] | timer NAME",
	 "one run of a scheduled sweep (diff, watches, notifications), or "
	 "its config, runs and timer"},
    [BPH_CMD_DIFF] = {"diff", bph_cmd_diff,
		      "[--sweep NAME | --config FILE] [--from RUN] [--to RUN] "
		      "[--format text|jsonl|json] [--exit-code] [--db FILE]",
		      "what changed between two complete runs of a sweep"},
    [BPH_CMD_WATCH] = {"watch", bph_cmd_watch, "check FILE...",
		       "validate watch files (bphound YAML or Zeek intel)"},
    [BPH_CMD_COUNT] = {NULL, NULL, NULL, NULL},
};

static int parse_shard(const char *s, struct bph_opts *o);
static int parse_export(const char *s, struct bph_opts *o);
static int parse_wait(const char *s, struct bph_opts *o);
static int parse_seed(const char *s, struct bph_opts *o);
static int parse_bandwidth(const char *s, struct bph_opts *o);
static int parse_output(const char *s, struct bph_opts *o);
static int parse_kind(const char *s, struct bph_opts *o);
static int parse_date(const char *s, struct bph_opts *o);
static int parse_rank_by(const char *s, struct bph_opts *o);
static int parse_scope(const char *s, struct bph_opts *o);
static int parse_to(const char *s, struct bph_opts *o);

/* clang-format off */
const struct bph_optdef bph_optdefs[] = {
    /* scanning */
    {"ports", 'p', BPH_OPT_STR, F(ports), 0, 0, NULL, "PORTS", C_SCAN,
     "ports or ranges to probe, e.g. 22,80,443,8000-8100"},
    {"ranges", 0, BPH_OPT_STR, F(ranges), 0, 0, NULL, "CIDR,...",
     C(BPH_CMD_PIVOT), "ranges to sweep instead of the seed's /24"},
    {"rate", 0, BPH_OPT_U64, F(rate), 1, 100000000, NULL, "PPS", C_SCAN,
     "SYN packets per second (default 10000)"},
    {"bandwidth", 0, BPH_OPT_FN, 0, 0, 0, parse_bandwidth, "BPS[K|M|G]",
     C_SCAN, "send rate as a bit rate, instead of --rate"},
    {"iface", 0, BPH_OPT_STR, F(iface), 0, 0, NULL, "IF", C_SCAN,
     "interface to send from (default: from the routing table)"},
    {"source-ip", 0, BPH_OPT_STR, F(source_ip), 0, 0, NULL, "IP", C_SCAN,
     "source address (default: the interface's)"},
    {"gateway-mac", 0, BPH_OPT_STR, F(gateway_mac), 0, 0, NULL, "MAC",
     C_SCAN, "next hop's MAC address (default: from the neighbour table)"},
    {"allow-reserved", 0, BPH_OPT_FLAG, F(allow_reserved), 0, 0, NULL, NULL,
     C_SCAN | C(BPH_CMD_EXPORT),
     "also scan (export: keep in deny lists) reserved and special-purpose "
     "ranges"},
    {"exclude", 0, BPH_OPT_STR, F(exclude_file), 0, 0, NULL, "FILE", C_SCAN,
     "never scan the addresses and CIDRs listed in FILE"},
    {"allow-large", 0, BPH_OPT_FLAG, F(allow_large), 0, 0, NULL, NULL,
     C_SCAN | C(BPH_CMD_SWEEP),
     "scan more than 2^24 addresses (see --dry-run first)"},
    {"retries", 0, BPH_OPT_INT, F(retries), 0, 20, NULL, "N", C_SCAN,
     "SYN retransmissions to silent pairs (default 1)"},
    {"wait", 0, BPH_OPT_FN, 0, 0, 0, parse_wait, "MS|auto", C_SCAN |
     C(BPH_CMD_SWEEP), "how long to wait for late replies (default auto: "
     "from the RTTs); sweep run: SECS to wait for another run's lock"},
    {"timeout", 0, BPH_OPT_INT, F(timeout_ms), 10, 600000, NULL, "MS",
     C_SCAN, "time budget of one connection (default 5000)"},
    {"max-connections", 0, BPH_OPT_INT, F(max_connections), 1, 65536, NULL,
     "N", C_SCAN, "concurrent probe connections (default 512)"},
    {"max-per-host", 0, BPH_OPT_INT, F(max_per_host), 1, 1024, NULL, "N",
     C_SCAN, "probe connections to one address at once (default 4)"},
    {"max-per-net", 0, BPH_OPT_INT, F(max_per_net), 1, 65536, NULL, "N",
     C_SCAN, "probe connections to one /24 at once, fewer after a server "
     "there drops one (default 16)"},
    {"probe-retries", 0, BPH_OPT_INT, F(probe_retries), 0, 30, NULL, "N",
     C_SCAN, "retries of a probe connection refused, reset or closed "
     "before the banner (default 8)"},
    {"seed", 0, BPH_OPT_FN, 0, 0, 0, parse_seed, "N", C_SCAN,
     "permutation seed (the same on every shard)"},
    {"shard", 0, BPH_OPT_FN, 0, 0, 0, parse_shard, "I/N", C_SCAN,
     "scan only shard I of N (counting from 0)"},
    {"sni", 0, BPH_OPT_STR, F(sni), 0, 0, NULL, "NAME", C_SCAN,
     "server name to send in TLS handshakes"},
    {"user", 0, BPH_OPT_STR, F(user), 0, 0, NULL, "NAME", C_SCAN,
     "run the probes (every byte from the targets) as NAME (default: the "
     "user who ran sudo, else nobody)"},
    {"no-probes", 0, BPH_OPT_FLAG, F(no_probes), 0, 0, NULL, NULL, C_SCAN,
     "SYN scan only: no TLS, SSH or HTTP exchanges"},
    {"no-jarm", 0, BPH_OPT_FLAG, F(no_jarm), 0, 0, NULL, NULL, C_SCAN,
     "skip the ten JARM handshakes per TLS service"},
    {"resume", 0, BPH_OPT_FLAG, F(resume), 0, 0, NULL, NULL, C_SCAN,
     "continue the last interrupted scan (or pivot) of --db"},
    /* store and files */
    {"db", 0, BPH_OPT_STR, F(db), 0, 0, NULL, "FILE", C_DB,
     "the store (default ~/.local/share/bphound/bphound.db)"},
    {"output", 'o', BPH_OPT_FN, 0, 0, 0, parse_output, "FILE",
     C_SCAN | C(BPH_CMD_EXPORT),
     "scan, pivot: JSON Lines of every record; export: the file ('-': "
     "stdout)"},
    {"format", 0, BPH_OPT_STR, F(format), 0, 0, NULL, "FMT",
     C(BPH_CMD_EXPORT) | C(BPH_CMD_RANK) | C(BPH_CMD_DIFF),
     "export: the format (see FORMATS); rank: text, csv or jsonl; diff: "
     "text, jsonl or json"},
    {"export", 0, BPH_OPT_FN, 0, 0, 0, parse_export, "FMT:FILE",
     C(BPH_CMD_PIVOT) | C(BPH_CMD_CLUSTER),
     "also write the clustering as FMT to FILE (repeatable)"},
    {"artifact-nodes", 0, BPH_OPT_FLAG, F(artifact_nodes), 0, 0, NULL, NULL,
     C_CLUSTER, "exports: shared artifacts as nodes too"},
    {"json", 0, BPH_OPT_FLAG, F(json), 0, 0, NULL, NULL,
     C(BPH_CMD_PIVOT) | C(BPH_CMD_CLUSTER) | C(BPH_CMD_ASINFO) |
     C(BPH_CMD_SWEEP),
     "the report (sweep list, history) as JSON on stdout"},
    /* sweeps (cmd_sweep.c) */
    {"config", 0, BPH_OPT_STR, F(config), 0, 0, NULL, "FILE",
     C(BPH_CMD_SWEEP) | C(BPH_CMD_DIFF),
     "the sweep's config file instead of NAME's"},
    {"no-notify", 0, BPH_OPT_FLAG, F(no_notify), 0, 0, NULL, NULL,
     C(BPH_CMD_SWEEP), "sweep run: store the events, notify no one"},
    {"sweep", 0, BPH_OPT_STR, F(sweep), 0, 0, NULL, "NAME", C(BPH_CMD_DIFF),
     "the sweep whose runs to compare (default: the store's only one)"},
    {"from", 0, BPH_OPT_U64, F(from_run), 1, INT64_MAX, NULL, "RUN",
     C(BPH_CMD_DIFF), "the baseline (default: the complete run before --to)"},
    {"exit-code", 0, BPH_OPT_FLAG, F(exit_code), 0, 0, NULL, NULL,
     C(BPH_CMD_DIFF), "exit 3 when there are events, 0 when there are none"},
    {"explain", 0, BPH_OPT_STR, F(explain), 0, 0, NULL, "HOST",
     C(BPH_CMD_PIVOT) | C(BPH_CMD_CLUSTER),
     "why HOST is or is not in the seed's cluster"},
    /* deny lists (export --format denylist ...; cli/deny.c) */
    {"cluster", 0, BPH_OPT_U64, F(cluster_id), 1, UINT32_MAX, NULL, "ID",
     C(BPH_CMD_EXPORT) | C(BPH_CMD_REPORT),
     "deny lists, report: the cluster with this id instead of a SEED"},
    {"rank-file", 0, BPH_OPT_STR, F(rank_file), 0, 0, NULL, "FILE",
     C(BPH_CMD_EXPORT),
     "deny lists: the units of bphound rank --format csv|jsonl output"},
    {"allowlist", 0, BPH_OPT_STR, F(allowlist), 0, 0, NULL, "FILE",
     C(BPH_CMD_EXPORT), "deny lists: never list these addresses and CIDRs"},
    {"min-prefix", 0, BPH_OPT_INT, F(min_prefix), 8, 32, NULL, "N",
     C(BPH_CMD_EXPORT),
     "deny lists: no entry wider than /N (IPv6 /N+24; default 24)"},
    {"valid-days", 0, BPH_OPT_INT, F(valid_days), 1, 3650, NULL, "DAYS",
     C(BPH_CMD_EXPORT), "deny lists: expire after DAYS (default 30)"},
    /* abuse reports (cli/cmd_report.c) */
    {"outdir", 0, BPH_OPT_STR, F(outdir), 0, 0, NULL, "DIR",
     C(BPH_CMD_REPORT), "write the reports into DIR (made if missing)"},
    {"to", 0, BPH_OPT_FN, 0, 0, 0, parse_to, "provider,upstreams|RUN",
     C(BPH_CMD_REPORT) | C(BPH_CMD_DIFF),
     "report: recipients (default provider); diff: the run compared "
     "(default: the newest complete one)"},
    {"contact", 0, BPH_OPT_STR, F(contact), 0, 0, NULL, "URL|EMAIL",
     C_SCAN | C(BPH_CMD_SWEEP) | C(BPH_CMD_REPORT),
     "scan, pivot, sweep run: who runs the scan, in the HTTP User-Agent "
     "(bphound/VERSION (+CONTACT)); report: who reports, EMAIL or "
     "\"NAME <EMAIL>\""},
    {"type", 0, BPH_OPT_STR, F(report_type), 0, 0, NULL, "T",
     C(BPH_CMD_REPORT), "bph (default), c2, malware, phishing or blocklist"},
    {"dry-run", 0, BPH_OPT_FLAG, F(dry_run), 0, 0, NULL, NULL,
     C_SCAN | C(BPH_CMD_REPORT), "scan, pivot: print the target count, the "
     "ways out and the time at the rate, send nothing; report: list the "
     "recipients and how each was found"},
    /* clustering (cluster_opts.c checks the values) */
    {"common", 0, BPH_OPT_STR, F(common_file), 0, 0, NULL, "FILE",
     C_CLUSTERS, "more known-common artifacts (YAML, adds to the shipped list)"},
    {"threshold", 0, BPH_OPT_STR, F(threshold), 0, 0, NULL, "SCORE",
     C_CLUSTERS, "score a pair of hosts needs to link (default 3.0)"},
    {"max-share", 0, BPH_OPT_STR, F(max_share), 0, 0, NULL, "S,M,W",
     C_CLUSTERS, "host-count caps of strong, medium and weak artifacts"},
    {"families", 0, BPH_OPT_STR, F(families), 0, 0, NULL, "FAM,...",
     C_CLUSTERS, "only these artifact families may link (see FAMILIES)"},
    {"communities", 0, BPH_OPT_STR, F(communities), 0, 0, NULL,
     "leiden|louvain", C_CLUSTER,
     "split large clusters into communities (default off)"},
    {"community-min", 0, BPH_OPT_STR, F(community_min), 0, 0, NULL, "N",
     C_CLUSTER, "split clusters of N hosts or more (default 50)"},
    {"resolution", 0, BPH_OPT_STR, F(resolution), 0, 0, NULL, "R", C_CLUSTER,
     "community resolution, larger gives smaller ones (default 0.1)"},
    /* routing and list data (cmd_data.c, cmd_asinfo.c, cmd_rank.c) */
    {"kind", 0, BPH_OPT_FN, 0, 0, 0, parse_kind, "KIND", C(BPH_CMD_DATA),
     "data: the files' kind instead of detecting it (see KINDS)"},
    {"name", 0, BPH_OPT_STR, F(data_name), 0, 0, NULL, "NAME",
     C(BPH_CMD_DATA), "data import: the snapshot's name (default: the kind's)"},
    {"date", 0, BPH_OPT_FN, 0, 0, 0, parse_date, "YYYY-MM-DD",
     C(BPH_CMD_DATA), "data import: the snapshot's date (default: the file's)"},
    {"strict", 0, BPH_OPT_FLAG, F(strict), 0, 0, NULL, NULL, C(BPH_CMD_DATA),
     "data: the first malformed line is fatal (nothing is loaded)"},
    {"history", 0, BPH_OPT_FLAG, F(history), 0, 0, NULL, NULL,
     C(BPH_CMD_ASINFO), "timelines and signals over every snapshot"},
    {"by", 0, BPH_OPT_FN, 0, 0, 0, parse_rank_by, "prefix|asn|org",
     C(BPH_CMD_RANK), "the unit to rank (default asn)"},
    {"lists", 0, BPH_OPT_STR, F(lists), 0, 0, NULL, "NAME,...",
     C(BPH_CMD_RANK), "only these lists (default: every loaded list)"},
    {"weights", 0, BPH_OPT_STR, F(weights), 0, 0, NULL, "FILE",
     C(BPH_CMD_RANK), "YAML of list weights (default: 1 each)"},
    {"top", 0, BPH_OPT_U64, F(top), 1, UINT32_MAX, NULL, "N",
     C(BPH_CMD_RANK), "only the N highest (default: all)"},
    {"scope", 0, BPH_OPT_FN, 0, 0, 0, parse_scope, "asn", C(BPH_CMD_PIVOT),
     "scan the seed's whole origin AS (from the newest pfx2as)"},
    {"scope-siblings", 0, BPH_OPT_FLAG, F(scope_siblings), 0, 0, NULL, NULL,
     C(BPH_CMD_PIVOT), "with --scope asn: also the ASes of its organisation"},
    {"max-targets", 0, BPH_OPT_U64, F(max_targets), 1, UINT32_MAX, NULL, "N",
     C_SCAN | C(BPH_CMD_DATA),
     "refuse an AS expansion above N addresses (default 1048576)"},
    /* every command */
    {"quiet", 'q', BPH_OPT_FLAG, F(quiet), 0, 0, NULL, NULL, ~0u,
     "no progress or summary lines on stderr"},
    {"help", 'h', BPH_OPT_FLAG, 0, 0, 0, NULL, NULL, ~0u,
     "this help (bphound COMMAND --help: the command's)"},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, 0, NULL},
};
_Static_assert(sizeof(bph_optdefs) / sizeof(bph_optdefs[0]) <=
		   BPH_MAX_OPTDEFS,
	       "bph_opts.given has no room for every option");
/* clang-format on */

static int bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "bphound: --%s: '%s' %s\n", opt, val, why);
	return BPH_EXIT_USAGE;
}

/* Strict unsigned parse: digits only, within [min, max]. */
static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max,
		     uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return bad(opt, s, "is not a non-negative integer");
	errno = 0;
	v = strtoull(s, &end, 10);
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

static int parse_shard(const char *s, struct bph_opts *o)
{
	char a[24], b[24];
	const char *slash = strchr(s, '/');
	uint64_t i, n;

	if (!slash || slash == s || strlen(slash + 1) == 0 ||
	    (size_t)(slash - s) >= sizeof(a) || strlen(slash + 1) >= sizeof(b))
		return bad("shard", s, "is not I/N (e.g. 0/4)");
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	strcpy(b, slash + 1);
	if (parse_u64("shard", a, 0, 65534, &i) ||
	    parse_u64("shard", b, 1, 65535, &n))
		return BPH_EXIT_USAGE;
	if (i >= n)
		return bad("shard", s, "needs I < N (shards count from 0)");
	o->shard_index = (uint32_t)i;
	o->shard_count = (uint32_t)n;
	return 0;
}

static int parse_export(const char *s, struct bph_opts *o)
{
	const char *colon = strchr(s, ':');
	char *fmt;

	if (!colon || colon == s || !colon[1])
		return bad("export", s,
			   "is not FORMAT:FILE (e.g. graphml:out.graphml)");
	if (o->n_exports == BPH_MAX_EXPORTS)
		return bad("export", s, "exceeds the limit of 16 exports");
	fmt = strndup(s, (size_t)(colon - s));
	if (!fmt)
		return BPH_EXIT_FAIL;
	o->exports[o->n_exports].format = fmt; /* main() frees it */
	o->exports[o->n_exports].path = colon + 1;
	o->n_exports++;
	return 0;
}

static int parse_wait(const char *s, struct bph_opts *o)
{
	uint64_t v;

	if (!strcmp(o->cmd, "sweep")) { /* seconds to wait for the lock */
		if (parse_u64("wait", s, 0, 86400, &v))
			return BPH_EXIT_USAGE;
		o->lock_wait_s = (int)v;
		return 0;
	}
	if (!strcmp(s, "auto")) {
		o->wait_ms = -1;
		return 0;
	}
	if (parse_u64("wait", s, 0, 600000, &v))
		return BPH_EXIT_USAGE;
	o->wait_ms = (int)v;
	return 0;
}

/* report --to provider,upstreams; diff --to RUN */
static int parse_to(const char *s, struct bph_opts *o)
{
	if (strcmp(o->cmd, "diff")) {
		o->to = s;
		return 0;
	}
	return parse_u64("to", s, 1, INT64_MAX, &o->to_run) ? BPH_EXIT_USAGE
							    : 0;
}

static int parse_seed(const char *s, struct bph_opts *o)
{
	if (parse_u64("seed", s, 0, UINT64_MAX, &o->seed))
		return BPH_EXIT_USAGE;
	o->seed_set = true;
	return 0;
}

static int parse_bandwidth(const char *s, struct bph_opts *o)
{
	if (bph_bandwidth_to_pps(s, BPH_SYN_FRAME_LEN, &o->rate))
		return bad("bandwidth", s,
			   "is not a bit rate of at least one SYN a second "
			   "(e.g. 10M)");
	return 0;
}

/* -o: the JSON Lines of scan and pivot, the file of export. */
static int parse_output(const char *s, struct bph_opts *o)
{
	o->out_file = s;
	o->out_jsonl = s;
	return 0;
}

static int parse_kind(const char *s, struct bph_opts *o)
{
	if (bph_kind_from_name(s) == BPH_KIND_NONE)
		return bad(
		    "kind", s,
		    "is not a kind (pfx2as ip2asn asrel as2org delegated "
		    "rpsl drop asndrop netset plain feodo dshield)");
	o->data_kind = s;
	return 0;
}

static int parse_date(const char *s, struct bph_opts *o)
{
	char d[11];

	if (strlen(s) != 10 || !bph_find_date(s, d) || strcmp(d, s))
		return bad("date", s, "is not a date YYYY-MM-DD");
	o->data_date = s;
	return 0;
}

static int parse_rank_by(const char *s, struct bph_opts *o)
{
	if (strcmp(s, "prefix") && strcmp(s, "asn") && strcmp(s, "org"))
		return bad("by", s, "is not prefix, asn or org");
	o->rank_by = s;
	return 0;
}

static int parse_scope(const char *s, struct bph_opts *o)
{
	if (strcmp(s, "asn"))
		return bad("scope", s, "is not asn");
	o->scope = s;
	return 0;
}

/* Stores arg into the field def names, checking its range. */
static int apply_opt(const struct bph_optdef *d, const char *arg,
		     struct bph_opts *o)
{
	char *field = (char *)o + d->offset;
	uint64_t v;

	switch (d->kind) {
	case BPH_OPT_STR:
		*(const char **)field = arg;
		return 0;
	case BPH_OPT_FLAG:
		*(bool *)field = true;
		return 0;
	case BPH_OPT_U64:
		return parse_u64(d->name, arg, d->min, d->max,
				 (uint64_t *)field);
	case BPH_OPT_INT:
		if (parse_u64(d->name, arg, d->min, d->max, &v))
			return BPH_EXIT_USAGE;
		*(int *)field = (int)v;
		return 0;
	case BPH_OPT_FN:
		return d->parse(arg, o);
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
	o->max_per_host = 4;
	o->max_per_net = 16;
	o->probe_retries = 8;
	o->shard_count = 1;
	o->max_targets = 1u << 20;
}

const struct bph_command *bph_command_find(const char *name)
{
	for (size_t i = 0; bph_commands[i].name; i++)
		if (!strcmp(bph_commands[i].name, name))
			return &bph_commands[i];
	return NULL;
}

/* getopt_long's table and short-option string, built from bph_optdefs;
 * val is the row's index + 256 so that short and long names meet. */
static void getopt_tables(struct option *lo, char *shorts)
{
	size_t n = 0, k = 0;

	for (; bph_optdefs[n].name; n++) {
		const struct bph_optdef *d = &bph_optdefs[n];
		bool arg = d->kind != BPH_OPT_FLAG;
		lo[n] = (struct option){d->name,
					arg ? required_argument : no_argument,
					NULL, (int)n + 256};
		if (d->short_name) {
			shorts[k++] = d->short_name;
			if (arg)
				shorts[k++] = ':';
		}
	}
	lo[n] = (struct option){NULL, 0, NULL, 0};
	shorts[k] = '\0';
}

static const struct bph_optdef *def_of(int c)
{
	if (c >= 256)
		return &bph_optdefs[c - 256];
	for (size_t i = 0; bph_optdefs[i].name; i++)
		if (bph_optdefs[i].short_name == c)
			return &bph_optdefs[i];
	return NULL;
}

/* Applies one parsed option, refusing one that cmd does not take. */
static int take_opt(const struct bph_command *cmd, int c, const char *arg,
		    const char *spelled, struct bph_opts *o)
{
	const struct bph_optdef *d = def_of(c);
	unsigned bit = C((unsigned)(cmd - bph_commands));

	if (!d) {
		fprintf(stderr,
			"bphound %s: %s: unknown option or missing value "
			"(try bphound %s --help)\n",
			cmd->name, spelled, cmd->name);
		return BPH_EXIT_USAGE;
	}
	if (!(d->cmds & bit)) {
		fprintf(stderr,
			"bphound %s: --%s does not apply to %s (try bphound "
			"%s --help)\n",
			cmd->name, d->name, cmd->name, cmd->name);
		return BPH_EXIT_USAGE;
	}
	if (!bph_opt_given(o, d->name)) /* room: the _Static_assert */
		o->given[o->n_given++] = d->name;
	if (d->short_name == 'h') {
		o->help = true;
		return 0;
	}
	return apply_opt(d, arg, o);
}

static int parse_command_args(const struct bph_command *cmd, int argc,
			      char **argv, struct bph_opts *o)
{
	size_t n = sizeof(bph_optdefs) / sizeof(bph_optdefs[0]);
	struct option lo[sizeof(bph_optdefs) / sizeof(bph_optdefs[0])];
	char shorts[2 * n + 1];
	int c;

	getopt_tables(lo, shorts);
	/* GNU getopt permutes, so options may follow positionals
	 * ("pivot SEED -p 22"); argv[0] is the subcommand. */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		int rc = take_opt(cmd, c == '?' || c == ':' ? -1 : c, optarg,
				  argv[optind - 1], o);
		if (rc)
			return rc;
	}
	o->args = (const char **)(argv + optind);
	o->n_args = (size_t)(argc - optind);
	return 0;
}

int bph_opts_parse(int argc, char **argv, struct bph_opts *o)
{
	const struct bph_command *cmd;
	int rc;

	opts_defaults(o);
	if (argc < 2) {
		bph_cli_help(stderr, NULL);
		return BPH_EXIT_USAGE;
	}
	o->cmd = argv[1];
	if (!strcmp(o->cmd, "-h") || !strcmp(o->cmd, "--help") ||
	    !strcmp(o->cmd, "--version") || !strcmp(o->cmd, "help") ||
	    !strcmp(o->cmd, "version") || !strcmp(o->cmd, "completion")) {
		o->args = (const char **)(argv + 2);
		o->n_args = (size_t)(argc - 2);
		return 0;
	}
	cmd = bph_command_find(o->cmd);
	if (!cmd) {
		fprintf(stderr,
			"bphound: unknown command '%s' (try bphound --help)\n",
			o->cmd);
		return BPH_EXIT_USAGE;
	}
	rc = parse_command_args(cmd, argc - 1, argv + 1, o);
	if (rc || o->help)
		return rc;
	if (bph_cli_check_cluster_opts(o))
		return BPH_EXIT_USAGE;
	return bph_cli_community_opts(o, NULL);
}

/*
 * cli.h - command-line options and one entry point per subcommand.
 *
 * main() parses argv into a bph_opts (cli_opts.c) and dispatches; each
 * bph_cmd_* returns the process exit status (0 ok, 1 runtime failure,
 * 2 bad usage or bad input). Nothing else in bphound exits.
 */
#ifndef BPH_CLI_CLI_H
#define BPH_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BPH_EXIT_OK    0
#define BPH_EXIT_FAIL  1
#define BPH_EXIT_USAGE 2

#define BPH_MAX_EXPORTS 16

struct bph_export_req {
	const char *format; /* "json", "graphml", ... */
	const char *path;
};

/* Every option of every subcommand; argv strings are borrowed. */
struct bph_opts {
	const char *cmd;
	const char **args; /* positional arguments after the subcommand */
	size_t n_args;
	const char *ports;
	const char *ranges;
	const char *db;
	const char *out_jsonl;
	const char *iface;
	const char *source_ip;
	const char *gateway_mac;
	const char *exclude_file;
	const char *format;
	const char *out_file;
	const char *explain;
	const char *sni;
	const char *common_file;
	const char *threshold;	   /* clustering options, parsed by */
	const char *max_share;	   /* cli_opts.c against the cluster */
	const char *families;	   /* module's names and ranges */
	const char *communities;   /* community options, parsed by */
	const char *community_min; /* cli_opts.c against the community */
	const char *resolution;	   /* module's methods and ranges */
	uint64_t rate;
	uint64_t seed;
	bool seed_set;
	uint32_t shard_index, shard_count;
	int retries;
	int wait_ms;
	int timeout_ms;
	int max_connections;
	bool allow_reserved;
	bool no_probes;
	bool no_jarm;
	bool quiet;
	bool json;
	bool resume;	     /* scan --resume, pivot --resume */
	bool artifact_nodes; /* export, pivot --export: artifacts as nodes */
	struct bph_export_req exports[BPH_MAX_EXPORTS];
	size_t n_exports;
};

/* Parses argv; on error prints a message to stderr and returns BPH_EXIT_USAGE.
 */
int bph_opts_parse(int argc, char **argv, struct bph_opts *o);
void bph_usage(FILE *out);

struct bph_store;
/*
 * Clusters everything in the store, prints the seed's cluster (or, with a
 * NULL seed, every multi-host cluster), writes o->exports and, with
 * o->explain, why that host is or is not linked. Returns an exit status.
 */
int bph_cli_cluster_report(const struct bph_opts *o, struct bph_store *st,
			   const char *seed);
struct bph_community_opts;
/*
 * Fills cm (NULL: only checks) from o's --communities, --community-min
 * and --resolution (defaults for the rest). Returns 0, or BPH_EXIT_USAGE
 * after saying why on stderr. bph_opts_parse() runs it so that pivot
 * rejects bad values before sending a packet.
 */
int bph_cli_community_opts(const struct bph_opts *o,
			   struct bph_community_opts *cm);
/*
 * Checks --threshold, --max-share, --families and --common (the file is
 * loaded and parsed). Returns 0, or BPH_EXIT_USAGE after saying why on
 * stderr; bph_opts_parse() runs it so that pivot rejects them before
 * sending a packet.
 */
int bph_cli_check_cluster_opts(const struct bph_opts *o);
/* Opens o->db or the default store; prints why on failure (cli_util.c). */
int bph_cli_open_store(const struct bph_opts *o, struct bph_store **st);
struct bph_cluster_opts;
/* Applies --threshold, --max-share, --families and --common to co
 * (cli_opts.c). Returns 0, or BPH_ERR_USAGE after saying why on stderr. */
int bph_cli_cluster_opts(const struct bph_opts *o, struct bph_cluster_opts *co);
/*
 * Prints ip's cluster and its evidence to out, from a clustering of the
 * whole store with o's options (report.c). Returns an exit status.
 */
int bph_cli_show_cluster(const struct bph_opts *o, struct bph_store *st,
			 const char *ip, FILE *out);
/* Clusters the store with o's options and writes it as fmt to path ("-":
 * stdout) (report.c). Returns an exit status. */
int bph_cli_export(const struct bph_opts *o, struct bph_store *st,
		   const char *fmt, const char *path);

int bph_cmd_scan(const struct bph_opts *o);
int bph_cmd_pivot(const struct bph_opts *o);
int bph_cmd_cluster(const struct bph_opts *o);
int bph_cmd_export(const struct bph_opts *o);
int bph_cmd_import(const struct bph_opts *o);
int bph_cmd_show(const struct bph_opts *o);

#endif

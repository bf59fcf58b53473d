/*
 * cli.h - the bphound binary: its command and option tables, the options
 * struct every command reads, one entry point per command, and the
 * helpers the command files share.
 *
 * main() parses argv into a bph_opts (cli_opts.c, from the tables) and
 * dispatches; each bph_cmd_* returns the process exit status (0 ok, 1
 * runtime failure, 2 bad usage or bad input; see bph_cli_status()).
 * Nothing else in bphound exits. Files: main.c dispatches, cli_opts.c
 * holds the tables and the parser, cli_help.c prints --help, the man page
 * and completions from them, cmd_*.c are the command groups (which never
 * call each other), report.c prints clusterings to a person, cli_util.c
 * holds what the command files share.
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
/* diff --exit-code: events were found (ndiff's 1, past our own 1 and 2) */
#define BPH_EXIT_CHANGES 3
/* sweep run: another run holds the store's lock (EX_TEMPFAIL) */
#define BPH_EXIT_BUSY 75

#define BPH_MAX_EXPORTS 16
/* Room for bph_optdefs' rows in bph_opts.given (checked at parse). */
#define BPH_MAX_OPTDEFS 128

struct bph_export_req {
	const char *format; /* "json", "graphml", ... */
	const char *path;
};

/* Every option of every subcommand; argv strings are borrowed. */
struct bph_opts {
	const char *cmd;
	bool help;	   /* COMMAND --help */
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
	const char *user; /* scan, pivot: the probe worker's identity */
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
	int max_per_host;  /* probe connections to one address */
	int max_per_net;   /* to one /24 (the adaptive limit's top) */
	int probe_retries; /* connections dropped before the banner */
	bool allow_reserved;
	bool allow_large; /* scan, pivot: more than 2^24 addresses */
	bool no_probes;
	bool no_jarm;
	bool quiet;
	bool json;
	bool resume;	     /* scan --resume, pivot --resume */
	bool artifact_nodes; /* export, pivot --export: artifacts as nodes */
	/* export (deny lists) and report */
	uint64_t cluster_id;	 /* --cluster ID; 0: not given */
	const char *allowlist;	 /* --allowlist */
	int min_prefix;		 /* --min-prefix; 0: not given (24) */
	int valid_days;		 /* --valid-days; 0: not given (30) */
	const char *rank_file;	 /* --rank-file */
	const char *outdir;	 /* report --outdir */
	const char *to;		 /* report --to */
	const char *contact;	 /* report, scan, pivot, sweep --contact */
	const char *report_type; /* report --type */
	bool dry_run;		 /* report, scan, pivot --dry-run */
	struct bph_export_req exports[BPH_MAX_EXPORTS];
	size_t n_exports;
	/* routing and list data (cmd_data.c, cmd_asinfo.c, cmd_rank.c) */
	const char *data_kind; /* data --kind */
	const char *data_name; /* data --name */
	const char *data_date; /* data --date */
	bool strict;	       /* data: a malformed line is fatal */
	bool history;	       /* asinfo --history */
	const char *rank_by;   /* rank --by prefix|asn|org */
	const char *lists;     /* rank --lists NAME,... */
	const char *weights;   /* rank --weights FILE */
	uint64_t top;	       /* rank --top N (0: all) */
	const char *scope;     /* pivot --scope asn */
	bool scope_siblings;   /* pivot --scope-siblings */
	uint64_t max_targets;  /* scan, pivot: cap of an AS expansion */
	/* sweeps (cmd_sweep.c) */
	const char *config; /* sweep --config FILE */
	const char *sweep;  /* diff --sweep NAME */
	uint64_t from_run;  /* diff --from RUN; 0: not given */
	uint64_t to_run;    /* diff --to RUN; 0: not given */
	bool exit_code;	    /* diff --exit-code */
	bool no_notify;	    /* sweep run --no-notify */
	int lock_wait_s;    /* sweep run --wait SECS; 0: exit 75 at once */
	/* The long names of the options given on the command line, each
	 * once, even at its default value (--resume names every one it
	 * does not apply). */
	const char *given[BPH_MAX_OPTDEFS];
	size_t n_given;
};

/* The commands, indexing bph_commands[]; an option's cmds has bit
 * (1u << id) set for each command that takes it. */
enum bph_cmd_id {
	BPH_CMD_SCAN,
	BPH_CMD_PIVOT,
	BPH_CMD_CLUSTER,
	BPH_CMD_EXPORT,
	BPH_CMD_IMPORT,
	BPH_CMD_SHOW,
	BPH_CMD_DATA,
	BPH_CMD_ASINFO,
	BPH_CMD_RANK,
	BPH_CMD_REPORT,
	BPH_CMD_SWEEP,
	BPH_CMD_DIFF,
	BPH_CMD_WATCH,
	BPH_CMD_COUNT
};

struct bph_command {
	const char *name;
	int (*run)(const struct bph_opts *o); /* returns an exit status */
	const char *synopsis;		      /* after "bphound NAME " */
	const char *summary;		      /* one line for --help */
};

/* One row per command, in enum bph_cmd_id order, ended by a NULL name. */
extern const struct bph_command bph_commands[];
/* The command called name, or NULL. */
const struct bph_command *bph_command_find(const char *name);

enum bph_opt_kind {
	BPH_OPT_STR,  /* const char * at offset: the argv string */
	BPH_OPT_FLAG, /* bool at offset, set to true */
	BPH_OPT_U64,  /* uint64_t at offset, digits only, in [min, max] */
	BPH_OPT_INT,  /* int at offset, digits only, in [min, max] */
	BPH_OPT_FN,   /* parse(arg, o): options that set several fields */
};

struct bph_optdef {
	const char *name; /* long name, without the dashes */
	char short_name;  /* 0: none */
	enum bph_opt_kind kind;
	size_t offset; /* into struct bph_opts (not for BPH_OPT_FN) */
	uint64_t min, max;
	/* BPH_OPT_FN only: returns 0 or an exit status after saying why */
	int (*parse)(const char *arg, struct bph_opts *o);
	const char *metavar; /* NULL for flags */
	unsigned cmds;	     /* bit (1u << enum bph_cmd_id) per command */
	const char *help;    /* one line */
};

/* Every option, ended by a NULL name (cli_opts.c). */
extern const struct bph_optdef bph_optdefs[];

/* Whether the option of long name name was given to this command
 * (cli_util.c). */
bool bph_opt_given(const struct bph_opts *o, const char *name);

/*
 * Parses argv into o (argv strings are borrowed). An option the command
 * does not take, an unknown command or a malformed value is refused with
 * a message on stderr and BPH_EXIT_USAGE. "help", "version",
 * "completion", "--help" and "--version" leave their arguments in
 * o->args for main().
 */
int bph_opts_parse(int argc, char **argv, struct bph_opts *o);

/* --help: every command (cmd NULL) or one command's options (cli_help.c). */
void bph_cli_help(FILE *out, const struct bph_command *cmd);
/* The man page bphound(1), as roff, generated from the tables. */
void bph_cli_man(FILE *out);
/* Shell completion for shell ("bash" or "zsh"). Returns 0, or
 * BPH_ERR_USAGE for another shell. */
int bph_cli_completion(FILE *out, const char *shell);
/* The i-th export format's name (NULL past the last), graph formats of
 * cluster/export.h first, then the deny lists of abuse/denylist.h; *deny
 * (may be NULL) says which (cli_util.c: the one place that joins the
 * two registries). */
const char *bph_cli_format_at(size_t i, bool *deny);
enum bph_cli_fmt { BPH_FMT_NONE, BPH_FMT_GRAPH, BPH_FMT_DENY };
/* Which kind of export format fmt names (NULL: none). */
enum bph_cli_fmt bph_cli_format_kind(const char *fmt);
/* Export format names and family names, joined by sep, for help texts
 * and error messages (from the registries of cluster/ and abuse/). */
void bph_cli_list_formats(FILE *out, const char *sep);
void bph_cli_list_families(FILE *out, const char *sep);
/* Data file kinds (ranges/parse.h), joined by sep. */
void bph_cli_list_kinds(FILE *out, const char *sep);

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
/* The exit status of a BPH_ERR_* code: 0 for 0, BPH_EXIT_USAGE when the
 * input or the environment is at fault (BPH_ERR_USAGE, BPH_ERR_FORMAT;
 * BPH_ERR_PERM, BPH_ERR_NOSPACE, BPH_ERR_REFUSED), else BPH_EXIT_FAIL
 * (cli_util.c, like the three below). */
int bph_cli_status(int rc);
/* Prints "bphound: what: err" (or bph_strerror(rc) when err is empty) to
 * stderr and returns bph_cli_status(rc). */
int bph_cli_fail(const char *what, int rc, const char *err);
/* Flushes stdout; BPH_EXIT_FAIL after saying why when a write failed
 * (a full disk, a closed pipe), else BPH_EXIT_OK. */
int bph_cli_flush_stdout(void);
/* Checks, before any packet or clustering, that fmt is an export format
 * and that path can be written; BPH_EXIT_USAGE after saying why. */
int bph_cli_check_output(const char *cmd, const char *fmt, const char *path);
/* Checks that path ("-": stdout) can be written: an existing file that
 * is writable, or a new one in a writable folder; BPH_EXIT_USAGE after
 * saying why. */
int bph_cli_check_writable(const char *cmd, const char *path);
/* bph_cli_check_output() for every --export of o. */
int bph_cli_check_exports(const struct bph_opts *o);
/*
 * Opens o->db or the default store for writing (scan, pivot, import: the
 * default store's folder is created, a --db folder never is), or, with
 * _ro, for reading only (cluster, show, export: never creates or changes a
 * store, works on a read-only file and beside a writer). Prints why on
 * failure. Returns an exit status: 0, 2 when the input or the environment
 * is at fault (bph_store_err_is_input), else 1.
 */
int bph_cli_open_store(const struct bph_opts *o, struct bph_store **st);
int bph_cli_open_store_ro(const struct bph_opts *o, struct bph_store **st);
/* The store o names: o->db, or the default path, which *def then holds
 * (the caller frees *def; NULL with no home directory). */
const char *bph_cli_store_where(const struct bph_opts *o, char **def);
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
struct bph_clustering;
/* Clusters the store with o's options (report.c): *c owns the result
 * (bph_clustering_free). Returns an exit status, after saying why. */
int bph_cli_clustering(const struct bph_opts *o, struct bph_store *st,
		       struct bph_clustering **c);
/*
 * `export --format denylist|spamhaus|netset|nft|ipset|stix-indicators`
 * (deny.c): a cluster's hosts (SEED or --cluster ID) as a deny list, -o
 * FILE and FILE.provenance.json.
 * Also refuses the deny-list options with another format. Returns an
 * exit status.
 */
int bph_cli_deny_export(const struct bph_opts *o);
/* Whether export's --format or options ask for a deny list (deny.c). */
bool bph_cli_deny_asked(const struct bph_opts *o);
/* Clusters the store with o's options and writes it as fmt to path ("-":
 * stdout), seed (may be NULL; else an answering host, or exit status 2)
 * marked (report.c). Returns an exit status. */
int bph_cli_export(const struct bph_opts *o, struct bph_store *st,
		   const char *fmt, const char *path, const char *seed);

int bph_cmd_scan(const struct bph_opts *o);
int bph_cmd_pivot(const struct bph_opts *o);
int bph_cmd_cluster(const struct bph_opts *o);
int bph_cmd_export(const struct bph_opts *o);
int bph_cmd_import(const struct bph_opts *o);
int bph_cmd_show(const struct bph_opts *o);
int bph_cmd_report(const struct bph_opts *o); /* cmd_report.c */
int bph_cmd_data(const struct bph_opts *o);
int bph_cmd_asinfo(const struct bph_opts *o);
int bph_cmd_rank(const struct bph_opts *o);
struct bph_sweep_config;
/* One run of the sweep cfg (sweep_run.c): lock, scan, evaluate, commit,
 * notify. Returns an exit status (75: the store's lock is busy). */
int bph_cli_sweep_run(const struct bph_opts *o,
		      const struct bph_sweep_config *cfg);
/* A sweep's store: --db, else the config's db (c may be NULL), else
 * $STATE_DIRECTORY/bphound.db (the systemd unit's), else the default
 * store. A new string, NULL on ENOMEM (sweep_run.c). */
char *bph_cli_sweep_db(const struct bph_opts *o,
		       const struct bph_sweep_config *c);
/* Opens that store as bph_cli_open_store() does; an exit status. */
int bph_cli_sweep_store(const struct bph_opts *o,
			const struct bph_sweep_config *c, bool write,
			struct bph_store **st);
/* cmd_sweep.c: sweep run|show|list|history|timer, diff, watch check */
int bph_cmd_sweep(const struct bph_opts *o);
int bph_cmd_diff(const struct bph_opts *o);
int bph_cmd_watch(const struct bph_opts *o);

#endif

/*
 * scan_run.h - the scan pipeline that `scan`, `pivot` and `sweep run`
 * share: target specs -> SYN scan (scanner/synscan.h) -> application
 * probes (scanner/engine.h) -> the store and JSON Lines, with checkpoints
 * for --resume (store/resume.h). Command files (cmd_*.c) call it and never
 * each other; it calls no command file.
 *
 * The pipeline prints its own messages to stderr ("bphound: ..."), so a
 * caller only maps the return value to an exit status.
 */
#ifndef BPH_CLI_SCAN_RUN_H
#define BPH_CLI_SCAN_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"
#include "scanner/synscan.h"

struct bph_store;
struct bph_targets;

/* One scan to run; everything is borrowed for the call. */
struct bph_scan_job {
	const char *kind; /* "scan", "pivot", "sweep": the store's scan kind;
			     --resume of a command resumes only its kind */
	const char *const *targets; /* specs: address, CIDR, first-last, or
				       the path of a file of specs */
	size_t n_targets;
	const char *ports; /* the -p spec, e.g. "22,80,8000-8100" */
	/* The rest of the scan's parameters: rate, retries, wait_ms, iface,
	 * source_ip, gateway_mac, seed, shard, exclude_file,
	 * allow_reserved, out_jsonl, no_probes, no_jarm, sni, timeout_ms,
	 * max_connections, quiet, cmd and db (for the resume hint). */
	const struct bph_opts *opts;
	/* More exclusions besides opts->exclude_file: specs or files of
	 * specs, as targets (sweep configs list several); may be NULL. */
	const char *const *excludes;
	size_t n_excludes;
	/* Called with the finalized target set before the first packet
	 * (a sweep records it as the run's coverage); a nonzero return
	 * stops the job with that error. May be NULL. */
	int (*on_targets)(void *ctx, const struct bph_targets *t);
	/* Called, once the run's records are committed, with each record
	 * the run added to the store, as the store gives it back, in
	 * (ip, port, seen) order (bph_store_put_all_each, store/store.h):
	 * a sweep gathers its evaluation from them. Its nonzero return
	 * fails the job. May be NULL. */
	int (*on_stored)(void *ctx, const struct bph_service *s);
	void *ctx;
};

/* What a run did; filled by bph_scan_run and bph_scan_resume. */
struct bph_scan_result {
	int64_t scan_id; /* the store's scan id (0: none was started) */
	struct bph_synscan_stats stats;
	size_t n_services;  /* service records written to the store */
	int signo;	    /* stopped by SIGINT or SIGTERM: progress saved for
			       --resume (the hint was printed), no record written */
	char *first_target; /* bph_scan_resume: the run's first target spec
			       (a pivot's seed), owned; free it */
};

/*
 * Runs job into st (open, borrowed): parses and checks the targets and
 * ports, starts a scan in the store with resume checkpoints, runs the SYN
 * scan with the probes pipelined behind it, then writes every open
 * service to st and to opts->out_jsonl. Returns 0 (also when a signal
 * stopped it: res->signo), BPH_ERR_USAGE when the job's input is at fault,
 * or another BPH_ERR_*; the reason is printed on stderr.
 */
int bph_scan_run(struct bph_store *st, const struct bph_scan_job *job,
		 struct bph_scan_result *res);

/*
 * Resumes the newest unfinished run of st if it is of kind: the same
 * targets, scan parameters and probe options as saved (those given in o
 * are named on stderr as ignored; o's others, such as -o, --iface and
 * --user, apply; a run saved before probe options were takes o's).
 * Returns as bph_scan_run; BPH_ERR_USAGE when there
 * is no run to resume or it is of another kind.
 */
int bph_scan_resume(struct bph_store *st, const char *kind,
		    const struct bph_opts *o, struct bph_scan_result *res);

/*
 * The right to send SYNs: true when the process holds CAP_NET_RAW; else
 * prints which capability cmd (o->cmd) needs and how to get it, and
 * returns false. `scan` and `pivot` ask before they open the store, so
 * that a refused run leaves no store file behind.
 */
bool bph_scan_may_send(const struct bph_opts *o);

/* Frees what res owns; the struct itself is the caller's. */
void bph_scan_result_clear(struct bph_scan_result *res);

#endif

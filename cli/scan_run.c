/*
 * scan_run.c - the scan pipeline of `scan`, `pivot` and `sweep run`
 * (targets -> SYN scan -> probes -> store and JSON Lines; --resume). Its
 * API and contract are in scan_run.h; the stages are in
 * docs/architecture.md.
 */
#include "cli/scan_run.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "cli/asn_targets.h"
#include "cli/probe_worker.h"
#include "cli/scan_config.h"
#include "cli/scan_signals.h"
#include "fingerprints/err.h"
#include "fingerprints/record.h"
#include "fingerprints/record_json.h"
#include "scanner/engine.h"
#include "scanner/netroute.h"
#include "scanner/sandbox.h"
#include "scanner/targets.h"
#include "store/resume.h"
#include "store/store.h"

/* Open services found by the SYN scan, grown as replies arrive; with w,
 * each is also handed to the probe worker at once (pipelining). */
struct svc_list {
	struct bph_service *v;
	size_t n, cap;
	int err;
	struct bph_worker *w;
};

static void collect(void *ctx, const struct bph_service *svc)
{
	struct svc_list *l = ctx;
	if (svc->state != BPH_STATE_OPEN || l->err)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct bph_service *nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv) {
			l->err = BPH_ERR_NOMEM;
			return;
		}
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n] = *svc;
	/* The scanner lends only ip/port/state/tcp; sub-objects start empty. */
	l->v[l->n].proto = NULL;
	l->v[l->n].tls = NULL;
	l->v[l->n].ssh = NULL;
	l->v[l->n].http = NULL;
	l->v[l->n].banner = NULL;
	l->n++;
	if (l->w && bph_worker_submit(l->w, svc))
		l->err = BPH_ERR_IO;
}

static void svc_list_free(struct svc_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		bph_service_clear(&l->v[i]);
	free(l->v);
}

/* ---- targets -------------------------------------------------------- */

static bool is_regular_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int add_target(struct bph_targets *t, const char *arg)
{
	char err[256] = "";
	int rc = is_regular_file(arg)
		     ? bph_targets_add_file(t, arg, err, sizeof(err))
		     : bph_targets_add_spec(t, arg, err, sizeof(err));
	if (rc)
		fprintf(stderr, "bphound: %s\n",
			err[0] ? err : bph_strerror(rc));
	return rc;
}

static int exclude(struct bph_targets *t, const char *arg)
{
	char err[256] = "";
	int rc = is_regular_file(arg)
		     ? bph_targets_exclude_file(t, arg, err, sizeof(err))
		     : bph_targets_exclude_spec(t, arg, err, sizeof(err));
	if (rc)
		fprintf(stderr, "bphound: %s\n",
			err[0] ? err : bph_strerror(rc));
	return rc ? BPH_ERR_USAGE : 0;
}

static int finish_targets(struct bph_targets *t, const struct bph_scan_job *j)
{
	const struct bph_opts *o = j->opts;
	char err[256] = "";
	if (o->exclude_file &&
	    bph_targets_exclude_file(t, o->exclude_file, err, sizeof(err))) {
		fprintf(stderr, "bphound: %s\n", err);
		return BPH_ERR_USAGE;
	}
	for (size_t i = 0; i < j->n_excludes; i++)
		if (exclude(t, j->excludes[i]))
			return BPH_ERR_USAGE;
	/* the opt-outs of the machine and the user, every run */
	int rc = bph_cli_optout_apply(t, o->dry_run);
	if (rc)
		return rc;
	rc = bph_targets_finalize(t, o->allow_reserved);
	if (rc)
		return rc;
	if (bph_targets_count(t) == 0) {
		fprintf(stderr, "bphound: no targets left to scan%s\n",
			o->allow_reserved ? ""
					  : " (reserved ranges are excluded; "
					    "see --allow-reserved)");
		return BPH_ERR_USAGE;
	}
	return 0;
}

/* The job's target set, finalized, into *out (the caller frees it). */
static int build_targets(const struct bph_scan_job *job,
			 struct bph_targets **out)
{
	struct bph_targets *t = NULL;
	int rc = bph_targets_new(&t);

	for (size_t i = 0; rc == 0 && i < job->n_targets; i++)
		rc = add_target(t, job->targets[i]);
	if (rc == 0)
		rc = finish_targets(t, job);
	if (rc == 0 && job->on_targets)
		rc = job->on_targets(job->ctx, t);
	if (rc != 0) {
		bph_targets_free(t);
		t = NULL;
	}
	*out = t;
	return rc;
}

/* ---- the SYN scan and the probes ------------------------------------ */

static void synscan_cfg_from_opts(const struct bph_opts *o,
				  const struct bph_targets *t,
				  const uint16_t *ports, size_t n_ports,
				  struct bph_synscan_cfg *c)
{
	bph_synscan_cfg_default(c);
	c->targets = t;
	c->ports = ports;
	c->n_ports = n_ports;
	c->rate = o->rate;
	c->retries = o->retries;
	c->wait_auto = o->wait_ms < 0;
	c->wait_ms = o->wait_ms < 0 ? 2000 : o->wait_ms;
	c->iface = o->iface;
	c->source_ip = o->source_ip;
	c->gateway_mac = o->gateway_mac;
	c->seed = o->seed;
	c->seed_set = o->seed_set;
	c->shard_index = o->shard_index;
	c->shard_count = o->shard_count;
	c->quiet = o->quiet;
	c->stop_on_signal = true;
}

/* Starts the probe worker before the SYN scan (and its threads): every
 * open port is probed as soon as its SYN-ACK arrives, while the scan (and
 * its cooldown) go on, in a child process that runs as id with no
 * capability under a seccomp allowlist (docs/architecture.md,
 * "Privileges"). */
static int probes_start(const struct bph_opts *o, const char *ua,
			const struct bph_identity *id, struct svc_list *l)
{
	struct bph_engine_cfg ec;
	char err[256] = "";
	bph_engine_cfg_default(&ec);
	ec.max_connections = o->max_connections;
	ec.max_per_host = o->max_per_host;
	ec.max_per_net = o->max_per_net;
	ec.retries = o->probe_retries;
	ec.io_timeout_ms = o->timeout_ms;
	ec.sni = o->sni;
	ec.user_agent = ua;
	ec.jarm = !o->no_jarm;
	int rc = bph_worker_start(&ec, id, &l->w, err, sizeof(err));
	if (rc)
		fprintf(stderr, "bphound: probes: %s\n",
			err[0] ? err : bph_strerror(rc));
	return rc;
}

/* After the SYN scan: waits for the worker's records (untrusted input,
 * checked by bph_worker_finish) and puts them in the list's services. */
static int probes_finish(struct svc_list *l, int sfd, int *signo)
{
	char err[256] = "";
	size_t refused = 0;
	int rc = bph_worker_finish(l->w, l->v, l->n, sfd, signo, &refused, err,
				   sizeof(err));
	l->w = NULL;
	if (refused)
		fprintf(stderr,
			"bphound: probes: %zu records from the probe worker "
			"refused (malformed, unknown or repeated)\n",
			refused);
	if (rc)
		fprintf(stderr, "bphound: probes: %s\n",
			err[0] ? err : bph_strerror(rc));
	return rc;
}

bool bph_scan_may_send(const struct bph_opts *o)
{
	if (bph_have_net_raw())
		return true;
	fprintf(stderr,
		"bphound: %s needs the CAP_NET_RAW capability to send SYN "
		"packets and capture replies: run it as root (for example "
		"with sudo) or give the binary cap_net_raw (setcap "
		"cap_net_raw+ep)\n",
		o->cmd);
	return false;
}

/* Before anything is sent or stored: the right to open raw sockets, and
 * who the probes and the capture will run as (--user, else the sudo user,
 * else nobody). */
static int check_privileges(const struct bph_opts *o, struct bph_identity *id)
{
	char err[256] = "";
	int rc;

	if (!bph_scan_may_send(o))
		return BPH_ERR_PERM;
	rc = bph_identity_pick(o->user, id, err, sizeof(err));
	if (rc)
		fprintf(stderr, "bphound: %s\n", err);
	return rc;
}

/* The probes' end with SIGINT/SIGTERM watched: a signal on the run's
 * signalfd kills the worker and lands in *signo (the run is then not
 * recorded; --resume probes the open ports the final checkpoint saved). */
static int probes_finish_watched(struct svc_list *l,
				 struct bph_scan_signals *sig, int *signo)
{
	int rc = probes_finish(l, sig->sfd, signo);

	return *signo ? 0 : rc;
}

/* ---- results -------------------------------------------------------- */

static int record_services(const struct bph_scan_job *job, struct bph_store *st,
			   int64_t scan_id, const struct svc_list *l)
{
	const struct bph_opts *o = job->opts;
	FILE *out = NULL;
	int rc = 0;
	if (o->out_jsonl) {
		out = strcmp(o->out_jsonl, "-") ? fopen(o->out_jsonl, "w")
						: stdout;
		if (!out) {
			perror(o->out_jsonl);
			return BPH_ERR_IO;
		}
	}
	/* one transaction: a store that fails half way keeps none */
	rc = job->on_stored ? bph_store_put_all_each(st, scan_id, l->v, l->n,
						     job->on_stored, job->ctx)
			    : bph_store_put_all(st, scan_id, l->v, l->n);
	for (size_t i = 0; i < l->n && !rc && out; i++)
		rc = bph_jsonl_write(out, &l->v[i]);
	if (out && out != stdout && fclose(out))
		rc = BPH_ERR_IO;
	if (rc)
		fprintf(stderr, "bphound: recording results: %s%s%s\n",
			bph_strerror(rc), bph_store_errmsg(st)[0] ? ": " : "",
			bph_store_errmsg(st));
	return rc;
}

static void print_summary(const struct bph_opts *o,
			  const struct bph_synscan_stats *ss, size_t n_open)
{
	if (o->quiet)
		return;
	fprintf(stderr,
		"bphound: %llu targets, %llu probes sent in %.1f s (%.0f pps), "
		"%llu open, %llu closed, %llu filtered; %zu services "
		"fingerprinted\n",
		(unsigned long long)ss->targets, (unsigned long long)ss->sent,
		ss->seconds, ss->pps, (unsigned long long)ss->open,
		(unsigned long long)ss->closed,
		(unsigned long long)ss->filtered, n_open);
}

static void print_resume_hint(const struct bph_opts *o, const char *kind,
			      int signo)
{
	fprintf(stderr,
		"\nbphound: stopped by signal %d; progress saved. Resume "
		"with:\n  bphound %s --resume%s%s\n",
		signo, kind, o->db ? " --db " : "", o->db ? o->db : "");
}

/* ---- before the first packet ---------------------------------------- */

#define BPH_UA_MAX 256 /* "bphound/VERSION (+" 200 characters ")" */

/* Addresses above which a scan needs --allow-large (ZMap's advice: a
 * large scan is a choice, made knowing its size and time). */
#define LARGE_TARGETS (1ULL << 24)

static void duration_text(double s, char *out, size_t n)
{
	if (s < 10)
		snprintf(out, n, "%.1f s", s);
	else if (s < 120)
		snprintf(out, n, "%.0f s", s);
	else if (s < 2 * 3600)
		snprintf(out, n, "%.0f min", s / 60);
	else if (s < 2 * 86400)
		snprintf(out, n, "%.1f h", s / 3600);
	else
		snprintf(out, n, "%.1f days", s / 86400);
}

/* The count and the time at the rate: one pass over every pair of the
 * shard, the retry passes over the silent ones at most as long. */
static void print_size(FILE *f, const struct bph_synscan_cfg *c, uint64_t n)
{
	uint64_t shards = c->shard_count ? c->shard_count : 1;
	uint64_t probes = n * c->n_ports / shards;
	char t[32];

	duration_text((double)probes / (double)c->rate, t, sizeof(t));
	fprintf(f,
		"targets: %llu addresses x %zu ports = %llu probes%s\n"
		"time at %llu pps: %s a pass; %d retry pass(es) over the "
		"silent pairs take as long at most, then a wait of up to "
		"%d ms\n",
		(unsigned long long)n, c->n_ports, (unsigned long long)probes,
		shards > 1 ? " in this shard" : "", (unsigned long long)c->rate,
		t, c->retries, c->wait_ms);
}

static void print_plan(FILE *f, const struct bph_route_plan *p)
{
	char first[16], gw[16];

	for (size_t i = 0; i < p->n; i++) {
		const struct bph_route_way *w = &p->way[i];
		bph_ip_str(w->first, first);
		bph_ip_str(w->gateway, gw);
		fprintf(f, "way: %s %s%s: %llu addresses, the first %s\n",
			w->iface,
			w->local     ? "(this machine: refused)"
			: w->gateway ? "via "
				     : "on-link",
			w->local || !w->gateway ? "" : gw,
			(unsigned long long)w->addresses, first);
	}
	if (p->more)
		fprintf(f, "way: more than %d ways, the others not listed\n",
			BPH_ROUTE_WAYS_MAX);
	if (p->unrouted) {
		bph_ip_str(p->first_unrouted, first);
		fprintf(f,
			"no unicast route (refused): %llu addresses, the "
			"first %s\n",
			(unsigned long long)p->unrouted, first);
	}
}

/* Too large without --allow-large: says the size and refuses. */
static int check_large(const struct bph_opts *o,
		       const struct bph_synscan_cfg *c, uint64_t n)
{
	if (n <= LARGE_TARGETS || o->dry_run)
		return 0;
	if (!o->quiet || !o->allow_large)
		print_size(stderr, c, n);
	if (o->allow_large)
		return 0;
	fprintf(stderr,
		"bphound: more than 2^24 (%llu) addresses: give "
		"--allow-large to scan them (--dry-run shows the ways "
		"out)\n",
		(unsigned long long)LARGE_TARGETS);
	return BPH_ERR_USAGE;
}

/* Every target's way out; --dry-run prints them. */
static int check_routes(const struct bph_opts *o, const struct bph_targets *t,
			const struct bph_synscan_cfg *c)
{
	struct bph_route_plan plan;
	char err[256] = "";
	int rc = bph_netroute_plan(t, &plan, err, sizeof(err));

	if (rc == 0 && o->dry_run) {
		print_size(stdout, c, bph_targets_count(t));
		print_plan(stdout, &plan);
	}
	if (rc == 0)
		rc = bph_route_plan_check(&plan, c->iface != NULL, err,
					  sizeof(err));
	if (rc)
		fprintf(stderr, "bphound: %s\n",
			err[0] ? err : bph_strerror(rc));
	else if (o->dry_run)
		printf("dry run: nothing sent\n");
	return rc;
}

/* What can fail before the first packet fails here, before the store
 * records a run (so --resume still finds the one before): the pairs,
 * the output paths, the size, the routes. resumed: the size was
 * accepted when the run began. */
static int preflight(const struct bph_scan_job *job,
		     const struct bph_targets *t,
		     const struct bph_synscan_cfg *c, bool resumed,
		     char ua[BPH_UA_MAX])
{
	const struct bph_opts *o = job->opts;
	char err[256] = "";
	int rc = resumed ? 0 : check_large(o, c, bph_targets_count(t));

	if (rc || (rc = bph_cli_user_agent(o->contact, ua, BPH_UA_MAX)) != 0)
		return rc;
	if ((rc = bph_synscan_check(c, err, sizeof(err))) != 0) {
		fprintf(stderr, "bphound: scan: %s\n", err);
		return rc;
	}
	if ((o->out_jsonl && bph_cli_check_writable(o->cmd, o->out_jsonl)) ||
	    bph_cli_check_exports(o))
		return BPH_ERR_USAGE;
	return check_routes(o, t, c);
}

/* ---- resume --------------------------------------------------------- */

/* A run keeps its parameters (with a fixed seed), its probe options and
 * its target specs (one per line) for --resume. */
static int resume_begin(const struct bph_scan_job *job, struct bph_store *st,
			int64_t scan_id, struct bph_synscan_cfg *cfg,
			struct bph_resume **res)
{
	const struct bph_opts *o = job->opts;
	struct bph_resume_params p = {0};
	char err[256] = "";
	int rc;

	if (!cfg->seed_set &&
	    getrandom(&cfg->seed, sizeof(cfg->seed), 0) != sizeof(cfg->seed))
		return BPH_ERR_IO;
	cfg->seed_set = true;
	p.targets = bph_resume_join(job->targets, job->n_targets);
	p.ports = (char *)job->ports;
	p.exclude = (char *)o->exclude_file;
	p.allow_reserved = o->allow_reserved;
	p.seed = cfg->seed;
	p.shard_index = cfg->shard_index;
	p.shard_count = cfg->shard_count;
	p.rate = cfg->rate;
	p.retries = cfg->retries;
	p.wait_ms = cfg->wait_ms;
	p.no_probes = o->no_probes;
	p.no_jarm = o->no_jarm;
	p.probe_retries = o->probe_retries;
	p.timeout_ms = o->timeout_ms;
	p.max_connections = o->max_connections;
	p.max_per_host = o->max_per_host;
	p.max_per_net = o->max_per_net;
	p.sni = (char *)o->sni;
	p.contact = (char *)o->contact;
	rc = p.targets
		 ? bph_resume_begin(st, scan_id, &p, res, err, sizeof(err))
		 : BPH_ERR_NOMEM;
	if (rc)
		fprintf(stderr, "bphound: %s\n",
			err[0] ? err : bph_strerror(rc));
	free(p.targets);
	return rc;
}

/* Routes verdicts and checkpoints through the resume state. */
static void resume_attach(struct bph_resume *res, struct bph_synscan_cfg *cfg,
			  struct svc_list *l, bool resumed)
{
	bph_resume_set_next(res, collect, l);
	cfg->checkpoint = bph_resume_checkpoint;
	cfg->checkpoint_ctx = res;
	if (resumed) {
		cfg->start_pass = bph_resume_pass(res);
		cfg->start_pos = bph_resume_pos(res);
		bph_resume_replay(res, collect, l);
	}
}

/* ---- the pipeline --------------------------------------------------- */

/* The scan proper, from the SYN scan to the records; resumed: the state
 * loaded by --resume (its scan id is reused), else NULL. */
static int run_job(struct bph_store *st, const struct bph_scan_job *job,
		   const struct bph_targets *t, struct bph_resume *resumed,
		   struct bph_scan_result *out)
{
	const struct bph_opts *o = job->opts;
	uint16_t *ports = NULL;
	size_t n_ports = 0;
	char err[256] = "";
	struct svc_list l = {0};
	struct bph_synscan_cfg cfg;
	struct bph_resume *res = resumed;
	struct bph_scan_signals sig = {.sfd = -1};
	char ua[BPH_UA_MAX];
	struct bph_identity id;
	int rc;

	out->scan_id = resumed ? bph_resume_scan_id(resumed) : 0;
	rc = bph_ports_parse(job->ports, &ports, &n_ports, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "bphound: -p: %s\n", err);
		goto out;
	}
	synscan_cfg_from_opts(o, t, ports, n_ports, &cfg);
	if ((rc = preflight(job, t, &cfg, resumed != NULL, ua)) != 0 ||
	    o->dry_run || (rc = check_privileges(o, &id)) != 0)
		goto out;
	if (!resumed &&
	    ((rc = bph_store_scan_begin(st, job->kind, o->cmd,
					&out->scan_id)) != 0 ||
	     (rc = resume_begin(job, st, out->scan_id, &cfg, &res)) != 0))
		goto out;
	/* before the probe worker is forked, so that it inherits the mask */
	if ((rc = bph_scan_signals_block(&sig)) != 0 ||
	    (!o->no_probes && (rc = probes_start(o, ua, &id, &l)) != 0))
		goto abandon;
	resume_attach(res, &cfg, &l, resumed != NULL);
	cfg.capture_id = &id;
	rc = bph_synscan_run(&cfg, bph_resume_on_verdict, res, &out->stats, err,
			     sizeof(err));
	if (rc == 0 && l.err == BPH_ERR_IO && l.w) {
		int wsig = 0; /* the worker took no more: say how it ended */
		probes_finish(&l, -1, &wsig);
		rc = BPH_ERR_IO;
		goto abandon;
	}
	if (rc || l.err) {
		fprintf(stderr, "bphound: scan: %s\n",
			err[0] ? err : bph_strerror(rc ? rc : l.err));
		rc = rc ? rc : l.err;
		goto abandon;
	}
	out->signo = out->stats.signo;
	if (!out->signo && l.w)
		rc = probes_finish_watched(&l, &sig, &out->signo);
	if (out->signo) {
		if (strcmp(job->kind, "sweep")) /* a sweep starts afresh */
			print_resume_hint(o, job->kind, out->signo);
		goto out;
	}
	if (rc || (rc = record_services(job, st, out->scan_id, &l)) != 0 ||
	    (rc = bph_store_scan_end(st, out->scan_id)) != 0 ||
	    (rc = bph_resume_done(res)) != 0)
		goto out;
	out->n_services = l.n;
	print_summary(o, &out->stats, l.n);
	goto out;
abandon: /* a new run that sent nothing is not one to resume */
	if (res && res != resumed && out->stats.sent == 0)
		bph_resume_done(res);
out:
	bph_worker_cancel(l.w); /* scan failed or stopped: discard */
	bph_scan_signals_restore(&sig);
	if (res != resumed)
		bph_resume_free(res);
	svc_list_free(&l);
	free(ports);
	return rc;
}

int bph_scan_run(struct bph_store *st, const struct bph_scan_job *job,
		 struct bph_scan_result *res)
{
	struct bph_targets *t = NULL;
	struct bph_asn_expansion x;
	struct bph_scan_job ex;
	int rc;

	memset(res, 0, sizeof(*res));
	/* "AS64500" specs become prefixes first (cli/asn_targets.h) */
	rc = bph_cli_asn_expand(st, job, &ex, &x);
	if (rc == 0)
		rc = build_targets(&ex, &t);
	if (rc == 0)
		rc = run_job(st, &ex, t, NULL, res);
	bph_targets_free(t);
	bph_cli_asn_expansion_free(&x);
	return rc;
}

/* Splits s in place at newlines into *v (new array; empty lines skipped). */
static int split_lines(char *s, const char ***v, size_t *n)
{
	size_t cap = 1;
	char *save = NULL;

	for (const char *p = s; *p; p++)
		cap += *p == '\n';
	*n = 0;
	*v = calloc(cap, sizeof(**v));
	if (!*v)
		return BPH_ERR_NOMEM;
	for (char *tok = strtok_r(s, "\n", &save); tok;
	     tok = strtok_r(NULL, "\n", &save))
		(*v)[(*n)++] = tok;
	return 0;
}

/* The options a resumed scan takes from its saved parameters: all that
 * change what it sends (a run saved before the probe options were keeps
 * the probe options given). */
static void opts_from_resume(const struct bph_resume_params *p,
			     struct bph_opts *ro)
{
	if (p->probes_saved) {
		ro->no_probes = p->no_probes;
		ro->no_jarm = p->no_jarm;
		ro->probe_retries = p->probe_retries;
		ro->timeout_ms = p->timeout_ms;
		ro->max_connections = p->max_connections;
		ro->max_per_host = p->max_per_host;
		ro->max_per_net = p->max_per_net;
		ro->sni = p->sni;
		ro->contact = p->contact;
	}
	ro->ports = p->ports;
	ro->exclude_file = p->exclude;
	ro->allow_reserved = p->allow_reserved;
	ro->seed = p->seed;
	ro->seed_set = true;
	ro->shard_index = p->shard_index;
	ro->shard_count = p->shard_count;
	ro->rate = p->rate;
	ro->retries = p->retries;
	ro->wait_ms = p->wait_ms;
}

/* Names on stderr the options given with --resume that it ignores: the
 * interrupted run's own scan parameters (positions in its permutation
 * depend on them) and probe options apply. Given means on the command
 * line, even at its default value. A run saved before the probe options
 * were takes those given, and says so. */
static void say_ignored(const struct bph_opts *o,
			const struct bph_resume_params *p, const char *kind)
{
	bool pr = p->probes_saved;
	const struct {
		bool given;
		const char *name;
	} v[] = {
	    {bph_opt_given(o, "rate") || bph_opt_given(o, "bandwidth"),
	     "--rate"},
	    {bph_opt_given(o, "retries"), "--retries"},
	    {bph_opt_given(o, "wait"), "--wait"},
	    {bph_opt_given(o, "seed"), "--seed"},
	    {bph_opt_given(o, "shard"), "--shard"},
	    {bph_opt_given(o, "exclude"), "--exclude"},
	    {bph_opt_given(o, "allow-reserved"), "--allow-reserved"},
	    {bph_opt_given(o, "allow-large"), "--allow-large"},
	    {pr && bph_opt_given(o, "no-probes"), "--no-probes"},
	    {pr && bph_opt_given(o, "no-jarm"), "--no-jarm"},
	    {pr && bph_opt_given(o, "probe-retries"), "--probe-retries"},
	    {pr && bph_opt_given(o, "timeout"), "--timeout"},
	    {pr && bph_opt_given(o, "max-connections"), "--max-connections"},
	    {pr && bph_opt_given(o, "max-per-host"), "--max-per-host"},
	    {pr && bph_opt_given(o, "max-per-net"), "--max-per-net"},
	    {pr && bph_opt_given(o, "sni"), "--sni"},
	    {pr && bph_opt_given(o, "contact"), "--contact"}};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i].given)
			fprintf(stderr, "%s%s",
				n++ ? ", " : "bphound --resume: ignored: ",
				v[i].name);
	if (n)
		fprintf(stderr,
			" (the interrupted %s's own scan parameters and probe "
			"options apply; the output and interface options "
			"given apply)\n",
			kind);
	if (!pr)
		fprintf(stderr,
			"bphound --resume: the interrupted %s was saved by an "
			"older bphound without its probe options: those given "
			"now apply\n",
			kind);
}

/* Refuses to resume another command's run: a pivot's report needs its
 * seed, a scan has none. */
static int check_kind(struct bph_store *st, const struct bph_resume *res,
		      const char *kind)
{
	char k[16] = "";
	int rc = bph_store_scan_kind(st, bph_resume_scan_id(res), k, sizeof(k));

	if (rc)
		return rc;
	if (!strcmp(k, kind))
		return 0;
	fprintf(stderr,
		"bphound %s --resume: the last unfinished run in this store is "
		"a %s; resume it with: bphound %s --resume\n",
		kind, k, k);
	return BPH_ERR_USAGE;
}

/* Runs the loaded resume state res with o's other options. */
static int resume_job(struct bph_store *st, const char *kind,
		      const struct bph_opts *o, struct bph_resume *res,
		      struct bph_scan_result *out)
{
	struct bph_opts ro = *o;
	struct bph_scan_job job = {.kind = kind, .opts = &ro};
	struct bph_targets *t = NULL;
	const char **specs = NULL;
	char *copy = strdup(bph_resume_params(res)->targets);
	int rc = copy ? 0 : BPH_ERR_NOMEM;

	say_ignored(o, bph_resume_params(res), kind);
	opts_from_resume(bph_resume_params(res), &ro);
	if (rc == 0)
		rc = split_lines(copy, &specs, &job.n_targets);
	job.targets = specs;
	job.ports = ro.ports;
	if (rc == 0 && job.n_targets > 0 &&
	    !(out->first_target = strdup(specs[0])))
		rc = BPH_ERR_NOMEM;
	if (rc == 0)
		rc = build_targets(&job, &t);
	if (rc == 0)
		rc = run_job(st, &job, t, res, out);
	bph_targets_free(t);
	free(specs);
	free(copy);
	return rc;
}

int bph_scan_resume(struct bph_store *st, const char *kind,
		    const struct bph_opts *o, struct bph_scan_result *res)
{
	struct bph_resume *r = NULL;
	char err[256] = "";
	int rc;

	memset(res, 0, sizeof(*res));
	rc = bph_resume_load(st, &r, err, sizeof(err));
	if (rc)
		fprintf(stderr, "bphound: --resume: %s\n",
			err[0] ? err : bph_strerror(rc));
	if (rc == 0)
		rc = check_kind(st, r, kind);
	if (rc == 0)
		rc = resume_job(st, kind, o, r, res);
	bph_resume_free(r);
	return rc;
}

void bph_scan_result_clear(struct bph_scan_result *res)
{
	free(res->first_target);
	res->first_target = NULL;
}

/*
 * cmd_scan.c - `bphound scan` and `bphound pivot`: targets -> SYN scan ->
 * application probes -> store and JSON Lines; pivot then clusters and
 * prints the seed's cluster.
 */
#include "cli/cli.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "cluster/cluster.h"
#include "cluster/export.h"
#include "cluster/graph.h"
#include "fingerprints/err.h"
#include "fingerprints/record.h"
#include "scanner/engine.h"
#include "fingerprints/record_json.h"
#include "store/resume.h"
#include "store/store.h"
#include "scanner/synscan.h"
#include "scanner/targets.h"

/* Ports a pivot probes when -p is not given: the services BPH panels and
 * their admin planes most often expose. */
#define PIVOT_DEFAULT_PORTS "21,22,25,80,443,2222,3389,8000,8080,8443,8888"

/* Open services found by the SYN scan, grown as replies arrive; with eng,
 * each is also handed to the probe engine at once (pipelining). */
struct svc_list {
	struct bph_service *v;
	size_t n, cap;
	int err;
	struct bph_engine *eng;
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
	if (l->eng && bph_engine_submit(l->eng, svc))
		l->err = BPH_ERR_NOMEM;
}

static void svc_list_free(struct svc_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		bph_service_clear(&l->v[i]);
	free(l->v);
}

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

/* Adds comma-separated specs (the --ranges form). */
static int add_target_list(struct bph_targets *t, const char *list)
{
	char *copy = strdup(list), *save = NULL;
	int rc = copy ? 0 : BPH_ERR_NOMEM;
	for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && !rc;
	     tok = strtok_r(NULL, ",", &save))
		rc = add_target(t, tok);
	free(copy);
	return rc;
}

static int finish_targets(struct bph_targets *t, const struct bph_opts *o)
{
	char err[256] = "";
	if (o->exclude_file &&
	    bph_targets_exclude_file(t, o->exclude_file, err, sizeof(err))) {
		fprintf(stderr, "bphound: %s\n", err);
		return BPH_ERR_USAGE;
	}
	int rc = bph_targets_finalize(t, o->allow_reserved);
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

/* Starts the probe engine before the SYN scan: every open port is probed
 * as soon as its SYN-ACK arrives, while the scan (and its cooldown) go on. */
static int probes_start(const struct bph_opts *o, struct svc_list *l)
{
	struct bph_engine_cfg ec;
	char err[256] = "";
	bph_engine_cfg_default(&ec);
	ec.max_connections = o->max_connections;
	ec.io_timeout_ms = o->timeout_ms;
	ec.sni = o->sni;
	ec.jarm = !o->no_jarm;
	int rc = bph_engine_start(&ec, &l->eng, err, sizeof(err));
	if (rc)
		fprintf(stderr, "bphound: probes: %s\n",
			err[0] ? err : bph_strerror(rc));
	return rc;
}

/* After the SYN scan: waits for the probes, takes their records. */
static int probes_finish(struct svc_list *l)
{
	struct bph_service *v;
	size_t n;
	char err[256] = "";
	int rc = bph_engine_finish(l->eng, &v, &n, err, sizeof(err));
	l->eng = NULL;
	if (rc) {
		fprintf(stderr, "bphound: probes: %s\n",
			err[0] ? err : bph_strerror(rc));
		return rc;
	}
	svc_list_free(l);
	l->v = v;
	l->n = l->cap = n;
	return 0;
}

static int record_services(const struct bph_opts *o, struct bph_store *st,
			   int64_t scan_id, const struct svc_list *l)
{
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
	for (size_t i = 0; i < l->n && !rc; i++) {
		rc = bph_store_put(st, scan_id, &l->v[i]);
		if (!rc && out)
			rc = bph_jsonl_write(out, &l->v[i]);
	}
	if (out && out != stdout && fclose(out))
		rc = BPH_ERR_IO;
	if (rc)
		fprintf(stderr, "bphound: recording results: %s\n",
			bph_strerror(rc));
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

/* Exit status of a scan stopped by SIGINT/SIGTERM (128 + SIGINT). */
#define EXIT_INTERRUPTED 130

static void print_resume_hint(const struct bph_opts *o, const char *kind,
			      int signo)
{
	fprintf(stderr,
		"\nbphound: stopped by signal %d; progress saved. Resume "
		"with:\n  bphound %s --resume%s%s\n",
		signo, kind, o->db ? " --db " : "", o->db ? o->db : "");
}

/* A run keeps its parameters (with a fixed seed) and its target specs
 * (one per line) for --resume. */
static int resume_begin(const struct bph_opts *o, const char *specs,
			struct bph_store *st, int64_t scan_id,
			struct bph_synscan_cfg *cfg, struct bph_resume **res)
{
	struct bph_resume_params p = {0};
	char err[256] = "";
	int rc;

	if (!cfg->seed_set &&
	    getrandom(&cfg->seed, sizeof(cfg->seed), 0) != sizeof(cfg->seed))
		return BPH_ERR_IO;
	cfg->seed_set = true;
	p.targets = strdup(specs);
	p.ports = (char *)o->ports;
	p.exclude = (char *)o->exclude_file;
	p.allow_reserved = o->allow_reserved;
	p.seed = cfg->seed;
	p.shard_index = cfg->shard_index;
	p.shard_count = cfg->shard_count;
	p.rate = cfg->rate;
	p.retries = cfg->retries;
	p.wait_ms = cfg->wait_ms;
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

/*
 * The shared scan path of `scan` and `pivot`; returns an exit status.
 * specs: the target specs to save for --resume (a new run); resumed: the
 * state loaded by `--resume` (its scan id is reused), else NULL.
 */
static int run_scan(const struct bph_opts *o, struct bph_targets *t,
		    const char *port_spec, struct bph_store *st,
		    const char *kind, const char *specs,
		    struct bph_resume *resumed)
{
	uint16_t *ports = NULL;
	size_t n_ports = 0;
	char err[256] = "";
	struct svc_list l = {0};
	struct bph_synscan_cfg cfg;
	struct bph_synscan_stats ss = {0};
	struct bph_resume *res = resumed;
	int64_t scan_id = resumed ? bph_resume_scan_id(resumed) : 0;
	int status = BPH_EXIT_FAIL;

	if (bph_ports_parse(port_spec, &ports, &n_ports, err, sizeof(err))) {
		fprintf(stderr, "bphound: -p: %s\n", err);
		status = BPH_EXIT_USAGE;
		goto out;
	}
	synscan_cfg_from_opts(o, t, ports, n_ports, &cfg);
	if (!resumed && bph_store_scan_begin(st, kind, o->cmd, &scan_id))
		goto out;
	if (!resumed && resume_begin(o, specs, st, scan_id, &cfg, &res))
		goto out;
	if (!o->no_probes && probes_start(o, &l))
		goto out;
	if (res)
		resume_attach(res, &cfg, &l, resumed != NULL);
	int rc = bph_synscan_run(&cfg, res ? bph_resume_on_verdict : collect,
				 res ? (void *)res : (void *)&l, &ss, err,
				 sizeof(err));
	if (rc || l.err) {
		fprintf(stderr, "bphound: scan: %s\n",
			err[0] ? err : bph_strerror(rc ? rc : l.err));
		status = rc == BPH_ERR_USAGE ? BPH_EXIT_USAGE : BPH_EXIT_FAIL;
		goto out;
	}
	if (ss.signo) {
		if (res)
			print_resume_hint(o, kind, ss.signo);
		status = EXIT_INTERRUPTED;
		goto out;
	}
	if (l.eng && probes_finish(&l))
		goto out;
	if (record_services(o, st, scan_id, &l) ||
	    bph_store_scan_end(st, scan_id) || (res && bph_resume_done(res)))
		goto out;
	print_summary(o, &ss, l.n);
	status = BPH_EXIT_OK;
out:
	if (l.eng) { /* scan failed or stopped: stop the probes, discard */
		bph_engine_cancel(l.eng);
		probes_finish(&l);
	}
	if (res != resumed)
		bph_resume_free(res);
	svc_list_free(&l);
	free(ports);
	return status;
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

/* The options a resumed scan takes from its saved parameters. */
static void opts_from_resume(const struct bph_resume_params *p,
			     struct bph_opts *ro)
{
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

/* Refuses to resume another command's run: a pivot's report needs its
 * seed, a scan has none. */
static int check_kind(struct bph_store *st, const struct bph_resume *res,
		      const char *kind)
{
	char k[16] = "";

	if (bph_store_scan_kind(st, bph_resume_scan_id(res), k, sizeof(k)))
		return BPH_EXIT_FAIL;
	if (!strcmp(k, kind))
		return BPH_EXIT_OK;
	fprintf(stderr,
		"bphound %s --resume: the last unfinished run in this store is "
		"a %s; resume it with: bphound %s --resume\n",
		kind, k, k);
	return BPH_EXIT_USAGE;
}

/* `scan --resume`, `pivot --resume`: the store's last unfinished run of
 * that command, same targets and parameters; a pivot then reports on its
 * seed (its first target) with this invocation's clustering and export
 * options. */
static int resume_run(const struct bph_opts *o, const char *kind)
{
	struct bph_store *st = NULL;
	struct bph_resume *res = NULL;
	struct bph_targets *t = NULL;
	struct bph_opts ro = *o;
	char *specs = NULL, err[256] = "";
	int status = BPH_EXIT_FAIL, rc;

	if (o->n_args || o->ports || o->ranges) {
		fprintf(stderr,
			"bphound %s --resume: targets%s and -p come from the "
			"store; give only --db\n",
			kind, o->ranges ? ", --ranges" : "");
		return BPH_EXIT_USAGE;
	}
	if (bph_cli_open_store(o, &st))
		return BPH_EXIT_FAIL;
	rc = bph_resume_load(st, &res, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "bphound: --resume: %s\n",
			err[0] ? err : bph_strerror(rc));
		status = rc == BPH_ERR_USAGE ? BPH_EXIT_USAGE : BPH_EXIT_FAIL;
		goto out;
	}
	if ((status = check_kind(st, res, kind)) != BPH_EXIT_OK)
		goto out;
	status = BPH_EXIT_FAIL;
	opts_from_resume(bph_resume_params(res), &ro);
	specs = strdup(bph_resume_params(res)->targets);
	if (!specs || split_lines(specs, &ro.args, &ro.n_args) ||
	    bph_targets_new(&t))
		goto out;
	for (size_t i = 0; i < ro.n_args; i++)
		if (add_target(t, ro.args[i]))
			goto out;
	if (finish_targets(t, &ro) == 0)
		status = run_scan(&ro, t, ro.ports, st, kind, NULL, res);
	if (status == BPH_EXIT_OK && !strcmp(kind, "pivot"))
		status = bph_cli_cluster_report(&ro, st, ro.args[0]);
out:
	bph_targets_free(t);
	free(ro.args != o->args ? (void *)ro.args : NULL);
	free(specs);
	bph_resume_free(res);
	bph_store_close(st);
	return status;
}

int bph_cmd_scan(const struct bph_opts *o)
{
	struct bph_targets *t = NULL;
	struct bph_store *st = NULL;
	char *specs = NULL;
	int status = BPH_EXIT_USAGE;

	if (o->resume)
		return resume_run(o, "scan");
	if (o->n_args == 0) {
		fprintf(stderr, "bphound scan: no targets given (bphound never "
				"picks targets by itself)\n");
		return BPH_EXIT_USAGE;
	}
	if (!o->ports) {
		fprintf(stderr, "bphound scan: -p PORTS is required\n");
		return BPH_EXIT_USAGE;
	}
	if (bph_targets_new(&t))
		return BPH_EXIT_FAIL;
	for (size_t i = 0; i < o->n_args; i++)
		if (add_target(t, o->args[i]))
			goto out;
	if (finish_targets(t, o))
		goto out;
	status = BPH_EXIT_FAIL;
	specs = bph_resume_join(o->args, o->n_args);
	if (!specs || bph_cli_open_store(o, &st))
		goto out;
	status = run_scan(o, t, o->ports, st, "scan", specs, NULL);
out:
	free(specs);
	bph_store_close(st);
	bph_targets_free(t);
	return status;
}

/* Seed's /24, as text, for the default pivot neighbourhood. */
static int seed_neighbourhood(const char *seed, char out[32])
{
	struct in_addr a;
	if (inet_pton(AF_INET, seed, &a) != 1)
		return BPH_ERR_USAGE;
	uint32_t ip = ntohl(a.s_addr) & 0xffffff00u;
	char s[16];
	bph_ip_str(ip, s);
	snprintf(out, 32, "%s/24", s);
	return 0;
}

/* A pivot's specs for --resume: the seed first (the report's seed), then
 * each range (or the seed's /24), one per line. */
static char *pivot_specs(const char *seed, const char *ranges)
{
	char *s = NULL;

	if (asprintf(&s, "%s\n%s", seed, ranges) < 0)
		return NULL;
	for (char *p = s; *p; p++)
		if (*p == ',')
			*p = '\n';
	return s;
}

int bph_cmd_pivot(const struct bph_opts *o)
{
	struct bph_targets *t = NULL;
	struct bph_store *st = NULL;
	char hood[32], *specs = NULL;
	int status = BPH_EXIT_USAGE;

	if (o->resume)
		return resume_run(o, "pivot");
	if (o->n_args != 1) {
		fprintf(stderr, "bphound pivot: exactly one SEED address is "
				"required\n");
		return BPH_EXIT_USAGE;
	}
	const char *seed = o->args[0];
	if (bph_cli_check_exports(o))
		return BPH_EXIT_USAGE;
	if (seed_neighbourhood(seed, hood)) {
		fprintf(stderr, "bphound pivot: '%s' is not an IPv4 address\n",
			seed);
		return BPH_EXIT_USAGE;
	}
	if (bph_targets_new(&t))
		return BPH_EXIT_FAIL;
	if (add_target(t, seed) ||
	    (o->ranges ? add_target_list(t, o->ranges) : add_target(t, hood)))
		goto out;
	if (finish_targets(t, o))
		goto out;
	status = BPH_EXIT_FAIL;
	specs = pivot_specs(seed, o->ranges ? o->ranges : hood);
	if (!specs || bph_cli_open_store(o, &st))
		goto out;
	status = run_scan(o, t, o->ports ? o->ports : PIVOT_DEFAULT_PORTS, st,
			  "pivot", specs, NULL);
	if (status == BPH_EXIT_OK)
		status = bph_cli_cluster_report(o, st, seed);
out:
	free(specs);
	bph_store_close(st);
	bph_targets_free(t);
	return status;
}

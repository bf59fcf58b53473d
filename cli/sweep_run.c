/*
 * sweep_run.c - `bphound sweep run`: one run of a sweep, in the order
 * docs/guide.md "Sweeps" describes: lock the store (exit 75 when busy),
 * mark runs a crash left "running" as interrupted, record a new run, scan
 * through the shared pipeline (cli/scan_run.h), evaluate it against the
 * previous complete run (sweep/sweep.h), commit the events, the run's
 * state and the outbox with the run's "complete" in one transaction, and
 * only then deliver the notifications (sweep/outbox.h).
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli/scan_run.h"
#include "fingerprints/buf.h"
#include "fingerprints/err.h"
#include "scanner/sandbox.h"
#include "scanner/targets.h"
#include "store/store.h"
#include "store/sweep_store.h"
#include "sweep/config.h"
#include "sweep/coverage.h"
#include "sweep/hits.h"
#include "sweep/outbox.h"
#include "sweep/sweep.h"

/* ---- the lock ---- */

/* "<db>.sweep.lock" beside a SQLite store; for a PostgreSQL URI a file
 * named by the URI's hash in $XDG_RUNTIME_DIR or /tmp (so the lock holds
 * between runs on one machine). */
static char *lock_path(const char *db)
{
	const char *dir = getenv("XDG_RUNTIME_DIR");
	unsigned char md[32];
	char hex[65], *p = NULL;

	if (strncmp(db, "postgresql://", 13) && strncmp(db, "postgres://", 11))
		return asprintf(&p, "%s.sweep.lock", db) < 0 ? NULL : p;
	EVP_Digest(db, strlen(db), md, NULL, EVP_sha256(), NULL);
	bph_hex(md, 8, hex);
	return asprintf(&p, "%s/bphound-%s.sweep.lock",
			dir && dir[0] == '/' ? dir : "/tmp", hex) < 0
		   ? NULL
		   : p;
}

/* Takes the lock (waiting up to wait_s); the descriptor, or -1 after
 * saying why (*busy when another run holds it). */
static int take_lock(const char *db, int wait_s, bool *busy)
{
	char *path = lock_path(db);
	int fd = path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
	time_t deadline = time(NULL) + wait_s;

	*busy = false;
	if (fd < 0) {
		fprintf(stderr, "bphound: sweep lock %s: %s\n",
			path ? path : "?", strerror(errno));
		free(path);
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK || time(NULL) >= deadline) {
			*busy = errno == EWOULDBLOCK;
			fprintf(stderr,
				"bphound: another sweep run holds %s%s\n", path,
				*busy ? " (exit 75; --wait SECS waits)" : "");
			close(fd);
			free(path);
			return -1;
		}
		struct timespec ts = {0, 200 * 1000000};
		nanosleep(&ts, NULL);
	}
	free(path);
	return fd;
}

/* ---- the scan ---- */

struct run_ctx {
	const struct bph_opts *o;
	const struct bph_sweep_config *cfg;
	struct bph_store *st;
	int64_t run;
	struct bph_coverage cov;
	struct bph_sweep_collector *fed; /* the run's records as stored */
	char hostname[256];
};

/* scan_run's on_targets: the finalized set is the run's coverage. */
static int record_coverage(void *vctx, const struct bph_targets *t)
{
	struct run_ctx *x = vctx;
	uint64_t n = bph_targets_count(t);
	uint32_t lo = 0, prev = 0;
	int rc = 0;

	for (uint64_t i = 0; !rc && i < n; i++) {
		uint32_t ip = bph_targets_at(t, i);
		if (i && ip != prev + 1) {
			rc = bph_coverage_add_range(&x->cov, lo, prev);
			lo = ip;
		} else if (!i) {
			lo = ip;
		}
		prev = ip;
	}
	if (!rc && n)
		rc = bph_coverage_add_range(&x->cov, lo, prev);
	for (size_t i = 0; !rc && i < x->cfg->n_ports; i++)
		rc = bph_coverage_add_port(&x->cov, x->cfg->ports[i]);
	bph_coverage_finish(&x->cov);
	return rc;
}

static void scan_opts(const struct run_ctx *x, struct bph_opts *so)
{
	const struct bph_sweep_config *c = x->cfg;

	*so = *x->o;
	so->cmd = "sweep";
	so->rate = c->rate;
	if (c->retries >= 0)
		so->retries = c->retries;
	so->wait_ms = c->cooldown_ms ? (int)c->cooldown_ms : -1;
	if (c->timeout_ms)
		so->timeout_ms = (int)c->timeout_ms;
	if (c->max_connections)
		so->max_connections = c->max_connections;
	so->iface = c->iface;
	so->source_ip = c->source_ip;
	so->gateway_mac = c->gateway_mac;
	so->allow_reserved = c->allow_reserved;
	so->no_probes = !c->probes;
	so->no_jarm = !c->jarm;
	so->exclude_file = NULL;
	so->out_jsonl = NULL;
}

/* Target specs, files and exclusions as the pipeline's string arrays. */
static const char **joined(const struct bph_strlist *a,
			   const struct bph_strlist *b, size_t *n)
{
	const char **v = calloc(a->n + b->n + 1, sizeof(*v));

	*n = 0;
	for (size_t i = 0; v && i < a->n; i++)
		v[(*n)++] = a->v[i];
	for (size_t i = 0; v && i < b->n; i++)
		v[(*n)++] = b->v[i];
	return v;
}

static char *ports_spec(const struct bph_sweep_config *c)
{
	char *s = malloc(c->n_ports * 6 + 1);
	size_t o = 0;

	for (size_t i = 0; s && i < c->n_ports; i++)
		o += (size_t)sprintf(s + o, "%s%u", i ? "," : "", c->ports[i]);
	if (s)
		s[o] = '\0';
	return s;
}

/* scan_run's on_stored: each record the run stored, gathered for its
 * evaluation (sweep/sweep.h, struct bph_sweep_collector). */
static int gather(void *vctx, const struct bph_service *s)
{
	struct run_ctx *x = vctx;

	return bph_sweep_collector_feed(x->fed, s);
}

static int scan(struct run_ctx *x, struct bph_scan_result *res)
{
	struct bph_opts so;
	struct bph_scan_job job = {.kind = "sweep",
				   .opts = &so,
				   .on_targets = record_coverage,
				   .on_stored = x->fed ? gather : NULL,
				   .ctx = x};
	const char **targets = joined(&x->cfg->target_specs,
				      &x->cfg->target_files, &job.n_targets);
	const char **excl = joined(&x->cfg->exclude_specs,
				   &x->cfg->exclude_files, &job.n_excludes);
	char *ports = ports_spec(x->cfg);
	int rc = targets && excl && ports ? 0 : BPH_ERR_NOMEM;

	scan_opts(x, &so);
	job.targets = targets;
	job.excludes = excl;
	job.ports = ports;
	if (!rc)
		rc = bph_scan_run(x->st, &job, res);
	free(targets);
	free(excl);
	free(ports);
	return rc;
}

/* ---- after the scan ---- */

struct rows {
	struct bph_event_row *ev;
	char **json;
	size_t n;
	struct bph_delivery *d;
	size_t n_d;
	struct bph_outbox_row *ob;
};

static void rows_clear(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->json[i]);
	free(r->json);
	free(r->ev);
	bph_outbox_free(r->d, r->n_d);
	free(r->ob);
	memset(r, 0, sizeof(*r));
}

/* The events of s as store rows, and (unless --no-notify) the digests. */
static int make_rows(const struct run_ctx *x, const struct bph_event_set *s,
		     struct rows *r)
{
	int rc = 0;

	r->ev = calloc(s->n + 1, sizeof(*r->ev));
	r->json = calloc(s->n + 1, sizeof(*r->json));
	if (!r->ev || !r->json)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; !rc && i < s->n; i++) {
		const struct bph_event *e = &s->v[i];
		json_t *j = bph_event_to_json(s, e);
		r->json[i] = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (!r->json[i])
			return BPH_ERR_NOMEM;
		r->ev[i] =
		    (struct bph_event_row){e->id,
					   bph_event_types[e->type].name,
					   bph_severity_name(e->severity),
					   e->has_ip,
					   e->ip,
					   e->port,
					   r->json[i]};
		r->n = i + 1;
	}
	if (!x->o->no_notify)
		rc = bph_outbox_prepare(x->cfg, s, x->hostname, &r->d, &r->n_d);
	if (!rc && r->n_d && !(r->ob = bph_outbox_rows(r->d, r->n_d)))
		rc = BPH_ERR_NOMEM;
	return rc;
}

/* The webhook's delivery child gives up the sweep's privileges (root,
 * or CAP_NET_RAW under the unit) as the probe worker does, before it
 * reads the server's reply. */
static int drop_for_delivery(void *ctx, char *err, size_t errlen)
{
	struct bph_identity id;
	int rc = bph_identity_pick(NULL, &id, err, errlen);

	(void)ctx;
	return rc ? rc : bph_privs_drop(&id, err, errlen);
}

static void deliver(const struct run_ctx *x, size_t *ok, size_t *pending)
{
	const struct bph_confine cf = {drop_for_delivery, NULL};

	*ok = *pending = 0;
	if (!x->o->no_notify &&
	    bph_outbox_deliver(x->st, x->cfg, &cf, stderr, ok, pending))
		fprintf(stderr, "bphound: notifications: reading the outbox "
				"failed\n");
}

/* A run that ended without a baseline worth comparing: recorded with a
 * sweep.failed event, which alone is notified. */
static int end_failed(struct run_ctx *x, enum bph_run_status status,
		      const char *why)
{
	struct bph_event_set s;
	struct rows r = {0};
	size_t ok, pending;
	int rc = bph_event_set_init(&s, x->cfg->name, 0, x->run, time(NULL));

	if (!rc && !bph_event_add(
		       &s, BPH_EV_SWEEP_FAILED, false, 0, -1, NULL, NULL, NULL,
		       json_pack("{s:s,s:s}", "status",
				 bph_run_status_name(status), "reason", why)))
		rc = BPH_ERR_NOMEM;
	if (!rc)
		rc = bph_event_set_finish(&s);
	if (!rc)
		rc = make_rows(x, &s, &r);
	struct bph_sweep_commit c = {.run = x->run,
				     .status = status,
				     .error = why,
				     .events = r.ev,
				     .n_events = r.n,
				     .outbox = r.ob,
				     .n_outbox = r.ob ? r.n_d : 0};
	rc = rc ? bph_sweep_run_end(x->st, x->run, status, why)
		: bph_sweep_commit(x->st, &c);
	if (!rc)
		deliver(x, &ok, &pending);
	rows_clear(&r);
	bph_event_set_clear(&s);
	return rc;
}

/* sweep.completed: the counts per type, hosts and services. */
static int add_completed(struct bph_eval *ev)
{
	json_t *counts = json_object(), *det;
	size_t c[BPH_EV_COUNT] = {0};

	for (size_t i = 0; i < ev->events.n; i++)
		c[ev->events.v[i].type]++;
	for (int t = 0; counts && t < BPH_EV_COUNT; t++)
		if (c[t])
			json_object_set_new(counts, bph_event_types[t].name,
					    json_integer((json_int_t)c[t]));
	det =
	    json_pack("{s:I,s:I,s:I,s:o*}", "events", (json_int_t)ev->events.n,
		      "hosts", (json_int_t)ev->hosts, "services",
		      (json_int_t)ev->services, "counts", counts);
	if (!bph_event_add(&ev->events, BPH_EV_SWEEP_COMPLETED, false, 0, -1,
			   NULL, NULL, NULL, det))
		return BPH_ERR_NOMEM;
	int rc = bph_event_set_finish(&ev->events);
	if (!rc)
		bph_event_set_sort(&ev->events);
	return rc;
}

static void summary(const struct run_ctx *x, const struct bph_eval *ev,
		    size_t ok, size_t pending)
{
	if (x->o->quiet)
		return;
	fprintf(stderr,
		"bphound: sweep %s run %lld complete: %lld hosts, %lld "
		"services; %zu events against ",
		x->cfg->name, (long long)x->run, (long long)ev->hosts,
		(long long)ev->services, ev->events.n - 1);
	if (ev->from)
		fprintf(stderr, "run %lld", (long long)ev->from);
	else
		fprintf(stderr, "no earlier run (the first)");
	fprintf(stderr, "; notifications: %zu delivered, %zu pending\n", ok,
		pending);
}

static int complete(struct run_ctx *x, struct bph_sweep_ctx *sx)
{
	struct bph_eval ev;
	struct bph_eval_commit c = {0};
	struct rows r = {0};
	char err[512] = "";
	size_t ok = 0, pending = 0;
	int rc = bph_sweep_evaluate(sx, 0, x->run, &ev, err, sizeof(err));

	if (!rc)
		rc = add_completed(&ev);
	if (!rc)
		rc = make_rows(x, &ev.events, &r);
	if (!rc)
		rc = bph_eval_commit(&ev, sx, x->run, &c);
	c.c.events = r.ev;
	c.c.n_events = r.n;
	c.c.outbox = r.ob;
	c.c.n_outbox = r.ob ? r.n_d : 0;
	if (!rc)
		rc = bph_sweep_commit(x->st, &c.c);
	if (!rc) {
		deliver(x, &ok, &pending);
		summary(x, &ev, ok, pending);
	} else {
		bph_cli_fail("sweep: evaluating the run", rc, err);
		end_failed(x, BPH_RUN_FAILED, err[0] ? err : bph_strerror(rc));
	}
	bph_eval_commit_clear(&c);
	rows_clear(&r);
	bph_eval_clear(&ev);
	return rc;
}

/* ---- the run ---- */

/* Checks what would fail only after the scan (webhook secrets) or leave
 * a store and a lock file behind for nothing (no CAP_NET_RAW). */
static int preflight(const struct bph_opts *o, const struct bph_sweep_config *c)
{
	char err[512], *secret = NULL;

	if (!bph_scan_may_send(o))
		return BPH_EXIT_USAGE;
	for (size_t i = 0; !o->no_notify && i < c->n_notify; i++) {
		if (c->notify[i].type != BPH_NT_WEBHOOK)
			continue;
		if (bph_webhook_secret(&c->notify[i], &secret, err,
				       sizeof(err)))
			return bph_cli_fail(c->notify[i].id, BPH_ERR_USAGE,
					    err);
		if (secret) {
			memset(secret, 0, strlen(secret));
			free(secret);
		}
	}
	return 0;
}

char *bph_cli_sweep_db(const struct bph_opts *o,
		       const struct bph_sweep_config *c)
{
	const char *state = getenv("STATE_DIRECTORY");
	char *p = NULL;

	if (o->db || (c && c->db))
		return strdup(o->db ? o->db : c->db);
	if (state && state[0] == '/') {
		/* systemd may pass several, colon-separated: the first */
		size_t n = strcspn(state, ":");
		return asprintf(&p, "%.*s/bphound.db", (int)n, state) < 0 ? NULL
									  : p;
	}
	return bph_store_default_path();
}

static int scan_and_evaluate(struct run_ctx *x, struct bph_sweep_ctx *sx)
{
	struct bph_scan_result res;
	char *ranges, *ports, why[128];
	time_t t0 = time(NULL);
	int rc = scan(x, &res);

	if (rc) {
		end_failed(x, BPH_RUN_FAILED, bph_strerror(rc));
		bph_scan_result_clear(&res);
		return bph_cli_status(rc);
	}
	if (res.signo) {
		snprintf(why, sizeof(why), "stopped by signal %d", res.signo);
		end_failed(x, BPH_RUN_INTERRUPTED, why);
		bph_scan_result_clear(&res);
		return 128 + res.signo;
	}
	ranges = bph_coverage_ranges_str(&x->cov);
	ports = bph_coverage_ports_str(&x->cov);
	rc = ranges && ports
		 ? bph_sweep_run_set_scan(x->st, x->run, res.scan_id, ranges,
					  ports, time(NULL))
		 : BPH_ERR_NOMEM;
	if (x->fed) { /* the evaluation takes what the store was fed */
		bph_sweep_collector_done(x->fed, res.scan_id);
		sx->fed = x->fed;
	}
	free(ranges);
	free(ports);
	bph_scan_result_clear(&res);
	if (!rc && x->cfg->max_runtime_ms &&
	    (uint64_t)(time(NULL) - t0) * 1000 > x->cfg->max_runtime_ms) {
		end_failed(x, BPH_RUN_FAILED, "ran longer than max_runtime");
		fprintf(stderr,
			"bphound: sweep %s: ran longer than "
			"max_runtime; the run is not a baseline\n",
			x->cfg->name);
		return BPH_EXIT_FAIL;
	}
	if (!rc)
		rc = complete(x, sx);
	return rc ? bph_cli_status(rc) : BPH_EXIT_OK;
}

int bph_cli_sweep_store(const struct bph_opts *o,
			const struct bph_sweep_config *c, bool write,
			struct bph_store **st)
{
	struct bph_opts so = *o;
	char *db = bph_cli_sweep_db(o, c);
	int status;

	if (!db)
		return bph_cli_fail("sweep", BPH_ERR_NOMEM, NULL);
	so.db = db;
	status = write ? bph_cli_open_store(&so, st)
		       : bph_cli_open_store_ro(&so, st);
	free(db);
	return status;
}

/* With the lock held: a new run in the opened store, scanned and
 * evaluated. */
static int locked_run(struct run_ctx *x, struct bph_sweep_ctx *sx,
		      const char *db)
{
	struct bph_opts so = *x->o;
	int n_stale = 0, status;

	so.db = db;
	if ((status = bph_cli_open_store(&so, &x->st)))
		return status;
	sx->st = x->st;
	int rc = bph_sweep_run_begin(x->st, x->cfg->name, x->cfg->sha256,
				     (int64_t)getpid(), &x->run, &n_stale);
	if (rc) {
		status = bph_cli_fail("sweep: recording the run", rc, NULL);
	} else {
		if (n_stale && !x->o->quiet)
			fprintf(stderr,
				"bphound: %d run(s) found running from an "
				"earlier start are now marked interrupted\n",
				n_stale);
		status = scan_and_evaluate(x, sx);
	}
	bph_store_close(x->st);
	return status;
}

int bph_cli_sweep_run(const struct bph_opts *o,
		      const struct bph_sweep_config *cfg)
{
	struct run_ctx x = {.o = o, .cfg = cfg};
	struct bph_sweep_ctx sx;
	char err[512] = "", *db = NULL;
	bool busy;
	int fd = -1,
	    status = bph_sweep_ctx_init(&sx, NULL, cfg, err, sizeof(err));

	if (status) /* watch files: file:line:column, before any packet */
		status = bph_cli_fail("sweep", status, err);
	sx.keep_index = true; /* the run is committed with its index */
	/* without it the run's records are read back (as before) */
	x.fed = status ? NULL : bph_sweep_collector_new(&sx);
	if (!status)
		status = preflight(o, cfg);
	if (!status && !(db = bph_cli_sweep_db(o, cfg)))
		status = bph_cli_fail("sweep", BPH_ERR_NOMEM, NULL);
	if (!status && (fd = take_lock(db, o->lock_wait_s, &busy)) < 0)
		status = busy ? BPH_EXIT_BUSY : BPH_EXIT_FAIL;
	if (!status) {
		gethostname(x.hostname, sizeof(x.hostname) - 1);
		status = locked_run(&x, &sx, db);
	}
	if (fd >= 0)
		close(fd); /* releases the lock */
	bph_coverage_clear(&x.cov);
	bph_sweep_collector_free(x.fed);
	bph_sweep_ctx_clear(&sx);
	free(db);
	return status;
}

/*
 * cmd_sweep.c - `bphound sweep run|show|list|history|timer`, `bphound
 * diff` and `bphound watch check` (docs/guide.md "Sweeps"; the run
 * itself is cli/sweep_run.c, the evaluation sweep/sweep.h).
 */
#include "cli/cli.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "fingerprints/err.h"
#include "store/store.h"
#include "store/sweep_store.h"
#include "sweep/config.h"
#include "sweep/notify.h"
#include "sweep/sweep.h"
#include "sweep/watch.h"

/* Loads the config named by args[i] (NAME) or --config. Returns an exit
 * status after saying why. */
static int load_config(const struct bph_opts *o, size_t i,
		       struct bph_sweep_config **cfg)
{
	char err[512] = "", *path = NULL;
	const char *name = i < o->n_args ? o->args[i] : NULL;
	int rc;

	if (!o->config == !name || o->n_args > i + 1) {
		fprintf(stderr,
			"bphound sweep %s: give NAME or --config FILE "
			"(and nothing else)\n",
			o->args[0]);
		return BPH_EXIT_USAGE;
	}
	rc = o->config ? 0
		       : bph_sweep_config_find(name, &path, err, sizeof(err));
	if (!rc)
		rc = bph_sweep_config_load(o->config ? o->config : path, cfg,
					   err, sizeof(err));
	free(path);
	if (rc == BPH_ERR_IO)
		rc = BPH_ERR_USAGE; /* a file the user named cannot be read */
	return rc ? bph_cli_fail("sweep", rc, err) : BPH_EXIT_OK;
}

static int with_config(const struct bph_opts *o,
		       int (*fn)(const struct bph_opts *,
				 const struct bph_sweep_config *))
{
	struct bph_sweep_config *cfg = NULL;
	int status = load_config(o, 1, &cfg);

	if (!status)
		status = fn(o, cfg);
	bph_sweep_config_free(cfg);
	return status;
}

static int show(const struct bph_opts *o, const struct bph_sweep_config *c)
{
	struct bph_sweep_ctx x;
	char err[512] = "";
	int rc = bph_sweep_ctx_init(&x, NULL, c, err, sizeof(err));

	if (!rc)
		rc = bph_sweep_config_print(c, stdout);
	bph_sweep_ctx_clear(&x);
	(void)o;
	return rc ? bph_cli_fail("sweep show", rc, err)
		  : bph_cli_flush_stdout();
}

static int timer(const struct bph_opts *o, const struct bph_sweep_config *c)
{
	(void)o;
	if (!c->schedule) {
		fprintf(stderr,
			"bphound sweep timer: %s has no schedule: (the "
			"timer's default, daily, applies)\n",
			c->path);
		return BPH_EXIT_USAGE;
	}
	bph_sweep_timer_dropin(c, stdout);
	return bph_cli_flush_stdout();
}

static int run(const struct bph_opts *o, const struct bph_sweep_config *c)
{
	int status = bph_notify_global_init() ? BPH_EXIT_FAIL : 0;

	if (!status)
		status = bph_cli_sweep_run(o, c);
	bph_notify_global_cleanup();
	return status;
}

/* ---- list and history ---- */

static void print_time(FILE *f, int64_t t)
{
	char buf[32];

	if (!t) {
		fputs("-", f);
		return;
	}
	bph_time_rfc3339((time_t)t, buf);
	fputs(buf, f);
}

static json_t *run_json(const struct bph_sweep_run *r)
{
	return json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:s*}", "id",
			 (json_int_t)r->id, "sweep", r->sweep, "status",
			 bph_run_status_name(r->status), "started",
			 (json_int_t)r->started, "finished",
			 (json_int_t)r->finished, "scan_id",
			 (json_int_t)r->scan_id, "hosts", (json_int_t)r->hosts,
			 "services", (json_int_t)r->services, "events",
			 (json_int_t)r->events, "error", r->error);
}

struct history {
	const struct bph_opts *o;
	json_t *arr;
	size_t n;
};

static int history_row(void *ctx, const struct bph_sweep_run *r)
{
	struct history *h = ctx;

	h->n++;
	if (h->o->json)
		return json_array_append_new(h->arr, run_json(r))
			   ? BPH_ERR_NOMEM
			   : 0;
	printf("%6lld  ", (long long)r->id);
	print_time(stdout, r->started);
	fputs("  ", stdout);
	print_time(stdout, r->finished);
	printf("  %-11s %7lld %8lld %6lld%s%s\n",
	       bph_run_status_name(r->status), (long long)r->hosts,
	       (long long)r->services, (long long)r->events,
	       r->error ? "  " : "", r->error ? r->error : "");
	return 0;
}

static int history(const struct bph_opts *o, const struct bph_sweep_config *c)
{
	struct bph_store *st = NULL;
	struct history h = {o, json_array(), 0};
	int64_t pending = 0;
	int status = bph_cli_sweep_store(o, c, false, &st);

	if (!status && !o->json)
		printf("%6s  %-20s  %-20s  %-11s %7s %8s %6s\n", "run",
		       "started", "finished", "status", "hosts", "services",
		       "events");
	int rc = status ? 0 : bph_sweep_runs_each(st, c->name, history_row, &h);
	if (!status && !rc)
		rc = bph_outbox_count(st, c->name, "pending", &pending);
	if (!status && !rc && o->json) {
		json_t *doc =
		    json_pack("{s:s,s:o,s:I}", "sweep", c->name, "runs",
			      json_incref(h.arr), "pending_deliveries",
			      (json_int_t)pending);
		json_dumpf(doc, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(doc);
	} else if (!status && !rc && pending) {
		printf("%lld notification(s) wait in the outbox for the next "
		       "run\n",
		       (long long)pending);
	}
	json_decref(h.arr);
	bph_store_close(st);
	if (!status && rc)
		status = bph_cli_fail("sweep history", rc, NULL);
	return status ? status : bph_cli_flush_stdout();
}

static void list_dir(const struct bph_opts *o, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char path[4400], err[512] = "";
		struct bph_sweep_config *c = NULL;
		if (n < 6 || strcmp(e->d_name + n - 5, ".yaml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (bph_sweep_config_load(path, &c, err, sizeof(err))) {
			printf("%.*s  %s  invalid: %s\n", (int)(n - 5),
			       e->d_name, path, err);
			continue;
		}
		printf("%s  %s  %s%s\n", c->name, path,
		       c->schedule ? "schedule " : "schedule daily (timer)",
		       c->schedule ? c->schedule : "");
		bph_sweep_config_free(c);
	}
	if (d)
		closedir(d);
	(void)o;
}

static int list(const struct bph_opts *o)
{
	struct bph_strlist dirs = {0};

	if (o->n_args > 1 || o->config) {
		fprintf(stderr, "bphound sweep list: takes no argument\n");
		return BPH_EXIT_USAGE;
	}
	if (bph_sweep_config_dirs(&dirs))
		return BPH_EXIT_FAIL;
	for (size_t i = 0; i < dirs.n; i++)
		list_dir(o, dirs.v[i]);
	bph_strlist_clear(&dirs);
	return bph_cli_flush_stdout();
}

int bph_cmd_sweep(const struct bph_opts *o)
{
	const char *sub = o->n_args ? o->args[0] : "";

	if (!strcmp(sub, "run"))
		return with_config(o, run);
	if (!strcmp(sub, "show"))
		return with_config(o, show);
	if (!strcmp(sub, "timer"))
		return with_config(o, timer);
	if (!strcmp(sub, "history"))
		return with_config(o, history);
	if (!strcmp(sub, "list"))
		return list(o);
	fprintf(stderr, "bphound sweep: expected run, show, list, history or "
			"timer (bphound sweep --help)\n");
	return BPH_EXIT_USAGE;
}

/* ---- watch check ---- */

int bph_cmd_watch(const struct bph_opts *o)
{
	int status = BPH_EXIT_OK;

	if (o->n_args < 2 || strcmp(o->args[0], "check")) {
		fprintf(stderr, "bphound watch: expected check FILE...\n");
		return BPH_EXIT_USAGE;
	}
	for (size_t i = 1; i < o->n_args; i++) {
		struct bph_watchlist w = {0};
		char err[512] = "";
		int rc = bph_watch_load_file(&w, o->args[i], err, sizeof(err));
		if (rc) {
			bph_cli_fail("watch",
				     rc == BPH_ERR_IO ? BPH_ERR_USAGE : rc,
				     err);
			status = BPH_EXIT_USAGE;
		} else if (!o->quiet) {
			printf("%s: %zu entries, valid\n", o->args[i], w.n);
		}
		bph_watch_clear(&w);
	}
	return status ? status : bph_cli_flush_stdout();
}

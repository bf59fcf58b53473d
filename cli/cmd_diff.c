/*
 * cmd_diff.c - `bphound diff`: the events between two complete runs of a
 * sweep, recomputed from the store with the sweep's config (the same
 * events, with the same ids, as the run stored and notified; rules in
 * sweep/sweep.h). Output as text, JSON Lines or one JSON document;
 * --exit-code gives 0 for no events and 3 for some (docs/guide.md
 * "Sweeps").
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fingerprints/err.h"
#include "store/store.h"
#include "store/sweep_store.h"
#include "sweep/config.h"
#include "sweep/notify.h"
#include "sweep/sweep.h"

enum fmt { FMT_TEXT, FMT_JSONL, FMT_JSON };

static int parse_fmt(const struct bph_opts *o, enum fmt *f)
{
	const char *s = o->format ? o->format : "text";

	*f = !strcmp(s, "text")	   ? FMT_TEXT
	     : !strcmp(s, "jsonl") ? FMT_JSONL
	     : !strcmp(s, "json")  ? FMT_JSON
				   : (enum fmt) - 1;
	if ((int)*f >= 0)
		return 0;
	fprintf(stderr,
		"bphound diff: --format '%s': expected text, jsonl or "
		"json\n",
		s);
	return BPH_EXIT_USAGE;
}

struct names {
	char name[72];
	char all[512];
	size_t n;
};

static int one_name(void *ctx, const char *sweep, int64_t last)
{
	struct names *x = ctx;
	size_t l = strlen(x->all);

	(void)last;
	if (!x->n++)
		snprintf(x->name, sizeof(x->name), "%s", sweep);
	snprintf(x->all + l, sizeof(x->all) - l, "%s%s", l ? ", " : "", sweep);
	return 0;
}

/* The only sweep of the store, when --sweep is not given. */
static int which_sweep(struct bph_store *st, char *out, size_t len)
{
	struct names x = {.n = 0};
	int rc = bph_sweep_names_each(st, one_name, &x);

	if (rc)
		return bph_cli_fail("diff", rc, NULL);
	if (x.n != 1) {
		fprintf(stderr,
			"bphound diff: the store holds %zu sweeps%s%s; name "
			"one with --sweep NAME\n",
			x.n, x.n ? ": " : "", x.all);
		return BPH_EXIT_USAGE;
	}
	snprintf(out, len, "%s", x.name);
	return 0;
}

/* The sweep's config, or its defaults when the file is gone. */
static int config_for(const char *name, struct bph_sweep_config **c)
{
	char err[512] = "", *path = NULL;
	int rc = bph_sweep_config_find(name, &path, err, sizeof(err));

	if (!rc) {
		rc = bph_sweep_config_load(path, c, err, sizeof(err));
		free(path);
		return rc ? bph_cli_fail("diff", rc, err) : 0;
	}
	fprintf(stderr,
		"bphound diff: no config for sweep '%s' (%s); comparing with "
		"the defaults and no watches\n",
		name, err);
	*c = bph_sweep_config_default(name);
	return *c ? 0 : BPH_EXIT_FAIL;
}

static int pick_to(const struct bph_opts *o, struct bph_store *st,
		   const char *sweep, int64_t *to)
{
	struct bph_sweep_run r = {0};
	size_t n = 0;
	int rc;

	if (!o->to_run) {
		rc = bph_sweep_runs_complete(st, sweep, 0, 1, to, &n);
		if (!rc && !n) {
			fprintf(stderr,
				"bphound diff: sweep '%s' has no "
				"complete run\n",
				sweep);
			return BPH_EXIT_USAGE;
		}
		return rc ? bph_cli_fail("diff", rc, NULL) : 0;
	}
	*to = (int64_t)o->to_run;
	rc = bph_sweep_run_get(st, *to, &r);
	bool ok = !rc && r.status == BPH_RUN_COMPLETE;
	bph_sweep_run_clear(&r);
	if (!ok) {
		fprintf(stderr,
			"bphound diff: run %lld is not a complete run "
			"of the store\n",
			(long long)*to);
		return BPH_EXIT_USAGE;
	}
	return 0;
}

static void print_jsonl(const struct bph_event_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		json_t *j = bph_event_to_json(s, &s->v[i]);
		char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
		if (t)
			puts(t);
		free(t);
		json_decref(j);
	}
}

static void print_json(const struct bph_event_set *s)
{
	json_t *ev = json_array(), *counts = json_object();

	for (size_t i = 0; i < s->n; i++) {
		const char *t = bph_event_types[s->v[i].type].name;
		json_array_append_new(ev, bph_event_to_json(s, &s->v[i]));
		json_object_set_new(
		    counts, t,
		    json_integer(
			json_integer_value(json_object_get(counts, t)) + 1));
	}
	json_t *doc =
	    json_pack("{s:s,s:s,s:o,s:I,s:o,s:I,s:o}", "schema",
		      "bphound.diff/1", "sweep", s->sweep, "run_from",
		      s->run_from ? json_integer(s->run_from) : json_null(),
		      "run_to", (json_int_t)s->run_to, "counts", counts,
		      "total", (json_int_t)s->n, "events", ev);
	json_dumpf(doc, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(doc);
}

static void print_text(const struct bph_event_set *s)
{
	if (s->run_from)
		printf("sweep %s: run %lld -> run %lld: %zu event%s\n",
		       s->sweep, (long long)s->run_from, (long long)s->run_to,
		       s->n, s->n == 1 ? "" : "s");
	else
		printf("sweep %s: run %lld (the first): %zu event%s\n",
		       s->sweep, (long long)s->run_to, s->n,
		       s->n == 1 ? "" : "s");
	for (size_t i = 0; i < s->n; i++) {
		char *l = bph_event_line(s, &s->v[i]);
		printf("  %s\n", l ? l : "?");
		free(l);
	}
}

static int compare(const struct bph_opts *o, struct bph_store *st,
		   const struct bph_sweep_config *c, enum fmt f)
{
	struct bph_sweep_ctx x;
	struct bph_eval ev;
	char err[512] = "";
	int64_t to = 0;
	int status = pick_to(o, st, c->name, &to);
	int rc = status ? 0 : bph_sweep_ctx_init(&x, st, c, err, sizeof(err));

	if (status || rc)
		return status ? status : bph_cli_fail("diff", rc, err);
	rc = bph_sweep_evaluate(&x, (int64_t)o->from_run, to, &ev, err,
				sizeof(err));
	if (!rc) {
		if (f == FMT_JSONL)
			print_jsonl(&ev.events);
		else if (f == FMT_JSON)
			print_json(&ev.events);
		else
			print_text(&ev.events);
		status = bph_cli_flush_stdout();
		if (!status && o->exit_code && ev.events.n)
			status = BPH_EXIT_CHANGES;
	} else {
		status = bph_cli_fail("diff", rc, err);
	}
	bph_eval_clear(&ev);
	bph_sweep_ctx_clear(&x);
	return status;
}

int bph_cmd_diff(const struct bph_opts *o)
{
	struct bph_sweep_config *c = NULL;
	struct bph_store *st = NULL;
	char name[72] = "";
	enum fmt f;
	int status = parse_fmt(o, &f);

	if (!status && o->n_args) {
		fprintf(stderr, "bphound diff: unexpected argument '%s'\n",
			o->args[0]);
		status = BPH_EXIT_USAGE;
	}
	if (!status && o->config) {
		char err[512] = "";
		int rc = bph_sweep_config_load(o->config, &c, err, sizeof(err));
		if (rc)
			status = bph_cli_fail(
			    "diff", rc == BPH_ERR_IO ? BPH_ERR_USAGE : rc, err);
	}
	if (!status && o->sweep && c && strcmp(o->sweep, c->name)) {
		fprintf(stderr,
			"bphound diff: --sweep %s but --config is "
			"sweep %s\n",
			o->sweep, c->name);
		status = BPH_EXIT_USAGE;
	}
	if (!status && o->sweep && !c)
		status = config_for(o->sweep, &c);
	if (!status)
		status = bph_cli_sweep_store(o, c, false, &st);
	if (!status && !c && !(status = which_sweep(st, name, sizeof(name))))
		status = config_for(name, &c);
	if (!status)
		status = compare(o, st, c, f);
	bph_store_close(st);
	bph_sweep_config_free(c);
	/* --exit-code: an error is 2, whatever went wrong */
	return o->exit_code && status == BPH_EXIT_FAIL ? BPH_EXIT_USAGE
						       : status;
}

/*
 * weights.c - the YAML list weights of `bphound rank` (format and contract
 * in ranges/weights.h), read with libyaml's event parser.
 */
#include "ranges/weights.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "fingerprints/err.h"

struct wparser {
	yaml_parser_t p;
	const char *label;
	char *err;
	size_t errlen;
};

static int fail_at(struct wparser *w, yaml_mark_t m, const char *why)
{
	if (w->err && w->errlen)
		snprintf(w->err, w->errlen, "%s:%zu:%zu: %s", w->label,
			 m.line + 1, m.column + 1, why);
	return BPH_ERR_FORMAT;
}

static int next(struct wparser *w, yaml_event_t *ev)
{
	if (yaml_parser_parse(&w->p, ev))
		return 0;
	return fail_at(w, w->p.problem_mark,
		       w->p.problem ? w->p.problem : "not YAML");
}

/* A non-negative finite number from a scalar. */
static int number(struct wparser *w, const yaml_event_t *ev, double *out)
{
	const char *s = (const char *)ev->data.scalar.value;
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(*out) || *out < 0)
		return fail_at(w, ev->start_mark,
			       "the impact is not a non-negative number");
	return 0;
}

/* {impact: N, licence: "..."} after its mapping-start event. */
static int entry_map(struct wparser *w, struct bph_weight *e)
{
	yaml_event_t k, v;
	int rc = 0;
	bool have = false;

	while (!rc && !(rc = next(w, &k))) {
		if (k.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&k);
			return have ? 0 : fail_at(w, k.start_mark, "no impact");
		}
		if (k.type != YAML_SCALAR_EVENT || (rc = next(w, &v))) {
			rc = rc ? rc
				: fail_at(w, k.start_mark, "expected a key");
			yaml_event_delete(&k);
			break;
		}
		const char *key = (const char *)k.data.scalar.value;
		if (v.type != YAML_SCALAR_EVENT)
			rc = fail_at(w, v.start_mark, "expected a scalar");
		else if (!strcmp(key, "impact"))
			have = !(rc = number(w, &v, &e->impact));
		else if (!strcmp(key, "licence") || !strcmp(key, "license"))
			snprintf(e->licence, sizeof(e->licence), "%s",
				 (const char *)v.data.scalar.value);
		else
			rc = fail_at(w, k.start_mark,
				     "unknown key (impact or licence)");
		yaml_event_delete(&k);
		yaml_event_delete(&v);
	}
	return rc;
}

static int one_list(struct wparser *w, const yaml_event_t *key,
		    struct bph_weights *ws)
{
	yaml_event_t v;
	int rc;
	const char *name = (const char *)key->data.scalar.value;

	if (strlen(name) == 0 || strlen(name) >= sizeof(ws->v[0].name))
		return fail_at(w, key->start_mark, "bad list name");
	if (ws->n == BPH_WEIGHTS_MAX)
		return BPH_ERR_TOOBIG;
	struct bph_weight *e = &ws->v[ws->n];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	if ((rc = next(w, &v)))
		return rc;
	if (v.type == YAML_SCALAR_EVENT)
		rc = number(w, &v, &e->impact);
	else if (v.type == YAML_MAPPING_START_EVENT)
		rc = entry_map(w, e);
	else
		rc = fail_at(w, v.start_mark, "expected a number or a mapping");
	yaml_event_delete(&v);
	if (!rc)
		ws->n++;
	return rc;
}

/* The top-level mapping, after stream and document start. */
static int top(struct wparser *w, struct bph_weights *ws)
{
	yaml_event_t ev;
	int rc;

	for (int i = 0; i < 2; i++) { /* stream start, document start */
		if ((rc = next(w, &ev)))
			return rc;
		bool end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (end)
			return 0; /* an empty file: no weights */
	}
	if ((rc = next(w, &ev)))
		return rc;
	if (ev.type != YAML_MAPPING_START_EVENT) {
		rc = fail_at(w, ev.start_mark, "expected a mapping of lists");
		yaml_event_delete(&ev);
		return rc;
	}
	yaml_event_delete(&ev);
	while (!(rc = next(w, &ev)) && ev.type != YAML_MAPPING_END_EVENT) {
		rc = ev.type == YAML_SCALAR_EVENT
			 ? one_list(w, &ev, ws)
			 : fail_at(w, ev.start_mark, "expected a list name");
		yaml_event_delete(&ev);
		if (rc)
			return rc;
	}
	if (!rc)
		yaml_event_delete(&ev);
	return rc;
}

int bph_weights_parse(const char *buf, size_t n, const char *label,
		      struct bph_weights *ws, char *err, size_t errlen)
{
	struct wparser w = {.label = label, .err = err, .errlen = errlen};
	int rc;

	memset(ws, 0, sizeof(*ws));
	if (!(ws->v = calloc(BPH_WEIGHTS_MAX, sizeof(*ws->v))))
		return BPH_ERR_NOMEM;
	if (!yaml_parser_initialize(&w.p)) {
		bph_weights_free(ws);
		return BPH_ERR_NOMEM;
	}
	yaml_parser_set_input_string(&w.p, (const unsigned char *)buf, n);
	rc = top(&w, ws);
	yaml_parser_delete(&w.p);
	if (rc == BPH_ERR_TOOBIG)
		snprintf(err, errlen, "%s: more than %d lists", label,
			 BPH_WEIGHTS_MAX);
	if (rc)
		bph_weights_free(ws);
	return rc;
}

int bph_weights_load(const char *path, struct bph_weights *ws, char *err,
		     size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 20);
	size_t n = 0;
	int rc = 0;

	if (!f || !buf) {
		snprintf(err, errlen, "%s: %s", path,
			 f ? "out of memory" : strerror(errno));
		rc = f ? BPH_ERR_NOMEM : BPH_ERR_IO;
	} else if ((n = fread(buf, 1, 1 << 20, f)) == 1 << 20) {
		snprintf(err, errlen, "%s: larger than 1 MiB", path);
		rc = BPH_ERR_TOOBIG;
	}
	if (f)
		fclose(f);
	if (!rc)
		rc = bph_weights_parse(buf, n, path, ws, err, errlen);
	free(buf);
	return rc;
}

double bph_weights_get(const struct bph_weights *w, const char *name,
		       double dflt)
{
	for (size_t i = 0; w && i < w->n; i++)
		if (!strcmp(w->v[i].name, name))
			return w->v[i].impact;
	return dflt;
}

void bph_weights_free(struct bph_weights *w)
{
	if (!w)
		return;
	free(w->v);
	w->v = NULL;
	w->n = 0;
}

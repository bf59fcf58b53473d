/*
 * common.c - the list of known-common artifacts: loading common.yaml with
 * libyaml (errors as file:line:column) and lookup. Format and contract in
 * common.h; what the list holds and why in docs/clustering.md.
 */
#include "fingerprints/common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "fingerprints/err.h"

#ifndef BPH_DATADIR
#define BPH_DATADIR "fingerprints"
#endif

const char *bph_common_default_path(void)
{
	return BPH_DATADIR "/common.yaml";
}

struct loader {
	yaml_parser_t p;
	const char *path;
	char *err;
	size_t errlen;
	struct bph_common *c;
};

static int fail_at(struct loader *l, yaml_mark_t m, const char *msg)
{
	if (l->err && l->errlen)
		snprintf(l->err, l->errlen, "%s:%zu:%zu: %s", l->path,
			 m.line + 1, m.column + 1, msg);
	return BPH_ERR_FORMAT;
}

/* Next event into *ev (caller deletes it); parse errors are reported. */
static int next(struct loader *l, yaml_event_t *ev)
{
	if (yaml_parser_parse(&l->p, ev))
		return 0;
	return fail_at(l, l->p.problem_mark,
		       l->p.problem ? l->p.problem : "YAML syntax error");
}

static int expect(struct loader *l, yaml_event_type_t t, const char *what)
{
	yaml_event_t ev;
	int rc = next(l, &ev);

	if (!rc && ev.type != t)
		rc = fail_at(l, ev.start_mark, what);
	if (!rc || ev.type)
		yaml_event_delete(&ev);
	return rc;
}

static int set_key(struct loader *l, struct bph_common_entry *e,
		   const char *key, const yaml_event_t *val)
{
	char **dst = !strcmp(key, "kind")    ? &e->kind
		     : !strcmp(key, "value") ? &e->value
		     : !strcmp(key, "note")  ? &e->note
					     : NULL;

	if (!dst)
		return fail_at(l, val->start_mark,
			       "unknown key (expected kind, value, note)");
	if (val->type != YAML_SCALAR_EVENT)
		return fail_at(l, val->start_mark, "expected a scalar");
	if (*dst)
		return fail_at(l, val->start_mark, "duplicate key");
	*dst = strdup((const char *)val->data.scalar.value);
	return *dst ? 0 : BPH_ERR_NOMEM;
}

/* Reads one "{kind, value, note}" mapping (its start already consumed). */
static int read_entry(struct loader *l, struct bph_common_entry *e,
		      yaml_mark_t start)
{
	yaml_event_t k, v;
	int rc;

	for (;;) {
		if ((rc = next(l, &k)))
			return rc;
		if (k.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&k);
			break;
		}
		if (k.type != YAML_SCALAR_EVENT) {
			rc = fail_at(l, k.start_mark, "expected a key");
			yaml_event_delete(&k);
			return rc;
		}
		if (!(rc = next(l, &v))) {
			rc = set_key(l, e, (const char *)k.data.scalar.value,
				     &v);
			yaml_event_delete(&v);
		}
		yaml_event_delete(&k);
		if (rc)
			return rc;
	}
	if (!e->kind || !e->value || !e->kind[0] || !e->value[0])
		return fail_at(l, start, "entry needs a kind and a value");
	return 0;
}

static int read_list(struct loader *l)
{
	yaml_event_t ev;
	int rc;

	for (;;) {
		if ((rc = next(l, &ev)))
			return rc;
		yaml_event_type_t t = ev.type;
		yaml_mark_t m = ev.start_mark;
		yaml_event_delete(&ev);
		if (t == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (t != YAML_MAPPING_START_EVENT)
			return fail_at(l, m, "expected a {kind, value} entry");
		void *v = realloc(l->c->v, (l->c->n + 1) * sizeof(*l->c->v));
		if (!v)
			return BPH_ERR_NOMEM;
		l->c->v = v;
		memset(&l->c->v[l->c->n], 0, sizeof(*l->c->v));
		l->c->n++;
		if ((rc = read_entry(l, &l->c->v[l->c->n - 1], m)))
			return rc;
	}
}

/* stream { document { mapping { "common": sequence } } } */
static int read_doc(struct loader *l)
{
	yaml_event_t ev;
	int rc;

	if ((rc = expect(l, YAML_STREAM_START_EVENT, "expected a stream")) ||
	    (rc = expect(l, YAML_DOCUMENT_START_EVENT, "empty file")) ||
	    (rc = expect(l, YAML_MAPPING_START_EVENT,
			 "expected a mapping with key 'common'")))
		return rc;
	if ((rc = next(l, &ev)))
		return rc;
	if (ev.type != YAML_SCALAR_EVENT ||
	    strcmp((const char *)ev.data.scalar.value, "common"))
		rc = fail_at(l, ev.start_mark, "expected the key 'common'");
	yaml_event_delete(&ev);
	if (!rc)
		rc = expect(l, YAML_SEQUENCE_START_EVENT,
			    "'common' must be a list");
	if (!rc)
		rc = read_list(l);
	if (!rc)
		rc = expect(l, YAML_MAPPING_END_EVENT,
			    "only the key 'common' is allowed");
	return rc;
}

static int cmp_entry(const void *x, const void *y)
{
	const struct bph_common_entry *a = x, *b = y;
	int d = strcmp(a->kind, b->kind);

	return d ? d : strcmp(a->value, b->value);
}

int bph_common_load(const char *path, struct bph_common **out, char *err,
		    size_t errlen)
{
	struct loader l = {.path = path, .err = err, .errlen = errlen};
	FILE *f = fopen(path, "rb");
	int rc = 0;

	*out = NULL;
	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return BPH_ERR_IO;
	}
	l.c = calloc(1, sizeof(*l.c));
	if (!l.c || !yaml_parser_initialize(&l.p)) {
		rc = BPH_ERR_NOMEM;
		goto out;
	}
	yaml_parser_set_input_file(&l.p, f);
	rc = read_doc(&l);
	yaml_parser_delete(&l.p);
	if (!rc)
		qsort(l.c->v, l.c->n, sizeof(*l.c->v), cmp_entry);
out:
	fclose(f);
	if (rc)
		bph_common_free(l.c);
	else
		*out = l.c;
	return rc;
}

void bph_common_free(struct bph_common *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].kind);
		free(c->v[i].value);
		free(c->v[i].note);
	}
	free(c->v);
	free(c);
}

const struct bph_common_entry *
bph_common_find(const struct bph_common *c, const char *kind, const char *value)
{
	struct bph_common_entry key = {(char *)kind, (char *)value, NULL};

	if (!c || !c->n)
		return NULL;
	return bsearch(&key, c->v, c->n, sizeof(*c->v), cmp_entry);
}

int bph_common_merge(struct bph_common *into, struct bph_common *from)
{
	struct bph_common_entry *v;

	if (!from || from->n == 0) {
		bph_common_free(from);
		return 0;
	}
	v = realloc(into->v, (into->n + from->n) * sizeof(*v));
	if (!v)
		return BPH_ERR_NOMEM;
	memcpy(v + into->n, from->v, from->n * sizeof(*v));
	into->v = v;
	into->n += from->n;
	qsort(into->v, into->n, sizeof(*into->v), cmp_entry);
	free(from->v); /* the strings now belong to into */
	free(from);
	return 0;
}

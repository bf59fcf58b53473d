/*
 * digest.c - what every channel builds its message from: the digest
 * envelope ("bphound.digest/1", docs/output.md), one escaped human line
 * per event and one ASCII JSON line per event (contracts in
 * sweep/notify.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/record.h"
#include "fingerprints/text.h"
#include "sweep/notify.h"

/* Longest network value shown in a human line. */
#define LINE_VALUE_MAX 160

static json_t *counts(const struct bph_event *const *sel, size_t n)
{
	size_t c[BPH_EV_COUNT] = {0};
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++)
		c[sel[i]->type]++;
	for (int t = 0; o && t < BPH_EV_COUNT; t++)
		if (c[t] &&
		    json_object_set_new(o, bph_event_types[t].name,
					json_integer((json_int_t)c[t]))) {
			json_decref(o);
			return NULL;
		}
	return o;
}

json_t *bph_digest_json(const struct bph_event_set *s,
			const struct bph_event *const *sel, size_t n,
			size_t more, const char *delivery, const char *hostname)
{
	char when[32];
	json_t *ev = json_array();

	for (size_t i = 0; ev && i < n; i++)
		if (json_array_append_new(ev, bph_event_to_json(s, sel[i]))) {
			json_decref(ev);
			return NULL;
		}
	bph_time_rfc3339(s->observed_at, when);
	return ev ? json_pack("{s:s,s:s,s:s,s:I,s:o,s:s,s:s,s:o*,s:I,s:I,s:o}",
			      "schema", BPH_DIGEST_SCHEMA, "delivery", delivery,
			      "sweep", s->sweep, "run", (json_int_t)s->run_to,
			      "run_from",
			      s->run_from ? json_integer(s->run_from)
					  : json_null(),
			      "host", hostname, "observed_at", when, "counts",
			      counts(sel, n), "total", (json_int_t)(n + more),
			      "more", (json_int_t)more, "events", ev)
		  : NULL;
}

char *bph_event_json_line(const struct bph_event_set *s,
			  const struct bph_event *e)
{
	json_t *j = bph_event_to_json(s, e);
	char *t = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	json_decref(j);
	return t;
}

/* Appends v to the line, cut to LINE_VALUE_MAX: a string escaped as
 * bph_print_text does; anything else as compact ASCII JSON (whose own
 * escapes already neutralise every control character). */
static void put_value(FILE *f, const json_t *v)
{
	bool str = json_is_string(v);
	char *t = str ? strdup(json_string_value(v))
		      : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
					  JSON_ENSURE_ASCII);
	if (!t)
		return;
	if (strlen(t) > LINE_VALUE_MAX)
		strcpy(t + LINE_VALUE_MAX - 3, "...");
	if (str)
		bph_print_text(f, t);
	else
		fputs(t, f);
	free(t);
}

static void put_addr(FILE *f, const struct bph_event *e)
{
	char ip[16];

	if (!e->has_ip)
		return;
	bph_ip_str(e->ip, ip);
	fprintf(f, " %s", ip);
	if (e->port >= 0)
		fprintf(f, ":%d", e->port);
}

static void put_evidence(FILE *f, const json_t *ev)
{
	size_t i;
	json_t *x;

	fputs(" (", f);
	json_array_foreach(ev, i, x)
	{
		fputs(i ? ", " : "", f);
		put_value(f, json_object_get(x, "kind"));
		fputc(' ', f);
		put_value(f, json_object_get(x, "value"));
	}
	fputc(')', f);
}

static void put_body(FILE *f, const struct bph_event *e)
{
	const json_t *b = e->before, *a = e->after;

	if (e->type == BPH_EV_IDENTITY_MOVED) {
		fputs(" -> ", f);
		put_value(f, json_object_get(a, "ip"));
	} else if (e->cluster) {
		fputc(' ', f);
		put_value(f, json_object_get(e->cluster, "name"));
		fprintf(f, " (%lld -> %lld hosts)",
			(long long)json_integer_value(
			    json_object_get(e->cluster, "size_before")),
			(long long)json_integer_value(
			    json_object_get(e->cluster, "size_after")));
	} else if (e->field) {
		fprintf(f, " %s: ", e->field);
		put_value(f, b ? b : json_null());
		fputs(" -> ", f);
		put_value(f, a ? a : json_null());
	} else if (b || a) {
		fputc(' ', f);
		put_value(f, a ? a : b);
	}
	if (e->evidence)
		put_evidence(f, e->evidence);
	if (e->watch) {
		fputs(" [", f);
		put_value(f, json_object_get(e->watch, "source"));
		fputc(']', f);
	}
}

char *bph_event_line(const struct bph_event_set *s, const struct bph_event *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)s;
	if (!f)
		return NULL;
	fprintf(f, "[%s] %s", bph_severity_name(e->severity),
		bph_event_types[e->type].name);
	put_addr(f, e);
	put_body(f, e);
	if (e->type == BPH_EV_SWEEP_COMPLETED ||
	    e->type == BPH_EV_SWEEP_FAILED) {
		fputc(' ', f);
		put_value(f, e->details ? e->details : json_null());
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

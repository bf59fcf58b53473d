/*
 * export.c - the exporter registry (one entry per format, each in its own
 * export_<format>.c) and the helpers the exporters share. Contract in
 * export.h; the formats are described in docs/output.md "Graph exports".
 */
#include "cluster/export.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"

const struct bph_exporter *const bph_exporters[] = {
    &bph_export_json,	    &bph_export_graphml,
    &bph_export_gexf,	    &bph_export_dot,
    &bph_export_cytoscape,  &bph_export_stix,
    &bph_export_csv,	    &bph_export_html,
    &bph_export_zeek_intel, NULL,
};

const struct bph_exporter *bph_exporter_find(const char *name)
{
	for (size_t i = 0; name && bph_exporters[i]; i++)
		if (!strcmp(bph_exporters[i]->name, name))
			return bph_exporters[i];
	return NULL;
}

bool bph_export_known(const char *format)
{
	return bph_exporter_find(format) != NULL;
}

int bph_export_fail(char *err, size_t errlen, int rc, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return rc;
}

int bph_export_write(const struct bph_clustering *c, const char *format,
		     const char *seed, FILE *out, char *err, size_t errlen)
{
	struct bph_export_opts o = {.seed = seed, .artifact_nodes = false};

	return bph_export_write_opts(c, format, &o, out, err, errlen);
}

int bph_export_write_opts(const struct bph_clustering *c, const char *format,
			  const struct bph_export_opts *o, FILE *out, char *err,
			  size_t errlen)
{
	const struct bph_exporter *e = bph_exporter_find(format);
	int rc;

	if (!e)
		return bph_export_fail(err, errlen, BPH_ERR_USAGE,
				       "unknown export format");
	rc = e->write(c, o, out, err, errlen);
	if (!rc && (fflush(out) || ferror(out)))
		rc = bph_export_fail(err, errlen, BPH_ERR_IO, "write failed");
	return rc;
}

char *bph_export_evidence_text(const struct bph_clustering *c,
			       const struct bph_link *l,
			       enum bph_text_mode mode)
{
	struct bph_sbuf b;
	char num[96];
	char *raw, *clean;

	bph_sbuf_init(&b);
	for (size_t i = 0; i < l->n_ev; i++) {
		const struct bph_art_stat *a = &c->arts[l->ev[i].art];
		if (i)
			bph_sbuf_str(&b, "; ");
		bph_sbuf_str(&b, a->kind);
		bph_sbuf_str(&b, " ");
		bph_sbuf_str(&b, a->value);
		snprintf(num, sizeof(num), " (%u hosts, w=%.2f, %s)", a->df,
			 a->weight, bph_rule_name(l->ev[i].rule));
		bph_sbuf_str(&b, num);
	}
	bph_sbuf_u8(&b, 0);
	if (b.err) {
		bph_sbuf_free(&b);
		return NULL;
	}
	raw = (char *)b.p;
	clean = bph_text_clean(raw, mode);
	bph_sbuf_free(&b);
	return clean;
}

/* ---- streaming JSON ---- */

#define JSON_FLAGS                                                             \
	(JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6) |       \
	 JSON_ENCODE_ANY)

/* depth spaces; out is locked from bph_json_open to bph_json_close. */
static void indent(FILE *out, int depth)
{
	static const char spaces[] = "                ";

	for (int n = depth; n > 0; n -= (int)sizeof(spaces) - 1)
		fwrite_unlocked(spaces, 1,
				n < (int)sizeof(spaces) - 1
				    ? (size_t)n
				    : sizeof(spaces) - 1,
				out);
}

static void put_str(const char *s, FILE *out)
{
	fwrite_unlocked(s, 1, strlen(s), out);
}

/* jansson's dump callback: the value's own lines, shifted to depth. */
static int shifted(const char *buf, size_t n, void *data)
{
	const struct bph_json_out *j = data;

	for (const char *p = buf, *end = buf + n; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		fwrite_unlocked(p, 1, len, j->out);
		if (nl)
			indent(j->out, j->depth);
		p += len;
	}
	return 0;
}

static void dump(struct bph_json_out *j, json_t *v)
{
	if (!v || json_dump_callback(v, shifted, j, JSON_FLAGS))
		j->bad++;
	json_decref(v);
}

void bph_json_open(struct bph_json_out *j, FILE *out)
{
	/* one lock for the document: the writes below are many and small */
	flockfile(out);
	j->out = out;
	j->depth = 0;
	j->bad = 0;
	putc_unlocked('{', out);
	j->depth = 1;
	j->first = true;
}

void bph_json_key(struct bph_json_out *j, const char *key)
{
	put_str(j->first ? "\n" : ",\n", j->out);
	indent(j->out, j->depth);
	putc_unlocked('"', j->out);
	put_str(key, j->out);
	put_str("\": ", j->out);
	j->first = false;
}

void bph_json_begin(struct bph_json_out *j, char bracket)
{
	putc_unlocked(bracket, j->out);
	j->depth++;
	j->first = true;
}

void bph_json_end(struct bph_json_out *j, char bracket)
{
	j->depth--;
	if (!j->first) {
		putc_unlocked('\n', j->out);
		indent(j->out, j->depth);
	}
	putc_unlocked(bracket, j->out);
	j->first = false;
}

void bph_json_value(struct bph_json_out *j, json_t *v)
{
	dump(j, v);
}

void bph_json_next(struct bph_json_out *j)
{
	put_str(j->first ? "\n" : ",\n", j->out);
	indent(j->out, j->depth);
	j->first = false;
}

void bph_json_item(struct bph_json_out *j, json_t *v)
{
	bph_json_next(j);
	dump(j, v);
}

void bph_json_close(struct bph_json_out *j)
{
	bph_json_end(j, '}');
	putc_unlocked('\n', j->out);
	funlockfile(j->out);
}

static void file_put(void *ctx, const char *p, size_t n)
{
	fwrite_unlocked(p, 1, n, ctx);
}

void bph_json_text(struct bph_json_out *j, const char *s)
{
	bph_json_quote(s, file_put, j->out);
}

void bph_json_int(struct bph_json_out *j, int64_t v)
{
	char buf[24];

	fwrite_unlocked(buf, 1, bph_json_int_str(v, buf), j->out);
}

void bph_json_bool(struct bph_json_out *j, bool v)
{
	put_str(v ? "true" : "false", j->out);
}

/* Removes the '+' and leading zeros of buf's exponent, as jansson does. */
static void trim_exponent(char *buf)
{
	char *start = strchr(buf, 'e'), *end;

	if (!start)
		return;
	start++;
	if (*start == '-')
		start++;
	for (end = start; *end == '+' || *end == '0'; end++)
		;
	memmove(start, end, strlen(end) + 1);
}

size_t bph_json_real_str(double v, int precision, char buf[48])
{
	snprintf(buf, 48, "%.*g", precision, v);
	if (!strchr(buf, '.') && !strchr(buf, 'e'))
		strcat(buf, ".0");
	trim_exponent(buf);
	return strlen(buf);
}

void bph_json_real(struct bph_json_out *j, double v)
{
	char buf[48];

	if (!isfinite(v)) {
		j->bad++;
		return;
	}
	bph_json_real_str(v, 6, buf);
	put_str(buf, j->out);
}

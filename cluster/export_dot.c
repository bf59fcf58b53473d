/*
 * export_dot.c - Graphviz DOT (docs/output.md "Graph exports"). Every ID
 * and attribute value is a double-quoted string: text is cleaned to XML
 * characters (no controls), then '"' and '\' are backslash-escaped and
 * line breaks become spaces. Graphviz's scanner refuses a quoted string
 * over 16384 bytes ("longer than 16384?"), so a longer one (a page title
 * from the network) is cut to DOT_QUOTED_MAX bytes between its quotes, at
 * a character boundary and never inside an escape, ending in "...".
 */
#include "cluster/export.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

#define DOT_QUOTED_MAX 16000 /* bytes between the quotes, escapes included */

/* Bytes the character starting with lead byte c takes (valid UTF-8). */
static size_t seq_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

static bool escaped(char c)
{
	return c == '"' || c == '\\';
}

/* Bytes s takes between the quotes once escaped. */
static size_t dot_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += 1 + escaped(*s);
	return n;
}

/* Writes clean text s escaped, whole (it fits between the quotes). */
static void put_escaped(FILE *out, const char *s)
{
	for (;;) {
		size_t n = strcspn(s, "\"\\\n\r\t");
		fwrite_unlocked(s, 1, n, out);
		s += n;
		if (!*s)
			return;
		if (escaped(*s))
			putc_unlocked('\\', out);
		putc_unlocked(escaped(*s) ? *s : ' ', out);
		s++;
	}
}

/* Writes clean text s escaped and cut to DOT_QUOTED_MAX with "...". */
static void put_cut(FILE *out, const char *s)
{
	size_t room = DOT_QUOTED_MAX - 3, len;

	for (const char *p = s; *p; p += len) {
		len = seq_len((unsigned char)*p);
		if (len + escaped(*p) > room) {
			fputs_unlocked("...", out);
			break;
		}
		room -= len + escaped(*p);
		if (escaped(*p))
			putc_unlocked('\\', out);
		if (*p == '\n' || *p == '\r' || *p == '\t')
			putc_unlocked(' ', out);
		else
			fwrite_unlocked(p, 1, len, out);
	}
}

/* Writes s as a DOT quoted string (cut to DOT_QUOTED_MAX); returns -1 on
 * ENOMEM. out is locked by write_dot(). */
static int quoted(FILE *out, const char *s)
{
	char *owned;
	const char *clean = bph_export_clean(s, BPH_TEXT_XML, &owned);

	if (!clean)
		return -1;
	putc_unlocked('"', out);
	if (dot_len(clean) > DOT_QUOTED_MAX)
		put_cut(out, clean);
	else
		put_escaped(out, clean);
	putc_unlocked('"', out);
	free(owned);
	return 0;
}

/* Writes `, name=<quoted s>`; s is a new string (freed here, NULL: -1). */
static int quoted_attr(FILE *out, const char *name, char *s)
{
	int rc = s ? 0 : -1;

	fputs_unlocked(", ", out);
	fputs_unlocked(name, out);
	putc_unlocked('=', out);
	rc |= quoted(out, s ? s : "");
	free(s);
	return rc;
}

/* Annotations (cluster/annot.h) as node attributes named after their
 * keys. */
static int dot_annot(FILE *out, const struct bph_annot *an)
{
	int rc = 0;

	for (size_t i = 0; an && i < an->n_attrs; i++)
		rc |= quoted_attr(
		    out, an->attrs[i].key,
		    bph_text_clean(an->attrs[i].value, BPH_TEXT_XML));
	return rc;
}

static int dot_node(FILE *out, const struct bph_clustering *c,
		    const struct bph_export_opts *o, const uint8_t *codes,
		    size_t h)
{
	static const char *const names[3] = {"titles", "servers",
					     "cert_subjects"};
	bool is_seed = o->seed && bph_clustering_host(c, o->seed) == (long)h;
	struct bph_export_labels l;
	bool fits = bph_export_labels_of(c, codes, h, &l);
	uint32_t community;
	int rc;

	fputs_unlocked("  ", out);
	rc = quoted(out, c->hosts[h]);
	fprintf(out, " [type=host, cluster=%u",
		c->clusters[c->cluster_of[h]].id);
	if (bph_export_host_community(c, h, &community))
		fprintf(out, ", community=%u", community);
	fprintf(out, ", seed=%s%s, n_artifacts=%zu", is_seed ? "true" : "false",
		is_seed ? ", shape=doublecircle" : "", l.n_arts);
	for (int i = 0; i < 3; i++)
		rc |= quoted_attr(
		    out, names[i],
		    bph_export_labels_text(c, &l, fits, h, i, BPH_TEXT_XML));
	rc |= dot_annot(out, bph_annot_host(o->annot, h));
	fputs_unlocked("];\n", out);
	return rc;
}

static int dot_art_node(FILE *out, const struct bph_clustering *c, size_t a)
{
	int rc;

	fprintf(out,
		"  \"art%zu\" [type=artifact, shape=box, hosts_sharing=%u, "
		"weight=%.6g",
		a, c->arts[a].df, c->arts[a].weight);
	fputs_unlocked(", kind=", out);
	rc = quoted(out, c->arts[a].kind);
	fputs_unlocked(", artifact_value=", out);
	rc |= quoted(out, c->arts[a].value);
	rc |=
	    quoted_attr(out, "label", bph_export_art_label(c, a, BPH_TEXT_XML));
	fputs_unlocked("];\n", out);
	return rc;
}

/* Host-artifact edges of host h (dotted, so they read apart from links). */
static int dot_art_edges(FILE *out, const struct bph_clustering *c, size_t h)
{
	size_t pos = 0;
	long a;
	int rc = 0;

	while ((a = bph_export_host_next(c, h, &pos, NULL)) >= 0) {
		if (!bph_export_art_is_node(c, (size_t)a))
			continue;
		fputs_unlocked("  ", out);
		rc |= quoted(out, c->hosts[h]);
		fprintf(out,
			" -- \"art%ld\" [type=artifact, style=dotted, "
			"rule=artifact, kind=",
			a);
		rc |= quoted(out, c->arts[a].kind);
		fputs_unlocked("];\n", out);
	}
	return rc;
}

static int dot_edge(FILE *out, const struct bph_clustering *c, size_t i)
{
	const struct bph_link *l = &c->links[i];
	char *ev = bph_export_evidence_text(c, l, BPH_TEXT_XML);
	char label[BPH_LINK_LABEL_MAX];
	int rc = ev ? 0 : -1;

	fputs_unlocked("  ", out);
	rc |= quoted(out, c->hosts[l->a]);
	fputs_unlocked(" -- ", out);
	rc |= quoted(out, c->hosts[l->b]);
	fprintf(out,
		" [type=link, score=%.6g, bridge=%s, style=%s, rule=", l->score,
		l->bridge ? "true" : "false",
		l->rule == BPH_RULE_STRONG ? "solid" : "dashed");
	rc |= quoted(out, bph_link_label(c, l, label));
	fputs_unlocked(", label=", out);
	rc |= quoted(out, l->n_ev ? c->arts[l->ev[0].art].kind : "");
	fputs_unlocked(", evidence=", out);
	rc |= quoted(out, ev ? ev : "");
	fputs_unlocked("];\n", out);
	free(ev);
	return rc;
}

/* Host h's node and link i's edge, as items written by two threads
 * (bph_export_items). */
struct dot_items {
	const struct bph_clustering *c;
	const struct bph_export_opts *o;
	const uint8_t *codes;
};

static int node_item(void *ctx, FILE *f, size_t h)
{
	const struct dot_items *t = ctx;

	return dot_node(f, t->c, t->o, t->codes, h);
}

static int edge_item(void *ctx, FILE *f, size_t i)
{
	const struct dot_items *t = ctx;

	return dot_edge(f, t->c, i);
}

static int write_dot(const struct bph_clustering *c,
		     const struct bph_export_opts *o, FILE *out, char *err,
		     size_t errlen)
{
	uint8_t *codes = bph_export_label_codes(c); /* NULL: per host */
	struct dot_items t = {c, o, codes};
	int rc = 0;

	flockfile(out); /* many small writes: one lock */
	fputs("graph bphound {\n  node [shape=ellipse];\n", out);
	rc = bph_export_items(out, c->n_hosts, node_item, &t);
	free(codes);
	for (size_t a = 0; !rc && o->artifact_nodes && a < c->n_arts; a++)
		if (bph_export_art_is_node(c, a))
			rc = dot_art_node(out, c, a);
	if (!rc)
		rc = bph_export_items(out, c->n_links, edge_item, &t);
	for (size_t h = 0; !rc && o->artifact_nodes && h < c->n_hosts; h++)
		rc = dot_art_edges(out, c, h);
	fputs("}\n", out);
	funlockfile(out);
	if (rc)
		return bph_export_fail(err, errlen, BPH_ERR_NOMEM, "no memory");
	return 0;
}

const struct bph_exporter bph_export_dot = {
    .name = "dot",
    .extension = "dot",
    .summary = "Graphviz DOT (dot -Tsvg)",
    .write = write_dot,
};

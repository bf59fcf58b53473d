/*
 * export_dot.c - Graphviz DOT. Every ID and attribute value is a
 * double-quoted string: text is cleaned to XML characters (no controls),
 * then '"' and '\' are backslash-escaped and line breaks become spaces.
 */
#include "cluster/export.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

/* Writes s as a DOT quoted string; returns -1 on ENOMEM. */
static int quoted(FILE *out, const char *s)
{
	char *clean = bph_text_clean(s, BPH_TEXT_XML);

	if (!clean)
		return -1;
	fputc('"', out);
	for (const char *p = clean; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', out);
		fputc(*p == '\n' || *p == '\r' || *p == '\t' ? ' ' : *p, out);
	}
	fputc('"', out);
	free(clean);
	return 0;
}

static int dot_node(FILE *out, const struct bph_clustering *c, const char *seed,
		    size_t h)
{
	bool is_seed = seed && bph_clustering_host(c, seed) == (long)h;

	fputs("  ", out);
	if (quoted(out, c->hosts[h]))
		return -1;
	fprintf(out, " [cluster=%u, seed=%s%s];\n",
		c->clusters[c->cluster_of[h]].id, is_seed ? "true" : "false",
		is_seed ? ", shape=doublecircle" : "");
	return 0;
}

static int dot_edge(FILE *out, const struct bph_clustering *c, size_t i)
{
	const struct bph_link *l = &c->links[i];
	char *ev = bph_export_evidence_text(c, l, BPH_TEXT_XML);
	int rc = ev ? 0 : -1;

	fputs("  ", out);
	rc |= quoted(out, c->hosts[l->a]);
	fputs(" -- ", out);
	rc |= quoted(out, c->hosts[l->b]);
	fprintf(out, " [score=%.6g, bridge=%s, style=%s, rule=", l->score,
		l->bridge ? "true" : "false",
		strncmp(l->rule, "strong", 6) ? "dashed" : "solid");
	rc |= quoted(out, l->rule);
	fputs(", label=", out);
	rc |= quoted(out, l->n_ev ? c->arts[l->ev[0].art].kind : "");
	fputs(", evidence=", out);
	rc |= quoted(out, ev ? ev : "");
	fputs("];\n", out);
	free(ev);
	return rc;
}

static int write_dot(const struct bph_clustering *c, const char *seed,
		     FILE *out, char *err, size_t errlen)
{
	int rc = 0;

	fputs("graph bphound {\n  node [shape=ellipse];\n", out);
	for (size_t h = 0; !rc && h < c->n_hosts; h++)
		rc = dot_node(out, c, seed, h);
	for (size_t i = 0; !rc && i < c->n_links; i++)
		rc = dot_edge(out, c, i);
	fputs("}\n", out);
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

/*
 * export_csv.c - CSV for Maltego's "import graph from table": the first
 * two columns are maltego.IPv4Address entities, one row per link (a host
 * without links gets a row with an empty second column). Fields follow
 * RFC 4180 (quoted when needed, '"' doubled); text is cleaned (no control
 * characters, line breaks become spaces), and a field starting with
 * = + - @ is prefixed with ' so spreadsheets do not run it as a formula.
 */
#include "cluster/export.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

static int field(FILE *out, const char *s, bool last)
{
	char *clean = bph_text_clean(s, BPH_TEXT_XML);

	if (!clean)
		return -1;
	fputc('"', out);
	if (strchr("=+-@", clean[0]) && clean[0])
		fputc('\'', out);
	for (const char *p = clean; *p; p++) {
		if (*p == '"')
			fputc('"', out);
		fputc(*p == '\n' || *p == '\r' ? ' ' : *p, out);
	}
	fputc('"', out);
	fputs(last ? "\r\n" : ",", out);
	free(clean);
	return 0;
}

static int row(FILE *out, const char *a, const char *b, unsigned cluster,
	       double score, const char *rule, const char *evidence)
{
	char num[64], sc[64];
	int rc = 0;

	snprintf(num, sizeof(num), "%u", cluster);
	snprintf(sc, sizeof(sc), "%.6g", score);
	rc |= field(out, a, false);
	rc |= field(out, b, false);
	rc |= field(out, num, false);
	rc |= field(out, b[0] ? sc : "", false);
	rc |= field(out, rule, false);
	rc |= field(out, evidence, true);
	return rc;
}

static int write_csv(const struct bph_clustering *c, const char *seed,
		     FILE *out, char *err, size_t errlen)
{
	int rc = 0;

	(void)seed;
	fputs("maltego.IPv4Address,maltego.IPv4Address,cluster,score,rule,"
	      "evidence\r\n",
	      out);
	for (size_t i = 0; !rc && i < c->n_links; i++) {
		const struct bph_link *l = &c->links[i];
		char *ev = bph_export_evidence_text(c, l, BPH_TEXT_XML);
		rc = ev ? row(out, c->hosts[l->a], c->hosts[l->b],
			      c->clusters[c->cluster_of[l->a]].id, l->score,
			      l->rule, ev)
			: -1;
		free(ev);
	}
	for (size_t k = 0; !rc && k < c->n_clusters; k++)
		if (c->clusters[k].n_links == 0)
			rc = row(out, c->hosts[c->clusters[k].hosts[0]], "",
				 c->clusters[k].id, 0, "", "");
	if (rc)
		return bph_export_fail(err, errlen, BPH_ERR_NOMEM, "no memory");
	return 0;
}

const struct bph_exporter bph_export_csv = {
    .name = "csv",
    .extension = "csv",
    .summary = "CSV, one link per row (Maltego import graph from table)",
    .write = write_csv,
};

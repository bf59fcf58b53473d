/*
 * export_csv.c - CSV for Maltego's "import graph from table": the first
 * two columns are maltego.IPv4Address entities, one row per link (a host
 * without links gets a row with an empty second column). Fields follow
 * RFC 4180 (quoted when needed, '"' doubled); text is cleaned (no control
 * characters, line breaks become spaces), and a field starting with
 * = + - @ is prefixed with ' so spreadsheets do not run it as a formula.
 * Each row also carries both hosts' labels (a_*, b_*: titles, servers,
 * artifact count). With artifact nodes, one more row per (host, artifact)
 * has rule "artifact", the artifact's weight as score and three more
 * columns: artifact_kind, artifact_value, hosts_sharing.
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

enum {
	N_BASE = 6,
	N_HOST = 3,
	N_ART = 3,
	N_COLS = N_BASE + 2 * N_HOST + N_ART
};

static const char *const header[N_COLS] = {
    "maltego.IPv4Address",
    "maltego.IPv4Address",
    "cluster",
    "score",
    "rule",
    "evidence",
    "a_titles",
    "a_servers",
    "a_n_artifacts",
    "b_titles",
    "b_servers",
    "b_n_artifacts",
    "artifact_kind",
    "artifact_value",
    "hosts_sharing",
};

/* One row's fields; owned holds the strings to free. */
struct row {
	const char *f[N_COLS];
	char *owned[2 * N_HOST];
	char num[2 * N_HOST + 2][32];
	int bad;
};

/* Fills the host columns at col for host h (-1: empty). */
static void host_cols(struct row *r, const struct bph_clustering *c, long h,
		      int col)
{
	int o = col - N_BASE; /* 0 or N_HOST */

	if (h < 0)
		return;
	r->owned[o] = bph_export_host_values(c, (size_t)h, BPH_EXPORT_TITLE,
					     BPH_TEXT_XML);
	r->owned[o + 1] = bph_export_host_values(
	    c, (size_t)h, BPH_EXPORT_SERVER, BPH_TEXT_XML);
	snprintf(r->num[o], sizeof(r->num[o]), "%zu",
		 bph_export_host_n_artifacts(c, (size_t)h));
	r->bad |= !r->owned[o] || !r->owned[o + 1];
	r->f[col] = r->owned[o];
	r->f[col + 1] = r->owned[o + 1];
	r->f[col + 2] = r->num[o];
}

static void row_init(struct row *r, const struct bph_clustering *c, long a,
		     long b, unsigned cluster)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < N_COLS; i++)
		r->f[i] = "";
	r->f[0] = c->hosts[a];
	r->f[1] = b >= 0 ? c->hosts[b] : "";
	snprintf(r->num[2 * N_HOST], sizeof(r->num[0]), "%u", cluster);
	r->f[2] = r->num[2 * N_HOST];
	host_cols(r, c, a, N_BASE);
	host_cols(r, c, b, N_BASE + N_HOST);
}

/* Writes r's first n columns and frees what r owns; -1 on ENOMEM. */
static int row_put(FILE *out, struct row *r, int n)
{
	int rc = r->bad ? -1 : 0;

	for (int i = 0; !rc && i < n; i++)
		rc |= field(out, r->f[i], i == n - 1);
	for (int i = 0; i < 2 * N_HOST; i++)
		free(r->owned[i]);
	return rc;
}

static int link_row(FILE *out, const struct bph_clustering *c, size_t i,
		    int ncols)
{
	const struct bph_link *l = &c->links[i];
	char *ev = bph_export_evidence_text(c, l, BPH_TEXT_XML);
	struct row r;

	row_init(&r, c, l->a, l->b, c->clusters[c->cluster_of[l->a]].id);
	snprintf(r.num[2 * N_HOST + 1], sizeof(r.num[0]), "%.6g", l->score);
	r.f[3] = r.num[2 * N_HOST + 1];
	r.f[4] = l->rule;
	r.f[5] = ev ? ev : "";
	r.bad |= !ev;
	int rc = row_put(out, &r, ncols);
	free(ev);
	return rc;
}

/* --artifact-nodes: one row per (host, node-worthy artifact). */
static int art_rows(FILE *out, const struct bph_clustering *c, size_t h)
{
	size_t pos = 0;
	long a;
	int rc = 0;

	while (!rc && (a = bph_export_host_next(c, h, &pos, NULL)) >= 0) {
		const struct bph_art_stat *s = &c->arts[a];
		struct row r;
		char w[32], df[32];
		if (!bph_export_art_is_node(c, (size_t)a))
			continue;
		row_init(&r, c, (long)h, -1, c->clusters[c->cluster_of[h]].id);
		snprintf(w, sizeof(w), "%.6g", s->weight);
		snprintf(df, sizeof(df), "%u", s->df);
		r.f[3] = w;
		r.f[4] = "artifact";
		r.f[N_COLS - 3] = s->kind;
		r.f[N_COLS - 2] = s->value;
		r.f[N_COLS - 1] = df;
		rc = row_put(out, &r, N_COLS);
	}
	return rc;
}

static int write_csv(const struct bph_clustering *c,
		     const struct bph_export_opts *o, FILE *out, char *err,
		     size_t errlen)
{
	int ncols = o->artifact_nodes ? N_COLS : N_COLS - N_ART, rc = 0;

	for (int i = 0; i < ncols; i++)
		fprintf(out, "%s%s", header[i], i == ncols - 1 ? "\r\n" : ",");
	for (size_t i = 0; !rc && i < c->n_links; i++)
		rc = link_row(out, c, i, ncols);
	for (size_t k = 0; !rc && k < c->n_clusters; k++)
		if (c->clusters[k].n_links == 0) {
			struct row r;
			row_init(&r, c, c->clusters[k].hosts[0], -1,
				 c->clusters[k].id);
			rc = row_put(out, &r, ncols);
		}
	for (size_t h = 0; !rc && o->artifact_nodes && h < c->n_hosts; h++)
		rc = art_rows(out, c, h);
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

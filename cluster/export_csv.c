/*
 * export_csv.c - CSV for Maltego's "import graph from table" (docs/output.md
 * "Graph exports"): the first
 * two columns are maltego.IPv4Address entities, one row per link (a host
 * without links gets a row with an empty second column). Fields follow
 * RFC 4180 (quoted when needed, '"' doubled); text is cleaned (no control
 * characters, line breaks become spaces), and a field a spreadsheet could
 * run as a formula gets a leading ' (OWASP's CSV injection advice: one
 * starting with = + - @ TAB or CR; also = + - @ after leading blanks). A
 * field longer than CSV_CELL_MAX bytes (spreadsheets hold 32,767
 * characters a cell and may carry the rest into another one) is cut at a
 * character boundary and ends in "...".
 * Each row also carries both hosts' labels (a_*, b_*: titles, servers,
 * certificate subjects, artifact count, and community when the clustering
 * has communities). With artifact nodes, one more row per (host, artifact)
 * has rule "artifact", the artifact's weight as score and three more
 * columns: artifact_kind, artifact_value, hosts_sharing.
 */
#include "cluster/export.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

#define CSV_CELL_MAX 32000 /* bytes of a field, its ' included */

/* Whether a spreadsheet could take s as a formula. */
static bool formula_like(const char *s)
{
	if (*s == '\t' || *s == '\r')
		return true;
	s += strspn(s, " \t\r\n");
	return *s && strchr("=+-@", *s);
}

/* Where to cut s so that it and its ' fit CSV_CELL_MAX with "...": the
 * whole string when it fits, else a character boundary. */
static size_t cell_len(const char *s, bool quote)
{
	size_t n = strlen(s), max = CSV_CELL_MAX - quote;

	if (n <= max)
		return n;
	n = max - 3;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--; /* never split a character */
	return n;
}

/* Writes the first n bytes of clean text s, '"' doubled and line breaks
 * as spaces. out is locked by write_csv(). */
static void put_escaped(FILE *out, const char *s, size_t n)
{
	for (const char *end = s + n; s < end;) {
		size_t run = strcspn(s, "\"\n\r");
		if (run > (size_t)(end - s))
			run = (size_t)(end - s);
		fwrite_unlocked(s, 1, run, out);
		s += run;
		if (s == end)
			return;
		if (*s == '"')
			putc_unlocked('"', out);
		putc_unlocked(*s == '"' ? '"' : ' ', out);
		s++;
	}
}

static int field(FILE *out, const char *s, bool last)
{
	char *owned;
	const char *clean = bph_export_clean(s, BPH_TEXT_XML, &owned);
	bool quote;
	size_t n;

	if (!clean)
		return -1;
	quote = formula_like(clean);
	n = cell_len(clean, quote);
	putc_unlocked('"', out);
	if (quote)
		putc_unlocked('\'', out);
	put_escaped(out, clean, n);
	if (clean[n])
		fputs_unlocked("...", out);
	putc_unlocked('"', out);
	fputs_unlocked(last ? "\r\n" : ",", out);
	free(owned);
	return 0;
}

enum {
	N_BASE = 6,
	N_LABEL = 3,		  /* owned text columns per host */
	N_HOST_MAX = N_LABEL + 2, /* + n_artifacts, community */
	N_ART = 3,
	N_COLS_MAX = N_BASE + 2 * N_HOST_MAX + N_ART
};

static const char *const base_header[N_BASE] = {
    "maltego.IPv4Address",
    "maltego.IPv4Address",
    "cluster",
    "score",
    "rule",
    "evidence",
};
/* Per host, prefixed a_ and b_; community only when c holds communities,
 * so a clustering without them keeps the columns it always had. */
static const char *const host_header[N_HOST_MAX] = {
    "titles", "servers", "cert_subjects", "n_artifacts", "community",
};
static const char *const art_header[N_ART] = {
    "artifact_kind",
    "artifact_value",
    "hosts_sharing",
};

/* The columns of one export. */
struct layout {
	int n_host; /* columns per host */
	int n_cols; /* all columns (the artifact ones with artifact nodes) */
	/* annotation columns a_<key>, b_<key> after them (cluster/annot.h) */
	const struct bph_annotations *an;
	const char **keys;
	size_t n_keys;
	const uint8_t *codes; /* bph_export_label_codes(); NULL: none */
};

static struct layout layout_of(const struct bph_clustering *c, bool art)
{
	struct layout l = {0};

	l.n_host = c->community_of ? N_HOST_MAX : N_HOST_MAX - 1;
	l.n_cols = N_BASE + 2 * l.n_host + (art ? N_ART : 0);
	return l;
}

/* One row's fields; owned holds the strings to free, the arrays the
 * numbers the fields point to. */
struct row {
	const struct layout *l;
	const char *f[N_COLS_MAX];
	char *owned[2 * N_LABEL];
	char count[2][32], community[2][32], cluster[32], score[32];
	long host[2]; /* a and b, -1: none */
	int bad;
};

/* Fills the host columns of end (0: a, 1: b) for host h (-1: empty). */
static void host_cols(struct row *r, const struct bph_clustering *c, long h,
		      int end)
{
	int col = N_BASE + end * r->l->n_host;
	struct bph_export_labels l;
	bool fits;
	uint32_t id;

	if (h < 0)
		return;
	fits = bph_export_labels_of(c, r->l->codes, (size_t)h, &l);
	for (int k = 0; k < N_LABEL; k++) {
		char *v = bph_export_labels_text(c, &l, fits, (size_t)h, k,
						 BPH_TEXT_XML);
		r->owned[end * N_LABEL + k] = v;
		r->bad |= !v;
		r->f[col + k] = v ? v : "";
	}
	snprintf(r->count[end], sizeof(r->count[end]), "%zu", l.n_arts);
	r->f[col + N_LABEL] = r->count[end];
	if (bph_export_host_community(c, (size_t)h, &id)) {
		snprintf(r->community[end], sizeof(r->community[end]), "%u",
			 id);
		r->f[col + N_LABEL + 1] = r->community[end];
	}
}

static void row_init(struct row *r, const struct layout *l,
		     const struct bph_clustering *c, long a, long b,
		     unsigned cluster)
{
	memset(r, 0, sizeof(*r));
	r->l = l;
	for (int i = 0; i < N_COLS_MAX; i++)
		r->f[i] = "";
	r->f[0] = c->hosts[a];
	r->f[1] = b >= 0 ? c->hosts[b] : "";
	snprintf(r->cluster, sizeof(r->cluster), "%u", cluster);
	r->f[2] = r->cluster;
	r->host[0] = a;
	r->host[1] = b;
	host_cols(r, c, a, 0);
	host_cols(r, c, b, 1);
}

/* Writes r's columns and frees what r owns; -1 on ENOMEM. */
static int row_put(FILE *out, struct row *r)
{
	const struct layout *l = r->l;
	int rc = r->bad ? -1 : 0, n = l->n_cols;

	for (int i = 0; !rc && i < n; i++)
		rc |= field(out, r->f[i], i == n - 1 && !l->n_keys);
	for (int end = 0; !rc && end < 2; end++) {
		const struct bph_annot *an =
		    r->host[end] >= 0
			? bph_annot_host(l->an, (size_t)r->host[end])
			: NULL;
		for (size_t k = 0; !rc && k < l->n_keys; k++) {
			const char *v = bph_annot_value(an, l->keys[k]);
			rc |= field(out, v ? v : "",
				    end == 1 && k == l->n_keys - 1);
		}
	}
	for (int i = 0; i < 2 * N_LABEL; i++)
		free(r->owned[i]);
	return rc;
}

static int link_row(FILE *out, const struct layout *lay,
		    const struct bph_clustering *c, size_t i)
{
	const struct bph_link *l = &c->links[i];
	char *ev = bph_export_evidence_text(c, l, BPH_TEXT_XML);
	char label[BPH_LINK_LABEL_MAX];
	struct row r;

	row_init(&r, lay, c, l->a, l->b, c->clusters[c->cluster_of[l->a]].id);
	snprintf(r.score, sizeof(r.score), "%.6g", l->score);
	r.f[3] = r.score;
	r.f[4] = bph_link_label(c, l, label);
	r.f[5] = ev ? ev : "";
	r.bad |= !ev;
	int rc = row_put(out, &r);
	free(ev);
	return rc;
}

/* --artifact-nodes: one row per (host, node-worthy artifact). */
static int art_rows(FILE *out, const struct layout *lay,
		    const struct bph_clustering *c, size_t h)
{
	size_t pos = 0;
	long a;
	int rc = 0, col = N_BASE + 2 * lay->n_host;

	while (!rc && (a = bph_export_host_next(c, h, &pos, NULL)) >= 0) {
		const struct bph_art_stat *s = &c->arts[a];
		struct row r;
		char w[32], df[32];
		if (!bph_export_art_is_node(c, (size_t)a))
			continue;
		row_init(&r, lay, c, (long)h, -1,
			 c->clusters[c->cluster_of[h]].id);
		snprintf(w, sizeof(w), "%.6g", s->weight);
		snprintf(df, sizeof(df), "%u", s->df);
		r.f[3] = w;
		r.f[4] = "artifact";
		r.f[col] = s->kind;
		r.f[col + 1] = s->value;
		r.f[col + 2] = df;
		rc = row_put(out, &r);
	}
	return rc;
}

static void put_header(FILE *out, const struct layout *l)
{
	fputs(base_header[0], out);
	for (int i = 1; i < N_BASE; i++)
		fprintf(out, ",%s", base_header[i]);
	for (int end = 0; end < 2; end++)
		for (int i = 0; i < l->n_host; i++)
			fprintf(out, ",%c_%s", "ab"[end], host_header[i]);
	for (int i = 0; N_BASE + 2 * l->n_host + i < l->n_cols; i++)
		fprintf(out, ",%s", art_header[i]);
	for (int end = 0; end < 2; end++)
		for (size_t k = 0; k < l->n_keys; k++)
			fprintf(out, ",%c_%s", "ab"[end], l -> keys[k]);
	fputs("\r\n", out);
}

/* Link i's row, then singleton cluster k's, as items written by two
 * threads (bph_export_items). */
struct csv_items {
	const struct layout *lay;
	const struct bph_clustering *c;
};

static int link_item(void *ctx, FILE *f, size_t i)
{
	const struct csv_items *t = ctx;

	return link_row(f, t->lay, t->c, i);
}

static int lone_item(void *ctx, FILE *f, size_t k)
{
	const struct csv_items *t = ctx;
	const struct bph_cluster *cl = &t->c->clusters[k];
	struct row r;

	if (cl->n_links)
		return 0;
	row_init(&r, t->lay, t->c, cl->hosts[0], -1, cl->id);
	return row_put(f, &r);
}

static int write_csv(const struct bph_clustering *c,
		     const struct bph_export_opts *o, FILE *out, char *err,
		     size_t errlen)
{
	struct layout lay = layout_of(c, o->artifact_nodes);
	uint8_t *codes = bph_export_label_codes(c); /* NULL: per host */
	struct csv_items t = {&lay, c};
	int rc = 0;

	lay.an = o->annot;
	lay.codes = codes;
	if (bph_annot_host_keys(o->annot, &lay.keys, &lay.n_keys))
		rc = BPH_ERR_NOMEM;
	flockfile(out); /* many small writes: one lock */
	if (!rc)
		put_header(out, &lay);
	if (!rc)
		rc = bph_export_items(out, c->n_links, link_item, &t);
	if (!rc)
		rc = bph_export_items(out, c->n_clusters, lone_item, &t);
	for (size_t h = 0; !rc && o->artifact_nodes && h < c->n_hosts; h++)
		rc = art_rows(out, &lay, c, h);
	funlockfile(out);
	free(lay.keys);
	free(codes);
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

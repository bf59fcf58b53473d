/*
 * cmd_rank.c - `bphound rank [--by prefix|asn|org] [--lists NAMES]
 * [--weights FILE] [--top N] [--format text|csv|jsonl]`: units ranked by
 * deny-list density (ranges/rank.h has the formula), with the evidence of
 * each number: per-list listed addresses, the space, the hosts and the
 * hosts bphound linked.
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/data_glue.h"
#include "cluster/cluster.h"
#include "fingerprints/err.h"
#include "fingerprints/text.h"
#include "ranges/rank.h"
#include "ranges/weights.h"
#include "store/store.h"

#define MAX_LISTS 64

struct lists {
	struct bph_rank_list v[MAX_LISTS];
	char names[MAX_LISTS][128];
	size_t n;
};

static int add_list(struct lists *l, const char *name, size_t len)
{
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->names[i]) == len &&
		    !strncmp(l->names[i], name, len))
			return 0;
	if (l->n == MAX_LISTS || len == 0 || len >= sizeof(l->names[0]))
		return BPH_ERR_USAGE;
	memcpy(l->names[l->n], name, len);
	l->names[l->n][len] = '\0';
	l->v[l->n] = (struct bph_rank_list){l->names[l->n], 1.0};
	l->n++;
	return 0;
}

/* --lists NAME,..., else every loaded list. */
static int choose_lists(const struct bph_opts *o, const struct bph_rdb *db,
			struct lists *l)
{
	int rc = 0;

	if (o->lists) {
		for (const char *s = o->lists; !rc && *s;) {
			size_t len = strcspn(s, ",");
			rc = add_list(l, s, len);
			s += len + (s[len] == ',');
		}
		return rc;
	}
	for (size_t i = 0; !rc && i < bph_rdb_n_sources(db); i++) {
		const struct bph_rsource *src = bph_rdb_source(db, i);
		if (bph_kind_is_list(src->kind) &&
		    src->kind != BPH_KIND_ASNDROP)
			rc = add_list(l, src->name, strlen(src->name));
	}
	return rc;
}

static int apply_weights(const struct bph_opts *o, struct lists *l)
{
	struct bph_weights w;
	char err[512] = "";
	int rc;

	if (!o->weights)
		return 0;
	if ((rc = bph_weights_load(o->weights, &w, err, sizeof(err))))
		return bph_cli_fail("rank --weights", rc, err);
	for (size_t i = 0; i < l->n; i++)
		l->v[i].weight = bph_weights_get(&w, l->v[i].name, 1.0);
	bph_weights_free(&w);
	return 0;
}

/* The store's answering hosts, linked when in a multi-host cluster. */
static int hosts_of(const struct bph_opts *o, struct bph_store *st,
		    struct bph_rank_host **out, size_t *n)
{
	struct bph_clustering *c = NULL;
	int status = bph_cli_clustering(o, st, &c);

	*out = NULL;
	*n = 0;
	if (status)
		return status;
	*out = calloc(c->n_hosts + 1, sizeof(**out));
	for (size_t h = 0; *out && h < c->n_hosts; h++) {
		struct bph_addr a;
		if (bph_addr_parse(c->hosts[h], strlen(c->hosts[h]), &a) ||
		    a.fam != BPH_FAM_V4)
			continue;
		(*out)[(*n)++] = (struct bph_rank_host){
		    (uint32_t)a.v, c->clusters[c->cluster_of[h]].n_hosts > 1};
	}
	status = *out ? 0 : bph_cli_fail("rank", BPH_ERR_NOMEM, NULL);
	bph_clustering_free(c);
	return status;
}

/* ---- output ---- */

static void csv_field(const char *s)
{
	char *c = bph_text_clean(s, BPH_TEXT_UTF8);
	const char *t = c ? c : "";

	/* quoted; a leading formula character is defused for spreadsheets */
	fputc('"', stdout);
	if (strchr("=+-@", t[0]) && t[0])
		fputc('\'', stdout);
	for (; *t; t++) {
		if (*t == '"')
			fputc('"', stdout);
		fputc(*t, stdout);
	}
	fputc('"', stdout);
	free(c);
}

static void print_csv(const struct bph_ranking *r, const struct lists *l,
		      size_t top)
{
	fputs("rank,unit,name,score,listed_share,space,listed_any,hosts,"
	      "linked,linked_density,prefixes",
	      stdout);
	for (size_t i = 0; i < l->n; i++) {
		fputs(",", stdout);
		char col[160];
		snprintf(col, sizeof(col), "listed:%s", l->v[i].name);
		csv_field(col);
	}
	fputc('\n', stdout);
	for (size_t i = 0; i < r->n && i < top; i++) {
		const struct bph_rank_row *w = &r->rows[i];
		printf("%zu,", i + 1);
		csv_field(w->unit);
		fputc(',', stdout);
		csv_field(w->name);
		printf(",%.6g,%.6g,%.0f,%.0f,%zu,%zu,%.6g,%zu", w->score,
		       w->listed_share, w->space, w->listed_any, w->hosts,
		       w->linked, w->linked_density, w->prefixes);
		for (size_t k = 0; k < l->n; k++)
			printf(",%.0f", w->listed[k]);
		fputc('\n', stdout);
	}
}

static void print_jsonl(const struct bph_ranking *r, const struct lists *l,
			size_t top)
{
	for (size_t i = 0; i < r->n && i < top; i++) {
		const struct bph_rank_row *w = &r->rows[i];
		char *name = bph_text_clean(w->name, BPH_TEXT_UTF8);
		json_t *lists = json_array();
		for (size_t k = 0; k < l->n; k++)
			json_array_append_new(
			    lists,
			    json_pack("{s:s,s:f,s:f}", "list", l->v[k].name,
				      "weight", l->v[k].weight, "listed",
				      w->listed[k]));
		json_t *o = json_pack(
		    "{s:I,s:s,s:s,s:f,s:f,s:f,s:f,s:I,s:I,s:f,s:I,s:o}", "rank",
		    (json_int_t)i + 1, "unit", w->unit, "name",
		    name ? name : "", "score", w->score, "listed_share",
		    w->listed_share, "space", w->space, "listed_any",
		    w->listed_any, "hosts", (json_int_t)w->hosts, "linked",
		    (json_int_t)w->linked, "linked_density", w->linked_density,
		    "prefixes", (json_int_t)w->prefixes, "lists", lists);
		if (o) {
			json_dumpf(o, stdout, JSON_COMPACT);
			fputc('\n', stdout);
		}
		json_decref(o);
		free(name);
	}
}

static void print_text(const struct bph_ranking *r, const struct lists *l,
		       size_t top)
{
	printf("%4s  %-20s %9s %7s %12s %6s %6s  %s\n", "rank", "unit", "score",
	       "listed", "addresses", "hosts", "linked", "name");
	for (size_t i = 0; i < r->n && i < top; i++) {
		const struct bph_rank_row *w = &r->rows[i];
		printf("%4zu  %-20s %9.4f %6.1f%% %12.0f %6zu %6zu  ", i + 1,
		       w->unit, w->score, 100 * w->listed_share, w->space,
		       w->hosts, w->linked);
		bph_print_text(stdout, w->name);
		fputc('\n', stdout);
		for (size_t k = 0; k < l->n; k++)
			if (w->listed[k] > 0)
				printf("%26s %s: %.0f listed x weight %g\n", "",
				       l->v[k].name, w->listed[k],
				       l->v[k].weight);
	}
}

static int rank(const struct bph_opts *o, struct bph_store *st,
		const struct bph_rdb *db, enum bph_rank_by by)
{
	struct lists l = {.n = 0};
	struct bph_rank_host *hosts = NULL;
	struct bph_ranking *r = NULL;
	size_t n_hosts = 0;
	int status, rc;

	if ((rc = choose_lists(o, db, &l)))
		return bph_cli_fail("rank --lists", rc,
				    "too many or bad names");
	if ((status = apply_weights(o, &l)) ||
	    (status = hosts_of(o, st, &hosts, &n_hosts)))
		return status;
	rc = bph_rank(db, by, l.v, l.n, hosts, n_hosts, &r);
	free(hosts);
	if (rc == BPH_ERR_USAGE)
		return bph_cli_fail("rank --lists", rc,
				    "a list is not loaded (bphound data list)");
	if (rc)
		return bph_cli_fail("rank", rc, NULL);
	size_t top = o->top ? (size_t)o->top : r->n;
	if (o->format && !strcmp(o->format, "csv"))
		print_csv(r, &l, top);
	else if (o->format && !strcmp(o->format, "jsonl"))
		print_jsonl(r, &l, top);
	else
		print_text(r, &l, top);
	bph_ranking_free(r);
	return 0;
}

int bph_cmd_rank(const struct bph_opts *o)
{
	enum bph_rank_by by = BPH_RANK_ASN;
	struct bph_store *st = NULL;
	struct bph_rdb *db = NULL;
	char err[256] = "";
	int status, rc;

	if (o->n_args) {
		fprintf(stderr, "bphound rank: unexpected argument '%s'\n",
			o->args[0]);
		return BPH_EXIT_USAGE;
	}
	if (o->format && strcmp(o->format, "text") &&
	    strcmp(o->format, "csv") && strcmp(o->format, "jsonl")) {
		fprintf(stderr,
			"bphound rank: --format: '%s' is not text, "
			"csv or jsonl\n",
			o->format);
		return BPH_EXIT_USAGE;
	}
	if (o->rank_by)
		by = !strcmp(o->rank_by, "prefix") ? BPH_RANK_PREFIX
		     : !strcmp(o->rank_by, "org")  ? BPH_RANK_ORG
						   : BPH_RANK_ASN;
	if ((status = bph_cli_open_store_ro(o, &st)))
		return status;
	rc = bph_data_load(
	    st,
	    BPH_KINDS_ROUTING | BPH_KINDS(BPH_KIND_DROP) |
		BPH_KINDS(BPH_KIND_NETSET) | BPH_KINDS(BPH_KIND_PLAIN) |
		BPH_KINDS(BPH_KIND_FEODO) | BPH_KINDS(BPH_KIND_DSHIELD),
	    &db, err, sizeof(err));
	if (rc)
		status = bph_cli_fail("rank", rc, err);
	else if (!bph_rdb_has(db, BPH_KIND_PFX2AS))
		status = bph_cli_fail("rank", BPH_ERR_USAGE,
				      "no pfx2as data in the store (bphound "
				      "data import FILE.pfx2as)");
	else
		status = rank(o, st, db, by);
	bph_rdb_free(db);
	bph_store_close(st);
	return status;
}

/*
 * annotate_report.c - the networks of a cluster (its ASes, prefixes,
 * registrants, upstreams and list shares, tallied over its hosts'
 * annotations), the reseller-chain remark, and the text a person reads in
 * the pivot and cluster reports and under `show`. Contract in
 * cli/annotate.h; the host facts come from annotate.c.
 */
#include "cli/annotate_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "fingerprints/text.h"

struct tally_item {
	const char *key;
	size_t hosts;
};

/* Values counted over a cluster's hosts: each distinct key with the
 * number of hosts having it, most frequent first. */
struct tally {
	char **keys; /* owned */
	size_t n, cap;
	struct tally_item *out;
	size_t n_out;
};

static int tally_add(struct tally *t, const char *key)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **k = realloc(t->keys, cap * sizeof(*k));
		if (!k)
			return BPH_ERR_NOMEM;
		t->keys = k;
		t->cap = cap;
	}
	if (!(t->keys[t->n] = strdup(key)))
		return BPH_ERR_NOMEM;
	t->n++;
	return 0;
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int by_hosts(const void *a, const void *b)
{
	const struct tally_item *x = a, *y = b;
	if (x->hosts != y->hosts)
		return x->hosts > y->hosts ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Sorts the keys and counts the runs. */
static int tally_done(struct tally *t)
{
	if (t->n > 1)
		qsort(t->keys, t->n, sizeof(*t->keys), by_string);
	t->out = malloc((t->n ? t->n : 1) * sizeof(*t->out));
	if (!t->out)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < t->n; i++) {
		if (i && !strcmp(t->keys[i], t->keys[i - 1])) {
			t->out[t->n_out - 1].hosts++;
			continue;
		}
		t->out[t->n_out].key = t->keys[i];
		t->out[t->n_out++].hosts = 1;
	}
	qsort(t->out, t->n_out, sizeof(*t->out), by_hosts);
	return 0;
}

static void tally_free(struct tally *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->keys[i]);
	free(t->keys);
	free(t->out);
}

/* A cluster's networks. */
struct summary {
	struct tally ases, prefixes, registrants, upstreams, lists;
	size_t hosts, routed, registered;
};

static int summarize_host(struct summary *s, const struct combo *k)
{
	char num[16];
	int rc = 0;

	if (k->routed) {
		s->routed++;
		snprintf(num, sizeof(num), "%" PRIu32, k->asn);
		rc = tally_add(&s->ases, num);
		if (!rc)
			rc = tally_add(&s->prefixes, k->prefix);
	}
	if (!rc && k->registrant[0]) {
		s->registered++;
		rc = tally_add(&s->registrants, k->registrant);
	}
	for (size_t i = 0; !rc && i < k->n_up; i++) {
		snprintf(num, sizeof(num), "%" PRIu32, k->up[i]);
		rc = tally_add(&s->upstreams, num);
	}
	for (size_t i = 0; !rc && i < k->n_lists; i++)
		rc = tally_add(&s->lists, k->lists[i]);
	return rc;
}

static int summarize(const struct bph_cli_annot *an,
		     const struct bph_cluster *cl, struct summary *s)
{
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->hosts = cl->n_hosts;
	for (size_t i = 0; !rc && i < cl->n_hosts; i++) {
		uint32_t k = an->host_combo[cl->hosts[i]];
		if (k != UINT32_MAX)
			rc = summarize_host(s, an->combos[k]);
	}
	struct tally *t[] = {&s->ases, &s->prefixes, &s->registrants,
			     &s->upstreams, &s->lists};
	for (size_t i = 0; !rc && i < 5; i++)
		rc = tally_done(t[i]);
	return rc;
}

static void summary_free(struct summary *s)
{
	tally_free(&s->ases);
	tally_free(&s->prefixes);
	tally_free(&s->registrants);
	tally_free(&s->upstreams);
	tally_free(&s->lists);
}

/* ---- JSON of a cluster ---- */

static json_t *as_items(const struct bph_rdb *db, const struct tally *t,
			bool upstream, int *bad)
{
	json_t *a = json_array();
	struct bph_asinfo ai;
	struct bph_asn_hit hit;

	for (size_t i = 0; a && i < t->n_out; i++) {
		json_t *o = json_object();
		uint32_t asn = (uint32_t)strtoul(t->out[i].key, NULL, 10);
		bph_rdb_asinfo(db, asn, &ai);
		bph_annot_set(o, "asn", json_integer(asn), bad);
		bph_annot_set(o, "name", bph_annot_js(ai.name), bad);
		bph_annot_set(o, "hosts",
			      json_integer((json_int_t)t->out[i].hosts), bad);
		if (upstream)
			bph_annot_set(o, "asn_drop",
				      json_boolean(bph_rdb_asn_listed(
						       db, asn, &hit, 1) > 0),
				      bad);
		if (json_array_append_new(a, o))
			(*bad)++;
	}
	return a;
}

static json_t *items(const struct tally *t, const char *key, size_t share_of,
		     int *bad)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < t->n_out; i++) {
		json_t *o = json_object();
		bph_annot_set(o, key, bph_annot_js(t->out[i].key), bad);
		bph_annot_set(o, "hosts",
			      json_integer((json_int_t)t->out[i].hosts), bad);
		if (share_of)
			bph_annot_set(o, "share",
				      json_real((double)t->out[i].hosts /
						(double)share_of),
				      bad);
		if (json_array_append_new(a, o))
			(*bad)++;
	}
	return a;
}

static char *remark(const struct bph_rdb *db, const struct summary *s)
{
	char buf[1024];
	size_t used = 0;
	struct bph_asinfo ai;

	if (s->ases.n_out < 2 && s->registrants.n_out < 2)
		return NULL;
	used += (size_t)snprintf(buf, sizeof(buf), "spans %zu ASes (",
				 s->ases.n_out);
	for (size_t i = 0; i < s->ases.n_out && i < 5 && used < sizeof(buf);
	     i++) {
		bph_rdb_asinfo(
		    db, (uint32_t)strtoul(s->ases.out[i].key, NULL, 10), &ai);
		used += (size_t)snprintf(
		    buf + used, sizeof(buf) - used, "%sAS%s%s%s", i ? ", " : "",
		    s->ases.out[i].key, ai.name[0] ? " " : "", ai.name);
	}
	if (used < sizeof(buf))
		snprintf(buf + used, sizeof(buf) - used,
			 ") and %zu registrants: hosts linked by their "
			 "fingerprints across networks are the strongest sign "
			 "of a reseller chain (one provider renting space and "
			 "servers from several networks)",
			 s->registrants.n_out);
	return strdup(buf);
}

static int cluster_annot(const struct bph_cli_annot *an,
			 const struct summary *s, struct bph_annot *out)
{
	json_t *root = json_object(), *n = json_object();
	int bad = !root || !n;

	bph_annot_set(n, "ases", as_items(an->db, &s->ases, false, &bad), &bad);
	bph_annot_set(n, "prefixes", items(&s->prefixes, "prefix", 0, &bad),
		      &bad);
	bph_annot_set(n, "registrants",
		      items(&s->registrants, "registrant", 0, &bad), &bad);
	bph_annot_set(n, "upstreams",
		      as_items(an->db, &s->upstreams, true, &bad), &bad);
	bph_annot_set(n, "lists", items(&s->lists, "list", s->hosts, &bad),
		      &bad);
	bph_annot_set(n, "routed_hosts", json_integer((json_int_t)s->routed),
		      &bad);
	bph_annot_set(n, "registered_hosts",
		      json_integer((json_int_t)s->registered), &bad);
	bph_annot_set(root, "networks", n, &bad);
	out->remark = remark(an->db, s);
	out->json = bad ? NULL : json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return out->json ? 0 : BPH_ERR_NOMEM;
}

int bph_annot_clusters(struct bph_cli_annot *an, const struct bph_clustering *c)
{
	int rc = 0;

	an->clusters =
	    calloc(c->n_clusters ? c->n_clusters : 1, sizeof(*an->clusters));
	if (!an->clusters)
		return BPH_ERR_NOMEM;
	an->n_clusters = c->n_clusters;
	for (size_t i = 0; !rc && i < c->n_clusters; i++) {
		struct summary s;
		if (c->clusters[i].n_hosts < 2)
			continue;
		rc = summarize(an, &c->clusters[i], &s);
		if (!rc)
			rc = cluster_annot(an, &s, &an->clusters[i]);
		summary_free(&s);
	}
	return rc;
}

/* ---- text ---- */

static void print_ases(FILE *out, const struct bph_rdb *db, const char *what,
		       const struct tally *t, bool upstream)
{
	struct bph_asinfo ai;
	struct bph_asn_hit hit;

	if (!t->n_out)
		return;
	fprintf(out, "  %s:", what);
	for (size_t i = 0; i < t->n_out; i++) {
		uint32_t asn = (uint32_t)strtoul(t->out[i].key, NULL, 10);
		bph_rdb_asinfo(db, asn, &ai);
		fprintf(out, "%s AS%" PRIu32 " ", i ? "," : "", asn);
		bph_print_text(out, ai.name);
		fprintf(out, " (%zu host%s)%s", t->out[i].hosts,
			t->out[i].hosts == 1 ? "" : "s",
			upstream && bph_rdb_asn_listed(db, asn, &hit, 1)
			    ? " [on ASN-DROP]"
			    : "");
	}
	fputc('\n', out);
}

static void print_tally(FILE *out, const char *what, const struct tally *t,
			size_t of)
{
	if (!t->n_out)
		return;
	fprintf(out, "  %s:", what);
	for (size_t i = 0; i < t->n_out; i++) {
		fprintf(out, "%s ", i ? "," : "");
		bph_print_text(out, t->out[i].key);
		if (of)
			fprintf(out, " %zu/%zu hosts (%.0f%%)", t->out[i].hosts,
				of,
				100.0 * (double)t->out[i].hosts / (double)of);
		else
			fprintf(out, " (%zu)", t->out[i].hosts);
	}
	fputc('\n', out);
}

static void print_host_line(FILE *out, const char *ip, const struct combo *k)
{
	fprintf(out, "    %-15s", ip);
	for (size_t i = 0; i < k->annot.n_attrs; i++) {
		const char *key = k->attrs[i].key;
		if (!strcmp(key, "asn") || !strcmp(key, "prefix") ||
		    !strcmp(key, "netname") || !strcmp(key, "abuse_mailbox") ||
		    !strcmp(key, "listed")) {
			fprintf(out, "  %s%s", strcmp(key, "asn") ? "" : "AS",
				!strcmp(key, "listed") ? "listed: " : "");
			bph_print_text(out, k->attrs[i].value);
		}
		if (!strcmp(key, "sub_allocation") &&
		    !strcmp(k->attrs[i].value, "yes"))
			fputs(" (sub-allocated)", out);
	}
	fputc('\n', out);
}

void bph_cli_annot_print_cluster(FILE *out, const struct bph_cli_annot *a,
				 const struct bph_clustering *c, size_t i)
{
	const struct bph_cluster *cl = &c->clusters[i];
	struct summary s;

	if (summarize(a, cl, &s)) {
		summary_free(&s);
		return;
	}
	fprintf(out,
		"networks of cluster %d (%zu hosts, %zu routed, %zu "
		"registered):\n",
		(int)cl->id, s.hosts, s.routed, s.registered);
	print_ases(out, a->db, "ASes", &s.ases, false);
	print_tally(out, "prefixes", &s.prefixes, 0);
	print_tally(out, "registrants", &s.registrants, 0);
	print_ases(out, a->db, "upstreams", &s.upstreams, true);
	print_tally(out, "lists", &s.lists, s.hosts);
	if (a->clusters && a->clusters[i].remark) {
		fputs("  remark: ", out);
		bph_print_text(out, a->clusters[i].remark);
		fputc('\n', out);
	}
	for (size_t h = 0; h < cl->n_hosts; h++) {
		uint32_t k = a->host_combo[cl->hosts[h]];
		if (k != UINT32_MAX)
			print_host_line(out, c->hosts[cl->hosts[h]],
					a->combos[k]);
	}
	summary_free(&s);
}

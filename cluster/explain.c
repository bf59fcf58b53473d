/*
 * explain.c - the human-readable side of a clustering: the seed's cluster
 * with the evidence of each link, and why a host is or is not in it.
 * Contract in cluster.h; the report is described in docs/clustering.md
 * "Explanations" and docs/output.md "Cluster report".
 */
#include "cluster/cluster.h"

#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "fingerprints/text.h"
#include "fingerprints/err.h"

static void print_evidence(FILE *out, const struct bph_clustering *c,
			   const struct bph_evidence *e)
{
	const struct bph_art_stat *s = &c->arts[e->art];

	fprintf(out, "      %s ", s->kind);
	bph_print_text(out, s->value);
	if (s->derived)
		fprintf(out, "  (%u hosts in the block, weight %.2f, %s", s->df,
			s->weight, bph_rule_name(e->rule));
	else
		fprintf(out,
			"  (ports %u/%u, shared by %u hosts, weight %.2f, %s",
			e->port_a, e->port_b, s->df, s->weight,
			bph_rule_name(e->rule));
	if (s->concentrated || e->rule == BPH_RULE_NEIGHBOUR)
		fprintf(out, ": %.0f%% of them in one cluster",
			100.0 * s->main_share);
	fputs(")\n", out);
}

static void print_link(FILE *out, const struct bph_clustering *c,
		       const struct bph_link *l)
{
	char label[BPH_LINK_LABEL_MAX];

	fprintf(out, "  %s -- %s  score %.2f  rule %s%s\n", c->hosts[l->a],
		c->hosts[l->b], l->score, bph_link_label(c, l, label),
		l->bridge ? "  [bridge]" : "");
	for (size_t i = 0; i < l->n_ev; i++)
		print_evidence(out, c, &l->ev[i]);
}

static void print_cluster(FILE *out, const struct bph_clustering *c,
			  const struct bph_cluster *k)
{
	fprintf(
	    out, "cluster %u: %zu host%s, %zu link%s%s\n", k->id, k->n_hosts,
	    k->n_hosts == 1 ? "" : "s", k->n_links, k->n_links == 1 ? "" : "s",
	    k->weak_bridge ? "  WARNING: held together by a weak bridge" : "");
	fputs("  hosts:", out);
	for (size_t i = 0; i < k->n_hosts; i++)
		fprintf(out, " %s", c->hosts[k->hosts[i]]);
	fputc('\n', out);
	for (size_t i = 0; i < k->n_links; i++)
		print_link(out, c, &c->links[k->links[i]]);
}

static void why_not(FILE *out, const struct bph_clustering *c,
		    const struct bph_art_stat *a);

/* For a host alone in its cluster: what it shares with other hosts and
 * why none of it linked. */
static void explain_alone(FILE *out, const struct bph_clustering *c, uint32_t h)
{
	size_t shared = 0;

	for (size_t i = c->inc_off[h]; i < c->inc_off[h + 1]; i++) {
		const struct bph_art_stat *a = &c->arts[c->inc[i].art];
		if ((i > c->inc_off[h] && c->inc[i - 1].art == c->inc[i].art) ||
		    a->df < 2 || !a->info) /* unclustered kinds: noise */
			continue;
		if (!shared++)
			fputs("  alone: what it shares with other hosts did "
			      "not link it:\n",
			      out);
		fprintf(out, "    %s ", a->kind);
		bph_print_text(out, a->value);
		fprintf(out, " (%u hosts): ", a->df);
		why_not(out, c, a);
	}
	if (!shared)
		fputs("  alone: it shares no artifact with another host\n",
		      out);
}

static int bfs(const struct bph_clustering *c, uint32_t s, uint32_t *prev);

/* How the members came in, weakest rules named last: where to look first
 * when checking the cluster by hand. */
static void print_rule_summary(FILE *out, const struct bph_clustering *c,
			       const struct bph_cluster *k, uint32_t s,
			       const uint32_t *prev)
{
	size_t n[BPH_RULE_COUNT] = {0};

	for (size_t i = 0; i < k->n_hosts; i++) {
		uint32_t h = k->hosts[i];
		if (h == s || prev[h] >= UINT32_MAX - 1)
			continue;
		n[c->links[prev[h]].rule]++;
	}
	fprintf(out,
		"  members brought in by: %zu strong, %zu score, %zu "
		"concentrated, %zu neighbour link%s%s\n",
		n[BPH_RULE_STRONG], n[BPH_RULE_SCORE], n[BPH_RULE_CONCENTRATED],
		n[BPH_RULE_NEIGHBOUR], n[BPH_RULE_NEIGHBOUR] == 1 ? "" : "s",
		n[BPH_RULE_SCORE] + n[BPH_RULE_CONCENTRATED] +
			n[BPH_RULE_NEIGHBOUR]
		    ? " (check the score, concentrated and neighbour links "
		      "first: weaker evidence)"
		    : "");
}

/*
 * The seed's cluster as an investigator reads it: every member once, in
 * breadth-first order from the seed, with the link (and its evidence) that
 * brought it in. All pairwise links are in the exports.
 */
static int print_seed_cluster(FILE *out, const struct bph_clustering *c,
			      uint32_t s)
{
	const struct bph_cluster *k = &c->clusters[c->cluster_of[s]];
	uint32_t *prev = malloc((c->n_hosts + 1) * sizeof(uint32_t));
	int rc = prev ? bfs(c, s, prev) : BPH_ERR_NOMEM;

	if (rc) {
		free(prev);
		return rc;
	}
	fprintf(out, "seed %s: cluster %u, %zu host%s, %zu link%s%s\n",
		c->hosts[s], k->id, k->n_hosts, k->n_hosts == 1 ? "" : "s",
		k->n_links, k->n_links == 1 ? "" : "s",
		k->weak_bridge ? "  WARNING: held together by a weak bridge"
			       : "");
	for (size_t i = 0; i < k->n_hosts; i++) {
		uint32_t h = k->hosts[i];
		if (h == s || prev[h] >= UINT32_MAX - 1)
			continue;
		const struct bph_link *l = &c->links[prev[h]];
		char label[BPH_LINK_LABEL_MAX];
		fprintf(out, "  %s  linked to %s  score %.2f  rule %s%s\n",
			c->hosts[h], c->hosts[l->a == h ? l->b : l->a],
			l->score, bph_link_label(c, l, label),
			l->bridge ? "  [bridge]" : "");
		for (size_t e = 0; e < l->n_ev; e++)
			print_evidence(out, c, &l->ev[e]);
	}
	if (k->n_hosts > 1)
		print_rule_summary(out, c, k, s, prev);
	free(prev);
	return 0;
}

int bph_clustering_print(const struct bph_clustering *c, const char *seed,
			 FILE *out)
{
	size_t singles = 0;

	if (seed) {
		long h = bph_clustering_host(c, seed);
		if (h < 0) {
			fprintf(out,
				"seed %s: no answering host of that "
				"address in the store\n",
				seed);
			return BPH_ERR_USAGE;
		}
		int rc = print_seed_cluster(out, c, (uint32_t)h);
		if (rc == 0 && c->clusters[c->cluster_of[h]].n_hosts == 1)
			explain_alone(out, c, (uint32_t)h);
		return rc;
	}
	for (size_t i = 0; i < c->n_clusters; i++) {
		if (c->clusters[i].n_hosts == 1)
			singles++;
		else
			print_cluster(out, c, &c->clusters[i]);
	}
	fprintf(out, "%zu hosts, %zu clusters (%zu singletons)\n", c->n_hosts,
		c->n_clusters, singles);
	return 0;
}

/* BFS over links from s; prev[h] is the link that reached h, set for the
 * hosts of s's cluster only (the readers never look past it: the HTML
 * page explains every member of a million-host store, and setting every
 * host each time was most of its cost). Over the cluster's links as
 * adjacency lists in link order, so each host's links are visited once
 * (scanning every link of the cluster for every host reached was a fifth
 * of the page's export at a million hosts) and hosts are reached by the
 * same links, in the same order, as that scan reached them. */
static int bfs(const struct bph_clustering *c, uint32_t s, uint32_t *prev)
{
	const struct bph_cluster *k = &c->clusters[c->cluster_of[s]];
	size_t n = k->n_hosts, *off = calloc(n + 2, sizeof(*off));
	uint32_t *adj = malloc((2 * k->n_links + 1) * sizeof(*adj));
	uint32_t *queue = malloc((n + 1) * sizeof(*queue));
	uint32_t *got = malloc((n + 1) * sizeof(*got)); /* by position */
	size_t head = 0, tail = 0;
	int rc = off && adj && queue && got ? 0 : BPH_ERR_NOMEM;

	for (size_t i = 0; !rc && i < n; i++) /* prev holds positions */
		prev[k->hosts[i]] = (uint32_t)i;
	for (size_t i = 0; !rc && i < k->n_links; i++) {
		const struct bph_link *l = &c->links[k->links[i]];
		off[prev[l->a] + 2]++;
		off[prev[l->b] + 2]++;
	}
	for (size_t i = 2; !rc && i < n + 2; i++)
		off[i] += off[i - 1];
	for (size_t i = 0; !rc && i < k->n_links; i++) {
		const struct bph_link *l = &c->links[k->links[i]];
		adj[off[prev[l->a] + 1]++] = k->links[i];
		adj[off[prev[l->b] + 1]++] = k->links[i];
	}
	for (size_t i = 0; !rc && i < n; i++)
		got[i] = UINT32_MAX - 1; /* unvisited */
	if (!rc) {
		got[prev[s]] = UINT32_MAX; /* root */
		queue[tail++] = prev[s];
	}
	while (head < tail) {
		uint32_t u = queue[head++], hu = k->hosts[u];
		for (size_t e = off[u]; e < off[u + 1]; e++) {
			const struct bph_link *l = &c->links[adj[e]];
			uint32_t w = l->a == hu ? l->b : l->a;
			if (w == hu || got[prev[w]] != UINT32_MAX - 1)
				continue;
			got[prev[w]] = adj[e];
			queue[tail++] = prev[w];
		}
	}
	for (size_t i = 0; !rc && i < n; i++)
		prev[k->hosts[i]] = got[i];
	free(off);
	free(adj);
	free(queue);
	free(got);
	return rc;
}

static int explain_path(FILE *out, const struct bph_clustering *c, uint32_t s,
			uint32_t h)
{
	uint32_t *prev = malloc((c->n_hosts + 1) * sizeof(uint32_t));
	size_t hops = 0;
	int rc = prev ? bfs(c, s, prev) : BPH_ERR_NOMEM;

	if (rc) {
		free(prev);
		return rc;
	}
	for (uint32_t u = h; prev[u] != UINT32_MAX; hops++) {
		const struct bph_link *l = &c->links[prev[u]];
		u = l->a == u ? l->b : l->a;
	}
	fprintf(out,
		"%s is in the cluster of %s (cluster %u), %zu link%s "
		"away; links from %s back to the seed:\n",
		c->hosts[h], c->hosts[s], c->clusters[c->cluster_of[s]].id,
		hops, hops == 1 ? "" : "s", c->hosts[h]);
	for (uint32_t u = h; prev[u] != UINT32_MAX;) {
		const struct bph_link *l = &c->links[prev[u]];
		print_link(out, c, l);
		u = l->a == u ? l->b : l->a;
	}
	free(prev);
	return 0;
}

static const char *const strength_name[BPH_STRENGTH_COUNT] = {"weak", "medium",
							      "strong"};

/* Why artifact a, shared with the cluster, did not put the host in it. */
static void why_not(FILE *out, const struct bph_clustering *c,
		    const struct bph_art_stat *a)
{
	const struct bph_kind_info *k = a->info;

	if (a->concentrated) {
		fprintf(out,
			"concentrated (%.0f%% of its holders in one "
			"cluster), but the host shows no second non-weak "
			"family pointing to that cluster\n",
			100.0 * a->main_share);
	} else if (a->why_zero == bph_cl_why_cap && k &&
		   a->df > c->max_share[k->strength]) {
		fprintf(out, "over the share cap: %u hosts > %u for %s kinds",
			a->df, c->max_share[k->strength],
			strength_name[k->strength]);
		if (k->strength == BPH_WEAK)
			fputs(" (weak kinds only add to a score anyway)\n",
			      out);
		else if (a->main_share > 0)
			fprintf(out,
				"; not concentrated: at most %.0f%% of its "
				"holders in one cluster (needs %.0f%%)\n",
				100.0 * a->main_share, 100.0 * c->majority);
		else
			fputs("; its holders are in no common cluster\n", out);
	} else if (a->why_zero) {
		fprintf(out, "%s\n", a->why_zero);
	} else if (k->strength == BPH_WEAK) {
		fprintf(out,
			"weak family only (%s, weight %.2f): adds to a "
			"score, never links without a non-weak family\n",
			bph_family_name(k->family), a->weight);
	} else {
		fprintf(out,
			"%s family %s, weight %.2f: below the threshold "
			"without a second family (score >= %.2f)\n",
			strength_name[k->strength], bph_family_name(k->family),
			a->weight, c->threshold);
	}
}

/* Best pair score of h with a member of k (sum of the best weight per
 * family of what they share, counting only weights the score rule can
 * see: not an over-cap build the neighbour rule weighed for a link's
 * evidence); *fams and *with describe it. */
static double best_score(const struct bph_clustering *c,
			 const struct bph_cluster *k, uint32_t h, int *fams,
			 uint32_t *with)
{
	double best = 0;

	*fams = 0;
	*with = UINT32_MAX;
	for (size_t m = 0; m < k->n_hosts; m++) {
		double w[BPH_FAM_COUNT] = {0}, sum = 0;
		int nf = 0;
		for (size_t i = c->inc_off[h]; i < c->inc_off[h + 1]; i++) {
			const struct bph_art_stat *a = &c->arts[c->inc[i].art];
			if (a->weight <= 0 || a->why_zero || !a->info ||
			    !bph_clustering_host_has(c, k->hosts[m],
						     c->inc[i].art))
				continue;
			if (a->weight > w[a->info->family])
				w[a->info->family] = a->weight;
		}
		for (int f = 0; f < BPH_FAM_COUNT; f++) {
			sum += w[f];
			nf += w[f] > 0;
		}
		if (sum > best) {
			best = sum;
			*fams = nf;
			*with = k->hosts[m];
		}
	}
	return best;
}

/* Lists what h shares with the members of cluster k and why none of it
 * linked h to them. */
static void explain_shared(FILE *out, const struct bph_clustering *c,
			   const struct bph_cluster *k, uint32_t h)
{
	size_t shared = 0;
	uint32_t with;
	int fams;

	for (size_t i = c->inc_off[h]; i < c->inc_off[h + 1]; i++) {
		uint32_t art = c->inc[i].art, holders = 0;
		if ((i > c->inc_off[h] && c->inc[i - 1].art == art) ||
		    !c->arts[art].info) /* cert_subject: never evidence */
			continue;
		for (size_t m = 0; m < k->n_hosts; m++)
			holders += k->hosts[m] != h &&
				   bph_clustering_host_has(c, k->hosts[m], art);
		if (!holders)
			continue;
		const struct bph_art_stat *a = &c->arts[art];
		fprintf(out, "  shared %s ", a->kind);
		bph_print_text(out, a->value);
		fprintf(out,
			" (on %u of the cluster's hosts, %u hosts in all): ",
			holders, a->df);
		why_not(out, c, a);
		shared++;
	}
	if (!shared) {
		fputs("  it shares no artifact with any host of that cluster\n",
		      out);
		return;
	}
	double s = best_score(c, k, h, &fams, &with);
	if (with == UINT32_MAX)
		fputs("  no weighted artifact in common: score 0\n", out);
	else
		fprintf(out,
			"  best pair score: %.2f with %s from %d famil%s "
			"(a score link needs >= %.2f from two families, one "
			"not weak)\n",
			s, c->hosts[with], fams, fams == 1 ? "y" : "ies",
			c->threshold);
}

int bph_clustering_explain(const struct bph_clustering *c, const char *seed,
			   const char *host, FILE *out)
{
	long s = bph_clustering_host(c, seed);
	long h = bph_clustering_host(c, host);

	if (s < 0 || h < 0) {
		fprintf(out, "%s: not an answering host in the store\n",
			s < 0 ? seed : host);
		return BPH_ERR_USAGE;
	}
	if (s == h) {
		fprintf(out, "%s is the seed\n", seed);
		return 0;
	}
	if (c->cluster_of[s] == c->cluster_of[h])
		return explain_path(out, c, (uint32_t)s, (uint32_t)h);
	fprintf(out, "%s is NOT in the cluster of %s (cluster %u vs %u)\n",
		host, seed, c->clusters[c->cluster_of[h]].id,
		c->clusters[c->cluster_of[s]].id);
	explain_shared(out, c, &c->clusters[c->cluster_of[s]], (uint32_t)h);
	bph_cl_neighbour_explain(c, c->cluster_of[s], (uint32_t)h, out);
	fprintf(out,
		"  rules: a link needs one rare strong artifact (ssh_hostkey, "
		"cert_sha256, spki_sha256: on at most %u hosts), or a score "
		">= %.2f from two families with at least one not weak "
		"(jarm, ja3s, hassh, server, header_hash are one weak family, "
		"tcp_sig another), or over-cap artifacts concentrated in the "
		"cluster from two non-weak families, or (a lone host) the "
		"neighbour rule above\n",
		c->max_share[BPH_STRONG], c->threshold);
	return 0;
}

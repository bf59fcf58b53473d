/*
 * explain.c - the human-readable side of a clustering: the seed's cluster
 * with the evidence of each link, and why a host is or is not in it.
 */
#include "cluster/cluster.h"

#include <stdlib.h>
#include <string.h>

#include "cluster/text.h"
#include "fingerprints/err.h"

void bph_print_text(FILE *out, const char *s)
{
	char *clean = bph_text_clean(s, BPH_TEXT_UTF8);

	for (const unsigned char *p = (const unsigned char *)clean; p && *p;
	     p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	free(clean);
}

static void print_evidence(FILE *out, const struct bph_clustering *c,
			   const struct bph_evidence *e)
{
	const struct bph_art_stat *s = &c->arts[e->art];

	fprintf(out, "      %s ", s->kind);
	bph_print_text(out, s->value);
	fprintf(out, "  (ports %u/%u, shared by %u hosts, weight %.2f, %s)\n",
		e->port_a, e->port_b, s->df, s->weight, e->rule);
}

static void print_link(FILE *out, const struct bph_clustering *c,
		       const struct bph_link *l)
{
	fprintf(out, "  %s -- %s  score %.2f  rule %s%s\n", c->hosts[l->a],
		c->hosts[l->b], l->score, l->rule,
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
		fprintf(out, "seed %s\n", seed);
		print_cluster(out, c, &c->clusters[c->cluster_of[h]]);
		return 0;
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

/* BFS over links from s; prev[h] is the link that reached h. */
static int bfs(const struct bph_clustering *c, uint32_t s, uint32_t *prev)
{
	uint32_t *queue = malloc((c->n_hosts + 1) * sizeof(uint32_t));
	size_t head = 0, tail = 0;

	if (!queue)
		return BPH_ERR_NOMEM;
	for (size_t h = 0; h < c->n_hosts; h++)
		prev[h] = UINT32_MAX - 1; /* unvisited */
	prev[s] = UINT32_MAX;		  /* root */
	queue[tail++] = s;
	const struct bph_cluster *k = &c->clusters[c->cluster_of[s]];
	while (head < tail) {
		uint32_t u = queue[head++];
		for (size_t i = 0; i < k->n_links; i++) {
			const struct bph_link *l = &c->links[k->links[i]];
			uint32_t w = l->a == u ? l->b : l->b == u ? l->a : u;
			if (w == u || prev[w] != UINT32_MAX - 1)
				continue;
			prev[w] = k->links[i];
			queue[tail++] = w;
		}
	}
	free(queue);
	return 0;
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

/* Lists what s and h share directly and why it did not link them. */
static void explain_shared(FILE *out, const struct bph_clustering *c,
			   uint32_t s, uint32_t h)
{
	size_t shared = 0;

	for (size_t i = c->inc_off[s]; i < c->inc_off[s + 1]; i++) {
		uint32_t art = c->inc[i].art;
		if (i > c->inc_off[s] && c->inc[i - 1].art == art)
			continue;
		for (size_t j = c->inc_off[h]; j < c->inc_off[h + 1]; j++) {
			if (c->inc[j].art != art)
				continue;
			const struct bph_art_stat *a = &c->arts[art];
			fprintf(out, "  shared %s ", a->kind);
			bph_print_text(out, a->value);
			fprintf(out, " (shared by %u hosts): ", a->df);
			if (a->why_zero)
				fprintf(out, "weight 0, %s\n", a->why_zero);
			else
				fprintf(out, "weight %.2f\n", a->weight);
			shared++;
			break;
		}
	}
	if (!shared)
		fputs("  they share no artifact\n", out);
	fprintf(out,
		"  rule: a link needs one rare strong artifact "
		"(ssh_hostkey, cert_sha256, spki_sha256), or a score >= "
		"%.2f from at least two families (jarm, ja3s, hassh, "
		"server and header_hash are one family)\n",
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
	explain_shared(out, c, (uint32_t)s, (uint32_t)h);
	return 0;
}

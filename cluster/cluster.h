/*
 * cluster.h - linking hosts by shared artifacts, with evidence.
 *
 * Families and strengths (docs/clustering.md "Artifacts and families"):
 *   strong: ssh_hostkey (family "hostkey"), cert_sha256 + spki_sha256
 *           (family "x509": a certificate and its key are one piece of
 *           evidence);
 *   medium: favicon, body_sha256, title (one family each);
 *   weak:   jarm, ja3s, hassh, server, header_hash (one family "software":
 *           they all measure the same software stack), tcp_sig ("tcp").
 * Weight of an artifact shared by df of N hosts, when 2 <= df <=
 * cap(strength) and the artifact is not on the common list (else 0):
 *   medium, weak: w = strength * ln(N / df), so a value every host carries
 *                 (one kernel's tcp_sig, one distro's JARM) adds nothing;
 *   strong:       w = strength * ln(1 + N / df), so a key shared by every
 *                 host of a tiny scan still shows a positive weight (the
 *                 strong rule itself only asks for rarity: df <= cap).
 * Pair score: sum over families of the best weight in that family.
 * Link rules, in order:
 *   "strong:<kind>"  a shared strong artifact with w > 0;
 *   "score>=<t>"     score >= threshold from at least two families, at
 *                    least one of them not weak (software and tcp measure
 *                    software builds, not operators: together they still
 *                    never link, docs/clustering.md "Link rules");
 *   "concentrated"   an artifact over its family's cap (so weight 0 for
 *                    pairs) whose holders are mostly (>= majority, and at
 *                    least 3 hosts) in one cluster already formed by the
 *                    rules above: a big provider's panel or key. A holder
 *                    outside that cluster joins it when it carries such
 *                    artifacts from two non-weak families, or a strong
 *                    one, all pointing at that cluster (one popular
 *                    favicon alone attaches nobody). Weak kinds and
 *                    artifacts above max_concentrated hosts never count;
 *                    CDN certificates and vendor keys, whose holders are
 *                    unrelated singletons, are never concentrated.
 *   "neighbour"      a host alone after the rules above joins the cluster
 *                    that dominates its /24 when a software or tcp_sig
 *                    value it carries is that cluster's own, and block
 *                    prior odds x the build's likelihood ratio >= 99
 *                    (cluster/rule_neighbour.c; family "netblock" turns it
 *                    off).
 * Defaults (bph_cluster_opts_default): threshold 3.0; caps strong 50,
 * medium 20, weak 100; strengths 3, 2, 1; majority 0.6; max_concentrated
 * 1000; common list BPH_DATADIR/common.yaml. Also weight 0: an artifact
 * whose holders all carry one over-cap key or certificate (a device or
 * image default: a vendor's certificate beside its shared key).
 * Cost: host pairs are enumerated only for artifacts within their cap, so
 * at most cap^2/2 pairs per artifact; over-cap artifacts cost O(df log df)
 * each (the concentrated rule); everything else is linear in the
 * incidences (counting sorts). 1M hosts / 10M incidences: bench/README.md.
 * Clusters are the connected components of the links (union-find). A
 * score-rule link whose removal splits its cluster is a weak bridge, and
 * its cluster is flagged (a "concentrated" link is a leaf by
 * construction: marked as a bridge, but it does not flag the cluster).
 */
#ifndef BPH_CLUSTER_CLUSTER_H
#define BPH_CLUSTER_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cluster/graph.h"
#include "fingerprints/common.h"

enum bph_family {
	BPH_FAM_HOSTKEY,
	BPH_FAM_X509,
	BPH_FAM_FAVICON,
	BPH_FAM_BODY,
	BPH_FAM_TITLE,
	BPH_FAM_SOFTWARE,
	BPH_FAM_TCP,
	BPH_FAM_NETBLOCK, /* the host's /24: only the neighbour rule uses it */
	BPH_FAM_COUNT
};

enum bph_strength { BPH_WEAK = 0, BPH_MEDIUM, BPH_STRONG, BPH_STRENGTH_COUNT };

/* One entry of the artifact-kind registry. */
struct bph_kind_info {
	const char *kind; /* as in bph_service_artifacts() */
	enum bph_family family;
	enum bph_strength strength;
};

/* The registry: every kind the clustering knows, NULL-kind terminated. */
extern const struct bph_kind_info bph_kinds[];
/* The registry entry for kind, or NULL when the kind is not clustered. */
const struct bph_kind_info *bph_kind_lookup(const char *kind);
const char *bph_family_name(enum bph_family f);

struct bph_cluster_opts {
	double threshold; /* score rule threshold (default 3.0) */
	uint32_t max_share[BPH_STRENGTH_COUNT]; /* df caps: 100, 20, 50 */
	double strength[BPH_STRENGTH_COUNT];	/* multipliers: 1, 2, 3 */
	bool family_on[BPH_FAM_COUNT];		/* default all true */
	double majority;	   /* concentrated rule: share of holders in
				      one cluster (default 0.6; > 1 disables) */
	uint32_t max_concentrated; /* concentrated rule: df cap (1000) */
	bool use_default_common;   /* load BPH_DATADIR/common.yaml if common
				      is NULL (default true) */
	struct bph_common *common; /* owned; NULL: see use_default_common */
};

/* Fills o with the defaults above (o->common = NULL). */
void bph_cluster_opts_default(struct bph_cluster_opts *o);
/*
 * Adds the entries of the list at path to o->common (loading the shipped
 * list first when use_default_common is set and none is loaded yet), so a
 * user's file extends the shipped one. Returns 0 or a negative BPH_ERR_*
 * with "file:line:column: message" in err.
 */
int bph_cluster_opts_load_common(struct bph_cluster_opts *o, const char *path,
				 char *err, size_t errlen);
/* Frees what o owns; o can be reused after bph_cluster_opts_default(). */
void bph_cluster_opts_clear(struct bph_cluster_opts *o);

/* The link rules, in the order they run (docs/clustering.md "Link
 * rules"). */
enum bph_rule {
	BPH_RULE_STRONG,
	BPH_RULE_SCORE,
	BPH_RULE_CONCENTRATED,
	BPH_RULE_NEIGHBOUR,
	BPH_RULE_COUNT
};

/* "strong", "score", "concentrated", "neighbour"; "?" for anything else. */
const char *bph_rule_name(enum bph_rule r);

/* Per-artifact statistics of one clustering. */
struct bph_art_stat {
	char *kind, *value;
	const struct bph_kind_info *info; /* registry entry; NULL: unknown */
	const char *why_zero; /* static reason when weight is 0, else NULL */
	double weight;	      /* 0 when it cannot link */
	uint32_t df;	      /* distinct hosts carrying it */
	float main_share;     /* over-cap artifacts: share of holders in the
				 cluster holding most of them (else 0) */
	bool concentrated;    /* linked holders by the concentrated rule */
	bool derived;	      /* not observed: derived from the address (a
				 netblock); no incidences carry it */
};

/* One shared artifact on a link. */
struct bph_evidence {
	uint32_t art; /* index into arts */
	uint16_t port_a, port_b;
	int64_t first_seen, last_seen; /* over both hosts */
	enum bph_rule rule;	       /* the rule this artifact served */
};

struct bph_link {
	uint32_t a, b; /* host indices, a < b */
	double score;
	enum bph_rule rule;
	const char *strong_kind; /* BPH_RULE_STRONG: the kind that fired (a
				    registry string), else NULL */
	bool bridge;		 /* removing it splits the cluster */
	struct bph_evidence *ev; /* best artifact per family, by weight */
	size_t n_ev;
};

struct bph_cluster {
	uint32_t id;	 /* 1.., largest first */
	uint32_t *hosts; /* sorted host indices */
	size_t n_hosts;
	uint32_t *links; /* indices into links */
	size_t n_links;
	bool weak_bridge; /* held together by a score-rule bridge link */
};

/* Result of bph_cluster_run(); read-only for printers and exporters. */
struct bph_clustering {
	char *strings;		 /* one block: every host, kind and value string
				    (NULL when the strings are the adopted graph's) */
	struct bph_graph *graph; /* bph_cluster_run_graph(): the graph whose
				    strings hosts and arts point into */
	char *derived_strings;	 /* kinds and values of derived artifacts */
	char **hosts;		 /* sorted by address; point into strings */
	size_t n_hosts;
	size_t n_total; /* hosts the weights count: n_hosts, or for one seed's
			   clustering (cluster/seed.h) the store's */
	struct bph_art_stat *arts;
	size_t n_arts;
	struct bph_incidence *inc; /* remapped, sorted by host then art */
	size_t n_inc;
	size_t *inc_off; /* n_hosts + 1 offsets into inc */
	struct bph_link *links;
	size_t n_links;
	struct bph_cluster *clusters;
	size_t n_clusters;
	uint32_t *cluster_of; /* host index -> index into clusters */
	/* communities inside large clusters (cluster/community.h): NULL
	 * unless a split ran; host index -> community id (1..) */
	uint32_t *community_of;
	size_t n_communities;
	int64_t last_seen; /* latest observation (deterministic time) */
	double threshold;
	/* the options' caps and majority, for explanations */
	uint32_t max_share[BPH_STRENGTH_COUNT];
	double majority;
};

/*
 * Clusters g (borrowed) with opts (borrowed; may be NULL for defaults).
 * On success *out owns a new clustering (free with bph_clustering_free()).
 * Returns 0, BPH_ERR_NOMEM, or the common-list loader's error.
 */
int bph_cluster_run(const struct bph_graph *g,
		    const struct bph_cluster_opts *opts,
		    struct bph_clustering **out);
void bph_clustering_free(struct bph_clustering *c); /* NULL-safe */

/*
 * The same, taking g: from the call on the clustering owns it (on
 * failure it is freed). The result points into g's strings instead of
 * copying them, and g's lookup tables, incidences and arrays are freed as
 * soon as the clustering no longer reads them, so a store's graph is never
 * held twice (what `bphound cluster` and the exports of a large store
 * use). Returns what bph_cluster_run() returns.
 */
int bph_cluster_run_graph(struct bph_graph *g,
			  const struct bph_cluster_opts *opts,
			  struct bph_clustering **out);

/* Room for bph_link_label(), NUL included. */
#define BPH_LINK_LABEL_MAX 40

/*
 * The link's rule as reports and exports print it: "strong:<kind>",
 * "score>=<threshold, two decimals>", "concentrated" or "neighbour".
 * Writes it into buf (BPH_LINK_LABEL_MAX bytes) and returns buf.
 */
const char *bph_link_label(const struct bph_clustering *c,
			   const struct bph_link *l,
			   char buf[BPH_LINK_LABEL_MAX]);

/* Host index of ip, or -1. */
long bph_clustering_host(const struct bph_clustering *c, const char *ip);

/* Whether host index h carries artifact index art (binary search over the
 * host's incidences, which are sorted by artifact). */
bool bph_clustering_host_has(const struct bph_clustering *c, uint32_t h,
			     uint32_t art);

/*
 * Human text: with a seed, the seed's cluster, each link with the
 * artifacts behind it (hosts sharing each, weight), and, when the seed is
 * alone, what it shares with other hosts and why that did not link it;
 * without, every cluster. Returns 0, or BPH_ERR_USAGE when seed is not a
 * known host.
 */
int bph_clustering_print(const struct bph_clustering *c, const char *seed,
			 FILE *out);

/*
 * Why host is or is not in seed's cluster: the chain of links from seed to
 * host with evidence; or every artifact host shares with any member of
 * that cluster and why it did not suffice (common, default, over the share
 * cap and not concentrated, weak family only, medium family without a
 * second one), and the best pair score host reaches with a member.
 * Returns 0, or BPH_ERR_USAGE when either is not a known host.
 */
int bph_clustering_explain(const struct bph_clustering *c, const char *seed,
			   const char *host, FILE *out);

#endif

/*
 * case.h - one cluster as an abuse case: its hosts with what each showed
 * (port, fingerprint, when), the links between them with the shared
 * values, and, once looked up (abuse/contacts.h), each host's abuse
 * contact, upstreams and public list entries.
 *
 * A case borrows the strings of the clustering it was made from: keep the
 * clustering until the case is freed.
 */
#ifndef BPH_ABUSE_CASE_H
#define BPH_ABUSE_CASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abuse/contacts.h"
#include "abuse/denylist.h"
#include "cluster/cluster.h"

/* One fingerprint a host showed on a port, over all scans. */
struct bph_abuse_obs {
	const char *kind, *value; /* borrowed from the clustering */
	uint16_t port;
	int64_t first_seen, last_seen; /* Unix seconds; 0 when unknown */
	uint32_t df;		       /* hosts showing the value */
	bool shared; /* on a link of the case: it ties hosts together */
};

struct bph_abuse_host {
	const char *ip; /* borrowed */
	struct bph_abuse_obs *obs;
	size_t n_obs;
	int64_t first_seen, last_seen; /* over obs; 0 when none */
	/* filled by bph_abuse_case_lookup() */
	struct bph_abuse_contact contact; /* mailbox "" when none found */
	struct bph_abuse_upstream *up;
	size_t n_up;
	struct bph_abuse_listing *listed;
	size_t n_listed;
};

/* One value on a link, with the ports it was seen on. */
struct bph_abuse_shared {
	const char *kind, *value;
	uint16_t port_a, port_b;
	uint32_t df;
	double weight;
	enum bph_rule rule; /* the rule this value served */
};

struct bph_abuse_link {
	size_t a, b;		       /* host indices in the case */
	char rule[BPH_LINK_LABEL_MAX]; /* bph_link_label() */
	double score;
	struct bph_abuse_shared *ev;
	size_t n_ev;
};

struct bph_abuse_case {
	uint32_t cluster; /* the cluster's id in the clustering */
	size_t n_clusters;
	struct bph_abuse_host *hosts; /* by address, as in the clustering */
	size_t n_hosts;
	struct bph_abuse_link *links;
	size_t n_links;
	int64_t last_seen; /* latest observation of the case */
};

/*
 * Makes the case of cluster index ci of c (borrowed; must outlive the
 * case). *out owns it (bph_abuse_case_free). Returns 0, BPH_ERR_USAGE (ci
 * out of range) or BPH_ERR_NOMEM.
 */
int bph_abuse_case_new(const struct bph_clustering *c, size_t ci,
		       struct bph_abuse_case **out);
void bph_abuse_case_free(struct bph_abuse_case *k); /* NULL-safe */

/*
 * The index in c->clusters of the cluster holding seed (a host address)
 * or, with seed NULL, of the cluster whose id is id. Returns it, or -1
 * when there is none.
 */
long bph_abuse_case_find(const struct bph_clustering *c, const char *seed,
			 uint32_t id);

/*
 * Fills every host's contact, upstreams and list entries through l
 * (borrowed; a NULL callback is skipped). A host the lookup knows nothing
 * about keeps an empty contact. Returns 0, or the first error a callback
 * returned other than "not found" (BPH_ERR_NOMEM, BPH_ERR_DB).
 */
int bph_abuse_case_lookup(struct bph_abuse_case *k,
			  const struct bph_abuse_lookup *l);

/*
 * Adds every host of k to d as a source (a /32 or /128 of cluster
 * k->cluster) with the values that tie it to the others as its evidence
 * ("kind:value", each once) and its list entries. Returns 0,
 * BPH_ERR_FORMAT (a host that is not an address) or BPH_ERR_NOMEM.
 */
int bph_abuse_case_deny(const struct bph_abuse_case *k, struct bph_denylist *d);

#endif

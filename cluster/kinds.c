/*
 * kinds.c - the clustering's names and defaults: the artifact-kind
 * registry, family and rule names, link labels and the options. The
 * families, strengths and rules are described in cluster.h and
 * docs/clustering.md.
 */
#include "cluster/cluster.h"

#include <stdio.h>
#include <string.h>

#include "fingerprints/err.h"

const struct bph_kind_info bph_kinds[] = {
    {"ssh_hostkey", BPH_FAM_HOSTKEY, BPH_STRONG},
    {"cert_sha256", BPH_FAM_X509, BPH_STRONG},
    {"spki_sha256", BPH_FAM_X509, BPH_STRONG},
    {"favicon", BPH_FAM_FAVICON, BPH_MEDIUM},
    {"body_sha256", BPH_FAM_BODY, BPH_MEDIUM},
    {"title", BPH_FAM_TITLE, BPH_MEDIUM},
    {"jarm", BPH_FAM_SOFTWARE, BPH_WEAK},
    {"ja3s", BPH_FAM_SOFTWARE, BPH_WEAK},
    {"hassh", BPH_FAM_SOFTWARE, BPH_WEAK},
    {"server", BPH_FAM_SOFTWARE, BPH_WEAK},
    {"header_hash", BPH_FAM_SOFTWARE, BPH_WEAK},
    {"tcp_sig", BPH_FAM_TCP, BPH_WEAK},
    /* derived from the address by the neighbour rule, never stored */
    {"netblock", BPH_FAM_NETBLOCK, BPH_WEAK},
    {NULL, 0, 0},
};

const struct bph_kind_info *bph_kind_lookup(const char *kind)
{
	for (const struct bph_kind_info *k = bph_kinds; k->kind; k++)
		if (k->kind[0] == kind[0] && !strcmp(k->kind, kind))
			return k;
	return NULL;
}

const char *bph_rule_name(enum bph_rule r)
{
	static const char *const names[BPH_RULE_COUNT] = {
	    "strong", "score", "concentrated", "neighbour"};
	return (unsigned)r < BPH_RULE_COUNT ? names[r] : "?";
}

const char *bph_link_label(const struct bph_clustering *c,
			   const struct bph_link *l,
			   char buf[BPH_LINK_LABEL_MAX])
{
	if (l->rule == BPH_RULE_STRONG)
		snprintf(buf, BPH_LINK_LABEL_MAX, "strong:%s", l->strong_kind);
	else if (l->rule == BPH_RULE_SCORE)
		snprintf(buf, BPH_LINK_LABEL_MAX, "score>=%.2f", c->threshold);
	else
		snprintf(buf, BPH_LINK_LABEL_MAX, "%s", bph_rule_name(l->rule));
	return buf;
}

const char *bph_family_name(enum bph_family f)
{
	static const char *const names[BPH_FAM_COUNT] = {
	    "hostkey", "x509",	   "favicon", "body",
	    "title",   "software", "tcp",     "netblock",
	};
	return (unsigned)f < BPH_FAM_COUNT ? names[f] : "?";
}

void bph_cluster_opts_default(struct bph_cluster_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->threshold = 3.0;
	o->max_share[BPH_WEAK] = 100;
	o->max_share[BPH_MEDIUM] = 20;
	o->max_share[BPH_STRONG] = 50;
	o->strength[BPH_WEAK] = 1.0;
	o->strength[BPH_MEDIUM] = 2.0;
	o->strength[BPH_STRONG] = 3.0;
	for (int f = 0; f < BPH_FAM_COUNT; f++)
		o->family_on[f] = true;
	o->use_default_common = true;
	o->majority = 0.6;
	o->max_concentrated = 1000;
}

int bph_cluster_opts_load_common(struct bph_cluster_opts *o, const char *path,
				 char *err, size_t errlen)
{
	struct bph_common *c = NULL;
	int rc = bph_common_load(path, &c, err, errlen);

	if (rc)
		return rc;
	/* A user's file adds to the shipped list rather than replacing it,
	 * unless the shipped list is off (use_default_common false). */
	if (!o->common && o->use_default_common)
		rc = bph_common_load(bph_common_default_path(), &o->common, err,
				     errlen);
	if (rc == 0 && o->common)
		rc = bph_common_merge(o->common, c);
	else if (rc == 0)
		o->common = c;
	if (rc)
		bph_common_free(c);
	return rc;
}

void bph_cluster_opts_clear(struct bph_cluster_opts *o)
{
	if (!o)
		return;
	bph_common_free(o->common);
	o->common = NULL;
}

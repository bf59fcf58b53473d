/*
 * export_zeek.c - a Zeek intelligence file (docs/output.md "Zeek intel
 * export"): the hosts of the seed's cluster (without a seed, of every
 * cluster of two hosts or more) as Intel::ADDR, and the certificate SHA-1s
 * and SSH host-key MD5s they showed as Intel::CERT_HASH and
 * Intel::PUBKEY_HASH (through the opts' host_hashes: the clustering holds
 * neither), each value once. Tab-separated with a #fields header, as the
 * intel framework reads it; meta.desc names the cluster (and, for an
 * address, carries its annotations). Nothing written
 * holds a TAB, CR or LF.
 */
#include "cluster/export.h"

#include <stdlib.h>
#include <string.h>

#include "cluster/strmap.h"
#include "fingerprints/err.h"
#include "fingerprints/text.h"

struct zeek_out {
	FILE *out;
	uint32_t cluster;
	size_t n_hosts;
	struct bph_strmap *seen; /* (cluster, value) pairs written */
	char *key;		 /* the pair being looked up */
	size_t cap_key;
	int err;
};

/* Writes s as valid UTF-8 (bad bytes as U+FFFD, text.h) with TAB, CR, LF
 * and other controls as spaces: a host name comes from the user's files. */
static int field(FILE *out, const char *s)
{
	char *clean = bph_text_clean(s, BPH_TEXT_UTF8);

	if (!clean)
		return BPH_ERR_NOMEM;
	for (const unsigned char *p = (unsigned char *)clean; *p; p++)
		fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, out);
	free(clean);
	return 0;
}

/* Whether v was written for this cluster already (then true), else
 * remembers it. A hash map of "cluster NUL value": a cluster's values
 * are as many as its hosts and their keys, thousands in a large one. */
static bool seen_before(struct zeek_out *z, const char *v)
{
	size_t head = sizeof(z->cluster) + 1, vlen = strlen(v);
	uint32_t val = 0;

	if (head + vlen > z->cap_key) {
		char *k = realloc(z->key, head + vlen);
		if (!k) {
			z->err = BPH_ERR_NOMEM;
			return true;
		}
		z->key = k;
		z->cap_key = head + vlen;
	}
	memcpy(z->key, &z->cluster, sizeof(z->cluster));
	z->key[head - 1] = '\0';
	memcpy(z->key + head, v, vlen);
	int rc = bph_strmap_put(z->seen, z->key, head + vlen, &val, NULL);
	if (rc < 0)
		z->err = rc;
	return rc != 1;
}

/* meta.desc names the cluster; an address's also carries the host's
 * annotations (routing, registration, list hits: cluster/annot.h) as
 * "; key=value", so a Zeek notice says whose network the address is in. */
static void line(struct zeek_out *z, const char *value, const char *type,
		 const struct bph_annot *an)
{
	if (!value[0] || seen_before(z, value))
		return;
	if (field(z->out, value)) {
		z->err = BPH_ERR_NOMEM;
		return;
	}
	fprintf(z->out, "\tIntel::%s\tbphound\tcluster %u (%zu hosts)", type,
		z->cluster, z->n_hosts);
	for (size_t i = 0; an && i < an->n_attrs && !z->err; i++) {
		if (!an->attrs[i].value[0])
			continue;
		fprintf(z->out, "; %s=", an->attrs[i].key);
		if (field(z->out, an->attrs[i].value))
			z->err = BPH_ERR_NOMEM;
	}
	fputc('\n', z->out);
}

static void add_hash(void *actx, const char *kind, const char *value)
{
	struct zeek_out *z = actx;

	if (!strcmp(kind, "cert_sha1"))
		line(z, value, "CERT_HASH", NULL);
	else if (!strcmp(kind, "ssh_hostkey_md5"))
		line(z, value, "PUBKEY_HASH", NULL);
}

static void write_cluster(const struct bph_clustering *c,
			  const struct bph_cluster *k,
			  const struct bph_export_opts *o, struct zeek_out *z)
{
	z->cluster = k->id;
	z->n_hosts = k->n_hosts;
	for (size_t i = 0; i < k->n_hosts; i++)
		line(z, c->hosts[k->hosts[i]], "ADDR",
		     bph_annot_host(o->annot, k->hosts[i]));
	for (size_t i = 0; o->host_hashes && i < k->n_hosts; i++)
		o->host_hashes(o->hashes_ctx, c->hosts[k->hosts[i]], add_hash,
			       z);
}

static int write_zeek(const struct bph_clustering *c,
		      const struct bph_export_opts *o, FILE *out, char *err,
		      size_t errlen)
{
	struct zeek_out z = {.out = out, .seen = bph_strmap_new()};
	long seed = o->seed ? bph_clustering_host(c, o->seed) : -1;

	if (o->seed && seed < 0) {
		bph_strmap_free(z.seen);
		return bph_export_fail(err, errlen, BPH_ERR_USAGE,
				       "the seed is not in the clustering");
	}
	if (!z.seen)
		return bph_export_fail(err, errlen, BPH_ERR_NOMEM,
				       "out of memory");
	fputs("#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n",
	      out);
	for (size_t i = 0; i < c->n_clusters && !z.err; i++) {
		const struct bph_cluster *k = &c->clusters[i];
		if (seed >= 0 ? c->cluster_of[seed] == i : k->n_hosts >= 2)
			write_cluster(c, k, o, &z);
	}
	bph_strmap_free(z.seen);
	free(z.key);
	return z.err ? bph_export_fail(err, errlen, z.err, "out of memory") : 0;
}

const struct bph_exporter bph_export_zeek_intel = {
    .name = "zeek-intel",
    .extension = "intel",
    .summary = "Zeek intel file: a cluster's addresses, certificate SHA-1s "
	       "and SSH host-key MD5s",
    .write = write_zeek,
};

/*
 * export_zeek.c - a Zeek intelligence file (docs/output.md "Zeek intel
 * export"): the hosts of the seed's cluster (without a seed, of every
 * cluster of two hosts or more) as Intel::ADDR, and the certificate SHA-1s
 * and SSH host-key MD5s they showed as Intel::CERT_HASH and
 * Intel::PUBKEY_HASH (through the opts' hosts_hashes: the clustering holds
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

/* A hash a member showed (hosts_hashes), kept until its cluster is
 * written: the store reads every member's at once, in its own order. */
struct zeek_hash {
	size_t member; /* index into members */
	const char *type;
	char value[64]; /* a SHA-1's 40 hex digits, an MD5's 47 */
};

struct zeek_out {
	FILE *out;
	uint32_t cluster;
	size_t n_hosts;
	struct bph_strmap *seen; /* (cluster, value) pairs written */
	char *key;		 /* the pair being looked up */
	size_t cap_key;
	int err;
	size_t *members; /* the hosts written, cluster after cluster */
	size_t n_members;
	struct zeek_hash *hashes; /* by member */
	size_t n_hashes, cap_hashes;
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

static void add_hash(void *actx, size_t i, const char *kind, const char *value)
{
	struct zeek_out *z = actx;
	const char *type = !strcmp(kind, "cert_sha1")	      ? "CERT_HASH"
			   : !strcmp(kind, "ssh_hostkey_md5") ? "PUBKEY_HASH"
							      : NULL;

	if (!type || z->err || strlen(value) >= sizeof(z->hashes->value))
		return;
	if (z->n_hashes == z->cap_hashes) {
		size_t cap = z->cap_hashes ? z->cap_hashes * 2 : 256;
		struct zeek_hash *h = realloc(z->hashes, cap * sizeof(*h));
		if (!h) {
			z->err = BPH_ERR_NOMEM;
			return;
		}
		z->hashes = h;
		z->cap_hashes = cap;
	}
	struct zeek_hash *h = &z->hashes[z->n_hashes++];
	h->member = i;
	h->type = type;
	strcpy(h->value, value);
}

static bool written(const struct bph_clustering *c, size_t i, long seed)
{
	return seed >= 0 ? c->cluster_of[seed] == i
			 : c->clusters[i].n_hosts >= 2;
}

/* The hosts to write, cluster after cluster, into z->members. */
static int gather_members(const struct bph_clustering *c, long seed,
			  struct zeek_out *z)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_clusters; i++)
		n += written(c, i, seed) ? c->clusters[i].n_hosts : 0;
	if (!(z->members = malloc((n + 1) * sizeof(*z->members))))
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < c->n_clusters; i++)
		for (size_t j = 0;
		     written(c, i, seed) && j < c->clusters[i].n_hosts; j++)
			z->members[z->n_members++] = c->clusters[i].hosts[j];
	return 0;
}

/* Every member's hashes, asked for at once. */
static int gather_hashes(const struct bph_clustering *c,
			 const struct bph_export_opts *o, struct zeek_out *z)
{
	const char **names = malloc((z->n_members + 1) * sizeof(*names));
	int rc = names ? 0 : BPH_ERR_NOMEM;

	for (size_t m = 0; !rc && m < z->n_members; m++)
		names[m] = c->hosts[z->members[m]];
	if (!rc)
		rc = o->hosts_hashes(o->hashes_ctx, names, z->n_members,
				     add_hash, z);
	free(names);
	return rc ? rc : z->err;
}

/* Cluster k, whose members start at z->members[*m]; *h: the first hash
 * not written yet. */
static void write_cluster(const struct bph_clustering *c,
			  const struct bph_cluster *k,
			  const struct bph_export_opts *o, struct zeek_out *z,
			  size_t *m, size_t *h)
{
	size_t end = *m + k->n_hosts;

	z->cluster = k->id;
	z->n_hosts = k->n_hosts;
	for (size_t i = *m; i < end; i++)
		line(z, c->hosts[z->members[i]], "ADDR",
		     bph_annot_host(o->annot, z->members[i]));
	for (; *h < z->n_hashes && z->hashes[*h].member < end; ++*h)
		line(z, z->hashes[*h].value, z->hashes[*h].type, NULL);
	*m = end;
}

static int write_zeek(const struct bph_clustering *c,
		      const struct bph_export_opts *o, FILE *out, char *err,
		      size_t errlen)
{
	struct zeek_out z = {.out = out, .seen = bph_strmap_new()};
	long seed = o->seed ? bph_clustering_host(c, o->seed) : -1;
	size_t m = 0, h = 0;
	int rc = z.seen ? 0 : BPH_ERR_NOMEM;

	if (o->seed && seed < 0) {
		bph_strmap_free(z.seen);
		return bph_export_fail(err, errlen, BPH_ERR_USAGE,
				       "the seed is not in the clustering");
	}
	if (!rc)
		rc = gather_members(c, seed, &z);
	if (!rc && o->hosts_hashes)
		rc = gather_hashes(c, o, &z);
	if (!rc)
		fputs("#fields\tindicator\tindicator_type\tmeta.source\tmeta."
		      "desc\n",
		      out);
	for (size_t i = 0; !rc && i < c->n_clusters && !z.err; i++)
		if (written(c, i, seed))
			write_cluster(c, &c->clusters[i], o, &z, &m, &h);
	bph_strmap_free(z.seen);
	free(z.key);
	free(z.members);
	free(z.hashes);
	rc = rc ? rc : z.err;
	if (rc && rc != BPH_ERR_NOMEM) {
		char msg[128];
		snprintf(msg, sizeof(msg), "reading the hosts' hashes: %s",
			 bph_strerror(rc));
		return bph_export_fail(err, errlen, rc, msg);
	}
	return rc ? bph_export_fail(err, errlen, rc, "out of memory") : 0;
}

const struct bph_exporter bph_export_zeek_intel = {
    .name = "zeek-intel",
    .extension = "intel",
    .summary = "Zeek intel file: a cluster's addresses, certificate SHA-1s "
	       "and SSH host-key MD5s",
    .write = write_zeek,
};

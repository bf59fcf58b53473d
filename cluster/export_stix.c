/*
 * export_stix.c - a STIX 2.1 bundle (docs/output.md "Graph exports"): one
 * infrastructure per cluster with
 * more than one host (and the seed's cluster), an ipv4-addr per host, an
 * x509-certificate per linking certificate hash (with its subject when
 * the scan recorded one), "consists-of" relationships from each
 * infrastructure to its members, and a "related-to" relationship per link
 * with the evidence in description and x_bphound_* properties. With
 * communities, each ipv4-addr carries x_bphound_community.
 *
 * Ids are deterministic UUIDv5: SCOs use the STIX namespace
 * 00abedb4-aa42-466c-9c01-fed23315a9b7 over the JCS-canonical JSON of
 * their id-contributing properties (ipv4-addr: value; x509-certificate:
 * hashes), as the STIX 2.1 specification says; SDOs and SROs use bphound's
 * own namespace over a stable name (the member list, the two ends). The
 * timestamps are the clustering's latest observation, so the same store
 * always exports the same bundle.
 */
#include "cluster/export.h"

#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "fingerprints/err.h"

static const unsigned char sco_ns[16] = {
    0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c,
    0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7,
};
/* uuid5(NAMESPACE_URL, "https://github.com/bphound/bphound#stix") */
static const unsigned char bph_ns[16] = {
    0x05, 0xa1, 0x33, 0x4e, 0xaf, 0xa6, 0x50, 0xe8,
    0x8a, 0xf1, 0x7f, 0x73, 0xcd, 0x2b, 0x88, 0x73,
};

/* The SHA-1 behind every uuid5, fetched once, and one context reused for
 * the objects' ids (a new context and an EVP_sha1() per id were a visible
 * part of the export). */
struct uuid5 {
	EVP_MD *sha1;
	EVP_MD_CTX *ctx;
};

static int uuid5_open(struct uuid5 *u)
{
	u->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	u->ctx = EVP_MD_CTX_new();
	return u->sha1 && u->ctx ? 0 : BPH_ERR_CRYPTO;
}

static void uuid5_close(struct uuid5 *u)
{
	EVP_MD_CTX_free(u->ctx);
	EVP_MD_free(u->sha1);
}

/* Starts a uuid5 digest in ctx: SHA-1 over ns, then the name; 0 or -1. */
static int uuid5_begin(EVP_MD_CTX *ctx, const EVP_MD *sha1,
		       const unsigned char ns[16])
{
	return ctx && sha1 && EVP_DigestInit_ex2(ctx, sha1, NULL) &&
		       EVP_DigestUpdate(ctx, ns, 16)
		   ? 0
		   : -1;
}

/* out = "<type>--<uuid>" from ctx; returns 0 or BPH_ERR_CRYPTO. */
static int uuid5_end(EVP_MD_CTX *ctx, const char *type, char out[96])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t n = strlen(type);

	if (!ctx || !EVP_DigestFinal_ex(ctx, md, &mdlen) || n > 96 - 39)
		return BPH_ERR_CRYPTO;
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	memcpy(out, type, n);
	out[n++] = '-';
	out[n++] = '-';
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[n++] = '-';
		out[n++] = hex[md[i] >> 4];
		out[n++] = hex[md[i] & 15];
	}
	out[n] = '\0';
	return 0;
}

/* out = "<type>--<uuid5(ns, name)>"; returns 0 or BPH_ERR_CRYPTO. */
static int uuid5_id(struct uuid5 *u, const unsigned char ns[16],
		    const char *type, const char *name, char out[96])
{
	if (uuid5_begin(u->ctx, u->sha1, ns) ||
	    !EVP_DigestUpdate(u->ctx, name, strlen(name)))
		return BPH_ERR_CRYPTO;
	return uuid5_end(u->ctx, type, out);
}

/*
 * The bundle's id is a uuid5 over the compact JSON of its object array,
 * which comes before the objects in the file. Into a file bphound may
 * seek in (a regular file, not opened for appending), the objects are
 * digested as they are written, one cluster's objects in memory at a
 * time, and the id is written over a placeholder of the same length at
 * the end: building the objects (trees, canonical forms, uuid5s) was
 * most of the export's time beyond the clustering. Elsewhere (a pipe,
 * stdout on a terminal) two passes: the first only digests, the second
 * writes.
 */
struct stix {
	const struct bph_clustering *c;
	EVP_MD_CTX *md;		/* the bundle id's digest, while it runs */
	struct uuid5 u;		/* the objects' ids */
	size_t n;		/* objects digested */
	struct bph_json_out *j; /* the output, while it is written */
	char stamp[40];
	int bad;
	bool obj_first;	 /* obj_begin: no member yet */
	bool *cert_done; /* per artifact: x509-certificate already written */
	const struct bph_annotations *an; /* may be NULL */
};

static int digest(const char *buf, size_t n, void *md)
{
	return EVP_DigestUpdate(md, buf, n) ? 0 : -1;
}

/* Digests and/or writes o (stolen), as the pass goes. */
static void add(struct stix *s, json_t *o)
{
	if (!o) {
		s->bad = 1;
		return;
	}
	if (s->md) { /* what json_dumps(objects, JSON_COMPACT) gives */
		if (!EVP_DigestUpdate(s->md, s->n ? "," : "[", 1) ||
		    json_dump_callback(o, digest, s->md, JSON_COMPACT))
			s->bad = 1;
		s->n++;
	}
	if (s->j)
		bph_json_item(s->j, o); /* takes o */
	else
		json_decref(o);
}

/*
 * Objects written without a jansson tree, into both sinks as add() would
 * write their tree: the compact JSON into the bundle digest and the
 * indented JSON into the output. The members are strings and integers
 * only; begin, then members, then end.
 */
static void obj_put(struct stix *s, const char *p, size_t n)
{
	if (!EVP_DigestUpdate(s->md, p, n))
		s->bad = 1;
}

static void obj_quote_put(void *v, const char *p, size_t n)
{
	obj_put(v, p, n);
}

static void obj_begin(struct stix *s)
{
	if (s->md) {
		obj_put(s, s->n ? ",{" : "[{", 2);
		s->n++;
	}
	s->obj_first = true;
	if (s->j) {
		bph_json_next(s->j);
		bph_json_begin(s->j, '{');
	}
}

static void obj_key(struct stix *s, const char *key)
{
	if (s->md) {
		if (!s->obj_first)
			obj_put(s, ",", 1);
		bph_json_quote(key, obj_quote_put, s);
		obj_put(s, ":", 1);
	}
	s->obj_first = false;
	if (s->j)
		bph_json_key(s->j, key);
}

/* A text member, cleaned as text() cleans it. */
static void obj_text(struct stix *s, const char *key, const char *v)
{
	obj_key(s, key);
	if (s->md)
		bph_json_quote(v, obj_quote_put, s);
	if (s->j)
		bph_json_text(s->j, v);
}

static void obj_int(struct stix *s, const char *key, int64_t v)
{
	char buf[24];

	obj_key(s, key);
	if (s->md)
		obj_put(s, buf, bph_json_int_str(v, buf));
	if (s->j)
		bph_json_int(s->j, v);
}

/* A real: compact as jansson's default "%.17g" (".0" added to an
 * integral value, the exponent trimmed), indented with the export's
 * precision (bph_json_real). Callers check isfinite. */
static void obj_real(struct stix *s, const char *key, double v)
{
	char buf[48];

	obj_key(s, key);
	if (s->md)
		obj_put(s, buf, bph_json_real_str(v, 17, buf));
	if (s->j)
		bph_json_real(s->j, v);
}

static void obj_array(struct stix *s, const char *key)
{
	obj_key(s, key);
	if (s->md)
		obj_put(s, "[", 1);
	if (s->j)
		bph_json_begin(s->j, '[');
}

static void obj_array_end(struct stix *s)
{
	if (s->md)
		obj_put(s, "]", 1);
	if (s->j)
		bph_json_end(s->j, ']');
}

/* An object as an array element (first: the array's first). */
static void obj_elem_begin(struct stix *s, bool first)
{
	if (s->md)
		obj_put(s, first ? "{" : ",{", first ? 1 : 2);
	s->obj_first = true;
	if (s->j) {
		bph_json_next(s->j);
		bph_json_begin(s->j, '{');
	}
}

static void obj_end(struct stix *s)
{
	if (s->md)
		obj_put(s, "}", 1);
	if (s->j)
		bph_json_end(s->j, '}');
}

static json_t *text(const char *str)
{
	char *clean = bph_text_clean(str, BPH_TEXT_UTF8);
	json_t *j = clean ? json_string(clean) : NULL;

	free(clean);
	return j;
}

struct id_text {
	EVP_MD_CTX *ctx;
	int bad;
};

static void id_put(void *v, const char *p, size_t n)
{
	struct id_text *t = v;

	if (!EVP_DigestUpdate(t->ctx, p, n))
		t->bad = 1;
}

/* An SCO's id: uuid5 over the JCS form of its one id-contributing
 * property, {"<key>":<str>} or {"<key>":{"<sub>":<str>}}, str cleaned and
 * quoted as json_dumps(..., JSON_COMPACT | JSON_SORT_KEYS) writes it. */
static int sco_id(struct stix *s, const char *type, const char *key,
		  const char *sub, const char *str, char out[96])
{
	struct id_text t = {.ctx = s->u.ctx};

	if (uuid5_begin(t.ctx, s->u.sha1, sco_ns))
		return BPH_ERR_CRYPTO;
	id_put(&t, "{", 1);
	bph_json_quote(key, id_put, &t);
	id_put(&t, ":", 1);
	if (sub) {
		id_put(&t, "{", 1);
		bph_json_quote(sub, id_put, &t);
		id_put(&t, ":", 1);
	}
	bph_json_quote(str, id_put, &t);
	id_put(&t, "}}", sub ? 2 : 1);
	return t.bad ? BPH_ERR_CRYPTO : uuid5_end(t.ctx, type, out);
}

/* ipv4-addr: the value, cleaned as text() cleans it. */
static int ip_id(struct stix *s, const char *ip, char out[96])
{
	return sco_id(s, "ipv4-addr", "value", NULL, ip, out);
}

/* x509-certificate: the SHA-256, which must be valid UTF-8 as json_pack's
 * "s" wants it (cert_object builds the object from it). */
static int cert_id(struct stix *s, const char *sha256, char out[96])
{
	if (!bph_text_is_clean(sha256, BPH_TEXT_UTF8))
		return BPH_ERR_NOMEM;
	return sco_id(s, "x509-certificate", "hashes", "SHA-256", sha256, out);
}

/* A relationship's own members (the object left open), or false when
 * its id cannot be made (counted in bad). */
static bool relationship_begin(struct stix *s, const char *type,
			       const char *src, const char *dst)
{
	char id[96], *name = NULL;

	if (asprintf(&name, "%s|%s|%s", type, src, dst) < 0) {
		s->bad = 1;
		return false;
	}
	int rc = uuid5_id(&s->u, bph_ns, "relationship", name, id);
	free(name);
	if (rc) {
		s->bad = 1;
		return false;
	}
	obj_begin(s);
	obj_text(s, "type", "relationship");
	obj_text(s, "spec_version", "2.1");
	obj_text(s, "id", id);
	obj_text(s, "created", s->stamp);
	obj_text(s, "modified", s->stamp);
	obj_text(s, "relationship_type", type);
	obj_text(s, "source_ref", src);
	obj_text(s, "target_ref", dst);
	return true;
}

static void relationship(struct stix *s, const char *type, const char *src,
			 const char *dst)
{
	if (relationship_begin(s, type, src, dst))
		obj_end(s);
}

/* Annotations (cluster/annot.h) as x_bphound_<key> custom properties:
 * not id-contributing, so ids stay the same. */
static void annot_props(struct stix *s, json_t *o, const struct bph_annot *an)
{
	char key[96];

	for (size_t i = 0; o && an && i < an->n_attrs; i++) {
		snprintf(key, sizeof(key), "x_bphound_%s", an->attrs[i].key);
		if (json_object_set_new(o, key, text(an->attrs[i].value)))
			s->bad = 1;
	}
	if (o && an && an->remark &&
	    json_object_set_new(o, "x_bphound_remark", text(an->remark)))
		s->bad = 1;
}

static void host_objects(struct stix *s, uint32_t h, const char *infra)
{
	char id[96];
	uint32_t community;
	json_t *o;

	if (ip_id(s, s->c->hosts[h], id)) {
		s->bad = 1;
		return;
	}
	const struct bph_annot *an = bph_annot_host(s->an, h);
	if (!an) { /* most hosts: no tree */
		obj_begin(s);
		obj_text(s, "type", "ipv4-addr");
		obj_text(s, "spec_version", "2.1");
		obj_text(s, "id", id);
		obj_text(s, "value", s->c->hosts[h]);
		if (bph_export_host_community(s->c, h, &community))
			obj_int(s, "x_bphound_community", community);
		obj_end(s);
		relationship(s, "consists-of", infra, id);
		return;
	}
	o = json_pack("{s:s, s:s, s:s, s:o}", "type", "ipv4-addr",
		      "spec_version", "2.1", "id", id, "value",
		      text(s->c->hosts[h]));
	/* a custom property: not id-contributing, so the id stays the same */
	if (o && bph_export_host_community(s->c, h, &community) &&
	    json_object_set_new(o, "x_bphound_community",
				json_integer(community)))
		s->bad = 1;
	annot_props(s, o, an);
	add(s, o);
	relationship(s, "consists-of", infra, id);
}

/* The cert_subject artifact host h showed on port, or -1: the subject of
 * the certificate that port served. */
static long subject_at(const struct bph_clustering *c, uint32_t h,
		       uint16_t port)
{
	for (size_t i = c->inc_off[h]; i < c->inc_off[h + 1]; i++)
		if (c->inc[i].port == port &&
		    !strcmp(c->arts[c->inc[i].art].kind, BPH_EXPORT_SUBJECT))
			return (long)c->inc[i].art;
	return -1;
}

/* The x509-certificate for evidence e of l, a cert_sha256 (subject is
 * not id-contributing either). */
static json_t *cert_object(const struct bph_clustering *c,
			   const struct bph_link *l,
			   const struct bph_evidence *e, const char *id)
{
	long subj = subject_at(c, l->a, e->port_a);
	json_t *o = json_pack("{s:s, s:s, s:s, s:{s:s}}", "type",
			      "x509-certificate", "spec_version", "2.1", "id",
			      id, "hashes", "SHA-256", c->arts[e->art].value);

	if (o && subj >= 0 &&
	    json_object_set_new(o, "subject", text(c->arts[subj].value))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* x509-certificate objects for the certificate hashes behind links. */
static void cert_objects(struct stix *s, const struct bph_cluster *k,
			 const char *infra)
{
	const struct bph_clustering *c = s->c;
	char id[96];

	for (size_t j = 0; j < k->n_links; j++) {
		const struct bph_link *l = &c->links[k->links[j]];
		for (size_t e = 0; e < l->n_ev; e++) {
			uint32_t i = l->ev[e].art;
			if (s->cert_done[i] ||
			    strcmp(c->arts[i].kind, "cert_sha256") ||
			    strlen(c->arts[i].value) != 64 ||
			    cert_id(s, c->arts[i].value, id))
				continue;
			s->cert_done[i] = true;
			add(s, cert_object(c, l, &l->ev[e], id));
			relationship(s, "consists-of", infra, id);
		}
	}
}

/* A link's related-to relationship with the evidence: description,
 * x_bphound_score, x_bphound_rule and x_bphound_evidence (kind, value,
 * hosts_sharing, weight, rule). As json_pack gave them: an evidence with a
 * weight that is not finite, a kind that is not UTF-8 or no rule name is
 * left out; a score that is not finite or a rule label that is not UTF-8
 * leaves the relationship without evidence. */
static void link_objects(struct stix *s, const struct bph_link *l)
{
	const struct bph_clustering *c = s->c;
	char a[96], b[96], label[BPH_LINK_LABEL_MAX];

	if (ip_id(s, c->hosts[l->a], a) || ip_id(s, c->hosts[l->b], b)) {
		s->bad = 1;
		return;
	}
	bph_link_label(c, l, label);
	if (!relationship_begin(s, "related-to", a, b))
		return;
	if (!isfinite(l->score) || !bph_text_is_clean(label, BPH_TEXT_UTF8)) {
		obj_end(s);
		return;
	}
	char *desc = bph_export_evidence_text(c, l, BPH_TEXT_UTF8);
	if (!desc) {
		s->bad = 1;
		obj_end(s);
		return;
	}
	obj_text(s, "description", desc);
	free(desc);
	obj_real(s, "x_bphound_score", l->score);
	obj_text(s, "x_bphound_rule", label);
	obj_array(s, "x_bphound_evidence");
	bool first = true;
	for (size_t i = 0; i < l->n_ev; i++) {
		const struct bph_art_stat *art = &c->arts[l->ev[i].art];
		const char *rule = bph_rule_name(l->ev[i].rule);
		if (!isfinite(art->weight) || !rule ||
		    !bph_text_is_clean(art->kind, BPH_TEXT_UTF8) ||
		    !bph_text_is_clean(rule, BPH_TEXT_UTF8))
			continue;
		obj_elem_begin(s, first);
		first = false;
		obj_text(s, "kind", art->kind);
		obj_text(s, "value", art->value);
		obj_int(s, "hosts_sharing", (int)art->df);
		obj_real(s, "weight", art->weight);
		obj_text(s, "rule", rule);
		obj_end(s);
	}
	obj_array_end(s);
	obj_end(s);
}

static void cluster_objects(struct stix *s, const struct bph_cluster *k,
			    const char *seed)
{
	const struct bph_clustering *c = s->c;
	char id[96], name[160], *members = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&members, &len);

	if (!m) {
		s->bad = 1;
		return;
	}
	for (size_t i = 0; i < k->n_hosts; i++)
		fprintf(m, "%s,", c->hosts[k->hosts[i]]);
	fclose(m);
	snprintf(name, sizeof(name), "bphound cluster %u (%zu hosts%s%s)",
		 k->id, k->n_hosts, seed ? ", seed " : "", seed ? seed : "");
	if (uuid5_id(&s->u, bph_ns, "infrastructure", members, id))
		s->bad = 1;
	free(members);
	json_t *infra = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:o, s:[s], s:s, s:b}", "type",
	    "infrastructure", "spec_version", "2.1", "id", id, "created",
	    s->stamp, "modified", s->stamp, "name", text(name),
	    "infrastructure_types", "hosting-malware", "description",
	    "Hosts linked by shared fingerprints (bphound); "
	    "see the related-to relationships for evidence",
	    "x_bphound_weak_bridge", k->weak_bridge);
	annot_props(s, infra,
		    bph_annot_cluster(s->an, (size_t)(k - c->clusters)));
	add(s, infra);
	for (size_t i = 0; i < k->n_hosts; i++)
		host_objects(s, k->hosts[i], id);
	cert_objects(s, k, id);
	for (size_t i = 0; i < k->n_links; i++)
		link_objects(s, &c->links[k->links[i]]);
}

/* One pass over the clusters: the multi-host ones and the seed's. */
static void each_cluster(struct stix *s, long sh)
{
	const struct bph_clustering *c = s->c;

	memset(s->cert_done, 0, (c->n_arts + 1) * sizeof(bool));
	for (size_t i = 0; !s->bad && i < c->n_clusters; i++)
		if (c->clusters[i].n_hosts > 1 ||
		    (sh >= 0 && c->cluster_of[sh] == i))
			cluster_objects(s, &c->clusters[i],
					sh >= 0 ? c->hosts[sh] : NULL);
}

/* The bundle id: a pass over the clusters that digests every object
 * (and writes it too when s->j is set). */
static int bundle_id(struct stix *s, long sh, char bid[96])
{
	s->md = EVP_MD_CTX_new();
	if (uuid5_begin(s->md, s->u.sha1, bph_ns)) {
		EVP_MD_CTX_free(s->md);
		s->md = NULL;
		return BPH_ERR_CRYPTO;
	}
	each_cluster(s, sh);
	if (!EVP_DigestUpdate(s->md, s->n ? "]" : "[]", s->n ? 1 : 2))
		s->bad = 1;
	int rc = uuid5_end(s->md, "bundle", bid);
	EVP_MD_CTX_free(s->md);
	s->md = NULL;
	return s->bad ? BPH_ERR_NOMEM : rc;
}

/* Where the id can be written last: a regular file, not appended to,
 * whose position is known. */
static bool can_seek_back(FILE *out)
{
	struct stat st;
	int fd = fileno(out), fl = fd < 0 ? -1 : fcntl(fd, F_GETFL);

	return fl >= 0 && !(fl & O_APPEND) && !fstat(fd, &st) &&
	       S_ISREG(st.st_mode) && ftell(out) >= 0;
}

/* Writes "bid" at byte pos of out, then goes back to the end. */
static int put_id_at(FILE *out, long pos, const char *bid)
{
	if (fflush(out) || fseek(out, pos, SEEK_SET) ||
	    fprintf(out, "\"%s\"", bid) < 0 || fflush(out) ||
	    fseek(out, 0, SEEK_END))
		return BPH_ERR_IO;
	return 0;
}

static int write_stix(const struct bph_clustering *c,
		      const struct bph_export_opts *o, FILE *out, char *err,
		      size_t errlen)
{
	const char *seed = o->seed; /* artifact_nodes: certificates are
				       objects already */
	struct stix s = {
	    .c = c, .cert_done = calloc(c->n_arts + 1, 1), .an = o->annot};
	long sh = seed ? bph_clustering_host(c, seed) : -1;
	time_t t = (time_t)c->last_seen;
	struct bph_json_out j;
	struct tm tm;
	char bid[96];

	strftime(s.stamp, sizeof(s.stamp), "%Y-%m-%dT%H:%M:%S.000Z",
		 gmtime_r(&t, &tm));
	bool one_pass = can_seek_back(out);
	int rc = s.cert_done ? uuid5_open(&s.u) : BPH_ERR_NOMEM;
	if (!rc && !one_pass)
		rc = bundle_id(&s, sh, bid);
	if (rc) {
		free(s.cert_done);
		uuid5_close(&s.u);
		return bph_export_fail(err, errlen, rc,
				       "cannot build the STIX bundle");
	}
	if (one_pass) /* as long as an id: overwritten at the end */
		snprintf(bid, sizeof(bid), "bundle--%s",
			 "00000000-0000-0000-0000-000000000000");
	s.j = &j;
	bph_json_open(&j, out);
	bph_json_key(&j, "type");
	bph_json_value(&j, json_string("bundle"));
	bph_json_key(&j, "id");
	long at = one_pass ? ftell(out) : -1;
	bph_json_value(&j, json_string(bid));
	bph_json_key(&j, "objects");
	bph_json_begin(&j, '[');
	if (one_pass)
		rc = bundle_id(&s, sh, bid);
	else
		each_cluster(&s, sh);
	bph_json_end(&j, ']');
	bph_json_close(&j);
	free(s.cert_done);
	uuid5_close(&s.u);
	if (!rc && (s.bad || j.bad))
		rc = BPH_ERR_NOMEM;
	if (!rc && one_pass)
		rc = at < 0 ? BPH_ERR_IO : put_id_at(out, at, bid);
	return rc ? bph_export_fail(err, errlen, rc,
				    "cannot build the STIX bundle")
		  : 0;
}

const struct bph_exporter bph_export_stix = {
    .name = "stix",
    .extension = "json",
    .summary = "STIX 2.1 bundle (infrastructure, ipv4-addr, "
	       "x509-certificate, relationships)",
    .write = write_stix,
};

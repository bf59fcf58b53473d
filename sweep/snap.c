/*
 * snap.c - run snapshots for the diff: one hashed summary per open
 * service (contract and memory budget in sweep/snap.h).
 */
#include "sweep/snap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "fingerprints/hugemem.h"

static const char *const field_names[BPH_SF_COUNT] = {
    [BPH_SF_PROTO] = "proto",
    [BPH_SF_CERT] = "tls.cert_sha256",
    [BPH_SF_SPKI] = "tls.spki_sha256",
    [BPH_SF_JARM] = "tls.jarm",
    [BPH_SF_HOSTKEYS] = "ssh.hostkeys",
    [BPH_SF_HASSH] = "ssh.hassh_server",
    [BPH_SF_TITLE] = "http.title",
    [BPH_SF_BODY] = "http.body_sha256",
    [BPH_SF_FAVICON] = "http.favicon_mmh3",
    [BPH_SF_SERVER] = "http.server",
    [BPH_SF_TCPSIG] = "tcp.sig",
};

const char *bph_snap_field_name(enum bph_snap_field f)
{
	return (unsigned)f < BPH_SF_COUNT ? field_names[f] : NULL;
}

int bph_snap_field_parse(const char *s)
{
	for (int i = 0; s && i < BPH_SF_COUNT; i++)
		if (!strcmp(field_names[i], s))
			return i;
	return -1;
}

/* FNV-1a, 64 bits, over tag, a separator and value. */
uint64_t bph_snap_hash(const char *tag, const char *value)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const unsigned char *p = (const unsigned char *)tag; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	h = (h ^ 0x1f) * 0x100000001b3ull;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	return h ? h : 1;
}

static int cmp_cstr(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* One hash over the sorted host key fingerprints. */
static uint64_t hostkeys_hash(const struct bph_ssh_info *ssh)
{
	const char *keys[16];
	size_t n = 0;
	uint64_t h = 0;

	for (size_t i = 0; i < ssh->n_hostkeys && n < 16; i++)
		if (ssh->hostkeys[i].sha256[0])
			keys[n++] = ssh->hostkeys[i].sha256;
	if (!n)
		return 0;
	qsort(keys, n, sizeof(keys[0]), cmp_cstr);
	for (size_t i = 0; i < n; i++)
		h = h * 31 + bph_snap_hash("k", keys[i]);
	return h ? h : 1;
}

static void add_id(struct bph_snap_svc *e, enum bph_id_kind kind,
		   const char *tag, const char *value)
{
	if (e->n_ids < BPH_SNAP_IDS && value[0]) {
		e->id_kind[e->n_ids] = (uint8_t)kind;
		e->ids[e->n_ids++] = bph_snap_hash(tag, value);
	}
}

static void from_tls(struct bph_snap_svc *e, const struct bph_tls_info *t)
{
	if (t->cert_sha256[0])
		e->h[BPH_SF_CERT] = bph_snap_hash("cert", t->cert_sha256);
	if (t->spki_sha256[0])
		e->h[BPH_SF_SPKI] = bph_snap_hash("spki", t->spki_sha256);
	if (t->jarm[0])
		e->h[BPH_SF_JARM] = bph_snap_hash("jarm", t->jarm);
	add_id(e, BPH_ID_SPKI, "spki_sha256", t->spki_sha256);
}

static void from_ssh(struct bph_snap_svc *e, const struct bph_ssh_info *s)
{
	e->h[BPH_SF_HOSTKEYS] = hostkeys_hash(s);
	if (s->hassh_server[0])
		e->h[BPH_SF_HASSH] = bph_snap_hash("hassh", s->hassh_server);
	for (size_t i = 0; i < s->n_hostkeys; i++)
		add_id(e, BPH_ID_HOSTKEY, "ssh_hostkey", s->hostkeys[i].sha256);
}

/* A page that answered: its fields are known, absent ones as "". */
static void from_http(struct bph_snap_svc *e, const struct bph_http_info *h)
{
	char fav[16];

	if (h->error && !h->status)
		return;
	e->h[BPH_SF_TITLE] = bph_snap_hash("title", h->title ? h->title : "");
	if (h->body_sha256[0])
		e->h[BPH_SF_BODY] = bph_snap_hash("body", h->body_sha256);
	snprintf(fav, sizeof(fav), "%ld",
		 h->has_favicon ? (long)h->favicon_mmh3 : 0L);
	e->h[BPH_SF_FAVICON] =
	    bph_snap_hash(h->has_favicon ? "fav" : "nofav", fav);
	e->h[BPH_SF_SERVER] =
	    bph_snap_hash("server", h->server ? h->server : "");
}

void bph_snap_svc_from(struct bph_snap_svc *e, const struct bph_service *s)
{
	memset(e, 0, sizeof(*e));
	e->ip = s->ip;
	e->port = s->port;
	if (s->proto && s->proto[0])
		e->h[BPH_SF_PROTO] = bph_snap_hash("proto", s->proto);
	if (s->tls)
		from_tls(e, s->tls);
	if (s->ssh)
		from_ssh(e, s->ssh);
	if (s->http)
		from_http(e, s->http);
	if (s->tcp.present && s->tcp.sig[0])
		e->h[BPH_SF_TCPSIG] = bph_snap_hash("tcp", s->tcp.sig);
}

/* Room for more entries than sn->n + k. */
int bph_snap_reserve(struct bph_snap *sn, size_t k)
{
	size_t cap = sn->cap ? sn->cap * 2 : 1024;

	if (sn->n + k < sn->cap)
		return 0;
	if (cap <= sn->n + k) /* a known size: exactly that */
		cap = sn->n + k + 1;
	struct bph_snap_svc *v = realloc(sn->v, cap * sizeof(*v));
	if (!v)
		return BPH_ERR_NOMEM;
	bph_advise_huge(v, cap * sizeof(*v)); /* 256 MB for 1M services */
	sn->v = v;
	sn->cap = cap;
	return 0;
}

int bph_snap_add(struct bph_snap *sn, const struct bph_service *s)
{
	if (s->state != BPH_STATE_OPEN)
		return 0;
	if (bph_snap_reserve(sn, 1))
		return BPH_ERR_NOMEM;
	bph_snap_svc_from(&sn->v[sn->n++], s);
	return 0;
}

/* ---- the stored form ---- */

static unsigned char *put_le(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		*p++ = (unsigned char)(v >> (8 * i));
	return p;
}

static uint64_t get_le(const unsigned char **p, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)(*p)[i] << (8 * i);
	*p += bytes;
	return v;
}

void bph_snap_encode(const struct bph_snap *sn, size_t from, size_t n,
		     unsigned char *out)
{
	for (size_t i = from; i < from + n; i++) {
		const struct bph_snap_svc *e = &sn->v[i];
		out = put_le(out, e->ip, 4);
		out = put_le(out, e->port, 2);
		*out++ = e->n_ids;
		memcpy(out, e->id_kind, BPH_SNAP_IDS);
		out += BPH_SNAP_IDS;
		for (int f = 0; f < BPH_SF_COUNT; f++)
			out = put_le(out, e->h[f], 8);
		for (int k = 0; k < BPH_SNAP_IDS; k++)
			out = put_le(out, e->ids[k], 8);
	}
}

static int decode_one(struct bph_snap_svc *e, const unsigned char *p)
{
	e->ip = (uint32_t)get_le(&p, 4);
	e->port = (uint16_t)get_le(&p, 2);
	e->n_ids = *p++;
	memcpy(e->id_kind, p, BPH_SNAP_IDS);
	p += BPH_SNAP_IDS;
	for (int f = 0; f < BPH_SF_COUNT; f++)
		e->h[f] = get_le(&p, 8);
	for (int k = 0; k < BPH_SNAP_IDS; k++)
		e->ids[k] = get_le(&p, 8);
	if (e->n_ids > BPH_SNAP_IDS)
		return BPH_ERR_FORMAT;
	for (int k = 0; k < e->n_ids; k++)
		if (e->id_kind[k] != BPH_ID_SPKI &&
		    e->id_kind[k] != BPH_ID_HOSTKEY)
			return BPH_ERR_FORMAT;
	return 0;
}

int bph_snap_decode(struct bph_snap *sn, const void *data, size_t len, size_t n)
{
	const unsigned char *p = data;

	if (n > len / BPH_SNAP_REC || len != n * BPH_SNAP_REC)
		return BPH_ERR_FORMAT;
	if (bph_snap_reserve(sn, n))
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < n; i++, p += BPH_SNAP_REC)
		if (decode_one(&sn->v[sn->n + i], p))
			return BPH_ERR_FORMAT;
	sn->n += n;
	return 0;
}

void bph_snap_cb(void *ctx, const struct bph_service *s)
{
	struct bph_snap *sn = ctx;

	if (!sn->err)
		sn->err = bph_snap_add(sn, s);
}

static int cmp_svc(const void *x, const void *y)
{
	const struct bph_snap_svc *a = x, *b = y;

	if (a->ip != b->ip)
		return a->ip < b->ip ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return a < b ? -1 : a > b; /* stable: keeps insertion order */
}

/* 1: strictly increasing (ip, port), as a stored snapshot is; 0: sorted
 * with duplicates; -1: not sorted. */
static int order(const struct bph_snap *sn)
{
	int r = 1;

	for (size_t i = 1; i < sn->n; i++) {
		const struct bph_snap_svc *a = &sn->v[i - 1], *b = &sn->v[i];
		uint64_t ka = (uint64_t)a->ip << 16 | a->port,
			 kb = (uint64_t)b->ip << 16 | b->port;
		if (ka > kb)
			return -1;
		if (ka == kb)
			r = 0;
	}
	return r;
}

void bph_snap_finish(struct bph_snap *sn)
{
	size_t o = 0;
	int ord = order(sn);

	if (ord == 1)
		return;
	if (ord < 0)
		qsort(sn->v, sn->n, sizeof(*sn->v), cmp_svc);
	for (size_t i = 0; i < sn->n; i++) {
		if (o && sn->v[o - 1].ip == sn->v[i].ip &&
		    sn->v[o - 1].port == sn->v[i].port)
			o--; /* the later record replaces the earlier one */
		if (o != i)
			sn->v[o] = sn->v[i];
		o++;
	}
	sn->n = o;
}

void bph_snap_clear(struct bph_snap *sn)
{
	if (!sn)
		return;
	free(sn->v);
	memset(sn, 0, sizeof(*sn));
}

size_t bph_snap_lower(const struct bph_snap *sn, uint32_t ip, uint16_t port)
{
	size_t lo = 0, hi = sn->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bph_snap_svc *e = &sn->v[mid];
		if (e->ip < ip || (e->ip == ip && e->port < port))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct bph_snap_svc *bph_snap_find(const struct bph_snap *sn, uint32_t ip,
					 uint16_t port)
{
	size_t i = bph_snap_lower(sn, ip, port);

	return i < sn->n && sn->v[i].ip == ip && sn->v[i].port == port
		   ? &sn->v[i]
		   : NULL;
}

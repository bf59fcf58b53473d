/*
 * watch.c - watch entries: kinds, value normalisation, the lookup index
 * and matching a record against it (contract in sweep/watch.h; the file
 * formats are read by sweep/watch_load.c).
 */
#include "sweep/watch.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "sweep/coverage.h"
#include "sweep/snap.h"

static const struct {
	const char *name;
	enum bph_severity sev;
	unsigned hex; /* expected hex digits; 0: free text or special */
} kinds[BPH_WK_COUNT] = {
    [BPH_WK_SSH_HOSTKEY] = {"ssh_hostkey", BPH_SEV_HIGH, 0},
    [BPH_WK_SSH_HOSTKEY_MD5] = {"ssh_hostkey_md5", BPH_SEV_HIGH, 0},
    [BPH_WK_CERT_SHA256] = {"cert_sha256", BPH_SEV_HIGH, 64},
    [BPH_WK_CERT_SHA1] = {"cert_sha1", BPH_SEV_HIGH, 40},
    [BPH_WK_SPKI_SHA256] = {"spki_sha256", BPH_SEV_HIGH, 64},
    [BPH_WK_JARM] = {"jarm", BPH_SEV_LOW, 62},
    [BPH_WK_JA3S] = {"ja3s", BPH_SEV_LOW, 32},
    [BPH_WK_HASSH] = {"hassh", BPH_SEV_LOW, 32},
    [BPH_WK_TCP_SIG] = {"tcp_sig", BPH_SEV_LOW, 0},
    [BPH_WK_FAVICON_MMH3] = {"favicon_mmh3", BPH_SEV_MEDIUM, 0},
    [BPH_WK_BODY_SHA256] = {"body_sha256", BPH_SEV_MEDIUM, 64},
    [BPH_WK_TITLE] = {"title", BPH_SEV_MEDIUM, 0},
    [BPH_WK_SERVER] = {"server", BPH_SEV_MEDIUM, 0},
    [BPH_WK_IP] = {"ip", BPH_SEV_MEDIUM, 0},
    [BPH_WK_CIDR] = {"cidr", BPH_SEV_MEDIUM, 0},
};

const char *bph_watch_kind_name(enum bph_watch_kind k)
{
	return (unsigned)k < BPH_WK_COUNT ? kinds[k].name : NULL;
}

enum bph_severity bph_watch_default_severity(enum bph_watch_kind k)
{
	return (unsigned)k < BPH_WK_COUNT ? kinds[k].sev : BPH_SEV_MEDIUM;
}

static int hex_value(const char *v, unsigned digits, char **out,
		     const char **why)
{
	*why = digits == 64   ? "expected 64 hexadecimal digits"
	       : digits == 62 ? "expected 62 hexadecimal digits"
	       : digits == 40 ? "expected 40 hexadecimal digits"
			      : "expected 32 hexadecimal digits";
	if (strlen(v) != digits ||
	    strspn(v, "0123456789abcdefABCDEF") != digits)
		return BPH_ERR_FORMAT;
	if (!(*out = strdup(v)))
		return BPH_ERR_NOMEM;
	for (char *p = *out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

/* "SHA256:" + 43 base64 characters, as ssh-keygen -l prints. */
static int hostkey_value(const char *v, char **out, const char **why)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
	    "vwxyz0123456789+/";
	*why = "expected SHA256: and 43 base64 characters (ssh-keygen -l)";
	if (strncmp(v, "SHA256:", 7) || strlen(v + 7) != 43 ||
	    strspn(v + 7, b64) != 43)
		return BPH_ERR_FORMAT;
	*out = strdup(v);
	return *out ? 0 : BPH_ERR_NOMEM;
}

/* 16 colon-separated hex pairs, optionally after "MD5:". */
static int md5_value(const char *v, char **out, const char **why)
{
	*why = "expected 16 colon-separated hex pairs (ssh-keygen -l -E md5)";
	if (!strncmp(v, "MD5:", 4))
		v += 4;
	if (strlen(v) != 47)
		return BPH_ERR_FORMAT;
	for (size_t i = 0; i < 47; i++)
		if (i % 3 == 2 ? v[i] != ':' : !isxdigit((unsigned char)v[i]))
			return BPH_ERR_FORMAT;
	if (!(*out = strdup(v)))
		return BPH_ERR_NOMEM;
	for (char *p = *out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

static int int32_value(const char *v, char **out, const char **why)
{
	char *end;
	long long n = strtoll(v, &end, 10);

	*why = "expected a 32-bit signed integer (Shodan's http.favicon.hash)";
	if (!*v || *end || n < INT32_MIN || n > INT32_MAX ||
	    (v[0] != '-' && !isdigit((unsigned char)v[0])))
		return BPH_ERR_FORMAT;
	char buf[16];
	snprintf(buf, sizeof(buf), "%lld", n);
	*out = strdup(buf);
	return *out ? 0 : BPH_ERR_NOMEM;
}

static int addr_value(enum bph_watch_kind k, const char *v, char **out,
		      const char **why)
{
	uint32_t lo, hi;

	if (k == BPH_WK_IP
		? bph_ipv4_parse(v, strlen(v), &lo)
		: (!strchr(v, '/') || bph_spec_parse(v, &lo, &hi, why))) {
		*why = k == BPH_WK_IP ? "expected an IPv4 address"
				      : "expected an IPv4 network a.b.c.d/nn "
					"(host bits zero)";
		return BPH_ERR_FORMAT;
	}
	*out = strdup(v);
	return *out ? 0 : BPH_ERR_NOMEM;
}

int bph_watch_value(enum bph_watch_kind k, const char *value, char **out,
		    const char **why)
{
	*out = NULL;
	if (kinds[k].hex)
		return hex_value(value, kinds[k].hex, out, why);
	switch (k) {
	case BPH_WK_SSH_HOSTKEY:
		return hostkey_value(value, out, why);
	case BPH_WK_SSH_HOSTKEY_MD5:
		return md5_value(value, out, why);
	case BPH_WK_FAVICON_MMH3:
		return int32_value(value, out, why);
	case BPH_WK_IP:
	case BPH_WK_CIDR:
		return addr_value(k, value, out, why);
	default:
		*why = "must not be empty";
		if (!value[0])
			return BPH_ERR_FORMAT;
		*out = strdup(value);
		return *out ? 0 : BPH_ERR_NOMEM;
	}
}

static int cmp_entry(const void *x, const void *y)
{
	const struct bph_watch_entry *a = x, *b = y;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	int d = strcmp(a->value, b->value);
	return d ? d : strcmp(a->key, b->key);
}

static int cmp_lo(const void *x, const void *y, void *ctx)
{
	const struct bph_watch_entry *v = ctx;
	uint32_t a = v[*(const size_t *)x].lo, b = v[*(const size_t *)y].lo;
	return a < b ? -1 : a > b;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

/* The sorted term hashes of the artifact entries. */
static int finish_terms(struct bph_watchlist *w)
{
	free(w->terms);
	w->n_terms = 0;
	if (!(w->terms = malloc((w->n + 1) * sizeof(*w->terms))))
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].kind != BPH_WK_IP && w->v[i].kind != BPH_WK_CIDR)
			w->terms[w->n_terms++] =
			    bph_watch_term_hash(w->v[i].kind, w->v[i].value);
	if (w->n_terms > 1)
		qsort(w->terms, w->n_terms, sizeof(*w->terms), cmp_u32);
	return 0;
}

int bph_watch_finish(struct bph_watchlist *w)
{
	if (w->n > 1)
		qsort(w->v, w->n, sizeof(*w->v), cmp_entry);
	free(w->by_lo);
	free(w->max_hi);
	w->n_addr = 0;
	w->by_lo = malloc((w->n + 1) * sizeof(*w->by_lo));
	w->max_hi = malloc((w->n + 1) * sizeof(*w->max_hi));
	if (!w->by_lo || !w->max_hi)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].kind == BPH_WK_IP || w->v[i].kind == BPH_WK_CIDR)
			w->by_lo[w->n_addr++] = i;
	if (w->n_addr > 1)
		qsort_r(w->by_lo, w->n_addr, sizeof(*w->by_lo), cmp_lo, w->v);
	for (size_t i = 0; i < w->n_addr; i++) {
		uint32_t hi = w->v[w->by_lo[i]].hi;
		w->max_hi[i] =
		    i && w->max_hi[i - 1] > hi ? w->max_hi[i - 1] : hi;
	}
	return finish_terms(w);
}

void bph_watch_clear(struct bph_watchlist *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].value);
		free(w->v[i].source);
		free(w->v[i].desc);
		free(w->v[i].file);
	}
	free(w->v);
	free(w->by_lo);
	free(w->max_hi);
	free(w->terms);
	memset(w, 0, sizeof(*w));
}

/* ---- matching ---- */

static bool live(const struct bph_watch_entry *e, time_t now)
{
	return !e->expires || now < e->expires;
}

uint32_t bph_watch_term_hash(enum bph_watch_kind k, const char *value)
{
	uint64_t h = bph_snap_hash(bph_watch_kind_name(k), value);

	return (uint32_t)(h ^ h >> 32);
}

bool bph_watch_has_term(const struct bph_watchlist *w, uint32_t h)
{
	size_t lo = 0, hi = w->n_terms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->terms[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < w->n_terms && w->terms[lo] == h;
}

static void lower_md5(const char *md5, char out[64])
{
	snprintf(out, 64, "%s", strncmp(md5, "MD5:", 4) ? md5 : md5 + 4);
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

static void term(bph_watch_term_cb cb, void *ctx, enum bph_watch_kind k,
		 const char *value, int port)
{
	if (value && value[0])
		cb(ctx, k, value, port);
}

static void tls_terms(const struct bph_tls_info *t, int port,
		      bph_watch_term_cb cb, void *ctx)
{
	term(cb, ctx, BPH_WK_CERT_SHA256, t->cert_sha256, port);
	term(cb, ctx, BPH_WK_CERT_SHA1, t->cert_sha1, port);
	term(cb, ctx, BPH_WK_SPKI_SHA256, t->spki_sha256, port);
	term(cb, ctx, BPH_WK_JARM, t->jarm, port);
	term(cb, ctx, BPH_WK_JA3S, t->ja3s, port);
}

static void ssh_terms(const struct bph_ssh_info *s, int port,
		      bph_watch_term_cb cb, void *ctx)
{
	char md5[64];

	term(cb, ctx, BPH_WK_HASSH, s->hassh_server, port);
	for (size_t i = 0; i < s->n_hostkeys; i++) {
		term(cb, ctx, BPH_WK_SSH_HOSTKEY, s->hostkeys[i].sha256, port);
		lower_md5(s->hostkeys[i].md5, md5);
		term(cb, ctx, BPH_WK_SSH_HOSTKEY_MD5, md5, port);
	}
}

static void http_terms(const struct bph_http_info *h, int port,
		       bph_watch_term_cb cb, void *ctx)
{
	char fav[16];

	term(cb, ctx, BPH_WK_BODY_SHA256, h->body_sha256, port);
	term(cb, ctx, BPH_WK_TITLE, h->title, port);
	term(cb, ctx, BPH_WK_SERVER, h->server, port);
	if (h->has_favicon) {
		snprintf(fav, sizeof(fav), "%ld", (long)h->favicon_mmh3);
		term(cb, ctx, BPH_WK_FAVICON_MMH3, fav, port);
	}
}

void bph_watch_terms(const struct bph_service *s, bph_watch_term_cb cb,
		     void *ctx)
{
	if (s->tls)
		tls_terms(s->tls, s->port, cb, ctx);
	if (s->ssh)
		ssh_terms(s->ssh, s->port, cb, ctx);
	if (s->http)
		http_terms(s->http, s->port, cb, ctx);
	if (s->tcp.present)
		term(cb, ctx, BPH_WK_TCP_SIG, s->tcp.sig, s->port);
}

struct match {
	const struct bph_watchlist *w;
	const struct bph_service *s;
	time_t now;
	bph_watch_hit_cb cb;
	void *ctx;
};

/* bph_watch_term_cb: the live entries of (k, value). */
static void lookup(void *vctx, enum bph_watch_kind k, const char *value,
		   int port)
{
	const struct match *m = vctx;
	size_t lo = 0, hi = m->w->n;

	while (lo < hi) { /* first entry >= (k, value) */
		size_t mid = lo + (hi - lo) / 2;
		const struct bph_watch_entry *e = &m->w->v[mid];
		int d = e->kind != k ? (e->kind < k ? -1 : 1)
				     : strcmp(e->value, value);
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < m->w->n && m->w->v[lo].kind == k &&
	       !strcmp(m->w->v[lo].value, value);
	     lo++)
		if (live(&m->w->v[lo], m->now))
			m->cb(m->ctx, &m->w->v[lo], m->s, port, value);
}

static void match_addr(const struct match *m)
{
	const struct bph_watchlist *w = m->w;
	uint32_t ip = m->s->ip;
	size_t lo = 0, hi = w->n_addr;
	char s[16];

	while (lo < hi) { /* entries with lo <= ip are [0, lo) */
		size_t mid = lo + (hi - lo) / 2;
		if (w->v[w->by_lo[mid]].lo <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	bph_ip_str(ip, s);
	for (size_t i = lo; i-- > 0 && w->max_hi[i] >= ip;) {
		const struct bph_watch_entry *e = &w->v[w->by_lo[i]];
		if (e->hi >= ip && live(e, m->now))
			m->cb(m->ctx, e, m->s, -1, s);
	}
}

void bph_watch_match(const struct bph_watchlist *w, const struct bph_service *s,
		     time_t now, bph_watch_hit_cb cb, void *ctx)
{
	struct match m = {w, s, now, cb, ctx};

	if (!w || !w->n)
		return;
	if (w->n_terms)
		bph_watch_terms(s, lookup, &m);
	if (w->n_addr)
		match_addr(&m);
}

void bph_watch_match_addr(const struct bph_watchlist *w, uint32_t ip,
			  time_t now, bph_watch_hit_cb cb, void *ctx)
{
	struct bph_service s = {.ip = ip};
	struct match m = {w, &s, now, cb, ctx};

	if (w && w->n_addr)
		match_addr(&m);
}

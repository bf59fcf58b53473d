/*
 * reuse.c - when diff may take a run's stored evaluation (hits, members,
 * evidence) for a recomputed one: the same eval_key (sweep/sweep.h) and
 * every watch entry live or expired alike then and now.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"
#include "sweep/sweep_int.h"

/* path's name and bytes into the digest ("-" when it cannot be read).
 * The name too, not only the bytes: a stored hit quotes its entry's
 * file:line (hits.c), so the same list read under another path must not
 * reuse hits that name the old one. */
static int hash_file(EVP_MD_CTX *md, const char *path)
{
	unsigned char buf[65536];
	FILE *f = path ? fopen(path, "rb") : NULL;
	size_t n;
	int ok =
	    EVP_DigestUpdate(md, path ? path : "", path ? strlen(path) + 1 : 1);

	if (!f)
		return ok && EVP_DigestUpdate(md, "-", 2) ? 0 : BPH_ERR_CRYPTO;
	while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		ok = EVP_DigestUpdate(md, buf, n);
	if (ferror(f))
		ok = EVP_DigestUpdate(md, "-", 2) && ok;
	fclose(f);
	return ok && EVP_DigestUpdate(md, "", 1) ? 0 : BPH_ERR_CRYPTO;
}

/* s and its NUL into the digest ("" for NULL). */
static bool hash_str(EVP_MD_CTX *md, const char *s)
{
	return EVP_DigestUpdate(md, s ? s : "", s ? strlen(s) + 1 : 1);
}

/* A count into the digest, as decimal text. */
static bool hash_count(EVP_MD_CTX *md, size_t n)
{
	char t[24];

	snprintf(t, sizeof(t), "%zu", n);
	return hash_str(md, t);
}

/* l's count, then each string, into the digest. */
static bool hash_strs(EVP_MD_CTX *md, const struct bph_strlist *l)
{
	bool ok = hash_count(md, l->n);

	for (size_t i = 0; ok && i < l->n; i++)
		ok = hash_str(md, l->v[i]);
	return ok;
}

/* What the members read of the tracked clusters: their names and anchors,
 * in order (not their events: on_added, on_removed, growth_pct). */
static bool hash_clusters(EVP_MD_CTX *md, const struct bph_sweep_config *c)
{
	bool ok = hash_count(md, c->n_clusters);

	for (size_t i = 0; ok && i < c->n_clusters; i++)
		ok = hash_str(md, c->clusters[i].name) &&
		     hash_strs(md, &c->clusters[i].hosts) &&
		     hash_strs(md, &c->clusters[i].art_kinds) &&
		     hash_strs(md, &c->clusters[i].art_values);
	return ok;
}

/*
 * The key hashes only what the hits and members are computed from: the
 * watch files (names and bytes), the tracked clusters' names and anchors,
 * the common lists (they also set the clustering's options) and this
 * build's version. The rest of the config (targets, diff, a tracked
 * cluster's events and growth_pct, alerts, notify) is read after them,
 * by the events, so a change there leaves the stored evaluation valid.
 */
int sweep_eval_key(struct bph_sweep_ctx *x)
{
	static const char tag[] = "bphound " BPH_VERSION " evaluation 2";
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[32];
	unsigned len = 0;
	int rc = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
			 EVP_DigestUpdate(md, tag, sizeof(tag)) &&
			 hash_clusters(md, x->cfg) &&
			 hash_count(md, x->cfg->watch_files.n)
		     ? 0
		     : BPH_ERR_CRYPTO;

	for (size_t i = 0; !rc && i < x->cfg->watch_files.n; i++)
		rc = hash_file(md, x->cfg->watch_files.v[i]);
	if (!rc)
		rc = hash_file(md, bph_common_default_path());
	if (!rc)
		rc = hash_file(md, x->cfg->common);
	if (!rc && !EVP_DigestFinal_ex(md, d, &len))
		rc = BPH_ERR_CRYPTO;
	if (!rc)
		bph_hex(d, 32, x->eval_key);
	EVP_MD_CTX_free(md);
	return rc;
}

static int cmp_key(const void *a, const void *b)
{
	const struct bph_watch_entry *x =
	    *(const struct bph_watch_entry *const *)a;
	const struct bph_watch_entry *y =
	    *(const struct bph_watch_entry *const *)b;
	return strcmp(x->key, y->key);
}

/* The entries sorted by key (NULL with *n 0 when there are none). */
static const struct bph_watch_entry **by_key(const struct bph_watchlist *w,
					     size_t *n)
{
	const struct bph_watch_entry **v = malloc((w->n + 1) * sizeof(*v));

	*n = v ? w->n : 0;
	for (size_t i = 0; v && i < w->n; i++)
		v[i] = &w->v[i];
	if (v && w->n > 1)
		qsort(v, w->n, sizeof(*v), cmp_key);
	return v;
}

bool sweep_can_reuse(const struct bph_sweep_ctx *x,
		     const struct bph_sweep_run *r)
{
	size_t n = 0;
	const struct bph_watch_entry **v;
	bool ok =
	    r->evaluated && r->eval_key[0] && !strcmp(r->eval_key, x->eval_key);

	for (size_t i = 0; ok && i < x->watches.n; i++) {
		time_t e = x->watches.v[i].expires;
		ok = !e || ((time_t)r->eval_now < e) == (x->now < e);
	}
	if (!ok || !(v = by_key(&x->watches, &n)))
		return false;
	for (size_t i = 1; ok && i < n; i++) /* one entry per key */
		ok = strcmp(v[i - 1]->key, v[i]->key) != 0;
	free(v);
	return ok;
}

/* The entry and the value its hit matched, as bph_watch_match gives. */
static int relink(struct bph_hit *h, const struct bph_watch_entry *e)
{
	char a[16];
	bool addr = e->kind == BPH_WK_IP || e->kind == BPH_WK_CIDR;

	h->e = e;
	if (addr)
		bph_ip_str(h->ip, a);
	h->value = strdup(addr ? a : e->value);
	return h->value ? 0 : BPH_ERR_NOMEM;
}

int sweep_relink_hits(const struct bph_sweep_ctx *x, struct bph_run_state *st)
{
	size_t n = 0;
	const struct bph_watch_entry **v = by_key(&x->watches, &n);
	int rc = v ? 0 : BPH_ERR_NOMEM;

	for (size_t i = 0; !rc && i < st->n_hits; i++) {
		struct bph_watch_entry k = {0}, *kp = &k;
		memcpy(k.key, st->hits[i].key, sizeof(k.key));
		const struct bph_watch_entry **e =
		    n ? bsearch(&kp, v, n, sizeof(*v), cmp_key) : NULL;
		if (e)
			rc = relink(&st->hits[i], *e);
	}
	free(v);
	return rc;
}

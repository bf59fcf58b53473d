/*
 * runidx.c - a complete run's index (contract in sweep/sweep_int.h, table
 * sweep_index in store/sweep_store.h, layout in docs/output.md "The
 * store"): the graph its evaluation clustered and a 32-bit hash of every
 * value each service offers the watches, stored with the run so that
 * evaluating it again (`diff` under another config) decodes none of its
 * records but those a watch may match.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/runidx.h"

#include "cluster/graph.h"
#include "fingerprints/err.h"
#include "sweep/hits.h"

/* A chunk is closed once it holds this many bytes (one entry more may
 * pass it). */
#define RIDX_CHUNK	 (1u << 20)
#define RIDX_MAX_KINDS	 64
#define RIDX_MAX_TERMS	 4096 /* per service; more is a corrupt chunk */
#define RIDX_RESERVE_MAX (1u << 22)

/* Sections, in the order they are stored; a chunk is one section's. */
enum {
	S_HEAD = 'H',
	S_KINDS = 'K',
	S_ARTS = 'A',
	S_HOSTS = 'S',
	S_INC = 'I',
	S_TERMS = 'W'
};

/* ---- varints ---- */

struct wbuf {
	unsigned char *p;
	size_t len, cap;
	size_t n; /* entries */
};

static int wb_room(struct wbuf *b, size_t k)
{
	if (b->len + k <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + k)
		cap *= 2;
	unsigned char *p = realloc(b->p, cap);
	if (!p)
		return BPH_ERR_NOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* Appends v as a LEB128 varint (room for 10 bytes already made). */
static void put_uv(struct wbuf *b, uint64_t v)
{
	while (v >= 0x80) {
		b->p[b->len++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	b->p[b->len++] = (unsigned char)v;
}

static uint64_t zz(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzz(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

struct rbuf {
	const unsigned char *p, *end;
	bool bad;
};

static uint64_t get_uv(struct rbuf *r)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end)
			break;
		unsigned char c = *r->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

/* ---- collecting a run's terms ---- */

struct bph_runidx {
	struct bph_graph *g; /* owned; NULL: the index has no graph */
	struct wbuf *tc;     /* terms chunks, each led by its section byte */
	size_t n_tc, cap_tc;
	size_t n_svc;
	uint32_t last_ip;
	uint32_t *th; /* one service's term hashes */
	size_t n_th, cap_th;
	bool oom; /* a term could not be kept */
	/* the graph's chunks, encoded ahead (bph_runidx_encode_graph) */
	struct wbuf *gc;
	size_t n_gc;
	bool encoded;
	/* the commit's encoder */
	const char *kinds[RIDX_MAX_KINDS];
	size_t n_kinds;
	int section;
	size_t pos;
	int64_t prev_first;
	struct wbuf out;
};

struct bph_runidx *bph_runidx_new(void)
{
	return calloc(1, sizeof(struct bph_runidx));
}

void bph_runidx_free(struct bph_runidx *ix)
{
	if (!ix)
		return;
	bph_graph_free(ix->g);
	for (size_t i = 0; i < ix->n_tc; i++)
		free(ix->tc[i].p);
	free(ix->tc);
	for (size_t i = 0; i < ix->n_gc; i++)
		free(ix->gc[i].p);
	free(ix->gc);
	free(ix->th);
	free(ix->out.p);
	free(ix);
}

static void on_term(void *ctx, enum bph_watch_kind k, const char *value,
		    int port)
{
	struct bph_runidx *ix = ctx;
	(void)port;

	if (ix->oom)
		return;
	if (ix->n_th == ix->cap_th) {
		size_t cap = ix->cap_th ? ix->cap_th * 2 : 32;
		uint32_t *v = realloc(ix->th, cap * sizeof(*v));
		if (!v) {
			ix->oom = true;
			return;
		}
		ix->th = v;
		ix->cap_th = cap;
	}
	ix->th[ix->n_th++] = bph_watch_term_hash(k, value);
}

/* The terms chunk being filled (a new one past RIDX_CHUNK). */
static struct wbuf *terms_chunk(struct bph_runidx *ix)
{
	if (ix->n_tc && ix->tc[ix->n_tc - 1].len < RIDX_CHUNK)
		return &ix->tc[ix->n_tc - 1];
	if (ix->n_tc == ix->cap_tc) {
		size_t cap = ix->cap_tc ? ix->cap_tc * 2 : 16;
		struct wbuf *v = realloc(ix->tc, cap * sizeof(*v));
		if (!v)
			return NULL;
		ix->tc = v;
		ix->cap_tc = cap;
	}
	struct wbuf *b = &ix->tc[ix->n_tc];
	memset(b, 0, sizeof(*b));
	if (wb_room(b, 1))
		return NULL;
	b->p[b->len++] = S_TERMS;
	ix->n_tc++;
	ix->last_ip = 0; /* each chunk decodes alone */
	return b;
}

int bph_runidx_service(struct bph_runidx *ix, const struct bph_service *s)
{
	struct wbuf *b;

	ix->n_th = 0;
	bph_watch_terms(s, on_term, ix);
	if (ix->oom)
		return BPH_ERR_NOMEM;
	if (ix->n_th > RIDX_MAX_TERMS)
		return BPH_ERR_TOOBIG;
	if (!(b = terms_chunk(ix)) || wb_room(b, 30 + 4 * ix->n_th))
		return BPH_ERR_NOMEM;
	put_uv(b, zz((int64_t)s->ip - (int64_t)ix->last_ip));
	put_uv(b, s->port);
	put_uv(b, ix->n_th);
	for (size_t i = 0; i < ix->n_th; i++) {
		uint32_t h = ix->th[i];
		for (int k = 0; k < 4; k++)
			b->p[b->len++] = (unsigned char)(h >> (8 * k));
	}
	b->n++;
	ix->last_ip = s->ip;
	ix->n_svc++;
	return 0;
}

/* ---- encoding for the commit ---- */

/* "a.b.c.d" (as bph_ip_str writes it) into *ip. */
static bool parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*ip = ntohl(a.s_addr);
	return true;
}

static int kind_code(struct bph_runidx *ix, const char *kind)
{
	for (size_t i = 0; i < ix->n_kinds; i++)
		if (ix->kinds[i] == kind || !strcmp(ix->kinds[i], kind))
			return (int)i;
	if (ix->n_kinds == RIDX_MAX_KINDS)
		return -1;
	ix->kinds[ix->n_kinds] = kind;
	return (int)ix->n_kinds++;
}

/* Whether g can be stored: its hosts are addresses and it has few kinds
 * (a sweep's graph always is; else the index goes without it). */
static bool graph_storable(struct bph_runidx *ix, const struct bph_graph *g)
{
	uint32_t ip;

	for (size_t i = 0; i < g->n_hosts; i++)
		if (!parse_ip(g->hosts[i], &ip))
			return false;
	for (size_t i = 0; i < g->n_arts; i++)
		if (kind_code(ix, g->kinds[i]) < 0)
			return false;
	return true;
}

void bph_runidx_set_graph(struct bph_runidx *ix, struct bph_graph *g)
{
	bph_graph_free(ix->g);
	ix->n_kinds = 0;
	ix->g = g && graph_storable(ix, g) ? g : NULL;
	if (g && !ix->g)
		bph_graph_free(g);
	if (!ix->g)
		ix->n_kinds = 0;
}

static int put_str(struct wbuf *b, const char *s)
{
	size_t n = strlen(s);
	int rc = wb_room(b, 10 + n);

	if (!rc) {
		put_uv(b, n);
		memcpy(b->p + b->len, s, n);
		b->len += n;
	}
	return rc;
}

static int head(struct bph_runidx *ix, struct wbuf *b)
{
	const struct bph_graph *g = ix->g;
	int rc = wb_room(b, 64);

	if (rc)
		return rc;
	put_uv(b, g != NULL);
	put_uv(b, ix->n_kinds);
	put_uv(b, g ? g->n_arts : 0);
	put_uv(b, g ? g->n_hosts : 0);
	put_uv(b, g ? g->n_inc : 0);
	put_uv(b, ix->n_svc);
	b->n = 1;
	ix->pos = 1;
	return 0;
}

/* One entry of the graph's section at ix->pos into b. */
static int graph_entry(struct bph_runidx *ix, struct wbuf *b)
{
	const struct bph_graph *g = ix->g;
	size_t i = ix->pos;
	uint32_t ip = 0;
	int rc = wb_room(b, 60);

	if (rc)
		return rc;
	switch (ix->section) {
	case S_KINDS:
		return put_str(b, ix->kinds[i]);
	case S_ARTS:
		put_uv(b, (uint64_t)kind_code(ix, g->kinds[i]));
		return put_str(b, g->values[i]);
	case S_HOSTS:
		parse_ip(g->hosts[i], &ip);
		put_uv(b, ip);
		return 0;
	default: {
		const struct bph_incidence *e = &g->inc[i];
		put_uv(b, e->host);
		put_uv(b, e->art);
		put_uv(b, e->port);
		put_uv(b, zz(e->first_seen - ix->prev_first));
		put_uv(b, zz(e->last_seen - e->first_seen));
		ix->prev_first = e->first_seen;
		return 0;
	}
	}
}

static size_t section_len(const struct bph_runidx *ix, int section)
{
	const struct bph_graph *g = ix->g;

	switch (section) {
	case S_HEAD:
		return 1;
	case S_KINDS:
		return g ? ix->n_kinds : 0;
	case S_ARTS:
		return g ? g->n_arts : 0;
	case S_HOSTS:
		return g ? g->n_hosts : 0;
	case S_INC:
		return g ? g->n_inc : 0;
	default:
		return ix->n_tc; /* whole chunks */
	}
}

static const int order[] = {S_HEAD, S_KINDS, S_ARTS, S_HOSTS,
			    S_INC,  S_TERMS, 0};

/* Moves to the next section with something in it (0 at the end). */
static void next_section(struct bph_runidx *ix)
{
	size_t k = 0;

	while (order[k] && order[k] != ix->section)
		k++;
	do
		ix->section = order[k] ? order[++k] : 0;
	while (ix->section && !section_len(ix, ix->section));
	ix->pos = 0;
	ix->prev_first = 0;
}

/* Chunk i of an index encoded ahead: the graph's, then the terms'. */
static const struct wbuf *encoded_chunk(const struct bph_runidx *ix, size_t i)
{
	if (i < ix->n_gc)
		return &ix->gc[i];
	i -= ix->n_gc;
	return i < ix->n_tc ? &ix->tc[i] : NULL;
}

/* bph_sweep_snap_out's chunk: the sections in order, then len 0. */
static int out_chunk(void *ctx, size_t i, const void **data, size_t *len,
		     size_t *n)
{
	struct bph_runidx *ix = ctx;
	struct wbuf *b = &ix->out;
	int rc = 0;

	if (ix->encoded) {
		const struct wbuf *c = encoded_chunk(ix, i);
		*data = c ? c->p : NULL;
		*len = c ? c->len : 0;
		*n = c ? c->n : 0;
		return 0;
	}
	if (i == 0) {
		ix->section = S_HEAD;
		ix->pos = 0;
	} else if (ix->section && ix->pos >= section_len(ix, ix->section)) {
		next_section(ix);
	}
	*len = *n = 0;
	if (!ix->section)
		return 0;
	if (ix->section == S_TERMS) {
		*data = ix->tc[ix->pos].p;
		*len = ix->tc[ix->pos].len;
		*n = ix->tc[ix->pos++].n;
		return 0;
	}
	b->len = b->n = 0;
	ix->prev_first = 0; /* each chunk decodes alone */
	if ((rc = wb_room(b, 1)))
		return rc;
	b->p[b->len++] = (unsigned char)ix->section;
	if (ix->section == S_HEAD)
		rc = head(ix, b);
	while (!rc && ix->section != S_HEAD && b->len < RIDX_CHUNK &&
	       ix->pos < section_len(ix, ix->section)) {
		rc = graph_entry(ix, b);
		ix->pos++;
		b->n++;
	}
	*data = b->p;
	*len = b->len;
	*n = b->n;
	return rc;
}

int bph_runidx_encode_graph(struct bph_runidx *ix, const struct bph_graph *g)
{
	const void *data;
	size_t len, n;
	int rc = 0;

	bph_runidx_set_graph(ix, NULL);
	/* borrowed for the encoding only (out_chunk reads ix->g) */
	ix->g = g && graph_storable(ix, g) ? (struct bph_graph *)g : NULL;
	if (!ix->g)
		ix->n_kinds = 0;
	for (size_t i = 0; !rc; i++) {
		rc = out_chunk(ix, i, &data, &len, &n);
		if (rc || !len || ix->section == S_TERMS)
			break;
		struct wbuf *v = realloc(ix->gc, (ix->n_gc + 1) * sizeof(*v));
		if (!v) {
			rc = BPH_ERR_NOMEM;
			break;
		}
		ix->gc = v;
		unsigned char *p = realloc(ix->out.p, ix->out.len);
		v[ix->n_gc++] = (struct wbuf){p ? p : ix->out.p, ix->out.len,
					      ix->out.len, ix->out.n};
		ix->out = (struct wbuf){0};
	}
	ix->g = NULL; /* borrowed: never freed here */
	ix->encoded = !rc;
	return rc;
}

void bph_runidx_out(struct bph_runidx *ix, struct bph_sweep_snap_out *out)
{
	*out = (struct bph_sweep_snap_out){.format = BPH_RUNIDX_FORMAT,
					   .n_chunks = SIZE_MAX,
					   .chunk = out_chunk,
					   .ctx = ix};
}

/* ---- reading ---- */

struct bph_runidx_reader {
	struct bph_runidx_load *L;
	int section;
	uint64_t want[6], got[6]; /* kinds, arts, hosts, inc, svc */
	bool graph;
	char **kinds;
	uint32_t last_cand_ip, addr_ip;
	uint32_t last_host; /* the hosts' section: the last address */
	int last_cand_port;
	bool any_cand, addr_any;
};

enum { N_KINDS, N_ARTS, N_HOSTS, N_INC, N_SVC };

static int section_rank(int s)
{
	for (int k = 0; order[k]; k++)
		if (order[k] == s)
			return k;
	return -1;
}

static int read_head(struct bph_runidx_reader *r, struct rbuf *b)
{
	r->graph = get_uv(b) != 0;
	for (int k = N_KINDS; k <= N_SVC; k++)
		r->want[k] = get_uv(b);
	if (b->bad || b->p != b->end || r->want[N_KINDS] > RIDX_MAX_KINDS ||
	    r->want[N_ARTS] >= UINT32_MAX || r->want[N_HOSTS] >= UINT32_MAX)
		return BPH_ERR_FORMAT;
	if (r->L->want_graph && !r->graph)
		return 1; /* not usable: the caller reads the records */
	if (!(r->kinds = calloc(r->want[N_KINDS] + 1, sizeof(*r->kinds))))
		return BPH_ERR_NOMEM;
	if (r->L->want_graph && !(r->L->g = bph_graph_new()))
		return BPH_ERR_NOMEM;
	/* a hint only: a corrupt count must not ask for gigabytes */
	return r->L->g && r->want[N_ARTS]
		   ? bph_graph_reserve_arts(r->L->g,
					    r->want[N_ARTS] < RIDX_RESERVE_MAX
						? r->want[N_ARTS]
						: RIDX_RESERVE_MAX)
		   : 0;
}

static char *get_str(struct rbuf *b)
{
	uint64_t n = get_uv(b);
	char *s;

	if (b->bad || n == 0 || n > (uint64_t)(b->end - b->p) ||
	    memchr(b->p, '\0', n)) {
		b->bad = true;
		return NULL;
	}
	if ((s = malloc(n + 1))) {
		memcpy(s, b->p, n);
		s[n] = '\0';
	}
	b->p += n;
	return s;
}

static int read_kind(struct bph_runidx_reader *r, struct rbuf *b)
{
	char *s = get_str(b);

	if (!s)
		return b->bad ? BPH_ERR_FORMAT : BPH_ERR_NOMEM;
	r->kinds[r->got[N_KINDS]] = s;
	return 0;
}

static int read_art(struct bph_runidx_reader *r, struct rbuf *b)
{
	uint64_t k = get_uv(b);
	char *v = get_str(b);
	uint32_t ix = 0;
	int rc = v ? 0 : b->bad ? BPH_ERR_FORMAT : BPH_ERR_NOMEM;

	if (!rc && k >= r->got[N_KINDS])
		rc = BPH_ERR_FORMAT;
	/* pushed, not interned: the graph it was written from held each
	 * (kind, value) once, and the clustering drops the lookup anyway */
	if (!rc)
		rc = bph_graph_push_art(r->L->g, r->kinds[k], v, &ix);
	free(v);
	return rc;
}

static int read_host(struct bph_runidx_reader *r, struct rbuf *b)
{
	uint64_t ip = get_uv(b);
	uint32_t ix = 0;
	char s[16];
	int rc;

	/* in address order, as the evaluation's graph holds them (the run's
	 * records come so): each once, so appended without a lookup */
	if (b->bad || ip > UINT32_MAX ||
	    (r->got[N_HOSTS] && ip <= r->last_host))
		return BPH_ERR_FORMAT;
	r->last_host = (uint32_t)ip;
	bph_ip_str((uint32_t)ip, s);
	rc = bph_graph_push_host(r->L->g, s, &ix);
	return !rc && ix != r->got[N_HOSTS] ? BPH_ERR_FORMAT : rc;
}

static int read_inc(struct bph_runidx_reader *r, struct rbuf *b, int64_t *prev)
{
	uint64_t host = get_uv(b), art = get_uv(b), port = get_uv(b);
	int64_t first = *prev + unzz(get_uv(b));
	int64_t last = first + unzz(get_uv(b));

	if (b->bad || host >= r->got[N_HOSTS] || art >= r->got[N_ARTS] ||
	    port > UINT16_MAX)
		return BPH_ERR_FORMAT;
	*prev = first;
	return bph_graph_append(r->L->g, (uint32_t)host, (uint32_t)art,
				(uint16_t)port, first, last);
}

/* A service a watch may match: its records are read and matched after
 * the index (consecutive repeats of one (ip, port) once). */
static int candidate(struct bph_runidx_reader *r, uint32_t ip, int port)
{
	struct bph_runidx_load *L = r->L;

	if (r->any_cand && r->last_cand_ip == ip && r->last_cand_port == port)
		return 0;
	if (L->n_cand == L->cap_cand) {
		size_t cap = L->cap_cand ? L->cap_cand * 2 : 64;
		struct bph_runidx_cand *v = realloc(L->cand, cap * sizeof(*v));
		if (!v)
			return BPH_ERR_NOMEM;
		L->cand = v;
		L->cap_cand = cap;
	}
	L->cand[L->n_cand++] = (struct bph_runidx_cand){ip, (uint16_t)port};
	r->any_cand = true;
	r->last_cand_ip = ip;
	r->last_cand_port = port;
	return 0;
}

static int read_svc(struct bph_runidx_reader *r, struct rbuf *b,
		    uint32_t *last_ip)
{
	int64_t ip = (int64_t)*last_ip + unzz(get_uv(b));
	uint64_t port = get_uv(b), n = get_uv(b);
	bool hit = false;

	if (b->bad || ip < 0 || ip > UINT32_MAX || port > UINT16_MAX ||
	    n > RIDX_MAX_TERMS || n * 4 > (uint64_t)(b->end - b->p))
		return BPH_ERR_FORMAT;
	for (uint64_t i = 0; i < n; i++, b->p += 4) {
		uint32_t h = (uint32_t)b->p[0] | (uint32_t)b->p[1] << 8 |
			     (uint32_t)b->p[2] << 16 | (uint32_t)b->p[3] << 24;
		hit = hit || bph_watch_has_term(r->L->w, h);
	}
	*last_ip = (uint32_t)ip;
	if (r->L->w->n_addr && (!r->addr_any || r->addr_ip != *last_ip)) {
		int rc = bph_hits_match_addr(r->L->w, *last_ip, r->L->now,
					     r->L->state);
		if (rc)
			return rc;
		r->addr_any = true;
		r->addr_ip = *last_ip;
	}
	return hit ? candidate(r, *last_ip, (int)port) : 0;
}

static int read_entry(struct bph_runidx_reader *r, struct rbuf *b,
		      int64_t *prev, uint32_t *last_ip)
{
	switch (r->section) {
	case S_KINDS:
		return read_kind(r, b);
	case S_ARTS:
		return read_art(r, b);
	case S_HOSTS:
		return read_host(r, b);
	case S_INC:
		return read_inc(r, b, prev);
	default:
		return read_svc(r, b, last_ip);
	}
}

static int counter(int section)
{
	switch (section) {
	case S_KINDS:
		return N_KINDS;
	case S_ARTS:
		return N_ARTS;
	case S_HOSTS:
		return N_HOSTS;
	case S_INC:
		return N_INC;
	default:
		return N_SVC;
	}
}

int bph_runidx_chunk(struct bph_runidx_reader *r, const void *data, size_t len,
		     size_t n)
{
	struct rbuf b = {data, (const unsigned char *)data + len, false};
	int s = len ? b.p[0] : 0, rank = section_rank(s);
	int64_t prev = 0;
	uint32_t last_ip = 0;
	int rc = 0;

	if (rank < 0 || rank < section_rank(r->section) ||
	    (r->section == 0) != (s == S_HEAD) || (s == S_HEAD && n != 1))
		return BPH_ERR_FORMAT;
	b.p++;
	r->section = s;
	if (s == S_HEAD)
		return read_head(r, &b);
	int c = counter(s);
	if (n > r->want[c] - r->got[c])
		return BPH_ERR_FORMAT;
	if (s != S_TERMS && !r->L->g)
		return r->got[c] += n, 0; /* the graph is not wanted */
	for (size_t i = 0; !rc && i < n; i++, r->got[c]++)
		rc = read_entry(r, &b, &prev, &last_ip);
	return rc ? rc : b.p != b.end ? BPH_ERR_FORMAT : 0;
}

struct bph_runidx_reader *bph_runidx_reader_new(struct bph_runidx_load *L)
{
	struct bph_runidx_reader *r = calloc(1, sizeof(*r));

	if (r)
		r->L = L;
	return r;
}

int bph_runidx_end(struct bph_runidx_reader *r, int rc, bool *found)
{
	if (!rc && *found && !r->section)
		rc = BPH_ERR_FORMAT;
	for (int k = N_KINDS; !rc && *found && k <= N_SVC; k++)
		if (r->got[k] != r->want[k])
			rc = BPH_ERR_FORMAT; /* a section cut short */
	if (rc == 1) {			     /* no graph, and one is wanted */
		*found = false;
		rc = 0;
	}
	for (size_t i = 0; r->kinds && i < r->want[N_KINDS]; i++)
		free(r->kinds[i]);
	free(r->kinds);
	if (rc || !*found) {
		bph_graph_free(r->L->g);
		r->L->g = NULL;
	}
	free(r);
	return rc;
}

static int on_chunk(void *ctx, const void *data, size_t len, size_t n)
{
	return bph_runidx_chunk(ctx, data, len, n);
}

int bph_runidx_read(struct bph_store *st, int64_t run,
		    struct bph_runidx_load *L, bool *found)
{
	struct bph_runidx_reader *r = bph_runidx_reader_new(L);
	int rc;

	*found = false;
	if (!r)
		return BPH_ERR_NOMEM;
	rc = bph_sweep_index_each(st, run, BPH_RUNIDX_FORMAT, on_chunk, r,
				  found);
	return bph_runidx_end(r, rc, found);
}

void bph_runidx_load_clear(struct bph_runidx_load *L)
{
	bph_graph_free(L->g);
	free(L->cand);
	L->g = NULL;
	L->cand = NULL;
	L->n_cand = L->cap_cand = 0;
}

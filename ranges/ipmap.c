/*
 * ipmap.c - flattening nested ranges into segments and finding the one
 * that holds an address (contract and design in ranges/ipmap.h).
 *
 * The build sweeps the segment boundaries in address order with a heap
 * of the ranges open at that point, ordered innermost first (smallest,
 * then added last); ranges that have ended are dropped lazily when they
 * reach the top. O(n log n) for n ranges, any nesting or overlap.
 */
#include "ranges/ipmap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fingerprints/err.h"

#define IDX_BITS 16
#define IDX_SIZE (1u << IDX_BITS)

struct bph_ipmap {
	uint8_t fam;
	size_t n;	 /* segments */
	uint32_t *s4;	 /* IPv4 segment starts */
	bph_u128 *s6;	 /* IPv6 segment starts */
	int32_t *val;	 /* innermost item of each segment, -1 */
	uint32_t *idx;	 /* IDX_SIZE + 1: last segment starting at or
			    before each top-bits bucket */
	uint32_t *tbl24; /* NULL, or per /24 block: item + 1 (0: none),
			    MIXED when a segment boundary lies inside */
};

#define MIXED UINT32_MAX

struct sweep {
	const bph_u128 *first, *last;
	int32_t *heap;
	size_t hn;
	bph_u128 *starts; /* output */
	int32_t *vals;
	size_t n;
};

/* ---- ordering ---- */

static int by_start(const void *a, const void *b, void *arg)
{
	const struct sweep *w = arg;
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	bph_u128 sx = w->last[x] - w->first[x], sy = w->last[y] - w->first[y];

	if (w->first[x] != w->first[y])
		return w->first[x] < w->first[y] ? -1 : 1;
	if (sx != sy) /* larger first: containers before what they hold */
		return sx > sy ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int by_end(const void *a, const void *b, void *arg)
{
	const struct sweep *w = arg;
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	if (w->last[x] != w->last[y])
		return w->last[x] < w->last[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Whether item x is more inner than y: smaller, or equal and later. */
static int inner(const struct sweep *w, int32_t x, int32_t y)
{
	bph_u128 sx = w->last[x] - w->first[x], sy = w->last[y] - w->first[y];
	return sx != sy ? sx < sy : x > y;
}

/* ---- the heap of open ranges ---- */

static void heap_push(struct sweep *w, int32_t item)
{
	size_t i = w->hn++;

	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!inner(w, item, w->heap[up]))
			break;
		w->heap[i] = w->heap[up];
		i = up;
	}
	w->heap[i] = item;
}

static void heap_pop(struct sweep *w)
{
	int32_t item = w->heap[--w->hn];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= w->hn)
			break;
		if (c + 1 < w->hn && inner(w, w->heap[c + 1], w->heap[c]))
			c++;
		if (!inner(w, w->heap[c], item))
			break;
		w->heap[i] = w->heap[c];
		i = c;
	}
	if (w->hn > 0)
		w->heap[i] = item;
}

/* The smallest open range that contains item (parent), or -1. */
static int32_t container(const struct sweep *w, int32_t item)
{
	int32_t best = -1;

	if (w->hn > 0 && w->last[w->heap[0]] >= w->last[item])
		return w->heap[0];
	for (size_t i = 0; i < w->hn; i++) { /* partial overlap: rare */
		int32_t c = w->heap[i];
		if (w->first[c] <= w->first[item] &&
		    w->last[c] >= w->last[item] &&
		    (best < 0 || inner(w, c, best)))
			best = c;
	}
	return best;
}

/* Ends the previous segment at p - 1 and starts one holding v, unless v
 * is what the previous one holds. */
static void emit(struct sweep *w, bph_u128 p, int32_t v)
{
	if (w->n > 0 && w->starts[w->n - 1] == p) { /* the point 0 */
		w->vals[w->n - 1] = v;
		return;
	}
	if (w->n > 0 && w->vals[w->n - 1] == v)
		return;
	w->starts[w->n] = p;
	w->vals[w->n++] = v;
}

/* One boundary point p: expire, open the ranges starting at p, emit. */
static void at_point(struct sweep *w, bph_u128 p, const int32_t *os, size_t n,
		     size_t *i, int32_t *parent)
{
	while (w->hn > 0 && w->last[w->heap[0]] < p)
		heap_pop(w);
	for (; *i < n && w->first[os[*i]] == p; (*i)++) {
		while (w->hn > 0 && w->last[w->heap[0]] < p)
			heap_pop(w);
		if (parent)
			parent[os[*i]] = container(w, os[*i]);
		heap_push(w, os[*i]);
	}
	while (w->hn > 0 && w->last[w->heap[0]] < p)
		heap_pop(w);
	emit(w, p, w->hn ? w->heap[0] : -1);
}

static void sweep(struct sweep *w, bph_u128 top, const int32_t *os,
		  const int32_t *oe, size_t n, int32_t *parent)
{
	size_t i = 0, j = 0;

	emit(w, 0, -1);
	for (;;) {
		while (j < n && w->last[oe[j]] == top)
			j++; /* ends with the address space: never closes */
		bool hs = i < n, he = j < n;
		if (!hs && !he)
			break;
		bph_u128 ps = hs ? w->first[os[i]] : 0;
		bph_u128 pe = he ? w->last[oe[j]] + 1 : 0;
		bph_u128 p = !he || (hs && ps < pe) ? ps : pe;
		while (j < n && w->last[oe[j]] != top &&
		       w->last[oe[j]] + 1 == p)
			j++;
		at_point(w, p, os, n, &i, parent);
	}
}

/* ---- the index and the lookups ---- */

static int make_index(struct bph_ipmap *m)
{
	size_t s = 0;

	if (!(m->idx = malloc((IDX_SIZE + 1) * sizeof(*m->idx))))
		return BPH_ERR_NOMEM;
	unsigned shift = bph_fam_bits(m->fam) - IDX_BITS;
	for (uint32_t b = 0; b < IDX_SIZE; b++) {
		bph_u128 key = (bph_u128)b << shift;
		while (s + 1 < m->n &&
		       (m->fam == BPH_FAM_V4 ? (bph_u128)m->s4[s + 1]
					     : m->s6[s + 1]) <= key)
			s++;
		m->idx[b] = (uint32_t)s;
	}
	m->idx[IDX_SIZE] = (uint32_t)(m->n - 1);
	return 0;
}

int bph_ipmap_direct(struct bph_ipmap *m)
{
	if (m->fam != BPH_FAM_V4 || m->tbl24)
		return 0;
	/* 2 MiB aligned, so that the kernel can back it with huge pages: a
	 * random lookup then costs a cache miss, not also a TLB miss */
	if (posix_memalign((void **)&m->tbl24, 1u << 21,
			   (1u << 24) * sizeof(*m->tbl24))) {
		m->tbl24 = NULL;
		return BPH_ERR_NOMEM;
	}
	madvise(m->tbl24, (1u << 24) * sizeof(*m->tbl24), MADV_HUGEPAGE);
	for (size_t i = 0; i < m->n; i++) {
		uint64_t a = m->s4[i],
			 e = i + 1 < m->n ? m->s4[i + 1] : 1ull << 32;
		uint32_t v = (uint32_t)(m->val[i] + 1);
		for (uint64_t b = (a + 255) >> 8; b < e >> 8; b++)
			m->tbl24[b] = v; /* blocks wholly inside the segment */
	}
	for (size_t i = 0; i < m->n; i++)
		if (m->s4[i] & 0xff)
			m->tbl24[m->s4[i] >> 8] = MIXED;
	return 0;
}

int32_t bph_ipmap_find4(const struct bph_ipmap *m, uint32_t v)
{
	if (m->tbl24) {
		uint32_t e = m->tbl24[v >> 8];
		if (e != MIXED)
			return (int32_t)e - 1;
	}
	uint32_t b = v >> (32 - IDX_BITS);
	uint32_t lo = m->idx[b], hi = m->idx[b + 1];

	while (lo < hi) {
		uint32_t mid = (lo + hi + 1) / 2;
		if (m->s4[mid] <= v)
			lo = mid;
		else
			hi = mid - 1;
	}
	return m->val[lo];
}

int32_t bph_ipmap_find(const struct bph_ipmap *m, bph_u128 v)
{
	if (m->fam == BPH_FAM_V4)
		return v > 0xffffffffu ? -1 : bph_ipmap_find4(m, (uint32_t)v);
	uint32_t b = (uint32_t)(v >> (128 - IDX_BITS));
	uint32_t lo = m->idx[b], hi = m->idx[b + 1];
	while (lo < hi) {
		uint32_t mid = (lo + hi + 1) / 2;
		if (m->s6[mid] <= v)
			lo = mid;
		else
			hi = mid - 1;
	}
	return m->val[lo];
}

/* Moves the sweep's output into m (IPv4 starts narrowed to 32 bits). */
static int take_output(struct bph_ipmap *m, struct sweep *w)
{
	m->n = w->n;
	m->val = w->vals;
	w->vals = NULL;
	if (m->fam == BPH_FAM_V6) {
		m->s6 = w->starts;
		w->starts = NULL;
		return 0;
	}
	if (!(m->s4 = malloc(w->n * sizeof(*m->s4))))
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < w->n; i++)
		m->s4[i] = (uint32_t)w->starts[i];
	return 0;
}

int bph_ipmap_build(uint8_t fam, const bph_u128 *first, const bph_u128 *last,
		    size_t n, int32_t *parent, struct bph_ipmap **out)
{
	struct sweep w = {.first = first, .last = last};
	struct bph_ipmap *m = calloc(1, sizeof(*m));
	int32_t *os = malloc((n ? n : 1) * sizeof(*os));
	int32_t *oe = malloc((n ? n : 1) * sizeof(*oe));
	int rc = BPH_ERR_NOMEM;

	if (n > INT32_MAX - 1)
		rc = BPH_ERR_TOOBIG;
	else if (m && os && oe &&
		 (w.heap = malloc((n ? n : 1) * sizeof(*w.heap))) &&
		 (w.starts = malloc((2 * n + 2) * sizeof(*w.starts))) &&
		 (w.vals = malloc((2 * n + 2) * sizeof(*w.vals)))) {
		m->fam = fam;
		for (size_t i = 0; i < n; i++)
			os[i] = oe[i] = (int32_t)i;
		qsort_r(os, n, sizeof(*os), by_start, &w);
		qsort_r(oe, n, sizeof(*oe), by_end, &w);
		bph_u128 top = fam == BPH_FAM_V4 ? 0xffffffffu : ~(bph_u128)0;
		sweep(&w, top, os, oe, n, parent);
		rc = take_output(m, &w);
		if (!rc)
			rc = make_index(m);
	}
	free(os);
	free(oe);
	free(w.heap);
	free(w.starts);
	free(w.vals);
	if (rc) {
		bph_ipmap_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

size_t bph_ipmap_segments(const struct bph_ipmap *m)
{
	return m->n;
}

static bph_u128 seg_start(const struct bph_ipmap *m, size_t i)
{
	return m->fam == BPH_FAM_V4 ? (bph_u128)m->s4[i] : m->s6[i];
}

int bph_ipmap_walk_range(const struct bph_ipmap *m, bph_u128 first,
			 bph_u128 last,
			 int (*fn)(bph_u128 first, bph_u128 last, int32_t item,
				   void *arg),
			 void *arg)
{
	bph_u128 top = m->fam == BPH_FAM_V4 ? 0xffffffffu : ~(bph_u128)0;
	size_t lo = 0, hi = m->n - 1;

	while (lo < hi) { /* the segment holding first */
		size_t mid = (lo + hi + 1) / 2;
		if (seg_start(m, mid) <= first)
			lo = mid;
		else
			hi = mid - 1;
	}
	for (size_t i = lo; i < m->n && seg_start(m, i) <= last; i++) {
		bph_u128 a = seg_start(m, i),
			 b = i + 1 < m->n ? seg_start(m, i + 1) - 1 : top;
		int rc = fn(a < first ? first : a, b > last ? last : b,
			    m->val[i], arg);
		if (rc)
			return rc;
	}
	return 0;
}

int bph_ipmap_walk(const struct bph_ipmap *m,
		   int (*fn)(bph_u128 first, bph_u128 last, int32_t item,
			     void *arg),
		   void *arg)
{
	bph_u128 top = m->fam == BPH_FAM_V4 ? 0xffffffffu : ~(bph_u128)0;

	for (size_t i = 0; i < m->n; i++) {
		bph_u128 a = m->fam == BPH_FAM_V4 ? m->s4[i] : m->s6[i];
		bph_u128 b = i + 1 < m->n ? (m->fam == BPH_FAM_V4
						 ? (bph_u128)m->s4[i + 1]
						 : m->s6[i + 1]) -
						1
					  : top;
		int rc = fn(a, b, m->val[i], arg);
		if (rc)
			return rc;
	}
	return 0;
}

void bph_ipmap_free(struct bph_ipmap *m)
{
	if (!m)
		return;
	free(m->s4);
	free(m->s6);
	free(m->val);
	free(m->idx);
	free(m->tbl24);
	free(m);
}

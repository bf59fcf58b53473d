/*
 * store_runs.c - the bulk path's pairs in key order past what memory
 * holds: each chunk sorted in place (an introsort) and appended as a run
 * to an unlinked temporary file, then every run merged through a binary
 * heap of cursors and handed on a chunk at a time. Merged in key order,
 * a publication appends to host_arts and art_hosts instead of revisiting
 * all their pages once per chunk. Contract in store/db_int.h; why in
 * docs/performance.md ("Store: import").
 */
#include "store/db_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fingerprints/err.h"

#define CURSOR_PAIRS 4096 /* a run is read this many pairs at a time */

static void swap_pairs(struct bph_wpair *a, struct bph_wpair *b)
{
	struct bph_wpair t = *a;

	*a = *b;
	*b = t;
}

/* Hoare partition of p[0..n) around the median of three (n >= 3): every
 * element of p[0..*mid] orders before or with every one after it. */
static size_t partition(struct bph_wpair *p, size_t n, bph_pair_order cmp)
{
	size_t m = n / 2, i = 0, j = n - 1;

	if (cmp(&p[m], &p[0]) < 0)
		swap_pairs(&p[m], &p[0]);
	if (cmp(&p[n - 1], &p[m]) < 0)
		swap_pairs(&p[n - 1], &p[m]);
	if (cmp(&p[m], &p[0]) < 0)
		swap_pairs(&p[m], &p[0]);
	struct bph_wpair pivot = p[m];
	for (;;) {
		while (cmp(&p[i], &pivot) < 0)
			i++;
		while (cmp(&pivot, &p[j]) < 0)
			j--;
		if (i >= j)
			return j;
		swap_pairs(&p[i++], &p[j--]);
	}
}

/* p[i] moved down the max-heap p[0..n) to its place. */
static void sift_down(struct bph_wpair *p, size_t i, size_t n,
		      bph_pair_order cmp)
{
	for (size_t c; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && cmp(&p[c], &p[c + 1]) < 0)
			c++;
		if (cmp(&p[i], &p[c]) >= 0)
			return;
		swap_pairs(&p[i], &p[c]);
	}
}

static void heap_sort(struct bph_wpair *p, size_t n, bph_pair_order cmp)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(p, i, n, cmp);
	for (size_t k = n; k-- > 1;) {
		swap_pairs(&p[0], &p[k]);
		sift_down(p, 0, k, cmp);
	}
}

/* depth: partitions left before a heap sort takes over, so that an
 * order chosen against the median of three (an import's pairs come from
 * its file) costs n log n, not n squared. */
static void intro_sort(struct bph_wpair *p, size_t n, bph_pair_order cmp,
		       unsigned depth)
{
	while (n > 16) {
		if (!depth--) {
			heap_sort(p, n, cmp);
			return;
		}
		size_t k = partition(p, n, cmp) + 1;
		if (k < n - k) {
			intro_sort(p, k, cmp, depth);
			p += k;
			n -= k;
		} else {
			intro_sort(p + k, n - k, cmp, depth);
			n = k;
		}
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j && cmp(&p[j], &p[j - 1]) < 0; j--)
			swap_pairs(&p[j], &p[j - 1]);
}

/* In place, unlike glibc's qsort, which copies an array this large (the
 * publication's pairs: hundreds of MiB at a million hosts): introsort,
 * quicksort on the smaller side and a loop on the larger, insertion sort
 * below 16, a heap sort past twice log2(n) partitions. */
void bph_sort_pairs(struct bph_wpair *p, size_t n, bph_pair_order cmp)
{
	unsigned depth = 0;

	for (size_t m = n; m > 1; m >>= 1)
		depth += 2;
	intro_sort(p, n, cmp, depth);
}

/* One run: pairs [start, start + n) of the file, sorted. */
struct run {
	off_t start;
	size_t n;
};

struct bph_runs {
	struct bph_db *db; /* where failures are told (may be NULL) */
	bph_pair_order cmp;
	int fd; /* -1 until the first run */
	struct run *run;
	size_t n_runs, cap;
	off_t end; /* pairs written */
};

struct bph_runs *bph_runs_new(struct bph_db *db, bph_pair_order cmp)
{
	struct bph_runs *r = calloc(1, sizeof(*r));

	if (r) {
		r->db = db;
		r->cmp = cmp;
		r->fd = -1;
	}
	return r;
}

void bph_runs_free(struct bph_runs *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->run);
	free(r);
}

/* SQLite's choice of a temporary directory (os_unix.c), so that the
 * runs go where the publication's own sorts do (docs/guide.md). */
static const char *temp_dir(void)
{
	const char *dirs[] = {getenv("SQLITE_TMPDIR"),
			      getenv("TMPDIR"),
			      "/var/tmp",
			      "/usr/tmp",
			      "/tmp",
			      "."};
	struct stat sb;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++)
		if (dirs[i] && !stat(dirs[i], &sb) && S_ISDIR(sb.st_mode) &&
		    !access(dirs[i], W_OK | X_OK))
			return dirs[i];
	return ".";
}

/* errno's failure of what (with the directory), told on r->db: a full
 * disk (or a file size limit) is BPH_ERR_NOSPACE, as for the store. */
static int io_fail(const struct bph_runs *r, const char *what)
{
	int e = errno ? errno : EIO;
	bool full = e == ENOSPC || e == EDQUOT || e == EFBIG;

	if (!r->db)
		return full ? BPH_ERR_NOSPACE : BPH_ERR_IO;
	int rc = bph_db_fail(r->db, full ? BPH_DB_EFULL : BPH_DB_EOTHER,
			     "%s the import's sorted pairs in %s: %s", what,
			     temp_dir(), strerror(e));
	return full ? rc : BPH_ERR_IO;
}

/* A file nobody else can open, gone when it is closed. */
static int open_temp(struct bph_runs *r)
{
	char path[4096];
	int n =
	    snprintf(path, sizeof(path), "%s/bphound-runs-XXXXXX", temp_dir());

	errno = ENAMETOOLONG;
	if (n < 0 || (size_t)n >= sizeof(path))
		return io_fail(r, "creating");
	if ((r->fd = mkostemp(path, O_CLOEXEC)) < 0)
		return io_fail(r, "creating");
	unlink(path);
	return 0;
}

/* At the end of the runs written whole: a write that failed half-way
 * leaves nothing a later one would have to follow. */
static int write_all(const struct bph_runs *r, const void *v, size_t len)
{
	const char *p = v;
	off_t at = r->end * (off_t)sizeof(struct bph_wpair);

	while (len) {
		ssize_t k = pwrite(r->fd, p, len, at);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return io_fail(r, "writing");
		p += k;
		len -= (size_t)k;
		at += k;
	}
	return 0;
}

static int read_at(const struct bph_runs *r, void *v, size_t len, off_t at)
{
	char *p = v;

	while (len) {
		ssize_t k = pread(r->fd, p, len, at);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			errno = k ? errno : EIO; /* the file ended early */
			return io_fail(r, "reading");
		}
		p += k;
		len -= (size_t)k;
		at += k;
	}
	return 0;
}

int bph_runs_put(struct bph_runs *r, struct bph_wpair *p, size_t n)
{
	int rc = r->fd < 0 ? open_temp(r) : 0;

	if (!rc && r->n_runs == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct run *nr = realloc(r->run, cap * sizeof(*nr));
		if (!nr)
			return BPH_ERR_NOMEM;
		r->run = nr;
		r->cap = cap;
	}
	if (rc || !n)
		return rc;
	bph_sort_pairs(p, n, r->cmp);
	rc = write_all(r, p, n * sizeof(*p));
	if (!rc) {
		r->run[r->n_runs++] = (struct run){r->end, n};
		r->end += (off_t)n;
	}
	return rc;
}

size_t bph_runs_count(const struct bph_runs *r)
{
	return r ? r->n_runs : 0;
}

/* Where a merge stands in one run: buf[at..n) read, left to read. */
struct cursor {
	struct bph_wpair *buf;
	size_t at, n, left;
	off_t next;
};

static int refill(const struct bph_runs *r, struct cursor *c)
{
	size_t k = c->left < CURSOR_PAIRS ? c->left : CURSOR_PAIRS;
	int rc = read_at(r, c->buf, k * sizeof(*c->buf),
			 c->next * (off_t)sizeof(*c->buf));

	c->next += (off_t)k;
	c->left -= k;
	c->at = 0;
	c->n = k;
	return rc;
}

/* The merge: a min-heap of the cursors by their next pair. */
struct heap {
	struct cursor **c;
	size_t n;
	bph_pair_order cmp;
};

static bool heap_less(const struct heap *h, size_t i, size_t j)
{
	return h->cmp(&h->c[i]->buf[h->c[i]->at], &h->c[j]->buf[h->c[j]->at]) <
	       0;
}

static void heap_down(struct heap *h, size_t i)
{
	for (size_t m; (m = 2 * i + 1) < h->n; i = m) {
		if (m + 1 < h->n && heap_less(h, m + 1, m))
			m++;
		if (!heap_less(h, m, i))
			return;
		struct cursor *t = h->c[i];
		h->c[i] = h->c[m];
		h->c[m] = t;
	}
}

/* The heap's least pair taken: its cursor moves on, refilled from the
 * file or dropped at the end of its run. */
static int heap_pop(struct heap *h, const struct bph_runs *r,
		    struct bph_wpair *out)
{
	struct cursor *c = h->c[0];
	int rc = 0;

	*out = c->buf[c->at++];
	if (c->at == c->n && c->left)
		rc = refill(r, c);
	if (c->at == c->n)
		h->c[0] = h->c[--h->n];
	heap_down(h, 0);
	return rc;
}

/* A cursor at the start of each run, each with a buffer of its own. */
static int cursors_open(const struct bph_runs *r, struct cursor *c,
			struct heap *h)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < r->n_runs; i++) {
		size_t k =
		    r->run[i].n < CURSOR_PAIRS ? r->run[i].n : CURSOR_PAIRS;
		c[i] = (struct cursor){malloc(k * sizeof(*c[i].buf)), 0, 0,
				       r->run[i].n, r->run[i].start};
		rc = c[i].buf ? refill(r, &c[i]) : BPH_ERR_NOMEM;
		if (!rc && c[i].n)
			h->c[h->n++] = &c[i];
	}
	for (size_t i = h->n / 2; !rc && i-- > 0;)
		heap_down(h, i);
	return rc;
}

int bph_runs_merge(struct bph_runs *r, size_t chunk, bph_runs_emit emit,
		   void *ctx)
{
	size_t total = (size_t)r->end;
	size_t lim = chunk && chunk < total ? chunk : total;
	struct cursor *c = calloc(r->n_runs ? r->n_runs : 1, sizeof(*c));
	struct heap h = {calloc(r->n_runs ? r->n_runs : 1, sizeof(*h.c)), 0,
			 r->cmp};
	struct bph_wpair *out = malloc((lim ? lim : 1) * sizeof(*out));
	int rc = c && h.c && out ? cursors_open(r, c, &h) : BPH_ERR_NOMEM;
	size_t n = 0;

	while (!rc && h.n) {
		rc = heap_pop(&h, r, &out[n++]);
		if (!rc && n == lim) {
			rc = emit(ctx, out, n);
			n = 0;
		}
	}
	if (!rc && n)
		rc = emit(ctx, out, n);
	for (size_t i = 0; c && i < r->n_runs; i++)
		free(c[i].buf);
	free(c);
	free(h.c);
	free(out);
	return rc;
}

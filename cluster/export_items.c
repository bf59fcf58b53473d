/*
 * export_items.c - a long run of an export's items (clusters, hosts,
 * nodes, edges, rows) written in order while two threads format them
 * (bph_export_items, contract in cluster/export.h): formatting is most of
 * an export once the clustering is done, and it ran on one core of two
 * (docs/performance.md, issue 13).
 *
 * The items go in chunks, claimed in order by whichever thread is free. A
 * helper thread formats the chunks it claims into memory buffers; the
 * calling thread goes through the chunks in order, formatting a chunk
 * nobody claimed yet straight into the output and copying one formatted
 * into a buffer, and while the helper still formats the next one it
 * claims a later one into a buffer itself. Claiming rather than
 * alternating keeps both busy where items differ in size: the largest
 * clusters come first.
 */
#include "cluster/export.h"

#include <pthread.h>
#include <stdlib.h>

/* The buffers hold N_BUFS chunks of output: a few MB at a million hosts,
 * at most the CHUNK_ITEMS * N_BUFS largest items (the largest clusters
 * come first). */
#define CHUNK_ITEMS 512 /* items a chunk */
#define N_BUFS	    4	/* chunks the helper may be ahead */

/* A chunk's buffer (either thread fills it): an open_memstream rewound
 * for each chunk, so its memory is faulted in once. */
struct ibuf {
	FILE *f;
	char *data;
	size_t size;
	bool ready;   /* holds chunk, formatted */
	bool busy;    /* claimed or ready: not free */
	size_t chunk; /* which chunk it holds */
	int bad;      /* the chunk's items' */
};

struct items {
	size_t n, n_chunks;
	bph_export_item_fn item;
	void *ctx;
	struct ibuf buf[N_BUFS];
	size_t next; /* the first chunk nobody claimed */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static int format_chunk(struct items *t, size_t chunk, FILE *f)
{
	size_t end = (chunk + 1) * CHUNK_ITEMS;
	int bad = 0;

	for (size_t i = chunk * CHUNK_ITEMS; i < end && i < t->n; i++)
		bad |= t->item(t->ctx, f, i);
	return bad;
}

/* Under mu: a free buffer, or NULL. */
static struct ibuf *free_buf(struct items *t)
{
	for (int k = 0; k < N_BUFS; k++)
		if (!t->buf[k].busy)
			return &t->buf[k];
	return NULL;
}

/* Under mu: the buffer holding chunk c, or NULL. */
static struct ibuf *holding(struct items *t, size_t c)
{
	for (int k = 0; k < N_BUFS; k++)
		if (t->buf[k].busy && t->buf[k].chunk == c)
			return &t->buf[k];
	return NULL;
}

/* Under mu: claims the next chunk into a free buffer, if any. */
static struct ibuf *claim(struct items *t)
{
	struct ibuf *b = t->next < t->n_chunks ? free_buf(t) : NULL;

	if (b) {
		b->busy = true;
		b->chunk = t->next++;
	}
	return b;
}

/* Formats b's chunk (claimed, mu not held) into b, then marks it ready. */
static void fill(struct items *t, struct ibuf *b)
{
	int bad = fseeko(b->f, 0, SEEK_SET) ? 1 : 0;

	bad |= format_chunk(t, b->chunk, b->f);
	if (fflush(b->f) || ferror(b->f))
		bad = 1;
	b->size = (size_t)ftello(b->f);
	pthread_mutex_lock(&t->mu);
	b->bad = bad;
	b->ready = true;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

/* The helper: claims the next chunk whenever a buffer is free. */
static void *helper(void *arg)
{
	struct items *t = arg;

	for (;;) {
		struct ibuf *b = NULL;
		pthread_mutex_lock(&t->mu);
		while (t->next < t->n_chunks && !(b = claim(t)))
			pthread_cond_wait(&t->cv, &t->mu);
		pthread_mutex_unlock(&t->mu);
		if (!b)
			return NULL;
		fill(t, b);
	}
}

/* b's chunk into out, then b freed. */
static int copy_out(struct items *t, struct ibuf *b, FILE *out)
{
	int bad = b->bad;

	if (b->size && fwrite_unlocked(b->data, 1, b->size, out) != b->size)
		bad = 1;
	pthread_mutex_lock(&t->mu);
	b->ready = b->busy = false;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	return bad;
}

/* The calling thread: the chunks into out in order. The next one is
 * copied once the helper formatted it, or formatted straight into out if
 * nobody claimed it; while the helper still formats it, a later one is
 * claimed and formatted into a buffer meanwhile. */
static int write_all(struct items *t, FILE *out)
{
	enum { COPY, MINE, LATER, WAITED } act;
	int bad = 0;

	for (size_t c = 0; c < t->n_chunks;) {
		struct ibuf *b, *later = NULL;
		pthread_mutex_lock(&t->mu);
		b = holding(t, c);
		if (b && b->ready) {
			act = COPY;
		} else if (!b && t->next == c) {
			t->next++;
			act = MINE;
		} else if ((later = claim(t))) {
			act = LATER;
		} else {
			pthread_cond_wait(&t->cv, &t->mu);
			act = WAITED;
		}
		pthread_mutex_unlock(&t->mu);
		if (act == COPY) {
			bad |= copy_out(t, b, out);
			c++;
		} else if (act == MINE) {
			bad |= format_chunk(t, c++, out);
		} else if (act == LATER) {
			fill(t, later);
		}
	}
	return bad;
}

static int alone(struct items *t, FILE *out)
{
	int bad = 0;

	for (size_t c = 0; c < t->n_chunks; c++)
		bad |= format_chunk(t, c, out);
	return bad;
}

static bool bufs_open(struct items *t)
{
	for (int k = 0; k < N_BUFS; k++)
		if (!(t->buf[k].f =
			  open_memstream(&t->buf[k].data, &t->buf[k].size)))
			return false;
	return true;
}

int bph_export_items(FILE *out, size_t n, bph_export_item_fn item, void *ctx)
{
	struct items t = {.n = n,
			  .n_chunks = (n + CHUNK_ITEMS - 1) / CHUNK_ITEMS,
			  .item = item,
			  .ctx = ctx};
	pthread_t th;
	int bad = 0;
	bool two =
	    t.n_chunks > 1 && bufs_open(&t) && !pthread_mutex_init(&t.mu, NULL);

	if (two && pthread_cond_init(&t.cv, NULL)) {
		pthread_mutex_destroy(&t.mu);
		two = false;
	}
	if (two && pthread_create(&th, NULL, helper, &t)) {
		pthread_cond_destroy(&t.cv);
		pthread_mutex_destroy(&t.mu);
		two = false;
	}
	if (!two) {
		bad = alone(&t, out);
	} else {
		bad = write_all(&t, out);
		pthread_join(th, NULL);
		pthread_cond_destroy(&t.cv);
		pthread_mutex_destroy(&t.mu);
	}
	for (int k = 0; k < N_BUFS; k++) {
		if (t.buf[k].f)
			fclose(t.buf[k].f);
		free(t.buf[k].data);
	}
	return bad;
}

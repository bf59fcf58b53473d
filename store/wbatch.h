/*
 * wbatch.h - the layout of a write batch (struct bph_wbatch of
 * store/store.h), private to the files that write it: store_write.c
 * prepares it and holds the PostgreSQL path, store_arts.c gives its
 * artifacts their ids, store_rows.c writes it on SQLite. Nothing else
 * includes this.
 */
#ifndef BPH_STORE_WBATCH_H
#define BPH_STORE_WBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fingerprints/buf.h"

struct arena_chunk;
struct bph_store;

struct wobs {
	uint32_t ip;
	uint16_t port;
	const char *state, *record;
	int64_t seen, hash;
};

struct wart {
	size_t obs; /* index into obs */
	const char *kind, *value;
	uint16_t port;
	int64_t art;	/* arts.id, once resolved */
	uint64_t khash; /* bph_artdict_hash(kind, value), once prepared */
	size_t rep;	/* the batch's first artifact of that (kind, value) */
};

struct bph_wbatch {
	struct wobs *obs;
	size_t n_obs, cap_obs;
	struct wart *arts;
	size_t n_arts, cap_arts;
	struct arena_chunk *chunks;
	struct bph_sbuf text; /* record_text()'s scratch */
	int err;	      /* first error of an artifact callback */
	/* bph_wbatch_prepare(): the observations to write in (ip, hash)
	 * order, one artifact per distinct (kind, value) in byte order */
	size_t *order, n_order, cap_order;
	size_t *distinct, n_distinct, cap_distinct;
	bool prepared;
};

/*
 * Every artifact of b's new observations (those with a record) gets its
 * id in arts (a->art) from the writer's dictionary or the store; those the
 * store lacks are added (SQLite: a run of rows per statement; PostgreSQL:
 * through staging), except with st->bulk, where they are appended to
 * bulk_arts and get a pending id, -seq, which bph_store_publish() turns
 * into their arts.id. Returns 0 or a negative BPH_ERR_*.
 */
int bph_wbatch_resolve(struct bph_store *st, struct bph_wbatch *b);

/* SQLite: b (prepared) written row by row (store_rows.c); *added counts
 * the new observations. Returns 0 or a negative BPH_ERR_*. */
int bph_rows_write(struct bph_store *st, int64_t scan_id, struct bph_wbatch *b,
		   size_t *added);

#endif

/*
 * fuzz_ranges_common.h - what the data-file fuzzers share: the first byte
 * of the input picks one kind among the target's kinds, the rest is the
 * file. The records go into an in-memory database (ranges/rdb.h) that is
 * then finished and looked up, so the parsers' output is checked too:
 * every record handed out was counted, and a lookup of each list entry's
 * first address finds an entry.
 */
#ifndef BPH_FUZZ_RANGES_COMMON_H
#define BPH_FUZZ_RANGES_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ranges/parse.h"
#include "ranges/rdb.h"

static int bph_fuzz_entry_found(const struct bph_list_hit *h, void *arg)
{
	const struct bph_rdb *db = arg;
	struct bph_addr a = {h->net.fam, h->net.first};
	struct bph_list_hit hit;

	if (h->net.first > h->net.last || bph_rdb_listed(db, &a, &hit, 1) == 0)
		abort();
	return 0;
}

static inline void bph_fuzz_ranges(const enum bph_kind *kinds, size_t n_kinds,
				   const uint8_t *data, size_t size)
{
	struct bph_parse_opts o = {.limit = 1 << 22};
	struct bph_parse_result res;
	struct bph_rsource src = {
	    .name = "fuzz", .date = "", .file = "", .licence = ""};
	struct bph_rsink sink;
	struct bph_rdb *db = NULL;
	char err[256];

	if (size < 1)
		return;
	o.kind = kinds[data[0] % n_kinds];
	src.kind = o.kind == BPH_KIND_NONE ? BPH_KIND_PLAIN : o.kind;
	if (bph_rdb_new(&db))
		return;
	if (bph_rdb_begin(db, &src, &sink) == 0 &&
	    bph_parse_mem(data + 1, size - 1, &o, &sink, &res, err,
			  sizeof(err)) == 0) {
		if (res.rejected > res.lines || res.date[10] != '\0')
			abort();
		if (bph_rdb_finish(db) == 0)
			bph_rdb_list_entries(db, NULL, 0, bph_fuzz_entry_found,
					     db);
	}
	bph_rdb_free(db);
}

#endif

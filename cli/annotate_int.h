/*
 * annotate_int.h - what annotate.c (host facts, `show`), annotate_report.c
 * (cluster summaries and their text) and annotate_json.c (helpers) share;
 * cli/'s one private header, included by nothing else. The contract is
 * cli/annotate.h.
 */
#ifndef BPH_CLI_ANNOTATE_INT_H
#define BPH_CLI_ANNOTATE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "cli/annotate.h"

#define COMBO_ATTRS 16
#define COMBO_STRS  8
#define COMBO_UP    16
#define COMBO_HITS  16

/* The facts of every host whose lookups meet the same objects. */
struct combo {
	struct bph_rdb_ids ids;
	struct bph_annot annot; /* attrs point into this combo */
	struct bph_annot_attr attrs[COMBO_ATTRS];
	char *strs[COMBO_STRS]; /* owned attribute texts */
	size_t n_strs;
	char *json;
	/* for the cluster summaries */
	bool routed;
	uint32_t asn; /* primary origin */
	char prefix[BPH_RANGE_STRLEN];
	const char *registrant; /* rdb string, "" */
	uint32_t up[COMBO_UP];
	size_t n_up;
	const char *lists[COMBO_HITS]; /* distinct list names, rdb strings */
	size_t n_lists;
};

struct upcache;

/* Providers per origin AS, one table per annotating thread (annotate.c). */
struct uptab {
	struct upcache **ups;
	size_t n_ups, n_up_slots;
};

#define ANNOT_MAX_THREADS 8

struct bph_cli_annot {
	const struct bph_rdb *db;
	bool with_json; /* build the JSON objects (JSON and HTML outputs) */
	struct combo **combos;
	size_t n_combos;
	uint32_t *slots; /* hash of combos by ids: index + 1, 0 empty */
	size_t n_slots;
	uint32_t *host_combo; /* per host, UINT32_MAX: not an address */
	struct uptab ups[ANNOT_MAX_THREADS]; /* one per thread */
	struct bph_annot *hosts;
	struct bph_annot *clusters; /* json and remark owned */
	size_t n_clusters;
	struct bph_annotations pub;
};

/* A cleaned JSON string (NULL on ENOMEM). */
json_t *bph_annot_js(const char *s);
/* o[key] = v, counting a failure in *bad. */
void bph_annot_set(json_t *o, const char *key, json_t *v, int *bad);

/* Fills an->clusters for c's clusters of two hosts or more
 * (annotate_report.c). Returns 0 or BPH_ERR_NOMEM. */
int bph_annot_clusters(struct bph_cli_annot *an,
		       const struct bph_clustering *c);

#endif

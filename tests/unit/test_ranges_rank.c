/* Ranking (ranges/rank.h) on the fixtures of tests/data/ranges/, checked
 * against a brute-force count over every routed IPv4 address: its
 * longest prefix found by scanning all prefixes, its list hits by scanning
 * all entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fingerprints/err.h"
#include "ranges/rank.h"
#include "testlib/ranges_fixture.h"

static const struct bph_test_rfile files[] = {
    {"routeviews-rv2-20261206-1200.pfx2as", "pfx2as"},
    {"20261001.as-org2info.txt", "as2org"},
    {"drop_v4.json", "drop"},
    {"example_level1.netset", "firehol"},
    {"block.txt", "dshield"},
    {"plain.txt", "mine"},
};

static int setup(void **state)
{
	*state = bph_test_rdb_load(files, sizeof(files) / sizeof(files[0]),
				   "2026-12-06");
	return 0;
}

static int teardown(void **state)
{
	bph_rdb_free(*state);
	return 0;
}

/* The longest IPv4 prefix holding v, by scanning every prefix. */
static int32_t brute_lpm(const struct bph_rdb *db, uint32_t v)
{
	int32_t best = -1;
	int best_len = -1;
	struct bph_route r;

	for (int32_t id = 0; (size_t)id < bph_rdb_n_prefixes(db); id++) {
		bph_rdb_prefix(db, id, &r);
		int len = bph_range_prefix_len(&r.prefix);
		if (r.prefix.fam == BPH_FAM_V4 && v >= r.prefix.first &&
		    v <= r.prefix.last && len > best_len) {
			best = id;
			best_len = len;
		}
	}
	return best;
}

struct listed_q {
	uint32_t v;
	bool hit;
};

static int covers(const struct bph_list_hit *h, void *arg)
{
	struct listed_q *q = arg;
	if (h->net.fam == BPH_FAM_V4 && q->v >= h->net.first &&
	    q->v <= h->net.last)
		q->hit = true;
	return 0;
}

static bool brute_listed(const struct bph_rdb *db, const char *list, uint32_t v)
{
	struct listed_q q = {v, false};
	bph_rdb_list_entries(db, list ? &list : NULL, list ? 1 : 0, covers, &q);
	return q.hit;
}

static void test_by_prefix_matches_brute_force(void **state)
{
	const struct bph_rdb *db = *state;
	struct bph_rank_list lists[] = {
	    {"drop", 10}, {"firehol", 1}, {"dshield", 2}, {"mine", 1}};
	struct bph_rank_host hosts[] = {{0xc0000205u, true},   /* 192.0.2.5 */
					{0xc6336401u, false}}; /* .100.1 */
	struct bph_ranking *r;
	struct bph_route rt;

	assert_int_equal(bph_rank(db, BPH_RANK_PREFIX, lists, 4, hosts, 2, &r),
			 0);
	assert_true(r->n > 0);
	for (size_t i = 0; i < r->n; i++) {
		const struct bph_rank_row *row = &r->rows[i];
		struct bph_range p;
		assert_int_equal(bph_prefix_parse(row->unit, strlen(row->unit),
						  &p, NULL, NULL),
				 0);
		int32_t id = -1;
		for (int32_t k = 0; (size_t)k < bph_rdb_n_prefixes(db); k++) {
			bph_rdb_prefix(db, k, &rt);
			if (rt.prefix.first == p.first &&
			    rt.prefix.last == p.last)
				id = k;
		}
		double space = 0, listed[4] = {0}, any = 0, score = 0;
		for (uint64_t v = p.first; v <= p.last; v++) {
			if (brute_lpm(db, (uint32_t)v) != id)
				continue;
			space++;
			for (int l = 0; l < 4; l++)
				listed[l] += brute_listed(db, lists[l].name,
							  (uint32_t)v);
			any += brute_listed(db, NULL, (uint32_t)v) ? 1 : 0;
		}
		for (int l = 0; l < 4; l++) {
			assert_true(row->listed[l] == listed[l]);
			score += lists[l].weight * listed[l] / space;
		}
		assert_true(row->space == space);
		assert_true(row->listed_any == any);
		assert_true(row->score > score - 1e-9 &&
			    row->score < score + 1e-9);
		if (i > 0)
			assert_true(r->rows[i - 1].score >= row->score);
	}
	/* 192.0.2.0/24 and its /25 tie on score and share; the /24 (less
	 * the /25) holds the linked host */
	assert_string_equal(r->rows[0].unit, "192.0.2.0/24");
	assert_int_equal(r->rows[0].linked, 1);
	bph_ranking_free(r);
}

/* By AS: a multi-origin prefix counts for each origin; by organisation:
 * the ASes of ORG-EXBPH1-RIPE (64496, 64499) together. */
static void test_by_asn_and_org(void **state)
{
	const struct bph_rdb *db = *state;
	struct bph_rank_list lists[] = {{"drop", 1}};
	struct bph_ranking *r;
	const struct bph_rank_row *a97 = NULL, *a98 = NULL, *org = NULL;

	assert_int_equal(bph_rank(db, BPH_RANK_ASN, lists, 1, NULL, 0, &r), 0);
	for (size_t i = 0; i < r->n; i++) {
		if (!strcmp(r->rows[i].unit, "AS64497"))
			a97 = &r->rows[i];
		if (!strcmp(r->rows[i].unit, "AS64498"))
			a98 = &r->rows[i];
	}
	assert_non_null(a97);
	assert_non_null(a98);
	/* 198.51.100.0/22 minus the /24 of AS64502: 768 for both origins */
	assert_true(a98->space == 768);
	assert_true(a98->listed[0] == 768);
	assert_true(a97->space == 768 + 128); /* and 192.0.2.128/25 */
	bph_ranking_free(r);

	assert_int_equal(bph_rank(db, BPH_RANK_ORG, lists, 1, NULL, 0, &r), 0);
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->rows[i].unit, "ORG-EXBPH1-RIPE"))
			org = &r->rows[i];
	assert_non_null(org);
	/* 192.0.2.0/24 less its /25 (64496), 203.0.113.0/24 less its /26
	 * (64499 in an AS set), and the /26 itself (64499 again) */
	assert_true(org->space == 128 + 256);
	assert_string_equal(org->name, "Example Hosting Ltd");
	bph_ranking_free(r);

	assert_int_equal(bph_rank(db, BPH_RANK_ASN,
				  (struct bph_rank_list[]){{"nope", 1}}, 1,
				  NULL, 0, &r),
			 BPH_ERR_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_by_prefix_matches_brute_force),
	    cmocka_unit_test(test_by_asn_and_org),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/* AS behaviour signals (ranges/asbehav.h) on hand-made timelines whose
 * signals are worked out in the comments, and the space and leasing
 * signals on the fixtures of tests/data/ranges/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fingerprints/err.h"
#include "ranges/asbehav.h"

static struct bph_range P(const char *s) {
	struct bph_range r;
	assert_int_equal(bph_prefix_parse(s, strlen(s), &r, NULL, NULL), 0);
	return r;
}

/*
 * Providers: Jan {1,2}, Feb {2,3}, Mar {1,3}.
 * Changes 2; additions: 3 in Feb (never seen), 1 in Mar (seen in Jan):
 * share 1/2. Runs: 1 Jan..Feb 31 days, 1 Mar ongoing 0 days, 2 Jan..Mar
 * 59 days, 3 Feb..Mar ongoing 28 days: median (28 + 31) / 2.
 */
static void
test_rewiring(void **state)
{
	const uint32_t a[] = {1, 2}, b[] = {2, 3}, c[] = {1, 3};
	struct bph_as_relsnap rel[] = {
	    {"2026-01-01", a, 2}, {"2026-02-01", b, 2}, {"2026-03-01", c, 2}};
	struct bph_as_history h;
	(void)state;

	assert_int_equal(bph_as_history(rel, 3, NULL, 0, &h), 0);
	assert_int_equal(h.distinct_providers, 3);
	assert_int_equal(h.provider_changes, 2);
	assert_int_equal(h.provider_additions, 2);
	assert_int_equal(h.new_provider_additions, 1);
	assert_true(h.new_provider_share == 0.5);
	assert_int_equal(h.provider_links.runs, 4);
	assert_int_equal(h.provider_links.ongoing, 2);
	assert_true(h.provider_links.min_days == 0);
	assert_true(h.provider_links.max_days == 59);
	assert_true(h.provider_links.median_days == 29.5);
}

/*
 * Prefixes: day 1 {A}, day 2 {}, day 3 {A, B (multi-origin)}, day 4 {}.
 * Seen from day 1 to day 3, up on 2 of those 3 days; dropped on day 2 and
 * again before day 4: 2 drops. MOAS: 1 of 3 sightings. Runs: A day 1..2,
 * A day 3..4, B day 3..4: 1 day each, none ongoing.
 */
static void test_origin_churn(void **state)
{
	struct bph_range a[1], ab[2];
	a[0] = P("192.0.2.0/24");
	ab[0] = P("192.0.2.0/24");
	ab[1] = P("198.51.100.0/24");
	struct bph_as_pfxsnap pfx[] = {{"2026-01-01", a, 1, 0},
				       {"2026-01-02", NULL, 0, 0},
				       {"2026-01-03", ab, 2, 1},
				       {"2026-01-04", NULL, 0, 0}};
	struct bph_as_history h;
	(void)state;

	assert_int_equal(bph_as_history(NULL, 0, pfx, 4, &h), 0);
	assert_int_equal(h.distinct_prefixes, 2);
	assert_int_equal(h.origin_drops, 2);
	assert_true(h.uptime > 0.666 && h.uptime < 0.667);
	assert_true(h.moas_share > 0.333 && h.moas_share < 0.334);
	assert_int_equal(h.announcements.runs, 3);
	assert_int_equal(h.announcements.ongoing, 0);
	assert_true(h.announcements.median_days == 1);
}

static struct bph_rdb *load(const char *const *names, size_t n)
{
	struct bph_rdb *db;
	const char *src = getenv("BPH_SRCDIR");

	assert_int_equal(bph_rdb_new(&db), 0);
	for (size_t i = 0; i < n; i++) {
		char path[1024], err[256];
		struct bph_parse_opts o = {0};
		struct bph_parse_result res;
		struct bph_rsink sink;
		snprintf(path, sizeof(path), "%s/tests/data/ranges/%s",
			 src ? src : ".", names[i]);
		assert_int_equal(bph_detect_file(path, &o.kind, err, 256), 0);
		struct bph_rsource s = {
		    o.kind, names[i], "2026-12-06", path, "", 0, 0};
		assert_int_equal(bph_rdb_begin(db, &s, &sink), 0);
		assert_int_equal(
		    bph_parse_file(path, &o, &sink, &res, err, sizeof(err)), 0);
	}
	assert_int_equal(bph_rdb_finish(db), 0);
	return db;
}

/* 192.0.2.0/24 (bogon, allocated), 198.51.100.0/24 and its /25 (bogon,
 * allocated; the /25 counted once), 8.8.8.0/23 (in no delegated block):
 * 1024 addresses, 512 in /24s, 512 bogon, 512 unassigned. */
static void test_space(void **state)
{
	const char *files[] = {"delegated-ripencc-extended-20261206"};
	struct bph_rdb *db = load(files, 1);
	struct bph_range p[] = {P("192.0.2.0/24"), P("198.51.100.0/24"),
				P("198.51.100.0/25"), P("8.8.8.0/23"),
				P("2001:db8::/32")};
	struct bph_as_space s;
	(void)state;

	bph_as_space(db, p, 5, &s);
	assert_int_equal(s.prefixes_v4, 4);
	assert_int_equal(s.prefixes_v6, 1);
	assert_true(s.v4_addresses == 1024);
	assert_int_equal(s.prefixes_24, 3);
	assert_true(s.share_in_24s == 0.5);
	assert_true(s.bogon_share == 0.5);
	assert_true(s.unassigned_known);
	assert_true(s.unassigned_share == 0.5);
	bph_rdb_free(db);
}

/* 198.51.100.0/24 sits in a SUB-ALLOCATED PA under the LIR's ALLOCATED PA
 * (ORG-EXL1-RIPE, aut-num AS64497). Announced by AS64502, unrelated to
 * AS64497: leased. The /26 under it, announced by AS64496, a customer of
 * AS64497 (64497|64496|-1): not leased. The /22 itself is no
 * sub-allocation. */
static void test_leased(void **state)
{
	const char *files[] = {"ripe.db.sample", "20261201.as-rel2.txt",
			       "20261001.as-org2info.txt"};
	struct bph_rdb *db = load(files, 3);
	struct bph_range sub = P("198.51.100.0/24"),
			 assigned = P("198.51.100.0/26"),
			 alloc = P("198.51.100.0/22");
	struct bph_leased l[2];
	struct bph_inetnum in;
	(void)state;

	assert_int_equal(bph_as_leased(db, 64502, &sub, 1, l, 2), 1);
	assert_string_equal(l[0].holder_org, "ORG-EXL1-RIPE");
	assert_int_equal(l[0].holder_asn, 64497);
	assert_true(bph_rdb_inetnum_get(db, l[0].leaf, &in));
	assert_string_equal(in.status, "SUB-ALLOCATED PA");
	assert_int_equal(bph_as_leased(db, 64496, &assigned, 1, l, 2), 0);
	assert_int_equal(bph_as_leased(db, 64510, &assigned, 1, l, 2), 1);
	assert_int_equal(bph_as_leased(db, 64502, &alloc, 1, l, 2), 0);
	bph_rdb_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rewiring),
	    cmocka_unit_test(test_origin_churn),
	    cmocka_unit_test(test_space),
	    cmocka_unit_test(test_leased),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

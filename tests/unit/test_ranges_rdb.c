/* The in-memory database (ranges/rdb.h) loaded from the fixtures of
 * tests/data/ranges/: the pinned semantics (A|B|-1 makes A B's provider,
 * multi-origin prefixes keep every origin in order, the DROP metadata date
 * is the list date, the RIPE Abuse Finder order), routes, siblings,
 * upstreams with ASN-DROP, inetnums and list hits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fingerprints/err.h"
#include "ranges/rdb.h"
#include "testlib/ranges_fixture.h"

static const struct bph_test_rfile files[] = {
    {"routeviews-rv2-20261206-1200.pfx2as", "pfx2as"},
    {"20261201.as-rel2.txt", "asrel"},
    {"20261001.as-org2info.txt", "as2org"},
    {"delegated-ripencc-extended-20261206", "delegated"},
    {"ripe.db.sample", "ripe"},
    {"drop_v4.json", "spamhaus-drop"},
    {"drop_v6.json", "spamhaus-drop"},
    {"asndrop.json", "spamhaus-asndrop"},
    {"ipblocklist.csv", "feodo"},
    {"example_level1.netset", "firehol_level1"},
    {"block.txt", "dshield"},
};

static int load(void **state)
{
	*state =
	    bph_test_rdb_load(files, sizeof(files) / sizeof(files[0]), NULL);
	return 0;
}

static int unload(void **state)
{
	bph_rdb_free(*state);
	return 0;
}

static struct bph_addr A(const char *s) {
	struct bph_addr a;
	assert_int_equal(bph_addr_parse(s, strlen(s), &a), 0);
	return a;
}

static void
test_route(void **state)
{
	const struct bph_rdb *db = *state;
	struct bph_route r;
	struct bph_addr a = A("192.0.2.200");
	char buf[BPH_RANGE_STRLEN];

	assert_true(bph_rdb_route(db, &a, &r));
	bph_range_format(&r.prefix, buf);
	assert_string_equal(buf, "192.0.2.128/25"); /* longest match */
	assert_int_equal(r.asn, 64497);
	assert_string_equal(r.as_name, "EXAMPLE-TRANSIT");
	assert_string_equal(r.org_name, "Example Transit Inc");
	assert_string_equal(r.country, "US");
	assert_string_equal(r.rir, "ripencc"); /* delegated beats as2org */

	a = A("2001:db8:bad::7");
	assert_true(bph_rdb_route(db, &a, &r));
	assert_int_equal(r.asn, 64496);
	a = A("100.64.0.1");
	assert_false(bph_rdb_route(db, &a, &r));
}

/* Multi-origin prefixes keep all origins, in the file's order. */
static void test_moas(void **state)
{
	const struct bph_rdb *db = *state;
	struct bph_route r;
	struct bph_addr a = A("198.51.101.5");

	assert_true(bph_rdb_route(db, &a, &r));
	assert_int_equal(r.n_origins, 2);
	assert_int_equal(r.origins[0].asn, 64497);
	assert_int_equal(r.origins[1].asn, 64498);
	assert_int_equal(r.asn, 64497);

	a = A("203.0.113.70"); /* 64501_64499,64500 */
	assert_true(bph_rdb_route(db, &a, &r));
	assert_int_equal(r.n_origins, 3);
	assert_int_equal(r.origins[0].asn, 64501);
	assert_int_equal(r.origins[1].group, r.origins[2].group);
	assert_true(r.origins[0].group != r.origins[1].group);
}

/* "A|B|-1" means A is B's provider. */
static void test_asrel_direction(void **state)
{
	const struct bph_rdb *db = *state;
	uint32_t v[8];

	assert_int_equal(bph_rdb_neighbours(db, 64496, BPH_REL_PROVIDERS, v, 8),
			 2);
	assert_int_equal(v[0], 64497);
	assert_int_equal(v[1], 64511);
	assert_int_equal(bph_rdb_neighbours(db, 64497, BPH_REL_CUSTOMERS, v, 8),
			 1);
	assert_int_equal(v[0], 64496);
	assert_int_equal(bph_rdb_neighbours(db, 64497, BPH_REL_PROVIDERS, v, 8),
			 1);
	assert_int_equal(v[0], 64510);
	assert_int_equal(bph_rdb_neighbours(db, 64498, BPH_REL_PEERS, v, 8), 1);
	assert_int_equal(v[0], 64497);
	/* 64496|64499|2 was rejected, 64496|64499|-1 kept */
	assert_int_equal(bph_rdb_neighbours(db, 64499, BPH_REL_PROVIDERS, v, 8),
			 1);
	assert_int_equal(bph_rdb_neighbours(db, 64496, BPH_REL_CUSTOMERS, v, 0),
			 1);
}

static void test_siblings_and_prefixes(void **state)
{
	const struct bph_rdb *db = *state;
	uint32_t v[4];
	struct bph_asinfo ai;

	assert_int_equal(bph_rdb_siblings(db, 64496, v, 4), 1);
	assert_int_equal(v[0], 64499);
	assert_true(bph_rdb_asinfo(db, 64496, &ai));
	assert_string_equal(ai.org_name, "Example Hosting Ltd");
	assert_true(bph_rdb_asinfo(db, 64510, &ai)); /* aut-num only */
	assert_string_equal(ai.name, "EXAMPLE-UPSTREAM");
	assert_string_equal(ai.org_name, "Example Reseller");
	assert_false(bph_rdb_asinfo(db, 65000, &ai));
}

static int count_prefix(const struct bph_range *p, void *arg)
{
	char buf[BPH_RANGE_STRLEN];
	bph_range_format(p, buf);
	strcat(arg, buf);
	strcat(arg, " ");
	return 0;
}

static void test_prefixes_of(void **state)
{
	const struct bph_rdb *db = *state;
	char out[256] = "";

	assert_int_equal(bph_rdb_prefixes_of(db, 64496, count_prefix, out), 0);
	assert_string_equal(out, "192.0.2.0/24 2001:db8:bad::/48 ");
	out[0] = '\0';
	bph_rdb_prefixes_of(db, 64500, count_prefix, out); /* AS-set member */
	assert_string_equal(out, "203.0.113.0/24 203.0.113.64/26 ");
}

/* The RIPE order: the inetnum's abuse-c, its org's, its irt, then each
 * parent's; the inetnum's abuse-c beats the parent's org. */
static void test_abuse_finder_order(void **state)
{
	const struct bph_rdb *db = *state;
	struct bph_abuse ab[8];
	struct bph_addr a = A("198.51.100.10");
	char how[256];

	/* the /26 has no abuse-c: its org's comes first */
	assert_int_equal(bph_rdb_abuse_addr(db, &a, ab, 8), 4);
	assert_string_equal(ab[0].mailbox, "abuse@bph.example");
	assert_int_equal(ab[0].how, BPH_ABUSE_VIA_ORG);
	assert_int_equal(ab[0].depth, 0);
	bph_abuse_describe(&ab[0], how, sizeof(how));
	assert_string_equal(how,
			    "abuse-c EXBPHAB1-RIPE of organisation "
			    "ORG-EXBPH1-RIPE (org of inetnum 198.51.100.0/26)");
	assert_string_equal(ab[1].mailbox, "abuse@reseller.example");
	assert_int_equal(ab[1].how, BPH_ABUSE_VIA_ABUSE_C);
	assert_int_equal(ab[1].depth, 1);
	assert_string_equal(ab[2].mailbox, "org-abuse@reseller.example");
	assert_int_equal(ab[2].how, BPH_ABUSE_VIA_ORG);
	assert_string_equal(ab[3].mailbox, "abuse@lir.example");
	assert_int_equal(ab[3].depth, 2);

	/* no abuse-c and no org on the /26: the parent's abuse-c, before the
	 * parent's org */
	a = A("198.51.100.70");
	assert_int_equal(bph_rdb_abuse_addr(db, &a, ab, 1), 3);
	assert_string_equal(ab[0].mailbox, "abuse@reseller.example");
	assert_int_equal(ab[0].how, BPH_ABUSE_VIA_ABUSE_C);
	bph_abuse_describe(&ab[0], how, sizeof(how));
	assert_string_equal(how, "abuse-c EXAB1-RIPE of inetnum "
				 "198.51.100.0/24 (parent)");

	a = A("2001:db8::1"); /* org abuse-c, then the irt */
	assert_int_equal(bph_rdb_abuse_addr(db, &a, ab, 8), 2);
	assert_string_equal(ab[0].mailbox, "abuse@lir.example");
	assert_string_equal(ab[1].mailbox, "irt@lir.example");
	assert_int_equal(ab[1].how, BPH_ABUSE_VIA_IRT);

	a = A("192.0.2.1"); /* no inetnum at all */
	assert_int_equal(bph_rdb_abuse_addr(db, &a, ab, 8), 0);
}

static void test_inetnum(void **state)
{
	const struct bph_rdb *db = *state;
	struct bph_inetnum in, up;
	struct bph_addr a = A("198.51.100.10");

	assert_true(bph_rdb_inetnum(db, &a, &in));
	assert_string_equal(in.netname, "EXAMPLE-BPH-NET");
	assert_string_equal(in.org_name, "Example Hosting Ltd");
	assert_true(in.sub_allocation); /* under a SUB-ALLOCATED PA */
	assert_true(bph_rdb_inetnum_get(db, in.parent, &up));
	assert_string_equal(up.netname, "EXAMPLE-RESELLER-NET");
	a = A("198.51.101.1");
	assert_true(bph_rdb_inetnum(db, &a, &in));
	assert_string_equal(in.status, "ALLOCATED PA");
	assert_false(in.sub_allocation);
	assert_int_equal(in.parent, -1);
}

static void test_upstreams(void **state)
{
	const struct bph_rdb *db = *state;
	struct bph_upstream u[4];

	assert_int_equal(bph_rdb_upstreams(db, 64496, u, 4), 2);
	assert_int_equal(u[0].asn, 64497);
	assert_string_equal(u[0].name, "EXAMPLE-TRANSIT");
	assert_string_equal(u[0].rel_source, "bgp");
	assert_true(u[0].has_abuse);
	assert_string_equal(u[0].abuse.mailbox, "abuse@lir.example");
	assert_string_equal(u[0].abuse.object, "aut-num AS64497");
	assert_false(u[0].asn_listed);
	assert_int_equal(u[1].asn, 64511);
	assert_string_equal(u[1].rel_source, "mlp");
	assert_true(u[1].asn_listed);
	assert_string_equal(u[1].listing.list, "spamhaus-asndrop");
	assert_string_equal(u[1].listing.list_date, "2025-12-06");
	assert_false(u[1].has_abuse);

	struct bph_abuse ab[2];
	assert_int_equal(bph_rdb_abuse_asn(db, 64496, ab, 2), 1);
	assert_string_equal(ab[0].mailbox, "abuse@bph.example");
}

static void test_listed(void **state)
{
	const struct bph_rdb *db = *state;
	struct bph_list_hit h[4];
	struct bph_addr a = A("198.51.100.10");

	/* most specific first: Feodo's /32 inside DROP's /22 */
	assert_int_equal(bph_rdb_listed(db, &a, h, 4), 2);
	assert_string_equal(h[0].list, "feodo");
	assert_string_equal(h[0].ref, "QakBot");
	assert_string_equal(h[0].date, "2026-11-02");
	assert_string_equal(h[1].list, "spamhaus-drop");
	assert_string_equal(h[1].entry, "198.51.100.0/22");
	assert_string_equal(h[1].ref, "SBL000002");
	assert_string_equal(h[1].date, "2025-12-06"); /* the metadata date */
	assert_true(strstr(h[1].licence, "Spamhaus") != NULL);

	a = A("192.0.2.9"); /* DROP, FireHOL and DShield */
	assert_int_equal(bph_rdb_listed(db, &a, h, 4), 3);
	assert_int_equal(bph_rdb_listed(db, &a, h, 1), 3);
	a = A("192.0.2.9");
	size_t n = bph_rdb_listed(db, &a, h, 4);
	unsigned flags = 0;
	for (size_t i = 0; i < n; i++)
		flags |= h[i].licence_flags;
	assert_int_equal(flags, BPH_LIC_NC | BPH_LIC_SA); /* DShield */

	a = A("2001:db8:bad::1");
	assert_int_equal(bph_rdb_listed(db, &a, h, 4), 1);
	a = A("203.0.113.200");
	assert_int_equal(bph_rdb_listed(db, &a, h, 4), 1); /* DShield */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_route),
	    cmocka_unit_test(test_moas),
	    cmocka_unit_test(test_asrel_direction),
	    cmocka_unit_test(test_siblings_and_prefixes),
	    cmocka_unit_test(test_prefixes_of),
	    cmocka_unit_test(test_abuse_finder_order),
	    cmocka_unit_test(test_inetnum),
	    cmocka_unit_test(test_upstreams),
	    cmocka_unit_test(test_listed),
	};
	return cmocka_run_group_tests(tests, load, unload);
}

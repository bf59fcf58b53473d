/* The --rank-file reader (abuse/rankfile.c): bphound rank's CSV and JSON
 * Lines, the three kinds of unit, and errors naming line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abuse/rankfile.h"
#include "fingerprints/err.h"

static size_t parse(const char *text, struct bph_rank_unit **u, char *err)
{
	size_t n = 0;
	int rc =
	    bph_rankfile_parse(text, strlen(text), "rank.csv", u, &n, err, 256);
	if (rc)
		fail_msg("%s", err);
	return n;
}

static void test_csv(void **state)
{
	(void)state;
	struct bph_rank_unit *u;
	char err[256];
	/* the columns of bphound rank --format csv */
	const char *csv =
	    "rank,unit,name,score,listed_share,space,listed_any,hosts,linked,"
	    "linked_density,prefixes,\"listed:drop\"\r\n"
	    "1,\"198.18.20.0/24\",\"\",0.5,1,256,256,1,1,0.0039,1,256\r\n"
	    "2,\"AS64500\",\"ALPHA-AS, \"\"the\"\" panel\",0.25,0.5,512,256,4,"
	    "4,0.0078,2,256\r\n"
	    "\r\n"
	    "3,\"ORG-ALPHA1-TEST\",\"Alpha\",0.1,0.2,512,102,4,4,0.0078,2,"
	    "102\n"
	    "4,\"2001:db8:bad::/48\",\"\",0,0,1,0,0,0,0,1,0\n";
	size_t n = parse(csv, &u, err);
	assert_int_equal(n, 4);
	assert_int_equal(u[0].kind, BPH_UNIT_PREFIX);
	assert_int_equal(u[0].cidr.len, 24);
	assert_true(u[0].score == 0.5);
	assert_int_equal(u[1].kind, BPH_UNIT_ASN);
	assert_int_equal(u[1].asn, 64500);
	assert_int_equal(u[1].rank, 2);
	assert_int_equal(u[2].kind, BPH_UNIT_ORG);
	assert_string_equal(u[2].text, "ORG-ALPHA1-TEST");
	assert_int_equal(u[3].cidr.family, 6);
	free(u);
}

static void test_jsonl(void **state)
{
	(void)state;
	struct bph_rank_unit *u;
	char err[256];
	const char *jl =
	    "{\"rank\":1,\"unit\":\"AS64511\",\"name\":\"T\",\"score\":2.5}\n"
	    "  {\"unit\":\"198.18.10.0/24\",\"lists\":[]}\n";
	size_t n = parse(jl, &u, err);
	assert_int_equal(n, 2);
	assert_int_equal(u[0].asn, 64511);
	assert_true(u[0].score == 2.5);
	assert_int_equal(u[1].rank, 2); /* no rank: its position */
	free(u);
	/* an empty ranking (a header, no row) */
	n = parse("rank,unit,score\n", &u, err);
	assert_int_equal(n, 0);
	free(u);
}

static void expect_error(const char *text, const char *want)
{
	struct bph_rank_unit *u = NULL;
	char err[256] = "";
	size_t n;
	assert_int_equal(bph_rankfile_parse(text, strlen(text), "rank.csv", &u,
					    &n, err, sizeof(err)),
			 BPH_ERR_FORMAT);
	if (!strstr(err, want))
		fail_msg("'%s' gave '%s', not '%s'", text, err, want);
	assert_null(u);
}

static void test_errors(void **state)
{
	(void)state;
	/* the text format is for people */
	expect_error("rank  unit                  score\n   1  AS64500  0.5\n",
		     "rank.csv:1:1: no \"unit\" column");
	expect_error("unit\n198.18.10.1/24\n", "rank.csv:2:1: not a unit");
	expect_error("rank,unit\n1,AS99999999999\n",
		     "rank.csv:2:3: not a unit");
	expect_error("rank,unit\n1,\"AS1\n", "rank.csv:2:");
	expect_error("rank,unit\n1,AS1,x\n", "not as many fields");
	expect_error("unit\nx\"y\n", "rank.csv:2:2: malformed CSV field");
	expect_error("{\"unit\":\"AS1\"}\n{\"unit\":5}\n",
		     "rank.csv:2:1: no string \"unit\"");
	expect_error("{\"unit\":\"AS1\"\n", "rank.csv:1:");
	expect_error("unit\nORG with spaces\n", "not a unit");
	expect_error("unit\nfe80::1/64\n", "not a unit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csv),
	    cmocka_unit_test(test_jsonl),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

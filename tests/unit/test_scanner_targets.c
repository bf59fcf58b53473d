/* Targets, exclusions, reserved ranges and port lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fingerprints/err.h"
#include "scanner/targets.h"

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | b << 16 | c << 8 | d;
}

static struct bph_targets *make(const char *const *specs, size_t n, bool allow)
{
	struct bph_targets *t;
	char err[256];

	assert_int_equal(bph_targets_new(&t), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(
		    bph_targets_add_spec(t, specs[i], err, sizeof(err)), 0);
	assert_int_equal(bph_targets_finalize(t, allow), 0);
	return t;
}

static void test_single_cidr_range(void **state)
{
	(void)state;
	const char *specs[] = {"8.8.8.8", "1.2.3.77/24", "9.0.0.250-9.0.1.4"};
	struct bph_targets *t = make(specs, 3, false);
	uint64_t idx;

	assert_int_equal(bph_targets_count(t), 1 + 256 + 11);
	assert_int_equal(bph_targets_at(t, 0), ip4(1, 2, 3, 0));
	assert_int_equal(bph_targets_at(t, 255), ip4(1, 2, 3, 255));
	assert_int_equal(bph_targets_at(t, 256), ip4(8, 8, 8, 8));
	assert_int_equal(bph_targets_at(t, 257), ip4(9, 0, 0, 250));
	assert_int_equal(bph_targets_at(t, 267), ip4(9, 0, 1, 4));
	for (uint64_t i = 0; i < bph_targets_count(t); i++) {
		assert_true(
		    bph_targets_index_of(t, bph_targets_at(t, i), &idx));
		assert_int_equal(idx, i);
	}
	assert_false(bph_targets_index_of(t, ip4(8, 8, 8, 9), &idx));
	assert_false(bph_targets_index_of(t, ip4(9, 0, 1, 5), &idx));
	bph_targets_free(t);
}

static void test_overlap_merge(void **state)
{
	(void)state;
	const char *specs[] = {"5.0.0.0/24", "5.0.0.128/25", "5.0.1.0/24",
			       "5.0.0.5"};
	struct bph_targets *t = make(specs, 4, false);

	assert_int_equal(bph_targets_count(t), 512);
	assert_int_equal(bph_targets_at(t, 511), ip4(5, 0, 1, 255));
	bph_targets_free(t);
}

static void test_exclusions(void **state)
{
	(void)state;
	struct bph_targets *t;
	char err[256];

	assert_int_equal(bph_targets_new(&t), 0);
	assert_int_equal(bph_targets_add_spec(t, "20.0.0.0/16", err, 256), 0);
	assert_int_equal(bph_targets_exclude_spec(t, "20.0.0.0/24", err, 256),
			 0);
	assert_int_equal(bph_targets_exclude_spec(t, "20.0.5.7", err, 256), 0);
	assert_int_equal(
	    bph_targets_exclude_spec(t, "20.0.255.0-21.0.0.0", err, 256), 0);
	assert_int_equal(bph_targets_finalize(t, false), 0);
	assert_int_equal(bph_targets_count(t), 65536 - 256 - 1 - 256);
	assert_int_equal(bph_targets_at(t, 0), ip4(20, 0, 1, 0));
	for (uint64_t i = 0; i < bph_targets_count(t); i++) {
		uint32_t a = bph_targets_at(t, i);
		assert_true(a != ip4(20, 0, 5, 7));
		assert_true(a >= ip4(20, 0, 1, 0) && a < ip4(20, 0, 255, 0));
	}
	bph_targets_free(t);
}

static void test_reserved(void **state)
{
	(void)state;
	const char *specs[] = {"198.18.0.0/15",	 "10.1.2.3",	   "127.0.0.1",
			       "192.168.0.0/16", "224.0.0.1",	   "8.8.8.8",
			       "100.64.0.0/10",	 "255.255.255.255"};
	struct bph_targets *t = make(specs, 8, false);

	assert_int_equal(bph_targets_count(t), 1);
	assert_int_equal(bph_targets_at(t, 0), ip4(8, 8, 8, 8));
	bph_targets_free(t);
	t = make(specs, 8, true);
	assert_int_equal(bph_targets_count(t),
			 131072 + 1 + 1 + 65536 + 1 + 1 + 4194304 + 1);
	bph_targets_free(t);
	assert_true(bph_ip_is_reserved(ip4(172, 31, 255, 255)));
	assert_false(bph_ip_is_reserved(ip4(172, 32, 0, 0)));
	assert_true(bph_ip_is_reserved(ip4(0, 1, 2, 3)));
	assert_true(bph_ip_is_reserved(ip4(240, 0, 0, 1)));
	assert_false(bph_ip_is_reserved(ip4(198, 20, 0, 0)));
	/* zmap's blocklist leaves 3,702,258,432 addresses scannable */
	t = make((const char *[]){"0.0.0.0/0"}, 1, false);
	assert_int_equal(bph_targets_count(t), 3702258432ULL);
	bph_targets_free(t);
	t = make((const char *[]){"0.0.0.0/0"}, 1, true);
	assert_int_equal(bph_targets_count(t), 4294967296ULL);
	assert_int_equal(bph_targets_at(t, 4294967295ULL), 0xffffffffu);
	bph_targets_free(t);
}

static void expect_bad(const char *spec, const char *msg)
{
	struct bph_targets *t;
	char err[256] = "";

	assert_int_equal(bph_targets_new(&t), 0);
	assert_int_equal(bph_targets_add_spec(t, spec, err, sizeof(err)),
			 BPH_ERR_USAGE);
	if (!strstr(err, msg))
		fail_msg("spec '%s': got '%s', want '%s'", spec, err, msg);
	bph_targets_free(t);
}

static void test_bad_specs(void **state)
{
	(void)state;
	expect_bad("1.2.3.256", "column 7: octet greater than 255");
	expect_bad("1.2.3", "column 6: expected '.'");
	expect_bad("1.2.3.4/33", "column 9: prefix length greater than 32");
	expect_bad("1.2.3.4/", "column 9: expected a prefix length");
	expect_bad("1.2.3.9-1.2.3.4", "column 9: range end below its start");
	expect_bad("1.2.3.4x", "column 8: unexpected character");
	expect_bad("", "column 1: expected an octet");
	expect_bad("a.b.c.d", "column 1: expected an octet");
	expect_bad("01.2.3.4", "column 1: leading zero");
	expect_bad("1.2.3.4 ", "column 8: unexpected character");
	expect_bad("99999999999.1.1.1", "column 1: octet greater than 255");
}

static void test_file(void **state)
{
	(void)state;
	char path[] = "/tmp/bph_targets_XXXXXX";
	int fd = mkstemp(path);
	struct bph_targets *t;
	char err[256] = "";
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# comment\n\n  30.0.0.0/30   # four\r\n30.0.0.10\n", f);
	fclose(f);
	assert_int_equal(bph_targets_new(&t), 0);
	assert_int_equal(bph_targets_add_file(t, path, err, sizeof(err)), 0);
	assert_int_equal(bph_targets_finalize(t, false), 0);
	assert_int_equal(bph_targets_count(t), 5);
	bph_targets_free(t);

	f = fopen(path, "w");
	fputs("30.0.0.1\n\n  30.0.0.300/8\n", f);
	fclose(f);
	assert_int_equal(bph_targets_new(&t), 0);
	assert_int_equal(bph_targets_add_file(t, path, err, sizeof(err)),
			 BPH_ERR_USAGE);
	char want[300];
	snprintf(want, sizeof(want), "%s:3:10: octet greater than 255", path);
	assert_string_equal(err, want);
	assert_int_equal(
	    bph_targets_exclude_file(t, "/nonexistent/x", err, sizeof(err)),
	    BPH_ERR_IO);
	bph_targets_free(t);

	/* text after a NUL byte is not silently dropped */
	f = fopen(path, "w");
	fwrite("30.0.0.1\n30.0.0.2\0 30.0.0.3\n", 1, 28, f);
	fclose(f);
	assert_int_equal(bph_targets_new(&t), 0);
	assert_int_equal(bph_targets_add_file(t, path, err, sizeof(err)),
			 BPH_ERR_USAGE);
	snprintf(want, sizeof(want), "%s:2:9: NUL byte", path);
	assert_string_equal(err, want);
	bph_targets_free(t);
	unlink(path);
}

static void test_ports(void **state)
{
	(void)state;
	uint16_t *p = NULL;
	size_t n = 0;
	char err[256] = "";

	assert_int_equal(bph_ports_parse("80,22,8000-8003,22,65535", &p, &n,
					 err, sizeof(err)),
			 0);
	assert_int_equal(n, 7);
	uint16_t want[] = {22, 80, 8000, 8001, 8002, 8003, 65535};
	assert_memory_equal(p, want, sizeof(want));
	free(p);
	assert_int_equal(bph_ports_parse("1-65535", &p, &n, err, 256), 0);
	assert_int_equal(n, 65535);
	free(p);

	const struct {
		const char *spec, *msg;
	} bad[] = {
	    {"", "column 1: expected a port number"},
	    {"0", "column 1: port 0"},
	    {"22,", "column 4: expected a port number"},
	    {"22,65536", "column 4: port above 65535"},
	    {"90-80", "column 4: range end below its start"},
	    {"22;80", "column 3: unexpected character"},
	    {"22,,80", "column 4: expected a port number"},
	    {"x", "column 1: expected a port number"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(bph_ports_parse(bad[i].spec, &p, &n, err, 256),
				 BPH_ERR_USAGE);
		if (!strstr(err, bad[i].msg))
			fail_msg("ports '%s': got '%s'", bad[i].spec, err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_cidr_range),
	    cmocka_unit_test(test_overlap_merge),
	    cmocka_unit_test(test_exclusions),
	    cmocka_unit_test(test_reserved),
	    cmocka_unit_test(test_bad_specs),
	    cmocka_unit_test(test_file),
	    cmocka_unit_test(test_ports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

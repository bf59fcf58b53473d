/* The --allowlist reader (abuse/addrlist.c): entries, comments, CRLF,
 * and errors that name the line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abuse/addrlist.h"
#include "fingerprints/err.h"

static int parse(const char *text, struct bph_rangeset *s, size_t *n, char *err)
{
	return bph_addrlist_parse(text, strlen(text), "allow.txt", s, n, err,
				  256);
}

static void test_good(void **state)
{
	(void)state;
	struct bph_rangeset s = {0};
	char err[256] = "";
	size_t n = 0;
	const char *text = "# our own ranges\r\n"
			   "198.18.10.0/28\r\n"
			   "  198.18.20.10   # the panel\n"
			   "\n"
			   "2001:db8::/48 ; v6\n"
			   "\t\n"
			   "198.18.10.8/29"; /* no final newline */
	assert_int_equal(parse(text, &s, &n, err), 0);
	assert_int_equal(n, 4);
	bph_rangeset_normalize(&s);
	assert_int_equal(s.n, 3); /* the /29 lies in the /28 */
	struct bph_cidr c;
	bph_cidr_parse("198.18.20.10", &c, NULL, NULL);
	assert_true(bph_rangeset_contains(&s, 4, c.addr));
	bph_cidr_parse("198.18.10.16", &c, NULL, NULL);
	assert_false(bph_rangeset_contains(&s, 4, c.addr));
	bph_rangeset_free(&s);
	assert_int_equal(parse("", &s, &n, err), 0);
	assert_int_equal(n, 0);
}

static void expect_error(const char *text, const char *where, const char *what)
{
	struct bph_rangeset s = {0};
	char err[256] = "";
	size_t n;
	assert_int_equal(parse(text, &s, &n, err), BPH_ERR_FORMAT);
	if (!strstr(err, where) || !strstr(err, what))
		fail_msg("'%s' gave '%s', not %s ... %s", text, err, where,
			 what);
	bph_rangeset_free(&s);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("198.18.10.0/24\n198.18.10.1/24\n",
		     "allow.txt:2:12:", "host bits");
	expect_error("# x\n  bogus\n",
		     "allow.txt:2:3:", "not an IPv4 or IPv6 address");
	expect_error("198.18.10.0/24 198.18.11.0/24\n",
		     "allow.txt:1:16:", "one address or prefix a line");
	expect_error("10.0.0.0/40\n", "allow.txt:1:10:", "prefix length");
	struct bph_rangeset s = {0};
	char err[256] = "";
	assert_int_equal(bph_addrlist_parse("1.2.3.4\n5.6\0.7.8\n", 17,
					    "allow.txt", &s, NULL, err,
					    sizeof(err)),
			 BPH_ERR_FORMAT);
	assert_non_null(strstr(err, "allow.txt:2:4: NUL byte"));
	bph_rangeset_free(&s);
	char *big = malloc(BPH_ADDRLIST_MAX_LINE + 10);
	memset(big, ' ', BPH_ADDRLIST_MAX_LINE + 9);
	big[BPH_ADDRLIST_MAX_LINE + 9] = '\0';
	expect_error(big, "allow.txt:1:", "line too long");
	free(big);
}

static void test_load(void **state)
{
	(void)state;
	char path[] = "/tmp/bph-allow-XXXXXX", err[256] = "";
	struct bph_rangeset s = {0};
	size_t n;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "198.18.10.10\n", 13), 13);
	close(fd);
	assert_int_equal(bph_addrlist_load(path, &s, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	unlink(path);
	assert_int_equal(bph_addrlist_load(path, &s, &n, err, sizeof(err)),
			 BPH_ERR_IO);
	assert_non_null(strstr(err, path));
	bph_rangeset_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

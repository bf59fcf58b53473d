/* The YAML list weights of `bphound rank` (ranges/weights.h): both forms,
 * and errors that name the line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fingerprints/err.h"
#include "ranges/weights.h"

static int parse(const char *s, struct bph_weights *w, char *err)
{
	return bph_weights_parse(s, strlen(s), "w.yaml", w, err, 256);
}

static void test_forms(void **state)
{
	struct bph_weights w;
	char err[256] = "";
	(void)state;

	assert_int_equal(
	    parse("# weights\nspamhaus-drop: 10\n"
		  "feodo: {impact: 5}\n"
		  "dshield:\n  impact: 0.5\n  licence: CC BY-NC-SA\n",
		  &w, err),
	    0);
	assert_int_equal(w.n, 3);
	assert_true(bph_weights_get(&w, "spamhaus-drop", 1) == 10);
	assert_true(bph_weights_get(&w, "feodo", 1) == 5);
	assert_true(bph_weights_get(&w, "dshield", 1) == 0.5);
	assert_string_equal(w.v[2].licence, "CC BY-NC-SA");
	assert_true(bph_weights_get(&w, "other", 1) == 1);
	bph_weights_free(&w);
	assert_int_equal(parse("", &w, err), 0);
	assert_int_equal(w.n, 0);
	bph_weights_free(&w);
}

static void test_errors(void **state)
{
	struct bph_weights w;
	char err[256] = "";
	(void)state;

	assert_int_equal(parse("a: 1\nb: lots\n", &w, err), BPH_ERR_FORMAT);
	assert_string_equal(err, "w.yaml:2:4: the impact is not a non-negative "
				 "number");
	assert_int_equal(parse("a: -1\n", &w, err), BPH_ERR_FORMAT);
	assert_int_equal(parse("a: {weight: 2}\n", &w, err), BPH_ERR_FORMAT);
	assert_non_null(strstr(err, "w.yaml:1:5: unknown key"));
	assert_int_equal(parse("- a\n- b\n", &w, err), BPH_ERR_FORMAT);
	assert_non_null(strstr(err, "expected a mapping"));
	assert_int_equal(parse("a: [1]\n", &w, err), BPH_ERR_FORMAT);
	assert_int_equal(parse("a: {}\n", &w, err), BPH_ERR_FORMAT);
	assert_non_null(strstr(err, "no impact"));
	assert_int_equal(parse("a: 1\n  b: [\n", &w, err), BPH_ERR_FORMAT);
	assert_int_equal(parse("a: nan\n", &w, err), BPH_ERR_FORMAT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forms),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

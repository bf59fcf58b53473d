#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cluster/unionfind.h"

static void test_union_find_components(void **state)
{
	(void)state;
	struct bph_uf uf;
	assert_int_equal(bph_uf_init(&uf, 6), 0);
	assert_int_equal(bph_uf_union(&uf, 0, 1), 1);
	assert_int_equal(bph_uf_union(&uf, 1, 2), 1);
	assert_int_equal(bph_uf_union(&uf, 2, 0), 0); /* already joined */
	assert_int_equal(bph_uf_union(&uf, 4, 5), 1);
	assert_int_equal(bph_uf_find(&uf, 0), bph_uf_find(&uf, 2));
	assert_int_not_equal(bph_uf_find(&uf, 0), bph_uf_find(&uf, 3));
	assert_int_not_equal(bph_uf_find(&uf, 3), bph_uf_find(&uf, 4));
	assert_int_equal(bph_uf_find(&uf, 4), bph_uf_find(&uf, 5));
	assert_int_equal(uf.size[bph_uf_find(&uf, 0)], 3);
	bph_uf_free(&uf);
	bph_uf_free(&uf);
}

static void test_union_find_long_chain(void **state)
{
	(void)state;
	struct bph_uf uf;
	assert_int_equal(bph_uf_init(&uf, 100000), 0);
	for (uint32_t i = 1; i < 100000; i++)
		bph_uf_union(&uf, i - 1, i);
	assert_int_equal(bph_uf_find(&uf, 0), bph_uf_find(&uf, 99999));
	assert_int_equal(uf.size[bph_uf_find(&uf, 7)], 100000);
	bph_uf_free(&uf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_union_find_components),
	    cmocka_unit_test(test_union_find_long_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

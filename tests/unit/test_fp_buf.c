/*
 * test_fp_buf.c - the byte cursor of fingerprints/buf.h: SSH strings
 * (bounded, and the cursor unmoved on error) and the peek helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"

static void test_string(void **state)
{
	static const uint8_t wire[] = {0,   0, 0, 3, 'a', 'b',
				       'c', 0, 0, 0, 0,	  0xff};
	struct bph_cur c = bph_cur_make(wire, sizeof(wire));
	const uint8_t *s = NULL;
	size_t len = 99;

	(void)state;
	assert_int_equal(bph_cur_string(&c, 16, &s, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(s, "abc", 3);
	assert_int_equal(bph_cur_string(&c, 16, &s, &len), 0); /* empty */
	assert_int_equal(len, 0);
	assert_int_equal(c.len, 1);
	/* Too short for the length field: nothing consumed. */
	assert_int_equal(bph_cur_string(&c, 16, &s, &len), BPH_ERR_TRUNCATED);
	assert_int_equal(c.len, 1);
}

static void test_string_bounds(void **state)
{
	static const uint8_t big[] = {0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e'};
	static const uint8_t cut[] = {0, 0, 0, 9, 'a', 'b'};
	static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 'a'};
	struct bph_cur c = bph_cur_make(big, sizeof(big));
	const uint8_t *s = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(bph_cur_string(&c, 4, &s, &len), BPH_ERR_TOOBIG);
	assert_int_equal(c.len, sizeof(big)); /* unmoved */
	assert_int_equal(bph_cur_string(&c, 5, &s, &len), 0);
	c = bph_cur_make(cut, sizeof(cut));
	assert_int_equal(bph_cur_string(&c, 64, &s, &len), BPH_ERR_TRUNCATED);
	assert_int_equal(c.len, sizeof(cut));
	c = bph_cur_make(huge, sizeof(huge));
	assert_int_equal(bph_cur_string(&c, SIZE_MAX, &s, &len),
			 BPH_ERR_TRUNCATED);
}

static void test_peek(void **state)
{
	static const uint8_t b[] = {0x02, 0x00, 0x01, 0x2c, 0x7f};
	struct bph_cur c = bph_cur_make(b, sizeof(b));
	uint8_t v8 = 0;
	uint32_t v24 = 0;

	(void)state;
	assert_int_equal(bph_cur_peek_u8(&c, 0, &v8), 0);
	assert_int_equal(v8, 0x02);
	assert_int_equal(bph_cur_peek_u8(&c, 4, &v8), 0);
	assert_int_equal(v8, 0x7f);
	assert_int_equal(bph_cur_peek_u24(&c, 1, &v24), 0);
	assert_int_equal(v24, 0x12c);
	assert_int_equal(c.len, sizeof(b)); /* nothing consumed */
	v8 = 1;
	assert_int_equal(bph_cur_peek_u8(&c, 5, &v8), BPH_ERR_TRUNCATED);
	assert_int_equal(v8, 1);
	assert_int_equal(bph_cur_peek_u24(&c, 3, &v24), BPH_ERR_TRUNCATED);
	assert_int_equal(bph_cur_peek_u24(&c, 6, &v24), BPH_ERR_TRUNCATED);
	assert_int_equal(bph_cur_peek_u24(&c, SIZE_MAX, &v24),
			 BPH_ERR_TRUNCATED);
	assert_int_equal(v24, 0x12c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_string),
	    cmocka_unit_test(test_string_bounds),
	    cmocka_unit_test(test_peek),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

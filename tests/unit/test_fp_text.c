#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fingerprints/text.h"

#define FFFD "\xef\xbf\xbd"

static void expect(const char *in, enum bph_text_mode mode, const char *want)
{
	char *got = bph_text_clean(in, mode);
	assert_non_null(got);
	assert_string_equal(got, want);
	assert_true(bph_text_is_clean(got, mode));
	assert_int_equal(bph_text_is_clean(in, mode), strcmp(in, want) == 0);
	free(got);
}

static void test_utf8_validation(void **state)
{
	(void)state;
	expect("plain <ascii> & \"quotes\"", BPH_TEXT_UTF8,
	       "plain <ascii> & \"quotes\"");
	expect("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", BPH_TEXT_UTF8,
	       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	expect("\xc0\xaf", BPH_TEXT_UTF8, FFFD FFFD); /* overlong '/' */
	expect("\xe0\x80\xaf", BPH_TEXT_UTF8, FFFD FFFD FFFD); /* overlong */
	expect("\xed\xa0\x80", BPH_TEXT_UTF8, FFFD FFFD FFFD); /* surrogate */
	expect("\xf4\x90\x80\x80", BPH_TEXT_UTF8,
	       FFFD FFFD FFFD FFFD);			   /* > U+10FFFF */
	expect("\xf5", BPH_TEXT_UTF8, FFFD);		   /* never valid */
	expect("a\xe2\x82", BPH_TEXT_UTF8, "a" FFFD FFFD); /* truncated */
	expect("\x80x", BPH_TEXT_UTF8, FFFD "x"); /* stray continuation */
	expect("\x01\x1b\x7f", BPH_TEXT_UTF8,
	       "\x01\x1b\x7f"); /* JSON escapes */
}

static void test_xml_mode(void **state)
{
	(void)state;
	expect("a\tb\nc\rd", BPH_TEXT_XML, "a\tb\nc\rd");
	expect("\x01\x08\x0b\x0c\x1f", BPH_TEXT_XML, FFFD FFFD FFFD FFFD FFFD);
	expect("\xef\xbf\xbe\xef\xbf\xbf", BPH_TEXT_XML, FFFD FFFD); /* FFFE */
	expect("\xef\xbf\xbe", BPH_TEXT_UTF8, "\xef\xbf\xbe");
	char *empty = bph_text_clean(NULL, BPH_TEXT_XML);
	assert_string_equal(empty, "");
	free(empty);
}

static void test_decode(void **state)
{
	(void)state;
	unsigned cp = 0;
	assert_int_equal(
	    bph_utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp),
	    4);
	assert_int_equal(cp, 0x1f600);
	/* the length bound is respected */
	assert_int_equal(
	    bph_utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80", 3, &cp),
	    0);
	assert_int_equal(bph_utf8_decode((const unsigned char *)"", 0, &cp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8_validation),
	    cmocka_unit_test(test_xml_mode),
	    cmocka_unit_test(test_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

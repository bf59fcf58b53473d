#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
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

/* What bph_print_text writes for in. */
static void expect_print(const char *in, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	bph_print_text(f, in);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, want);
	free(buf);
}

/* Nothing reaches a terminal that could drive it or reorder the text:
 * C0 (ESC), DEL, C1 (the 8-bit CSI U+009B), the direction overrides and
 * isolates, and bytes that are not UTF-8; other text passes as it is. */
static void test_print_text(void **state)
{
	(void)state;
	expect_print("plain caf\xc3\xa9 \xe2\x82\xac",
		     "plain caf\xc3\xa9 \xe2\x82\xac");
	expect_print("a\x1b[31mred\x7f\\", "a\\x1b[31mred\\x7f\\x5c");
	expect_print("\xc2\x9b"
		     "31m \xc2\x85",
		     "\\u009b31m \\u0085");
	expect_print("\xe2\x80\xae"
		     "evil\xe2\x80\xac",
		     "\\u202eevil\\u202c");
	expect_print("\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9\xe2\x80\x8f",
		     "\\u202a\\u2066\\u2069\\u200f");
	expect_print("bad \xff\xc2 end", "bad \\xff\\xc2 end");
	expect_print("\xe2\x80\xa9", "\xe2\x80\xa9"); /* U+2029 is text */
	expect_print(NULL, "");
	assert_true(bph_text_escaped_cp(0x9b));
	assert_true(bph_text_escaped_cp(0x2068));
	assert_false(bph_text_escaped_cp(0xa0));
	assert_false(bph_text_escaped_cp(0x2029));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8_validation),
	    cmocka_unit_test(test_xml_mode),
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_print_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

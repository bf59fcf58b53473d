/*
 * test_fp_http_parse.c - HTTP/1.x response parser (framing, caps, lying
 * lengths, chunking), bph_http_info_fill (HHHash, hashes), and the HTML
 * helpers. Expected digests were computed with Python's hashlib and
 * Digest::MurmurHash3::PurePerl, independently of this code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fingerprints/err.h"
#include "fingerprints/http_parse.h"

#define U8(s) ((const uint8_t *)(s))

/* Parses s completely; every proper prefix must ask for more bytes. */
static void parse_all_prefixes(const char *s, size_t n, struct bph_http_resp *r)
{
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(bph_http_parse_response(U8(s), k, false, r),
				 BPH_ERR_TRUNCATED);
		assert_null(r->body);
	}
	assert_int_equal(bph_http_parse_response(U8(s), n, false, r), 0);
}

static void test_content_length(void **state)
{
	const char *s = "HTTP/1.1 200 OK\r\nServer:  nginx/1.22.1 \r\n"
			"content-length: 11\r\n\r\nhello worldEXTRA";
	struct bph_http_resp r = {0};
	const struct bph_http_header *h;
	(void)state;

	parse_all_prefixes(s, strlen(s) - 5, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.status_line_len, 15);
	assert_memory_equal(r.status_line, "HTTP/1.1 200 OK", 15);
	assert_int_equal(r.n_headers, 2);
	assert_int_equal(r.content_length, 11);
	assert_false(r.chunked);
	assert_int_equal(r.body_len, 11);
	assert_memory_equal(r.body, "hello world", 11);
	assert_false(r.body_truncated);
	h = bph_http_header_get(&r, "SERVER");
	assert_non_null(h);
	assert_int_equal(h->value_len, 12); /* OWS trimmed both sides */
	assert_memory_equal(h->value, "nginx/1.22.1", 12);
	assert_null(bph_http_header_get(&r, "Date"));
	/* trailing pipelined bytes are not part of the body */
	assert_int_equal(bph_http_parse_response(U8(s), strlen(s), false, &r),
			 0);
	assert_int_equal(r.body_len, 11);
	bph_http_resp_clear(&r);
}

static void test_bare_lf(void **state)
{
	const char *s = "HTTP/1.0 404 Not Found\nA: 1\nContent-Length: 2\n\nhi";
	struct bph_http_resp r = {0};
	(void)state;

	parse_all_prefixes(s, strlen(s), &r);
	assert_int_equal(r.status, 404);
	assert_int_equal(r.status_line_len, 22);
	assert_int_equal(r.n_headers, 2);
	assert_int_equal(r.body_len, 2);
	bph_http_resp_clear(&r);
}

static void test_chunked(void **state)
{
	const char *s =
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n"
	    "Content-Length: 3\r\n\r\n"
	    "4\r\nWiki\r\n5;ext=\"x\"\r\npedia\r\nE\r\n in\r\n\r\n"
	    "chunks.\r\n0\r\nX-Trailer: a\r\n\r\n";
	struct bph_http_resp r = {0};
	(void)state;

	parse_all_prefixes(s, strlen(s), &r);
	assert_true(r.chunked);
	assert_int_equal(r.body_len, 23);
	assert_memory_equal(r.body, "Wikipedia in\r\n\r\nchunks.", 23);
	assert_false(r.body_truncated);
	/* at eof right after the last chunk the body is complete too */
	assert_int_equal(
	    bph_http_parse_response(U8(s), strlen(s) - 16, true, &r), 0);
	assert_int_equal(r.body_len, 23);
	assert_false(r.body_truncated);
	bph_http_resp_clear(&r);
}

static void test_chunked_odd(void **state)
{
	struct bph_http_resp r = {0};
	const char *lf = "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n"
			 "1A\n"
			 "abcdefghijklmnopqrstuvwxyz\n"
			 "0\n\n";
	const char *bad =
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabc\r\nzz\r\nmore";
	const char *huge = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			   "\r\n1\r\nx\r\nfffffffffffffffffffff\r\nyy";
	const char *nocrlf = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			     "\r\n3\r\nabcX0\r\n\r\n";
	const char *early = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			    "\r\n3\r\nabc\r\n10\r\n0123";
	(void)state;

	parse_all_prefixes(lf, strlen(lf), &r);
	assert_int_equal(r.body_len, 26);
	assert_false(r.body_truncated);
	/* malformed size line: the body ends there, marked truncated */
	assert_int_equal(
	    bph_http_parse_response(U8(bad), strlen(bad), false, &r), 0);
	assert_int_equal(r.body_len, 3);
	assert_true(r.body_truncated);
	/* a chunk size that would overflow */
	assert_int_equal(
	    bph_http_parse_response(U8(huge), strlen(huge), false, &r), 0);
	assert_int_equal(r.body_len, 1);
	assert_true(r.body_truncated);
	/* data not followed by CR LF */
	assert_int_equal(
	    bph_http_parse_response(U8(nocrlf), strlen(nocrlf), false, &r), 0);
	assert_int_equal(r.body_len, 3);
	assert_true(r.body_truncated);
	/* peer closed inside a chunk: keep what came */
	assert_int_equal(
	    bph_http_parse_response(U8(early), strlen(early), false, &r),
	    BPH_ERR_TRUNCATED);
	assert_int_equal(
	    bph_http_parse_response(U8(early), strlen(early), true, &r), 0);
	assert_int_equal(r.body_len, 7);
	assert_memory_equal(r.body, "abc0123", 7);
	assert_true(r.body_truncated);
	bph_http_resp_clear(&r);
}

static void test_chunked_cap(void **state)
{
	const char *head =
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	size_t chunk = 100000, nchunks = 12, hl = strlen(head);
	size_t n = hl + nchunks * (chunk + 10);
	char *s = malloc(n);
	struct bph_http_resp r = {0};
	size_t o = hl;
	(void)state;

	assert_non_null(s);
	memcpy(s, head, hl);
	for (size_t i = 0; i < nchunks; i++) {
		o += (size_t)sprintf(s + o, "186a0\r\n");
		memset(s + o, 'a' + (int)i, chunk);
		o += chunk;
		memcpy(s + o, "\r\n", 2);
		o += 2;
	}
	/* 1.2 MB of chunks, no last chunk: complete at the cap */
	assert_int_equal(bph_http_parse_response(U8(s), o, false, &r), 0);
	assert_int_equal(r.body_len, BPH_HTTP_MAX_BODY);
	assert_true(r.body_truncated);
	assert_int_equal(r.body[BPH_HTTP_MAX_BODY - 1], 'a' + 10);
	bph_http_resp_clear(&r);
	free(s);
}

static void test_lying_lengths(void **state)
{
	struct bph_http_resp r = {0};
	const char *lie = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort";
	const char *nan = "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nabcdef";
	const char *two = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
			  "Content-Length: 3\r\n\r\nabcdef";
	const char *same = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
			   "Content-Length: 2\r\n\r\nabcdef";
	(void)state;

	assert_int_equal(
	    bph_http_parse_response(U8(lie), strlen(lie), false, &r),
	    BPH_ERR_TRUNCATED);
	assert_int_equal(
	    bph_http_parse_response(U8(lie), strlen(lie), true, &r), 0);
	assert_int_equal(r.body_len, 5);
	assert_true(r.body_truncated);
	/* unusable Content-Length: read until close */
	assert_int_equal(
	    bph_http_parse_response(U8(nan), strlen(nan), false, &r),
	    BPH_ERR_TRUNCATED);
	assert_int_equal(
	    bph_http_parse_response(U8(nan), strlen(nan), true, &r), 0);
	assert_int_equal(r.content_length, -1);
	assert_int_equal(r.body_len, 6);
	assert_int_equal(
	    bph_http_parse_response(U8(two), strlen(two), true, &r), 0);
	assert_int_equal(r.content_length, -1);
	assert_int_equal(r.body_len, 6);
	assert_int_equal(
	    bph_http_parse_response(U8(same), strlen(same), false, &r), 0);
	assert_int_equal(r.body_len, 2);
	bph_http_resp_clear(&r);
}

static void test_body_caps(void **state)
{
	const char *h1 = "HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n";
	const char *h2 = "HTTP/1.1 200 OK\r\n\r\n";
	size_t n = BPH_HTTP_MAX_BODY + 200;
	char *s = malloc(n);
	struct bph_http_resp r = {0};
	(void)state;

	assert_non_null(s);
	memset(s, 'b', n);
	memcpy(s, h1, strlen(h1));
	assert_int_equal(bph_http_parse_response(U8(s), n, false, &r), 0);
	assert_int_equal(r.content_length, 2000000);
	assert_int_equal(r.body_len, BPH_HTTP_MAX_BODY);
	assert_true(r.body_truncated);
	memcpy(s, h2, strlen(h2));
	assert_int_equal(bph_http_parse_response(U8(s), 1000, false, &r),
			 BPH_ERR_TRUNCATED);
	assert_int_equal(bph_http_parse_response(U8(s), 1000, true, &r), 0);
	assert_int_equal(r.body_len, 1000 - strlen(h2));
	assert_false(r.body_truncated);
	assert_int_equal(bph_http_parse_response(U8(s), n, false, &r), 0);
	assert_int_equal(r.body_len, BPH_HTTP_MAX_BODY);
	assert_true(r.body_truncated);
	bph_http_resp_clear(&r);
	free(s);
}

static void test_no_body_and_interim(void **state)
{
	struct bph_http_resp r = {0};
	const char *nc = "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n";
	const char *nm = "HTTP/1.1 304 Not Modified\r\n\r\n";
	const char *cont = "HTTP/1.1 100 Continue\r\n\r\n"
			   "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nZ";
	(void)state;

	assert_int_equal(bph_http_parse_response(U8(nc), strlen(nc), false, &r),
			 0);
	assert_int_equal(r.body_len, 0);
	assert_int_equal(bph_http_parse_response(U8(nm), strlen(nm), false, &r),
			 0);
	assert_int_equal(r.status, 304);
	parse_all_prefixes(cont, strlen(cont), &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 1);
	assert_int_equal(r.header_len, strlen(cont) - 1);
	bph_http_resp_clear(&r);
}

static void test_head_caps_and_errors(void **state)
{
	struct bph_http_resp r = {0};
	size_t n = 200 * 12 + 64;
	char *s = malloc(BPH_HTTP_MAX_LINE + 100);
	char *many = malloc(n);
	const char *junk = "HTTP/1.1 200\r\nno colon\r\n: empty\r\n"
			   "bad name: x\r\n folded\r\nOk: 1\r\n\r\n";
	size_t o;
	(void)state;

	assert_non_null(s);
	assert_non_null(many);
	/* a header line longer than the cap */
	o = (size_t)sprintf(s, "HTTP/1.1 200 OK\r\nX: ");
	memset(s + o, 'v', BPH_HTTP_MAX_LINE + 100 - o);
	assert_int_equal(
	    bph_http_parse_response(U8(s), BPH_HTTP_MAX_LINE + 100, false, &r),
	    BPH_ERR_TOOBIG);
	/* exactly 100 headers pass, 101 do not */
	o = (size_t)sprintf(many, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i < 100; i++)
		o += (size_t)sprintf(many + o, "H%03d: v\r\n", i);
	memcpy(many + o, "\r\n", 2);
	assert_int_equal(bph_http_parse_response(U8(many), o + 2, true, &r), 0);
	assert_int_equal(r.n_headers, 100);
	o += (size_t)sprintf(many + o, "H100: v\r\n\r\n");
	assert_int_equal(bph_http_parse_response(U8(many), o, true, &r),
			 BPH_ERR_TOOBIG);
	/* not HTTP: known from the first bytes */
	assert_int_equal(bph_http_parse_response(U8("SSH"), 3, false, &r),
			 BPH_ERR_FORMAT);
	assert_int_equal(bph_http_parse_response(U8("HTT"), 3, false, &r),
			 BPH_ERR_TRUNCATED);
	assert_int_equal(bph_http_parse_response(U8("HTTP/1.1 2x0 OK\r\n\r\n"),
						 19, true, &r),
			 BPH_ERR_FORMAT);
	assert_int_equal(
	    bph_http_parse_response(U8("HTTP/1.1 200OK\r\n\r\n"), 18, true, &r),
	    BPH_ERR_FORMAT);
	assert_int_equal(
	    bph_http_parse_response(U8("HTTP/1.1 200 OK\r\n"), 17, true, &r),
	    BPH_ERR_TRUNCATED);
	/* junk header lines are skipped, the rest is kept */
	assert_int_equal(
	    bph_http_parse_response(U8(junk), strlen(junk), true, &r), 0);
	assert_int_equal(r.n_headers, 1);
	assert_memory_equal(r.headers[0].name, "Ok", 2);
	bph_http_resp_clear(&r);
	free(s);
	free(many);
}

static void test_info_fill(void **state)
{
	const char *s = "HTTP/1.1 302 Found\r\nServer: Apache\r\nDate: x\r\n"
			"Content-Type: text/html\r\nSet-Cookie: a=1\r\n"
			"set-cookie: b=2\r\nX-Powered-By: PHP/8.2\r\n"
			"Location: https://example.test/\r\nSERVER: dup\r\n"
			"Content-Length: 11\r\n\r\nhello world";
	struct bph_http_resp r = {0};
	struct bph_http_info *h = bph_http_info_new();
	(void)state;

	assert_non_null(h);
	assert_int_equal(bph_http_parse_response(U8(s), strlen(s), true, &r),
			 0);
	assert_int_equal(bph_http_info_fill(&r, h), 0);
	assert_int_equal(h->status, 302);
	assert_string_equal(h->status_line, "HTTP/1.1 302 Found");
	assert_string_equal(h->server, "Apache");
	assert_string_equal(h->powered_by, "PHP/8.2");
	assert_string_equal(h->location, "https://example.test/");
	assert_int_equal(h->n_headers, 9);
	assert_string_equal(h->headers[4], "set-cookie");
	assert_string_equal(h->headers[7], "SERVER");
	/* sha256("Server:Date:Content-Type:Set-Cookie:X-Powered-By:Location:
	 * Content-Length") by hashlib */
	assert_string_equal(h->header_hash, "hhh:1:6059bc6d4946f41169e2779ff010"
					    "192c21f653ea8136fe53b255c19ee27cef"
					    "bd");
	assert_string_equal(h->body_sha256, "b94d27b9934d3e08a52e52d7da7dabfac4"
					    "84efe37a5380ee9088f7ace2efcde9");
	assert_int_equal(h->body_mmh3, 1586663183);
	assert_int_equal(h->body_len, 11);
	assert_null(h->title);
	bph_http_info_free(h);
	bph_http_resp_clear(&r);
}

static void check_title(const char *html, const char *want)
{
	char *t = bph_html_title(U8(html), strlen(html));
	if (!want) {
		assert_null(t);
		return;
	}
	assert_non_null(t);
	assert_string_equal(t, want);
	free(t);
}

static void test_title(void **state)
{
	(void)state;
	check_title("<html><head><TITLE lang=en>  Foo &amp; Bar\n\t Baz "
		    "</TITLE></head>",
		    "Foo & Bar Baz");
	check_title(
	    "<title>&lt;&gt;&quot;&#39;&#x41;&#66;&apos;&nbsp;x</title>",
	    "<>\"'AB'\xc2\xa0x");
	check_title("<title>&#0;|&#x110000;|&#xD800;|&#x20AC;</title>",
		    "\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd|\xe2\x82\xac");
	check_title("<title>&unknown; &amp &#; &#x; AT&T</title>",
		    "&unknown; &amp &#; &#x; AT&T");
	check_title("<title>a\x01"
		    "b\x7f"
		    "c&#1;d&#x85;e&#10;f</title>",
		    "abcde f");
	check_title("<title>no end", "no end");
	check_title("<title><b>x</b></title>", "<b>x</b>");
	check_title("<!-- <title>no</title> --><title>yes</title>", "yes");
	check_title("<titlex>no</titlex><title>yes</title>", "yes");
	check_title("<title\n>nl</title>", "nl");
	check_title("<html><body>none</body></html>", NULL);
	check_title("<title", NULL);
	check_title("<!-- <title>x</title>", NULL);
	check_title("<title></title>", "");
	check_title("<title> \r\n </title>", "");
	check_title("<title>\xff\xfe ok</title>", "\xff\xfe ok");
}

static void test_title_cap(void **state)
{
	char html[4096];
	char *t;
	size_t o;
	(void)state;

	o = (size_t)sprintf(html, "<title>");
	memset(html + o, 'a', 2000);
	strcpy(html + o + 2000, "</title>");
	t = bph_html_title(U8(html), strlen(html));
	assert_non_null(t);
	assert_int_equal(strlen(t), 1024);
	free(t);
	/* "a" + 600 x U+00E9: the cap must not split a character */
	o = (size_t)sprintf(html, "<title>a");
	for (int i = 0; i < 600; i++)
		o += (size_t)sprintf(html + o, "\xc3\xa9");
	strcpy(html + o, "</title>");
	t = bph_html_title(U8(html), strlen(html));
	assert_non_null(t);
	assert_int_equal(strlen(t), 1023);
	assert_int_equal((uint8_t)t[1022], 0xa9);
	free(t);
}

static void check_icon(const char *html, const char *want)
{
	char *h = bph_html_icon_href(U8(html), strlen(html));
	if (!want) {
		assert_null(h);
		return;
	}
	assert_non_null(h);
	assert_string_equal(h, want);
	free(h);
}

static void test_icon_href(void **state)
{
	(void)state;
	check_icon("<link rel=\"icon\" href=\"/a.ico\">", "/a.ico");
	check_icon("<LINK REL='shortcut icon' HREF='/b.ico' />", "/b.ico");
	check_icon("<link rel=icon href=/c.ico>", "/c.ico");
	check_icon("<link href=\"/d.png\" rel=\"apple-touch-icon\">"
		   "<link rel=\"stylesheet\" href=\"x.css\">"
		   "<link\nrel=\"icon\" type=\"image/png\" "
		   "href=\" /e.png?v=1&amp;x=2 \">",
		   "/e.png?v=1&x=2");
	check_icon("<!-- <link rel=icon href=/no.ico> -->"
		   "<link rel=\"icon\"><link rel=icon href='/yes.ico'>",
		   "/yes.ico");
	check_icon("<linkx rel=icon href=/z.ico>", NULL);
	check_icon("<link rel=icons href=/z.ico>", NULL);
	check_icon("<html>no links</html>", NULL);
	check_icon("<link rel=\"icon\" href=\"/f.ico", "/f.ico");
	check_icon("<link rel = \"icon\" href = /g.ico>", "/g.ico");
	check_icon("<link", NULL);
}

static void check_printable(const char *in, size_t n, size_t max,
			    const char *want)
{
	char *s = bph_printable(U8(in), n, max);
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void test_printable(void **state)
{
	(void)state;
	check_printable("ab\\\r\n\t\0\xff~", 9, 100,
			"ab\\\\\\r\\n\\t\\x00\\xff~");
	check_printable("abc\x01", 4, 5, "abc");
	check_printable("abc\x01", 4, 7, "abc\\x01");
	check_printable("abc", 3, 0, "");
	check_printable("", 0, 10, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_content_length),
	    cmocka_unit_test(test_bare_lf),
	    cmocka_unit_test(test_chunked),
	    cmocka_unit_test(test_chunked_odd),
	    cmocka_unit_test(test_chunked_cap),
	    cmocka_unit_test(test_lying_lengths),
	    cmocka_unit_test(test_body_caps),
	    cmocka_unit_test(test_no_body_and_interim),
	    cmocka_unit_test(test_head_caps_and_errors),
	    cmocka_unit_test(test_info_fill),
	    cmocka_unit_test(test_title),
	    cmocka_unit_test(test_title_cap),
	    cmocka_unit_test(test_icon_href),
	    cmocka_unit_test(test_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fuzz_http_response.c - HTTP response parsing, info fill and the HTML
 * helpers over arbitrary bytes. The first byte picks eof.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void html(const uint8_t *p, size_t n)
{
	char *t = bph_html_title(p, n);
	if (t && strlen(t) > 1024)
		abort();
	free(t);
	free(bph_html_icon_href(p, n));
	t = bph_printable(p, n, 256);
	if (t && strlen(t) > 256)
		abort();
	free(t);
}

static void response(const uint8_t *p, size_t n, bool eof)
{
	struct bph_http_resp r;
	struct bph_http_info *h;

	memset(&r, 0, sizeof(r));
	if (bph_http_parse_response(p, n, eof, &r) == 0) {
		if (r.header_len > n || r.body_len > BPH_HTTP_MAX_BODY)
			abort();
		h = bph_http_info_new();
		if (h) {
			bph_http_info_fill(&r, h);
			bph_http_info_free(h);
		}
		bph_http_header_get(&r, "server");
	}
	bph_http_resp_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	response(data + 1, size - 1, data[0] & 1);
	html(data + 1, size - 1);
	return 0;
}

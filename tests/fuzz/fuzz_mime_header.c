/* libFuzzer: the header writers of abuse reports (abuse/mime.c) on
 * arbitrary text and addresses, as registries and hosts may supply them.
 * Whatever the input, a header is printable ASCII in lines of at most 78
 * characters (998 with an address, which cannot be folded), each
 * continuation line starts with a space (so no input
 * starts a header of its own), and an address is written only when it is
 * a plain addr-spec. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abuse/mime.h"
#include "fingerprints/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* max: 78 columns for text (RFC 5322's SHOULD); an address cannot be
 * folded, so its line may reach 998 (the MUST). */
static void check(const struct bph_sbuf *b, size_t start, size_t max)
{
	size_t col = 0;
	for (size_t i = start; i < b->len; i++) {
		uint8_t c = b->p[i];
		if (c == '\r') {
			if (i + 1 >= b->len || b->p[i + 1] != '\n')
				abort(); /* a bare CR */
			/* the last CRLF ends the header; any other folds */
			if (i + 2 < b->len && b->p[i + 2] != ' ')
				abort();
			i++;
			col = 0;
			continue;
		}
		if (c < 0x20 || c > 0x7e || ++col > max)
			abort();
	}
	if (b->len < start + 2 || memcmp(b->p + b->len - 2, "\r\n", 2))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bph_sbuf b;
	char *s = malloc(size + 1), *addr;
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	bph_sbuf_init(&b);
	bph_mime_header_text(&b, "Subject", s);
	if (!b.err)
		check(&b, 0, 78);
	/* the text after the first NUL-free split as an address */
	addr = strchr(s, '|');
	if (addr) {
		*addr++ = '\0';
		size_t at = b.len;
		int rc = bph_mime_header_addr(&b, "From", s, addr);
		if (rc == 0 && !bph_mime_addr_ok(addr))
			abort();
		if (rc == 0 && !b.err)
			check(&b, at, 998);
		if (rc != 0 && b.len != at)
			abort(); /* refused: nothing written */
	}
	bph_sbuf_free(&b);
	free(s);
	return 0;
}

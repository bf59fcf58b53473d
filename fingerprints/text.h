/*
 * text.h - making untrusted strings safe for every output format.
 *
 * Strings from the network (titles, subjects, banners) may hold invalid
 * UTF-8, control characters, quotes and markup. Writers never emit them
 * raw: they pass them through bph_text_clean() first and then let their
 * format library (jansson, libxml2) or escaper do the quoting.
 *
 * Policy (documented in docs/output.md): every byte that does not start a
 * well-formed UTF-8 sequence (RFC 3629: no overlongs, no surrogates, nothing
 * above U+10FFFF) is replaced by U+FFFD, one replacement per bad byte.
 * In XML mode, code points XML 1.0 forbids (C0 controls except TAB, LF, CR;
 * U+FFFE, U+FFFF) are replaced by U+FFFD as well.
 */
#ifndef BPH_FINGERPRINTS_TEXT_H
#define BPH_FINGERPRINTS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum bph_text_mode {
	BPH_TEXT_UTF8 = 0, /* valid UTF-8 (JSON: jansson escapes the rest) */
	BPH_TEXT_XML = 1,  /* valid UTF-8 holding only XML 1.0 Chars */
};

/*
 * Returns a new heap string (caller frees) holding s cleaned per mode;
 * NULL s gives "" (a new string); NULL only on allocation failure.
 */
char *bph_text_clean(const char *s, enum bph_text_mode mode);

/* True when s is already clean for mode (nothing would be replaced). */
bool bph_text_is_clean(const char *s, enum bph_text_mode mode);

/*
 * Length of the well-formed UTF-8 sequence at p (at most n bytes), storing
 * its code point in *cp; 0 when the bytes at p are not well-formed.
 */
size_t bph_utf8_decode(const unsigned char *p, size_t n, unsigned *cp);

/*
 * True for the code points a terminal must not receive raw: C0 and C1
 * controls (U+0080..U+009F holds the 8-bit CSI), DEL, and the invisible
 * direction controls (U+200E, U+200F, U+202A..U+202E, U+2066..U+2069,
 * Unicode TR#9) that make text read differently from what it holds.
 */
bool bph_text_escaped_cp(unsigned cp);

/*
 * JSON text without a jansson tree, byte for byte as json_dumps writes it.
 *
 * bph_json_quote() hands put(ctx, bytes, n), in pieces, the string
 * json_string(bph_text_clean(s, BPH_TEXT_UTF8)) dumps to: the quotes, U+FFFD
 * for each byte that does not start a well-formed sequence, '"', '\\' and
 * the C0 controls escaped (\b \f \n \r \t, the others \u00XX in upper
 * case), everything else, '/' and DEL included, verbatim.
 * bph_json_int_str() writes v as jansson writes a json_int_t ("%lld") and
 * a NUL into buf, and returns the length.
 */
typedef void (*bph_text_put)(void *ctx, const char *p, size_t n);
void bph_json_quote(const char *s, bph_text_put put, void *ctx);
size_t bph_json_int_str(long long v, char buf[24]);

/*
 * Writes s (NULL: nothing) to out for a terminal: a byte that is not
 * well-formed UTF-8, a backslash, a C0 control or DEL as \xNN; a C1
 * control or direction control as \uNNNN; everything else as is.
 */
void bph_print_text(FILE *out, const char *s);

#endif

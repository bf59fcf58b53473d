/*
 * jarm.c - JARM ClientHello builder, reply reducer and fuzzy hash.
 *
 * A reimplementation of salesforce/jarm's jarm.py (BSD-3-Clause, Copyright
 * (c) 2020, Salesforce.com, Inc.), written from its published behaviour;
 * docs/fingerprints.md names the oracle and the test vectors (tests/data/
 * jarm_clienthello_vectors.txt). The cipher and ALPN tables are
 * facts of that protocol; the quirks of jarm.py's reply parser are kept on
 * purpose, because JARM values are only comparable when computed the same way.
 */
#include "fingerprints/jarm.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "fingerprints/err.h"

#define JARM_NCIPHERS 69
#define JARM_NALPN    9
#define JARM_SNI_MAX  255

enum jarm_order { ORD_FORWARD, ORD_REVERSE, ORD_TOP, ORD_BOTTOM, ORD_MIDDLE };
enum jarm_sv { SV_NONE, SV_12, SV_13 };

/* One row of jarm.py's probe queue (main()'s queue order). */
struct jarm_probe {
	uint16_t rec_ver, hello_ver;
	bool no13;	/* NO1.3 cipher list */
	uint8_t order;	/* cipher order */
	bool grease;	/* GREASE cipher, extension, key share, version */
	bool rare_alpn; /* RARE_APLN: without h2 and http/1.1 */
	uint8_t sv;	/* supported_versions content */
	uint8_t
	    ext_order; /* applied to the ALPN and supported_versions lists */
};

static const struct jarm_probe jarm_probes[BPH_JARM_PROBES] = {
    {0x0303, 0x0303, false, ORD_FORWARD, false, false, SV_12, ORD_REVERSE},
    {0x0303, 0x0303, false, ORD_REVERSE, false, false, SV_12, ORD_FORWARD},
    {0x0303, 0x0303, false, ORD_TOP, false, false, SV_NONE, ORD_FORWARD},
    {0x0303, 0x0303, false, ORD_BOTTOM, false, true, SV_NONE, ORD_FORWARD},
    {0x0303, 0x0303, false, ORD_MIDDLE, true, true, SV_NONE, ORD_REVERSE},
    {0x0302, 0x0302, false, ORD_FORWARD, false, false, SV_NONE, ORD_FORWARD},
    {0x0301, 0x0303, false, ORD_FORWARD, false, false, SV_13, ORD_REVERSE},
    {0x0301, 0x0303, false, ORD_REVERSE, false, false, SV_13, ORD_FORWARD},
    {0x0301, 0x0303, true, ORD_FORWARD, false, false, SV_13, ORD_FORWARD},
    {0x0301, 0x0303, false, ORD_MIDDLE, true, false, SV_13, ORD_REVERSE},
};

/* jarm.py's ALL cipher list, in its order (get_ciphers). */
static const uint16_t jarm_ciphers[JARM_NCIPHERS] = {
    0x0016, 0x0033, 0x0067, 0xc09e, 0xc0a2, 0x009e, 0x0039, 0x006b, 0xc09f,
    0xc0a3, 0x009f, 0x0045, 0x00be, 0x0088, 0x00c4, 0x009a, 0xc008, 0xc009,
    0xc023, 0xc0ac, 0xc0ae, 0xc02b, 0xc00a, 0xc024, 0xc0ad, 0xc0af, 0xc02c,
    0xc072, 0xc073, 0xcca9, 0x1302, 0x1301, 0xcc14, 0xc007, 0xc012, 0xc013,
    0xc027, 0xc02f, 0xc014, 0xc028, 0xc030, 0xc060, 0xc061, 0xc076, 0xc077,
    0xcca8, 0x1305, 0x1304, 0x1303, 0xcc13, 0xc011, 0x000a, 0x002f, 0x003c,
    0xc09c, 0xc0a0, 0x009c, 0x0035, 0x003d, 0xc09d, 0xc0a1, 0x009d, 0x0041,
    0x00ba, 0x0084, 0x00c0, 0x0007, 0x0004, 0x0005,
};

/* cipher_bytes() list: the index (1-based) is the fingerprint byte. */
static const uint16_t jarm_sorted_ciphers[JARM_NCIPHERS] = {
    0x0004, 0x0005, 0x0007, 0x000a, 0x0016, 0x002f, 0x0033, 0x0035, 0x0039,
    0x003c, 0x003d, 0x0041, 0x0045, 0x0067, 0x006b, 0x0084, 0x0088, 0x009a,
    0x009c, 0x009d, 0x009e, 0x009f, 0x00ba, 0x00be, 0x00c0, 0x00c4, 0xc007,
    0xc008, 0xc009, 0xc00a, 0xc011, 0xc012, 0xc013, 0xc014, 0xc023, 0xc024,
    0xc027, 0xc028, 0xc02b, 0xc02c, 0xc02f, 0xc030, 0xc060, 0xc061, 0xc072,
    0xc073, 0xc076, 0xc077, 0xc09c, 0xc09d, 0xc09e, 0xc09f, 0xc0a0, 0xc0a1,
    0xc0a2, 0xc0a3, 0xc0ac, 0xc0ad, 0xc0ae, 0xc0af, 0xcc13, 0xcc14, 0xcca8,
    0xcca9, 0x1301, 0x1302, 0x1303, 0x1304, 0x1305,
};

/* APLN, weakest to strongest; entries 2 and 6 are left out of RARE_APLN. */
static const char *const jarm_alpn[JARM_NALPN] = {
    "http/0.9", "http/1.0", "http/1.1", "spdy/1", "spdy/2",
    "spdy/3",	"h2",	    "h2c",	"hq",
};

/*
 * cipher_mung(): reorders n entries of in into out, returns the new count.
 * Used on cipher codes, ALPN indices and versions alike.
 */
static size_t jarm_mung(const uint16_t *in, size_t n, int order, uint16_t *out)
{
	size_t k = 0, m = n / 2, start = n / 2 + (n & 1);

	switch (order) {
	case ORD_REVERSE:
		for (size_t i = 0; i < n; i++)
			out[k++] = in[n - 1 - i];
		break;
	case ORD_BOTTOM:
		for (size_t i = start; i < n; i++)
			out[k++] = in[i];
		break;
	case ORD_TOP: /* middle entry, then BOTTOM_HALF(REVERSE(list)) */
		if (n & 1)
			out[k++] = in[m];
		for (size_t i = start; i < n; i++)
			out[k++] = in[n - 1 - i];
		break;
	case ORD_MIDDLE:
		if (n & 1)
			out[k++] = in[m];
		for (size_t i = 1; i <= m; i++) {
			out[k++] = in[(n & 1) ? m + i : m - 1 + i];
			out[k++] = in[m - i];
		}
		break;
	default:
		memcpy(out, in, n * sizeof(*in));
		k = n;
	}
	return k;
}

static void jarm_put_ciphers(const struct jarm_probe *pr, uint16_t grease,
			     struct bph_sbuf *out)
{
	uint16_t list[JARM_NCIPHERS], munged[JARM_NCIPHERS];
	size_t n = 0;

	for (size_t i = 0; i < JARM_NCIPHERS; i++)
		if (!pr->no13 || (jarm_ciphers[i] >> 8) != 0x13)
			list[n++] = jarm_ciphers[i];
	n = jarm_mung(list, n, pr->order, munged);
	bph_sbuf_u16(out, (uint16_t)(2 * (n + pr->grease)));
	if (pr->grease)
		bph_sbuf_u16(out, grease);
	for (size_t i = 0; i < n; i++)
		bph_sbuf_u16(out, munged[i]);
}

static void jarm_put_sni(const char *sni, size_t len, struct bph_sbuf *out)
{
	bph_sbuf_u16(out, 0x0000);
	bph_sbuf_u16(out, (uint16_t)(len + 5));
	bph_sbuf_u16(out, (uint16_t)(len + 3));
	bph_sbuf_u8(out, 0);
	bph_sbuf_u16(out, (uint16_t)len);
	bph_sbuf_put(out, sni, len);
}

static void jarm_put_alpn(const struct jarm_probe *pr, struct bph_sbuf *out)
{
	uint16_t idx[JARM_NALPN], munged[JARM_NALPN];
	size_t n = 0, at;

	for (uint16_t i = 0; i < JARM_NALPN; i++)
		if (!pr->rare_alpn || (i != 2 && i != 6))
			idx[n++] = i;
	n = jarm_mung(idx, n, pr->ext_order, munged);
	bph_sbuf_u16(out, 0x0010);
	at = out->len;
	bph_sbuf_u16(out, 0);
	bph_sbuf_u16(out, 0);
	for (size_t i = 0; i < n; i++) {
		const char *s = jarm_alpn[munged[i]];
		bph_sbuf_u8(out, (uint8_t)strlen(s));
		bph_sbuf_str(out, s);
	}
	bph_sbuf_patch_len(out, at, 2, out->len - at - 2);
	bph_sbuf_patch_len(out, at + 2, 2, out->len - at - 4);
}

static void jarm_put_key_share(const struct jarm_probe *pr,
			       const struct bph_jarm_rand *rnd,
			       struct bph_sbuf *out)
{
	size_t inner = 36 + (pr->grease ? 5 : 0);

	bph_sbuf_u16(out, 0x0033);
	bph_sbuf_u16(out, (uint16_t)(inner + 2));
	bph_sbuf_u16(out, (uint16_t)inner);
	if (pr->grease) {
		bph_sbuf_u16(out, rnd->grease);
		bph_sbuf_u16(out, 1);
		bph_sbuf_u8(out, 0);
	}
	bph_sbuf_u16(out, 0x001d);
	bph_sbuf_u16(out, 32);
	bph_sbuf_put(out, rnd->key_share, 32);
}

static void jarm_put_versions(const struct jarm_probe *pr, uint16_t grease,
			      struct bph_sbuf *out)
{
	static const uint16_t all[4] = {0x0301, 0x0302, 0x0303, 0x0304};
	uint16_t v[4];
	size_t n = jarm_mung(all, pr->sv == SV_12 ? 3 : 4, pr->ext_order, v);
	size_t bytes = 2 * (n + pr->grease);

	bph_sbuf_u16(out, 0x002b);
	bph_sbuf_u16(out, (uint16_t)(bytes + 1));
	bph_sbuf_u8(out, (uint8_t)bytes);
	if (pr->grease)
		bph_sbuf_u16(out, grease);
	for (size_t i = 0; i < n; i++)
		bph_sbuf_u16(out, v[i]);
}

/* get_extensions(): the extension block with its 2-byte length. */
static void jarm_put_extensions(const struct jarm_probe *pr, const char *sni,
				size_t sni_len, const struct bph_jarm_rand *rnd,
				struct bph_sbuf *out)
{
	static const uint8_t mid[] = {
	    0x00, 0x17, 0x00, 0x00,		      /* ext. master secret */
	    0x00, 0x01, 0x00, 0x01, 0x01,	      /* max_fragment_length */
	    0xff, 0x01, 0x00, 0x01, 0x00,	      /* renegotiation_info */
	    0x00, 0x0a, 0x00, 0x0a, 0x00, 0x08, 0x00, /* supported_groups */
	    0x1d, 0x00, 0x17, 0x00, 0x18, 0x00, 0x19, /* */
	    0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,	      /* ec_point_formats */
	    0x00, 0x23, 0x00, 0x00,		      /* session_ticket */
	};
	static const uint8_t sigalgs[] = {
	    0x00, 0x0d, 0x00, 0x14, 0x00, 0x12, 0x04, 0x03,
	    0x08, 0x04, 0x04, 0x01, 0x05, 0x03, 0x08, 0x05,
	    0x05, 0x01, 0x08, 0x06, 0x06, 0x01, 0x02, 0x01,
	};
	static const uint8_t psk_modes[] = {0x00, 0x2d, 0x00, 0x02, 0x01, 0x01};
	size_t at = out->len;

	bph_sbuf_u16(out, 0);
	if (pr->grease) {
		bph_sbuf_u16(out, rnd->grease);
		bph_sbuf_u16(out, 0);
	}
	jarm_put_sni(sni, sni_len, out);
	bph_sbuf_put(out, mid, sizeof(mid));
	jarm_put_alpn(pr, out);
	bph_sbuf_put(out, sigalgs, sizeof(sigalgs));
	jarm_put_key_share(pr, rnd, out);
	bph_sbuf_put(out, psk_modes, sizeof(psk_modes));
	if (pr->sv != SV_NONE)
		jarm_put_versions(pr, rnd->grease, out);
	bph_sbuf_patch_len(out, at, 2, out->len - at - 2);
}

/* Fresh randomness, as os.urandom and random.choice(grease_list). */
static int jarm_random(struct bph_jarm_rand *r)
{
	uint8_t g;

	if (RAND_bytes(r->random, sizeof(r->random)) != 1 ||
	    RAND_bytes(r->session_id, sizeof(r->session_id)) != 1 ||
	    RAND_bytes(r->key_share, sizeof(r->key_share)) != 1 ||
	    RAND_bytes(&g, 1) != 1)
		return BPH_ERR_CRYPTO;
	g = (uint8_t)((g & 0xf0) | 0x0a);
	r->grease = (uint16_t)(g << 8 | g);
	return 0;
}

int bph_jarm_build_hello(int probe, const char *sni,
			 const struct bph_jarm_rand *rnd, struct bph_sbuf *out)
{
	struct bph_jarm_rand fresh;
	const struct jarm_probe *pr;
	size_t sni_len, start;
	int rc;

	if (probe < 0 || probe >= BPH_JARM_PROBES || !sni || !out)
		return BPH_ERR_USAGE;
	sni_len = strlen(sni);
	if (sni_len > JARM_SNI_MAX)
		return BPH_ERR_TOOBIG;
	if (!rnd) {
		rc = jarm_random(&fresh);
		if (rc)
			return rc;
		rnd = &fresh;
	}
	pr = &jarm_probes[probe];
	start = out->len;
	bph_sbuf_u8(out, 0x16);
	bph_sbuf_u16(out, pr->rec_ver);
	bph_sbuf_u16(out, 0);	/* record length */
	bph_sbuf_u8(out, 0x01); /* client_hello */
	bph_sbuf_u24(out, 0);	/* handshake length */
	bph_sbuf_u16(out, pr->hello_ver);
	bph_sbuf_put(out, rnd->random, 32);
	bph_sbuf_u8(out, 32);
	bph_sbuf_put(out, rnd->session_id, 32);
	jarm_put_ciphers(pr, rnd->grease, out);
	bph_sbuf_u8(out, 1); /* one compression method: null */
	bph_sbuf_u8(out, 0);
	jarm_put_extensions(pr, sni, sni_len, rnd, out);
	bph_sbuf_patch_len(out, start + 3, 2, out->len - start - 5);
	bph_sbuf_patch_len(out, start + 6, 3, out->len - start - 9);
	return out->err;
}

/*
 * Reply reduction. jarm.py indexes a Python bytearray: an index past the
 * end raises IndexError, a slice past the end is silently short. These two
 * helpers give exactly those semantics over (p, n), so the code below can
 * follow read_packet()/extract_extension_info() line by line; that is why
 * this parser does not use the bph_cur cursor.
 */
struct jarm_data {
	const uint8_t *p;
	size_t n;
};

static int jarm_at(const struct jarm_data *d, size_t i, unsigned *v)
{
	if (i >= d->n)
		return -1; /* IndexError */
	*v = d->p[i];
	return 0;
}

static struct jarm_data jarm_slice(const struct jarm_data *d, size_t a,
				   size_t b)
{
	struct jarm_data s = {d->p, 0};

	if (b > d->n)
		b = d->n;
	if (a < b) {
		s.p = d->p + a;
		s.n = b - a;
	}
	return s;
}

/* int(codecs.encode(s, 'hex'), 16); an empty slice raises ValueError. */
static int jarm_int(struct jarm_data s, size_t *v)
{
	*v = 0;
	if (s.n == 0)
		return -1;
	for (size_t i = 0; i < s.n; i++)
		*v = *v << 8 | s.p[i];
	return 0;
}

/* Bounded string builder over the caller's out[BPH_JARM_RESULT_MAX]. */
struct jarm_str {
	char *s;
	size_t len;
	bool overflow;
};

static void jarm_cat(struct jarm_str *w, const void *p, size_t n)
{
	if (w->overflow || w->len + n >= BPH_JARM_RESULT_MAX) {
		w->overflow = true;
		return;
	}
	memcpy(w->s + w->len, p, n);
	w->len += n;
	w->s[w->len] = '\0';
}

static void jarm_cat_hex(struct jarm_str *w, struct jarm_data s)
{
	char hex[5];

	for (size_t i = 0; i < s.n; i += 2) {
		size_t k = s.n - i < 2 ? s.n - i : 2;
		bph_hex(s.p + i, k, hex);
		jarm_cat(w, hex, 2 * k);
	}
}

/* Python's strict UTF-8 decoder: no overlongs, surrogates or > U+10FFFF. */
static bool jarm_utf8_ok(struct jarm_data s)
{
	size_t i = 0;

	while (i < s.n) {
		unsigned c = s.p[i], need, lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3;
		else
			return false;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		if (i + need >= s.n) /* "unexpected end of data" */
			return false;
		for (unsigned k = 1; k <= need; k++) {
			unsigned b = s.p[i + k];
			if (b < (k == 1 ? lo : 0x80) ||
			    b > (k == 1 ? hi : 0xbf))
				return false;
		}
		i += need + 1;
	}
	return true;
}

/*
 * The first ALPN extension's value, minus 3 bytes, as text. jarm.py stores
 * a zero-length value as the str "" whose .decode() raises, and a bad UTF-8
 * value raises UnicodeDecodeError: both make the whole probe "|||" (-1).
 * A NUL cannot live in our C string, so NUL bytes are dropped: the only
 * point where this port can differ from jarm.py (then only in the hash tail).
 */
static int jarm_cat_alpn(struct jarm_str *w, bool is_str, struct jarm_data v)
{
	struct jarm_data a = jarm_slice(&v, 3, v.n);

	if (is_str || !jarm_utf8_ok(a))
		return -1;
	for (size_t i = 0; i < a.n; i++)
		if (a.p[i] != 0)
			jarm_cat(w, &a.p[i], 1);
	return 0;
}

struct jarm_alpn_ref {
	bool found, is_str;
	struct jarm_data value;
};

/*
 * The extension walk of extract_extension_info(); appends "alpn|t1-t2..."
 * to w. Returns -1 where jarm.py raises an exception other than IndexError.
 */
static int jarm_walk_ext(const struct jarm_data *d, size_t counter,
			 struct jarm_str *w)
{
	struct jarm_str types = {NULL, 0, false};
	char tbuf[BPH_JARM_RESULT_MAX];
	struct jarm_alpn_ref alpn = {false, false, {NULL, 0}};
	size_t count = 49 + counter, length, maximum, elen;

	types.s = tbuf;
	tbuf[0] = '\0';
	if (jarm_int(jarm_slice(d, counter + 47, counter + 49), &length))
		return -1;
	maximum = length + count - 1;
	while (count < maximum) {
		struct jarm_data type = jarm_slice(d, count, count + 2);
		if (jarm_int(jarm_slice(d, count + 2, count + 4), &elen))
			return -1;
		if (!alpn.found && type.n == 2 && type.p[0] == 0x00 &&
		    type.p[1] == 0x10) {
			alpn.found = true;
			alpn.is_str = elen == 0;
			alpn.value = jarm_slice(d, count + 4, count + 4 + elen);
		}
		if (types.len)
			jarm_cat(&types, "-", 1);
		jarm_cat_hex(&types, type);
		count += elen + 4;
	}
	if (alpn.found && jarm_cat_alpn(w, alpn.is_str, alpn.value))
		return -1;
	jarm_cat(w, "|", 1);
	jarm_cat(w, tbuf, types.len);
	return types.overflow ? -1 : 0;
}

/* extract_extension_info(): 0 with "alpn|exts" appended, or -1 for "|||". */
static int jarm_ext_info(const struct jarm_data *d, size_t counter,
			 size_t sh_len, struct jarm_str *w)
{
	static const uint8_t q1[3] = {0x0e, 0xac, 0x0b};
	static const uint8_t q2[3] = {0x0f, 0xf0, 0x0b};
	struct jarm_data s1 = jarm_slice(d, counter + 50, counter + 53);
	struct jarm_data s2 = jarm_slice(d, 82, 85);
	unsigned b;

	if (jarm_at(d, counter + 47, &b) || b == 0x0b ||
	    (s1.n == 3 && !memcmp(s1.p, q1, 3)) ||
	    (s2.n == 3 && !memcmp(s2.p, q2, 3)) || counter + 42 >= sh_len) {
		jarm_cat(w, "|", 1);
		return 0;
	}
	return jarm_walk_ext(d, counter, w);
}

/* read_packet(): 0 when out holds a result, -1 for "|||". */
static int jarm_read_packet(const struct jarm_data *d, struct jarm_str *w)
{
	unsigned b0, b5, counter;
	size_t sh_len;

	if (jarm_at(d, 0, &b0) || b0 != 22)
		return -1; /* alerts (21) and anything else */
	if (jarm_at(d, 5, &b5) || b5 != 2 || jarm_at(d, 43, &counter))
		return -1;
	sh_len = (size_t)d->p[3] << 8 | d->p[4];
	jarm_cat_hex(w, jarm_slice(d, counter + 44, counter + 46));
	jarm_cat(w, "|", 1);
	jarm_cat_hex(w, jarm_slice(d, 9, 11));
	jarm_cat(w, "|", 1);
	if (jarm_ext_info(d, counter, sh_len, w))
		return -1;
	return w->overflow ? -1 : 0;
}

void bph_jarm_parse_reply(const uint8_t *p, size_t n,
			  char out[BPH_JARM_RESULT_MAX])
{
	struct jarm_data d = {p, p ? n : 0};
	struct jarm_str w = {out, 0, false};

	out[0] = '\0';
	if (d.n > BPH_JARM_RECV_MAX) /* jarm.py reads once, recv(1484) */
		d.n = BPH_JARM_RECV_MAX;
	if (jarm_read_packet(&d, &w))
		strcpy(out, "|||");
}

/* cipher_bytes(): "" -> "00", else the 1-based index in the sorted list. */
static void jarm_cipher_bytes(const char *c, size_t len, char out[3])
{
	static const char digits[] = "0123456789abcdef";
	unsigned idx = JARM_NCIPHERS + 1;
	char hex[5];

	if (len == 0) {
		memcpy(out, "00", 3);
		return;
	}
	for (unsigned i = 0; i < JARM_NCIPHERS; i++) {
		uint8_t b[2] = {(uint8_t)(jarm_sorted_ciphers[i] >> 8),
				(uint8_t)jarm_sorted_ciphers[i]};
		bph_hex(b, 2, hex);
		if (len == 4 && !memcmp(c, hex, 4)) {
			idx = i + 1;
			break;
		}
	}
	out[0] = digits[idx >> 4];
	out[1] = digits[idx & 15];
	out[2] = '\0';
}

/*
 * version_byte(): "abcdef"[int(v[3:4])], v indexed by code point. Anything
 * that makes jarm.py raise (no 4th character, not a digit, a digit above 5)
 * is -1. (Python's int() also takes non-ASCII decimal digits; they are
 * rejected here.)
 */
static int jarm_version_byte(const char *v, size_t len, char *out)
{
	size_t cp = 0, i = 0;

	if (len == 0) {
		*out = '0';
		return 0;
	}
	while (i < len && cp < 3) {
		i++;
		while (i < len && ((unsigned char)v[i] & 0xc0) == 0x80)
			i++;
		cp++;
	}
	if (i >= len || v[i] < '0' || v[i] > '5')
		return -1;
	*out = "abcdef"[v[i] - '0'];
	return 0;
}

/* Splits one "c|v|a|e" probe string; fewer than four fields is -1. */
static int jarm_split(const char *s, size_t len, const char *f[4],
		      size_t flen[4])
{
	size_t k = 0, start = 0;

	for (size_t i = 0; i <= len && k < 4; i++) {
		if (i == len || s[i] == '|') {
			f[k] = s + start;
			flen[k++] = i - start;
			start = i + 1;
		}
	}
	return k == 4 ? 0 : -1;
}

/* Fuzzy part of probe i and its hash input; 0 or BPH_ERR_FORMAT. */
static int jarm_hash_one(const char *s, size_t len, char fuzzy[3],
			 EVP_MD_CTX *ctx)
{
	const char *f[4];
	size_t flen[4];

	if (jarm_split(s, len, f, flen))
		return BPH_ERR_FORMAT;
	jarm_cipher_bytes(f[0], flen[0], fuzzy);
	if (jarm_version_byte(f[1], flen[1], &fuzzy[2]))
		return BPH_ERR_FORMAT;
	if (EVP_DigestUpdate(ctx, f[2], flen[2]) != 1 ||
	    EVP_DigestUpdate(ctx, f[3], flen[3]) != 1)
		return BPH_ERR_CRYPTO;
	return 0;
}

/*
 * jarm_hash(). jarm.py splits on every ",", so an ALPN holding a comma
 * changes the probe count and the length of its result; such input is
 * BPH_ERR_FORMAT here, since the result must be 62 characters.
 */
/* The ten "c|v|a|e" strings: fuzzy part to out[0..29], a+e into ctx. */
static int jarm_hash_probes(const char *raw, char *out, EVP_MD_CTX *ctx)
{
	const char *s = raw;
	int k = 0, rc;

	for (;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		char fuzzy[4];

		if (k == BPH_JARM_PROBES)
			return BPH_ERR_FORMAT;
		rc = jarm_hash_one(s, len, fuzzy, ctx);
		if (rc)
			return rc;
		memcpy(out + 3 * k++, fuzzy, 3);
		if (!comma)
			break;
		s = comma + 1;
	}
	return k == BPH_JARM_PROBES ? 0 : BPH_ERR_FORMAT;
}

int bph_jarm_hash(const char *raw, char out[63])
{
	static const char empty[] = "|||,|||,|||,|||,|||,|||,|||,|||,|||,|||";
	EVP_MD_CTX *ctx = NULL;
	uint8_t md[32];
	char hex[65];
	int rc = BPH_ERR_CRYPTO;

	out[0] = '\0';
	if (!raw)
		return BPH_ERR_USAGE;
	if (!strcmp(raw, empty)) {
		memset(out, '0', 62);
		out[62] = '\0';
		return 0;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	rc = jarm_hash_probes(raw, out, ctx);
	if (rc)
		goto out;
	rc = BPH_ERR_CRYPTO;
	if (EVP_DigestFinal_ex(ctx, md, NULL) != 1)
		goto out;
	bph_hex(md, 32, hex);
	memcpy(out + 30, hex, 32);
	out[62] = '\0';
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	if (rc)
		out[0] = '\0';
	return rc;
}

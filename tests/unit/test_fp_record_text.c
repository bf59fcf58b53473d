/*
 * bph_service_json_text (fingerprints/record_json.c), the record's JSON
 * text written without a tree, against what it stands for:
 * json_dumps(bph_service_to_json(s), JSON_COMPACT | JSON_PRESERVE_ORDER),
 * byte for byte. Strings of every byte value, every pair of bytes, the
 * three- and four-byte sequences around the UTF-8 bounds, controls, quotes,
 * backslashes and slashes, in every kind of field; numbers at the ends of
 * their types; times jansson's writer refuses; and random records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fingerprints/err.h"
#include "fingerprints/record.h"
#include "fingerprints/record_json.h"

/* The direct text and the jsonl line against jansson's dump of the tree;
 * where the tree fails (a time without an RFC 3339 form), the text
 * fails too. */
static void same_text(const struct bph_service *s)
{
	json_t *j = bph_service_to_json(s);
	char *want =
	    j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	struct bph_sbuf b;
	char *line = NULL;
	size_t line_len = 0;
	FILE *f = open_memstream(&line, &line_len);
	int rc, rc_line;

	assert_non_null(f);
	bph_sbuf_init(&b);
	rc = bph_service_json_text(&b, s);
	rc_line = bph_jsonl_write(f, s);
	fclose(f);
	if (!j) {
		assert_int_equal(rc, BPH_ERR_FORMAT);
		assert_int_equal(rc_line, BPH_ERR_FORMAT);
	} else {
		assert_non_null(want);
		assert_int_equal(rc, 0);
		assert_int_equal(rc_line, 0);
		if (b.len != strlen(want) || memcmp(b.p, want, b.len))
			fail_msg("text differs:\n%s\n%.*s", want, (int)b.len,
				 (const char *)b.p);
		assert_int_equal(line_len, b.len + 1);
		assert_memory_equal(line, b.p, b.len);
		assert_int_equal(line[b.len], '\n');
	}
	json_decref(j);
	free(want);
	free(line);
	bph_sbuf_free(&b);
}

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? strdup(s) : NULL;
	assert_true(!s || *dst);
}

/* s, cut to fit, into a char[size] field. */
static void set_fix(char *dst, size_t size, const char *s)
{
	size_t n = strlen(s);

	n = n < size ? n : size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

#define SET_FIX(f, s) set_fix(f, sizeof(f), s)

/* A record with every sub-object, lists of one entry, and no strings. */
static void skeleton(struct bph_service *s)
{
	memset(s, 0, sizeof(*s));
	s->ip = 0xc6120a0a;
	s->port = 443;
	s->state = BPH_STATE_OPEN;
	s->seen = 1795000000;
	s->tcp.present = true;
	s->tls = bph_tls_info_new();
	s->tls->n_san = 1;
	s->tls->san = calloc(1, sizeof(char *));
	s->ssh = bph_ssh_info_new();
	s->ssh->n_hostkeys = 1;
	s->ssh->hostkeys = calloc(1, sizeof(*s->ssh->hostkeys));
	s->http = bph_http_info_new();
	s->http->n_headers = 1;
	s->http->headers = calloc(1, sizeof(char *));
	s->banner = bph_banner_info_new();
	assert_true(s->tls && s->tls->san && s->ssh && s->ssh->hostkeys &&
		    s->http && s->http->headers && s->banner);
}

/* str in every kind of field: heap, fixed, hex, list entry, kexinit,
 * a hostkey's, the head's proto. */
static void put_everywhere(struct bph_service *s, const char *str)
{
	set_str(&s->proto, str);
	SET_FIX(s->tcp.options, str);
	SET_FIX(s->tcp.sig, str);
	set_str(&s->tls->subject, str);
	SET_FIX(s->tls->jarm, str);
	set_str(&s->tls->san[0], str);
	set_str(&s->ssh->banner, str);
	set_str(&s->ssh->kexinit[4], str);
	set_str(&s->ssh->hostkeys[0].type, str);
	SET_FIX(s->ssh->hostkeys[0].md5, str);
	set_str(&s->http->title, str);
	SET_FIX(s->http->header_hash, str);
	set_str(&s->http->headers[0], str);
	set_str(&s->banner->text, str);
	SET_FIX(s->banner->sha256, str);
}

static void test_every_byte(void **state)
{
	(void)state;
	struct bph_service s;
	char str[8];

	skeleton(&s);
	for (int c = 1; c < 256; c++) {
		snprintf(str, sizeof(str), "%c", c);
		put_everywhere(&s, str);
		same_text(&s);
		snprintf(str, sizeof(str), "a%cz/", c);
		put_everywhere(&s, str);
		same_text(&s);
	}
	bph_service_clear(&s);
}

static void test_every_pair(void **state)
{
	(void)state;
	struct bph_service s;
	char str[3] = {0};

	skeleton(&s);
	for (int a = 1; a < 256; a++) {
		for (int b = 1; b < 256; b++) {
			str[0] = (char)a;
			str[1] = (char)b;
			set_str(&s.http->title, str);
			set_str(&s.tls->san[0], str);
			same_text(&s);
		}
	}
	bph_service_clear(&s);
}

/* Three- and four-byte sequences: every lead from 0xe0, every second
 * byte around the continuation range, the rest at and beyond its ends. */
static void test_long_sequences(void **state)
{
	(void)state;
	static const unsigned char tail[] = {0x7f, 0x80, 0x8f, 0x90, 0x9f,
					     0xa0, 0xbf, 0xc0, 'a'};
	struct bph_service s;
	char str[6] = {0};

	skeleton(&s);
	for (int lead = 0xe0; lead < 0x100; lead++) {
		for (int second = 0x7f; second <= 0xc0; second++) {
			for (size_t t = 0; t < sizeof(tail); t++) {
				str[0] = (char)lead;
				str[1] = (char)second;
				str[2] = (char)tail[t];
				str[3] = (char)tail[(t + 1) % sizeof(tail)];
				str[4] = 'x';
				set_str(&s.http->title, str);
				str[3] = '\0';
				set_str(&s.banner->text, str);
				same_text(&s);
			}
		}
	}
	bph_service_clear(&s);
}

static void test_escapes(void **state)
{
	(void)state;
	static const char *const strs[] = {"\"",
					   "\\",
					   "/",
					   "\\\"",
					   "\"\\/\b\f\n\r\t\x01\x1f\x7f",
					   "</script>",
					   "\\u0000",
					   "a\"b\\c/d",
					   "\xc2\x80\xc2\x9f",
					   "\xe2\x80\xa8\xe2\x80\xa9",
					   "\xef\xbb\xbf",
					   "\xef\xbf\xbf",
					   "\xf4\x8f\xbf\xbf",
					   "\xf0\x9f\x98\x80",
					   "\xed\xa0\x80",
					   "\xed\xbf\xbf",
					   "\xc0\xaf",
					   "\xe0\x80\xaf",
					   "\xf8\x88\x80\x80\x80",
					   "\xef\xbf\xbd",
					   "x\xff"};
	struct bph_service s;

	skeleton(&s);
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		put_everywhere(&s, strs[i]);
		same_text(&s);
	}
	bph_service_clear(&s);
}

/* Numbers at the ends of their types, and the head's edge cases. */
static void test_numbers_and_head(void **state)
{
	(void)state;
	struct bph_service s;

	skeleton(&s);
	s.ip = 0xffffffff;
	s.port = 65535;
	s.tcp.ttl = 255;
	s.tcp.wscale = -128;
	s.tcp.window = 65535;
	s.tls->key_bits = INT_MIN;
	s.tls->chain_len = INT_MAX;
	s.ssh->hostkeys[0].bits = -1;
	s.http->status = INT_MIN;
	s.http->body_mmh3 = INT32_MIN;
	s.http->has_favicon = true;
	s.http->favicon_mmh3 = INT32_MAX;
	s.http->body_len = SIZE_MAX; /* a negative json_int_t */
	s.banner->len = (size_t)LLONG_MAX + 1;
	same_text(&s);
	s.banner->len = (size_t)LLONG_MAX;
	s.http->favicon_mmh3 = INT32_MIN;
	s.state = (enum bph_port_state)7;
	s.ip = 0;
	same_text(&s);
	for (int st = 0; st < 4; st++) {
		s.state = (enum bph_port_state)st;
		same_text(&s);
	}
	static const long long seen[] = {0,
					 -1,
					 1,
					 -62167219200LL,
					 253402300799LL,
					 253402300800LL,
					 (long long)INT32_MAX * 1000,
					 LLONG_MAX,
					 LLONG_MIN};
	for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++) {
		s.seen = (time_t)seen[i];
		same_text(&s); /* the last two have no RFC 3339 form */
	}
	bph_service_clear(&s);
	memset(&s, 0, sizeof(s)); /* nothing but the head */
	same_text(&s);
}

/* ---- random records ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(next() % n);
}

/* Up to max bytes: mostly printable, with controls, quotes, backslashes,
 * slashes, well-formed sequences and stray high bytes. */
static char *rand_str(size_t max)
{
	static const char *const seqs[] = {"\xc3\xa9",	       "\xe2\x82\xac",
					   "\xf0\x9f\x98\x80", "\xef\xbf\xbd",
					   "\xe2\x80\xae",     "\xc2\x9b"};
	size_t n = pick((unsigned)max + 1), o = 0;
	char *s = malloc(max * 4 + 1);

	assert_non_null(s);
	while (o < n) {
		unsigned r = pick(20);
		if (r < 10)
			s[o++] = (char)(0x20 + pick(0x5f));
		else if (r < 12)
			s[o++] = (char)(1 + pick(0x1f));
		else if (r < 14)
			s[o++] = "\"\\/"[pick(3)];
		else if (r < 17) {
			const char *q = seqs[pick(6)];
			memcpy(s + o, q, strlen(q));
			o += strlen(q);
		} else {
			s[o++] = (char)(0x80 + pick(0x80));
		}
	}
	s[o] = '\0';
	return s;
}

static void rand_set(char **dst)
{
	free(*dst);
	*dst = pick(4) ? rand_str(24) : pick(2) ? strdup("") : NULL;
}

static void rand_fix(char *dst, size_t size)
{
	char *s = pick(4) ? rand_str(size - 1) : strdup("");

	set_fix(dst, size, s);
	free(s);
}

#define RAND_FIX(f) rand_fix(f, sizeof(f))

/* Hex as scanners write it (either case), sometimes not hex at all. */
static void rand_hex(char *dst, size_t size)
{
	size_t n = pick(4) ? pick((unsigned)size) : 0;

	if (!pick(8)) {
		rand_fix(dst, size);
		return;
	}
	for (size_t i = 0; i < n; i++)
		dst[i] = "0123456789abcdefABCDEF"[pick(22)];
	dst[n] = '\0';
}

#define RAND_HEX(f) rand_hex(f, sizeof(f))

static char **rand_strv(size_t n)
{
	char **v = calloc(n ? n : 1, sizeof(char *));

	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		if (pick(5))
			v[i] = rand_str(16);
	return v;
}

static int64_t rand_num(void)
{
	switch (pick(4)) {
	case 0:
		return (int64_t)next();
	case 1:
		return (int64_t)pick(1000) - 500;
	default:
		return (int64_t)pick(70000);
	}
}

static void rand_tcp(struct bph_tcp_traits *t)
{
	t->present = pick(4) != 0;
	t->ttl = (uint8_t)rand_num();
	t->ittl = (uint8_t)rand_num();
	t->hops = (uint8_t)rand_num();
	t->window = (uint16_t)rand_num();
	t->mss = (uint16_t)rand_num();
	t->wscale = (int8_t)rand_num();
	t->df = pick(2);
	t->ipid = (uint16_t)rand_num();
	t->olen = (uint8_t)rand_num();
	RAND_FIX(t->options);
	RAND_FIX(t->quirks);
	RAND_FIX(t->sig);
}

static struct bph_tls_info *rand_tls(void)
{
	struct bph_tls_info *t = bph_tls_info_new();

	assert_non_null(t);
	rand_set(&t->error);
	rand_set(&t->version);
	rand_set(&t->cipher);
	rand_set(&t->alpn);
	RAND_HEX(t->cert_sha256);
	RAND_HEX(t->cert_sha1);
	RAND_HEX(t->spki_sha256);
	rand_set(&t->subject);
	rand_set(&t->issuer);
	rand_set(&t->serial);
	rand_set(&t->not_before);
	rand_set(&t->not_after);
	t->n_san = pick(4);
	t->san = rand_strv(t->n_san);
	t->self_signed = pick(2);
	rand_set(&t->key_type);
	t->key_bits = (int)rand_num();
	rand_set(&t->sig_alg);
	t->chain_len = (int)rand_num();
	RAND_HEX(t->jarm);
	rand_set(&t->jarm_raw);
	RAND_HEX(t->ja3s);
	rand_set(&t->ja3s_full);
	rand_set(&t->sh_extensions);
	return t;
}

static struct bph_ssh_info *rand_ssh(void)
{
	struct bph_ssh_info *h = bph_ssh_info_new();

	assert_non_null(h);
	rand_set(&h->error);
	rand_set(&h->banner);
	RAND_HEX(h->hassh_server);
	rand_set(&h->hassh_server_algorithms);
	for (int i = 0; i < 10 && pick(2); i++)
		rand_set(&h->kexinit[pick(10)]);
	h->n_hostkeys = pick(4);
	h->hostkeys = calloc(h->n_hostkeys + 1, sizeof(*h->hostkeys));
	assert_non_null(h->hostkeys);
	for (size_t i = 0; i < h->n_hostkeys; i++) {
		rand_set(&h->hostkeys[i].type);
		RAND_FIX(h->hostkeys[i].sha256);
		RAND_FIX(h->hostkeys[i].md5);
		h->hostkeys[i].bits = (int)rand_num();
	}
	return h;
}

static struct bph_http_info *rand_http(void)
{
	struct bph_http_info *p = bph_http_info_new();

	assert_non_null(p);
	rand_set(&p->error);
	p->tls = pick(2);
	p->status = (int)rand_num();
	rand_set(&p->status_line);
	rand_set(&p->server);
	rand_set(&p->powered_by);
	rand_set(&p->location);
	rand_set(&p->title);
	p->n_headers = pick(5);
	p->headers = rand_strv(p->n_headers);
	RAND_FIX(p->header_hash);
	RAND_HEX(p->body_sha256);
	p->body_mmh3 = (int32_t)rand_num();
	p->body_len = (size_t)rand_num();
	p->has_favicon = pick(2);
	p->favicon_mmh3 = (int32_t)rand_num();
	RAND_HEX(p->favicon_sha256);
	rand_set(&p->favicon_url);
	return p;
}

static void rand_record(struct bph_service *s)
{
	memset(s, 0, sizeof(*s));
	s->ip = (uint32_t)next();
	s->port = (uint16_t)next();
	s->state = (enum bph_port_state)pick(5);
	s->seen = pick(4) ? (time_t)(next() % 253402300800ULL) : 0;
	rand_set(&s->proto);
	rand_tcp(&s->tcp);
	s->tls = pick(2) ? rand_tls() : NULL;
	s->ssh = pick(2) ? rand_ssh() : NULL;
	s->http = pick(2) ? rand_http() : NULL;
	if (pick(2)) {
		s->banner = bph_banner_info_new();
		assert_non_null(s->banner);
		rand_set(&s->banner->error);
		rand_set(&s->banner->text);
		RAND_HEX(s->banner->sha256);
		s->banner->len = (size_t)rand_num();
	}
}

/* The "seen" the text holds for t, against gmtime_r and strftime. */
static void same_seen(struct bph_service *s, time_t t)
{
	char want[64], got[64];
	struct tm tm;
	struct bph_sbuf b;
	const char *at;

	s->seen = t;
	assert_non_null(gmtime_r(&t, &tm));
	assert_true(strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm));
	bph_sbuf_init(&b);
	assert_int_equal(bph_service_json_text(&b, s), 0);
	bph_sbuf_put(&b, "", 1);
	at = strstr((const char *)b.p, "\"seen\":\"");
	if (!at)
		fail_msg("seen %lld: no seen in %s", (long long)t, b.p);
	assert_int_equal(sscanf(at + 8, "%63[^\"]", got), 1);
	if (strcmp(got, want))
		fail_msg("seen %lld: %s, want %s", (long long)t, got, want);
	bph_sbuf_free(&b);
}

/* Every time from 1970 to 9999 the text writes, as gmtime and strftime
 * write it: the first and last second of every day around the ends of
 * months, leap days and centuries, and random seconds. */
static void test_seen_times(void **state)
{
	(void)state;
	struct bph_service s;
	static const long long days[] = {
	    0,	   58,	  59,	 365,	789,   10956,	10957,	 11016,	 11017,
	    47540, 47541, 47542, 51133, 51134, 2932894, 2932895, 2932896};
	uint64_t x = 88172645463325252ULL;

	skeleton(&s);
	for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
		same_seen(&s, (time_t)(days[i] * 86400 + (days[i] ? 0 : 1)));
		same_seen(&s, (time_t)(days[i] * 86400 + 86399));
	}
	for (long long d = 1; d < 2932897; d += 97) /* every month, year */
		same_seen(&s, (time_t)(d * 86400 + d % 86400));
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		same_seen(&s, (time_t)(1 + x % 253402300799ULL));
	}
	bph_service_clear(&s);
}

static void test_random_records(void **state)
{
	(void)state;
	struct bph_service s;

	for (int i = 0; i < 20000; i++) {
		rand_record(&s);
		same_text(&s);
		bph_service_clear(&s);
	}
}

/* The text appends: what the buffer held stays in front. */
static void test_appends(void **state)
{
	(void)state;
	struct bph_service s;
	struct bph_sbuf b;
	size_t len;

	skeleton(&s);
	put_everywhere(&s, "x");
	bph_sbuf_init(&b);
	bph_sbuf_put(&b, "[", 1);
	assert_int_equal(bph_service_json_text(&b, &s), 0);
	len = b.len;
	assert_int_equal(bph_service_json_text(&b, &s), 0);
	assert_int_equal(b.len, 2 * len - 1);
	assert_memory_equal(b.p + 1, b.p + len, len - 1);
	assert_int_equal(b.p[1], '{');
	assert_int_equal(b.p[b.len - 1], '}');
	bph_sbuf_free(&b);
	bph_service_clear(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_byte),
	    cmocka_unit_test(test_every_pair),
	    cmocka_unit_test(test_long_sequences),
	    cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_numbers_and_head),
	    cmocka_unit_test(test_seen_times),
	    cmocka_unit_test(test_random_records),
	    cmocka_unit_test(test_appends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * bph_service_normalize (fingerprints/record_json.c) against the JSON
 * round trip it stands for (bph_service_from_json of
 * bph_service_to_json), field for field, on hostile and edge records:
 * every member of the record is compared, so a transformation the direct
 * form misses (a cleaning, a cap, a default, a dropped field) fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "fingerprints/record.h"
#include "fingerprints/record_json.h"

/* Markup, quotes, C0 controls, DEL, a C1 control, invalid bytes, an
 * overlong NUL, a surrogate, a code point above U+10FFFF, a cut
 * sequence. */
static const char hostile[] = "<b>\"x\"</b>&\x01\x1f\x7f\xc2\x9b\xff\xc0\x80"
			      " \xed\xa0\x80\xf4\x90\x80\x80 ok \xe2\x82";

/* ---- field-for-field comparison (NULL and "" differ) ---- */

static void str_same(const char *a, const char *b, const char *what)
{
	if (!a || !b) {
		if (a != b)
			fail_msg("%s: %s against %s", what, a ? a : "NULL",
				 b ? b : "NULL");
		return;
	}
	if (strcmp(a, b))
		fail_msg("%s differs (%zu against %zu bytes)", what, strlen(a),
			 strlen(b));
}

static void strv_same(char **a, size_t na, char **b, size_t nb,
		      const char *what)
{
	assert_int_equal(na, nb);
	assert_true((a == NULL) == (b == NULL));
	for (size_t i = 0; i < na; i++)
		str_same(a[i], b[i], what);
}

#define EQ(f)  assert_true(a->f == b->f)
#define STR(f) str_same(a->f, b->f, #f)
#define FIX(f) assert_string_equal(a->f, b->f)

static void tcp_same(const struct bph_tcp_traits *a,
		     const struct bph_tcp_traits *b)
{
	EQ(present);
	EQ(ttl);
	EQ(ittl);
	EQ(hops);
	EQ(window);
	EQ(mss);
	EQ(wscale);
	EQ(df);
	EQ(ipid);
	EQ(olen);
	EQ(has_ts);
	EQ(tsval);
	EQ(tsecr);
	FIX(options);
	FIX(quirks);
	FIX(sig);
}

static void tls_same(const struct bph_tls_info *a, const struct bph_tls_info *b)
{
	STR(error);
	STR(version);
	STR(cipher);
	STR(alpn);
	FIX(cert_sha256);
	FIX(cert_sha1);
	FIX(spki_sha256);
	STR(subject);
	STR(issuer);
	STR(serial);
	STR(not_before);
	STR(not_after);
	strv_same(a->san, a->n_san, b->san, b->n_san, "san");
	EQ(self_signed);
	STR(key_type);
	EQ(key_bits);
	STR(sig_alg);
	EQ(chain_len);
	FIX(ja3s);
	STR(ja3s_full);
	FIX(jarm);
	STR(jarm_raw);
	STR(sh_extensions);
}

static void ssh_same(const struct bph_ssh_info *a, const struct bph_ssh_info *b)
{
	STR(error);
	STR(banner);
	FIX(hassh_server);
	STR(hassh_server_algorithms);
	for (int i = 0; i < 10; i++)
		STR(kexinit[i]);
	EQ(n_hostkeys);
	assert_true((a->hostkeys == NULL) == (b->hostkeys == NULL));
	for (size_t i = 0; i < a->n_hostkeys; i++) {
		STR(hostkeys[i].type);
		FIX(hostkeys[i].sha256);
		FIX(hostkeys[i].md5);
		EQ(hostkeys[i].bits);
	}
}

static void http_same(const struct bph_http_info *a,
		      const struct bph_http_info *b)
{
	STR(error);
	EQ(tls);
	EQ(status);
	STR(status_line);
	STR(server);
	STR(powered_by);
	STR(location);
	STR(title);
	strv_same(a->headers, a->n_headers, b->headers, b->n_headers,
		  "headers");
	FIX(header_hash);
	FIX(body_sha256);
	EQ(body_mmh3);
	EQ(body_len);
	EQ(has_favicon);
	EQ(favicon_mmh3);
	FIX(favicon_sha256);
	STR(favicon_url);
}

static void banner_same(const struct bph_banner_info *a,
			const struct bph_banner_info *b)
{
	STR(error);
	STR(text);
	FIX(sha256);
	EQ(len);
}

#define SUB(f, fn)                                                             \
	do {                                                                   \
		assert_true((a->f == NULL) == (b->f == NULL));                 \
		if (a->f)                                                      \
			fn(a->f, b->f);                                        \
	} while (0)

static void service_same(const struct bph_service *a,
			 const struct bph_service *b)
{
	EQ(ip);
	EQ(port);
	EQ(state);
	EQ(seen);
	tcp_same(&a->tcp, &b->tcp);
	STR(proto);
	SUB(tls, tls_same);
	SUB(ssh, ssh_same);
	SUB(http, http_same);
	SUB(banner, banner_same);
}

/* in through the tree and back, and directly; both give the same result
 * (a failure of the round trip is a failure of the direct form). */
static void check(const struct bph_service *in, int want)
{
	struct bph_service rt = {0}, direct = {0};
	json_t *j = bph_service_to_json(in);
	int rc_rt = j ? bph_service_from_json(j, &rt, NULL, 0) : BPH_ERR_NOMEM;
	int rc = bph_service_normalize(in, &direct);

	json_decref(j);
	assert_int_equal(rc_rt, want); /* the case tests what it means to */
	assert_int_equal(rc, want);
	if (!rc)
		service_same(&rt, &direct);
	bph_service_clear(&rt);
	bph_service_clear(&direct);
}

/* ---- the records ---- */

static char **strv(size_t n, const char *s)
{
	char **v = calloc(n, sizeof(char *));

	assert_non_null(v);
	for (size_t i = 0; s && i < n; i++)
		v[i] = strdup(s);
	return v;
}

/* A long string: n bytes of pattern repeated. */
static char *repeat(const char *pat, size_t n)
{
	size_t k = strlen(pat);
	char *s = malloc(n + 1);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		s[i] = pat[i % k];
	s[n] = '\0';
	return s;
}

/* Every field set, strings hostile, hex in upper case, what JSON does
 * not carry set too. */
static void full(struct bph_service *s)
{
	memset(s, 0, sizeof(*s));
	s->ip = 0xc6120a0a;
	s->port = 443;
	s->state = BPH_STATE_OPEN;
	s->seen = 1795000000;
	s->proto = strdup(hostile);
	s->tcp.present = true;
	s->tcp.ttl = 63;
	s->tcp.ittl = 64;
	s->tcp.hops = 1;
	s->tcp.window = 64240;
	s->tcp.mss = 1360;
	s->tcp.wscale = 7;
	s->tcp.df = true;
	s->tcp.ipid = 99;
	s->tcp.olen = 4;
	s->tcp.has_ts = true; /* not written: comes back false */
	s->tcp.tsval = 12345;
	s->tcp.tsecr = 678;
	strcpy(s->tcp.options, "mss,\x01\xff");
	strcpy(s->tcp.quirks, "df");
	strcpy(s->tcp.sig, "4:64+1:0:1360:mss*44,7");
	struct bph_tls_info *t = s->tls = bph_tls_info_new();
	t->error = strdup(hostile);
	t->version = strdup("TLSv1.3");
	t->cipher = strdup("\x80");
	t->alpn = strdup("h2");
	strcpy(t->cert_sha256, "ABCDEF0123");
	strcpy(t->cert_sha1, "aB");
	strcpy(t->spki_sha256, "00FF");
	t->subject = strdup(hostile);
	t->issuer = strdup("CN=\x1b[31m");
	t->serial = strdup("0a");
	t->not_before = strdup("2026-01-01T00:00:00Z");
	t->not_after = strdup("");
	t->n_san = 4;
	t->san = strv(4, NULL);
	t->san[0] = strdup("a.example");
	t->san[2] = strdup("");
	t->san[3] = strdup(hostile);
	t->self_signed = true;
	t->key_type = strdup("RSA");
	t->key_bits = -5;
	t->sig_alg = strdup(hostile);
	t->chain_len = 3;
	strcpy(t->ja3s, "FFEE");
	t->ja3s_full = strdup("771,4865");
	strcpy(t->jarm, "2AD2AD");
	t->jarm_raw = strdup("|||,\xff");
	t->sh_extensions = strdup("002b-0033");
	struct bph_ssh_info *h = s->ssh = bph_ssh_info_new();
	h->error = strdup("");
	h->banner = strdup("SSH-2.0-x\r\n\x7f\xfe");
	strcpy(h->hassh_server, "D43D");
	h->hassh_server_algorithms = strdup(hostile);
	h->kexinit[3] = strdup("curve25519-sha256,\xc3");
	h->kexinit[5] = strdup("");
	h->n_hostkeys = 3;
	h->hostkeys = calloc(3, sizeof(*h->hostkeys));
	h->hostkeys[0].type = strdup("ssh-ed25519");
	strcpy(h->hostkeys[0].sha256, "SHA256:abc\xff");
	strcpy(h->hostkeys[0].md5, "MD5:\x01");
	h->hostkeys[0].bits = 256;
	h->hostkeys[1].type = strdup("");
	struct bph_http_info *p = s->http = bph_http_info_new();
	p->tls = true;
	p->status = -1;
	p->status_line = strdup("HTTP/1.1 200 \xff");
	p->server = strdup(hostile);
	p->powered_by = strdup("");
	p->location = strdup("http://x/\x01");
	p->title = strdup(hostile);
	p->n_headers = 2;
	p->headers = strv(2, NULL);
	p->headers[1] = strdup("X-\xff");
	strcpy(p->header_hash, "hhh:1:\xe2\x82");
	strcpy(p->body_sha256, "AA");
	p->body_mmh3 = INT32_MIN;
	p->body_len = 7;
	p->has_favicon = true;
	p->favicon_mmh3 = -1;
	strcpy(p->favicon_sha256, "Bb");
	p->favicon_url = strdup(hostile);
	struct bph_banner_info *b = s->banner = bph_banner_info_new();
	b->error = strdup("\xff");
	b->text = strdup(hostile);
	strcpy(b->sha256, "C0");
	b->len = 22;
}

static void test_hostile_full_record(void **state)
{
	(void)state;
	struct bph_service s;

	full(&s);
	check(&s, 0);
	bph_service_clear(&s);
}

/* A closed port: no sub-objects, tcp not present (its fields are not
 * written), no proto, an unknown state value, seen zero or far back. */
static void test_closed_and_missing(void **state)
{
	(void)state;
	struct bph_service s = {0};

	s.ip = 1;
	s.state = BPH_STATE_CLOSED;
	s.tcp.ttl = 5;
	s.tcp.has_ts = true;
	strcpy(s.tcp.sig, "x");
	check(&s, 0);
	s.state = (enum bph_port_state)7;
	s.proto = strdup("");
	check(&s, 0);
	s.seen = -62167219200LL; /* 0000-01-01: still readable */
	check(&s, 0);
	s.seen = -1;
	check(&s, 0);
	/* sub-objects present but empty, favicon hash without a favicon */
	s.tls = bph_tls_info_new();
	s.ssh = bph_ssh_info_new();
	s.http = bph_http_info_new();
	s.banner = bph_banner_info_new();
	s.http->favicon_mmh3 = 77;
	s.tls->san = strv(1, "dropped");
	s.tls->n_san = 0;
	check(&s, 0);
	free(s.tls->san[0]);
	bph_service_clear(&s);
}

/* Strings at and over the cap: cut at BPH_JSON_STR_MAX bytes after
 * cleaning (which triples invalid bytes), also inside a sequence. */
static void test_overlong(void **state)
{
	(void)state;
	struct bph_service s = {0};

	s.http = bph_http_info_new();
	s.http->title = repeat("a", BPH_JSON_STR_MAX + 10);
	s.http->server = repeat("\xff", 30000);
	s.http->location = repeat("ab\xe2\x82\xac", BPH_JSON_STR_MAX + 1);
	s.http->status_line = repeat("a", BPH_JSON_STR_MAX);
	s.http->n_headers = 1;
	s.http->headers = strv(1, NULL);
	s.http->headers[0] = repeat("\x01\xc0", 40000);
	s.proto = repeat("\xe2\x82\xac", BPH_JSON_STR_MAX + 2);
	strcpy(s.tcp.options, "a"); /* not present: dropped */
	check(&s, 0);
	bph_service_clear(&s);
}

/* What the round trip refuses, the direct form refuses. */
static void test_refused_alike(void **state)
{
	(void)state;
	struct bph_service s;

	full(&s);
	memset(s.tcp.options, 0xff, 40); /* 120 bytes cleaned, room for 95 */
	s.tcp.options[40] = '\0';
	check(&s, BPH_ERR_FORMAT);
	memset(s.tcp.options, 0xff, 31); /* 93 bytes: fits */
	s.tcp.options[31] = '\0';
	check(&s, 0);
	strcpy(s.tls->jarm, "2ad2ag"); /* not hex */
	check(&s, BPH_ERR_FORMAT);
	strcpy(s.tls->jarm, "");
	s.seen = 253402300800LL; /* year 10000 */
	check(&s, BPH_ERR_FORMAT);
	s.seen = -62167219201LL; /* year -1 */
	check(&s, BPH_ERR_FORMAT);
	s.seen = 1;
	s.banner->len = (size_t)-1;
	check(&s, BPH_ERR_FORMAT);
	s.banner->len = 0;
	check(&s, 0);
	bph_service_clear(&s);

	full(&s);
	free(s.http->headers[1]); /* [0] is NULL */
	free(s.http->headers);
	s.http->n_headers = 1025;
	s.http->headers = strv(1025, "h");
	check(&s, BPH_ERR_FORMAT);
	s.http->n_headers = 1024;
	check(&s, 0);
	s.http->n_headers = 1025;
	bph_service_clear(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hostile_full_record),
	    cmocka_unit_test(test_closed_and_missing),
	    cmocka_unit_test(test_overlong),
	    cmocka_unit_test(test_refused_alike),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

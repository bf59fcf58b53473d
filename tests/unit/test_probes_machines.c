/*
 * test_probes_machines.c - the probes as byte-level state machines, driven
 * directly through their descriptors (no sockets): detection verdicts,
 * JARM read and failure semantics, favicon target selection, banner
 * poking, and hostile byte streams (random, truncated, split one byte at a
 * time) that must end in a recorded error, never a crash or a hang.
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
#include "fingerprints/jarm.h"
#include "fingerprints/record.h"
#include "probes/registry.h"
#include "testlib/testlib.h"

#define MAX_CONNS 16

/* One probe run, driven by hand. */
struct drive {
	const struct bph_probe *p;
	struct bph_probe_ctx ctx;
	void *priv;
	void *conn[MAX_CONNS];
	struct bph_sbuf out[MAX_CONNS]; /* everything the probe sent */
	int idle_ms[MAX_CONNS];
};

static void drive_init(struct drive *d, const struct bph_probe *p, bool tls)
{
	memset(d, 0, sizeof(*d));
	d->p = p;
	d->ctx.ip = "127.0.0.1";
	d->ctx.port = 4242;
	d->ctx.sni = "127.0.0.1";
	d->ctx.wait_ms = 100;
	d->ctx.tls = tls;
	d->priv = calloc(1, p->priv_size);
	assert_non_null(d->priv);
	if (p->init)
		assert_int_equal(p->init(d->priv, &d->ctx), 0);
}

static int drive_start(struct drive *d, int idx)
{
	struct bph_probe_io io = {&d->out[idx], 0};
	int rc;

	assert_true(idx < MAX_CONNS);
	assert_true(idx < d->p->conns(d->priv));
	d->conn[idx] = calloc(1, d->p->conn_size ? d->p->conn_size : 1);
	assert_non_null(d->conn[idx]);
	rc = d->p->start(d->priv, d->conn[idx], idx, &io);
	d->idle_ms[idx] = io.idle_ms;
	return rc;
}

static int drive_read(struct drive *d, int idx, const void *p, size_t n)
{
	struct bph_probe_io io = {&d->out[idx], 0};
	int rc = d->p->on_read(d->priv, d->conn[idx], idx, p, n, &io);

	d->idle_ms[idx] = io.idle_ms;
	return rc;
}

static int drive_idle(struct drive *d, int idx)
{
	struct bph_probe_io io = {&d->out[idx], 0};
	int rc;

	assert_non_null(d->p->on_idle);
	assert_true(d->idle_ms[idx] > 0); /* the probe asked for it */
	rc = d->p->on_idle(d->priv, d->conn[idx], idx, &io);
	d->idle_ms[idx] = io.idle_ms;
	return rc;
}

static void drive_close(struct drive *d, int idx, int status)
{
	d->p->on_close(d->priv, d->conn[idx], idx, status);
	free(d->conn[idx]);
	d->conn[idx] = NULL;
}

static void drive_finish(struct drive *d, struct bph_service *svc)
{
	assert_int_equal(d->p->finish(d->priv, svc), 0);
	if (d->p->cleanup)
		d->p->cleanup(d->priv);
	free(d->priv);
	for (int i = 0; i < MAX_CONNS; i++)
		bph_sbuf_free(&d->out[i]);
}

/* Connection idx failed before start (e.g. refused): on_close only. */
static void drive_fail(struct drive *d, int idx, int status)
{
	d->conn[idx] = calloc(1, d->p->conn_size ? d->p->conn_size : 1);
	assert_non_null(d->conn[idx]);
	drive_close(d, idx, status);
}

/* Feeds data in chunks of `chunk` bytes; then EOF. Returns the status. */
static int drive_stream(struct drive *d, int idx, const uint8_t *p, size_t n,
			size_t chunk)
{
	int rc = drive_start(d, idx);

	for (size_t off = 0; rc == BPH_PROBE_MORE && off < n; off += chunk)
		rc = drive_read(d, idx, p + off,
				n - off < chunk ? n - off : chunk);
	if (rc == BPH_PROBE_MORE)
		rc = d->p->on_eof ? d->p->on_eof(d->priv, d->conn[idx], idx)
				  : BPH_ERR_PROTO;
	rc = rc > 0 ? 0 : rc;
	drive_close(d, idx, rc);
	return rc;
}

/* ---- detect ---------------------------------------------------------- */

static char *detect_verdict(const char *first, const char *second,
			    bool *conn_error)
{
	struct drive d;
	struct bph_service svc;
	char *proto;
	int rc;

	memset(&svc, 0, sizeof(svc));
	drive_init(&d, &bph_probe_detect, false);
	rc = drive_start(&d, 0);
	assert_int_equal(rc, BPH_PROBE_MORE);
	if (first)
		rc = drive_read(&d, 0, first, strlen(first));
	if (rc == BPH_PROBE_MORE && second)
		rc = drive_read(&d, 0, second, strlen(second));
	if (rc == BPH_PROBE_MORE)
		rc = drive_idle(&d, 0);
	assert_int_equal(rc, BPH_PROBE_DONE);
	drive_close(&d, 0, 0);
	drive_finish(&d, &svc);
	*conn_error = svc.banner && svc.banner->error;
	proto = svc.proto ? strdup(svc.proto) : NULL;
	bph_service_clear(&svc);
	return proto;
}

static void test_detect(void **state)
{
	bool e;
	char *v;

	(void)state;
	v = detect_verdict("SSH-2.0-OpenSSH_9.2\r\n", NULL, &e);
	assert_string_equal(v, "ssh");
	free(v);
	v = detect_verdict("SS", "H-2.0-x\r\n", &e); /* split prefix */
	assert_string_equal(v, "ssh");
	free(v);
	v = detect_verdict("SS", "MTP?", &e);
	assert_string_equal(v, "banner");
	free(v);
	v = detect_verdict("220 mail ESMTP\r\n", NULL, &e);
	assert_string_equal(v, "banner");
	free(v);
	v = detect_verdict(NULL, NULL, &e); /* silence */
	assert_null(v);
	assert_false(e);
}

static void test_detect_refused(void **state)
{
	struct drive d;
	struct bph_service svc;

	(void)state;
	memset(&svc, 0, sizeof(svc));
	drive_init(&d, &bph_probe_detect, false);
	drive_fail(&d, 0, BPH_ERR_REFUSED); /* connect failed */
	drive_finish(&d, &svc);
	assert_null(svc.proto);
	assert_non_null(svc.banner);
	assert_non_null(strstr(svc.banner->error, "refused"));
	bph_service_clear(&svc);
}

/* ---- jarm ------------------------------------------------------------ */

/* ServerHello vector from docs/fingerprints.md 1.8: c02f|0303|h2|ff01-... */
static const char sh_hex[] =
    "1603030064020000600303111111111111111111111111111111111111111111"
    "1111111111111111111111202222222222222222222222222222222222222222"
    "222222222222222222222222c02f000018ff0100010000000000001000050003"
    "026832000b00020100";

static void jarm_run(int timeout_at, int refuse_at, size_t chunk,
		     struct bph_service *svc)
{
	uint8_t sh[256];
	size_t n = bph_test_unhex(sh_hex, sh, sizeof(sh));
	struct drive d;

	drive_init(&d, &bph_probe_jarm, false);
	assert_int_equal(d.p->conns(d.priv), BPH_JARM_PROBES);
	for (int i = 0; i < BPH_JARM_PROBES; i++) {
		if (i == timeout_at || i == refuse_at) {
			drive_fail(&d, i,
				   i == timeout_at ? BPH_ERR_TIMEOUT
						   : BPH_ERR_REFUSED);
			continue;
		}
		/* The record plus trailing bytes of a next record. */
		uint8_t buf[300];
		memcpy(buf, sh, n);
		memset(buf + n, 0x16, 20);
		assert_int_equal(drive_stream(&d, i, buf, n + 20, chunk), 0);
		/* Each connection sent exactly one ClientHello record. */
		assert_true(d.out[i].len > 5);
		assert_int_equal(d.out[i].p[0], 0x16);
		assert_int_equal(d.out[i].len, 5 + (size_t)(d.out[i].p[3] << 8 |
							    d.out[i].p[4]));
	}
	memset(svc, 0, sizeof(*svc));
	drive_finish(&d, svc);
}

static void test_jarm_semantics(void **state)
{
	struct bph_service svc;
	char want[BPH_JARM_PROBES * 40] = "";

	(void)state;
	/* Whole reply at once, and one byte at a time: same result. */
	for (size_t chunk = 1; chunk <= 4096; chunk += 4095) {
		jarm_run(-1, 3, chunk, &svc);
		want[0] = '\0';
		for (int i = 0; i < BPH_JARM_PROBES; i++) {
			strcat(want, i ? "," : "");
			strcat(want, i == 3
					 ? "|||"
					 : "c02f|0303|h2|ff01-0000-0010-000b");
		}
		assert_string_equal(svc.tls->jarm_raw, want);
		assert_int_equal(strlen(svc.tls->jarm), 62);
		assert_memory_equal(svc.tls->jarm, "29d29d29d00029d29d29d", 21);
		bph_service_clear(&svc);
	}
	/* A timeout anywhere: 62 zeros, as jarm.py. */
	jarm_run(7, -1, 4096, &svc);
	assert_string_equal(svc.tls->jarm, "00000000000000000000000000000000"
					   "000000000000000000000000000000");
	assert_string_equal(svc.tls->jarm_raw, "|||,|||,|||,|||,|||,|||,|||,"
					       "|||,|||,|||");
	bph_service_clear(&svc);
}

/* ---- http ------------------------------------------------------------ */

static char *favicon_request(const char *link)
{
	static const char nf[] = "HTTP/1.1 404 Not Found\r\n"
				 "Content-Length: 0\r\n\r\n";
	char resp[1024], body[512];
	struct drive d;
	struct bph_service svc;
	char *line;

	snprintf(body, sizeof(body),
		 "<html><head>%s<title>x</title></head></html>", link);
	snprintf(resp, sizeof(resp),
		 "HTTP/1.1 200 OK\r\nServer: t\r\nContent-Length: %zu\r\n"
		 "\r\n%s",
		 strlen(body), body);
	drive_init(&d, &bph_probe_http, false);
	assert_int_equal(
	    drive_stream(&d, 0, (const uint8_t *)resp, strlen(resp), 7), 0);
	assert_memory_equal(d.out[0].p, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n",
			    33);
	assert_int_equal(d.p->conns(d.priv), 2);
	assert_int_equal(drive_start(&d, 1), BPH_PROBE_MORE);
	line = strndup((const char *)d.out[1].p,
		       strcspn((const char *)d.out[1].p, "\r"));
	/* 404: no favicon recorded. */
	assert_int_equal(drive_read(&d, 1, nf, strlen(nf)), BPH_PROBE_DONE);
	drive_close(&d, 1, 0);
	memset(&svc, 0, sizeof(svc));
	drive_finish(&d, &svc);
	assert_int_equal(svc.http->status, 200);
	assert_false(svc.http->has_favicon);
	bph_service_clear(&svc);
	return line;
}

static void test_http_favicon_target(void **state)
{
	static const char *const cases[][2] = {
	    {"<link rel=\"icon\" href=\"/static/a.png\">",
	     "GET /static/a.png HTTP/1.1"},
	    {"<link rel=\"icon\" href=\"img/b.ico\">",
	     "GET /img/b.ico HTTP/1.1"},
	    {"<link rel=\"icon\" href=\"http://evil.example/x.ico\">",
	     "GET /favicon.ico HTTP/1.1"},
	    {"<link rel=\"icon\" href=\"//cdn.example/x.ico\">",
	     "GET /favicon.ico HTTP/1.1"},
	    {"<link rel=\"icon\" href=\"/a b\r\nX: y\">",
	     "GET /favicon.ico HTTP/1.1"},
	    {"<link rel=\"stylesheet\" href=\"/s.css\">",
	     "GET /favicon.ico HTTP/1.1"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *line = favicon_request(cases[i][0]);
		assert_string_equal(line, cases[i][1]);
		free(line);
	}
}

static void test_http_favicon_recorded(void **state)
{
	static const char resp0[] = "HTTP/1.0 200 OK\r\n\r\n<html></html>";
	static const char resp1[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
				    "\r\nfoo";
	struct drive d;
	struct bph_service svc;

	(void)state;
	drive_init(&d, &bph_probe_http, false);
	/* No length: the body ends at EOF. */
	assert_int_equal(
	    drive_stream(&d, 0, (const uint8_t *)resp0, strlen(resp0), 5), 0);
	assert_int_equal(
	    drive_stream(&d, 1, (const uint8_t *)resp1, strlen(resp1), 1), 0);
	memset(&svc, 0, sizeof(svc));
	drive_finish(&d, &svc);
	assert_true(svc.http->has_favicon);
	/* sha256("foo") */
	assert_string_equal(svc.http->favicon_sha256,
			    "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f"
			    "98a5e886266e7ae");
	assert_string_equal(svc.http->favicon_url,
			    "http://127.0.0.1:4242/favicon.ico");
	bph_service_clear(&svc);
}

/* A server-first banner that arrives after detect's wait: TLS and HTTP
 * both hand the engine a "ssh" hint. */
static void test_late_ssh_hint(void **state)
{
	static const char id[] = "SSH-2.0-OpenSSH_9.2\r\nInvalid SSH "
				 "identification string.\r\n";
	const struct bph_probe *probes[] = {&bph_probe_tls, &bph_probe_http};

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct drive d;
		struct bph_service svc;
		drive_init(&d, probes[i], false);
		assert_true(drive_stream(&d, 0, (const uint8_t *)id, strlen(id),
					 3) < 0);
		memset(&svc, 0, sizeof(svc));
		drive_finish(&d, &svc);
		assert_non_null(svc.proto);
		assert_string_equal(svc.proto, "ssh");
		bph_service_clear(&svc);
	}
}

/* ---- banner ---------------------------------------------------------- */

static void test_banner_poke(void **state)
{
	struct drive d;
	struct bph_service svc;

	(void)state;
	drive_init(&d, &bph_probe_banner, false);
	assert_int_equal(drive_start(&d, 0), BPH_PROBE_MORE);
	assert_int_equal(d.out[0].len, 0); /* listens first */
	assert_int_equal(drive_idle(&d, 0), BPH_PROBE_MORE);
	assert_int_equal(d.out[0].len, 4);
	assert_memory_equal(d.out[0].p, "\r\n\r\n", 4);
	assert_int_equal(drive_read(&d, 0, "ERR\x01\n", 5), BPH_PROBE_MORE);
	assert_int_equal(drive_idle(&d, 0), BPH_PROBE_DONE);
	drive_close(&d, 0, 0);
	memset(&svc, 0, sizeof(svc));
	drive_finish(&d, &svc);
	assert_null(svc.banner->error);
	assert_int_equal(svc.banner->len, 5);
	assert_string_equal(svc.banner->text, "ERR\\x01\\n");
	bph_service_clear(&svc);
}

/* ---- hostile streams ------------------------------------------------- */

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void hostile_one(const struct bph_probe *p, bool tls, const char *prefix,
			uint32_t *seed)
{
	size_t n = 1 + rnd(seed) % 70000, plen = strlen(prefix);
	uint8_t *buf = malloc(n + plen);
	struct drive d;
	struct bph_service svc;

	assert_non_null(buf);
	memcpy(buf, prefix, plen);
	for (size_t i = 0; i < n; i++)
		buf[plen + i] = (uint8_t)rnd(seed);
	drive_init(&d, p, tls);
	for (int i = 0; i < d.p->conns(d.priv) && i < MAX_CONNS; i++)
		drive_stream(&d, i, buf, n + plen, 1 + rnd(seed) % 3000);
	memset(&svc, 0, sizeof(svc));
	drive_finish(&d, &svc);
	if (p == &bph_probe_ssh) {
		assert_non_null(svc.ssh);
		assert_int_equal(svc.ssh->n_hostkeys, 0);
		assert_non_null(svc.ssh->error);
	}
	if (p == &bph_probe_tls) {
		assert_non_null(svc.tls);
		assert_null(svc.tls->version);
		assert_non_null(svc.tls->error);
	}
	bph_service_clear(&svc);
	free(buf);
}

static void test_hostile_streams(void **state)
{
	static const char *const prefixes[] = {
	    "",
	    "SSH-2.0-x\r\n",
	    "\x16\x03\x03\x00\x40\x02",
	    "HTTP/1.1 200 OK\r\n",
	    ("HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	     "chunked\r\n\r\nffffffffffffff\r\n"),
	};
	const struct bph_probe *probes[] = {&bph_probe_ssh, &bph_probe_tls,
					    &bph_probe_http, &bph_probe_jarm,
					    &bph_probe_banner};
	uint32_t seed = 0x1234567;

	(void)state;
	for (int round = 0; round < 6; round++)
		for (size_t p = 0; p < 5; p++)
			for (size_t x = 0; x < 5; x++) {
				hostile_one(probes[p], false, prefixes[x],
					    &seed);
				if (probes[p] == &bph_probe_http)
					hostile_one(probes[p], true,
						    prefixes[x], &seed);
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_detect),
	    cmocka_unit_test(test_detect_refused),
	    cmocka_unit_test(test_jarm_semantics),
	    cmocka_unit_test(test_http_favicon_target),
	    cmocka_unit_test(test_http_favicon_recorded),
	    cmocka_unit_test(test_late_ssh_hint),
	    cmocka_unit_test(test_banner_poke),
	    cmocka_unit_test(test_hostile_streams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

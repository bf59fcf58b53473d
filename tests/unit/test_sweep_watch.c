#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "sweep/watch.h"

#define KEY  "SHA256:C3NzaC1lZDI1NTE5AAAAIGsm0Yd2O0vQ3Dq9ZxkU0xq"
#define MD5  "9a:2f:3c:44:5d:6e:7f:80:91:a2:b3:c4:d5:e6:f7:08"
#define SHA1 "0123456789ABCDEF0123456789abcdef01234567"

static int load(struct bph_watchlist *w, const char *path, const char *text,
		char *err, size_t errlen)
{
	err[0] = '\0';
	return bph_watch_load_mem(w, path, text, strlen(text), err, errlen);
}

static void test_yaml(void **state)
{
	(void)state;
	struct bph_watchlist w = {0};
	char err[512];
	const char *text =
	    "version: 1\n"
	    "source: case-114\n"
	    "entries:\n"
	    "  - {kind: ssh_hostkey, value: \"" KEY "\", desc: "
	    "panel key}\n"
	    "  - {kind: jarm, value: "
	    "2ad2ad0002ad2ad0002ad2ad2ad2adce7a321e4956e8298ba917e9"
	    "f2c22849}\n"
	    "  - {kind: cidr, value: 198.18.20.0/24, severity: "
	    "critical, expires: 2001-01-01}\n"
	    "  - {kind: favicon_mmh3, value: -228783198}\n";
	assert_int_equal(load(&w, "w.yaml", text, err, sizeof(err)), 0);
	assert_int_equal(bph_watch_finish(&w), 0);
	assert_int_equal(w.n, 4);
	const struct bph_watch_entry *k = NULL, *j = NULL, *c = NULL;
	for (size_t i = 0; i < w.n; i++) {
		if (w.v[i].kind == BPH_WK_SSH_HOSTKEY)
			k = &w.v[i];
		if (w.v[i].kind == BPH_WK_JARM)
			j = &w.v[i];
		if (w.v[i].kind == BPH_WK_CIDR)
			c = &w.v[i];
	}
	assert_non_null(k);
	assert_int_equal(k->severity, BPH_SEV_HIGH);
	assert_string_equal(k->desc, "panel key");
	assert_string_equal(k->source, "case-114");
	assert_int_equal(k->line, 4);
	assert_int_equal(strlen(k->key), 32);
	assert_int_equal(j->severity, BPH_SEV_LOW); /* weak kind */
	assert_int_equal(c->severity, BPH_SEV_CRITICAL);
	assert_int_equal(c->expires, 978393600); /* 2001-01-02T00:00:00Z */
	assert_int_equal(c->lo, 0xc6121400);
	assert_int_equal(c->hi, 0xc61214ff);
	bph_watch_clear(&w);
}

static void test_zeek(void **state)
{
	(void)state;
	struct bph_watchlist w = {0};
	char err[512];
	const char *text =
	    "#separator \\x09\n"
	    "#fields\tindicator\tindicator_type\tmeta.source\t"
	    "meta.desc\tmeta.do_notice\n"
	    "198.18.10.10\tIntel::ADDR\tfeed-a\t-\tT\n"
	    "198.18.20.0/24\tIntel::SUBNET\tfeed-a\tnet\tF\n" SHA1
	    "\tIntel::CERT_HASH\tfeed-b\tcert\tT\n"
	    "MD5:" MD5 "\tIntel::PUBKEY_HASH\tfeed-b\tkey\tT\n"
	    "\n# a comment\n";
	assert_int_equal(load(&w, "f.intel", text, err, sizeof(err)), 0);
	assert_int_equal(bph_watch_finish(&w), 0);
	assert_int_equal(w.n, 4);
	for (size_t i = 0; i < w.n; i++) {
		if (w.v[i].kind == BPH_WK_CERT_SHA1)
			assert_string_equal(
			    w.v[i].value,
			    "0123456789abcdef0123456789abcdef01234567");
		if (w.v[i].kind == BPH_WK_SSH_HOSTKEY_MD5)
			assert_string_equal(w.v[i].value, MD5);
		if (w.v[i].kind == BPH_WK_IP)
			assert_null(w.v[i].desc);
	}
	bph_watch_clear(&w);
}

static void expect_error(const char *path, const char *text, const char *where,
			 const char *what)
{
	struct bph_watchlist w = {0};
	char err[512];
	int rc = load(&w, path, text, err, sizeof(err));
	if (!strstr(err, where) || !strstr(err, what))
		fprintf(stderr, "got: %s\n", err);
	assert_int_equal(rc, BPH_ERR_FORMAT);
	assert_non_null(strstr(err, where));
	assert_non_null(strstr(err, what));
	assert_int_equal(w.n, 0);
	bph_watch_clear(&w);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("w.yaml",
		     "source: x\nentries:\n  - {kind: sshkey, value: a}\n",
		     "w.yaml:3:12:", "'sshkey' is not one of");
	expect_error("w.yaml",
		     "source: x\nentries:\n  - {kind: jarm, value: zz}\n",
		     "w.yaml:3:25:", "62 hexadecimal digits");
	expect_error("w.yaml", "source: x\nentry: []\n",
		     "w.yaml:2:1:", "unknown key 'entry'");
	expect_error("w.yaml", "entries: []\n",
		     "w.yaml:1:1:", "needs source and entries");
	expect_error("w.yaml",
		     "source: x\nentries:\n  - {kind: ip, value: 1.2.3.4, "
		     "expires: soon}\n",
		     "w.yaml:3:41:", "expires");
	expect_error("w.yaml", "source: x\nentries: [\n", "w.yaml:", "");
	expect_error("w.yaml",
		     "source: x\nentries:\n  - {kind: ip, value: 1.2.3.4, "
		     "severity: urgent}\n",
		     "w.yaml:3:42:", "severity");
	const char *hdr = "#fields\tindicator\tindicator_type\tmeta.source\n";
	char buf[512];
	snprintf(buf, sizeof(buf), "%s\"198.18.10.10\"\tIntel::ADDR\tf\n", hdr);
	expect_error("f.intel", buf, "f.intel:2:1:", "IPv4 address");
	snprintf(buf, sizeof(buf), "%sexample.com\tIntel::DOMAIN\tf\n", hdr);
	expect_error("f.intel", buf, "f.intel:2:13:", "unsupported");
	snprintf(buf, sizeof(buf), "%s1.2.3.4\tIntel::ADDR\n", hdr);
	expect_error("f.intel", buf, "f.intel:2:1:", "2 tab-separated fields");
	snprintf(buf, sizeof(buf), "%s2001:db8::1\tIntel::ADDR\tf\n", hdr);
	expect_error("f.intel", buf, "f.intel:2:1:", "IPv6");
	snprintf(buf, sizeof(buf), "%s1.2.3.4\tIntel::ADDR\t-\n", hdr);
	expect_error("f.intel", buf, "f.intel:2:1:", "meta.source is unset");
	snprintf(buf, sizeof(buf), "%s1.2.3.0/33\tIntel::SUBNET\tf\n", hdr);
	expect_error("f.intel", buf, "f.intel:2:1:", "network");
	expect_error("f.intel", "#fields\tindicator\tindicator_type\tcolor\n",
		     "f.intel:1:34:", "unknown column");
	expect_error(
	    "f.intel",
	    "#fields\tindicator\tindicator_type\n1.2.3.4\tIntel::ADDR\n",
	    "f.intel:1:1:", "meta.source");
}

struct hits {
	char got[8][96];
	size_t n;
};

static void on_hit(void *ctx, const struct bph_watch_entry *e,
		   const struct bph_service *s, int port, const char *value)
{
	struct hits *h = ctx;
	(void)s;
	if (h->n < 8)
		snprintf(h->got[h->n++], 96, "%s %d %s",
			 bph_watch_kind_name(e->kind), port, value);
}

static void test_match(void **state)
{
	(void)state;
	struct bph_watchlist w = {0};
	char err[512];
	const char *text =
	    "source: t\nentries:\n"
	    "  - {kind: ssh_hostkey, value: \"" KEY "\"}\n"
	    "  - {kind: ssh_hostkey_md5, value: \"MD5:" MD5 "\"}\n"
	    "  - {kind: cidr, value: 198.18.10.0/24}\n"
	    "  - {kind: ip, value: 198.18.10.30}\n"
	    "  - {kind: ip, value: 198.18.10.31, expires: "
	    "2001-01-01}\n"
	    "  - {kind: title, value: Alpha}\n";
	assert_int_equal(load(&w, "w.yaml", text, err, sizeof(err)), 0);
	assert_int_equal(bph_watch_finish(&w), 0);
	struct bph_service s = {0};
	s.ip = 0xc6120a1e; /* 198.18.10.30 */
	s.port = 22;
	s.state = BPH_STATE_OPEN;
	s.ssh = bph_ssh_info_new();
	s.ssh->n_hostkeys = 1;
	s.ssh->hostkeys = calloc(1, sizeof(*s.ssh->hostkeys));
	strcpy(s.ssh->hostkeys[0].sha256, KEY);
	strcpy(s.ssh->hostkeys[0].md5,
	       "MD5:9A:2F:3C:44:5D:6E:7F:80:91:A2:B3:C4:"
	       "D5:E6:F7:08");
	struct hits h = {0};
	bph_watch_match(&w, &s, 1800000000, on_hit, &h);
	assert_int_equal(h.n, 4);
	assert_string_equal(h.got[0], "ssh_hostkey 22 " KEY);
	assert_string_equal(h.got[1], "ssh_hostkey_md5 22 " MD5);
	assert_string_equal(h.got[2], "ip -1 198.18.10.30");
	assert_string_equal(h.got[3], "cidr -1 198.18.10.30");
	/* the expired entry matches only before it expires */
	s.ip = 0xc6120a1f;
	h.n = 0;
	bph_watch_match(&w, &s, 978000000, on_hit, &h);
	assert_int_equal(h.n, 4);
	h.n = 0;
	bph_watch_match(&w, &s, 1800000000, on_hit, &h);
	assert_int_equal(h.n, 3);
	bph_service_clear(&s);
	bph_watch_clear(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_yaml),
	    cmocka_unit_test(test_zeek),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

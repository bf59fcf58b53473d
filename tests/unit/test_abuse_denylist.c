/*
 * Deny lists (abuse/denylist*.c): the build (aggregation, allowlist,
 * special ranges, entries mapped to their sources), every format's lines,
 * the licence in every header, hostile names, and the provenance file.
 * With BPH_DENY_DIR set, each format is also written there
 * (list.<format> and list.<format>.provenance.json) for
 * tests/integration/deny_lists.sh, which loads them with nft -c, ipset
 * and the STIX schemas.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "abuse/denylist.h"
#include "fingerprints/err.h"

static struct bph_cidr P(const char *s) {
	struct bph_cidr c;
	if (bph_cidr_parse(s, &c, NULL, NULL))
		fail_msg("bad test prefix %s", s);
	return c;
}

static const struct bph_abuse_listing dshield = {
    "dshield", "198.18.10.0/24", "", "2026-12-05", "CC BY-NC-SA 2.5", true};
static const struct bph_abuse_listing drop = {
    "drop",	  "198.18.20.0/24",	 "SBL000002",
    "2026-12-05", "Spamhaus DROP terms", false};

/* Cluster 3: five hosts (one on the allowlist, one private), a ranking
 * unit's IPv6 prefix, and a name that tries to start a line. */
static struct bph_denylist *sample(bool with_special)
{
	struct bph_denylist *d = bph_denylist_new(
	    "cluster 3\n198.51.100.0/24 ; INJECTED", "BPH C3!", "bphound test");
	const char *hosts[] = {"198.18.10.10", "198.18.10.11", "198.18.10.12",
			       "198.18.20.10", "10.1.2.3"};
	assert_non_null(d);
	for (size_t i = 0; i < 5; i++) {
		struct bph_cidr c = P(hosts[i]);
		long k = bph_denylist_add(d, &c, 3, hosts[i], NULL);
		assert_true(k == (long)i);
		assert_int_equal(
		    bph_denylist_add_evidence(d, (size_t)k, "ssh_hostkey",
					      "SHA256:abc\x1b[31m\xff"),
		    0);
	}
	assert_int_equal(bph_denylist_add_listing(d, 0, &dshield), 0);
	assert_int_equal(bph_denylist_add_listing(d, 3, &drop), 0);
	struct bph_cidr v6 = P("2001:db8:bad::/48");
	long k = bph_denylist_add(d, &v6, 0, NULL, "AS64500");
	assert_true(k == 5);
	struct bph_rangeset *allow = calloc(1, sizeof(*allow));
	struct bph_cidr a = P("198.18.10.12");
	bph_rangeset_add(allow, &a);
	bph_rangeset_normalize(allow);
	struct bph_deny_build_opts o = {
	    .min_len4 = 24,
	    .min_len6 = 48,
	    .allow_special = with_special,
	    .allow = allow,
	    .generated = 1796000000, /* 2026-11-30T00:53:20Z */
	    .valid_days = 30,
	    .max_entries = 1000,
	};
	assert_int_equal(bph_denylist_build(d, &o), 0);
	bph_rangeset_free(allow);
	free(allow);
	return d;
}

static char *render(const struct bph_denylist *d, const char *fmt)
{
	char *buf = NULL, err[128] = "";
	size_t len = 0;
	const struct bph_deny_format *f = bph_deny_format_find(fmt);
	assert_non_null(f);
	FILE *m = open_memstream(&buf, &len);
	assert_int_equal(f->write(d, m, err, sizeof(err)), 0);
	fclose(m);
	const char *dir = getenv("BPH_DENY_DIR");
	if (dir) {
		char path[512];
		snprintf(path, sizeof(path), "%s/list.%s", dir, fmt);
		FILE *o = fopen(path, "w");
		assert_non_null(o);
		fputs(buf, o);
		fclose(o);
		strcat(path, ".provenance.json");
		o = fopen(path, "w");
		assert_non_null(o);
		assert_int_equal(
		    bph_denylist_write_provenance(d, fmt, o, err, sizeof(err)),
		    0);
		fclose(o);
	}
	return buf;
}

static void test_build(void **state)
{
	(void)state;
	struct bph_denylist *d = sample(true);
	char s[BPH_CIDR_STRLEN];
	const char *want[] = {"10.1.2.3/32", "198.18.10.10/31",
			      "198.18.20.10/32", "2001:db8:bad::/48"};
	assert_int_equal(d->n_entries, 4);
	for (size_t i = 0; i < 4; i++) {
		bph_cidr_format(&d->entries[i].cidr, s);
		assert_string_equal(s, want[i]);
	}
	assert_int_equal(d->entries[1].n_src, 2); /* .10 and .11 */
	assert_string_equal(d->sources[2].excluded, "allowlist");
	assert_int_equal(d->n_excluded, 1);
	assert_string_equal(d->tag, "bph_c3");
	assert_null(strchr(d->name, '\n'));
	assert_true(d->n_addresses[0] == 4);
	bph_denylist_free(d);
	/* without --allow-reserved, every lab address is special */
	d = sample(false);
	assert_int_equal(d->n_entries, 0);
	assert_int_equal(d->n_excluded, 6);
	assert_string_equal(d->sources[4].excluded, "private (RFC 1918)");
	assert_string_equal(d->sources[5].excluded, "documentation (RFC 3849)");
	bph_denylist_free(d);
}

/* Every non-comment line of text, in order, joined by '|'. */
static char *data_lines(const char *text, char comment)
{
	char *out = calloc(1, strlen(text) + 1), *w = out;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n && p[0] != comment) {
			if (w != out)
				*w++ = '|';
			memcpy(w, p, n);
			w += n;
		}
		p += n + (nl != NULL);
	}
	return out;
}

static void test_line_formats(void **state)
{
	(void)state;
	struct bph_denylist *d = sample(true);
	char *t = render(d, "denylist"), *l = data_lines(t, '#');
	assert_string_equal(l, "10.1.2.3/32|198.18.10.10/31|198.18.20.10/32|"
			       "2001:db8:bad::/48");
	assert_non_null(strstr(t, "dshield (CC BY-NC-SA 2.5)"));
	assert_non_null(strstr(t, "valid until 2026-12-30T00:53:20Z"));
	assert_null(strstr(t, "drop (")); /* DROP's terms are not restricted */
	free(l);
	free(t);
	t = render(d, "spamhaus");
	l = data_lines(t, ';');
	assert_string_equal(l, "10.1.2.3/32 ; BPH-C3|198.18.10.10/31 ; "
			       "BPH-C3|198.18.20.10/32 ; BPH-C3|"
			       "2001:db8:bad::/48 ; BPH-C3");
	assert_non_null(strstr(t, "; Expires: Wed, 30 Dec 2026 00:53:20 GMT"));
	assert_non_null(strstr(t, "dshield (CC BY-NC-SA 2.5)"));
	assert_non_null(strstr(t, "\n; EOF\n"));
	free(l);
	free(t);
	t = render(d, "netset");
	l = data_lines(t, '#');
	assert_string_equal(l, "10.1.2.3|198.18.10.10/31|198.18.20.10");
	assert_non_null(strstr(t, "# Entries         : 3 subnets, 4 unique"));
	assert_non_null(strstr(t, "1 IPv6 entries are not in this file"));
	assert_non_null(strstr(t, "dshield (CC BY-NC-SA 2.5)"));
	free(l);
	free(t);
	bph_denylist_free(d);
}

static void test_firewall_formats(void **state)
{
	(void)state;
	struct bph_denylist *d = sample(true);
	char *t = render(d, "ipset"), *l = data_lines(t, '#');
	assert_string_equal(
	    l, "create bph_c3_v4 hash:net family inet hashsize 1024 maxelem "
	       "65536 -exist|create bph_c3_v4_tmp hash:net family inet "
	       "hashsize 1024 maxelem 65536 -exist|flush bph_c3_v4_tmp|add "
	       "bph_c3_v4_tmp 10.1.2.3/32|add bph_c3_v4_tmp "
	       "198.18.10.10/31|add bph_c3_v4_tmp 198.18.20.10/32|swap "
	       "bph_c3_v4_tmp bph_c3_v4|destroy bph_c3_v4_tmp|create "
	       "bph_c3_v6 hash:net family inet6 hashsize 1024 maxelem 65536 "
	       "-exist|create bph_c3_v6_tmp hash:net family inet6 hashsize "
	       "1024 maxelem 65536 -exist|flush bph_c3_v6_tmp|add "
	       "bph_c3_v6_tmp 2001:db8:bad::/48|swap bph_c3_v6_tmp "
	       "bph_c3_v6|destroy bph_c3_v6_tmp");
	assert_true(strlen("bph_c3_v4_tmp") <= 31);
	free(l);
	free(t);
	t = render(d, "nft");
	assert_non_null(strstr(t, "table inet bphound_bph_c3 {\n\tset v4 {\n"
				  "\t\ttype ipv4_addr\n\t\tflags interval\n"
				  "\t\tauto-merge\n\t\telements = {\n"
				  "\t\t\t10.1.2.3/32,\n\t\t\t198.18.10.10/31,\n"
				  "\t\t\t198.18.20.10/32\n\t\t}\n\t}\n"));
	assert_non_null(strstr(t, "\t\tip6 daddr @v6 counter drop\n"));
	assert_non_null(strstr(t, "dshield (CC BY-NC-SA 2.5)"));
	/* the hostile name stays inside its comment line */
	l = data_lines(t, '#');
	assert_null(strstr(l, "INJECTED"));
	free(l);
	free(t);
	bph_denylist_free(d);
}

static void test_stix(void **state)
{
	(void)state;
	struct bph_denylist *d = sample(true);
	char *t = render(d, "stix-indicators");
	json_error_t e;
	json_t *b = json_loads(t, 0, &e), *objs;
	assert_non_null(b);
	objs = json_object_get(b, "objects");
	assert_int_equal(json_array_size(objs), 1 + 4);
	json_t *m = json_array_get(objs, 0);
	assert_string_equal(json_string_value(json_object_get(m, "type")),
			    "marking-definition");
	json_t *ind = json_array_get(objs, 2);
	assert_string_equal(json_string_value(json_object_get(ind, "pattern")),
			    "[ipv4-addr:value ISSUBSET '198.18.10.10/31']");
	assert_string_equal(
	    json_string_value(json_object_get(ind, "valid_until")),
	    "2026-12-30T00:53:20.000Z");
	assert_int_equal(
	    json_array_size(json_object_get(ind, "x_bphound_hosts")), 2);
	json_t *refs = json_object_get(ind, "external_references");
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(refs, 0), "source_name")),
			    "dshield");
	ind = json_array_get(objs, 4);
	assert_string_equal(json_string_value(json_object_get(ind, "pattern")),
			    "[ipv6-addr:value ISSUBSET '2001:db8:bad::/48']");
	json_decref(b);
	/* the same list at the same time: the same ids */
	char *again = render(d, "stix-indicators");
	assert_string_equal(t, again);
	free(again);
	free(t);
	bph_denylist_free(d);
}

static void test_provenance(void **state)
{
	(void)state;
	struct bph_denylist *d = sample(true);
	char *buf = NULL, err[64];
	size_t len;
	FILE *m = open_memstream(&buf, &len);
	assert_int_equal(
	    bph_denylist_write_provenance(d, "nft", m, err, sizeof(err)), 0);
	fclose(m);
	json_error_t e;
	json_t *p = json_loads(buf, 0, &e);
	assert_non_null(p);
	assert_string_equal(
	    json_string_value(json_object_get(p, "restricted_licences")),
	    "dshield (CC BY-NC-SA 2.5)");
	json_t *ent = json_array_get(json_object_get(p, "entries"), 1);
	assert_string_equal(json_string_value(json_object_get(ent, "cidr")),
			    "198.18.10.10/31");
	json_t *src = json_array_get(json_object_get(ent, "sources"), 0);
	assert_int_equal(json_integer_value(json_object_get(src, "cluster")),
			 3);
	assert_string_equal(json_string_value(json_object_get(src, "host")),
			    "198.18.10.10");
	/* hostile evidence bytes arrive as valid UTF-8 */
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(src, "evidence"), 0)),
			    "ssh_hostkey:SHA256:abc\x1b[31m\xef\xbf\xbd");
	json_t *li = json_array_get(json_object_get(src, "listed"), 0);
	assert_string_equal(json_string_value(json_object_get(li, "list")),
			    "dshield");
	assert_true(json_is_true(json_object_get(li, "restricted")));
	json_t *ex = json_array_get(json_object_get(p, "excluded"), 0);
	assert_string_equal(json_string_value(json_object_get(ex, "host")),
			    "198.18.10.12");
	assert_string_equal(json_string_value(json_object_get(ex, "excluded")),
			    "allowlist");
	json_decref(p);
	free(buf);
	bph_denylist_free(d);
}

static void test_registry(void **state)
{
	(void)state;
	const char *names[] = {"denylist", "spamhaus", "netset",
			       "nft",	   "ipset",    "stix-indicators"};
	size_t n = 0;
	for (; bph_deny_formats[n]; n++) {
		assert_non_null(bph_deny_formats[n]->write);
		assert_non_null(bph_deny_formats[n]->summary);
		for (size_t k = 0; k < n; k++)
			assert_string_not_equal(bph_deny_formats[k]->name,
						bph_deny_formats[n]->name);
	}
	assert_int_equal(n, 6);
	for (size_t i = 0; i < 6; i++)
		assert_ptr_equal(bph_deny_format_find(names[i]),
				 bph_deny_formats[i]);
	assert_null(bph_deny_format_find("json"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build),
	    cmocka_unit_test(test_line_formats),
	    cmocka_unit_test(test_firewall_formats),
	    cmocka_unit_test(test_stix),
	    cmocka_unit_test(test_provenance),
	    cmocka_unit_test(test_registry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

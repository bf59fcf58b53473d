/* The data-file parsers of ranges/parse.h on the fixtures in
 * tests/data/ranges/ (every kind, CRLF, comments, bad lines, multi-origin
 * and AS-set prefixes, metadata lines), compressed copies of them, kind
 * detection, dates and licence notes. Each record is written to a text log
 * so that the expectations read like the files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bzlib.h>
#include <cmocka.h>
#include <zlib.h>

#include "fingerprints/err.h"
#include "ranges/parse.h"

struct log {
	char buf[16384];
	size_t len;
};

static void logf_(struct log *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(l->buf) - l->len)
		l->len += (size_t)n;
}

static int c_prefix(void *ctx, const struct bph_row_prefix *r)
{
	char net[BPH_RANGE_STRLEN];
	bph_range_format(&r->net, net);
	logf_(ctx, "prefix %s", net);
	for (size_t i = 0; i < r->n_origins; i++)
		logf_(ctx, " %u/%u", r->origins[i].asn, r->origins[i].group);
	logf_(ctx, "\n");
	return 0;
}

static int c_asrange(void *ctx, const struct bph_row_asrange *r)
{
	char net[BPH_RANGE_STRLEN];
	bph_range_format(&r->net, net);
	logf_(ctx, "asrange %s %u %s %s\n", net, r->asn, r->cc, r->name);
	return 0;
}

static int c_rel(void *ctx, const struct bph_row_rel *r)
{
	logf_(ctx, "rel %u %u %d %s\n", r->a, r->b, r->rel, r->source);
	return 0;
}

static int c_org(void *ctx, const struct bph_row_org *r)
{
	logf_(ctx, "org %s %s %s %s %s\n", r->org_id, r->changed, r->name,
	      r->cc, r->source);
	return 0;
}

static int c_asorg(void *ctx, const struct bph_row_asorg *r)
{
	logf_(ctx, "asorg %u %s %s %s %s\n", r->asn, r->name, r->org_id,
	      r->opaque_id, r->source);
	return 0;
}

static int c_deleg(void *ctx, const struct bph_row_deleg *r)
{
	char net[BPH_RANGE_STRLEN] = "";
	if (strcmp(r->type, "asn"))
		bph_range_format(&r->net, net);
	else
		snprintf(net, sizeof(net), "AS%u+%u", r->asn_first,
			 r->asn_count);
	logf_(ctx, "deleg %s %s %s %s %s %s\n", r->registry, r->cc, net,
	      r->date, r->status, r->opaque_id);
	return 0;
}

static int c_inetnum(void *ctx, const struct bph_row_inetnum *r)
{
	char net[BPH_RANGE_STRLEN];
	bph_range_format(&r->net, net);
	logf_(ctx, "inetnum %s|%s|%s|%s|%s|%s|%s|%s\n", net, r->netname,
	      r->descr, r->org, r->status, r->abuse_c, r->mnt_irt, r->source);
	return 0;
}

static int c_rpsl_org(void *ctx, const struct bph_row_rpsl_org *r)
{
	logf_(ctx, "rpsl_org %s|%s|%s\n", r->org_id, r->name, r->abuse_c);
	return 0;
}

static int c_contact(void *ctx, const struct bph_row_contact *r)
{
	logf_(ctx, "contact %s|%s|%s|%s\n", r->handle, r->cls, r->name,
	      r->abuse_mailbox);
	return 0;
}

static int c_autnum(void *ctx, const struct bph_row_autnum *r)
{
	logf_(ctx, "autnum %u|%s|%s|%s\n", r->asn, r->as_name, r->org,
	      r->abuse_c);
	return 0;
}

static int c_entry(void *ctx, const struct bph_row_entry *r)
{
	char net[BPH_RANGE_STRLEN];
	bph_range_format(&r->net, net);
	logf_(ctx, "entry %s|%s|%s|%s|%s\n", net, r->text, r->ref, r->info,
	      r->date);
	return 0;
}

static int c_asn_entry(void *ctx, const struct bph_row_asn_entry *r)
{
	logf_(ctx, "asn_entry %u|%s|%s|%s|%s\n", r->asn, r->name, r->cc,
	      r->domain, r->rir);
	return 0;
}

static struct bph_rsink sink_for(struct log *l)
{
	return (struct bph_rsink){l,	      c_prefix,	 c_asrange, c_rel,
				  c_org,      c_asorg,	 c_deleg,   c_inetnum,
				  c_rpsl_org, c_contact, c_autnum,  c_entry,
				  c_asn_entry};
}

static char *fixture(const char *name)
{
	static char path[1024]; /* one at a time, test-local */
	const char *src = getenv("BPH_SRCDIR");
	snprintf(path, sizeof(path), "%s/tests/data/ranges/%s", src ? src : ".",
		 name);
	return path;
}

/* Parses a fixture (kind detected unless given); returns the result. */
static struct bph_parse_result parse(const char *name, enum bph_kind kind,
				     struct log *l, int want_rc)
{
	struct bph_parse_opts o = {.kind = kind, .label = name};
	struct bph_parse_result res;
	struct bph_rsink sink = sink_for(l);
	char err[256] = "";

	memset(l, 0, sizeof(*l));
	int rc =
	    bph_parse_file(fixture(name), &o, &sink, &res, err, sizeof(err));
	if (rc != want_rc)
		fprintf(stderr, "%s: rc %d: %s\n", name, rc, err);
	assert_int_equal(rc, want_rc);
	return res;
}

static void test_pfx2as(void **state)
{
	struct log l;
	(void)state;
	struct bph_parse_result r =
	    parse("routeviews-rv2-20261206-1200.pfx2as", 0, &l, 0);

	assert_int_equal(r.kind, BPH_KIND_PFX2AS);
	assert_string_equal(l.buf,
			    "prefix 192.0.2.0/24 64496/0\n"
			    "prefix 192.0.2.128/25 64497/0\n"
			    "prefix 198.51.100.0/22 64497/0 64498/1\n"
			    "prefix 203.0.113.0/24 64499/0 64500/0\n"
			    "prefix 203.0.113.64/26 64501/0 64499/1 64500/1\n"
			    "prefix 198.51.100.0/24 64502/0\n"
			    "prefix 2001:db8::/32 64501/0\n"
			    "prefix 2001:db8:bad::/48 64496/0\n");
	assert_int_equal(r.rejected, 1); /* the CRLF did not hurt the rest */
	assert_int_equal(r.warnings, 1); /* 198.51.100.77/24: host bits */
	assert_string_equal(r.date, "2026-12-06");
	assert_int_equal(r.date_source, BPH_DATE_NAME);
	assert_int_equal(r.parts, BPH_PART_V4 | BPH_PART_V6);
}

static void test_ip2asn(void **state)
{
	struct log l;
	(void)state;
	struct bph_parse_result r = parse("ip2asn-v4.tsv", 0, &l, 0);

	assert_int_equal(r.kind, BPH_KIND_IP2ASN);
	assert_string_equal(
	    l.buf, "asrange 192.0.2.0/24 64496 NL EXAMPLE-BPH-AS Example "
		   "Hosting Ltd\n"
		   "asrange 198.51.100.0/24 64497 US EXAMPLE-TRANSIT\n");
	assert_int_equal(r.rejected, 1); /* the reversed range */
}

/* "A|B|-1": the FIRST AS is the provider; pinned in test_ranges_rdb.c
 * too. serial-2 keeps the source column. */
static void test_asrel(void **state)
{
	struct log l;
	(void)state;
	struct bph_parse_result r = parse("20261201.as-rel2.txt", 0, &l, 0);

	assert_int_equal(r.kind, BPH_KIND_ASREL);
	assert_string_equal(l.buf, "rel 64497 64496 -1 bgp\n"
				   "rel 64510 64497 -1 bgp\n"
				   "rel 64511 64496 -1 mlp\n"
				   "rel 64497 64498 0 bgp,mlp\n"
				   "rel 64496 64499 -1 bgp\n");
	assert_int_equal(r.rejected, 1);
	assert_string_equal(r.date, "2026-12-01");
	assert_int_equal(r.date_source, BPH_DATE_HEADER);

	r = parse("20261101.as-rel.txt", BPH_KIND_ASREL, &l, 0);
	assert_string_equal(l.buf, "rel 64510 64496 -1 \n"
				   "rel 64497 64498 0 \n");
	assert_int_equal(r.rejected, 1);
}

static void test_as2org(void **state)
{
	struct log l;
	(void)state;
	struct bph_parse_result r = parse("20261001.as-org2info.txt", 0, &l, 0);

	assert_int_equal(r.kind, BPH_KIND_AS2ORG);
	assert_string_equal(
	    l.buf,
	    "org ORG-EXBPH1-RIPE 20261001 Example Hosting Ltd NL RIPE\n"
	    "org ORG-EXT1-ARIN 20261001 Example Transit Inc US ARIN\n"
	    "asorg 64496 EXAMPLE-BPH-AS ORG-EXBPH1-RIPE b3f1c0de_RIPE RIPE\n"
	    "asorg 64499 EXAMPLE-BPH-AS2 ORG-EXBPH1-RIPE b3f1c0de_RIPE RIPE\n"
	    "asorg 64497 EXAMPLE-TRANSIT ORG-EXT1-ARIN c0ffee_ARIN ARIN\n");
	assert_int_equal(r.rejected, 1);

	r = parse("20261001.as-org2info.jsonl", 0, &l, 0);
	assert_int_equal(r.kind, BPH_KIND_AS2ORG);
	assert_string_equal(
	    l.buf,
	    "org ORG-EXBPH1-RIPE 20261001 Example Hosting Ltd NL RIPE\n"
	    "asorg 64496 EXAMPLE-BPH-AS ORG-EXBPH1-RIPE b3f1c0de_RIPE RIPE\n"
	    "asorg 64499 EXAMPLE-BPH-AS2 ORG-EXBPH1-RIPE b3f1c0de_RIPE "
	    "RIPE\n");
	assert_int_equal(r.rejected, 1); /* "asn":"AS-BAD" */
	assert_string_equal(r.date, "2026-10-01");
}

static void test_delegated(void **state)
{
	struct log l;
	(void)state;
	struct bph_parse_result r =
	    parse("delegated-ripencc-extended-20261206", 0, &l, 0);

	assert_int_equal(r.kind, BPH_KIND_DELEGATED);
	assert_string_equal(
	    l.buf, "deleg ripencc NL 192.0.2.0/24 20200101 allocated "
		   "3b5a0c8e-0000-4000-8000-000000000001\n"
		   "deleg ripencc NL 198.51.100.0/22 20210101 allocated "
		   "3b5a0c8e-0000-4000-8000-000000000002\n"
		   "deleg ripencc  203.0.113.0/24  available \n"
		   "deleg ripencc NL 2001:db8::/32 20200101 allocated "
		   "3b5a0c8e-0000-4000-8000-000000000001\n"
		   "deleg ripencc NL AS64496+1 20200101 assigned "
		   "3b5a0c8e-0000-4000-8000-000000000001\n");
	assert_int_equal(r.rejected, 1); /* 0 addresses */
	assert_string_equal(r.date, "2026-12-06");
	assert_int_equal(r.date_source, BPH_DATE_HEADER);
	assert_string_equal(r.origin, "ripencc");
}

static void test_rpsl(void **state)
{
	struct log l;
	(void)state;
	struct bph_parse_result r = parse("ripe.db.sample", 0, &l, 0);

	assert_int_equal(r.kind, BPH_KIND_RPSL);
	assert_string_equal(
	    l.buf,
	    "inetnum 198.51.100.0/22|EXAMPLE-LIR-NET||ORG-EXL1-RIPE|ALLOCATED "
	    "PA|EXLAB1-RIPE||RIPE\n"
	    "inetnum 198.51.100.0/24|EXAMPLE-RESELLER-NET|Example reseller, "
	    "with a continuation line and a plus one|ORG-EXR1-RIPE|"
	    "SUB-ALLOCATED PA|EXAB1-RIPE||RIPE\n"
	    "inetnum 198.51.100.0/26|EXAMPLE-BPH-NET||ORG-EXBPH1-RIPE|ASSIGNED "
	    "PA|||RIPE\n"
	    "inetnum 198.51.100.64/26|EXAMPLE-CUSTOMER|||ASSIGNED PA|||RIPE\n"
	    "inetnum 2001:db8::/32|EXAMPLE-V6||ORG-EXL1-RIPE|ALLOCATED-BY-RIR||"
	    "IRT-EXAMPLE|RIPE\n"
	    "rpsl_org ORG-EXR1-RIPE|Example Reseller|EXROAB1-RIPE\n"
	    "rpsl_org ORG-EXBPH1-RIPE|Example Hosting Ltd|EXBPHAB1-RIPE\n"
	    "rpsl_org ORG-EXL1-RIPE|Example LIR|EXLAB1-RIPE\n"
	    "contact EXAB1-RIPE|role|Example Reseller "
	    "Abuse|abuse@reseller.example\n"
	    "contact EXROAB1-RIPE|role|Example Reseller Org "
	    "Abuse|org-abuse@reseller.example\n"
	    "contact EXBPHAB1-RIPE|role|Example BPH Abuse|abuse@bph.example\n"
	    "contact EXLAB1-RIPE|role|Example LIR Abuse|abuse@lir.example\n"
	    "contact IRT-EXAMPLE|irt||irt@lir.example\n"
	    "autnum 64497|EXAMPLE-TRANSIT|ORG-EXL1-RIPE|EXLAB1-RIPE\n"
	    "autnum 64510|EXAMPLE-UPSTREAM|ORG-EXR1-RIPE|\n");
	/* the non-attribute line and the object with a bad range */
	assert_int_equal(r.rejected, 2);
	assert_string_equal(r.origin, "RIPE");
	assert_non_null(strstr(r.licence, "RIPE Database Terms"));
	assert_int_equal(r.parts, BPH_PART_V4 | BPH_PART_V6 | BPH_PART_ORG |
				      BPH_PART_CONTACT | BPH_PART_AUTNUM);
}

static void test_drop(void **state)
{
	struct log l;
	(void)state;
	struct bph_parse_result r = parse("drop_v4.json", 0, &l, 0);

	assert_int_equal(r.kind, BPH_KIND_DROP);
	assert_string_equal(
	    l.buf,
	    "entry 192.0.2.0/24|192.0.2.0/24|SBL000001|rir=ripencc|\n"
	    "entry 198.51.100.0/22|198.51.100.0/22|SBL000002|rir=arin|\n");
	assert_int_equal(r.rejected, 1);
	/* the metadata line's timestamp is the list date */
	assert_string_equal(r.date, "2025-12-06");
	assert_int_equal(r.date_source, BPH_DATE_METADATA);
	assert_non_null(strstr(r.licence, "The Spamhaus Project SLU"));
	assert_non_null(strstr(r.licence, "credit The Spamhaus Project"));

	r = parse("drop.txt", 0, &l, 0);
	assert_int_equal(r.kind, BPH_KIND_DROP);
	assert_string_equal(
	    l.buf, "entry 192.0.2.0/24|192.0.2.0/24|SBL000001||\n"
		   "entry 198.51.100.0/22|198.51.100.0/22|SBL000002||\n");
	assert_int_equal(r.rejected, 1);
	assert_string_equal(r.date, "2026-12-06");

	r = parse("drop_v6.json", 0, &l, 0);
	assert_int_equal(r.parts, BPH_PART_V6);
}

static void test_asndrop(void **state)
{
	struct log l;
	(void)state;
	struct bph_parse_result r = parse("asndrop.json", 0, &l, 0);

	assert_int_equal(r.kind, BPH_KIND_ASNDROP);
	assert_string_equal(
	    l.buf, "asn_entry 64496|EXAMPLE-BPH-AS|NL|bph.example|ripencc\n"
		   "asn_entry 64511|EXAMPLE-TRANSIT|||arin\n");
	assert_int_equal(r.rejected, 1); /* "asn" as a string */

	r = parse("asndrop.txt", 0, &l, 0);
	assert_int_equal(r.kind, BPH_KIND_ASNDROP);
	assert_string_equal(l.buf,
			    "asn_entry 64496|EXAMPLE-BPH-AS - Example Hosting "
			    "Ltd, NL|NL||\n"
			    "asn_entry 64497|Example Org|||\n");
	assert_int_equal(r.rejected, 1);
	assert_string_equal(r.date, "2022-01-03");
}

static void test_netset_plain(void **state)
{
	struct log l;
	(void)state;
	struct bph_parse_result r = parse("example_level1.netset", 0, &l, 0);

	assert_int_equal(r.kind, BPH_KIND_NETSET);
	assert_string_equal(l.buf, "entry 192.0.2.0/24|192.0.2.0/24|||\n"
				   "entry 198.51.100.7/32|198.51.100.7|||\n"
				   "entry 10.0.0.0/8|10.0.0.0/8|||\n");
	assert_int_equal(r.rejected, 1);
	assert_string_equal(r.date, "2026-12-06");

	r = parse("plain.txt", 0, &l, 0);
	assert_int_equal(r.kind, BPH_KIND_PLAIN);
	assert_string_equal(l.buf,
			    "entry 203.0.113.5/32|203.0.113.5|||\n"
			    "entry 203.0.113.16/28|203.0.113.16/28|||\n"
			    "entry 2001:db8:bad::1/128|2001:db8:bad::1|||\n");
	assert_int_equal(r.rejected, 1);
	assert_string_equal(r.licence, "");
}

static void test_feodo_dshield(void **state)
{
	struct log l;
	(void)state;
	struct bph_parse_result r = parse("ipblocklist.csv", 0, &l, 0);

	assert_int_equal(r.kind, BPH_KIND_FEODO);
	assert_string_equal(
	    l.buf, "entry 198.51.100.10/32|198.51.100.10|QakBot|port=443 "
		   "status=online last_online=2026-12-05|2026-11-02\n"
		   "entry 203.0.113.77/32|203.0.113.77|Emotet|port=8080 "
		   "status=offline last_online=2026-11-30|2026-10-21\n");
	assert_int_equal(r.rejected, 1);
	assert_string_equal(r.date, "2026-12-06");
	assert_non_null(strstr(r.licence, "feodotracker.abuse.ch"));

	r = parse("ipblocklist.txt", 0, &l, 0);
	assert_int_equal(r.kind, BPH_KIND_FEODO);
	assert_int_equal(r.records, 2);

	r = parse("block.txt", 0, &l, 0);
	assert_int_equal(r.kind, BPH_KIND_DSHIELD);
	assert_string_equal(
	    l.buf, "entry 192.0.2.0/24|192.0.2.0/24||attacks=4211 "
		   "name=EXAMPLE-BPH-AS country=NL email=abuse@bph.example|\n"
		   "entry 203.0.113.0/24|203.0.113.0/24||attacks=977 "
		   "name=EXAMPLE-NET country=US email=noc@example.net|\n");
	assert_int_equal(r.rejected, 1);
	assert_int_equal(r.licence_flags, BPH_LIC_NC | BPH_LIC_SA);
	assert_non_null(strstr(r.licence, "CC BY-NC-SA"));
	assert_string_equal(r.date, "2026-12-06");
}

/* --strict: the first malformed line ends the parse. */
static void test_strict(void **state)
{
	struct bph_parse_opts o = {.strict = true};
	struct bph_parse_result res;
	struct log l = {0};
	struct bph_rsink sink = sink_for(&l);
	char err[256] = "";
	(void)state;

	assert_int_equal(bph_parse_file(fixture("drop.txt"), &o, &sink, &res,
					err, sizeof(err)),
			 BPH_ERR_FORMAT);
	assert_non_null(strstr(err, "drop.txt:7:"));
	assert_int_equal(res.records, 2);
}

static void test_errout_names_the_line(void **state)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	struct bph_parse_opts o = {.errout = f, .label = "x.pfx2as"};
	struct bph_parse_result res;
	const char data[] = "192.0.2.0\t24\t64496\n192.0.2.0\t99\t1\n";
	char err[128];
	(void)state;

	assert_non_null(f);
	assert_int_equal(bph_parse_mem((const uint8_t *)data, strlen(data), &o,
				       NULL, &res, err, sizeof(err)),
			 0);
	fclose(f);
	assert_string_equal(text, "x.pfx2as:2: pfx2as: bad prefix\n");
	free(text);
}

static void test_detect_ambiguous(void **state)
{
	struct bph_parse_opts o = {0};
	struct bph_parse_result res;
	char err[256] = "";
	const char mixed[] = "192.0.2.0/24 ; SBL1\n192.0.2.0\t24\t64496\n";
	const char nothing[] = "hello\nworld\n";
	(void)state;

	assert_int_equal(bph_parse_mem((const uint8_t *)mixed, strlen(mixed),
				       &o, NULL, &res, err, sizeof(err)),
			 BPH_ERR_FORMAT);
	assert_non_null(strstr(err, "give --kind"));
	assert_int_equal(bph_parse_mem((const uint8_t *)nothing,
				       strlen(nothing), &o, NULL, &res, err,
				       sizeof(err)),
			 BPH_ERR_FORMAT);
}

/* ---- compressed copies ---- */

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b = malloc(1 << 20);
	assert_non_null(f);
	assert_non_null(b);
	*n = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

static void write_gz(const char *path, const char *data, size_t n, int parts)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	for (int p = 0; p < parts; p++) { /* concatenated members */
		size_t a = n * (size_t)p / (size_t)parts,
		       b = n * (size_t)(p + 1) / (size_t)parts;
		z_stream z = {0};
		unsigned char out[1 << 16];
		assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
					      Z_DEFAULT_STRATEGY),
				 Z_OK);
		z.next_in = (unsigned char *)data + a;
		z.avail_in = (uInt)(b - a);
		int zr;
		do {
			z.next_out = out;
			z.avail_out = sizeof(out);
			zr = deflate(&z, Z_FINISH);
			fwrite(out, 1, sizeof(out) - z.avail_out, f);
		} while (zr != Z_STREAM_END);
		deflateEnd(&z);
	}
	fclose(f);
}

static void write_bz2(const char *path, const char *data, size_t n)
{
	unsigned int out_len = (unsigned)(n + n / 100 + 1024);
	char *out = malloc(out_len);
	FILE *f = fopen(path, "wb");
	assert_non_null(out);
	assert_non_null(f);
	assert_int_equal(BZ2_bzBuffToBuffCompress(out, &out_len, (char *)data,
						  (unsigned)n, 9, 0, 0),
			 BZ_OK);
	fwrite(out, 1, out_len, f);
	fclose(f);
	free(out);
}

static void same_records(const char *name)
{
	char dir[] = "/tmp/bph-ranges-XXXXXX", gz[300], bz[300];
	struct log plain, l;
	size_t n;
	char *data;

	assert_non_null(mkdtemp(dir));
	data = slurp(fixture(name), &n);
	struct bph_parse_result r0 = parse(name, 0, &plain, 0);
	snprintf(gz, sizeof(gz), "%s/%s.gz", dir, name);
	snprintf(bz, sizeof(bz), "%s/%s.bz2", dir, name);
	write_gz(gz, data, n, 3);
	write_bz2(bz, data, n);
	const char *copies[] = {gz, bz};
	for (int i = 0; i < 2; i++) {
		struct bph_parse_opts o = {0};
		struct bph_parse_result r;
		struct bph_rsink sink = sink_for(&l);
		char err[256];
		memset(&l, 0, sizeof(l));
		assert_int_equal(
		    bph_parse_file(copies[i], &o, &sink, &r, err, sizeof(err)),
		    0);
		assert_int_equal(r.comp,
				 i == 0 ? BPH_COMP_GZIP : BPH_COMP_BZIP2);
		assert_int_equal(r.kind, r0.kind);
		assert_int_equal(r.rejected, r0.rejected);
		assert_string_equal(l.buf, plain.buf);
		unlink(copies[i]);
	}
	free(data);
	rmdir(dir);
}

static void test_compressed(void **state)
{
	(void)state;
	same_records("routeviews-rv2-20261206-1200.pfx2as");
	same_records("20261201.as-rel2.txt");
	same_records("ripe.db.sample");
	same_records("drop_v4.json");
}

static void test_corrupt_gzip(void **state)
{
	const uint8_t bad[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff};
	struct bph_parse_opts o = {.kind = BPH_KIND_PLAIN};
	struct bph_parse_result res;
	char err[128] = "";
	(void)state;

	assert_int_equal(
	    bph_parse_mem(bad, sizeof(bad), &o, NULL, &res, err, sizeof(err)),
	    BPH_ERR_FORMAT);
	assert_non_null(strstr(err, "gzip"));
}

static void test_dates(void **state)
{
	char d[11];
	(void)state;

	assert_true(bph_find_date("Sat, 06 Dec 2026 00:00:00 GMT", d));
	assert_string_equal(d, "2026-12-06");
	assert_true(bph_find_date("Sat Dec  6 10:00:00 UTC 2026", d));
	assert_string_equal(d, "2026-12-06");
	assert_true(bph_find_date("x 2026/12/06 y", d));
	assert_string_equal(d, "2026-12-06");
	assert_true(bph_find_date("routeviews-rv2-20261206-1200", d));
	assert_string_equal(d, "2026-12-06");
	assert_false(bph_find_date("1764979200", d));
	assert_false(bph_find_date("2026-13-01", d));
	assert_false(bph_find_date("202", d));
	assert_false(bph_find_date("2026-1", d));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pfx2as),
	    cmocka_unit_test(test_ip2asn),
	    cmocka_unit_test(test_asrel),
	    cmocka_unit_test(test_as2org),
	    cmocka_unit_test(test_delegated),
	    cmocka_unit_test(test_rpsl),
	    cmocka_unit_test(test_drop),
	    cmocka_unit_test(test_asndrop),
	    cmocka_unit_test(test_netset_plain),
	    cmocka_unit_test(test_feodo_dshield),
	    cmocka_unit_test(test_strict),
	    cmocka_unit_test(test_errout_names_the_line),
	    cmocka_unit_test(test_detect_ambiguous),
	    cmocka_unit_test(test_compressed),
	    cmocka_unit_test(test_corrupt_gzip),
	    cmocka_unit_test(test_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

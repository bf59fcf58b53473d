/*
 * parse_routing.c - line handlers of the routing and registry formats:
 * CAIDA pfx2as, as-rel (serial-1 and serial-2) and as2org (text and JSON
 * Lines), iptoasn's ip2asn, and RIR delegated-extended. The formats and
 * their sources are in docs/guide.md ("From a cluster to its networks");
 * the driver is parse.c.
 */
#include "ranges/ranges_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "fingerprints/err.h"

#define MAX_ORIGINS 64

/* Blank and '#' lines: skipped, headers noted. True when s was one. */
static bool skip_comment(struct pctx *p, const char *s)
{
	const char *t = s;

	while (*t == ' ' || *t == '\t')
		t++;
	if (*t == '\0')
		return true;
	if (*t != '#')
		return false;
	bph_header_line(p, t);
	return true;
}

/* Splits at runs of blanks (tab or space); returns the field count. */
static size_t split_ws(char *s, char **f, size_t max)
{
	size_t n = 0;

	while (*s && n < max) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (!*s)
			break;
		f[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	return *s ? max + 1 : n; /* max + 1: too many fields */
}

/* "64496_64497,64498": MOAS groups joined by '_', AS-set members by ','. */
static bool parse_origins(char *s, struct bph_origin *o, size_t *n)
{
	char *groups[MAX_ORIGINS], *members[MAX_ORIGINS];
	size_t ng = bph_split(s, '_', groups, MAX_ORIGINS);

	*n = 0;
	for (size_t g = 0; g < ng; g++) {
		if (*n == MAX_ORIGINS)
			return false;
		size_t nm =
		    bph_split(groups[g], ',', members, MAX_ORIGINS - *n);
		for (size_t m = 0; m < nm; m++) {
			if (*n == MAX_ORIGINS ||
			    !bph_parse_asn(members[m], false, &o[*n].asn))
				return false;
			o[(*n)++].group = (uint16_t)g;
		}
	}
	return *n > 0;
}

int bph_line_pfx2as(struct pctx *p, char *s, size_t n)
{
	char *f[3], net[64];
	struct bph_origin origins[MAX_ORIGINS];
	struct bph_row_prefix row = {.origins = origins};

	(void)n;
	if (skip_comment(p, s))
		return 0;
	p->data_seen = true;
	if (split_ws(s, f, 3) != 3)
		return bph_reject(p,
				  "pfx2as: expected prefix, length, origins");
	if (strlen(f[0]) + strlen(f[1]) + 2 > sizeof(net))
		return bph_reject(p, "pfx2as: bad prefix");
	snprintf(net, sizeof(net), "%.*s/%.4s", BPH_ADDR_STRLEN, f[0], f[1]);
	if (!bph_parse_net(p, net, &row.net))
		return bph_reject(p, "pfx2as: bad prefix");
	if (!parse_origins(f[2], origins, &row.n_origins))
		return bph_reject(p, "pfx2as: bad origin AS list");
	return EMIT(p, prefix, &row);
}

/* "a","b" -> a, b: the @ip-location-db CSV quotes some names. */
static char *unquote(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = '\0';
		return s + 1;
	}
	return s;
}

static bool parse_range(struct pctx *p, const char *a, const char *b,
			struct bph_range *r)
{
	struct bph_addr x, y;

	if (bph_addr_parse(a, strlen(a), &x) ||
	    bph_addr_parse(b, strlen(b), &y) || x.fam != y.fam || x.v > y.v)
		return false;
	r->fam = x.fam;
	r->first = x.v;
	r->last = y.v;
	bph_note_family(p, r);
	return true;
}

int bph_line_ip2asn(struct pctx *p, char *s, size_t n)
{
	char *f[5];
	size_t nf;
	bool tsv = memchr(s, '\t', n) != NULL;
	struct bph_row_asrange row = {.cc = "", .name = ""};

	if (skip_comment(p, s) || !strncmp(s, "range_start", 11) ||
	    !strncmp(s, "ip_range_start", 14))
		return 0;
	p->data_seen = true;
	nf = bph_split(s, tsv ? '\t' : ',', f, tsv ? 5 : 4);
	if (nf < 3 || !parse_range(p, bph_trim(f[0]), bph_trim(f[1]), &row.net))
		return bph_reject(p, "ip2asn: expected first, last, AS");
	if (!bph_parse_asn(bph_trim(f[2]), true, &row.asn))
		return bph_reject(p, "ip2asn: bad AS number");
	if (tsv && nf == 5) {
		row.cc = bph_trim(f[3]);
		row.name = bph_trim(f[4]);
	} else if (!tsv && nf == 4) {
		row.name = unquote(bph_trim(f[3]));
	}
	if (row.asn == 0) /* "Not routed" gaps */
		return 0;
	p->res->parts |= BPH_PART_ASN;
	return EMIT(p, asrange, &row);
}

int bph_line_asrel(struct pctx *p, char *s, size_t n)
{
	char *f[4];
	size_t nf;
	struct bph_row_rel row = {.source = ""};

	(void)n;
	if (skip_comment(p, s))
		return 0;
	p->data_seen = true;
	nf = bph_split(s, '|', f, 4);
	if (nf < 3 || !bph_parse_asn(f[0], false, &row.a) ||
	    !bph_parse_asn(f[1], false, &row.b))
		return bph_reject(p, "asrel: expected AS|AS|relationship");
	if (!strcmp(f[2], "-1"))
		row.rel = -1;
	else if (!strcmp(f[2], "0"))
		row.rel = 0;
	else
		return bph_reject(p, "asrel: relationship is not -1 or 0");
	if (nf == 4)
		row.source = f[3];
	p->res->parts |= BPH_PART_ASN;
	return EMIT(p, rel, &row);
}

/* ---- as2org ---- */

static int as2org_text(struct pctx *p, char *s)
{
	char *f[6];
	size_t nf = bph_split(s, '|', f, 6);

	if (p->section == 1 && nf == 5) {
		struct bph_row_org o = {f[0], f[1], f[2], f[3], f[4]};
		p->res->parts |= BPH_PART_ORG;
		return EMIT(p, org, &o);
	}
	if (p->section == 2 && nf == 6) {
		struct bph_row_asorg a = {.changed = f[1],
					  .name = f[2],
					  .org_id = f[3],
					  .opaque_id = f[4],
					  .source = f[5]};
		if (!bph_parse_asn(f[0], false, &a.asn))
			return bph_reject(p, "as2org: bad AS number");
		p->res->parts |= BPH_PART_ASN;
		return EMIT(p, asorg, &a);
	}
	return bph_reject(p, p->section ? "as2org: wrong number of fields"
					: "as2org: data before a '# format:' "
					  "line");
}

static const char *jstr(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static bool json_asn(json_t *v, uint32_t *asn)
{
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);
		*asn = (uint32_t)x;
		return x >= 0 && x <= (json_int_t)UINT32_MAX;
	}
	return json_is_string(v) &&
	       bph_parse_asn(json_string_value(v), true, asn);
}

static int as2org_json(struct pctx *p, const char *s, size_t n)
{
	json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
	const char *type = jstr(j, "type");
	int rc;

	if (!json_is_object(j)) {
		rc = bph_reject(p, "as2org: not a JSON object");
	} else if (!strcmp(type, "Organization")) {
		struct bph_row_org o = {jstr(j, "organizationId"),
					jstr(j, "changed"), jstr(j, "name"),
					jstr(j, "country"), jstr(j, "source")};
		p->res->parts |= BPH_PART_ORG;
		rc = o.org_id[0] ? EMIT(p, org, &o)
				 : bph_reject(p, "as2org: no organizationId");
	} else if (!strcmp(type, "ASN")) {
		struct bph_row_asorg a = {.changed = jstr(j, "changed"),
					  .name = jstr(j, "name"),
					  .org_id = jstr(j, "organizationId"),
					  .opaque_id = jstr(j, "opaqueId"),
					  .source = jstr(j, "source")};
		p->res->parts |= BPH_PART_ASN;
		rc = json_asn(json_object_get(j, "asn"), &a.asn)
			 ? EMIT(p, asorg, &a)
			 : bph_reject(p, "as2org: bad asn");
	} else {
		rc = bph_reject(p, "as2org: type is not Organization or ASN");
	}
	json_decref(j);
	return rc;
}

int bph_line_as2org(struct pctx *p, char *s, size_t n)
{
	if (!strncmp(s, "# format:org_id|", 16)) {
		p->section = 1;
		return 0;
	}
	if (!strncmp(s, "# format:aut|", 13)) {
		p->section = 2;
		return 0;
	}
	if (skip_comment(p, s))
		return 0;
	p->data_seen = true;
	return s[0] == '{' ? as2org_json(p, s, n) : as2org_text(p, s);
}

/* ---- RIR delegated-extended ---- */

/* "2|ripencc|20261206|..." (version line): the serial is the date. */
static int deleg_version(struct pctx *p, char **f, size_t nf)
{
	char date[11];

	if (nf >= 3 && bph_find_date(f[2], date))
		bph_set_date(p, date, BPH_DATE_HEADER);
	if (nf >= 2)
		snprintf(p->res->origin, sizeof(p->res->origin), "%s", f[1]);
	return 0;
}

static bool deleg_ip(struct pctx *p, struct bph_row_deleg *d, const char *start,
		     const char *value, bool v6)
{
	struct bph_addr a;
	uint32_t count;

	if (bph_addr_parse(start, strlen(start), &a) ||
	    a.fam != (v6 ? BPH_FAM_V6 : BPH_FAM_V4) ||
	    !bph_parse_asn(value, false, &count) || count == 0)
		return false;
	if (v6) {
		if (count > 128)
			return false;
		d->net = bph_range_of_prefix(BPH_FAM_V6, a.v, count);
	} else {
		if ((uint64_t)a.v + count - 1 > UINT32_MAX)
			return false;
		d->net = (struct bph_range){BPH_FAM_V4, a.v, a.v + count - 1};
	}
	bph_note_family(p, &d->net);
	return true;
}

int bph_line_delegated(struct pctx *p, char *s, size_t n)
{
	char *f[9];
	size_t nf;

	(void)n;
	if (skip_comment(p, s))
		return 0;
	nf = bph_split(s, '|', f, 9);
	if (nf >= 1 && f[0][0] >= '0' && f[0][0] <= '9')
		return deleg_version(p, f, nf);
	if (nf >= 6 && !strcmp(f[5], "summary"))
		return 0;
	p->data_seen = true;
	if (nf < 7)
		return bph_reject(p, "delegated: expected registry|cc|type|"
				     "start|value|date|status");
	struct bph_row_deleg d = {.registry = f[0],
				  .cc = f[1],
				  .type = f[2],
				  .date = f[5],
				  .status = f[6],
				  .opaque_id = nf >= 8 ? f[7] : ""};
	bool ok;
	if (!strcmp(f[2], "asn")) {
		ok = bph_parse_asn(f[3], false, &d.asn_first) &&
		     bph_parse_asn(f[4], false, &d.asn_count) && d.asn_count &&
		     (uint64_t)d.asn_first + d.asn_count - 1 <= UINT32_MAX;
		p->res->parts |= BPH_PART_ASN;
	} else {
		ok = (!strcmp(f[2], "ipv4") || !strcmp(f[2], "ipv6")) &&
		     deleg_ip(p, &d, f[3], f[4], f[2][3] == '6');
	}
	if (!ok)
		return bph_reject(p, "delegated: bad type, start or value");
	return EMIT(p, deleg, &d);
}

/*
 * parse_detect.c - telling a data file's kind from its first lines. Each
 * data line votes for the kinds its shape allows and header lines name
 * their publisher (FireHOL, Feodo Tracker, DShield, Spamhaus); a kind is
 * returned only when every classified line agrees, so a file that could
 * be two things needs --kind (docs/guide.md lists the shapes).
 */
#include "ranges/ranges_int.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fingerprints/err.h"

#define SNIFF_LINES 40

struct sniff {
	bool firehol, feodo, dshield, spamhaus, asrel_header;
	enum bph_kind seen; /* kind of the data lines so far */
	bool conflict;
	enum bph_kind other;
	int lines;
};

static bool is_addr(const char *s)
{
	struct bph_addr a;
	return bph_addr_parse(s, strlen(s), &a) == 0;
}

static bool is_net(const char *s)
{
	struct bph_range r;
	return bph_prefix_parse(s, strlen(s), &r, NULL, NULL) == 0;
}

static bool is_num(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

static void header(struct sniff *z, const char *s)
{
	if (strcasestr(s, "FireHOL") || strstr(s, "hash:net") ||
	    strstr(s, "hash:ip"))
		z->firehol = true;
	if (strcasestr(s, "Feodo"))
		z->feodo = true;
	if (strcasestr(s, "DShield"))
		z->dshield = true;
	if (strcasestr(s, "Spamhaus"))
		z->spamhaus = true;
	if (strstr(s, "# source:topology") || strstr(s, "# inferred clique"))
		z->asrel_header = true;
}

static enum bph_kind json_kind(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);
	const char *type = json_string_value(json_object_get(j, "type"));
	enum bph_kind k = BPH_KIND_NONE;

	if (!json_is_object(j))
		k = BPH_KIND_NONE;
	else if (type &&
		 (!strcmp(type, "Organization") || !strcmp(type, "ASN")))
		k = BPH_KIND_AS2ORG;
	else if (json_object_get(j, "cidr"))
		k = BPH_KIND_DROP;
	else if (json_is_integer(json_object_get(j, "asn")))
		k = BPH_KIND_ASNDROP;
	json_decref(j);
	return k;
}

static bool rpsl_class(const char *s)
{
	static const char *const classes[] = {
	    "inetnum:", "inet6num:", "organisation:", "role:",	   "irt:",
	    "aut-num:", "person:",   "mntner:",	      "route:",	   "route6:",
	    "as-set:",	"domain:",   "as-block:",     "key-cert:", NULL};
	for (size_t i = 0; classes[i]; i++)
		if (!strncmp(s, classes[i], strlen(classes[i])))
			return true;
	return false;
}

static bool rir_name(const char *s, size_t n)
{
	static const char *const rirs[] = {"afrinic", "apnic",	 "arin", "iana",
					   "lacnic",  "ripencc", NULL};
	for (size_t i = 0; rirs[i]; i++)
		if (strlen(rirs[i]) == n && !strncmp(s, rirs[i], n))
			return true;
	return false;
}

/* Pipe-separated lines: as-rel, or delegated ("ripencc|NL|ipv4|..." and
 * the version line "2|ripencc|20261206|..."). */
static enum bph_kind pipe_kind(char *s)
{
	char *f[5];
	size_t nf = bph_split(s, '|', f, 5);

	if (rir_name(f[0], strlen(f[0])) ||
	    (nf >= 3 && isdigit((unsigned char)f[0][0]) &&
	     rir_name(f[1], strlen(f[1]))))
		return BPH_KIND_DELEGATED;
	if (nf >= 3 && nf <= 4 && is_num(f[0]) && is_num(f[1]) &&
	    (!strcmp(f[2], "-1") || !strcmp(f[2], "0")))
		return BPH_KIND_ASREL;
	return BPH_KIND_NONE;
}

/* Tab-separated lines: pfx2as, ip2asn, dshield. */
static enum bph_kind tab_kind(char *s)
{
	char *f[7];
	size_t nf = bph_split(s, '\t', f, 7);

	if (nf == 3 && is_addr(f[0]) && is_num(f[1]) &&
	    strspn(f[2], "0123456789_,") == strlen(f[2]))
		return BPH_KIND_PFX2AS;
	if (nf >= 3 && is_addr(f[0]) && is_addr(f[1]) && is_num(f[2]))
		return nf >= 4 && is_num(f[3]) ? BPH_KIND_DSHIELD
					       : BPH_KIND_IP2ASN;
	return BPH_KIND_NONE;
}

static enum bph_kind semicolon_kind(char *s)
{
	char *f[2];
	bph_split(s, ';', f, 2);
	char *a = bph_trim(f[0]);

	if (!strncasecmp(a, "AS", 2) && is_num(a + 2))
		return BPH_KIND_ASNDROP;
	return is_net(a) ? BPH_KIND_DROP : BPH_KIND_NONE;
}

static enum bph_kind line_kind(struct sniff *z, char *s)
{
	char *f[4];

	if (s[0] == '{')
		return json_kind(s);
	if (rpsl_class(s))
		return BPH_KIND_RPSL;
	if (!strncmp(s, "Start\tEnd", 9))
		return BPH_KIND_DSHIELD;
	if (s[0] == '"')
		return strstr(s, "first_seen") || z->feodo ? BPH_KIND_FEODO
							   : BPH_KIND_NONE;
	if (!strncasecmp(s, "AS", 2) && isdigit((unsigned char)s[2]) &&
	    strchr(s, ';'))
		return semicolon_kind(s); /* "AS64496 ; NL | name" */
	if (strchr(s, '|'))
		return pipe_kind(s);
	if (strchr(s, '\t'))
		return tab_kind(s);
	if (strchr(s, ';'))
		return semicolon_kind(s);
	if (strchr(s, ',') && bph_split(s, ',', f, 4) >= 3 && is_addr(f[0]) &&
	    is_addr(f[1]) && is_num(f[2]))
		return BPH_KIND_IP2ASN; /* @ip-location-db CSV */
	return is_net(bph_trim(s)) ? BPH_KIND_PLAIN : BPH_KIND_NONE;
}

static void vote(struct sniff *z, enum bph_kind k)
{
	if (k == BPH_KIND_NONE)
		return;
	if (z->seen == BPH_KIND_NONE)
		z->seen = k;
	else if (z->seen != k) {
		z->conflict = true;
		z->other = k;
	}
}

static void classify(struct sniff *z, char *s)
{
	const char *t = s + strspn(s, " \t");

	if (!*t)
		return;
	if (!strncmp(t, "# format:org_id|", 16) ||
	    !strncmp(t, "# format:aut|", 13))
		vote(z, BPH_KIND_AS2ORG);
	else if (*t == '#' || *t == ';' || *t == '%')
		header(z, t);
	else if (z->lines++ < SNIFF_LINES)
		vote(z, line_kind(z, s));
}

/* Header words refine a list of bare addresses. */
static enum bph_kind refine(const struct sniff *z)
{
	if (z->seen == BPH_KIND_PLAIN && z->feodo)
		return BPH_KIND_FEODO;
	if (z->seen == BPH_KIND_PLAIN && z->firehol)
		return BPH_KIND_NETSET;
	return z->seen;
}

int bph_detect_lines(struct bph_lines *r, enum bph_kind *kind, char *err,
		     size_t errlen)
{
	struct sniff z = {0};
	char *s;
	size_t n;
	bool too_long;
	int rc = 0;

	while (z.lines < SNIFF_LINES &&
	       (rc = bph_lines_next(r, &s, &n, &too_long)) == 1)
		if (!too_long)
			classify(&z, s);
	if (rc < 0) {
		snprintf(err, errlen, "%s", bph_lines_error(r));
		return rc;
	}
	if (z.conflict) {
		snprintf(err, errlen,
			 "the content looks like both %s and %s: give --kind",
			 bph_kind_name(z.seen), bph_kind_name(z.other));
		return BPH_ERR_FORMAT;
	}
	if (z.seen == BPH_KIND_NONE) {
		snprintf(err, errlen,
			 "cannot tell the kind of data from its "
			 "first lines: give --kind");
		return BPH_ERR_FORMAT;
	}
	*kind = refine(&z);
	return 0;
}

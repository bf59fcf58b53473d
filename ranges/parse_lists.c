/*
 * parse_lists.c - line handlers of the deny lists: Spamhaus DROP and
 * ASN-DROP (JSON Lines with a metadata line, and the legacy ';' text),
 * FireHOL netsets and plain address lists, abuse.ch Feodo Tracker (CSV
 * and text) and DShield's block.txt. Formats, sources and licences:
 * docs/guide.md ("From a cluster to its networks").
 */
#include "ranges/ranges_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fingerprints/err.h"

#define CSV_MAX_FIELDS 16

/* Blank lines and lines starting with one of marks: skipped, noted. */
static bool skip_comment(struct pctx *p, const char *s, const char *marks)
{
	const char *t = s;

	while (*t == ' ' || *t == '\t')
		t++;
	if (*t == '\0')
		return true;
	if (!strchr(marks, *t))
		return false;
	bph_header_line(p, t);
	return true;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

/* The metadata line of Spamhaus JSON: the list date and its terms. */
static int spamhaus_metadata(struct pctx *p, json_t *j)
{
	json_t *ts = json_object_get(j, "timestamp");
	char date[11], note[200];
	struct tm tm;
	time_t t;

	if (!json_is_integer(ts) || json_integer_value(ts) < 0)
		return bph_reject(p, "metadata line without a timestamp");
	t = (time_t)json_integer_value(ts);
	if (gmtime_r(&t, &tm) && strftime(date, sizeof(date), "%Y-%m-%d", &tm))
		bph_set_date(p, date, BPH_DATE_METADATA);
	if (jstr(j, "copyright")[0]) {
		snprintf(note, sizeof(note), "%s", jstr(j, "copyright"));
		bph_add_licence(p, note);
	}
	if (jstr(j, "terms")[0]) {
		snprintf(note, sizeof(note), "terms: %s", jstr(j, "terms"));
		bph_add_licence(p, note);
	}
	snprintf(p->res->origin, sizeof(p->res->origin), "Spamhaus");
	return 0;
}

static int drop_json(struct pctx *p, const char *s, size_t n)
{
	json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
	struct bph_row_entry e = {.info = "", .date = ""};
	char info[64];
	int rc;

	if (!json_is_object(j))
		rc = bph_reject(p, "drop: not a JSON object");
	else if (!strcmp(jstr(j, "type"), "metadata"))
		rc = spamhaus_metadata(p, j);
	else if (!bph_parse_net(p, (e.text = jstr(j, "cidr")), &e.net))
		rc = bph_reject(p, "drop: no valid \"cidr\"");
	else {
		e.ref = jstr(j, "sblid");
		snprintf(info, sizeof(info), "%s%.40s",
			 jstr(j, "rir")[0] ? "rir=" : "", jstr(j, "rir"));
		e.info = info;
		rc = EMIT(p, entry, &e);
	}
	json_decref(j);
	return rc;
}

int bph_line_drop(struct pctx *p, char *s, size_t n)
{
	char *f[2];
	struct bph_row_entry e = {.info = "", .date = ""};

	if (skip_comment(p, s, ";#"))
		return 0;
	p->data_seen = true;
	if (s[0] == '{')
		return drop_json(p, s, n);
	/* "192.0.2.0/24 ; SBL000001" */
	size_t nf = bph_split(s, ';', f, 2);
	e.text = bph_trim(f[0]);
	e.ref = nf == 2 ? bph_trim(f[1]) : "";
	if (!bph_parse_net(p, e.text, &e.net))
		return bph_reject(p, "drop: expected 'CIDR ; SBL id'");
	return EMIT(p, entry, &e);
}

static int asndrop_json(struct pctx *p, const char *s, size_t n)
{
	json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
	json_t *asn = json_object_get(j, "asn");
	int rc;

	if (!json_is_object(j)) {
		rc = bph_reject(p, "asndrop: not a JSON object");
	} else if (!strcmp(jstr(j, "type"), "metadata")) {
		rc = spamhaus_metadata(p, j);
	} else if (!json_is_integer(asn) || json_integer_value(asn) < 0 ||
		   json_integer_value(asn) > (json_int_t)UINT32_MAX) {
		rc = bph_reject(p, "asndrop: no valid \"asn\" number");
	} else {
		struct bph_row_asn_entry e = {
		    (uint32_t)json_integer_value(asn), jstr(j, "asname"),
		    jstr(j, "cc"), jstr(j, "domain"), jstr(j, "rir")};
		p->res->parts |= BPH_PART_ASN;
		rc = EMIT(p, asn_entry, &e);
	}
	json_decref(j);
	return rc;
}

int bph_line_asndrop(struct pctx *p, char *s, size_t n)
{
	char *f[2], *g[2];
	struct bph_row_asn_entry e = {
	    .name = "", .cc = "", .domain = "", .rir = ""};

	if (skip_comment(p, s, ";#"))
		return 0;
	p->data_seen = true;
	if (s[0] == '{')
		return asndrop_json(p, s, n);
	/* "AS64496 ; NL | EXAMPLE-BPH-AS - Example Hosting Ltd, NL" */
	size_t nf = bph_split(s, ';', f, 2);
	if (!bph_parse_asn(bph_trim(f[0]), true, &e.asn))
		return bph_reject(p, "asndrop: expected 'AS<n> ; CC | name'");
	if (nf == 2) {
		size_t ng = bph_split(f[1], '|', g, 2);
		e.cc = bph_trim(g[0]);
		e.name = ng == 2 ? bph_trim(g[1]) : "";
	}
	p->res->parts |= BPH_PART_ASN;
	return EMIT(p, asn_entry, &e);
}

/* FireHOL netset, FireHOL ipset, plain: one address or CIDR a line, cut at
 * the first blank, ';' or '#'. */
int bph_line_netset(struct pctx *p, char *s, size_t n)
{
	struct bph_row_entry e = {.ref = "", .info = "", .date = ""};

	(void)n;
	if (skip_comment(p, s, "#;"))
		return 0;
	p->data_seen = true;
	char *t = s + strspn(s, " \t");
	t[strcspn(t, " \t;#")] = '\0';
	e.text = t;
	if (!bph_parse_net(p, t, &e.net))
		return bph_reject(p, "expected an address or CIDR");
	return EMIT(p, entry, &e);
}

/* ---- Feodo Tracker ---- */

/* Splits one CSV row ("a", "b",c) in place; false when malformed. */
static bool csv_split(char *s, char **f, size_t *nf)
{
	char *w = s;

	*nf = 0;
	while (*nf < CSV_MAX_FIELDS) {
		while (*s == ' ')
			s++;
		f[(*nf)++] = w;
		if (*s == '"') {
			for (s++;; s++) {
				if (!*s)
					return false;
				if (*s == '"' && s[1] != '"')
					break;
				if (*s == '"')
					s++;
				*w++ = *s;
			}
			s++;
			while (*s == ' ')
				s++;
		} else {
			while (*s && *s != ',')
				*w++ = *s++;
		}
		if (*s != ',' && *s)
			return false;
		*w++ = '\0';
		if (!*s++)
			return true;
	}
	return false;
}

static const char *const feodo_cols[] = {"first_seen_utc", "dst_ip",
					 "dst_port",	   "c2_status",
					 "last_online",	   "malware"};

static void feodo_header(struct pctx *p, char **f, size_t nf)
{
	for (size_t c = 0; c < 6; c++) {
		p->col[c] = -1;
		for (size_t i = 0; i < nf; i++)
			if (!strcmp(bph_trim(f[i]), feodo_cols[c]))
				p->col[c] = (int)i;
	}
	p->have_columns = true;
}

static const char *field(struct pctx *p, char **f, size_t nf, int c)
{
	int i = p->col[c];
	return i >= 0 && (size_t)i < nf ? bph_trim(f[i]) : "";
}

static int feodo_row(struct pctx *p, char **f, size_t nf)
{
	struct bph_row_entry e = {.ref = field(p, f, nf, 5)};
	char info[160], date[11] = "";

	e.text = field(p, f, nf, 1);
	if (!bph_parse_net(p, e.text, &e.net))
		return bph_reject(p, "feodo: bad dst_ip");
	snprintf(info, sizeof(info), "port=%.8s status=%.16s last_online=%.24s",
		 field(p, f, nf, 2), field(p, f, nf, 3), field(p, f, nf, 4));
	bph_find_date(field(p, f, nf, 0), date);
	e.info = info;
	e.date = date;
	return EMIT(p, entry, &e);
}

int bph_line_feodo(struct pctx *p, char *s, size_t n)
{
	char *f[CSV_MAX_FIELDS];
	size_t nf;

	if (skip_comment(p, s, "#"))
		return 0;
	p->data_seen = true;
	if (s[0] != '"')
		return bph_line_netset(p, s, n); /* ipblocklist.txt */
	if (!csv_split(s, f, &nf))
		return bph_reject(p, "feodo: malformed CSV row");
	if (!strcmp(f[0], "first_seen_utc") || !strcmp(f[0], "first_seen")) {
		feodo_header(p, f, nf);
		return 0;
	}
	if (!p->have_columns) { /* the documented column order */
		for (int c = 0; c < 6; c++)
			p->col[c] = c;
		p->have_columns = true;
	}
	return feodo_row(p, f, nf);
}

/* ---- DShield block.txt ---- */

int bph_line_dshield(struct pctx *p, char *s, size_t n)
{
	char *f[7], text[BPH_PREFIX_STRLEN + 4], info[200];
	struct bph_addr a, b;
	uint32_t len = 0;

	(void)n;
	if (skip_comment(p, s, "#") || !strncmp(s, "Start\t", 6))
		return 0;
	p->data_seen = true;
	size_t nf = bph_split(s, '\t', f, 7);
	if (nf < 3 || bph_addr_parse(f[0], strlen(f[0]), &a) ||
	    bph_addr_parse(f[1], strlen(f[1]), &b) || a.fam != b.fam ||
	    a.v > b.v || !bph_parse_asn(f[2], false, &len))
		return bph_reject(p, "dshield: expected start, end, netblock");
	struct bph_row_entry e = {
	    .net = {a.fam, a.v, b.v}, .ref = "", .date = ""};
	bph_note_family(p, &e.net);
	snprintf(text, sizeof(text), "%.46s/%u", f[0], len);
	snprintf(info, sizeof(info),
		 "attacks=%.12s name=%.60s country=%.8s email=%.80s",
		 nf > 3 ? f[3] : "", nf > 4 ? f[4] : "", nf > 5 ? f[5] : "",
		 nf > 6 ? f[6] : "");
	e.text = text;
	e.info = info;
	return EMIT(p, entry, &e);
}

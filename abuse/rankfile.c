/*
 * rankfile.c - the reader of `bphound rank` output for --rank-file: CSV
 * with a header row, or JSON Lines (jansson). The accepted forms are in
 * abuse/rankfile.h; the columns are those of docs/output.md "Ranking".
 */
#include "abuse/rankfile.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "abuse/addrlist.h"
#include "fingerprints/err.h"

#define MAX_FIELDS 64

struct rparse {
	const char *name;
	size_t line;
	char *err;
	size_t errlen;
	struct bph_rank_unit *v;
	size_t n, cap;
	int unit_col, rank_col, score_col, n_cols; /* csv; -1: absent */
	bool jsonl, header_done;
};

static int fail(struct rparse *p, size_t col, const char *what)
{
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s:%zu:%zu: %s", p->name, p->line,
			 col, what);
	return BPH_ERR_FORMAT;
}

static bool org_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63)
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || strchr("-_.", *c)))
			return false;
	return true;
}

/* Tells the unit's kind and parses it into u. */
static int unit_of(const char *s, struct bph_rank_unit *u)
{
	if (strlen(s) >= sizeof(u->text))
		return BPH_ERR_FORMAT;
	snprintf(u->text, sizeof(u->text), "%s", s);
	if ((s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's') &&
	    s[2] && strspn(s + 2, "0123456789") == strlen(s + 2)) {
		/* AS and digits is an AS, never an organisation id */
		unsigned long long v = strtoull(s + 2, NULL, 10);
		if (strlen(s + 2) > 10 || v > UINT32_MAX)
			return BPH_ERR_FORMAT;
		u->kind = BPH_UNIT_ASN;
		u->asn = (uint32_t)v;
		return 0;
	}
	if (!bph_cidr_parse(s, &u->cidr, NULL, NULL)) {
		u->kind = BPH_UNIT_PREFIX;
		return 0;
	}
	if (strchr(s, '/') || strchr(s, ':') || !org_id(s))
		return BPH_ERR_FORMAT;
	u->kind = BPH_UNIT_ORG;
	return 0;
}

static int push(struct rparse *p, const char *unit, size_t col, long rank,
		double score)
{
	struct bph_rank_unit u;
	memset(&u, 0, sizeof(u));
	if (unit_of(unit, &u))
		return fail(p, col,
			    "not a unit (a prefix, AS<number> or an "
			    "organisation id)");
	if (p->n >= BPH_RANKFILE_MAX_UNITS) {
		fail(p, 1, "too many units");
		return BPH_ERR_TOOBIG;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		struct bph_rank_unit *v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return BPH_ERR_NOMEM;
		p->v = v;
		p->cap = cap;
	}
	u.rank = rank > 0 ? (unsigned)rank : (unsigned)p->n + 1;
	u.score = score;
	p->v[p->n++] = u;
	return 0;
}

/* ---- JSON Lines ---- */

static int json_line(struct rparse *p, const char *s, size_t n)
{
	json_error_t e;
	json_t *o = json_loadb(s, n, JSON_REJECT_DUPLICATES, &e), *u, *r, *sc;
	int rc;
	if (!o)
		return fail(p, (size_t)(e.column > 0 ? e.column : 1),
			    "not a JSON object (--rank-file reads bphound "
			    "rank --format jsonl or csv)");
	u = json_object_get(o, "unit");
	r = json_object_get(o, "rank");
	sc = json_object_get(o, "score");
	if (!json_is_object(o) || !json_is_string(u))
		rc = fail(p, 1, "no string \"unit\"");
	else if ((r && !json_is_integer(r)) || (sc && !json_is_number(sc)))
		rc = fail(p, 1, "\"rank\" or \"score\" is not a number");
	else
		rc = push(p, json_string_value(u), 1,
			  r ? (long)json_integer_value(r) : 0,
			  sc ? json_number_value(sc) : 0);
	json_decref(o);
	return rc;
}

/* ---- CSV ---- */

/* Splits one line into fields (RFC 4180 quoting, unescaped in place into
 * buf); *at gets each field's column. Returns the count, or -1 with the
 * bad column in *bad. */
static int csv_split(const char *s, size_t n, char *buf, char **f, size_t *at,
		     size_t *bad)
{
	int k = 0;
	size_t w = 0, i = 0;
	for (;;) {
		if (k == MAX_FIELDS) {
			*bad = i + 1;
			return -1;
		}
		at[k] = i + 1;
		f[k++] = buf + w;
		if (i < n && s[i] == '"') {
			for (i++;; i++) {
				if (i >= n) {
					*bad = n;
					return -1; /* unterminated */
				}
				if (s[i] == '"' && i + 1 < n && s[i + 1] == '"')
					buf[w++] = s[i++];
				else if (s[i] == '"')
					break;
				else
					buf[w++] = s[i];
			}
			i++;
			if (i < n && s[i] != ',') {
				*bad = i + 1;
				return -1;
			}
		} else {
			while (i < n && s[i] != ',') {
				if (s[i] == '"') {
					*bad = i + 1;
					return -1;
				}
				buf[w++] = s[i++];
			}
		}
		buf[w++] = '\0';
		if (i >= n)
			return k;
		i++; /* the comma */
	}
}

static int csv_header(struct rparse *p, char **f, int k)
{
	p->unit_col = p->rank_col = p->score_col = -1;
	for (int i = 0; i < k; i++) {
		if (!strcmp(f[i], "unit"))
			p->unit_col = i;
		else if (!strcmp(f[i], "rank"))
			p->rank_col = i;
		else if (!strcmp(f[i], "score"))
			p->score_col = i;
	}
	p->n_cols = k;
	p->header_done = true;
	if (p->unit_col < 0)
		return fail(p, 1,
			    "no \"unit\" column (--rank-file reads bphound "
			    "rank --format csv or jsonl)");
	return 0;
}

static int csv_line(struct rparse *p, const char *s, size_t n)
{
	char *buf = malloc(n + MAX_FIELDS + 1), *f[MAX_FIELDS];
	size_t at[MAX_FIELDS], bad = 1;
	int rc, k;
	if (!buf)
		return BPH_ERR_NOMEM;
	k = csv_split(s, n, buf, f, at, &bad);
	if (k < 0)
		rc = fail(p, bad, "malformed CSV field");
	else if (!p->header_done)
		rc = csv_header(p, f, k);
	else if (k != p->n_cols)
		rc = fail(p, 1, "not as many fields as the header");
	else {
		char *u = f[p->unit_col];
		long rank =
		    p->rank_col >= 0 ? strtol(f[p->rank_col], NULL, 10) : 0;
		double score =
		    p->score_col >= 0 ? strtod(f[p->score_col], NULL) : 0;
		if (u[0] == '\'' && u[1] && strchr("=+-@", u[1]))
			u++; /* bphound rank's formula defusing */
		rc = push(p, u, at[p->unit_col], rank, score);
	}
	free(buf);
	return rc;
}

/* Blanks at the start of the n bytes at s (never past them). */
static size_t blanks(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

static int one_line(struct rparse *p, const char *s, size_t n)
{
	if (n && s[n - 1] == '\r')
		n--;
	if (blanks(s, n) == n)
		return 0;
	if (memchr(s, '\0', n))
		return fail(p,
			    (size_t)((const char *)memchr(s, '\0', n) - s) + 1,
			    "NUL byte (not a text file)");
	if (n > BPH_RANKFILE_MAX_LINE)
		return fail(p, BPH_RANKFILE_MAX_LINE, "line too long");
	if (p->n == 0 && !p->header_done && !p->jsonl)
		p->jsonl = s[blanks(s, n)] == '{';
	return p->jsonl ? json_line(p, s, n) : csv_line(p, s, n);
}

int bph_rankfile_parse(const char *buf, size_t len, const char *name,
		       struct bph_rank_unit **out, size_t *n, char *err,
		       size_t errlen)
{
	struct rparse p = {.name = name, .err = err, .errlen = errlen};
	int rc = 0;
	for (size_t at = 0; at < len && !rc;) {
		const char *nl = memchr(buf + at, '\n', len - at);
		size_t k = nl ? (size_t)(nl - (buf + at)) : len - at;
		p.line++;
		rc = one_line(&p, buf + at, k);
		at += k + 1;
	}
	if (rc) {
		free(p.v);
		return rc;
	}
	*out = p.v;
	*n = p.n;
	return 0;
}

int bph_rankfile_load(const char *path, struct bph_rank_unit **out, size_t *n,
		      char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc =
	    bph_abuse_read_file(path, (size_t)1 << 30, &buf, &len, err, errlen);
	if (!rc)
		rc = bph_rankfile_parse(buf, len, path, out, n, err, errlen);
	free(buf);
	return rc;
}

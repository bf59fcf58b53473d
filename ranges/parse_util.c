/*
 * parse_util.c - helpers every data-file parser shares: reporting a
 * malformed line, reading dates and licence notes from headers, splitting
 * fields, numbers and networks (ranges/ranges_int.h).
 */
#include "ranges/ranges_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fingerprints/err.h"

int bph_reject_at(struct pctx *p, uint64_t line, const char *why)
{
	size_t max = p->o->max_messages ? p->o->max_messages : 20;

	p->res->rejected++;
	if (p->o->errout && p->messages < max)
		fprintf(p->o->errout, "%s:%" PRIu64 ": %s\n", p->label, line,
			why);
	else if (p->o->errout && p->messages == max)
		fprintf(p->o->errout,
			"%s: more malformed lines follow (only "
			"counted)\n",
			p->label);
	p->messages++;
	return p->o->strict ? BPH_ERR_FORMAT : 0;
}

int bph_reject(struct pctx *p, const char *why)
{
	return bph_reject_at(p, p->lineno, why);
}

size_t bph_split(char *s, char sep, char **f, size_t max)
{
	size_t n = 0;

	if (max == 0)
		return 0;
	f[n++] = s;
	for (char *c = s; *c && n < max; c++)
		if (*c == sep) {
			*c = '\0';
			f[n++] = c + 1;
		}
	return n;
}

char *bph_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

bool bph_parse_asn(const char *s, bool as_prefix, uint32_t *asn)
{
	uint64_t v = 0;

	if (as_prefix && (s[0] == 'A' || s[0] == 'a') &&
	    (s[1] == 'S' || s[1] == 's'))
		s += 2;
	if (!*s || strlen(s) > 10)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*asn = (uint32_t)v;
	return true;
}

void bph_note_family(struct pctx *p, const struct bph_range *r)
{
	p->res->parts |= r->fam == BPH_FAM_V4 ? BPH_PART_V4 : BPH_PART_V6;
}

bool bph_parse_net(struct pctx *p, const char *s, struct bph_range *r)
{
	bool host_bits = false;

	if (bph_prefix_parse(s, strlen(s), r, NULL, &host_bits))
		return false;
	if (host_bits)
		p->res->warnings++;
	bph_note_family(p, r);
	return true;
}

void bph_set_date(struct pctx *p, const char date[11], enum bph_date_source src)
{
	struct bph_parse_result *res = p->res;

	if (!date[0])
		return;
	if (res->date_source != BPH_DATE_NONE && src >= res->date_source)
		return;
	memcpy(res->date, date, 11);
	res->date_source = src;
}

static void licence_flags(struct pctx *p, const char *s)
{
	if (strcasestr(s, "by-nc") || strcasestr(s, "non-commercial") ||
	    strcasestr(s, "noncommercial"))
		p->res->licence_flags |= BPH_LIC_NC;
	if (strcasestr(s, "-sa/") || strcasestr(s, "-sa ") ||
	    strcasestr(s, "share-alike") || strcasestr(s, "sharealike"))
		p->res->licence_flags |= BPH_LIC_SA;
}

void bph_add_licence(struct pctx *p, const char *s)
{
	char *l = p->res->licence;
	size_t used = strlen(l), room = sizeof(p->res->licence) - used;

	licence_flags(p, s);
	if (strstr(l, s) || room < 8)
		return;
	snprintf(l + used, room, "%s%s", used ? "; " : "", s);
}

static bool is_licence_text(const char *s)
{
	static const char *const marks[] = {"(c)",
					    "copyright",
					    "terms",
					    "licen",
					    "rights reserved",
					    "creativecommons",
					    "attribution",
					    NULL};
	for (size_t i = 0; marks[i]; i++)
		if (strcasestr(s, marks[i]))
			return true;
	return false;
}

void bph_header_line(struct pctx *p, const char *s)
{
	char date[11], buf[200];

	if (p->data_seen)
		return;
	while (*s == '#' || *s == ';' || *s == '%' || *s == ' ' || *s == '\t')
		s++;
	if (bph_find_date(s, date))
		bph_set_date(p, date, BPH_DATE_HEADER);
	if (*s && is_licence_text(s)) {
		snprintf(buf, sizeof(buf), "%s", s);
		/* banners boxed in '#' (abuse.ch) lose the box's right side */
		size_t n = strlen(buf);
		while (n > 0 && strchr("# \t", buf[n - 1]))
			buf[--n] = '\0';
		bph_add_licence(p, bph_trim(buf));
	}
}

/* ---- dates ---- */

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
				     "jul", "aug", "sep", "oct", "nov", "dec"};

static bool make_date(int y, int m, int d, char out[11])
{
	if (y < 1980 || y > 2199 || m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
	return true;
}

static int num(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int month_at(const char *s)
{
	for (int i = 0; i < 12; i++)
		if (!strncasecmp(s, months[i], 3) &&
		    !isalpha((unsigned char)s[3]))
			return i + 1;
	return 0;
}

/* YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD at s (s[-1] is not a digit); every
 * byte is read only after the one before it was a digit. */
static bool numeric_date(const char *s, char out[11])
{
	int y = num(s, 4), m, d;

	if (y < 0)
		return false;
	if (s[4] == '-' || s[4] == '/') {
		m = num(s + 5, 2);
		if (m < 0 || s[7] != s[4])
			return false;
		d = num(s + 8, 2);
		if (d < 0 || isdigit((unsigned char)s[10]))
			return false;
		return make_date(y, m, d, out);
	}
	if (num(s + 4, 4) < 0 || isdigit((unsigned char)s[8]))
		return false;
	return make_date(y, num(s + 4, 2), num(s + 6, 2), out);
}

/* A standalone 19xx/20xx/21xx within the next 24 bytes of s. */
static int year_after(const char *s)
{
	for (int i = 0; i < 24 && s[i]; i++) {
		if (i > 0 && isdigit((unsigned char)s[i - 1]))
			continue;
		int y = num(s + i, 4);
		if (y >= 1980 && y <= 2199 && !isdigit((unsigned char)s[i + 4]))
			return y;
	}
	return -1;
}

/* "DD Mon YYYY" (at the day) or "Mon DD ... YYYY" (at the month). */
static bool text_date(const char *s, char out[11])
{
	int m = month_at(s);
	const char *q;

	if (m) { /* Mon DD ... YYYY (date(1), FireHOL) */
		q = s + 3;
		while (*q == ' ')
			q++;
		int d =
		    isdigit((unsigned char)q[0])
			? (isdigit((unsigned char)q[1]) ? num(q, 2) : num(q, 1))
			: -1;
		return d > 0 && make_date(year_after(q), m, d, out);
	}
	if (!isdigit((unsigned char)s[0]))
		return false;
	int d = isdigit((unsigned char)s[1]) ? num(s, 2) : num(s, 1);
	q = s + (isdigit((unsigned char)s[1]) ? 2 : 1);
	if (d <= 0 || *q != ' ')
		return false;
	while (*q == ' ')
		q++;
	m = month_at(q);
	if (!m || q[3] != ' ')
		return false;
	return make_date(num(q + 4, 4), m, d, out);
}

bool bph_find_date(const char *s, char out[11])
{
	for (size_t i = 0; s[i]; i++) {
		bool boundary = i == 0 || !isalnum((unsigned char)s[i - 1]);
		if (!boundary)
			continue;
		if (isdigit((unsigned char)s[i]) && numeric_date(s + i, out))
			return true;
		if (text_date(s + i, out))
			return true;
	}
	return false;
}

/*
 * calendar.c - a validator for systemd calendar expressions (rules in
 * sweep/calendar.h, after systemd.time(7)).
 */
#include "sweep/calendar.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fingerprints/err.h"

#define EXPR_MAX 256

static const char *const shorthands[] = {
    "minutely", "hourly",   "daily",	 "weekly",	 "monthly",
    "yearly",	"annually", "quarterly", "semiannually", NULL};

static int weekday(const char *s, size_t n)
{
	static const char *const days[] = {"monday",   "tuesday", "wednesday",
					   "thursday", "friday",  "saturday",
					   "sunday"};
	for (int i = 0; i < 7; i++)
		if ((n == 3 && !strncasecmp(s, days[i], 3)) ||
		    (n == strlen(days[i]) && !strncasecmp(s, days[i], n)))
			return i;
	return -1;
}

/* "Mon,Tue..Thu", "Mon-Fri" */
static bool weekdays_ok(const char *s)
{
	while (*s) {
		size_t n =
		    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
			      "qrstuvwxyz");
		if (weekday(s, n) < 0)
			return false;
		s += n;
		if (!strncmp(s, "..", 2))
			s += 2;
		else if (*s == '-' || *s == ',')
			s++;
		else if (*s)
			return false;
		if (!*s && (s[-1] == '-' || s[-1] == '.'))
			return false; /* systemd takes a trailing comma */
	}
	return true;
}

/* A decimal number (with a fraction when frac) in [lo, hi]. */
static const char *number(const char *s, long lo, long hi, bool frac)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return NULL;
	v = strtol(s, &end, 10);
	if (v < lo || v > hi)
		return NULL;
	if (frac && *end == '.') {
		if (!isdigit((unsigned char)end[1]))
			return NULL;
		for (end++; isdigit((unsigned char)*end); end++)
			;
	}
	return end;
}

/* One component: items "*" | N | N..M, each with an optional "/R",
 * separated by commas; it must end exactly at the end of [s, e). */
static bool component(const char *s, const char *e, long lo, long hi, bool frac)
{
	while (s < e) {
		const char *p = *s == '*' ? s + 1 : number(s, lo, hi, frac);
		if (!p)
			return false;
		if (*s != '*' && !strncmp(p, "..", 2) &&
		    !(p = number(p + 2, lo, hi, frac)))
			return false;
		if (*p == '/' && !(p = number(p + 1, 1, hi > 1 ? hi : 1, frac)))
			return false;
		if (p < e && *p == ',' && p + 1 < e)
			p++;
		else if (p != e)
			return false;
		s = p;
	}
	return true;
}

/* Splits tok at seps into at most 3 parts [b[i], e[i]); the count, or 4
 * when there are more. */
static int split(const char *tok, const char *seps, const char **b,
		 const char **e)
{
	const char *start = tok;
	int n = 0;

	for (const char *p = tok;; p++) {
		if (*p && !strchr(seps, *p))
			continue;
		if (n == 3)
			return 4;
		b[n] = start;
		e[n++] = p;
		if (!*p)
			return n;
		start = p + 1;
	}
}

static bool date_ok(const char *tok)
{
	const char *b[3], *e[3];
	int n = split(tok, "-~", b, e);

	if (n == 2)
		return component(b[0], e[0], 1, 12, false) &&
		       component(b[1], e[1], 1, 31, false);
	return n == 3 && component(b[0], e[0], 1970, 2199, false) &&
	       component(b[1], e[1], 1, 12, false) &&
	       component(b[2], e[2], 1, 31, false);
}

static bool time_ok(const char *tok)
{
	const char *b[3], *e[3];
	int n = split(tok, ":", b, e);

	if (n != 2 && n != 3)
		return false;
	return component(b[0], e[0], 0, 23, false) &&
	       component(b[1], e[1], 0, 59, false) &&
	       (n == 2 || component(b[2], e[2], 0, 59, true));
}

static bool zone_ok(const char *tok)
{
	char path[EXPR_MAX + 32];

	if (!strcmp(tok, "UTC"))
		return true;
	if (!isalpha((unsigned char)tok[0]) || strstr(tok, "..") ||
	    strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789/_+-") != strlen(tok))
		return false;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tok);
	return access(path, R_OK) == 0;
}

static int check_tokens(char **t, size_t n, const char **why)
{
	size_t i = 0;

	if (i < n && isalpha((unsigned char)t[i][0]) && !strchr(t[i], '/') &&
	    weekdays_ok(t[i]))
		i++;
	if (i < n && !strchr(t[i], ':') && strchr(t[i], '-') &&
	    !isalpha((unsigned char)t[i][0])) {
		*why = "bad date (YYYY-MM-DD, MM-DD, with *, a..b, a,b, /n)";
		if (!date_ok(t[i++]))
			return BPH_ERR_FORMAT;
	}
	if (i < n && strchr(t[i], ':')) {
		*why = "bad time (HH:MM[:SS], with *, a..b, a,b, /n)";
		if (!time_ok(t[i++]))
			return BPH_ERR_FORMAT;
	}
	*why = "bad time zone, or words after the time";
	if (i < n && zone_ok(t[i]))
		i++;
	if (i != n)
		return BPH_ERR_FORMAT;
	*why = "nothing to schedule";
	return n ? 0 : BPH_ERR_FORMAT;
}

static int check_shorthand(char **t, size_t n, const char **why, bool *done)
{
	*done = false;
	for (size_t i = 0; shorthands[i]; i++)
		if (!strcasecmp(t[0], shorthands[i])) {
			*done = true;
			*why = "bad time zone after the shorthand";
			return n == 1 || (n == 2 && zone_ok(t[1]))
				   ? 0
				   : BPH_ERR_FORMAT;
		}
	if (t[0][0] == '@') {
		*done = true;
		*why = "expected @ followed by Unix seconds";
		return n == 1 && t[0][1] &&
			       strspn(t[0] + 1, "0123456789") ==
				   strlen(t[0] + 1)
			   ? 0
			   : BPH_ERR_FORMAT;
	}
	return 0;
}

int bph_calendar_check(const char *expr, const char **why)
{
	char buf[EXPR_MAX + 1], *t[8], *save = NULL;
	size_t n = 0;
	bool done;

	*why = "empty or longer than 256 characters";
	if (!expr || !expr[0] || strlen(expr) > EXPR_MAX)
		return BPH_ERR_FORMAT;
	snprintf(buf, sizeof(buf), "%s", expr);
	for (char *p = strtok_r(buf, " \t", &save); p;
	     p = strtok_r(NULL, " \t", &save)) {
		*why = "too many words";
		if (n == 8)
			return BPH_ERR_FORMAT;
		t[n++] = p;
	}
	*why = "nothing to schedule";
	if (!n)
		return BPH_ERR_FORMAT;
	int rc = check_shorthand(t, n, why, &done);
	return done ? rc : check_tokens(t, n, why);
}

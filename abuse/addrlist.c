/*
 * addrlist.c - the line reader of address and prefix files (--allowlist).
 * Its rules are in abuse/addrlist.h; docs/guide.md shows an example file.
 */
#include "abuse/addrlist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

static int line_error(char *err, size_t errlen, const char *name, size_t line,
		      size_t col, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s:%zu:%zu: %s", name, line, col, what);
	return BPH_ERR_FORMAT;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One line (without its '\n'): skips comments and blanks, adds the
 * entry. */
static int parse_line(const char *p, size_t n, const char *name, size_t line,
		      struct bph_rangeset *s, size_t *n_items, char *err,
		      size_t errlen)
{
	char tok[BPH_ADDRLIST_MAX_LINE + 1];
	struct bph_cidr c;
	const char *why = NULL;
	size_t a = 0, b, col = 0;
	while (a < n && is_space(p[a]))
		a++;
	b = a;
	while (b < n && !is_space(p[b]) && p[b] != '#' && p[b] != ';')
		b++;
	for (size_t i = b; i < n && p[i] != '#' && p[i] != ';'; i++)
		if (!is_space(p[i]))
			return line_error(err, errlen, name, line, i + 1,
					  "one address or prefix a line "
					  "expected");
	if (a == b)
		return 0;
	memcpy(tok, p + a, b - a);
	tok[b - a] = '\0';
	if (bph_cidr_parse(tok, &c, &why, &col)) {
		char msg[BPH_ADDRLIST_MAX_LINE + 96];
		snprintf(msg, sizeof(msg), "'%.64s' %s", tok, why);
		return line_error(err, errlen, name, line, a + col + 1, msg);
	}
	if (*n_items >= BPH_ADDRLIST_MAX_ITEMS) {
		line_error(err, errlen, name, line, a + 1, "too many entries");
		return BPH_ERR_TOOBIG;
	}
	(*n_items)++;
	return bph_rangeset_add(s, &c);
}

int bph_addrlist_parse(const char *buf, size_t len, const char *name,
		       struct bph_rangeset *s, size_t *n_items, char *err,
		       size_t errlen)
{
	size_t line = 1, count = 0;
	int rc = 0;
	for (size_t at = 0; at < len && !rc; line++) {
		const char *nl = memchr(buf + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (buf + at)) : len - at;
		const char *nul = memchr(buf + at, '\0', n);
		if (nul)
			rc = line_error(err, errlen, name, line,
					(size_t)(nul - (buf + at)) + 1,
					"NUL byte (not a text file)");
		else if (n > BPH_ADDRLIST_MAX_LINE)
			rc = line_error(err, errlen, name, line,
					BPH_ADDRLIST_MAX_LINE + 1,
					"line too long");
		else
			rc = parse_line(buf + at, n, name, line, s, &count, err,
					errlen);
		at += n + 1;
	}
	if (n_items)
		*n_items = count;
	return rc;
}

int bph_abuse_read_file(const char *path, size_t max, char **buf, size_t *len,
			char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0;
	int rc = 0;
	*buf = NULL;
	*len = 0;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return BPH_ERR_IO;
	}
	for (;;) {
		if (*len == cap) {
			char *p = cap >= max
				      ? NULL
				      : realloc(*buf, cap ? cap * 2 : 65536);
			if (!p) {
				snprintf(err, errlen, "%s: %s", path,
					 cap >= max ? "file too large"
						    : "out of memory");
				rc =
				    cap >= max ? BPH_ERR_TOOBIG : BPH_ERR_NOMEM;
				break;
			}
			*buf = p;
			cap = cap ? cap * 2 : 65536;
		}
		size_t got = fread(*buf + *len, 1, cap - *len, f);
		*len += got;
		if (got == 0)
			break;
	}
	if (!rc && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = BPH_ERR_IO;
	}
	fclose(f);
	if (rc) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

int bph_addrlist_load(const char *path, struct bph_rangeset *s, size_t *n_items,
		      char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc =
	    bph_abuse_read_file(path, (size_t)1 << 30, &buf, &len, err, errlen);
	if (!rc)
		rc =
		    bph_addrlist_parse(buf, len, path, s, n_items, err, errlen);
	free(buf);
	return rc;
}

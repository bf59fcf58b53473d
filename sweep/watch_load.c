/*
 * watch_load.c - reading watch files: bphound's YAML watch format
 * (through sweep/yconf.h) and Zeek intel TSV (a bounded line parser).
 * Formats and mappings are in sweep/watch.h; every error names
 * file:line:column and leaves the list as it was.
 */
#include "sweep/watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"
#include "sweep/coverage.h"
#include "sweep/yconf.h"

/* Zeek lines longer than this are refused (feeds hold short lines). */
#define ZEEK_LINE_MAX 4096
/* Watch files larger than this are refused. */
#define WATCH_FILE_MAX (256u << 20)

static int fail(char *err, size_t errlen, const char *path, size_t line,
		size_t col, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s:%zu:%zu: %s", path, line, col, msg);
	return BPH_ERR_FORMAT;
}

static int entry_key(struct bph_watch_entry *e)
{
	const char *kind = bph_watch_kind_name(e->kind);
	unsigned char md[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(c, e->source, strlen(e->source)) &&
		 EVP_DigestUpdate(c, "\x1f", 1) &&
		 EVP_DigestUpdate(c, kind, strlen(kind)) &&
		 EVP_DigestUpdate(c, "\x1f", 1) &&
		 EVP_DigestUpdate(c, e->value, strlen(e->value)) &&
		 EVP_DigestFinal_ex(c, md, NULL);

	EVP_MD_CTX_free(c);
	if (!ok)
		return BPH_ERR_CRYPTO;
	bph_hex(md, 16, e->key);
	return 0;
}

/* Appends a zeroed entry; NULL on allocation failure. */
static struct bph_watch_entry *new_entry(struct bph_watchlist *w)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct bph_watch_entry *v = realloc(w->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		w->v = v;
		w->cap = cap;
	}
	memset(&w->v[w->n], 0, sizeof(w->v[0]));
	return &w->v[w->n++];
}

/* Drops the entries from n on (an error rolls the file back). */
static void truncate_to(struct bph_watchlist *w, size_t n)
{
	for (size_t i = n; i < w->n; i++) {
		free(w->v[i].value);
		free(w->v[i].source);
		free(w->v[i].desc);
		free(w->v[i].file);
	}
	w->n = n;
}

/* Fills the address range, the file name and the key of e. */
static int complete(struct bph_watch_entry *e, const char *path, size_t line)
{
	const char *why;

	if (e->kind == BPH_WK_IP || e->kind == BPH_WK_CIDR)
		bph_spec_parse(e->value, &e->lo, &e->hi, &why);
	e->line = line;
	e->file = strdup(path);
	return e->file ? entry_key(e) : BPH_ERR_NOMEM;
}

/* "YYYY-MM-DD" (expires at the end of that day, UTC) or
 * "YYYY-MM-DDTHH:MM:SSZ". */
static int parse_expires(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end && !*end && strlen(s) == 10) {
		*out = timegm(&tm) + 86400;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end || strlen(s) != 20)
		return BPH_ERR_FORMAT;
	*out = timegm(&tm);
	return 0;
}

/* ---- YAML ---- */

static const char *const kind_names[BPH_WK_COUNT + 1] = {
    "ssh_hostkey", "ssh_hostkey_md5",
    "cert_sha256", "cert_sha1",
    "spki_sha256", "jarm",
    "ja3s",	   "hassh",
    "tcp_sig",	   "favicon_mmh3",
    "body_sha256", "title",
    "server",	   "ip",
    "cidr",	   NULL};

static const char *const sev_names[] = {"info", "low",	    "medium",
					"high", "critical", NULL};

static int yaml_value(struct bph_yconf *y, const yaml_node_t *n,
		      struct bph_watch_entry *e)
{
	const char *v, *why;
	int rc = bph_yconf_str(y, n, "value", &v);

	if (!rc && (rc = bph_watch_value(e->kind, v, &e->value, &why)) ==
		       BPH_ERR_FORMAT)
		rc = bph_yconf_fail(y, n, "value: %s for kind %s", why,
				    bph_watch_kind_name(e->kind));
	return rc;
}

static int yaml_entry(struct bph_yconf *y, const yaml_node_t *n,
		      struct bph_watch_entry *e)
{
	static const char *const keys[] = {"kind",    "value", "severity",
					   "expires", "desc",  NULL};
	yaml_node_t *k = bph_yconf_get(y, n, "kind"), *v;
	int kind, sev, rc = bph_yconf_mapping(y, n, "entry", keys);

	if (!rc && (!k || !bph_yconf_get(y, n, "value")))
		rc = bph_yconf_fail(y, n, "entry: needs a kind and a value");
	if (!rc && !(rc = bph_yconf_enum(y, k, "kind", kind_names, &kind)))
		e->kind = (enum bph_watch_kind)kind;
	if (!rc)
		rc = yaml_value(y, bph_yconf_get(y, n, "value"), e);
	e->severity = bph_watch_default_severity(e->kind);
	if (!rc && (v = bph_yconf_get(y, n, "severity")) &&
	    !(rc = bph_yconf_enum(y, v, "severity", sev_names, &sev)))
		e->severity = (enum bph_severity)sev;
	if (!rc && (v = bph_yconf_get(y, n, "desc")))
		rc = bph_yconf_strdup(y, v, "desc", &e->desc);
	const char *ex;
	if (!rc && (v = bph_yconf_get(y, n, "expires")) &&
	    !(rc = bph_yconf_str(y, v, "expires", &ex)) &&
	    parse_expires(ex, &e->expires))
		rc = bph_yconf_fail(y, v,
				    "expires: '%.40s' is not YYYY-MM-DD or "
				    "YYYY-MM-DDTHH:MM:SSZ",
				    ex);
	return rc;
}

static int yaml_entries(struct bph_yconf *y, struct bph_watchlist *w,
			const yaml_node_t *list, const char *source)
{
	size_t n;
	int rc = bph_yconf_seq(y, list, "entries", &n);

	for (size_t i = 0; !rc && i < n; i++) {
		yaml_node_t *it = bph_yconf_item(y, list, i);
		struct bph_watch_entry *e = new_entry(w);
		if (!e)
			return BPH_ERR_NOMEM;
		rc = yaml_entry(y, it, e);
		if (!rc && !(e->source = strdup(source)))
			rc = BPH_ERR_NOMEM;
		if (!rc)
			rc = complete(e, y->path, it->start_mark.line + 1);
	}
	return rc;
}

static int load_yaml(struct bph_watchlist *w, const char *path, const char *buf,
		     size_t len, char *err, size_t errlen)
{
	static const char *const keys[] = {"version", "source", "description",
					   "entries", NULL};
	struct bph_yconf y;
	const char *source;
	long long version;
	int rc = bph_yconf_load_mem(&y, path, (const unsigned char *)buf, len,
				    err, errlen);
	yaml_node_t *root = rc ? NULL : bph_yconf_root(&y), *v;

	if (!rc)
		rc = bph_yconf_mapping(&y, root, "watch file", keys);
	if (!rc && (!bph_yconf_get(&y, root, "source") ||
		    !bph_yconf_get(&y, root, "entries")))
		rc = bph_yconf_fail(&y, root,
				    "watch file: needs source and entries");
	if (!rc && (v = bph_yconf_get(&y, root, "version")))
		rc = bph_yconf_int(&y, v, "version", 1, 1, &version);
	if (!rc)
		rc = bph_yconf_str(&y, bph_yconf_get(&y, root, "source"),
				   "source", &source);
	const char *desc;
	if (!rc && (v = bph_yconf_get(&y, root, "description")))
		rc = bph_yconf_str(&y, v, "description", &desc);
	if (!rc)
		rc = yaml_entries(&y, w, bph_yconf_get(&y, root, "entries"),
				  source);
	bph_yconf_free(&y);
	return rc;
}

/* ---- Zeek intel ---- */

enum zcol { ZC_INDICATOR, ZC_TYPE, ZC_SOURCE, ZC_DESC, ZC_OTHER };

struct zeek {
	const char *path;
	char *err;
	size_t errlen;
	enum zcol cols[64];
	size_t n_cols;
	size_t line;
};

static const struct {
	const char *type;
	enum bph_watch_kind kind;
} zeek_types[] = {
    {"Intel::ADDR", BPH_WK_IP},
    {"Intel::SUBNET", BPH_WK_CIDR},
    {"Intel::CERT_HASH", BPH_WK_CERT_SHA1},
    {"Intel::PUBKEY_HASH", BPH_WK_SSH_HOSTKEY_MD5},
};

static int zfail(struct zeek *z, const char *line, const char *at,
		 const char *msg)
{
	return fail(z->err, z->errlen, z->path, z->line,
		    (size_t)(at - line) + 1, msg);
}

/* Splits line at TABs into f (at most max fields); the count. */
static size_t split(char *line, char **f, size_t max)
{
	size_t n = 0;

	for (char *p = line; n < max; p++) {
		f[n++] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p = '\0';
	}
	return n;
}

static int zeek_header(struct zeek *z, char *line)
{
	char *f[65], *copy = line; /* split cuts line; columns stay */
	size_t n = split(line, f, 65);
	bool have[3] = {false, false, false};

	if (n > 64)
		return zfail(z, copy, f[64], "too many columns");
	z->n_cols = n - 1;
	for (size_t i = 1; i < n; i++) {
		enum zcol c = !strcmp(f[i], "indicator")	? ZC_INDICATOR
			      : !strcmp(f[i], "indicator_type") ? ZC_TYPE
			      : !strcmp(f[i], "meta.source")	? ZC_SOURCE
			      : !strcmp(f[i], "meta.desc")	? ZC_DESC
								: ZC_OTHER;
		if (c == ZC_OTHER && strncmp(f[i], "meta.", 5))
			return zfail(z, copy, f[i],
				     "unknown column (expected indicator, "
				     "indicator_type, meta.*)");
		if (c < ZC_DESC && have[c])
			return zfail(z, copy, f[i], "duplicate column");
		if (c < ZC_DESC)
			have[c] = true;
		z->cols[i - 1] = c;
	}
	if (!have[0] || !have[1] || !have[2])
		return zfail(z, copy, copy,
			     "#fields needs indicator, indicator_type and "
			     "meta.source");
	return 0;
}

static int zeek_kind(struct zeek *z, const char *line, const char *type,
		     enum bph_watch_kind *k)
{
	for (size_t i = 0; i < sizeof(zeek_types) / sizeof(zeek_types[0]); i++)
		if (!strcmp(type, zeek_types[i].type)) {
			*k = zeek_types[i].kind;
			return 0;
		}
	return zfail(z, line, type,
		     "unsupported indicator_type (expected Intel::ADDR, "
		     "Intel::SUBNET, Intel::CERT_HASH or Intel::PUBKEY_HASH)");
}

/* Zeek's unset ("-") and empty ("(empty)") markers. */
static const char *zeek_str(const char *s)
{
	return !strcmp(s, "-") ? NULL : !strcmp(s, "(empty)") ? "" : s;
}

static int zeek_fields(struct zeek *z, const char *line, char **f,
		       struct bph_watch_entry *e)
{
	const char *why, *ind = NULL, *type = NULL, *src = NULL, *desc = NULL;
	int rc;

	for (size_t i = 0; i < z->n_cols; i++) {
		const char **dst = z->cols[i] == ZC_INDICATOR ? &ind
				   : z->cols[i] == ZC_TYPE    ? &type
				   : z->cols[i] == ZC_SOURCE  ? &src
				   : z->cols[i] == ZC_DESC    ? &desc
							      : NULL;
		if (dst)
			*dst = f[i];
	}
	if ((rc = zeek_kind(z, line, type, &e->kind)))
		return rc;
	if (e->kind == BPH_WK_IP && strchr(ind, ':'))
		return zfail(z, line, ind,
			     "IPv6 indicators are not supported (bphound "
			     "scans IPv4)");
	rc = bph_watch_value(e->kind, ind, &e->value, &why);
	if (rc == BPH_ERR_FORMAT)
		return zfail(z, line, ind, why);
	if (!rc && !(src = zeek_str(src)))
		return zfail(z, line, line, "meta.source is unset");
	if (!rc && (!src[0] || !(e->source = strdup(src))))
		rc = src[0] ? BPH_ERR_NOMEM
			    : zfail(z, line, line, "meta.source is empty");
	desc = desc ? zeek_str(desc) : NULL;
	if (!rc && desc && desc[0] && !(e->desc = strdup(desc)))
		rc = BPH_ERR_NOMEM;
	e->severity = bph_watch_default_severity(e->kind);
	return rc ? rc : complete(e, z->path, z->line);
}

static int zeek_data(struct zeek *z, struct bph_watchlist *w, char *line)
{
	char *f[65], msg[96];
	size_t n;

	if (!z->n_cols)
		return zfail(z, line, line, "data before the #fields header");
	n = split(line, f, 65); /* f[i] - line is the column in the file */
	if (n != z->n_cols) {
		snprintf(msg, sizeof(msg),
			 "%zu tab-separated fields, #fields names %zu", n,
			 z->n_cols);
		return zfail(z, line, line, msg);
	}
	struct bph_watch_entry *e = new_entry(w);
	return e ? zeek_fields(z, line, f, e) : BPH_ERR_NOMEM;
}

static int zeek_line(struct zeek *z, struct bph_watchlist *w, char *line)
{
	if (!strncmp(line, "#fields\t", 8))
		return z->n_cols ? zfail(z, line, line, "second #fields line")
				 : zeek_header(z, line);
	if (!strncmp(line, "#separator", 10) &&
	    strcmp(line + 10, " \\x09") != 0)
		return zfail(z, line, line,
			     "only the TAB separator (\\x09) is "
			     "supported");
	if (line[0] == '#' || !line[0])
		return 0;
	return zeek_data(z, w, line);
}

static int load_zeek(struct bph_watchlist *w, const char *path, const char *buf,
		     size_t len, char *err, size_t errlen)
{
	struct zeek z = {.path = path, .err = err, .errlen = errlen};
	char line[ZEEK_LINE_MAX + 1];
	int rc = 0;

	for (size_t off = 0; !rc && off < len;) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t raw = nl ? (size_t)(nl - (buf + off)) : len - off;
		size_t l = raw && buf[off + raw - 1] == '\r' ? raw - 1 : raw;
		z.line++;
		if (l > ZEEK_LINE_MAX)
			return fail(err, errlen, path, z.line, ZEEK_LINE_MAX,
				    "line too long");
		const char *nul = memchr(buf + off, '\0', l);
		if (nul)
			return fail(err, errlen, path, z.line,
				    (size_t)(nul - (buf + off)) + 1,
				    "NUL byte");
		memcpy(line, buf + off, l);
		line[l] = '\0';
		rc = zeek_line(&z, w, line);
		off += raw + 1;
	}
	if (!rc && !z.n_cols)
		rc = fail(err, errlen, path, 1, 1, "no #fields header");
	return rc;
}

/* A Zeek file when a leading comment line is "#fields<TAB>...". */
static bool is_zeek(const char *buf, size_t len)
{
	for (size_t off = 0; off < len && buf[off] == '#';) {
		if (len - off >= 8 && !memcmp(buf + off, "#fields\t", 8))
			return true;
		const char *nl = memchr(buf + off, '\n', len - off);
		if (!nl)
			break;
		off = (size_t)(nl - buf) + 1;
	}
	return false;
}

int bph_watch_load_mem(struct bph_watchlist *w, const char *path,
		       const char *buf, size_t len, char *err, size_t errlen)
{
	size_t before = w->n;
	int rc = is_zeek(buf, len) ? load_zeek(w, path, buf, len, err, errlen)
				   : load_yaml(w, path, buf, len, err, errlen);

	if (rc)
		truncate_to(w, before);
	return rc;
}

int bph_watch_load_file(struct bph_watchlist *w, const char *path, char *err,
			size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return BPH_ERR_IO;
	}
	while (!rc) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			char *nb = cap <= WATCH_FILE_MAX + 1 ? realloc(buf, cap)
							     : NULL;
			if (!nb) {
				rc = cap > WATCH_FILE_MAX + 1
					 ? fail(err, errlen, path, 1, 1,
						"file too large")
					 : BPH_ERR_NOMEM;
				break;
			}
			buf = nb;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (!got)
			break;
	}
	if (!rc && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = BPH_ERR_IO;
	}
	fclose(f);
	if (!rc)
		rc = bph_watch_load_mem(w, path, buf, len, err, errlen);
	free(buf);
	return rc;
}

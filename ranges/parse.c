/*
 * parse.c - the parse driver: the line loop with its bounds, detection
 * when no kind is given, and the snapshot date and licence of a file.
 * Contracts in ranges/parse.h; the kinds are in parse_kinds.c, the
 * handlers in parse_routing.c, parse_rpsl.c and parse_lists.c.
 */
#include "ranges/parse.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fingerprints/err.h"
#include "ranges/ranges_int.h"

/* Every line through the kind's handler; too-long lines are malformed. */
static int run_lines(struct bph_lines *r, struct pctx *p,
		     const struct kind_ops *k, char *err, size_t errlen)
{
	char *s;
	size_t n;
	bool too_long;
	int rc;

	while ((rc = bph_lines_next(r, &s, &n, &too_long)) == 1) {
		p->lineno = bph_lines_lineno(r);
		p->res->lines++;
		rc = too_long ? bph_reject(p, "line longer than 65536 bytes")
			      : k->line(p, s, n);
		if (rc)
			break;
	}
	if (rc < 0 && bph_lines_error(r)[0]) {
		snprintf(err, errlen, "%s: %s", p->label, bph_lines_error(r));
		return rc;
	}
	if (rc == 0 && k->finish)
		rc = k->finish(p);
	if (rc == BPH_ERR_FORMAT)
		snprintf(err, errlen, "%s:%llu: malformed line (--strict)",
			 p->label, (unsigned long long)p->lineno);
	return rc;
}

static void finish_licence(struct pctx *p, const struct kind_ops *k)
{
	char file_notes[sizeof(p->res->licence)];

	if (!k->licence[0])
		return;
	char *l = p->res->licence;
	size_t cap = sizeof(p->res->licence), used;

	memcpy(file_notes, l, cap);
	used = (size_t)snprintf(l, cap, "%s", k->licence);
	if (file_notes[0] && used + 8 < cap)
		snprintf(l + used, cap - used, "; file: %.*s",
			 (int)(cap - used - 8), file_notes);
	p->res->licence_flags |= k->licence_flags;
}

static int parse_lines(struct bph_lines *r, const struct bph_parse_opts *o,
		       const struct bph_rsink *sink,
		       struct bph_parse_result *res, const char *label,
		       char *err, size_t errlen)
{
	struct pctx p = {.label = label, .o = o, .sink = sink, .res = res};
	const struct kind_ops *k = bph_kind_ops(res->kind);
	int rc;

	if (res->kind == BPH_KIND_RPSL && !(p.obj = calloc(1, sizeof(*p.obj))))
		return BPH_ERR_NOMEM;
	res->comp = bph_lines_compression(r);
	if (o->limit)
		bph_lines_set_limit(r, o->limit);
	rc = run_lines(r, &p, k, err, errlen);
	finish_licence(&p, k);
	free(p.obj);
	return rc;
}

static void date_from_name(struct bph_parse_result *res, const char *path)
{
	char *copy = strdup(path), date[11];

	if (copy && bph_find_date(basename(copy), date) &&
	    res->date_source == BPH_DATE_NONE) {
		memcpy(res->date, date, sizeof(date));
		res->date_source = BPH_DATE_NAME;
	}
	free(copy);
}

static void date_from_mtime(struct bph_parse_result *res, const char *path)
{
	struct stat st;
	struct tm tm;

	if (res->date_source != BPH_DATE_NONE || stat(path, &st) ||
	    !gmtime_r(&st.st_mtime, &tm))
		return;
	strftime(res->date, sizeof(res->date), "%Y-%m-%d", &tm);
	res->date_source = BPH_DATE_MTIME;
}

int bph_detect_file(const char *path, enum bph_kind *kind, char *err,
		    size_t errlen)
{
	struct bph_lines *r = NULL;
	int rc = bph_lines_open(path, &r, err, errlen);

	if (!rc)
		rc = bph_detect_lines(r, kind, err, errlen);
	bph_lines_close(r);
	return rc;
}

int bph_parse_file(const char *path, const struct bph_parse_opts *o,
		   const struct bph_rsink *sink, struct bph_parse_result *res,
		   char *err, size_t errlen)
{
	struct bph_lines *r = NULL;
	const char *label = o->label ? o->label : path;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	res->kind = o->kind;
	if (res->kind == BPH_KIND_NONE)
		rc = bph_detect_file(path, &res->kind, err, errlen);
	if (!rc)
		rc = bph_lines_open(path, &r, err, errlen);
	if (!rc)
		rc = parse_lines(r, o, sink, res, label, err, errlen);
	bph_lines_close(r);
	if (!rc) {
		/* a date in the content beats one in the name */
		date_from_name(res, path);
		date_from_mtime(res, path);
	}
	return rc;
}

int bph_parse_mem(const uint8_t *buf, size_t n, const struct bph_parse_opts *o,
		  const struct bph_rsink *sink, struct bph_parse_result *res,
		  char *err, size_t errlen)
{
	struct bph_lines *r = NULL;
	const char *label = o->label ? o->label : "(memory)";
	int rc;

	memset(res, 0, sizeof(*res));
	res->kind = o->kind;
	if (res->kind == BPH_KIND_NONE) {
		if ((rc = bph_lines_open_mem(buf, n, &r)))
			return rc;
		if (o->limit)
			bph_lines_set_limit(r, o->limit);
		rc = bph_detect_lines(r, &res->kind, err, errlen);
		bph_lines_close(r);
		r = NULL;
		if (rc)
			return rc;
	}
	if ((rc = bph_lines_open_mem(buf, n, &r)))
		return rc;
	rc = parse_lines(r, o, sink, res, label, err, errlen);
	bph_lines_close(r);
	return rc;
}

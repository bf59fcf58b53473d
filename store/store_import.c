/*
 * store_import.c - `bphound import FILE`: sniffs the format (nmap XML,
 * ZGrab2 JSON, bphound JSON Lines), parses it through the importers of
 * this folder and stores every record as one scan of kind "import".
 * Contract in store/store.h.
 */
#include "store/store.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fingerprints/err.h"
#include "fingerprints/record_json.h"
#include "fingerprints/text.h"
#include "store/import_nmap.h"
#include "store/import_zgrab.h"
#include "store/db_int.h"

static void report(FILE *errout, const char *path, size_t line, const char *msg)
{
	if (errout) { /* msg may quote the file: escaped for the terminal */
		bph_print_text(errout, path);
		fprintf(errout, ":%zu: ", line);
		bph_print_text(errout, msg);
		fputc('\n', errout);
	}
}

/* Where importers of other formats put their services. */
struct put_ctx {
	struct bph_store *st;
	int64_t scan_id;
	size_t n;
};

/* bph_import_cb: one service of an nmap or ZGrab2 import into the store. */
static int put_imported(void *vctx, const struct bph_service *s)
{
	struct put_ctx *p = vctx;
	int rc = bph_store_put(p->st, p->scan_id, s);

	p->n += rc == 0;
	return rc;
}

/* One ZGrab2 line; returns 1 for a bad line, 0, or an error. */
static int import_zgrab_line(struct bph_store *st, int64_t scan_id,
			     const json_t *j, char *msg, size_t msglen)
{
	struct put_ctx p = {st, scan_id, 0};
	size_t bad = 0;
	int rc = bph_import_zgrab(j, put_imported, &p, &bad, msg, msglen);

	if (rc == BPH_ERR_FORMAT || (!rc && bad && !p.n))
		return 1;
	return rc;
}

/* Parses and stores one line (bphound JSON Lines, or a ZGrab2 record);
 * returns 1 for a bad line, 0, or an error. */
static int import_line(struct bph_store *st, int64_t scan_id, const char *text,
		       size_t len, char *msg, size_t msglen)
{
	struct bph_service s = {0};
	json_error_t jerr;
	json_t *j = json_loadb(text, len, 0, &jerr);
	int rc;

	if (!j) {
		snprintf(msg, msglen, "column %d: %s", jerr.column, jerr.text);
		return 1;
	}
	if (bph_import_is_zgrab(j)) {
		rc = import_zgrab_line(st, scan_id, j, msg, msglen);
		json_decref(j);
		return rc;
	}
	rc = bph_service_from_json(j, &s, msg, msglen);
	json_decref(j);
	if (rc == BPH_ERR_FORMAT)
		rc = 1;
	else if (!rc)
		rc = bph_store_put(st, scan_id, &s);
	bph_service_clear(&s);
	return rc;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

static int import_stream(struct bph_store *st, int64_t scan_id, FILE *f,
			 const char *path, FILE *errout, size_t *ok,
			 size_t *bad)
{
	char *line = NULL, msg[256];
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;

	while (!rc && (n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (blank(line, (size_t)n))
			continue;
		msg[0] = '\0';
		rc =
		    import_line(st, scan_id, line, (size_t)n, msg, sizeof(msg));
		if (rc == 1) {
			report(errout, path, lineno, msg);
			(*bad)++;
			rc = 0;
		} else if (!rc) {
			(*ok)++;
		}
		/* commit in batches: each commit rewrites the index pages it
		 * touched into the WAL (1000-line batches took twice as long)
		 */
		if (!rc && lineno % 10000 == 0 && !(rc = bph_db_commit(st->db)))
			rc = bph_db_begin(st->db, BPH_DB_TXN_WRITE);
	}
	if (!rc && ferror(f))
		rc = BPH_ERR_IO;
	free(line);
	return rc;
}

#define MAX_XML ((size_t)1 << 30)

/* The whole of f (at most MAX_XML bytes) in a heap buffer, or NULL. */
static char *slurp(FILE *f, size_t *len)
{
	size_t cap = 1 << 20, n = 0, got;
	char *buf = malloc(cap), *p;

	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n < cap)
			continue;
		if (cap >= MAX_XML || !(p = realloc(buf, cap * 2))) {
			free(buf);
			return NULL;
		}
		buf = p;
		cap *= 2;
	}
	if (buf && ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* An nmap XML file as one import: every open port one record. */
static int import_nmap_file(struct bph_store *st, int64_t scan_id, FILE *f,
			    const char *path, FILE *errout, size_t *ok,
			    size_t *bad)
{
	struct put_ctx p = {st, scan_id, 0};
	char msg[256] = "";
	size_t len = 0;
	char *buf = slurp(f, &len);
	int rc = buf ? bph_import_nmap(buf, len, put_imported, &p, bad, msg,
				       sizeof(msg))
		     : BPH_ERR_IO;

	free(buf);
	*ok = p.n;
	if (rc == BPH_ERR_FORMAT) {
		(*bad)++;
		rc = 0;
	}
	if (msg[0])
		report(errout, path, 0, msg);
	return rc;
}

/* Whether f starts like nmap XML (f is rewound). */
static bool looks_like_nmap(FILE *f)
{
	char head[4096];
	size_t n = fread(head, 1, sizeof(head), f);

	rewind(f);
	return bph_import_is_nmap(head, n);
}

int bph_store_import_jsonl(struct bph_store *st, const char *path, FILE *errout,
			   size_t *ok, size_t *bad)
{
	FILE *f = fopen(path, "r");
	int64_t scan_id = 0;
	int rc;

	*ok = *bad = 0;
	if (!f) {
		report(errout, path, 0, strerror(errno));
		return BPH_ERR_IO;
	}
	rc = bph_store_scan_begin(st, "import", path, &scan_id);
	if (!rc)
		rc = bph_db_tune_bulk(st->db);
	if (!rc)
		rc = bph_db_begin(st->db, BPH_DB_TXN_WRITE);
	if (!rc) {
		if (looks_like_nmap(f))
			rc = import_nmap_file(st, scan_id, f, path, errout, ok,
					      bad);
		else
			rc = import_stream(st, scan_id, f, path, errout, ok,
					   bad);
		if (rc)
			bph_db_rollback(st->db);
		else
			rc = bph_db_commit(st->db);
	}
	if (!rc)
		rc = bph_store_scan_end(st, scan_id);
	fclose(f);
	return rc;
}

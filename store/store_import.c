/*
 * store_import.c - `bphound import FILE`: reads the file as a stream (a
 * pipe works: no seek), tells the format from its first bytes (nmap XML,
 * or JSON Lines of bphound or ZGrab2 records, import_lines.c), writes the
 * records in batches of one transaction each as one scan of kind "import"
 * (observations the store holds already add nothing), reports bad lines
 * and progress. Contract in store/store.h.
 */
#include "store/store.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fingerprints/err.h"
#include "fingerprints/text.h"
#include "store/db_int.h"
#include "store/import_nmap.h"

#define SNIFF	   65536 /* bytes read to tell the format */
#define NMAP_BATCH 4096	 /* records per transaction of an nmap import */

/* nmap XML: records collected by the parser's callback, written in
 * batches as they come. */
struct nmap_ctx {
	struct bph_import_run *run;
	struct bph_wbatch *b;
	size_t records;
};

static int nmap_read(void *ctx, char *buf, int len)
{
	struct bph_import_src *s = ctx;
	size_t got = bph_import_src_read(s, buf, (size_t)len);

	return s->err ? -1 : (int)got;
}

static int nmap_service(void *ctx, const struct bph_service *s)
{
	struct nmap_ctx *c = ctx;
	int rc = bph_wbatch_add(c->b, s);

	if (rc)
		return rc;
	if (++c->records < NMAP_BATCH)
		return 0;
	rc = bph_import_commit(c->run, c->b, c->records, 0);
	bph_wbatch_clear(c->b);
	c->records = 0;
	return rc;
}

static int import_nmap(struct bph_import_run *run)
{
	struct nmap_ctx c = {run, bph_wbatch_new(), 0};
	char msg[256] = "";
	size_t bad = 0;
	int rc = c.b ? bph_import_nmap_stream(nmap_read, run->src, nmap_service,
					      &c, &bad, msg, sizeof(msg))
		     : BPH_ERR_NOMEM;

	if (rc == BPH_ERR_FORMAT || msg[0])
		bph_import_report(run, 0, msg);
	if (rc == BPH_ERR_FORMAT) /* what came before the fault is kept */
		snprintf(run->err, sizeof(run->err), "%s", msg);
	if (!rc || rc == BPH_ERR_FORMAT) {
		int wrc = bph_import_commit(run, c.b, c.records, bad);
		rc = rc ? rc : wrc;
	}
	bph_wbatch_free(c.b);
	return rc;
}

/* Reads the first bytes; the format is told by the first one that is not
 * white space after an optional UTF-8 byte order mark (skipped). */
static int sniff(struct bph_import_src *s, char *first)
{
	size_t i = 0;

	if (!(s->pre = malloc(SNIFF)))
		return BPH_ERR_NOMEM;
	while (s->pre_len < SNIFF) {
		size_t got =
		    fread(s->pre + s->pre_len, 1, SNIFF - s->pre_len, s->f);
		if (!got)
			break;
		s->pre_len += got;
	}
	if (ferror(s->f)) {
		s->err = true;
		s->errnum = errno;
		return BPH_ERR_IO;
	}
	if (s->pre_len >= 3 && !memcmp(s->pre, "\xef\xbb\xbf", 3))
		s->pre_off = i = 3;
	while (i < s->pre_len && strchr(" \t\r\n", s->pre[i]))
		i++;
	*first = i < s->pre_len ? s->pre[i] : '\0';
	return 0;
}

static int import_stream(struct bph_import_run *run,
			 const struct bph_import_opts *o)
{
	char first = 0;
	int rc = sniff(run->src, &first);

	if (rc)
		return rc;
	if (first == '<')
		return import_nmap(run);
	if (first == '{')
		return bph_import_lines(run, run->src, o ? o->threads : 0);
	if (first == '\0')
		return 0; /* empty: nothing to import */
	snprintf(run->err, sizeof(run->err),
		 "not a format bphound imports (bphound JSON Lines, "
		 "ZGrab2 JSON or nmap XML)");
	return BPH_ERR_FORMAT;
}

/* The scan row of the import: dropped again when the import added
 * nothing (the same file twice). */
static int finish_scan(struct bph_import_run *run, int rc)
{
	struct bph_db_stmt *q = NULL;
	int drc;

	if (run->stats->added)
		return rc ? rc : bph_store_scan_end(run->st, run->scan_id);
	drc = bph_db_prepare(run->db,
			     "DELETE FROM scans WHERE id = ? AND NOT EXISTS"
			     " (SELECT 1 FROM services WHERE scan_id = ?)",
			     &q);
	if (!drc) {
		bph_db_bind_int64(q, 1, run->scan_id);
		bph_db_bind_int64(q, 2, run->scan_id);
		drc = bph_db_step(q);
	}
	bph_db_finalize(q);
	return rc ? rc : drc < 0 ? drc : 0;
}

/* The bulk path's end: what the import committed is merged into the
 * derived tables. Failing (a full disk), the store keeps it pending for
 * the next writer (store.c) and the import's status says so. */
static int publish(struct bph_import_run *run, int rc)
{
	int prc;

	if (!run->st->bulk)
		return rc;
	run->st->bulk = false;
	if (run->progress && run->errout) { /* the last step can take a while */
		fprintf(run->errout,
			"\r\033[Kimport: %zu records; merging their hosts and "
			"artifacts into the store's graph",
			run->stats->records);
		run->progress_shown = true;
		fflush(run->errout);
	}
	if ((prc = bph_store_publish_by(run->st, run->merge_chunk)) && !rc)
		snprintf(run->err, sizeof(run->err),
			 "merging the import into the store's graph: %s",
			 bph_db_errmsg(run->db));
	return rc ? rc : prc;
}

static FILE *open_input(const char *path, uint64_t *size)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	struct stat sb;

	*size = 0;
	if (f && !fstat(fileno(f), &sb) && S_ISREG(sb.st_mode))
		*size = (uint64_t)sb.st_size;
	return f;
}

int bph_store_import_file(struct bph_store *st, const char *path,
			  const struct bph_import_opts *o,
			  struct bph_import_stats *stats, char *err,
			  size_t errlen)
{
	struct bph_import_src src = {0};
	struct bph_import_run run = {0};
	int rc;

	memset(stats, 0, sizeof(*stats));
	if (!(src.f = open_input(path, &run.size))) {
		snprintf(err, errlen, "%s", strerror(errno));
		return errno == ENOENT || errno == EACCES ? BPH_ERR_USAGE
							  : BPH_ERR_IO;
	}
	run.st = st;
	run.db = st->db;
	run.path = path;
	run.errout = o ? o->errout : NULL;
	run.progress = o && o->progress;
	run.merge_chunk =
	    o && o->merge_chunk ? o->merge_chunk : BPH_PUBLISH_CHUNK;
	run.stats = stats;
	run.src = &src;
	run.t0 = bph_import_now();
	rc = bph_store_scan_begin(st, "import", path, &run.scan_id);
	/* every SQLite import takes the bulk path (store_bulk.c): readers
	 * see the graph as it was until the import ends */
	st->bulk = bph_db_backend(st->db) == BPH_DB_SQLITE;
	if (!rc && (rc = bph_db_tune_bulk(st->db)) == 0)
		rc = import_stream(&run, o);
	if (!rc || rc == BPH_ERR_FORMAT) { /* keep what came before a fault */
		int frc = bph_import_flush(&run);
		rc = rc ? rc : frc;
	} else {
		bph_db_rollback(st->db);
		bph_store_write_abort(st);
	}
	rc = publish(&run, rc);
	if (src.err && (!rc || rc == BPH_ERR_FORMAT)) {
		snprintf(run.err, sizeof(run.err), "reading: %s",
			 strerror(src.errnum));
		rc = BPH_ERR_IO;
	}
	if (!rc && !stats->records && stats->bad) {
		snprintf(run.err, sizeof(run.err),
			 "no record in it could be read");
		rc = BPH_ERR_FORMAT;
	}
	rc = run.scan_id ? finish_scan(&run, rc) : rc;
	bph_import_progress(&run, true);
	snprintf(err, errlen, "%s", run.err);
	if (src.f != stdin)
		fclose(src.f);
	free(src.pre);
	return rc;
}

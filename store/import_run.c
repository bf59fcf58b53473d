/*
 * import_run.c - what the parts of an import share: the input stream
 * (sniffed bytes first), bad-line reports, the progress line and the
 * commit of one batch with its counts. The import is store_import.c; the
 * contract store/store.h.
 */
#include "store/db_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fingerprints/err.h"
#include "fingerprints/text.h"
#include "store/store.h"

#define PROGRESS_SEC	   0.5
#define IMPORT_TXN_RECORDS 1000000 /* bounds a transaction's memory */
#define IMPORT_TXN_SEC	   20.0	   /* and its time: other writers wait */

size_t bph_import_src_read(struct bph_import_src *s, char *buf, size_t n)
{
	size_t got = 0;

	if (s->pre_off < s->pre_len) {
		got = s->pre_len - s->pre_off < n ? s->pre_len - s->pre_off : n;
		memcpy(buf, s->pre + s->pre_off, got);
		s->pre_off += got;
	} else if (!s->err) {
		got = fread(buf, 1, n, s->f);
		if (!got && ferror(s->f)) {
			s->err = true;
			s->errnum = errno;
		}
	}
	s->bytes += got;
	return got;
}

double bph_import_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void bph_import_report(struct bph_import_run *run, size_t line, const char *msg)
{
	FILE *out = run->errout;

	if (!out)
		return;
	if (run->progress_shown) { /* the progress line goes first */
		fputs("\r\033[K", out);
		run->progress_shown = false;
	}
	/* msg may quote the file: escaped for the terminal */
	bph_print_text(out, run->path);
	if (line)
		fprintf(out, ":%zu", line);
	fputs(": ", out);
	bph_print_text(out, msg);
	fputc('\n', out);
}

void bph_import_progress(struct bph_import_run *run, bool final)
{
	double t = bph_import_now();
	const struct bph_import_stats *s = run->stats;

	if (!run->progress || !run->errout ||
	    (!final && t - run->last_progress < PROGRESS_SEC))
		return;
	run->last_progress = t;
	fprintf(run->errout, "\r\033[Kimport: %zu records (%zu new), %.0f MB",
		s->records, s->added, (double)s->bytes / 1e6);
	if (run->size)
		fprintf(run->errout, " of %.0f MB", (double)run->size / 1e6);
	fprintf(run->errout, ", %.0f records/s%s",
		t > run->t0 ? (double)s->records / (t - run->t0) : 0.0,
		final ? "\n" : "");
	run->progress_shown = !final;
	fflush(run->errout);
}

/* Ends the open transaction: its records count once committed. */
int bph_import_flush(struct bph_import_run *run)
{
	struct bph_db *db = run->db;
	int rc = bph_db_in_txn(db) ? bph_db_commit(db) : 0;

	if (rc) {
		bph_db_rollback(db);
		bph_store_write_abort(run->st);
		snprintf(run->err, sizeof(run->err), "%s", bph_db_errmsg(db));
		run->txn_records = run->txn_added = 0;
		return rc; /* nothing of this transaction was kept */
	}
	bph_store_write_committed(run->st);
	run->stats->records += run->txn_records;
	run->stats->added += run->txn_added;
	run->stats->bytes = run->src->bytes;
	run->txn_records = run->txn_added = 0;
	bph_import_progress(run, false);
	return 0;
}

int bph_import_commit(struct bph_import_run *run, struct bph_wbatch *b,
		      size_t records, size_t bad)
{
	struct bph_db *db = run->db;
	size_t added = 0;
	int rc = 0;

	run->stats->bad += bad;
	if (bph_wbatch_len(b) && !bph_db_in_txn(db)) {
		rc = bph_db_begin(db, BPH_DB_TXN_WRITE);
		run->txn_t0 = bph_import_now();
	}
	if (!rc && bph_wbatch_len(b))
		rc = bph_store_write_batch(run->st, run->scan_id, b, &added);
	if (rc) {
		bph_db_rollback(db);
		bph_store_write_abort(run->st);
		snprintf(run->err, sizeof(run->err), "%s", bph_db_errmsg(db));
		run->txn_records = run->txn_added = 0;
		return rc;
	}
	run->txn_records += records;
	run->txn_added += added;
	/* several batches per transaction: records come in address order
	 * nowhere, so each commit writes nearly every leaf page of the
	 * address-keyed indexes (services_obs, services_scan) whatever its
	 * size, and fewer commits write less. The time bound leaves another
	 * writer 40 s of its 60 s wait (db_sqlite.c); the record bound only
	 * caps what a transaction keeps in memory (its pending artifacts).
	 * At 50,000 records a 10M import wrote 212 GB in its batches
	 * (docs/performance.md, "The session of 2026-12-07 11:39 UTC") */
	if (run->txn_records >= IMPORT_TXN_RECORDS || !bph_db_in_txn(db) ||
	    bph_import_now() - run->txn_t0 >= IMPORT_TXN_SEC)
		return bph_import_flush(run);
	return 0;
}

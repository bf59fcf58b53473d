/*
 * db_err.c - the SQL layer's error bookkeeping, shared by db.c and the
 * backends (db_sqlite.c, db_pg.c): a status and a message per connection,
 * and the BPH_ERR_* code of each status. Contract in store/db_int.h.
 */
#include "store/db_int.h"

#include <stdarg.h>
#include <stdio.h>

#include "fingerprints/err.h"

static int status_code(enum bph_db_status s)
{
	switch (s) {
	case BPH_DB_OK:
		return 0;
	case BPH_DB_EBUSY:
		return BPH_ERR_BUSY;
	case BPH_DB_EFULL:
		return BPH_ERR_NOSPACE;
	case BPH_DB_EREADONLY:
		return BPH_ERR_PERM;
	case BPH_DB_ECONN:
		return BPH_ERR_REFUSED;
	case BPH_DB_ENOTADB:
		return BPH_ERR_FORMAT;
	case BPH_DB_ENOMEM:
		return BPH_ERR_NOMEM;
	case BPH_DB_ECONSTRAINT:
	case BPH_DB_EOTHER:
		break;
	}
	return BPH_ERR_DB;
}

int bph_db_fail(struct bph_db *db, enum bph_db_status status, const char *fmt,
		...)
{
	va_list ap;

	db->status = status;
	va_start(ap, fmt);
	vsnprintf(db->msg, sizeof(db->msg), fmt, ap);
	va_end(ap);
	return status_code(status);
}

void bph_db_ok(struct bph_db *db)
{
	db->status = BPH_DB_OK;
	db->msg[0] = '\0';
}

/*
 * ranges_fixture.c - loads tests/data/ranges/ fixtures into a routing
 * database the way `bphound data load` does: detect the kind, read the
 * file once for its date and licence, then again into the database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "ranges/parse.h"
#include "ranges/rdb.h"
#include "testlib/ranges_fixture.h"

static void load_one(struct bph_rdb *db, const struct bph_test_rfile *f,
		     int64_t id, const char *date)
{
	const char *src = getenv("BPH_SRCDIR");
	char path[1024], err[256];
	struct bph_parse_opts o = {0};
	struct bph_parse_result res;
	struct bph_rsink sink;

	snprintf(path, sizeof(path), "%s/tests/data/ranges/%s", src ? src : ".",
		 f->file);
	assert_int_equal(bph_detect_file(path, &o.kind, err, sizeof(err)), 0);
	assert_int_equal(bph_parse_file(path, &o, NULL, &res, err, sizeof(err)),
			 0);
	struct bph_rsource s = {res.kind, f->name,     date ? date : res.date,
				f->file,  res.licence, res.licence_flags,
				id};
	assert_int_equal(bph_rdb_begin(db, &s, &sink), 0);
	assert_int_equal(
	    bph_parse_file(path, &o, &sink, &res, err, sizeof(err)), 0);
}

struct bph_rdb *bph_test_rdb_load(const struct bph_test_rfile *files, size_t n,
				  const char *date)
{
	struct bph_rdb *db;

	assert_int_equal(bph_rdb_new(&db), 0);
	for (size_t i = 0; i < n; i++)
		load_one(db, &files[i], (int64_t)i + 1, date);
	assert_int_equal(bph_rdb_finish(db), 0);
	return db;
}

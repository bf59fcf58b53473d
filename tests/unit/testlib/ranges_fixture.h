/*
 * ranges_fixture.h - the routing and list fixtures of tests/data/ranges/
 * loaded into a routing database (ranges/rdb.h), for the unit tests of
 * ranges/ and of the CLI's annotation. Asserts (cmocka) on any error.
 */
#ifndef BPH_TESTS_RANGES_FIXTURE_H
#define BPH_TESTS_RANGES_FIXTURE_H

#include <stddef.h>

struct bph_rdb;

/* One fixture: its file in tests/data/ranges/ and its snapshot's name. */
struct bph_test_rfile {
	const char *file;
	const char *name;
};

/*
 * A new routing database holding files[0..n), read from
 * $BPH_SRCDIR/tests/data/ranges/ (else ./tests/data/ranges/), each one's
 * kind, date and licence as its content gives them, or every date set to
 * date when that is not NULL (fixtures with no date of their own).
 * Snapshot i gets id i + 1. The caller frees it with bph_rdb_free().
 */
struct bph_rdb *bph_test_rdb_load(const struct bph_test_rfile *files, size_t n,
				  const char *date);

#endif

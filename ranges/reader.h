/*
 * reader.h - lines of a data file, plain, gzip or bzip2.
 *
 * The compression is told by the first bytes (gzip 1f 8b, bzip2 "BZh"),
 * never by the file name; concatenated members/streams are read through.
 * Lines end at LF; a CR before it is dropped. A line longer than
 * BPH_LINE_MAX is returned cut, with *too_long set, and the rest of it is
 * skipped, so memory stays bounded whatever the file holds. Decompressed
 * output is capped by the reader's limit (0: no cap) against bombs in
 * fuzzing.
 */
#ifndef BPH_RANGES_READER_H
#define BPH_RANGES_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BPH_LINE_MAX 65536

enum bph_compression {
	BPH_COMP_NONE = 0,
	BPH_COMP_GZIP,
	BPH_COMP_BZIP2,
};

struct bph_lines;

/*
 * Opens path for reading lines. Returns 0 or BPH_ERR_IO with the reason
 * in err.
 */
int bph_lines_open(const char *path, struct bph_lines **out, char *err,
		   size_t errlen);

/* The same over n bytes at buf (borrowed until bph_lines_close). */
int bph_lines_open_mem(const uint8_t *buf, size_t n, struct bph_lines **out);

/* Stops (BPH_ERR_TOOBIG) after max decompressed bytes; 0 lifts the cap. */
void bph_lines_set_limit(struct bph_lines *r, uint64_t max);

/*
 * The next line into *line (NUL-terminated, without CR/LF; valid until
 * the next call) and its length into *len; *lineno counts from 1.
 * Returns 1 with a line, 0 at the end, or BPH_ERR_FORMAT (corrupt
 * compressed data), BPH_ERR_IO, BPH_ERR_TOOBIG, with the reason in
 * bph_lines_error().
 */
int bph_lines_next(struct bph_lines *r, char **line, size_t *len,
		   bool *too_long);

/* Number of the line returned last (1-based). */
uint64_t bph_lines_lineno(const struct bph_lines *r);

/* The compression found in the first bytes. */
enum bph_compression bph_lines_compression(const struct bph_lines *r);

/* A description of the last error, "" when none. */
const char *bph_lines_error(const struct bph_lines *r);

/* Closes; NULL is a no-op. */
void bph_lines_close(struct bph_lines *r);

#endif

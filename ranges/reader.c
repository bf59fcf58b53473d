/*
 * reader.c - bounded line reader over plain, gzip (zlib) and bzip2
 * (libbz2) input from a file or memory; contract in ranges/reader.h.
 * One code path for both sources keeps the fuzzers on the real thing.
 */
#include "ranges/reader.h"

#include <bzlib.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "fingerprints/err.h"

#define IN_SIZE	 65536
#define OUT_SIZE 262144

struct bph_lines {
	int fd;		    /* -1 for memory */
	const uint8_t *mem; /* memory source */
	size_t mem_len, mem_pos;
	enum bph_compression comp;
	z_stream z;
	bz_stream bz;
	bool stream_live; /* z or bz initialised */
	bool src_eof, out_eof;
	uint8_t in[IN_SIZE];
	size_t in_len, in_pos;
	uint8_t *out;
	size_t out_len, out_pos;
	uint64_t produced, limit;
	char line[BPH_LINE_MAX + 1];
	uint64_t lineno;
	char error[160];
};

static int fail(struct bph_lines *r, int rc, const char *msg)
{
	snprintf(r->error, sizeof(r->error), "%s", msg);
	return rc;
}

/* Refills r->in from the source when it is empty. */
static int src_fill(struct bph_lines *r)
{
	if (r->in_pos < r->in_len || r->src_eof)
		return 0;
	r->in_pos = r->in_len = 0;
	if (r->fd < 0) {
		size_t n = r->mem_len - r->mem_pos;
		if (n > IN_SIZE)
			n = IN_SIZE;
		memcpy(r->in, r->mem + r->mem_pos, n);
		r->mem_pos += n;
		r->in_len = n;
	} else {
		ssize_t n;
		do
			n = read(r->fd, r->in, IN_SIZE);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return fail(r, BPH_ERR_IO, strerror(errno));
		r->in_len = (size_t)n;
	}
	if (r->in_len == 0)
		r->src_eof = true;
	return 0;
}

static bool more_input(struct bph_lines *r)
{
	return r->in_pos < r->in_len || (src_fill(r) == 0 && !r->src_eof);
}

static int stream_start(struct bph_lines *r)
{
	if (r->comp == BPH_COMP_GZIP) {
		memset(&r->z, 0, sizeof(r->z));
		if (inflateInit2(&r->z, 15 + 16) != Z_OK)
			return fail(r, BPH_ERR_NOMEM, "zlib init failed");
	} else if (r->comp == BPH_COMP_BZIP2) {
		memset(&r->bz, 0, sizeof(r->bz));
		if (BZ2_bzDecompressInit(&r->bz, 0, 0) != BZ_OK)
			return fail(r, BPH_ERR_NOMEM, "bzip2 init failed");
	}
	r->stream_live = r->comp != BPH_COMP_NONE;
	return 0;
}

static void stream_end(struct bph_lines *r)
{
	if (!r->stream_live)
		return;
	if (r->comp == BPH_COMP_GZIP)
		inflateEnd(&r->z);
	else
		BZ2_bzDecompressEnd(&r->bz);
	r->stream_live = false;
}

/* One inflate/bzDecompress step into r->out; *end when a member ended. */
static int inflate_step(struct bph_lines *r, size_t *got, bool *end)
{
	size_t in_avail = r->in_len - r->in_pos;
	int zr;

	if (r->comp == BPH_COMP_GZIP) {
		r->z.next_in = r->in + r->in_pos;
		r->z.avail_in = (uInt)in_avail;
		r->z.next_out = r->out;
		r->z.avail_out = OUT_SIZE;
		zr = inflate(&r->z, Z_NO_FLUSH);
		r->in_pos = r->in_len - r->z.avail_in;
		*got = OUT_SIZE - r->z.avail_out;
		*end = zr == Z_STREAM_END;
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			return fail(r, BPH_ERR_FORMAT, "corrupt gzip data");
		return 0;
	}
	r->bz.next_in = (char *)(r->in + r->in_pos);
	r->bz.avail_in = (unsigned)in_avail;
	r->bz.next_out = (char *)r->out;
	r->bz.avail_out = OUT_SIZE;
	zr = BZ2_bzDecompress(&r->bz);
	r->in_pos = r->in_len - r->bz.avail_in;
	*got = OUT_SIZE - r->bz.avail_out;
	*end = zr == BZ_STREAM_END;
	if (zr != BZ_OK && zr != BZ_STREAM_END)
		return fail(r, BPH_ERR_FORMAT, "corrupt bzip2 data");
	return 0;
}

/* Decompresses until some output or the end of the input. */
static int fill_compressed(struct bph_lines *r)
{
	size_t got = 0;
	bool end = false;
	int rc;

	while (got == 0) {
		if (!r->stream_live) {
			if (!more_input(r)) {
				r->out_eof = true;
				return 0;
			}
			if ((rc = stream_start(r)))
				return rc;
		}
		if ((rc = src_fill(r)))
			return rc;
		bool starved = r->in_pos == r->in_len;
		if ((rc = inflate_step(r, &got, &end)))
			return rc;
		if (end)
			stream_end(r); /* a next member may follow */
		else if (got == 0 && starved && r->src_eof)
			return fail(r, BPH_ERR_FORMAT,
				    "compressed data ends early");
	}
	r->out_len = got;
	r->out_pos = 0;
	return 0;
}

static int fill(struct bph_lines *r)
{
	int rc;

	if (r->comp != BPH_COMP_NONE) {
		rc = fill_compressed(r);
	} else {
		rc = src_fill(r);
		size_t n = r->in_len - r->in_pos;
		memcpy(r->out, r->in + r->in_pos, n);
		r->in_pos = r->in_len;
		r->out_len = n;
		r->out_pos = 0;
		r->out_eof = n == 0;
	}
	if (rc)
		return rc;
	r->produced += r->out_len;
	if (r->limit && r->produced > r->limit)
		return fail(r, BPH_ERR_TOOBIG, "decompressed data too large");
	return 0;
}

static int detect(struct bph_lines *r)
{
	int rc = src_fill(r);
	const uint8_t *p = r->in;

	if (rc)
		return rc;
	if (r->in_len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		r->comp = BPH_COMP_GZIP;
	else if (r->in_len >= 3 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h')
		r->comp = BPH_COMP_BZIP2;
	return 0;
}

static int lines_new(struct bph_lines **out)
{
	struct bph_lines *r = calloc(1, sizeof(*r));

	if (!r || !(r->out = malloc(OUT_SIZE))) {
		free(r);
		return BPH_ERR_NOMEM;
	}
	r->fd = -1;
	*out = r;
	return 0;
}

int bph_lines_open(const char *path, struct bph_lines **out, char *err,
		   size_t errlen)
{
	struct bph_lines *r;
	int rc = lines_new(&r);

	if (rc)
		return rc;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(r->out);
		free(r);
		return BPH_ERR_IO;
	}
	if ((rc = detect(r))) {
		snprintf(err, errlen, "%s: %s", path, r->error);
		bph_lines_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

int bph_lines_open_mem(const uint8_t *buf, size_t n, struct bph_lines **out)
{
	struct bph_lines *r;
	int rc = lines_new(&r);

	if (rc)
		return rc;
	r->mem = buf;
	r->mem_len = n;
	detect(r); /* memory reads cannot fail */
	*out = r;
	return 0;
}

void bph_lines_set_limit(struct bph_lines *r, uint64_t max)
{
	r->limit = max;
}

/* Appends the out bytes up to the next LF to the line; *done at LF. */
static void take(struct bph_lines *r, size_t *len, bool *too_long, bool *done)
{
	const uint8_t *p = r->out + r->out_pos;
	size_t avail = r->out_len - r->out_pos;
	const uint8_t *nl = memchr(p, '\n', avail);
	size_t n = nl ? (size_t)(nl - p) : avail;
	size_t room = BPH_LINE_MAX - *len;

	if (n > room) {
		*too_long = true;
		memcpy(r->line + *len, p, room);
		*len += room;
	} else {
		memcpy(r->line + *len, p, n);
		*len += n;
	}
	r->out_pos += nl ? n + 1 : n;
	*done = nl != NULL;
}

int bph_lines_next(struct bph_lines *r, char **line, size_t *len,
		   bool *too_long)
{
	size_t n = 0;
	bool done = false, any = false;
	int rc;

	*too_long = false;
	while (!done) {
		if (r->out_pos == r->out_len) {
			if (r->out_eof)
				break;
			if ((rc = fill(r)))
				return rc;
			continue;
		}
		any = true;
		take(r, &n, too_long, &done);
	}
	if (!any)
		return 0;
	if (n > 0 && r->line[n - 1] == '\r' && !*too_long)
		n--;
	r->line[n] = '\0';
	r->lineno++;
	*line = r->line;
	*len = n;
	return 1;
}

uint64_t bph_lines_lineno(const struct bph_lines *r)
{
	return r->lineno;
}

enum bph_compression bph_lines_compression(const struct bph_lines *r)
{
	return r->comp;
}

const char *bph_lines_error(const struct bph_lines *r)
{
	return r->error;
}

void bph_lines_close(struct bph_lines *r)
{
	if (!r)
		return;
	stream_end(r);
	if (r->fd >= 0)
		close(r->fd);
	free(r->out);
	free(r);
}

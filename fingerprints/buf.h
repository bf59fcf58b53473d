/*
 * buf.h - bounds-checked cursor over untrusted bytes.
 *
 * Every parser of network bytes reads through these helpers: each returns 0
 * or BPH_ERR_TRUNCATED (bph_cur_string also BPH_ERR_TOOBIG) and never reads
 * past the end. The model is OpenSSH's sshbuf getters and peeks
 * (sshbuf.h); fingerprints/jarm.c is the one documented exception. The cursor
 * borrows the bytes; it owns nothing and needs no free.
 */
#ifndef BPH_FINGERPRINTS_BUF_H
#define BPH_FINGERPRINTS_BUF_H

#include <stddef.h>
#include <stdint.h>

struct bph_cur {
	const uint8_t *p;
	size_t len; /* bytes remaining from p */
};

static inline struct bph_cur bph_cur_make(const void *p, size_t len)
{
	struct bph_cur c = {(const uint8_t *)p, len};
	return c;
}

int bph_cur_u8(struct bph_cur *c, uint8_t *v);
int bph_cur_u16(struct bph_cur *c, uint16_t *v); /* big-endian */
int bph_cur_u24(struct bph_cur *c, uint32_t *v); /* big-endian */
int bph_cur_u32(struct bph_cur *c, uint32_t *v); /* big-endian */
/* Borrows n bytes: *out points into the cursor's buffer. */
int bph_cur_bytes(struct bph_cur *c, size_t n, const uint8_t **out);
int bph_cur_skip(struct bph_cur *c, size_t n);
/* Splits off the next n bytes as a sub-cursor (for length-prefixed blocks). */
int bph_cur_sub(struct bph_cur *c, size_t n, struct bph_cur *sub);
/*
 * Reads a string in the SSH wire form (RFC 4251 5): a big-endian uint32
 * length, then that many bytes, borrowed through *s (not NUL-terminated)
 * with their count in *len. A length above max is BPH_ERR_TOOBIG. On any
 * error the cursor has not moved.
 */
int bph_cur_string(struct bph_cur *c, size_t max, const uint8_t **s,
		   size_t *len);
/*
 * Reads without consuming: the byte, or the big-endian 24-bit value, that
 * starts off bytes into the cursor. 0 or BPH_ERR_TRUNCATED (*v untouched).
 * For the few formats that look ahead, such as a TLS handshake header
 * read before the whole message is there, or a TCP option's length byte.
 */
int bph_cur_peek_u8(const struct bph_cur *c, size_t off, uint8_t *v);
int bph_cur_peek_u24(const struct bph_cur *c, size_t off, uint32_t *v);

/* Growable output buffer for building messages and strings. */
struct bph_sbuf {
	uint8_t *p;
	size_t len, cap;
	int err; /* sticky: first failure, then every append is a no-op */
};

void bph_sbuf_init(struct bph_sbuf *b);
void bph_sbuf_free(struct bph_sbuf *b);
void bph_sbuf_put(struct bph_sbuf *b, const void *p, size_t n);
void bph_sbuf_u8(struct bph_sbuf *b, uint8_t v);
void bph_sbuf_u16(struct bph_sbuf *b, uint16_t v);    /* big-endian */
void bph_sbuf_u24(struct bph_sbuf *b, uint32_t v);    /* big-endian */
void bph_sbuf_u32(struct bph_sbuf *b, uint32_t v);    /* big-endian */
void bph_sbuf_str(struct bph_sbuf *b, const char *s); /* without the NUL */
/* Writes a big-endian length of `width` bytes at offset `at` (backpatch). */
void bph_sbuf_patch_len(struct bph_sbuf *b, size_t at, int width, size_t v);

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void bph_hex(const uint8_t *p, size_t n, char *out);

#endif

/*
 * err.h - bphound error codes, shared by every library.
 *
 * Library functions return 0 on success or a negative BPH_ERR_* code.
 * Only main() turns an error into an exit status.
 */
#ifndef BPH_FINGERPRINTS_ERR_H
#define BPH_FINGERPRINTS_ERR_H

enum bph_err {
	BPH_OK = 0,
	BPH_ERR_NOMEM = -1,	/* allocation failed */
	BPH_ERR_TRUNCATED = -2, /* input ended before a field was complete */
	BPH_ERR_FORMAT = -3,	/* input is malformed */
	BPH_ERR_TOOBIG = -4, /* an attacker-controlled length exceeds its cap */
	BPH_ERR_IO = -5,     /* system call or library I/O failed */
	BPH_ERR_TIMEOUT = -6, /* the peer did not answer within its budget */
	BPH_ERR_PROTO = -7, /* the peer spoke, but not the expected protocol */
	BPH_ERR_USAGE = -8, /* bad option, target or configuration */
	BPH_ERR_DB = -9,    /* the store failed */
	BPH_ERR_CRYPTO = -10,  /* OpenSSL failed */
	BPH_ERR_REFUSED = -11, /* connection refused */
	BPH_ERR_PERM = -12,    /* insufficient privileges (raw sockets) */
	BPH_ERR_NOSPACE = -13, /* no space left on the device (disk, quota) */
	BPH_ERR_BUSY = -14,    /* a resource stayed locked by another user */
	BPH_ERR_CLOSED = -15,  /* the peer closed before sending a byte */
	BPH_ERR_RESET = -16,   /* the peer reset an established connection */
	BPH_ERR_AGAIN = -17, /* transient: the attempt is dropped and retried */
};

/* Returns a static, human-readable description of a BPH_ERR_* code. */
const char *bph_strerror(int err);

#endif

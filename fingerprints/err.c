/*
 * err.c - the text of each BPH_ERR_* code (bph_strerror). The codes and
 * the convention are in err.h.
 */
#include "fingerprints/err.h"

const char *bph_strerror(int err)
{
	switch (err) {
	case BPH_OK:
		return "success";
	case BPH_ERR_NOMEM:
		return "out of memory";
	case BPH_ERR_TRUNCATED:
		return "truncated input";
	case BPH_ERR_FORMAT:
		return "malformed input";
	case BPH_ERR_TOOBIG:
		return "length exceeds limit";
	case BPH_ERR_IO:
		return "I/O error";
	case BPH_ERR_TIMEOUT:
		return "timeout";
	case BPH_ERR_PROTO:
		return "unexpected protocol";
	case BPH_ERR_USAGE:
		return "bad usage";
	case BPH_ERR_DB:
		return "store error";
	case BPH_ERR_CRYPTO:
		return "crypto library error";
	case BPH_ERR_REFUSED:
		return "refused";
	case BPH_ERR_PERM:
		return "permission denied";
	case BPH_ERR_NOSPACE:
		return "no space left on device";
	case BPH_ERR_BUSY:
		return "busy: locked by another process";
	case BPH_ERR_CLOSED:
		return "closed before banner";
	case BPH_ERR_RESET:
		return "reset";
	case BPH_ERR_AGAIN:
		return "try again";
	}
	return "unknown error";
}

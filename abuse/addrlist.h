/*
 * addrlist.h - reading a user's file of addresses and prefixes (the deny
 * lists' --allowlist): one IPv4 or IPv6 address or CIDR a line; blank
 * lines, and comments from '#' or ';' to the end of the line, are
 * skipped; CRLF line ends and surrounding spaces are accepted. Anything
 * else is an error naming file:line:column, never skipped silently: an
 * allowlist that loses a line would put a protected range on a deny list.
 */
#ifndef BPH_ABUSE_ADDRLIST_H
#define BPH_ABUSE_ADDRLIST_H

#include <stddef.h>

#include "abuse/cidr.h"

/* Bounds on what a list may hold (the reader's memory stays bounded). */
#define BPH_ADDRLIST_MAX_LINE  4096
#define BPH_ADDRLIST_MAX_ITEMS 10000000

/*
 * Adds every entry of buf (len bytes, not necessarily NUL-terminated;
 * borrowed) to s. name labels messages. Returns 0; BPH_ERR_FORMAT with
 * "name:line:column: what" in err (a bad entry, a NUL byte, a line longer
 * than BPH_ADDRLIST_MAX_LINE); BPH_ERR_TOOBIG past BPH_ADDRLIST_MAX_ITEMS
 * entries; BPH_ERR_NOMEM. On error s holds the entries before the bad one.
 * *n_items (may be NULL) counts the entries added.
 */
int bph_addrlist_parse(const char *buf, size_t len, const char *name,
		       struct bph_rangeset *s, size_t *n_items, char *err,
		       size_t errlen);

/* The same for the file at path; BPH_ERR_IO when it cannot be read
 * ("path: reason" in err). */
int bph_addrlist_load(const char *path, struct bph_rangeset *s, size_t *n_items,
		      char *err, size_t errlen);

/*
 * Reads the file at path into *buf (a new buffer, caller frees; *len
 * bytes, not NUL-terminated). Returns 0, BPH_ERR_IO ("path: reason" in
 * err), BPH_ERR_TOOBIG (more than about max bytes), BPH_ERR_NOMEM.
 */
int bph_abuse_read_file(const char *path, size_t max, char **buf, size_t *len,
			char *err, size_t errlen);

#endif

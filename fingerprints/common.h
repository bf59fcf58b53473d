/*
 * common.h - the list of known-common artifacts (fingerprints/common.yaml):
 * values that many unrelated hosts share (distro default pages, the
 * all-zero JARM, snakeoil certificates) and that must never link hosts.
 *
 * File format (YAML, loaded with libyaml):
 *   common:
 *     - kind: title            # an artifact kind, as in record.h
 *       value: "Welcome to nginx!"
 *       note: Debian 12 nginx default page   # optional, free text
 * Load errors read "file:line:column: message" (1-based line and column).
 */
#ifndef BPH_FINGERPRINTS_COMMON_H
#define BPH_FINGERPRINTS_COMMON_H

#include <stdbool.h>
#include <stddef.h>

struct bph_common_entry {
	char *kind, *value, *note; /* note may be NULL */
};

struct bph_common {
	struct bph_common_entry *v; /* sorted by (kind, value) */
	size_t n;
};

/* The shipped list: BPH_DATADIR "/common.yaml" (static string). */
const char *bph_common_default_path(void);

/*
 * Loads path into a new list (*out; free with bph_common_free()).
 * Returns 0, BPH_ERR_IO (cannot open), BPH_ERR_FORMAT (message in err as
 * "file:line:column: message"), BPH_ERR_NOMEM.
 */
int bph_common_load(const char *path, struct bph_common **out, char *err,
		    size_t errlen);
void bph_common_free(struct bph_common *c); /* NULL-safe */

/*
 * Moves every entry of from into into (kept sorted) and frees from, which
 * must not be used afterwards. Duplicates are harmless. Returns 0 or
 * BPH_ERR_NOMEM (then both are unchanged and still owned by the caller).
 */
int bph_common_merge(struct bph_common *into, struct bph_common *from);

/* The entry for (kind, value), or NULL; c may be NULL. */
const struct bph_common_entry *bph_common_find(const struct bph_common *c,
					       const char *kind,
					       const char *value);

#endif

/*
 * yconf.h - strict reading of small YAML configuration files (a sweep's
 * config, a watch file) as a libyaml document tree.
 *
 * Every check reports "file:line:column: message" (1-based, the position
 * of the offending node) and returns BPH_ERR_FORMAT, so callers stop at
 * the first error with one clear line. Unknown keys, duplicate keys,
 * wrong types and out-of-range values are all errors: a typo in a config
 * must never silently fall back to a default. Files larger than
 * BPH_YCONF_MAX_BYTES are refused before parsing.
 */
#ifndef BPH_SWEEP_YCONF_H
#define BPH_SWEEP_YCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#define BPH_YCONF_MAX_BYTES (16u << 20)

struct bph_yconf {
	yaml_document_t doc;
	bool loaded;
	const char *path; /* borrowed: for messages */
	char *err;	  /* the caller's buffer */
	size_t errlen;
};

/*
 * Parses the one YAML document in path into y (y->path borrows path,
 * y->err borrows err). Returns 0; BPH_ERR_IO when the file cannot be
 * read ("path: reason" in err); BPH_ERR_FORMAT on a syntax error, an
 * empty file, a second document or an oversized file.
 */
int bph_yconf_load(struct bph_yconf *y, const char *path, char *err,
		   size_t errlen);
/* The same for a buffer; path names it in messages. */
int bph_yconf_load_mem(struct bph_yconf *y, const char *path,
		       const unsigned char *buf, size_t len, char *err,
		       size_t errlen);
void bph_yconf_free(struct bph_yconf *y); /* safe on a zeroed y */

/* The document's root node (never NULL after a successful load). */
yaml_node_t *bph_yconf_root(struct bph_yconf *y);

/* Writes "path:line:column: msg" about node n (NULL: line 1) into the
 * error buffer. Returns BPH_ERR_FORMAT. */
int bph_yconf_fail(struct bph_yconf *y, const yaml_node_t *n, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));

/*
 * Checks that n is a mapping whose keys are plain scalars, each listed in
 * allowed (NULL-terminated), none twice. Errors point at the key.
 */
int bph_yconf_mapping(struct bph_yconf *y, const yaml_node_t *n,
		      const char *what, const char *const *allowed);

/* The value of key in mapping m, or NULL when absent. */
yaml_node_t *bph_yconf_get(struct bph_yconf *y, const yaml_node_t *m,
			   const char *key);

/* The key node of key in mapping m (for messages), or m itself. */
const yaml_node_t *bph_yconf_key(struct bph_yconf *y, const yaml_node_t *m,
				 const char *key);

/* The n-th item of sequence s; NULL when out of range. */
yaml_node_t *bph_yconf_item(struct bph_yconf *y, const yaml_node_t *s,
			    size_t i);

/* Checks that s is a sequence; its length into *n. */
int bph_yconf_seq(struct bph_yconf *y, const yaml_node_t *s, const char *what,
		  size_t *n);

/*
 * Scalar readers: each checks the node's type and syntax. str gives the
 * text (borrowed from the document; never contains NUL); strdup a new
 * copy (caller frees); an empty scalar is an error for every reader.
 */
int bph_yconf_str(struct bph_yconf *y, const yaml_node_t *n, const char *what,
		  const char **out);
int bph_yconf_strdup(struct bph_yconf *y, const yaml_node_t *n,
		     const char *what, char **out);
/* A decimal integer in [min, max]. */
int bph_yconf_int(struct bph_yconf *y, const yaml_node_t *n, const char *what,
		  long long min, long long max, long long *out);
/* true/false (also yes/no, on/off). */
int bph_yconf_bool(struct bph_yconf *y, const yaml_node_t *n, const char *what,
		   bool *out);
/* A duration: an integer followed by ms, s, m, h or d ("90s", "4h");
 * a bare integer is seconds. In milliseconds, at most max_ms. */
int bph_yconf_duration(struct bph_yconf *y, const yaml_node_t *n,
		       const char *what, uint64_t max_ms, uint64_t *out);
/* One of names (NULL-terminated); its index into *out. */
int bph_yconf_enum(struct bph_yconf *y, const yaml_node_t *n, const char *what,
		   const char *const *names, int *out);

/* Parses a duration string as above (no YAML); 0 or BPH_ERR_FORMAT. */
int bph_duration_parse(const char *s, uint64_t max_ms, uint64_t *out);

#endif

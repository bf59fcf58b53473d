/*
 * weights.h - the list weights of `bphound rank --weights FILE`: a YAML
 * mapping from a list's name to its impact, either a number or a mapping
 * with "impact" (and an optional "licence" note, kept for the report):
 *
 *     spamhaus-drop: 10
 *     feodo: {impact: 5}
 *     dshield:
 *       impact: 1
 *       licence: CC BY-NC-SA 2.5
 *
 * Bounded (BPH_WEIGHTS_MAX lists, names of at most 127 bytes); errors
 * name the file, line and column.
 */
#ifndef BPH_RANGES_WEIGHTS_H
#define BPH_RANGES_WEIGHTS_H

#include <stddef.h>

#define BPH_WEIGHTS_MAX 1024

struct bph_weight {
	char name[128];
	double impact;	   /* finite, >= 0 */
	char licence[160]; /* "" */
};

struct bph_weights {
	struct bph_weight *v;
	size_t n;
};

/*
 * Parses the n bytes at buf (label names it in errors) into w (free with
 * bph_weights_free). Returns 0, BPH_ERR_FORMAT with "label:line:col: why"
 * in err, BPH_ERR_TOOBIG, BPH_ERR_NOMEM.
 */
int bph_weights_parse(const char *buf, size_t n, const char *label,
		      struct bph_weights *w, char *err, size_t errlen);

/* The same from a file; BPH_ERR_IO when it cannot be read. */
int bph_weights_load(const char *path, struct bph_weights *w, char *err,
		     size_t errlen);

/* The impact of the list called name, or dflt when w does not name it. */
double bph_weights_get(const struct bph_weights *w, const char *name,
		       double dflt);

void bph_weights_free(struct bph_weights *w); /* NULL-safe */

#endif

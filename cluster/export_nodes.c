/*
 * export_nodes.c - what the exporters show about a node: a host's label
 * artifacts (titles, servers, certificate subjects), artifact count and
 * community, and which artifacts become nodes of their own with
 * --artifact-nodes (export.h; docs/output.md "Graph exports").
 */
#include "cluster/export.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/buf.h"

/* Whether s is of kind: a registry kind's name (equal to the artifact's)
 * is read without a cache miss on the artifact's own string. */
static bool kind_is(const struct bph_art_stat *s, const char *kind)
{
	const char *k = s->info ? s->info->kind : s->kind;

	return k[0] == kind[0] && !strcmp(k, kind);
}

long bph_export_host_next(const struct bph_clustering *c, size_t h, size_t *pos,
			  const char *kind)
{
	size_t i = c->inc_off[h] + *pos, end = c->inc_off[h + 1];

	for (; i < end; i++) {
		uint32_t a = c->inc[i].art;
		/* incidences are sorted by art: skip repeats (other ports) */
		if (i > c->inc_off[h] && c->inc[i - 1].art == a)
			continue;
		if (!kind || kind_is(&c->arts[a], kind)) {
			*pos = i + 1 - c->inc_off[h];
			return (long)a;
		}
	}
	*pos = end - c->inc_off[h];
	return -1;
}

size_t bph_export_host_n_artifacts(const struct bph_clustering *c, size_t h)
{
	size_t pos = 0, n = 0;

	while (bph_export_host_next(c, h, &pos, NULL) >= 0)
		n++;
	return n;
}

/* Cuts the clean UTF-8 string s to at most max bytes plus "...". */
static void cut(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	n = max - 3;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--; /* never split a character */
	memcpy(s + n, "...", 4);
}

char *bph_export_host_values(const struct bph_clustering *c, size_t h,
			     const char *kind, enum bph_text_mode mode)
{
	struct bph_sbuf b;
	size_t pos = 0;
	long a;
	char *clean = NULL;

	bph_sbuf_init(&b);
	for (int n = 0; (a = bph_export_host_next(c, h, &pos, kind)) >= 0;
	     n++) {
		if (n)
			bph_sbuf_str(&b, " | ");
		bph_sbuf_str(&b, c->arts[a].value);
		if (b.len > 4 * BPH_EXPORT_LABEL_MAX)
			break; /* cut below anyway */
	}
	bph_sbuf_u8(&b, 0);
	if (!b.err)
		clean = bph_text_clean((const char *)b.p, mode);
	if (clean)
		cut(clean, BPH_EXPORT_LABEL_MAX);
	bph_sbuf_free(&b);
	return clean;
}

bool bph_export_art_is_node(const struct bph_clustering *c, size_t a)
{
	const char *k = c->arts[a].kind;

	if (c->arts[a].derived) /* a netblock: no host carries it as such */
		return false;
	return c->arts[a].df >= 2 || !strcmp(k, BPH_EXPORT_TITLE) ||
	       !strcmp(k, BPH_EXPORT_SERVER) || !strcmp(k, BPH_EXPORT_SUBJECT);
}

bool bph_export_host_community(const struct bph_clustering *c, size_t h,
			       uint32_t *id)
{
	if (!c->community_of)
		return false;
	*id = c->community_of[h];
	return true;
}

char *bph_export_art_label(const struct bph_clustering *c, size_t a,
			   enum bph_text_mode mode)
{
	char *raw = NULL, *clean;

	if (asprintf(&raw, "%s: %s", c->arts[a].kind, c->arts[a].value) < 0)
		return NULL;
	clean = bph_text_clean(raw, mode);
	free(raw);
	if (clean)
		cut(clean, BPH_EXPORT_LABEL_MAX);
	return clean;
}

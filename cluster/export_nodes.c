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
#include "fingerprints/hugemem.h"

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

/* Adds value to the label b joins (the n-th); whether b is long enough
 * to be cut anyway, so the rest need not be read. */
static bool join(struct bph_sbuf *b, int n, const char *value)
{
	if (n)
		bph_sbuf_str(b, " | ");
	bph_sbuf_str(b, value);
	return b->len > 4 * BPH_EXPORT_LABEL_MAX;
}

/* b's text cleaned for mode and cut to a label (b freed); NULL on ENOMEM. */
static char *joined(struct bph_sbuf *b, enum bph_text_mode mode)
{
	char *clean = NULL;

	bph_sbuf_u8(b, 0);
	if (!b->err)
		clean = bph_text_clean((const char *)b->p, mode);
	if (clean)
		cut(clean, BPH_EXPORT_LABEL_MAX);
	bph_sbuf_free(b);
	return clean;
}

char *bph_export_host_values(const struct bph_clustering *c, size_t h,
			     const char *kind, enum bph_text_mode mode)
{
	struct bph_sbuf b;
	size_t pos = 0;
	long a;

	bph_sbuf_init(&b);
	for (int n = 0; (a = bph_export_host_next(c, h, &pos, kind)) >= 0; n++)
		if (join(&b, n, c->arts[a].value))
			break; /* cut below anyway */
	return joined(&b, mode);
}

/* Whether every byte of s is printable ASCII, TAB, LF or CR: text that
 * bph_text_clean() leaves as it is in every mode. */
static bool plain(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++)
		if (*p >= 0x80 ||
		    (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r'))
			return false;
	return true;
}

const char *bph_export_clean(const char *s, enum bph_text_mode mode,
			     char **owned)
{
	*owned = NULL;
	if (!s)
		return "";
	if (plain(s))
		return s;
	*owned = bph_text_clean(s, mode);
	return *owned;
}

/* The entity or reference libxml2 writes for byte c, or NULL: c as it
 * is (non-ASCII included: the document is UTF-8). */
static const char *xml_escape(unsigned char c, bool attr)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\r':
		return "&#13;";
	case '\n':
		return attr ? "&#10;" : NULL;
	case '\t':
		return attr ? "&#9;" : NULL;
	default:
		return NULL;
	}
}

void bph_export_xml_text(FILE *out, const char *s, bool attr)
{
	const char *run = s;

	for (; *s; s++) {
		const char *esc = xml_escape((unsigned char)*s, attr);
		if (!esc)
			continue;
		fwrite_unlocked(run, 1, (size_t)(s - run), out);
		fputs_unlocked(esc, out);
		run = s + 1;
	}
	fwrite_unlocked(run, 1, (size_t)(s - run), out);
}

const char *const bph_export_label_kinds[3] = {
    BPH_EXPORT_TITLE, BPH_EXPORT_SERVER, BPH_EXPORT_SUBJECT};

/* Which label kind s is (0 title, 1 server, 2 subject), or -1. */
static int label_kind(const struct bph_art_stat *s)
{
	const char *k = s->info ? s->info->kind : s->kind;

	for (int i = 0; i < 3; i++)
		if (k[0] == bph_export_label_kinds[i][0] &&
		    !strcmp(k, bph_export_label_kinds[i]))
			return i;
	return -1;
}

/* The label code of every registry kind (reg[i] for bph_kinds[i], at
 * most max of them); returns how many it filled. */
static size_t registry_codes(uint8_t *reg, size_t max)
{
	size_t n = 0;

	for (; n < max && bph_kinds[n].kind; n++) {
		struct bph_art_stat s = {.info = &bph_kinds[n]};
		reg[n] = (uint8_t)(label_kind(&s) + 1);
	}
	return n;
}

uint8_t *bph_export_label_codes(const struct bph_clustering *c)
{
	uint8_t *v = malloc(c->n_arts + 1), reg[256];
	size_t n_reg = registry_codes(reg, sizeof(reg));

	/* an artifact of a registry kind (most) by its entry's index, without
	 * comparing its name */
	for (size_t a = 0; v && a < c->n_arts; a++) {
		const struct bph_kind_info *k = c->arts[a].info;
		size_t r = k ? (size_t)(k - bph_kinds) : n_reg;
		v[a] =
		    r < n_reg ? reg[r] : (uint8_t)(label_kind(&c->arts[a]) + 1);
	}
	return v;
}

bool bph_export_labels_of(const struct bph_clustering *c, const uint8_t *codes,
			  size_t h, struct bph_export_labels *l)
{
	size_t pos = 0;
	bool fits = true;
	long a;

	memset(l->n, 0, sizeof(l->n));
	l->n_arts = 0;
	/* the next host's artifacts, read at random: asked for now */
	for (size_t i = c->inc_off[h + 1], k = 0;
	     !codes && h + 1 < c->n_hosts && i < c->inc_off[h + 2] &&
	     k < BPH_AHEAD;
	     i++, k++)
		BPH_PREFETCH(&c->arts[c->inc[i].art]);
	while ((a = bph_export_host_next(c, h, &pos, NULL)) >= 0) {
		int i = codes ? codes[a] - 1 : label_kind(&c->arts[a]);
		l->n_arts++;
		if (i < 0)
			continue;
		if (l->n[i] == BPH_EXPORT_LABELS_MAX)
			fits = false;
		else
			l->art[i][l->n[i]++] = (uint32_t)a;
	}
	return fits;
}

char *bph_export_labels_text(const struct bph_clustering *c,
			     const struct bph_export_labels *l, bool fits,
			     size_t h, int i, enum bph_text_mode mode)
{
	struct bph_sbuf b;

	if (!fits)
		return bph_export_host_values(c, h, bph_export_label_kinds[i],
					      mode);
	bph_sbuf_init(&b);
	for (size_t k = 0; k < l->n[i]; k++)
		if (join(&b, (int)k, c->arts[l->art[i][k]].value))
			break; /* cut anyway */
	return joined(&b, mode);
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

/*
 * strpool.c - interned strings and growable arrays for the in-memory
 * database (ranges/ranges_int.h). Names, statuses and mailboxes repeat
 * across millions of rows: each distinct string is stored once, and equal
 * strings have equal offsets, so the lookups compare integers.
 */
#include "ranges/ranges_int.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

int bph_sp_init(struct strpool *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->cap = 4096;
	sp->n_slots = 1024;
	sp->buf = malloc(sp->cap);
	sp->slots = calloc(sp->n_slots, sizeof(*sp->slots));
	if (!sp->buf || !sp->slots) {
		bph_sp_free(sp);
		return BPH_ERR_NOMEM;
	}
	sp->buf[0] = '\0';
	sp->len = 1; /* offset 0 is "" */
	return 0;
}

void bph_sp_free(struct strpool *sp)
{
	free(sp->buf);
	free(sp->slots);
	memset(sp, 0, sizeof(*sp));
}

/* The slot holding s, or the empty slot where it belongs. */
static size_t slot_of(const struct strpool *sp, const char *s, size_t n)
{
	size_t mask = sp->n_slots - 1, i = (size_t)hash(s, n) & mask;

	while (sp->slots[i]) {
		const char *t = sp->buf + sp->slots[i] - 1;
		if (!strncmp(t, s, n) && t[n] == '\0')
			return i;
		i = (i + 1) & mask;
	}
	return i;
}

static int grow_slots(struct strpool *sp)
{
	size_t n = sp->n_slots * 2, mask = n - 1;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < sp->n_slots; i++) {
		uint32_t v = sp->slots[i];
		if (!v)
			continue;
		const char *t = sp->buf + v - 1;
		size_t j = (size_t)hash(t, strlen(t)) & mask;
		while (slots[j])
			j = (j + 1) & mask;
		slots[j] = v;
	}
	free(sp->slots);
	sp->slots = slots;
	sp->n_slots = n;
	return 0;
}

uint32_t bph_sp_add(struct strpool *sp, const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0)
		return 0;
	i = slot_of(sp, s, n);
	if (sp->slots[i])
		return sp->slots[i] - 1;
	if (sp->len + n + 1 > UINT32_MAX - 1)
		return UINT32_MAX;
	if (sp->len + n + 1 > sp->cap) {
		size_t cap = sp->cap;
		while (cap < sp->len + n + 1)
			cap *= 2;
		char *b = realloc(sp->buf, cap);
		if (!b)
			return UINT32_MAX;
		sp->buf = b;
		sp->cap = cap;
	}
	uint32_t off = (uint32_t)sp->len;
	memcpy(sp->buf + off, s, n + 1);
	sp->len += n + 1;
	sp->slots[i] = off + 1;
	if (++sp->used * 2 > sp->n_slots && grow_slots(sp))
		return UINT32_MAX;
	return off;
}

uint32_t bph_sp_find(const struct strpool *sp, const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0)
		return 0;
	i = slot_of(sp, s, n);
	return sp->slots[i] ? sp->slots[i] - 1 : UINT32_MAX;
}

void *bph_vec_push(struct vec *x)
{
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		void *v = realloc(x->v, cap * x->size);
		if (!v)
			return NULL;
		x->v = v;
		x->cap = cap;
	}
	void *e = (char *)x->v + x->n++ * x->size;
	memset(e, 0, x->size);
	return e;
}

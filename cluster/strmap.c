#include "cluster/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

#define BLOCK_MIN ((size_t)1 << 20)

struct bph_strmap_block {
	struct bph_strmap_block *next;
	size_t used, cap;
	char data[];
};

static uint64_t hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

struct bph_strmap *bph_strmap_new(void)
{
	struct bph_strmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->cap = 64;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

void bph_strmap_free(struct bph_strmap *m)
{
	if (!m)
		return;
	while (m->arena) {
		struct bph_strmap_block *b = m->arena;
		m->arena = b->next;
		free(b);
	}
	free(m->slots);
	free(m);
}

/* The slot holding key, or the empty slot where it would go. */
static struct bph_strmap_slot *find(const struct bph_strmap *m, const void *key,
				    size_t len)
{
	size_t i = hash(key, len) & (m->cap - 1);

	for (;;) {
		struct bph_strmap_slot *s = &m->slots[i];
		if (!s->key || (s->len == len && memcmp(s->key, key, len) == 0))
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

int bph_strmap_get(const struct bph_strmap *m, const void *key, size_t len,
		   uint32_t *val)
{
	struct bph_strmap_slot *s = find(m, key, len);

	if (!s->key)
		return 0;
	*val = s->val;
	return 1;
}

static int grow(struct bph_strmap *m)
{
	struct bph_strmap old = *m;

	m->cap *= 2;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots) {
		*m = old;
		return BPH_ERR_NOMEM;
	}
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			*find(m, old.slots[i].key, old.slots[i].len) =
			    old.slots[i];
	free(old.slots);
	return 0;
}

/* A NUL-terminated copy of key in the arena, or NULL. */
static const char *copy_key(struct bph_strmap *m, const void *key, size_t len)
{
	struct bph_strmap_block *b = m->arena;
	char *p;

	if (!b || b->cap - b->used < len + 1) {
		size_t cap = len + 1 > BLOCK_MIN ? len + 1 : BLOCK_MIN;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = m->arena;
		b->used = 0;
		b->cap = cap;
		m->arena = b;
	}
	p = b->data + b->used;
	memcpy(p, key, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

int bph_strmap_put(struct bph_strmap *m, const void *key, size_t len,
		   uint32_t *val, const char **stored)
{
	struct bph_strmap_slot *s;

	if (len >= UINT32_MAX)
		return BPH_ERR_TOOBIG;
	if ((m->n + 1) * 2 > m->cap && grow(m))
		return BPH_ERR_NOMEM;
	s = find(m, key, len);
	if (s->key) {
		*val = s->val;
		if (stored)
			*stored = s->key;
		return 0;
	}
	if (!(s->key = copy_key(m, key, len)))
		return BPH_ERR_NOMEM;
	s->len = (uint32_t)len;
	s->val = *val;
	if (stored)
		*stored = s->key;
	m->n++;
	return 1;
}

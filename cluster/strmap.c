#include "cluster/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

static uint64_t hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
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
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
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

int bph_strmap_put(struct bph_strmap *m, const void *key, size_t len,
		   uint32_t *val)
{
	struct bph_strmap_slot *s;

	if ((m->n + 1) * 2 > m->cap && grow(m))
		return BPH_ERR_NOMEM;
	s = find(m, key, len);
	if (s->key) {
		*val = s->val;
		return 0;
	}
	s->key = malloc(len ? len : 1);
	if (!s->key)
		return BPH_ERR_NOMEM;
	memcpy(s->key, key, len);
	s->len = len;
	s->val = *val;
	m->n++;
	return 1;
}

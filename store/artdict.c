/*
 * artdict.c - a writer's memory of artifact ids: (kind, value) -> arts.id,
 * so that the common artifacts of a heavy-tailed population (a popular
 * JARM, a CDN certificate) are looked up in the store once per import
 * rather than once per record. Bounded: when full it starts over. Only ids
 * of committed rows may stay (store_write.c clears it on a rollback).
 * Contract in store/db_int.h.
 */
#include "store/db_int.h"

#include <stdlib.h>
#include <string.h>

#define STR_CHUNK (1u << 20)

struct dict_ent {
	uint64_t hash;
	int64_t id; /* 0: empty slot */
	const char *kind, *value;
};

struct str_chunk {
	struct str_chunk *next;
	size_t used;
	char data[STR_CHUNK];
};

struct bph_artdict {
	struct dict_ent *tab;
	size_t cap, used, max;
	struct str_chunk *chunks;
};

uint64_t bph_artdict_hash(const char *kind, const char *value)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *p = kind; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL; /* a separator no text holds */
	for (const char *p = value; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h;
}

struct bph_artdict *bph_artdict_new(size_t max_entries)
{
	struct bph_artdict *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->max = max_entries < 1024 ? 1024 : max_entries;
	return d;
}

void bph_artdict_clear(struct bph_artdict *d)
{
	while (d->chunks) {
		struct str_chunk *next = d->chunks->next;
		free(d->chunks);
		d->chunks = next;
	}
	free(d->tab);
	d->tab = NULL;
	d->cap = d->used = 0;
}

void bph_artdict_free(struct bph_artdict *d)
{
	if (!d)
		return;
	bph_artdict_clear(d);
	free(d);
}

static struct dict_ent *slot(const struct bph_artdict *d, uint64_t h,
			     const char *kind, const char *value)
{
	size_t i = (size_t)h & (d->cap - 1);

	while (d->tab[i].id &&
	       !(d->tab[i].hash == h && !strcmp(d->tab[i].kind, kind) &&
		 !strcmp(d->tab[i].value, value)))
		i = (i + 1) & (d->cap - 1);
	return &d->tab[i];
}

int64_t bph_artdict_get(const struct bph_artdict *d, uint64_t h,
			const char *kind, const char *value)
{
	if (!d->cap)
		return 0;
	return slot(d, h, kind, value)->id;
}

static const char *keep(struct bph_artdict *d, const char *s)
{
	size_t n = strlen(s) + 1;
	struct str_chunk *c = d->chunks;
	char *p;

	if (n > STR_CHUNK / 16)
		return NULL; /* long values are not worth keeping */
	if (!c || STR_CHUNK - c->used < n) {
		if (!(c = malloc(sizeof(*c))))
			return NULL;
		c->next = d->chunks;
		c->used = 0;
		d->chunks = c;
	}
	p = c->data + c->used;
	memcpy(p, s, n);
	c->used += n;
	return p;
}

static int rehash(struct bph_artdict *d, size_t cap)
{
	struct dict_ent *old = d->tab;
	size_t oldcap = d->cap;

	if (!(d->tab = calloc(cap, sizeof(*d->tab)))) {
		d->tab = old;
		return -1;
	}
	d->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].id)
			*slot(d, old[i].hash, old[i].kind, old[i].value) =
			    old[i];
	free(old);
	return 0;
}

void bph_artdict_put(struct bph_artdict *d, uint64_t h, const char *kind,
		     const char *value, int64_t id)
{
	struct dict_ent *e;

	if (d->used >= d->max)
		bph_artdict_clear(d); /* start over rather than grow */
	if ((d->used + 1) * 2 > d->cap && rehash(d, d->cap ? d->cap * 2 : 4096))
		return; /* a memory, not a duty: nothing is lost */
	e = slot(d, h, kind, value);
	if (e->id)
		return;
	e->kind = keep(d, kind);
	e->value = e->kind ? keep(d, value) : NULL;
	if (!e->value)
		return;
	e->hash = h;
	e->id = id;
	d->used++;
}

/*
 * engine_cap.c - the probe engine's caps: connections held per address and
 * per /24, and the /24's adaptive limit (lowered when a server drops a
 * connection, raised again as connections are answered). Why, in engine.h;
 * the functions' contracts in engine_int.h.
 */
#include "scanner/engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

static size_t slot_hash(uint32_t key, size_t cap)
{
	return (size_t)((key * 2654435761u) >> 7) & (cap - 1);
}

static struct eng_slot *slot_find(struct eng_caps *t, uint32_t key)
{
	if (t->cap == 0)
		return NULL;
	for (size_t i = slot_hash(key, t->cap);; i = (i + 1) & (t->cap - 1)) {
		if (!t->v[i].used)
			return NULL;
		if (t->v[i].key == key)
			return &t->v[i];
	}
}

static int slot_grow(struct eng_caps *t)
{
	size_t cap = t->cap ? 2 * t->cap : 64;
	struct eng_slot *v = calloc(cap, sizeof(*v));

	if (!v)
		return BPH_ERR_NOMEM;
	for (size_t k = 0; k < t->cap; k++) {
		if (!t->v[k].used)
			continue;
		size_t i = slot_hash(t->v[k].key, cap);
		while (v[i].used)
			i = (i + 1) & (cap - 1);
		v[i] = t->v[k];
	}
	free(t->v);
	t->v = v;
	t->cap = cap;
	return 0;
}

/* The slot of key, created with limit when new; NULL: no memory. */
static struct eng_slot *slot_get(struct eng_caps *t, uint32_t key, int limit)
{
	struct eng_slot *s = slot_find(t, key);
	size_t i;

	if (s)
		return s;
	if (2 * (t->n + 1) > t->cap && slot_grow(t) != 0)
		return NULL;
	for (i = slot_hash(key, t->cap); t->v[i].used;
	     i = (i + 1) & (t->cap - 1))
		;
	s = &t->v[i];
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->key = key;
	s->limit = limit;
	t->n++;
	return s;
}

static uint32_t net_of(uint32_t ip)
{
	return ip & 0xffffff00u;
}

static struct eng_slot *net_slot(struct bph_engine *e, uint32_t ip)
{
	return slot_get(&e->nets, net_of(ip), e->cfg->max_per_net);
}

int bph_eng_room(struct bph_engine *e, uint32_t ip)
{
	struct eng_slot *a = slot_get(&e->addrs, ip, e->cfg->max_per_host);
	struct eng_slot *n = a ? net_slot(e, ip) : NULL;

	if (!n)
		return BPH_ERR_NOMEM;
	return e->inflight < e->cfg->max_connections &&
	       a->open < e->cfg->max_per_host && n->open < n->limit;
}

void bph_eng_count(struct bph_engine *e, uint32_t ip, int delta)
{
	struct eng_slot *a = slot_find(&e->addrs, ip);
	struct eng_slot *n = slot_find(&e->nets, net_of(ip));

	e->inflight += delta;
	if (a)
		a->open += delta;
	if (n)
		n->open += delta;
}

void bph_eng_dropped(struct bph_engine *e, uint32_t ip)
{
	struct eng_slot *n = slot_find(&e->nets, net_of(ip));

	if (!n)
		return;
	n->limit = n->open > 2 ? n->open / 2 : 1; /* as TCP halves its window */
	n->good = 0;
}

void bph_eng_answered(struct bph_engine *e, uint32_t ip)
{
	struct eng_slot *n = slot_find(&e->nets, net_of(ip));

	if (!n || n->limit >= e->cfg->max_per_net)
		return;
	if (++n->good >= n->limit) {
		n->limit++;
		n->good = 0;
	}
}

void bph_eng_mark_waiting(struct bph_engine *e, uint32_t ip)
{
	struct eng_slot *a = slot_find(&e->addrs, ip);
	struct eng_slot *n = slot_find(&e->nets, net_of(ip));

	if (a)
		a->blocked = e->pump_gen;
	if (n)
		n->blocked = e->pump_gen;
}

bool bph_eng_waited(struct bph_engine *e, uint32_t ip)
{
	struct eng_slot *a = slot_find(&e->addrs, ip);
	struct eng_slot *n = slot_find(&e->nets, net_of(ip));

	return (a && a->blocked == e->pump_gen) ||
	       (n && n->blocked == e->pump_gen);
}

void bph_eng_caps_free(struct bph_engine *e)
{
	free(e->addrs.v);
	free(e->nets.v);
	memset(&e->addrs, 0, sizeof(e->addrs));
	memset(&e->nets, 0, sizeof(e->nets));
}

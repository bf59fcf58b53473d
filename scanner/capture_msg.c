/*
 * capture_msg.c - the capture child's messages to the scanner: fixed-size
 * encodings (host byte order: both ends are one binary) and the scanner's
 * bounded, untrusted-input check. Contract in capture_msg.h; the design in
 * docs/architecture.md ("Privileges").
 */
#include "scanner/capture_msg.h"

#include <stdbool.h>
#include <string.h>

#include "fingerprints/err.h"

/* OPEN's layout: the byte offsets of its fields. */
enum {
	O_KIND = 1,
	O_FLAGS = 2,
	O_TTL = 3,
	O_ITTL = 4,
	O_HOPS = 5,
	O_OLEN = 6,
	O_WSCALE = 7,
	O_IP = 8,
	O_PORT = 12,
	O_WINDOW = 14,
	O_MSS = 16,
	O_IPID = 18,
	O_TSVAL = 20,
	O_TSECR = 24,
	O_OPTIONS = 28,
	O_QUIRKS = O_OPTIONS + 96,
	O_SIG = O_QUIRKS + 96,
	O_END = O_SIG + 192,
};

#define F_PRESENT 1u
#define F_DF	  2u
#define F_TS	  4u

_Static_assert(O_END == BPH_CAP_OPEN_SIZE, "OPEN layout");
_Static_assert(sizeof(((struct bph_tcp_traits *)0)->options) == 96 &&
		   sizeof(((struct bph_tcp_traits *)0)->quirks) == 96 &&
		   sizeof(((struct bph_tcp_traits *)0)->sig) == 192,
	       "trait strings");

static void put(uint8_t *b, size_t off, const void *v, size_t n)
{
	memcpy(b + off, v, n);
}

static uint16_t get16(const uint8_t *b, size_t off)
{
	uint16_t v;
	memcpy(&v, b + off, sizeof(v));
	return v;
}

static uint32_t get32(const uint8_t *b, size_t off)
{
	uint32_t v;
	memcpy(&v, b + off, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *b, size_t off)
{
	uint64_t v;
	memcpy(&v, b + off, sizeof(v));
	return v;
}

static void encode_open(const struct bph_cap_msg *m, uint8_t *b)
{
	const struct bph_tcp_traits *t = &m->tcp;

	b[O_KIND] = (uint8_t)m->kind;
	b[O_FLAGS] = (uint8_t)((t->present ? F_PRESENT : 0) |
			       (t->df ? F_DF : 0) | (t->has_ts ? F_TS : 0));
	b[O_TTL] = t->ttl;
	b[O_ITTL] = t->ittl;
	b[O_HOPS] = t->hops;
	b[O_OLEN] = t->olen;
	b[O_WSCALE] = (uint8_t)t->wscale;
	put(b, O_IP, &m->ip, 4);
	put(b, O_PORT, &m->port, 2);
	put(b, O_WINDOW, &t->window, 2);
	put(b, O_MSS, &t->mss, 2);
	put(b, O_IPID, &t->ipid, 2);
	put(b, O_TSVAL, &t->tsval, 4);
	put(b, O_TSECR, &t->tsecr, 4);
	put(b, O_OPTIONS, t->options, sizeof(t->options));
	put(b, O_QUIRKS, t->quirks, sizeof(t->quirks));
	put(b, O_SIG, t->sig, sizeof(t->sig));
}

static size_t size_of(char type)
{
	switch (type) {
	case BPH_CAP_HELLO:
		return BPH_CAP_HELLO_SIZE;
	case BPH_CAP_OPEN:
		return BPH_CAP_OPEN_SIZE;
	case BPH_CAP_SHORT:
		return BPH_CAP_SHORT_SIZE;
	case BPH_CAP_STATS:
		return BPH_CAP_STATS_SIZE;
	default:
		return 0;
	}
}

size_t bph_cap_encode(const struct bph_cap_msg *m, uint8_t *buf, size_t cap)
{
	size_t n = size_of(m->type);

	if (n == 0 || n > cap)
		return 0;
	memset(buf, 0, n);
	buf[0] = (uint8_t)m->type;
	if (m->type == BPH_CAP_OPEN) {
		encode_open(m, buf);
	} else if (m->type == BPH_CAP_SHORT) {
		buf[1] = (uint8_t)m->kind;
		put(buf, 4, &m->ip, 4);
		put(buf, 8, &m->port, 2);
	} else if (m->type == BPH_CAP_HELLO) {
		put(buf, 4, &m->rc, 4);
		for (size_t i = 0; i + 1 < BPH_CAP_ERR_MAX && m->err[i]; i++)
			buf[8 + i] = (uint8_t)m->err[i];
	} else {
		put(buf, 8, &m->frames, 8);
		put(buf, 16, &m->dropped, 8);
	}
	return n;
}

/* ---- the scanner's check -------------------------------------------- */

/* A NUL-terminated string of printable ASCII within b[0..n), copied. */
static bool take_str(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n && b[i]; i++)
		if (b[i] < 0x20 || b[i] > 0x7e)
			return false;
	if (i == n)
		return false;
	memcpy(out, b, i);
	memset(out + i, 0, n - i);
	return true;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static bool in_scope(const struct bph_cap_scope *sc, uint32_t ip, uint16_t port)
{
	uint64_t ti;

	return sc->port_slot[port] != 0 &&
	       bph_targets_index_of(sc->targets, ip, &ti);
}

/* The TTL fields of present traits: a known initial TTL, hops that add up. */
static bool ttl_ok(const uint8_t *b)
{
	uint8_t ittl = b[O_ITTL], ttl = b[O_TTL];

	if (ittl != 32 && ittl != 64 && ittl != 128 && ittl != 255)
		return false;
	return ttl <= ittl && b[O_HOPS] == (uint8_t)(ittl - ttl);
}

static bool decode_traits(const uint8_t *b, struct bph_tcp_traits *t)
{
	uint8_t fl = b[O_FLAGS];

	memset(t, 0, sizeof(*t));
	if (!(fl & F_PRESENT)) /* no traits: nothing else may be set */
		return fl == 0 && all_zero(b + O_FLAGS, O_IP - O_FLAGS) &&
		       all_zero(b + O_WINDOW, O_END - O_WINDOW);
	if ((fl & ~(F_PRESENT | F_DF | F_TS)) || !ttl_ok(b) || b[O_OLEN] > 40 ||
	    (int8_t)b[O_WSCALE] < -1 ||
	    !take_str(b + O_OPTIONS, sizeof(t->options), t->options) ||
	    !take_str(b + O_QUIRKS, sizeof(t->quirks), t->quirks) ||
	    !take_str(b + O_SIG, sizeof(t->sig), t->sig))
		return false;
	t->present = true;
	t->df = fl & F_DF;
	t->has_ts = fl & F_TS;
	t->ttl = b[O_TTL];
	t->ittl = b[O_ITTL];
	t->hops = b[O_HOPS];
	t->olen = b[O_OLEN];
	t->wscale = (int8_t)b[O_WSCALE];
	t->window = get16(b, O_WINDOW);
	t->mss = get16(b, O_MSS);
	t->ipid = get16(b, O_IPID);
	t->tsval = get32(b, O_TSVAL);
	t->tsecr = get32(b, O_TSECR);
	return true;
}

static bool decode_open(const uint8_t *b, const struct bph_cap_scope *sc,
			struct bph_cap_msg *m)
{
	m->kind = (enum bph_reply)b[O_KIND];
	m->ip = get32(b, O_IP);
	m->port = get16(b, O_PORT);
	return b[O_KIND] == BPH_REPLY_SYNACK && decode_traits(b, &m->tcp) &&
	       in_scope(sc, m->ip, m->port);
}

static bool decode_short(const uint8_t *b, const struct bph_cap_scope *sc,
			 struct bph_cap_msg *m)
{
	m->kind = (enum bph_reply)b[1];
	m->ip = get32(b, 4);
	m->port = get16(b, 8);
	return (b[1] == BPH_REPLY_RST || b[1] == BPH_REPLY_UNREACH) &&
	       all_zero(b + 2, 2) && all_zero(b + 10, 2) &&
	       in_scope(sc, m->ip, m->port);
}

static bool decode_hello(const uint8_t *b, struct bph_cap_msg *m)
{
	memcpy(&m->rc, b + 4, 4);
	return all_zero(b + 1, 3) && m->rc <= 0 && m->rc >= -64 &&
	       take_str(b + 8, BPH_CAP_ERR_MAX, m->err);
}

int bph_cap_decode(const uint8_t *buf, size_t len,
		   const struct bph_cap_scope *sc, struct bph_cap_msg *m,
		   size_t *used)
{
	size_t n = len ? size_of((char)buf[0]) : 1;
	bool ok;

	*used = 0;
	memset(m, 0, sizeof(*m));
	if (n == 0)
		return BPH_ERR_FORMAT;
	if (len < n)
		return BPH_ERR_TRUNCATED;
	m->type = (char)buf[0];
	*used = n;
	if (m->type == BPH_CAP_OPEN)
		ok = decode_open(buf, sc, m);
	else if (m->type == BPH_CAP_SHORT)
		ok = decode_short(buf, sc, m);
	else if (m->type == BPH_CAP_HELLO)
		ok = decode_hello(buf, m);
	else {
		m->frames = get64(buf, 8);
		m->dropped = get64(buf, 16);
		ok = all_zero(buf + 1, 7);
	}
	return ok ? 0 : BPH_ERR_REFUSED;
}

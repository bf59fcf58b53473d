/*
 * tcp_sig.c - TCP/IP stack traits and the p0f-style signature of one
 * SYN-ACK, read through the cursor. Contract in tcp_sig.h; the signature
 * format in docs/fingerprints.md.
 */
#include "fingerprints/tcp_sig.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"

/*
 * Semantics follow p0f 3.09b (process.c option parsing and quirks,
 * fp_tcp.c guess_dist, detect_win_multi, dump_sig); the code is our own.
 */

#define MAX_OPTS    24	 /* p0f's MAX_TCP_OPT */
#define MAX_DIST    35	 /* p0f's MAX_DIST */
#define SPECIAL_MSS 1331 /* echoed by p0f-sendsyn probes */
#define MIN_TCP4    40	 /* IPv4 + TCP headers without options */

enum {
	Q_DF = 1 << 0,
	Q_NZ_ID = 1 << 1,
	Q_ZERO_ID = 1 << 2,
	Q_ECN = 1 << 3,
	Q_NZ_MBZ = 1 << 4,
	Q_ZERO_SEQ = 1 << 5,
	Q_NZ_ACK = 1 << 6,
	Q_ZERO_ACK = 1 << 7,
	Q_NZ_URG = 1 << 8,
	Q_URG = 1 << 9,
	Q_PUSH = 1 << 10,
	Q_ZERO_TS1 = 1 << 11,
	Q_NZ_TS2 = 1 << 12,
	Q_OPT_EOL_NZ = 1 << 13,
	Q_OPT_EXWS = 1 << 14,
	Q_OPT_BAD = 1 << 15,
};

static const struct {
	unsigned bit;
	const char *name;
} quirk_names[] = {
    {Q_DF, "df"},	{Q_NZ_ID, "id+"},	{Q_ZERO_ID, "id-"},
    {Q_ECN, "ecn"},	{Q_NZ_MBZ, "0+"},	{Q_ZERO_SEQ, "seq-"},
    {Q_NZ_ACK, "ack+"}, {Q_ZERO_ACK, "ack-"},	{Q_NZ_URG, "uptr+"},
    {Q_URG, "urgf+"},	{Q_PUSH, "pushf+"},	{Q_ZERO_TS1, "ts1-"},
    {Q_NZ_TS2, "ts2+"}, {Q_OPT_EOL_NZ, "opt+"}, {Q_OPT_EXWS, "exws"},
    {Q_OPT_BAD, "bad"},
};

/* Everything p0f's packet_data holds that the signature needs. */
struct tcp_obs {
	uint8_t ttl, olen, flags;
	uint16_t win, mss, tot_hdr, ipid;
	uint8_t wscale;
	bool has_ws;
	uint32_t ts1, ts2, pay_len;
	bool has_ts;
	unsigned quirks;
	uint8_t layout[MAX_OPTS];
	unsigned n_opts, eol_pad;
};

uint8_t bph_ittl_guess(uint8_t ttl)
{
	if (ttl <= 32)
		return 32;
	if (ttl <= 64)
		return 64;
	if (ttl <= 128)
		return 128;
	return 255;
}

/* IPv4 header; leaves c at the TCP header, bounded by the total length. */
static int parse_ip(struct bph_cur *c, struct tcp_obs *o)
{
	uint8_t vihl, tos, proto;
	uint16_t tot, frag;
	size_t hl;

	if (bph_cur_u8(c, &vihl) || bph_cur_u8(c, &tos) ||
	    bph_cur_u16(c, &tot) || bph_cur_u16(c, &o->ipid) ||
	    bph_cur_u16(c, &frag) || bph_cur_u8(c, &o->ttl) ||
	    bph_cur_u8(c, &proto) || bph_cur_skip(c, 10))
		return BPH_ERR_TRUNCATED;
	hl = (size_t)(vihl & 0x0f) * 4;
	if (vihl >> 4 != 4 || hl < 20 || proto != 6 || (frag & 0x3fff))
		return BPH_ERR_FORMAT;
	if (tot > c->len + 20 || tot < hl + 20)
		return BPH_ERR_TRUNCATED;
	c->len = tot - 20; /* honour the IP length, drop link padding */
	if (bph_cur_skip(c, hl - 20))
		return BPH_ERR_TRUNCATED;
	o->olen = (uint8_t)(hl - 20);
	o->tot_hdr = (uint16_t)hl;
	if (tos & 0x03)
		o->quirks |= Q_ECN;
	if (frag & 0x8000)
		o->quirks |= Q_NZ_MBZ;
	if (frag & 0x4000)
		o->quirks |= Q_DF | (o->ipid ? Q_NZ_ID : 0);
	else if (!o->ipid)
		o->quirks |= Q_ZERO_ID;
	return 0;
}

static void tcp_flag_quirks(struct tcp_obs *o, uint8_t off, uint32_t seq,
			    uint32_t ack, uint16_t urg)
{
	if ((o->flags & 0xc0) || (off & 0x01))
		o->quirks |= Q_ECN;
	if (!seq)
		o->quirks |= Q_ZERO_SEQ;
	if (o->flags & 0x10) {
		if (!ack)
			o->quirks |= Q_ZERO_ACK;
	} else if (ack && !(o->flags & 0x04)) {
		o->quirks |= Q_NZ_ACK;
	}
	if (o->flags & 0x20)
		o->quirks |= Q_URG;
	else if (urg)
		o->quirks |= Q_NZ_URG;
	if (o->flags & 0x08)
		o->quirks |= Q_PUSH;
}

/* One option whose kind byte was consumed; false means "abort parsing". */
static bool parse_opt(struct bph_cur *c, uint8_t kind, struct tcp_obs *o)
{
	uint8_t len = 0; /* the length byte, when there is one */
	uint16_t v16;
	uint32_t v32;

	bph_cur_peek_u8(c, 0, &len);
	switch (kind) {
	case 1: /* NOP */
		return true;
	case 2: /* MSS */
		if (c->len < 3)
			return false;
		if (len != 4)
			o->quirks |= Q_OPT_BAD;
		bph_cur_skip(c, 1);
		bph_cur_u16(c, &v16);
		o->mss = v16;
		return true;
	case 3: /* window scale */
		if (c->len < 2)
			return false;
		if (len != 3)
			o->quirks |= Q_OPT_BAD;
		bph_cur_peek_u8(c, 1, &o->wscale);
		o->has_ws = true;
		if (o->wscale > 14)
			o->quirks |= Q_OPT_EXWS;
		return bph_cur_skip(c, 2) == 0;
	case 4: /* SACK permitted */
		if (c->len < 1)
			return false;
		if (len != 2)
			o->quirks |= Q_OPT_BAD;
		return bph_cur_skip(c, 1) == 0;
	case 8: /* timestamps */
		if (c->len < 9)
			return false;
		if (len != 10)
			o->quirks |= Q_OPT_BAD;
		bph_cur_skip(c, 1);
		bph_cur_u32(c, &o->ts1);
		bph_cur_u32(c, &v32);
		o->ts2 = v32;
		o->has_ts = true;
		if (!o->ts1)
			o->quirks |= Q_ZERO_TS1;
		if ((o->flags & 0x17) == 0x02 && v32)
			o->quirks |= Q_NZ_TS2;
		return true;
	case 5: /* SACK */
		if (c->len < 1 || len < 10 || len > 34)
			return false;
		return bph_cur_skip(c, (size_t)len - 1) == 0;
	default:
		if (c->len < 1 || len < 2 || len > 40)
			return false;
		return bph_cur_skip(c, (size_t)len - 1) == 0;
	}
}

/* EOL: counts the padding; p0f flags opt+ if a non-zero byte stops its
 * scan before the last byte (a non-zero last byte goes unnoticed). */
static void parse_eol(struct bph_cur *c, struct tcp_obs *o)
{
	uint8_t b = 0;

	o->eol_pad = (unsigned)c->len;
	while (c->len > 0) {
		bph_cur_u8(c, &b);
		if (b)
			break;
	}
	if (c->len > 0) {
		o->quirks |= Q_OPT_EOL_NZ;
		c->len = 0;
	}
}

static void parse_options(struct bph_cur opts, struct tcp_obs *o)
{
	uint8_t kind;

	while (opts.len > 0 && o->n_opts < MAX_OPTS) {
		bph_cur_u8(&opts, &kind);
		o->layout[o->n_opts++] = kind;
		if (kind == 0) {
			parse_eol(&opts, o);
		} else if (!parse_opt(&opts, kind, o)) {
			o->quirks |= Q_OPT_BAD;
			return;
		}
	}
	if (opts.len > 0)
		o->quirks |= Q_OPT_BAD;
}

static int parse_tcp(struct bph_cur *c, struct tcp_obs *o)
{
	uint32_t seq, ack;
	uint16_t urg;
	uint8_t off;
	size_t doff;
	struct bph_cur opts;

	if (c->len < 20 || bph_cur_peek_u8(c, 12, &off))
		return BPH_ERR_TRUNCATED;
	doff = (size_t)(off >> 4) * 4;
	if (doff < 20)
		return BPH_ERR_FORMAT;
	if (doff > c->len)
		return BPH_ERR_TRUNCATED;
	o->tot_hdr = (uint16_t)(o->tot_hdr + doff);
	o->pay_len = (uint32_t)(c->len - doff);
	if (bph_cur_skip(c, 4) || bph_cur_u32(c, &seq) ||
	    bph_cur_u32(c, &ack) || bph_cur_u8(c, &off) ||
	    bph_cur_u8(c, &o->flags) || bph_cur_u16(c, &o->win) ||
	    bph_cur_skip(c, 2) || bph_cur_u16(c, &urg) ||
	    bph_cur_sub(c, doff - 20, &opts))
		return BPH_ERR_TRUNCATED;
	tcp_flag_quirks(o, off, seq, ack, urg);
	parse_options(opts, o);
	return 0;
}

/* p0f's detect_win_multi; returns the multiplier or -1, *mtu as p0f. */
static int win_multi(const struct tcp_obs *o, uint16_t syn_mss, bool *mtu)
{
	const int win = o->win, mss = o->mss;
	const int divs[] = {mss,
			    o->ts1 ? mss - 12 : 0,
			    1500 - MIN_TCP4,
			    1500 - MIN_TCP4 - 12,
			    mss + MIN_TCP4,
			    mss + o->tot_hdr,
			    1500,
			    syn_mss,
			    syn_mss ? syn_mss - 12 : 0};
	const bool is_mtu[] = {0, 0, 0, 0, 1, 1, 1, 0, 0};

	if (!win || mss < 100)
		return -1;
	for (size_t i = 0; i < sizeof(divs) / sizeof(divs[0]); i++) {
		if (divs[i] && win % divs[i] == 0) {
			*mtu = is_mtu[i];
			return win / divs[i];
		}
	}
	return -1;
}

/* Bounded string builder: sets *ok to false once something did not fit. */
struct sb {
	char *p;
	size_t cap, len;
	bool ok;
};

static void sb_printf(struct sb *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sb *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!s->ok)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= s->cap - s->len) {
		s->ok = false;
		s->p[s->len] = '\0';
		return;
	}
	s->len += (size_t)n;
}

static void put_layout(struct sb *s, const struct tcp_obs *o)
{
	static const char *names[] = {[1] = "nop", [2] = "mss",	 [3] = "ws",
				      [4] = "sok", [5] = "sack", [8] = "ts"};

	for (unsigned i = 0; i < o->n_opts; i++) {
		uint8_t k = o->layout[i];
		const char *sep = i ? "," : "";
		if (k == 0)
			sb_printf(s, "%seol+%u", sep, o->eol_pad);
		else if (k < sizeof(names) / sizeof(names[0]) && names[k])
			sb_printf(s, "%s%s", sep, names[k]);
		else
			sb_printf(s, "%s?%u", sep, k);
	}
}

static void put_quirks(struct sb *s, unsigned quirks)
{
	bool first = true;

	for (size_t i = 0; i < sizeof(quirk_names) / sizeof(quirk_names[0]);
	     i++) {
		if (!(quirks & quirk_names[i].bit))
			continue;
		sb_printf(s, "%s%s", first ? "" : ",", quirk_names[i].name);
		first = false;
	}
}

/* The raw_sig line as p0f 3.09b dump_sig prints it. */
static bool build_sig(const struct tcp_obs *o, uint16_t syn_mss,
		      struct bph_tcp_traits *t)
{
	struct sb s = {t->sig, sizeof(t->sig), 0, true};
	unsigned dist = (unsigned)(bph_ittl_guess(o->ttl) - o->ttl);
	bool mtu = false;
	int m = win_multi(o, syn_mss, &mtu);

	if (dist > MAX_DIST)
		sb_printf(&s, "4:%u+?:%u:", o->ttl, o->olen);
	else
		sb_printf(&s, "4:%u+%u:%u:", o->ttl, dist, o->olen);
	if (o->mss == SPECIAL_MSS && (o->flags & 0x17) == 0x12)
		sb_printf(&s, "*:");
	else
		sb_printf(&s, "%u:", o->mss);
	if (m > 0)
		sb_printf(&s, "%s*%d", mtu ? "mtu" : "mss", m);
	else
		sb_printf(&s, "%u", o->win);
	sb_printf(&s, ",%u:%s:%s:%s", o->wscale, t->options, t->quirks,
		  o->pay_len ? "+" : "0");
	return s.ok;
}

int bph_tcp_traits_parse(const uint8_t *ip, size_t n, uint16_t syn_mss,
			 struct bph_tcp_traits *t)
{
	struct bph_cur c = bph_cur_make(ip, n);
	struct tcp_obs o = {0};
	struct sb opt = {t->options, sizeof(t->options), 0, true};
	struct sb qk = {t->quirks, sizeof(t->quirks), 0, true};
	int rc;

	memset(t, 0, sizeof(*t));
	rc = parse_ip(&c, &o);
	if (rc == 0)
		rc = parse_tcp(&c, &o);
	if (rc)
		return rc;
	put_layout(&opt, &o);
	put_quirks(&qk, o.quirks);
	if (!opt.ok || !qk.ok || !build_sig(&o, syn_mss, t)) {
		memset(t, 0, sizeof(*t));
		return BPH_ERR_TOOBIG;
	}
	t->present = true;
	t->ttl = o.ttl;
	t->ittl = bph_ittl_guess(o.ttl);
	t->hops = (uint8_t)(t->ittl - o.ttl);
	t->window = o.win;
	t->mss = o.mss;
	t->wscale = o.has_ws ? (int8_t)(o.wscale > 127 ? 127 : o.wscale) : -1;
	t->df = (o.quirks & Q_DF) != 0;
	t->ipid = o.ipid;
	t->olen = o.olen;
	t->has_ts = o.has_ts;
	t->tsval = o.ts1;
	t->tsecr = o.ts2;
	return 0;
}

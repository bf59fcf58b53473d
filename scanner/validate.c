/*
 * validate.c - stateless validation (SipHash-2-4 of the 4-tuple in the
 * source port, sequence and IP id) and the one-pass decoder of reply
 * frames. Design and contract in validate.h.
 */
#include "scanner/validate.h"

#include <string.h>
#include <sys/random.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13) ^ v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17) ^ v[2];
	v[2] = rotl(v[2], 32);
}

static void sip_compress(uint64_t v[4], uint64_t m, int rounds)
{
	v[3] ^= m;
	for (int i = 0; i < rounds; i++)
		sipround(v);
	v[0] ^= m;
}

uint64_t bph_siphash24(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v[4] = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
			 k0 ^ 0x6c7967656e657261ULL,
			 k1 ^ 0x7465646279746573ULL};
	uint64_t last = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		sip_compress(v, le64(p + i), 2);
	for (size_t j = 0; i + j < len; j++)
		last |= (uint64_t)p[i + j] << (8 * j);
	sip_compress(v, last, 2);
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

int bph_validate_init(struct bph_validate *v)
{
	size_t got = 0;

	while (got < sizeof(v->key)) {
		ssize_t n = getrandom(v->key + got, sizeof(v->key) - got, 0);
		if (n <= 0)
			return BPH_ERR_IO;
		got += (size_t)n;
	}
	return 0;
}

void bph_validate_wipe(struct bph_validate *v)
{
	if (v)
		explicit_bzero(v->key, sizeof(v->key));
}

void bph_validate_gen(const struct bph_validate *v, uint32_t saddr,
		      uint32_t daddr, uint16_t dport, struct bph_probe_id *id)
{
	uint8_t m[10];
	uint64_t h;

	for (int i = 0; i < 4; i++) {
		m[i] = (uint8_t)(saddr >> (24 - 8 * i));
		m[4 + i] = (uint8_t)(daddr >> (24 - 8 * i));
	}
	m[8] = (uint8_t)(dport >> 8);
	m[9] = (uint8_t)dport;
	h = bph_siphash24(v->key, m, sizeof(m));
	id->seq = (uint32_t)h;
	id->sport = (uint16_t)(BPH_SPORT_FIRST +
			       ((h >> 32) & 0xffff) % BPH_SPORT_COUNT);
	id->ipid = (uint16_t)(h >> 48);
}

/* IPv4 header at c; leaves c at the payload, bounded by total length. */
static int decode_ipv4(struct bph_cur *c, struct bph_frame *f,
		       const uint8_t **ip, size_t *ip_len)
{
	uint8_t vihl, tos, ttl;
	uint16_t tot, id, frag, csum;
	size_t hl;

	*ip = c->p;
	if (bph_cur_u8(c, &vihl) || bph_cur_u8(c, &tos) ||
	    bph_cur_u16(c, &tot) || bph_cur_u16(c, &id) ||
	    bph_cur_u16(c, &frag) || bph_cur_u8(c, &ttl) ||
	    bph_cur_u8(c, &f->proto) || bph_cur_u16(c, &csum) ||
	    bph_cur_u32(c, &f->saddr) || bph_cur_u32(c, &f->daddr))
		return BPH_ERR_TRUNCATED;
	hl = (size_t)(vihl & 0x0f) * 4;
	if (vihl >> 4 != 4 || hl < 20 || tot < hl)
		return BPH_ERR_FORMAT;
	if (bph_cur_skip(c, hl - 20))
		return BPH_ERR_TRUNCATED;
	*ip_len = hl + c->len < tot ? hl + c->len : tot;
	c->len = *ip_len - hl; /* drop Ethernet padding past the packet */
	(void)tos;
	(void)id;
	(void)ttl;
	(void)csum;
	return (frag & 0x3fff) ? BPH_ERR_FORMAT : 0; /* MF or offset */
}

static int decode_tcp(struct bph_cur *c, struct bph_frame *f)
{
	uint8_t off;

	if (bph_cur_u16(c, &f->sport) || bph_cur_u16(c, &f->dport) ||
	    bph_cur_u32(c, &f->seq) || bph_cur_u32(c, &f->ack) ||
	    bph_cur_u8(c, &off) || bph_cur_u8(c, &f->flags) ||
	    bph_cur_skip(c, 6))
		return BPH_ERR_TRUNCATED;
	return (off >> 4) < 5 ? BPH_ERR_FORMAT : 0;
}

/* ICMP destination unreachable quoting our IPv4 + TCP header. */
static int decode_icmp(struct bph_cur *c, struct bph_frame *f)
{
	struct bph_frame in = {0};
	const uint8_t *ip;
	size_t ip_len;
	int rc;

	if (bph_cur_u8(c, &f->icmp_type) || bph_cur_u8(c, &f->icmp_code) ||
	    bph_cur_skip(c, 6))
		return BPH_ERR_TRUNCATED;
	if (f->icmp_type != 3)
		return BPH_ERR_FORMAT;
	rc = decode_ipv4(c, &in, &ip, &ip_len);
	if (rc)
		return rc;
	if (in.proto != 6)
		return BPH_ERR_FORMAT;
	f->in_saddr = in.saddr;
	f->in_daddr = in.daddr;
	if (bph_cur_u16(c, &f->in_sport) || bph_cur_u16(c, &f->in_dport) ||
	    bph_cur_u32(c, &f->in_seq))
		return BPH_ERR_TRUNCATED;
	return 0;
}

static int skip_link(struct bph_cur *c, enum bph_linktype link)
{
	uint16_t type;

	if (link == BPH_LINK_RAW)
		return 0;
	if (bph_cur_skip(c, 12) || bph_cur_u16(c, &type))
		return BPH_ERR_TRUNCATED;
	if (type == 0x8100 && (bph_cur_skip(c, 2) || bph_cur_u16(c, &type)))
		return BPH_ERR_TRUNCATED;
	return type == 0x0800 ? 0 : BPH_ERR_FORMAT;
}

int bph_frame_decode(const uint8_t *frame, size_t len, enum bph_linktype link,
		     struct bph_frame *f)
{
	struct bph_cur c = bph_cur_make(frame, len);
	int rc;

	memset(f, 0, sizeof(*f));
	rc = skip_link(&c, link);
	if (rc)
		return rc;
	rc = decode_ipv4(&c, f, &f->ip, &f->ip_len);
	if (rc)
		return rc;
	if (f->proto == 6)
		return decode_tcp(&c, f);
	if (f->proto == 1)
		return decode_icmp(&c, f);
	return BPH_ERR_FORMAT;
}

static enum bph_reply check_tcp(const struct bph_validate *v, uint32_t our_ip,
				const struct bph_frame *f)
{
	struct bph_probe_id id;

	bph_validate_gen(v, our_ip, f->saddr, f->sport, &id);
	if (f->dport != id.sport)
		return BPH_REPLY_NONE;
	if ((f->flags & (BPH_TCP_SYN | BPH_TCP_ACK | BPH_TCP_RST)) ==
	    (BPH_TCP_SYN | BPH_TCP_ACK))
		return f->ack == id.seq + 1 ? BPH_REPLY_SYNACK : BPH_REPLY_NONE;
	if (f->flags & BPH_TCP_RST)
		return (f->ack == id.seq || f->ack == id.seq + 1)
			   ? BPH_REPLY_RST
			   : BPH_REPLY_NONE;
	return BPH_REPLY_NONE;
}

enum bph_reply bph_validate_frame(const struct bph_validate *v, uint32_t our_ip,
				  const struct bph_frame *f, uint32_t *ip,
				  uint16_t *port)
{
	struct bph_probe_id id;

	if (f->daddr != our_ip)
		return BPH_REPLY_NONE;
	if (f->proto == 6) {
		enum bph_reply r = check_tcp(v, our_ip, f);
		*ip = f->saddr;
		*port = f->sport;
		return r;
	}
	if (f->proto != 1 || f->icmp_type != 3 || f->in_saddr != our_ip)
		return BPH_REPLY_NONE;
	bph_validate_gen(v, our_ip, f->in_daddr, f->in_dport, &id);
	if (f->in_sport != id.sport || f->in_seq != id.seq)
		return BPH_REPLY_NONE;
	*ip = f->in_daddr;
	*port = f->in_dport;
	return BPH_REPLY_UNREACH;
}

/*
 * test_scanner_capture.c - scanner/capture_msg.h: the capture child's
 * messages as the scanner checks them (untrusted input): each type round
 * trips; a short buffer asks for more; an unknown type breaks the stream;
 * an address outside the targets, a port not scanned, a wrong kind, bad
 * traits or an unterminated string are refused and skipped whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "scanner/capture_msg.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

struct fixture {
	struct bph_targets *t;
	uint32_t *slot;
	struct bph_cap_scope sc;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[128];

	assert_non_null(f);
	f->slot = calloc(65536, sizeof(*f->slot));
	assert_non_null(f->slot);
	f->slot[22] = 1;
	f->slot[443] = 2;
	assert_int_equal(bph_targets_new(&f->t), 0);
	assert_int_equal(
	    bph_targets_add_spec(f->t, "198.18.5.0/24", err, sizeof(err)), 0);
	assert_int_equal(bph_targets_finalize(f->t, true), 0);
	f->sc.targets = f->t;
	f->sc.port_slot = f->slot;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	bph_targets_free(f->t);
	free(f->slot);
	free(f);
	return 0;
}

/* A SYN-ACK of 198.18.5.7:443 with traits as tcp_sig.c fills them. */
static struct bph_cap_msg open_msg(void)
{
	struct bph_cap_msg m;

	memset(&m, 0, sizeof(m));
	m.type = BPH_CAP_OPEN;
	m.kind = BPH_REPLY_SYNACK;
	m.ip = IP(198, 18, 5, 7);
	m.port = 443;
	m.tcp.present = true;
	m.tcp.ttl = 63;
	m.tcp.ittl = 64;
	m.tcp.hops = 1;
	m.tcp.window = 65160;
	m.tcp.mss = 1460;
	m.tcp.wscale = 7;
	m.tcp.df = true;
	m.tcp.has_ts = true;
	m.tcp.tsval = 123456;
	m.tcp.tsecr = 42;
	strcpy(m.tcp.options, "mss,sok,ts,nop,ws");
	strcpy(m.tcp.quirks, "df");
	strcpy(m.tcp.sig, "4:63+1:0:1460:mss*44,7:mss,sok,ts,nop,ws:df:0");
	return m;
}

static int decode(struct fixture *f, const uint8_t *b, size_t n,
		  struct bph_cap_msg *m, size_t *used)
{
	return bph_cap_decode(b, n, &f->sc, m, used);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct bph_cap_msg in = open_msg(), out;
	uint8_t b[BPH_CAP_MSG_MAX * 4];
	size_t n, used;

	n = bph_cap_encode(&in, b, sizeof(b));
	assert_int_equal(n, BPH_CAP_OPEN_SIZE);
	assert_int_equal(decode(f, b, n, &out, &used), 0);
	assert_int_equal(used, n);
	assert_int_equal(out.type, BPH_CAP_OPEN);
	assert_int_equal(out.ip, in.ip);
	assert_int_equal(out.port, 443);
	assert_memory_equal(&out.tcp, &in.tcp, sizeof(in.tcp));

	memset(&in, 0, sizeof(in));
	in.type = BPH_CAP_SHORT;
	in.kind = BPH_REPLY_RST;
	in.ip = IP(198, 18, 5, 255);
	in.port = 22;
	n = bph_cap_encode(&in, b, sizeof(b));
	assert_int_equal(n, BPH_CAP_SHORT_SIZE);
	assert_int_equal(decode(f, b, n, &out, &used), 0);
	assert_int_equal(out.kind, BPH_REPLY_RST);
	assert_int_equal(out.ip, in.ip);

	memset(&in, 0, sizeof(in));
	in.type = BPH_CAP_HELLO;
	in.rc = BPH_ERR_PERM;
	strcpy(in.err, "pcap eth0: permission denied");
	n = bph_cap_encode(&in, b, sizeof(b));
	assert_int_equal(decode(f, b, n, &out, &used), 0);
	assert_int_equal(out.rc, BPH_ERR_PERM);
	assert_string_equal(out.err, in.err);

	memset(&in, 0, sizeof(in));
	in.type = BPH_CAP_STATS;
	in.frames = 1ULL << 40;
	in.dropped = 7;
	n = bph_cap_encode(&in, b, sizeof(b));
	assert_int_equal(decode(f, b, n, &out, &used), 0);
	assert_true(out.frames == 1ULL << 40 && out.dropped == 7);
}

/* Bad lengths: any prefix asks for more; an unknown type breaks the stream; an
 * empty buffer asks for more; too little room encodes nothing. */
static void test_lengths(void **state)
{
	struct fixture *f = *state;
	struct bph_cap_msg in = open_msg(), out;
	uint8_t b[BPH_CAP_MSG_MAX];
	size_t n = bph_cap_encode(&in, b, sizeof(b)), used = 99;

	for (size_t k = 1; k < n; k++) {
		assert_int_equal(decode(f, b, k, &out, &used),
				 BPH_ERR_TRUNCATED);
		assert_int_equal(used, 0);
	}
	assert_int_equal(decode(f, b, 0, &out, &used), BPH_ERR_TRUNCATED);
	b[0] = 'X';
	assert_int_equal(decode(f, b, n, &out, &used), BPH_ERR_FORMAT);
	assert_int_equal(used, 0);
	b[0] = 0;
	assert_int_equal(decode(f, b, n, &out, &used), BPH_ERR_FORMAT);
	assert_int_equal(bph_cap_encode(&in, b, BPH_CAP_OPEN_SIZE - 1), 0);
}

/* A whole message that fails a check is refused and skipped whole. */
static void expect_refused(struct fixture *f, const struct bph_cap_msg *in)
{
	uint8_t b[BPH_CAP_MSG_MAX];
	struct bph_cap_msg out;
	size_t n = bph_cap_encode(in, b, sizeof(b)), used = 0;

	assert_true(n > 0);
	assert_int_equal(decode(f, b, n, &out, &used), BPH_ERR_REFUSED);
	assert_int_equal(used, n);
}

static void test_out_of_scope(void **state)
{
	struct fixture *f = *state;
	struct bph_cap_msg m = open_msg();

	m.ip = IP(198, 18, 6, 7); /* not a target */
	expect_refused(f, &m);
	m = open_msg();
	m.port = 80; /* not scanned */
	expect_refused(f, &m);
	memset(&m, 0, sizeof(m));
	m.type = BPH_CAP_SHORT;
	m.kind = BPH_REPLY_UNREACH;
	m.ip = IP(10, 0, 0, 1);
	m.port = 22;
	expect_refused(f, &m);
	m.ip = IP(198, 18, 5, 1);
	m.port = 0;
	expect_refused(f, &m);
}

static void test_bad_fields(void **state)
{
	struct fixture *f = *state;
	struct bph_cap_msg m = open_msg();
	uint8_t b[BPH_CAP_MSG_MAX];
	struct bph_cap_msg out;
	size_t n, used;

	m.kind = BPH_REPLY_RST; /* OPEN carries SYN-ACKs only */
	expect_refused(f, &m);
	m = open_msg();
	m.tcp.ittl = 100; /* no such initial TTL */
	expect_refused(f, &m);
	m = open_msg();
	m.tcp.hops = 5; /* 64 - 63 is 1 */
	expect_refused(f, &m);
	m = open_msg();
	m.tcp.olen = 44;
	expect_refused(f, &m);
	m = open_msg();
	m.tcp.sig[3] = '\033'; /* a terminal escape */
	expect_refused(f, &m);
	m = open_msg();
	m.tcp.present = false; /* absent traits with fields set */
	expect_refused(f, &m);
	memset(&m, 0, sizeof(m));
	m.type = BPH_CAP_SHORT;
	m.kind = BPH_REPLY_SYNACK;
	m.ip = IP(198, 18, 5, 1);
	m.port = 22;
	expect_refused(f, &m);

	/* an unterminated string, an unknown flag, a positive rc */
	m = open_msg();
	n = bph_cap_encode(&m, b, sizeof(b));
	memset(b + 28, 'a', 96);
	assert_int_equal(decode(f, b, n, &out, &used), BPH_ERR_REFUSED);
	n = bph_cap_encode(&m, b, sizeof(b));
	b[2] |= 0x80;
	assert_int_equal(decode(f, b, n, &out, &used), BPH_ERR_REFUSED);
	memset(&m, 0, sizeof(m));
	m.type = BPH_CAP_HELLO;
	m.rc = 5;
	expect_refused(f, &m);
	m.rc = 0;
	n = bph_cap_encode(&m, b, sizeof(b));
	memset(b + 8, 'x', BPH_CAP_ERR_MAX);
	assert_int_equal(decode(f, b, n, &out, &used), BPH_ERR_REFUSED);
}

/* Absent traits (tcp_sig could not parse the SYN-ACK) are all zero. */
static void test_absent_traits(void **state)
{
	struct fixture *f = *state;
	struct bph_cap_msg m = open_msg(), out;
	uint8_t b[BPH_CAP_MSG_MAX];
	size_t n, used;

	memset(&m.tcp, 0, sizeof(m.tcp));
	n = bph_cap_encode(&m, b, sizeof(b));
	assert_int_equal(decode(f, b, n, &out, &used), 0);
	assert_false(out.tcp.present);
	assert_string_equal(out.tcp.sig, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lengths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_out_of_scope, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_absent_traits, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

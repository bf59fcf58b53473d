/*
 * tcp_sig against p0f 3.09b as the oracle.
 *
 * "real:" cases are SYN-ACKs captured with tcpdump from Linux servers in
 * private network namespaces (client -> router -> server, so TTL 63; the
 * server's sysctls and MTU varied: default, MTU 1400, no timestamps/SACK/
 * window scaling, no timestamps, ECN with TTL 128, TTL 255, loopback).
 * "synth:" cases are crafted SYN-ACKs (each after a SYN carrying the
 * listed MSS) written to a pcap. For every case the expected string is
 * the raw_sig that `p0f -r capture.pcap` printed for that SYN+ACK.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fingerprints/err.h"
#include "fingerprints/tcp_sig.h"
#include "testlib/testlib.h"

struct sig_case {
	const char *name;
	uint16_t syn_mss; /* MSS of the SYN p0f saw before the SYN-ACK */
	const char *hex;  /* IPv4 packet */
	const char *sig;  /* p0f raw_sig */
};

static const struct sig_case cases[] = {
    {"real:lo", 65495,
     "4500003c0000400040063cba7f0000017f0000011b59c544847832932f37553da012ffcbf"
     "e3000000204ffd70402080a8eefa5ebeb5bd5520103030a",
     "4:64+0:0:65495:mss*1,10:mss,sok,ts,nop,ws:df:0"},
    {"real:default", 1460,
     "4500003c000040003f060a92c612d302c612d2021389ccd65379131d64232921a012fe883"
     "1590000020405b40402080a46b03c68a77a5a130103030a",
     "4:63+1:0:1460:mss*45,10:mss,sok,ts,nop,ws:df:0"},
    {"real:mtu1400", 1460,
     "4500003c000040003f060a92c612d302c612d202138abf8a255c05762ae85387a012fcc03"
     "1590000020405500402080ae7f0c3d97911b6660103030a",
     "4:63+1:0:1360:mss*48,10:mss,sok,ts,nop,ws:df:0"},
    {"real:bare", 1460,
     "4500002c000040003f060aa2c612d302c612d202138bd25a815acfa86190bf516012faf03"
     "1490000020405b4",
     "4:63+1:0:1460:mss*44,0:mss:df:0"},
    {"real:nots", 1460,
     "45000034000040003f060a9ac612d302c612d202138c819ea9c73da396f2f04c8012faf03"
     "1510000020405b4010104020103030a",
     "4:63+1:0:1460:mss*44,10:mss,nop,nop,sok,nop,ws:df:0"},
    {"real:ecn128", 1460,
     "4500003c000040007f06ca91c612d302c612d202138dba002725c7ddccd5ff2ea052fe883"
     "1590000020405b40402080a74224d5a87250c3f0103030a",
     "4:127+1:0:1460:mss*45,10:mss,sok,ts,nop,ws:df,ecn:0"},
    {"real:ttl255", 1460,
     "4500003c00004000fe064b91c612d302c612d202138e8d328a5a34028aa5e466a012fe883"
     "1590000020405b40402080a55f42ae606b3dbf601030307",
     "4:254+1:0:1460:mss*45,7:mss,sok,ts,nop,ws:df:0"},
    {"synth:noDF_zero_id_urg_psh", 1460,
     "45000030000000003206549fc612d401c612d40217709c4000001388000003e9703a20006"
     "49c0005020405a00103030f",
     "4:50+14:0:1440:8192,15:mss,nop,ws:id-,urgf+,pushf+,exws:0"},
    {"synth:eol_nonzero_pad", 1460,
     "45000030123440004006f46ac612d401c612d40217719c4100001388000003e9701272100"
     "fb50000020405b400000700",
     "4:64+0:0:1460:mss*20,0:mss,eol+3:df,id+,opt+:0"},
    {"synth:eol_zero_pad", 1460,
     "45000030000040004006069fc612d401c612d40217729c4200001388000003e9701239084"
     "bb90000020405b404020000",
     "4:64+0:0:1460:mss*10,0:mss,sok,eol+1:df:0"},
    {"synth:unknown_sack_ts1zero", 1460,
     "45000044000040004006068bc612d401c612d40217739c4300001388000003e9c012ffff6"
     "71700001e04abcd0101050a0000000100000002080a00000000000000630101",
     "4:64+0:0:0:65535,0:?30,nop,nop,sack,ts,nop,nop:df,ts1-:0"},
    {"synth:bad_mss_len", 1460,
     "45000030000040004006069fc612d401c612d40217749c4400001388000003e9701216d07"
     "03e00000203056401010101",
     "4:64+0:0:1380:mss*4,0:mss,nop,nop,nop,nop:df,bad:0"},
    {"synth:truncated_ws", 1460,
     "45000030000040004006069fc612d401c612d40217759c4500001388000003e9701216d06"
     "de90000020405b401010303",
     "4:64+0:0:1460:mss*4,0:mss,nop,nop,ws:df,bad:0"},
    {"synth:ipopts_payload_seq0_ack0", 1460,
     "460000350000400040060399c612d401c612d4020101010017769c4600000000000000006"
     "01203e86c0d00000204021868656c6c6f",
     "4:64+0:4:536:1000,0:mss:df,seq-,ack-:+"},
    {"synth:mbz_cwr_ece", 1460,
     "4501002c0000c000400686a1c612d401c612d40217779c4700001388000003e961d2111c8"
     "5e10000020405b4",
     "4:64+0:0:1460:mss*3,0:mss:df,ecn,0+:0"},
    {"synth:mtu_multiple", 1460,
     "4500002c00004000400606a3c612d401c612d40217789c4800001388000003e960120bb88"
     "d030000020405b4",
     "4:64+0:0:1460:mtu*2,0:mss:df:0"},
    {"synth:peer_syn_mss", 1000,
     "4500002c00004000400606a3c612d401c612d40217799c4900001388000003e9601213888"
     "5d1000002040514",
     "4:64+0:0:1300:mss*5,0:mss:df:0"},
    {"synth:small_mss", 1460,
     "4500002c00004000400606a3c612d401c612d402177a9c4a00001388000003e9601210008"
     "e2b000002040040",
     "4:64+0:0:64:4096,0:mss:df:0"},
    {"synth:special_mss_far_ttl", 1460,
     "4500002c00004000c8067ea2c612d401c612d402177b9c4b00001388000003e960120a668"
     "ed0000002040533",
     "4:200+?:0:*:mss*2,0:mss:df:0"},
    {"synth:too_many_nops", 1460,
     "45000044000040004006068bc612d401c612d402177c9c4c00001388000003e9c01202003"
     "045000001010101010101010101010101010101010101010101010101010101",
     "4:64+0:0:0:512,0:nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,"
     "nop,nop,nop,nop,nop,nop,nop,nop,nop,nop:df,bad:0"},
    {"synth:short_sack", 1460,
     "45000030000040004006069fc612d401c612d402177d9c4d00001388000003e9701202008"
     "95d00000508000000000000",
     "4:64+0:0:0:512,0:sack:df,bad:0"},
    {"synth:zero_window", 1460,
     "45000030000740008006c697c612d401c612d402177e9c4e00001388000003e9701200008"
     "4a60000020405b401030302",
     "4:128+0:0:1460:0,2:mss,nop,ws:df,id+:0"},
    {"synth:ts_mss12_ts2", 1460,
     "45000038000040001e062897c612d401c612d402177f9c4f00001388000003e9901210f84"
     "df90000020405b40101080a0000004d00000058",
     "4:30+2:0:1460:mss*3,0:mss,nop,nop,ts:df:0"},
};

static void test_p0f_oracle(void **state)
{
	(void)state;
	uint8_t pkt[256];
	struct bph_tcp_traits t;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = bph_test_unhex(cases[i].hex, pkt, sizeof(pkt));
		int rc = bph_tcp_traits_parse(pkt, n, cases[i].syn_mss, &t);
		if (rc != 0)
			fail_msg("%s: rc %d", cases[i].name, rc);
		if (strcmp(t.sig, cases[i].sig) != 0)
			fail_msg("%s:\n got  %s\n want %s", cases[i].name,
				 t.sig, cases[i].sig);
		assert_true(t.present);
	}
}

static void test_fields(void **state)
{
	(void)state;
	uint8_t pkt[256];
	struct bph_tcp_traits t;
	size_t n =
	    bph_test_unhex(cases[1].hex, pkt, sizeof(pkt)); /* real:default */

	assert_int_equal(bph_tcp_traits_parse(pkt, n, 1460, &t), 0);
	assert_int_equal(t.ttl, 63);
	assert_int_equal(t.ittl, 64);
	assert_int_equal(t.hops, 1);
	assert_int_equal(t.window, 65160);
	assert_int_equal(t.mss, 1460);
	assert_int_equal(t.wscale, 10);
	assert_true(t.df);
	assert_int_equal(t.ipid, 0);
	assert_int_equal(t.olen, 0);
	assert_string_equal(t.options, "mss,sok,ts,nop,ws");
	assert_string_equal(t.quirks, "df");
	/* the timestamps option: the server's TSval and the echo of ours */
	assert_true(t.has_ts);
	assert_int_equal(t.tsval, 0x46b03c68);
	assert_int_equal(t.tsecr, 0xa77a5a13);
	/* without the SYN's MSS the multiplier search is the same here */
	assert_int_equal(bph_tcp_traits_parse(pkt, n, 0, &t), 0);
	assert_string_equal(t.sig, cases[1].sig);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(cases[i].name, "synth:noDF_zero_id_urg_psh"))
			continue;
		n = bph_test_unhex(cases[i].hex, pkt, sizeof(pkt));
		assert_int_equal(bph_tcp_traits_parse(pkt, n, 1460, &t), 0);
		assert_false(t.df);
		assert_int_equal(t.wscale, 15);
		assert_int_equal(t.ittl, 64);
		assert_int_equal(t.hops, 14);
		assert_string_equal(t.quirks, "id-,urgf+,pushf+,exws");
	}
	/* no window scale option at all */
	n = bph_test_unhex(cases[3].hex, pkt, sizeof(pkt)); /* real:bare */
	assert_int_equal(bph_tcp_traits_parse(pkt, n, 1460, &t), 0);
	assert_int_equal(t.wscale, -1);
	assert_string_equal(t.options, "mss");
	assert_false(t.has_ts);
}

static void test_ittl(void **state)
{
	(void)state;
	assert_int_equal(bph_ittl_guess(1), 32);
	assert_int_equal(bph_ittl_guess(32), 32);
	assert_int_equal(bph_ittl_guess(33), 64);
	assert_int_equal(bph_ittl_guess(64), 64);
	assert_int_equal(bph_ittl_guess(65), 128);
	assert_int_equal(bph_ittl_guess(128), 128);
	assert_int_equal(bph_ittl_guess(129), 255);
	assert_int_equal(bph_ittl_guess(255), 255);
}

static void test_malformed(void **state)
{
	(void)state;
	uint8_t pkt[256];
	struct bph_tcp_traits t;
	size_t n = bph_test_unhex(cases[1].hex, pkt, sizeof(pkt));

	for (size_t k = 0; k < n; k++)
		assert_int_equal(bph_tcp_traits_parse(pkt, k, 1460, &t),
				 BPH_ERR_TRUNCATED);
	assert_false(t.present);
	pkt[9] = 17; /* UDP */
	assert_int_equal(bph_tcp_traits_parse(pkt, n, 1460, &t),
			 BPH_ERR_FORMAT);
	pkt[9] = 6;
	pkt[0] = 0x65; /* IPv6 version nibble */
	assert_int_equal(bph_tcp_traits_parse(pkt, n, 1460, &t),
			 BPH_ERR_FORMAT);
	pkt[0] = 0x45;
	pkt[32] = 0x40; /* TCP data offset 4 */
	assert_int_equal(bph_tcp_traits_parse(pkt, n, 1460, &t),
			 BPH_ERR_FORMAT);
	pkt[32] = 0xf0; /* data offset 60 > segment */
	assert_int_equal(bph_tcp_traits_parse(pkt, n, 1460, &t),
			 BPH_ERR_TRUNCATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_p0f_oracle),
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_ittl),
	    cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

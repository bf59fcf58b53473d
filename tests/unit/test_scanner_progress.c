/* Rate arithmetic: pacer schedule, --bandwidth conversion, progress line.
 * No clocks: time is simulated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fingerprints/err.h"
#include "scanner/progress.h"
#include "scanner/send.h"

#define SEC 1000000000LL

/* A sender that leaves exactly when allowed: after one simulated second
 * it has sent rate (+1 for the probe due at t0) probes, at any rate. */
static void test_pacer_exact(void **state)
{
	(void)state;
	const uint64_t rates[] = {1,	   100,	     333,      1000,
				  9999,	   10000,    123457,   1000000,
				  3000000, 14880952, 100000000};

	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct bph_pacer p;
		int64_t now = 5 * SEC;
		uint64_t sent = 0;

		bph_pacer_init(&p, rates[i], now, SEC / 10);
		for (;;) {
			int64_t due = bph_pacer_due(&p, now);
			if (due > now)
				now = due; /* sleep until due */
			if (now >= 6 * SEC)
				break;
			bph_pacer_take(&p);
			sent++;
		}
		assert_int_equal(sent, rates[i]);
	}
}

/* A sender that stalls less than the bucket depth catches up with a burst;
 * one that stalls longer drops the backlog; afterwards it runs at the rate
 * again. */
static uint64_t burst_after(struct bph_pacer *p, int64_t now)
{
	uint64_t burst = 0;

	while (bph_pacer_due(p, now) <= now) {
		bph_pacer_take(p);
		burst++;
	}
	return burst;
}

static void test_pacer_backlog(void **state)
{
	(void)state;
	struct bph_pacer p;
	int64_t now;

	bph_pacer_init(&p, 1000, 0, SEC / 10); /* 1 ms apart, 100 ms deep */
	assert_int_equal(burst_after(&p, 50000000), 51); /* 0..50 ms due */
	now = 50000000 + 2 * SEC;			 /* stalled for 2 s */
	assert_int_equal(burst_after(&p, now), 1);
	for (int k = 0; k < 1000; k++) {
		int64_t due = bph_pacer_due(&p, now);
		assert_true(due > now);
		assert_true(due - now <= 1000000);
		now = due;
		bph_pacer_take(&p);
	}
}

static void test_bandwidth(void **state)
{
	(void)state;
	uint64_t pps = 0;
	const uint64_t bits = (BPH_SYN_FRAME_LEN + 24) * 8; /* 784 */

	assert_int_equal(bph_bandwidth_to_pps("10M", BPH_SYN_FRAME_LEN, &pps),
			 0);
	assert_int_equal(pps, 10000000 / bits);
	assert_int_equal(bph_bandwidth_to_pps("1G", 74, &pps), 0);
	assert_int_equal(pps, 1000000000 / bits);
	assert_int_equal(bph_bandwidth_to_pps("784k", 74, &pps), 0);
	assert_int_equal(pps, 1000);
	/* ZMap's 54-byte SYN: 10 Gb/s is its familiar 16.0 Mpps */
	assert_int_equal(bph_bandwidth_to_pps("10G", 54, &pps), 0);
	assert_int_equal(pps, 16025641);
	assert_int_equal(bph_bandwidth_to_pps("783", 74, &pps), BPH_ERR_USAGE);
	assert_int_equal(bph_bandwidth_to_pps("", 74, &pps), BPH_ERR_USAGE);
	assert_int_equal(bph_bandwidth_to_pps("10X", 74, &pps), BPH_ERR_USAGE);
	assert_int_equal(bph_bandwidth_to_pps("-5M", 74, &pps), BPH_ERR_USAGE);
	assert_int_equal(bph_bandwidth_to_pps("10MM", 74, &pps), BPH_ERR_USAGE);
	assert_int_equal(
	    bph_bandwidth_to_pps("99999999999999999999G", 74, &pps),
	    BPH_ERR_USAGE);
}

static void test_progress_line(void **state)
{
	(void)state;
	struct bph_progress p = {.total = 131072,
				 .done = 32768,
				 .sent = 32768,
				 .replies = 8,
				 .prev_sent = 22768,
				 .prev_ns = 10 * SEC,
				 .now_ns = 11 * SEC,
				 .pass = 0};
	char buf[160];

	bph_progress_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "pass 0:  25.0%, 32768 sent, 10000 pps, 8 "
				 "replies (0.02%), ETA 9s");
	p.done = 0;
	p.total = 10000ULL * 3700;
	bph_progress_format(&p, buf, sizeof(buf));
	assert_non_null(strstr(buf, "ETA 1h01m"));
	p.prev_sent = p.sent; /* stalled: no rate, no ETA */
	bph_progress_format(&p, buf, sizeof(buf));
	assert_non_null(strstr(buf, " 0 pps"));
	assert_non_null(strstr(buf, "ETA ?"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pacer_exact),
	    cmocka_unit_test(test_pacer_backlog),
	    cmocka_unit_test(test_bandwidth),
	    cmocka_unit_test(test_progress_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

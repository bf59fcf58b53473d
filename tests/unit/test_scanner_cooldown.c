/* The adaptive cooldown: a multiple of the slowest round trip, floored
 * and capped, and the fixed wait when nothing echoed a timestamp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scanner/synscan.h"

static void test_auto_wait(void **state)
{
	(void)state;
	/* no sample: the configured wait */
	assert_int_equal(bph_synscan_auto_wait_ms(0, 2000), 2000);
	/* a LAN: the floor */
	assert_int_equal(bph_synscan_auto_wait_ms(1, 2000),
			 BPH_SYNSCAN_MIN_WAIT_MS);
	/* 150 ms round trips: 8x */
	assert_int_equal(bph_synscan_auto_wait_ms(150, 2000),
			 150 * BPH_SYNSCAN_RTT_FACTOR);
	/* slower than the cap allows: the cap */
	assert_int_equal(bph_synscan_auto_wait_ms(400, 2000), 2000);
	assert_int_equal(bph_synscan_auto_wait_ms(60000, 2000), 2000);
	/* a cap below the floor wins */
	assert_int_equal(bph_synscan_auto_wait_ms(1, 300), 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_auto_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

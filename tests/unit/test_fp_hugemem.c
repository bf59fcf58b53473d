#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/hugemem.h"

/* The VmFlags line of the mapping holding addr in /proc/self/smaps
 * ("" when not found). */
static void vm_flags(uintptr_t addr, char *out, size_t n)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = addr >= lo && addr < hi;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			snprintf(out, n, "%s", line + 8);
			break;
		}
	}
	if (f)
		fclose(f);
}

static bool thp_available(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char s[128] = "";

	if (!f)
		return false;
	if (!fgets(s, sizeof(s), f))
		s[0] = '\0';
	fclose(f);
	return !strstr(s, "[never]");
}

/* A large array's whole 2 MiB pages are marked "hg" (MADV_HUGEPAGE);
 * its bytes are untouched and still writable. */
static void test_large_array_marked(void **state)
{
	size_t len = BPH_HUGE_MIN * 4;
	unsigned char *p = malloc(len);
	uintptr_t mid = ((uintptr_t)p + len / 2) & ~(uintptr_t)((2 << 20) - 1);
	char flags[512];

	(void)state;
	assert_non_null(p);
	memset(p, 7, len);
	bph_advise_huge(p, len);
	vm_flags(mid, flags, sizeof(flags));
	if (!thp_available() || !flags[0]) {
		free(p);
		skip(); /* no THP in this kernel, or no smaps */
	}
	assert_non_null(strstr(flags, " hg"));
	assert_int_equal(p[0], 7);
	assert_int_equal(p[len - 1], 7);
	p[len / 2] = 9;
	assert_int_equal(p[len / 2], 9);
	free(p);
}

/* Small arrays, NULL and lengths below a huge page are left alone. */
static void test_small_left_alone(void **state)
{
	char *p = malloc(4096);

	(void)state;
	assert_non_null(p);
	bph_advise_huge(NULL, BPH_HUGE_MIN * 4);
	bph_advise_huge(p, 4096);
	bph_advise_huge(p, 0);
	p[4095] = 1;
	assert_int_equal(p[4095], 1);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_large_array_marked),
	    cmocka_unit_test(test_small_left_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

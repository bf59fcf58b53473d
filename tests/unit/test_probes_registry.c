/*
 * test_probes_registry.c - walks the probe registry: unique names, required
 * callbacks present, lookups by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "probes/registry.h"

static void test_registry_walk(void **state)
{
	size_t n = 0;
	const struct bph_probe *const *reg = bph_probe_registry(&n);

	(void)state;
	assert_true(n >= 6);
	assert_null(reg[n]);
	for (size_t i = 0; i < n; i++) {
		const struct bph_probe *p = reg[i];
		assert_non_null(p);
		assert_non_null(p->name);
		assert_true(strlen(p->name) > 0);
		assert_true(p->priv_size > 0);
		assert_non_null(p->conns);
		assert_non_null(p->start);
		assert_non_null(p->on_read);
		assert_non_null(p->on_close);
		assert_non_null(p->finish);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(reg[j]->name, p->name);
		assert_ptr_equal(bph_probe_find(p->name), p);
	}
}

static void test_registry_names(void **state)
{
	static const char *const want[] = {"detect", "tls",  "jarm",
					   "ssh",    "http", "banner"};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_non_null(bph_probe_find(want[i]));
	assert_null(bph_probe_find("nope"));
	assert_null(bph_probe_find(NULL));
	assert_ptr_equal(bph_probe_find("jarm"), &bph_probe_jarm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry_walk),
	    cmocka_unit_test(test_registry_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

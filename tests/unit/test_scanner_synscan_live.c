/*
 * Live SYN scan against real servers in network namespaces.
 *
 * Skips unless BPH_NETNS_TARGET is set; tests/integration/synscan_netns.sh
 * builds the namespaces and runs this inside the scanner namespace with:
 *   BPH_NETNS_TARGET  target spec, e.g. "198.18.200.66-198.18.200.69"
 *   BPH_NETNS_PORTS   port list, e.g. "22,80,8080,9001"
 *   BPH_NETNS_EXPECT  "ip:port=state,..." for every pair (open, closed,
 *                     filtered), checked exactly
 *   BPH_NETNS_SIG_PREFIX  optional: every open pair's p0f signature
 *                     starts with this (e.g. "4:63+1:0:1460:")
 *   BPH_NETNS_SIGS_OUT    optional: file to write "ip:port sig" lines
 *   BPH_NETNS_EXPECT_SENT optional: exact number of SYNs (first pass plus
 *                     the retry of every pair still unanswered)
 *   BPH_NETNS_SWEEP   optional: spec of a dropped range to sweep with
 *                     retries 0 at BPH_NETNS_RATES (comma list of pps)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fingerprints/err.h"
#include "scanner/synscan.h"
#include "scanner/targets.h"

#define MAX_PAIRS 4096

struct seen {
	struct bph_targets *t;
	const uint16_t *ports;
	size_t n_ports;
	uint8_t count[MAX_PAIRS];
	enum bph_port_state state[MAX_PAIRS];
	struct bph_tcp_traits tcp[MAX_PAIRS];
	uint64_t filtered; /* sweep mode: verdicts only counted */
	bool sweep;
};

static size_t port_index(const struct seen *s, uint16_t port)
{
	for (size_t i = 0; i < s->n_ports; i++)
		if (s->ports[i] == port)
			return i;
	fail_msg("verdict for unscanned port %u", port);
	return 0;
}

static void on_verdict(void *ctx, const struct bph_service *svc)
{
	struct seen *s = ctx;
	uint64_t ti;

	if (s->sweep) {
		if (svc->state != BPH_STATE_FILTERED)
			fail_msg("sweep got a non-filtered verdict");
		s->filtered++;
		return;
	}
	assert_true(bph_targets_index_of(s->t, svc->ip, &ti));
	size_t k = ti * s->n_ports + port_index(s, svc->port);
	assert_true(k < MAX_PAIRS);
	s->count[k]++;
	s->state[k] = svc->state;
	s->tcp[k] = svc->tcp;
	assert_null(svc->tls);
	assert_null(svc->proto);
}

static const char *state_name(enum bph_port_state st)
{
	return st == BPH_STATE_OPEN	  ? "open"
	       : st == BPH_STATE_CLOSED	  ? "closed"
	       : st == BPH_STATE_FILTERED ? "filtered"
					  : "unknown";
}

static struct bph_targets *targets_of(const char *spec)
{
	struct bph_targets *t;
	char err[256];

	assert_int_equal(bph_targets_new(&t), 0);
	if (bph_targets_add_spec(t, spec, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(bph_targets_finalize(t, true), 0);
	return t;
}

/* Checks one "ip:port=state" item against what the scan reported. */
static void check_expect(const struct seen *s, const char *item,
			 const char *sig_prefix, FILE *sigs)
{
	unsigned a, b, c, d, port;
	char want[16], ipbuf[16];
	uint64_t ti;

	if (sscanf(item, "%u.%u.%u.%u:%u=%15s", &a, &b, &c, &d, &port, want) !=
	    6)
		fail_msg("bad BPH_NETNS_EXPECT item '%s'", item);
	uint32_t ip = a << 24 | b << 16 | c << 8 | d;
	assert_true(bph_targets_index_of(s->t, ip, &ti));
	size_t k = ti * s->n_ports + port_index(s, (uint16_t)port);
	if (strcmp(state_name(s->state[k]), want) != 0)
		fail_msg("%s: got %s", item, state_name(s->state[k]));
	if (s->state[k] != BPH_STATE_OPEN)
		return;
	assert_true(s->tcp[k].present);
	if (sig_prefix &&
	    strncmp(s->tcp[k].sig, sig_prefix, strlen(sig_prefix)) != 0)
		fail_msg("%s: sig %s lacks prefix %s", item, s->tcp[k].sig,
			 sig_prefix);
	bph_ip_str(ip, ipbuf);
	if (sigs)
		fprintf(sigs, "%s:%u %s\n", ipbuf, port, s->tcp[k].sig);
}

static void test_live_verdicts(void **state)
{
	(void)state;
	const char *spec = getenv("BPH_NETNS_TARGET");
	const char *ports_s = getenv("BPH_NETNS_PORTS");
	const char *expect = getenv("BPH_NETNS_EXPECT");
	const char *out = getenv("BPH_NETNS_SIGS_OUT");
	struct bph_synscan_cfg cfg;
	struct bph_synscan_stats st;
	static struct seen s;
	uint16_t *ports = NULL;
	size_t n_ports = 0;
	char err[256] = "";

	if (!spec || !ports_s || !expect)
		skip();
	memset(&s, 0, sizeof(s));
	s.t = targets_of(spec);
	if (bph_ports_parse(ports_s, &ports, &n_ports, err, sizeof(err)))
		fail_msg("%s", err);
	s.ports = ports;
	s.n_ports = n_ports;
	uint64_t pairs = bph_targets_count(s.t) * n_ports;
	assert_true(pairs <= MAX_PAIRS);

	bph_synscan_cfg_default(&cfg);
	cfg.targets = s.t;
	cfg.ports = ports;
	cfg.n_ports = n_ports;
	cfg.rate = 2000;
	cfg.wait_ms = 1000;
	cfg.quiet = true;
	int rc = bph_synscan_run(&cfg, on_verdict, &s, &st, err, sizeof(err));
	if (rc)
		fail_msg("synscan: %s (%d)", err, rc);
	/* exactly one verdict per pair */
	for (uint64_t k = 0; k < pairs; k++)
		if (s.count[k] != 1)
			fail_msg("pair %llu reported %u times",
				 (unsigned long long)k, s.count[k]);
	assert_int_equal(st.targets, pairs);
	assert_int_equal(st.open + st.closed + st.filtered, pairs);
	assert_true(st.sent >= pairs);
	assert_int_equal(st.send_failed, 0);
	assert_int_equal(st.pcap_dropped, 0);
	if (getenv("BPH_NETNS_EXPECT_SENT"))
		assert_int_equal(
		    st.sent,
		    strtoull(getenv("BPH_NETNS_EXPECT_SENT"), NULL, 10));

	FILE *sigs = out ? fopen(out, "w") : NULL;
	char *list = strdup(expect), *save = NULL;
	size_t n_items = 0;
	for (char *it = strtok_r(list, ",", &save); it;
	     it = strtok_r(NULL, ",", &save), n_items++)
		check_expect(&s, it, getenv("BPH_NETNS_SIG_PREFIX"), sigs);
	assert_int_equal(n_items, pairs);
	if (sigs)
		fclose(sigs);
	printf("live: %llu pairs, open %llu closed %llu filtered %llu, "
	       "sent %llu\n",
	       (unsigned long long)pairs, (unsigned long long)st.open,
	       (unsigned long long)st.closed, (unsigned long long)st.filtered,
	       (unsigned long long)st.sent);
	free(list);
	free(ports);
	bph_targets_free(s.t);
}

static void sweep_once(struct bph_targets *t, uint64_t rate)
{
	static const uint16_t port = 80;
	struct bph_synscan_cfg cfg;
	struct bph_synscan_stats st;
	static struct seen s;
	char err[256] = "";

	memset(&s, 0, sizeof(s));
	s.sweep = true;
	bph_synscan_cfg_default(&cfg);
	cfg.targets = t;
	cfg.ports = &port;
	cfg.n_ports = 1;
	cfg.rate = rate;
	cfg.retries = 0;
	cfg.wait_ms = 200;
	cfg.quiet = true;
	int rc = bph_synscan_run(&cfg, on_verdict, &s, &st, err, sizeof(err));
	if (rc)
		fail_msg("sweep: %s (%d)", err, rc);
	assert_int_equal(st.sent, bph_targets_count(t));
	assert_int_equal(s.filtered, bph_targets_count(t));
	assert_int_equal(st.open + st.closed, 0);
	printf("sweep: rate %llu pps -> achieved %.0f pps (%.1f%%), "
	       "%llu probes in %.3f s total, %llu send failures\n",
	       (unsigned long long)rate, st.pps, 100.0 * st.pps / (double)rate,
	       (unsigned long long)st.sent, st.seconds,
	       (unsigned long long)st.send_failed);
}

static void test_live_sweep(void **state)
{
	(void)state;
	const char *spec = getenv("BPH_NETNS_SWEEP");
	const char *rates = getenv("BPH_NETNS_RATES");

	if (!spec || !rates)
		skip();
	struct bph_targets *t = targets_of(spec);
	char *list = strdup(rates), *save = NULL;
	for (char *r = strtok_r(list, ",", &save); r;
	     r = strtok_r(NULL, ",", &save))
		sweep_once(t, strtoull(r, NULL, 10));
	free(list);
	bph_targets_free(t);
}

/* Configuration errors are caught before any socket is opened. */
static void test_cfg_errors(void **state)
{
	(void)state;
	struct bph_synscan_cfg cfg;
	static struct seen s;
	struct bph_targets *t = targets_of("192.0.2.1");
	const uint16_t dup[] = {80, 443, 80}, zero[] = {0};
	char err[256];

	bph_synscan_cfg_default(&cfg);
	assert_int_equal(cfg.rate, 10000);
	assert_int_equal(cfg.retries, 1);
	assert_int_equal(cfg.wait_ms, 2000);
	assert_int_equal(cfg.shard_count, 1);
	/* no targets */
	cfg.ports = dup;
	cfg.n_ports = 1;
	assert_int_equal(bph_synscan_run(&cfg, on_verdict, &s, NULL, err, 256),
			 BPH_ERR_USAGE);
	cfg.targets = t;
	cfg.n_ports = 3;
	assert_int_equal(bph_synscan_run(&cfg, on_verdict, &s, NULL, err, 256),
			 BPH_ERR_USAGE);
	assert_string_equal(err, "port 80 listed twice");
	cfg.ports = zero;
	cfg.n_ports = 1;
	assert_int_equal(bph_synscan_run(&cfg, on_verdict, &s, NULL, err, 256),
			 BPH_ERR_USAGE);
	cfg.ports = dup;
	cfg.shard_count = 2;
	assert_int_equal(bph_synscan_run(&cfg, on_verdict, &s, NULL, err, 256),
			 BPH_ERR_USAGE);
	assert_string_equal(err, "sharding needs an explicit --seed");
	cfg.seed_set = true;
	cfg.shard_index = 2;
	assert_int_equal(bph_synscan_run(&cfg, on_verdict, &s, NULL, err, 256),
			 BPH_ERR_USAGE);
	bph_targets_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cfg_errors),
	    cmocka_unit_test(test_live_verdicts),
	    cmocka_unit_test(test_live_sweep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

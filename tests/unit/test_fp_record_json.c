#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "fingerprints/record.h"
#include "fingerprints/record_json.h"

/* A title with markup, quotes, a control char and invalid UTF-8 bytes. */
static const char hostile[] = "<b>\"x\"</b>&\x01\xff\xc0\xaf ok \xe2\x82";

static void fill(struct bph_service *s)
{
	memset(s, 0, sizeof(*s));
	s->ip = 0xc6120a0a; /* 198.18.10.10 */
	s->port = 443;
	s->state = BPH_STATE_OPEN;
	s->seen = 1795000000;
	s->proto = strdup("tls");
	s->tcp.present = true;
	s->tcp.ttl = 63;
	s->tcp.ittl = 64;
	s->tcp.window = 64240;
	s->tcp.mss = 1360;
	s->tcp.wscale = -1;
	s->tcp.df = true;
	strcpy(s->tcp.options, "mss,sok,ts,nop,ws");
	strcpy(s->tcp.sig, "4:64+1:0:1360:mss*44,7:mss,sok,ts,nop,ws:df:0");
	s->tls = bph_tls_info_new();
	strcpy(s->tls->cert_sha256,
	       "AB01" /* upper case must come out lower */);
	strcpy(s->tls->jarm, "00000000000000000000000000000000000000000000000"
			     "000000000000000");
	s->tls->subject = strdup(hostile);
	s->tls->self_signed = true;
	s->tls->n_san = 2;
	s->tls->san = calloc(2, sizeof(char *));
	s->tls->san[0] = strdup("a.example");
	s->tls->san[1] = strdup("198.18.10.10");
	s->ssh = bph_ssh_info_new();
	s->ssh->banner = strdup("SSH-2.0-OpenSSH_9.2p1\r\x7f");
	strcpy(s->ssh->hassh_server, "d43d91bc39d5aaed819ad9f6b57b7348");
	s->ssh->kexinit[0] = strdup("curve25519-sha256");
	s->ssh->n_hostkeys = 1;
	s->ssh->hostkeys = calloc(1, sizeof(struct bph_ssh_hostkey));
	s->ssh->hostkeys[0].type = strdup("ssh-ed25519");
	strcpy(s->ssh->hostkeys[0].sha256, "SHA256:abcDEF+/0");
	s->ssh->hostkeys[0].bits = 256;
	s->http = bph_http_info_new();
	s->http->status = 200;
	s->http->title = strdup(hostile);
	s->http->has_favicon = true;
	s->http->favicon_mmh3 = -1234567;
	s->http->n_headers = 1;
	s->http->headers = calloc(1, sizeof(char *));
	s->http->headers[0] = strdup("Server");
}

static char *dump(const struct bph_service *s)
{
	json_t *j = bph_service_to_json(s);
	assert_non_null(j);
	char *out = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	assert_non_null(out);
	return out;
}

static void test_round_trip_is_stable(void **state)
{
	(void)state;
	struct bph_service a, b = {0};
	char err[128] = "";
	fill(&a);
	char *first = dump(&a);
	json_t *j = json_loads(first, 0, NULL);
	assert_non_null(j); /* hostile strings still give valid JSON */
	assert_int_equal(bph_service_from_json(j, &b, err, sizeof(err)), 0);
	json_decref(j);
	char *second = dump(&b);
	assert_string_equal(first, second);
	assert_int_equal(b.ip, a.ip);
	assert_int_equal(b.port, 443);
	assert_int_equal(b.tcp.wscale, -1);
	assert_true(b.tls->self_signed);
	assert_string_equal(b.tls->cert_sha256, "ab01");
	assert_int_equal(b.tls->n_san, 2);
	assert_string_equal(b.ssh->hostkeys[0].sha256, "SHA256:abcDEF+/0");
	assert_true(b.http->has_favicon);
	assert_int_equal(b.http->favicon_mmh3, -1234567);
	/* invalid bytes became U+FFFD, one per byte; markup kept verbatim */
	assert_string_equal(b.http->title,
			    "<b>\"x\"</b>&\x01\xef\xbf\xbd\xef\xbf\xbd"
			    "\xef\xbf\xbd ok \xef\xbf\xbd\xef\xbf\xbd");
	assert_non_null(strstr(first, "\\u0001"));
	assert_null(strstr(first, "\"banner\":{")); /* absent: omitted */
	free(first);
	free(second);
	bph_service_clear(&a);
	bph_service_clear(&b);
}

static void test_contract_field_names(void **state)
{
	(void)state;
	struct bph_service a;
	fill(&a);
	json_t *j = bph_service_to_json(&a);
	assert_string_equal(json_string_value(json_object_get(j, "ip")),
			    "198.18.10.10");
	assert_string_equal(json_string_value(json_object_get(j, "state")),
			    "open");
	json_t *tls = json_object_get(j, "tls");
	assert_non_null(json_object_get(tls, "cert_sha256"));
	assert_non_null(json_object_get(tls, "jarm"));
	assert_true(json_is_array(json_object_get(tls, "san")));
	json_t *ssh = json_object_get(j, "ssh");
	assert_non_null(json_object_get(ssh, "hassh_server"));
	assert_true(json_is_array(json_object_get(ssh, "hostkeys")));
	json_t *http = json_object_get(j, "http");
	assert_int_equal(json_integer_value(json_object_get(http, "status")),
			 200);
	assert_true(json_is_integer(json_object_get(http, "favicon_mmh3")));
	assert_null(json_object_get(http, "body_sha256")); /* empty: omitted */
	/* 1795000000 s after the epoch, as RFC 3339 UTC. */
	assert_string_equal(json_string_value(json_object_get(j, "seen")),
			    "2026-11-18T11:06:40Z");
	json_decref(j);
	bph_service_clear(&a);
}

static void expect_bad(const char *text, const char *field)
{
	struct bph_service s = {0};
	char err[128] = "";
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	assert_int_equal(bph_service_from_json(j, &s, err, sizeof(err)),
			 BPH_ERR_FORMAT);
	assert_non_null(strstr(err, field));
	json_decref(j);
	bph_service_clear(&s);
}

static void test_bad_input_names_field(void **state)
{
	(void)state;
	expect_bad("{\"ip\":\"300.1.1.1\",\"port\":1}", "ip");
	expect_bad("{\"ip\":\"1.1.1.1\",\"port\":70000}", "port");
	expect_bad("{\"ip\":\"1.1.1.1\",\"port\":1,\"state\":\"weird\"}",
		   "state");
	expect_bad("{\"ip\":\"1.1.1.1\",\"port\":1,\"tls\":{\"cert_sha256\":"
		   "\"zz\"}}",
		   "tls.cert_sha256");
	expect_bad("{\"ip\":\"1.1.1.1\",\"port\":1,\"ssh\":{\"hostkeys\":[{"
		   "\"bits\":\"x\"}]}}",
		   "ssh.hostkeys[].bits");
	expect_bad("{\"ip\":\"1.1.1.1\",\"port\":1,\"tcp\":{\"ttl\":256}}",
		   "tcp.ttl");
	expect_bad("{\"ip\":\"1.1.1.1\",\"port\":1,\"seen\":\"yesterday\"}",
		   "seen");
	expect_bad("{\"ip\":\"1.1.1.1\",\"port\":1,\"seen\":179572178272178}",
		   "seen");
	expect_bad("{\"ip\":\"1.1.1.1\",\"port\":1,\"seen\":-5}", "seen");
	expect_bad("[1]", "record");
}

/* bph_ip_str's digits by hand, at every width of an octet. */
static void test_ip_str(void **state)
{
	static const struct {
		uint32_t ip;
		const char *s;
	} v[] = {{0u, "0.0.0.0"},
		 {1u, "0.0.0.1"},
		 {9u, "0.0.0.9"},
		 {10u, "0.0.0.10"},
		 {99u, "0.0.0.99"},
		 {100u, "0.0.0.100"},
		 {167797769u, "10.0.100.9"},
		 {3323068417u, "198.18.0.1"},
		 {2147483648u, "128.0.0.0"},
		 {4294967295u, "255.255.255.255"}};
	char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bph_ip_str(v[i].ip, out);
		assert_string_equal(out, v[i].s);
	}
}

static void test_jsonl_one_line(void **state)
{
	(void)state;
	struct bph_service a;
	char *buf = NULL;
	size_t len = 0;
	fill(&a);
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(bph_jsonl_write(f, &a), 0);
	assert_int_equal(bph_jsonl_write(f, &a), 0);
	fclose(f);
	char *nl = strchr(buf, '\n');
	assert_non_null(nl);
	assert_ptr_equal(strchr(nl + 1, '\n'), buf + len - 1);
	free(buf);
	bph_service_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_is_stable),
	    cmocka_unit_test(test_contract_field_names),
	    cmocka_unit_test(test_bad_input_names_field),
	    cmocka_unit_test(test_jsonl_one_line),
	    cmocka_unit_test(test_ip_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

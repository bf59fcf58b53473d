#include "store/import_zgrab.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"
#include "fingerprints/http_parse.h"
#include "fingerprints/ssh_wire.h"
#include "fingerprints/x509fp.h"

#define MAX_CERT (64 * 1024)
#define MAX_KEY	 (16 * 1024)
#define MAX_BODY (16 * 1024 * 1024)

/* j at the dotted path ("a.b.c"; a number indexes an array), or NULL. */
static const json_t *at(const json_t *j, const char *path)
{
	char key[64];

	while (j && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (json_is_array(j))
			j = json_array_get(j, strtoul(key, NULL, 10));
		else
			j = json_object_get(j, key);
		path += n + (path[n] == '.');
	}
	return j;
}

static const char *str_at(const json_t *j, const char *path)
{
	return json_string_value(at(j, path));
}

int bph_import_is_zgrab(const json_t *j)
{
	return json_is_object(json_object_get(j, "data")) &&
	       !json_object_get(j, "port");
}

/* The certificate of a zcrypto handshake_log into s->tls. */
static int tls_cert(const json_t *hs, struct bph_service *s,
		    struct bph_certcache *cc)
{
	const char *raw = str_at(hs, "server_certificates.certificate.raw");
	const json_t *chain = at(hs, "server_certificates.chain");
	size_t n = 0;
	uint8_t *der =
	    raw ? bph_import_b64(raw, strlen(raw), MAX_CERT, &n) : NULL;
	int rc = der ? 0 : BPH_ERR_FORMAT;
	bool fresh = !s->tls;

	if (!rc && fresh && !(s->tls = bph_tls_info_new()))
		rc = BPH_ERR_NOMEM;
	if (!rc)
		rc = bph_certcache_fill(cc, der, n, s->tls);
	if (!rc) {
		s->tls->chain_len = 1 + (int)json_array_size(chain);
	} else if (fresh) { /* no half-filled tls part */
		bph_tls_info_free(s->tls);
		s->tls = NULL;
	}
	free(der);
	return rc;
}

static int mod_tls(const json_t *res, struct bph_service *s,
		   struct bph_certcache *cc)
{
	return tls_cert(at(res, "handshake_log"), s, cc);
}

/* The KEXINIT lists of result.server_key_exchange, comma-joined. */
static int kexinit(const json_t *kx, struct bph_ssh_info *ssh)
{
	static const char *const names[10] = {"kex_algorithms",
					      "host_key_algorithms",
					      "client_to_server_ciphers",
					      "server_to_client_ciphers",
					      "client_to_server_macs",
					      "server_to_client_macs",
					      "client_to_server_compression",
					      "server_to_client_compression",
					      "client_to_server_languages",
					      "server_to_client_languages"};

	for (int i = 0; i < 10; i++) {
		const json_t *a = json_object_get(kx, names[i]), *v;
		size_t len = 1, k;
		json_array_foreach(a, k, v) len += json_string_length(v) + 1;
		if (len > 65536)
			return BPH_ERR_TOOBIG;
		if (!(ssh->kexinit[i] = calloc(1, len)))
			return BPH_ERR_NOMEM;
		json_array_foreach(a, k, v)
		{
			if (k)
				strcat(ssh->kexinit[i], ",");
			if (json_is_string(v))
				strcat(ssh->kexinit[i], json_string_value(v));
		}
	}
	return bph_hassh_server(ssh->kexinit, &ssh->hassh_server_algorithms,
				ssh->hassh_server);
}

static int mod_ssh(const json_t *res, struct bph_service *s,
		   struct bph_certcache *cc)
{
	(void)cc; /* no certificate */
	const char *banner = str_at(res, "server_id.raw");
	const char *key = str_at(res, "key_exchange.server_host_key.raw");
	const json_t *kx = at(res, "server_key_exchange");
	size_t n = 0;
	uint8_t *blob = NULL;
	int rc;

	if (!(s->ssh = bph_ssh_info_new()))
		return BPH_ERR_NOMEM;
	if (banner &&
	    !(s->ssh->banner = bph_strndup_cap(banner, strlen(banner), 255)))
		return BPH_ERR_NOMEM;
	if (json_is_object(kx) && (rc = kexinit(kx, s->ssh)))
		return rc;
	if (!key)
		return banner ? 0 : BPH_ERR_FORMAT;
	if (!(blob = bph_import_b64(key, strlen(key), MAX_KEY, &n)))
		return BPH_ERR_FORMAT;
	if (!(s->ssh->hostkeys = calloc(1, sizeof(*s->ssh->hostkeys))))
		rc = BPH_ERR_NOMEM;
	else if (!(rc = bph_sshkey_fingerprint(blob, n, s->ssh->hostkeys)))
		s->ssh->n_hostkeys = 1;
	free(blob);
	return rc;
}

static int http_body(const char *body, size_t len, struct bph_http_info *h)
{
	uint8_t md[SHA256_DIGEST_LENGTH];

	if (len > MAX_BODY)
		return BPH_ERR_TOOBIG;
	h->body_len = len;
	if (!len)
		return 0;
	SHA256((const uint8_t *)body, len, md);
	bph_hex(md, sizeof(md), h->body_sha256);
	h->title = bph_html_title((const uint8_t *)body, len);
	return 0;
}

static int mod_http(const json_t *res, struct bph_service *s,
		    struct bph_certcache *cc)
{
	const json_t *r = at(res, "response");
	const char *server = str_at(r, "headers.server.0");
	const char *line = str_at(r, "status_line");
	const char *scheme = str_at(r, "request.url.scheme");
	const json_t *body = json_object_get(r, "body");
	const json_t *hs = at(r, "request.tls_log.handshake_log");
	struct bph_http_info *h;
	int rc = 0;

	if (!json_is_object(r))
		return BPH_ERR_FORMAT;
	if (!(h = s->http = bph_http_info_new()))
		return BPH_ERR_NOMEM;
	h->status = (int)json_integer_value(json_object_get(r, "status_code"));
	h->tls = scheme && !strcmp(scheme, "https");
	if ((server && !(h->server = strdup(server))) ||
	    (line && !(h->status_line = strdup(line))))
		return BPH_ERR_NOMEM;
	if (json_is_string(body))
		rc = http_body(json_string_value(body),
			       json_string_length(body), h);
	if (!rc && hs && tls_cert(hs, s, cc) == BPH_ERR_NOMEM)
		rc = BPH_ERR_NOMEM;
	return rc;
}

struct module {
	const char *proto;
	uint16_t port;
	int (*fn)(const json_t *res, struct bph_service *s,
		  struct bph_certcache *cc);
};

static const struct module modules[] = {
    {"tls", 443, mod_tls}, {"ssh", 22, mod_ssh}, {"http", 80, mod_http}};

static const struct module *find_module(const char *name, const json_t *m)
{
	const char *proto = str_at(m, "protocol");

	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
		if (!strcmp(proto ? proto : name, modules[i].proto))
			return &modules[i];
	return NULL;
}

static uint16_t module_port(const struct module *mod, const json_t *m,
			    const struct bph_service *s)
{
	json_int_t p = json_integer_value(json_object_get(m, "port"));

	if (p > 0 && p <= 65535)
		return (uint16_t)p;
	if (s->http && s->http->tls)
		return 443;
	return mod->port;
}

static int one_module(const char *name, const json_t *m, uint32_t ip,
		      struct bph_certcache *cc, bph_import_cb cb, void *ctx,
		      size_t *bad, char *err, size_t errlen)
{
	const struct module *mod = find_module(name, m);
	const char *status = str_at(m, "status");
	struct bph_service s = {0};
	int rc;

	if (!mod || !status || strcmp(status, "success"))
		return 0;
	s.ip = ip;
	s.state = BPH_STATE_OPEN;
	s.seen = bph_import_time(str_at(m, "timestamp"));
	rc = mod->fn(json_object_get(m, "result"), &s, cc);
	s.port = module_port(mod, m, &s);
	if (!rc && !(s.proto = strdup(mod->proto)))
		rc = BPH_ERR_NOMEM;
	if (rc && rc != BPH_ERR_NOMEM) {
		(*bad)++;
		if (err && errlen)
			snprintf(err, errlen, "data.%s: %s", name,
				 bph_strerror(rc));
		rc = 0;
	} else if (!rc) {
		rc = cb(ctx, &s);
	}
	bph_service_clear(&s);
	return rc;
}

int bph_import_zgrab(const json_t *j, bph_import_cb cb, void *ctx, size_t *bad,
		     char *err, size_t errlen)
{
	return bph_import_zgrab_cc(j, NULL, cb, ctx, bad, err, errlen);
}

int bph_import_zgrab_cc(const json_t *j, struct bph_certcache *cc,
			bph_import_cb cb, void *ctx, size_t *bad, char *err,
			size_t errlen)
{
	const char *ipstr = str_at(j, "ip");
	const json_t *data = json_object_get(j, "data"), *m;
	const char *name;
	struct in_addr a;
	int rc = 0;

	*bad = 0;
	if (!ipstr || inet_pton(AF_INET, ipstr, &a) != 1 ||
	    !json_is_object(data)) {
		if (err && errlen)
			snprintf(err, errlen, "%s",
				 json_is_object(data)
				     ? "ip: expected a dotted-quad IPv4 string"
				     : "data: expected an object");
		return BPH_ERR_FORMAT;
	}
	json_object_foreach((json_t *)data, name, m)
	{
		rc = one_module(name, m, ntohl(a.s_addr), cc, cb, ctx, bad, err,
				errlen);
		if (rc)
			break;
	}
	return rc;
}

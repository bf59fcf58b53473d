#include "store/import_nmap.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/bio.h>
#include <openssl/pem.h>

#include "fingerprints/err.h"
#include "fingerprints/ssh_wire.h"
#include "fingerprints/x509fp.h"

#define MAX_CERT (64 * 1024)
#define MAX_KEY	 (16 * 1024)
#define MAX_KEYS 16

struct nctx {
	bph_import_cb cb;
	void *ctx;
	size_t *bad;
	char *err;
	size_t errlen;
};

static void skipped(struct nctx *n, const char *what, const char *ip,
		    unsigned port)
{
	(*n->bad)++;
	if (n->err && n->errlen)
		snprintf(n->err, n->errlen, "%s:%u: %s", ip, port, what);
}

static bool named(const xmlNode *x, const char *name)
{
	return x->type == XML_ELEMENT_NODE &&
	       !strcmp((const char *)x->name, name);
}

/* The value of attribute name (heap, xmlFree), or NULL. */
static char *attr(const xmlNode *x, const char *name)
{
	return (char *)xmlGetProp(x, (const xmlChar *)name);
}

static bool attr_is(const xmlNode *x, const char *name, const char *want)
{
	char *v = attr(x, name);
	bool eq = v && !strcmp(v, want);

	xmlFree(v);
	return eq;
}

/* The text of the first <elem key="key"> child of x (heap), or NULL. */
static char *elem(const xmlNode *x, const char *key)
{
	for (const xmlNode *c = x->children; c; c = c->next)
		if (named(c, "elem") && attr_is(c, "key", key))
			return (char *)xmlNodeGetContent(c);
	return NULL;
}

int bph_import_is_nmap(const char *buf, size_t len)
{
	size_t n = len < 4096 ? len : 4096;
	char head[4097];

	memcpy(head, buf, n);
	head[n] = '\0';
	return strstr(head, "<nmaprun") != NULL;
}

/* ssl-cert: the PEM element into s->tls. */
static int ssl_cert(const xmlNode *script, struct bph_service *s)
{
	char *pem = elem(script, "pem");
	BIO *bio = pem ? BIO_new_mem_buf(pem, -1) : NULL;
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long len = 0;
	int rc = BPH_ERR_FORMAT;

	if (bio && PEM_read_bio(bio, &name, &header, &der, &len) == 1 &&
	    !strcmp(name, "CERTIFICATE") && len > 0 && len <= MAX_CERT) {
		bool fresh = !s->tls;
		if (fresh && !(s->tls = bph_tls_info_new()))
			rc = BPH_ERR_NOMEM;
		else
			rc = bph_x509_fill(der, (size_t)len, s->tls);
		if (!rc) {
			s->tls->chain_len = 1;
		} else if (fresh) { /* no half-filled tls part */
			bph_tls_info_free(s->tls);
			s->tls = NULL;
		}
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	xmlFree(pem);
	return rc;
}

/* One ssh-hostkey table: its base64 key blob appended to s->ssh. */
static int ssh_key(const xmlNode *table, struct bph_ssh_info *ssh)
{
	char *b64 = elem(table, "key");
	size_t n = 0;
	uint8_t *blob =
	    b64 ? bph_import_b64(b64, strlen(b64), MAX_KEY, &n) : NULL;
	int rc = blob ? 0 : BPH_ERR_FORMAT;

	xmlFree(b64);
	if (!rc && ssh->n_hostkeys >= MAX_KEYS)
		rc = BPH_ERR_TOOBIG;
	if (!rc) {
		struct bph_ssh_hostkey *k =
		    realloc(ssh->hostkeys, (ssh->n_hostkeys + 1) * sizeof(*k));
		if (!k)
			rc = BPH_ERR_NOMEM;
		else
			ssh->hostkeys = k;
	}
	if (!rc)
		rc = bph_sshkey_fingerprint(blob, n,
					    &ssh->hostkeys[ssh->n_hostkeys]);
	if (!rc)
		ssh->n_hostkeys++;
	free(blob);
	return rc;
}

static int ssh_hostkey(const xmlNode *script, struct bph_service *s)
{
	int rc = 0, any = 0;

	if (!s->ssh && !(s->ssh = bph_ssh_info_new()))
		return BPH_ERR_NOMEM;
	for (const xmlNode *c = script->children; c && rc != BPH_ERR_NOMEM;
	     c = c->next)
		if (named(c, "table")) {
			rc = ssh_key(c, s->ssh);
			any += rc == 0;
		}
	return any ? 0 : rc ? rc : BPH_ERR_FORMAT;
}

static int http_title(const xmlNode *script, struct bph_service *s)
{
	char *t = elem(script, "title");
	int rc = t ? 0 : BPH_ERR_FORMAT;

	if (!rc && !s->http && !(s->http = bph_http_info_new()))
		rc = BPH_ERR_NOMEM;
	if (!rc && !(s->http->title = bph_strndup_cap(t, strlen(t), 1024)))
		rc = BPH_ERR_NOMEM;
	xmlFree(t);
	return rc;
}

/* Fills s from one <port> element's scripts; proto by what was found. */
static int port_scripts(struct nctx *n, const xmlNode *port,
			struct bph_service *s, const char *ip)
{
	static const struct {
		const char *id;
		int (*fn)(const xmlNode *, struct bph_service *);
	} scripts[] = {{"ssl-cert", ssl_cert},
		       {"ssh-hostkey", ssh_hostkey},
		       {"http-title", http_title}};

	for (const xmlNode *c = port->children; c; c = c->next) {
		if (!named(c, "script"))
			continue;
		for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]);
		     i++) {
			if (!attr_is(c, "id", scripts[i].id))
				continue;
			int rc = scripts[i].fn(c, s);
			if (rc == BPH_ERR_NOMEM)
				return rc;
			if (rc)
				skipped(n, scripts[i].id, ip, s->port);
		}
	}
	s->proto = strdup(s->ssh    ? "ssh"
			  : s->tls  ? "tls"
			  : s->http ? "http"
				    : "banner");
	return s->proto ? 0 : BPH_ERR_NOMEM;
}

static bool port_open(const xmlNode *port)
{
	for (const xmlNode *c = port->children; c; c = c->next)
		if (named(c, "state"))
			return attr_is(c, "state", "open");
	return false;
}

static int one_port(struct nctx *n, const xmlNode *port, uint32_t ip,
		    const char *ipstr, time_t seen)
{
	struct bph_service s = {0};
	char *num = attr(port, "portid");
	long v = num ? strtol(num, NULL, 10) : -1;
	int rc = 0;

	xmlFree(num);
	if (!attr_is(port, "protocol", "tcp") || !port_open(port))
		return 0;
	if (v < 1 || v > 65535) {
		skipped(n, "bad portid", ipstr, 0);
		return 0;
	}
	s.ip = ip;
	s.port = (uint16_t)v;
	s.state = BPH_STATE_OPEN;
	s.seen = seen;
	rc = port_scripts(n, port, &s, ipstr);
	if (!rc)
		rc = n->cb(n->ctx, &s);
	bph_service_clear(&s);
	return rc;
}

/* The host's IPv4 address (host order) and its text; false if none. */
static bool host_ip(const xmlNode *host, uint32_t *ip, char text[16])
{
	for (const xmlNode *c = host->children; c; c = c->next) {
		if (!named(c, "address") || !attr_is(c, "addrtype", "ipv4"))
			continue;
		char *a = attr(c, "addr");
		struct in_addr in;
		bool ok = a && inet_pton(AF_INET, a, &in) == 1;
		xmlFree(a);
		if (ok) {
			*ip = ntohl(in.s_addr);
			bph_ip_str(*ip, text);
		}
		return ok;
	}
	return false;
}

static int one_host(struct nctx *n, const xmlNode *host)
{
	char ipstr[16], *start = attr(host, "starttime");
	long long t = start ? strtoll(start, NULL, 10) : 0;
	time_t seen = t > 0 ? (time_t)t : 0;
	uint32_t ip;
	int rc = 0;

	xmlFree(start);
	if (!host_ip(host, &ip, ipstr))
		return 0; /* IPv6 or MAC only: not clustered */
	for (const xmlNode *c = host->children; c && !rc; c = c->next) {
		if (!named(c, "ports"))
			continue;
		for (const xmlNode *p = c->children; p && !rc; p = p->next)
			if (named(p, "port"))
				rc = one_port(n, p, ip, ipstr, seen);
	}
	return rc;
}

int bph_import_nmap(const char *buf, size_t len, bph_import_cb cb, void *ctx,
		    size_t *bad, char *err, size_t errlen)
{
	struct nctx n = {cb, ctx, bad, err, errlen};
	xmlDoc *doc = NULL;
	const xmlNode *root;
	int rc = 0;

	*bad = 0;
	if (len > INT32_MAX)
		return BPH_ERR_TOOBIG;
	doc = xmlReadMemory(buf, (int)len, "nmap.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
				XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root || !named(root, "nmaprun")) {
		if (err && errlen)
			snprintf(err, errlen, "%s",
				 doc ? "not an nmaprun document"
				     : "not well-formed XML");
		rc = BPH_ERR_FORMAT;
	}
	for (const xmlNode *h = root ? root->children : NULL; h && !rc;
	     h = h->next)
		if (named(h, "host"))
			rc = one_host(&n, h);
	xmlFreeDoc(doc);
	return rc;
}

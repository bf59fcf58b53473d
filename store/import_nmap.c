/*
 * import_nmap.c - nmap XML (-oX) read as a stream with libxml2's reader:
 * one <port> element at a time is expanded into a tree and turned into a
 * record, so memory stays bounded by the largest port element whatever the
 * file's size. Documents that declare entities are refused before any is
 * expanded. A certificate seen before is decoded once (store/certcache.c).
 * Contract in store/import_nmap.h.
 */
#include "store/import_nmap.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>
#include <openssl/bio.h>
#include <openssl/pem.h>

#include "fingerprints/err.h"
#include "fingerprints/ssh_wire.h"
#include "fingerprints/x509fp.h"

#define MAX_CERT   (64 * 1024)
#define MAX_KEY	   (16 * 1024)
#define MAX_KEYS   16
#define CERT_SLOTS 4096 /* certificates remembered (as import_lines.c) */

struct nctx {
	bph_import_cb cb;
	void *ctx;
	size_t *bad;
	char *err;
	size_t errlen;
	char xml_err[160]; /* libxml2's first error, with its line */
	/* decoded certificates: a sweep's hosts share CDN and vendor ones;
	 * NULL (no memory) decodes every one */
	struct bph_certcache *cc;
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
	size_t i = 0;

	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		i = 3; /* a UTF-8 byte order mark */
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
			   buf[i] == '\n'))
		i++;
	return i < len && buf[i] == '<';
}

/* ssl-cert: the PEM element into s->tls. */
static int ssl_cert(struct nctx *n, const xmlNode *script,
		    struct bph_service *s)
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
			rc =
			    bph_certcache_fill(n->cc, der, (size_t)len, s->tls);
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

static int ssh_hostkey(struct nctx *n, const xmlNode *script,
		       struct bph_service *s)
{
	(void)n;
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

static int http_title(struct nctx *n, const xmlNode *script,
		      struct bph_service *s)
{
	(void)n;
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
		int (*fn)(struct nctx *, const xmlNode *, struct bph_service *);
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
			int rc = scripts[i].fn(n, c, s);
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

/* An <address> element's IPv4 address (host order) and its text. */
static bool address_ipv4(const xmlNode *a, uint32_t *ip, char text[16])
{
	char *v = attr_is(a, "addrtype", "ipv4") ? attr(a, "addr") : NULL;
	struct in_addr in;
	bool ok = v && inet_pton(AF_INET, v, &in) == 1;

	xmlFree(v);
	if (ok) {
		*ip = ntohl(in.s_addr);
		bph_ip_str(*ip, text);
	}
	return ok;
}

/* Where the reader is inside the current <host>. */
struct host_state {
	bool has_ip;
	uint32_t ip;
	char ipstr[16];
	time_t seen;
};

/* Any entity declared in the document's DTD: refused, since expanding
 * internal entities is how a small file takes gigabytes (nmap never
 * declares one). */
static bool declares_entities(xmlTextReaderPtr r)
{
	/* not xmlTextReaderCurrentDoc(): it makes the reader keep every
	 * node it reads, so memory would grow with the file */
	xmlNodePtr n = xmlTextReaderCurrentNode(r);
	xmlDtdPtr dtd = !n			  ? NULL
			: n->type == XML_DTD_NODE ? (xmlDtdPtr)n
			: n->doc		  ? n->doc->intSubset
						  : NULL;

	return dtd && (dtd->entities || dtd->pentities);
}

static int refuse(struct nctx *n, const char *why)
{
	if (n->err && n->errlen)
		snprintf(n->err, n->errlen, "%s", why);
	return BPH_ERR_FORMAT;
}

static void host_start(xmlTextReaderPtr r, struct host_state *h)
{
	xmlChar *start = xmlTextReaderGetAttribute(r, BAD_CAST "starttime");
	long long t = start ? strtoll((const char *)start, NULL, 10) : 0;

	xmlFree(start);
	memset(h, 0, sizeof(*h));
	h->seen = t > 0 ? (time_t)t : 0;
}

/* An element at depth 2 (in a <host>) or 3 (a <port> in <ports>). */
static int host_child(struct nctx *n, xmlTextReaderPtr r, int depth,
		      const char *name, struct host_state *h)
{
	const xmlNode *x;

	if (depth == 2 && !strcmp(name, "address") && !h->has_ip) {
		x = xmlTextReaderExpand(r);
		h->has_ip = x && address_ipv4(x, &h->ip, h->ipstr);
	} else if (depth == 3 && !strcmp(name, "port") && h->has_ip) {
		x = xmlTextReaderExpand(r);
		if (!x)
			return refuse(n, "not well-formed XML");
		return one_port(n, x, h->ip, h->ipstr, h->seen);
	} /* IPv6 or MAC only: not clustered */
	return 0;
}

/* Whether the reader should skip the subtree of this element: everything
 * but <nmaprun>, <host> and a host's <ports> (their children matter). */
static bool skip_subtree(int depth, const char *name)
{
	if (depth == 0)
		return false;
	if (depth == 1)
		return strcmp(name, "host") != 0;
	if (depth == 2)
		return strcmp(name, "ports") != 0;
	return true;
}

/* One element start: 0 or an error; *skip whether to skip its subtree. */
static int element(struct nctx *n, xmlTextReaderPtr r, struct host_state *h,
		   bool *skip)
{
	int depth = xmlTextReaderDepth(r);
	const char *name = (const char *)xmlTextReaderConstLocalName(r);

	if (!name)
		return refuse(n, "not well-formed XML");
	if (depth == 0 && strcmp(name, "nmaprun"))
		return refuse(n, "not an nmaprun document");
	*skip = skip_subtree(depth, name);
	if (depth == 1 && !*skip)
		host_start(r, h);
	return depth >= 2 ? host_child(n, r, depth, name, h) : 0;
}

/* Reads to the end; 0 or the first error. */
static int read_all(struct nctx *n, xmlTextReaderPtr r)
{
	struct host_state h = {0};
	bool root = false;
	int ret = xmlTextReaderRead(r), rc = 0;

	while (ret == 1 && !rc) {
		bool skip = false;

		if (declares_entities(r))
			return refuse(n, "the document declares entities "
					 "(nmap XML never does): refused");
		if (xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT) {
			root = true;
			rc = element(n, r, &h, &skip);
		}
		ret = skip ? xmlTextReaderNext(r) : xmlTextReaderRead(r);
	}
	if (!rc && ret != 0) {
		char why[256];
		snprintf(why, sizeof(why), "not well-formed XML%s%s",
			 n->xml_err[0] ? ": " : "", n->xml_err);
		rc = refuse(n, why);
	}
	if (!rc && !root)
		rc = refuse(n, "not an nmaprun document");
	return rc;
}

/* Keeps libxml2's first error message (one line, with its line number). */
static void xml_error(void *arg, const char *msg, xmlParserSeverities sev,
		      xmlTextReaderLocatorPtr loc)
{
	struct nctx *n = arg;
	size_t len;

	if (n->xml_err[0] || (sev != XML_PARSER_SEVERITY_ERROR &&
			      sev != XML_PARSER_SEVERITY_VALIDITY_ERROR))
		return;
	snprintf(n->xml_err, sizeof(n->xml_err), "line %d: %s",
		 xmlTextReaderLocatorLineNumber(loc), msg ? msg : "?");
	len = strcspn(n->xml_err, "\n");
	n->xml_err[len] = '\0';
}

int bph_import_nmap_stream(bph_import_read_fn rd, void *rctx, bph_import_cb cb,
			   void *ctx, size_t *bad, char *err, size_t errlen)
{
	struct nctx n = {cb, ctx, bad, err, errlen, "", NULL};
	xmlTextReaderPtr r;
	int rc;

	*bad = 0;
	n.cc = bph_certcache_new(CERT_SLOTS);
	/* no NOENT (no substitution), no DTDLOAD, no network, no HUGE: the
	 * parser's default limits on names and text nodes stay on */
	r = xmlReaderForIO(rd, NULL, rctx, "nmap.xml", NULL, XML_PARSE_NONET);
	if (!r) {
		bph_certcache_free(n.cc);
		return BPH_ERR_NOMEM;
	}
	xmlTextReaderSetErrorHandler(r, xml_error, &n);
	rc = read_all(&n, r);
	xmlFreeTextReader(r);
	bph_certcache_free(n.cc);
	return rc;
}

struct mem_src {
	const char *p;
	size_t left;
};

static int mem_read(void *ctx, char *buf, int len)
{
	struct mem_src *m = ctx;
	size_t n = m->left < (size_t)len ? m->left : (size_t)len;

	memcpy(buf, m->p, n);
	m->p += n;
	m->left -= n;
	return (int)n;
}

int bph_import_nmap(const char *buf, size_t len, bph_import_cb cb, void *ctx,
		    size_t *bad, char *err, size_t errlen)
{
	struct mem_src m = {buf, len};

	return bph_import_nmap_stream(mem_read, &m, cb, ctx, bad, err, errlen);
}

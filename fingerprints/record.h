/*
 * record.h - the data model of one observed service (ip, port).
 *
 * A bph_service is filled in stages: the SYN scanner sets ip, port, state
 * and tcp; the application probes attach tls, ssh, http and banner; the store
 * and the JSON Lines writer read it. Field names follow the output contract
 * in docs/output.md. Every char * is a heap NUL-terminated string owned by
 * the record (NULL when unknown); strings that came from the network are
 * stored as received up to their caps, and escaped only by the writers.
 * bph_service_free() releases everything, including the sub-objects.
 */
#ifndef BPH_FINGERPRINTS_RECORD_H
#define BPH_FINGERPRINTS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum bph_port_state {
	BPH_STATE_UNKNOWN = 0,
	BPH_STATE_OPEN,	    /* SYN-ACK */
	BPH_STATE_CLOSED,   /* RST */
	BPH_STATE_FILTERED, /* no answer after retries, or ICMP unreachable */
};

/* TCP/IP stack traits of one SYN-ACK (fingerprints/tcp_sig.h fills it). */
struct bph_tcp_traits {
	bool present;
	uint8_t ttl;	 /* observed IP TTL */
	uint8_t ittl;	 /* inferred initial TTL: 32, 64, 128 or 255 */
	uint8_t hops;	 /* ittl - ttl */
	uint16_t window; /* raw, unscaled */
	uint16_t mss;	 /* 0 when absent */
	int8_t wscale;	 /* -1 when absent */
	bool df;
	uint16_t ipid;
	uint8_t olen;	  /* IPv4 option bytes */
	bool has_ts;	  /* timestamps option present */
	uint32_t tsval;	  /* the server's TSval */
	uint32_t tsecr;	  /* the TSval of our SYN, echoed (RTT measurement) */
	char options[96]; /* p0f olayout, e.g. "mss,sok,ts,nop,ws" */
	char quirks[96];  /* p0f quirks, e.g. "df" */
	char sig[192];	  /* p0f v3 raw_sig:
			     ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass */
};

struct bph_tls_info {
	char *error;	      /* handshake failure, if any */
	char *version;	      /* negotiated, e.g. "TLSv1.3" */
	char *cipher;	      /* negotiated cipher, OpenSSL name */
	char *alpn;	      /* negotiated ALPN, if any */
	char cert_sha256[65]; /* leaf DER, lower-case hex; "" if none */
	char cert_sha1[41];
	char spki_sha256[65]; /* DER SubjectPublicKeyInfo of the leaf */
	char *subject;	      /* RFC 2253 string */
	char *issuer;
	char *serial;	  /* lower-case hex, no separators */
	char *not_before; /* RFC 3339, UTC */
	char *not_after;
	char **san; /* DNS names and IP addresses, as text */
	size_t n_san;
	bool self_signed; /* issuer == subject and the signature verifies */
	char *key_type;	  /* "RSA", "EC", "ED25519", ... */
	int key_bits;
	char *sig_alg;	     /* e.g. "sha256WithRSAEncryption" */
	int chain_len;	     /* certificates the server sent */
	char ja3s[33];	     /* md5 hex of ja3s_full; "" if no ServerHello */
	char *ja3s_full;     /* "771,4865,43-51" */
	char jarm[63];	     /* 62 hex chars; "" when JARM was not run */
	char *jarm_raw;	     /* the ten probe results joined by "," */
	char *sh_extensions; /* ServerHello extension types in wire order,
				"002b-0033" */
};

struct bph_ssh_hostkey {
	char *type; /* "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa", ... */
	char sha256[64]; /* "SHA256:" + base64 without padding, as ssh-keygen -l
			  */
	char md5[64];	 /* "MD5:" + colon hex, as ssh-keygen -l -E md5 */
	int bits;	 /* key size as ssh-keygen reports it */
};

struct bph_ssh_info {
	char *error;
	char *banner;		       /* identification line without CR LF */
	char hassh_server[33];	       /* md5 hex of hassh_server_algorithms */
	char *hassh_server_algorithms; /* "kex;enc_s2c;mac_s2c;cmp_s2c" */
	char *kexinit[10]; /* the ten KEXINIT name-lists, verbatim, indexed
			     by enum bph_kex_list (fingerprints/ssh_wire.h) */
	struct bph_ssh_hostkey *hostkeys;
	size_t n_hostkeys;
};

struct bph_http_info {
	char *error;
	bool tls; /* HTTPS: request sent inside TLS */
	int status;
	char *status_line;
	char *server;	  /* Server header, verbatim */
	char *powered_by; /* X-Powered-By */
	char *location;	  /* Location header of a redirect */
	char *title;	  /* decoded <title>, control characters removed */
	char **headers;	  /* header names in response order, original case */
	size_t n_headers;
	char header_hash[80]; /* HHHash: "hhh:1:" + sha256 hex */
	char body_sha256[65];
	int32_t body_mmh3; /* Shodan http.html_hash style */
	size_t body_len;
	bool has_favicon;
	int32_t favicon_mmh3; /* Shodan http.favicon.hash */
	char favicon_sha256[65];
	char *favicon_url;
};

struct bph_banner_info {
	char *error;
	char *text;	 /* printable rendering (non-printables as \xNN) */
	char sha256[65]; /* of the raw bytes */
	size_t len;
};

struct bph_service {
	uint32_t ip; /* IPv4, host byte order */
	uint16_t port;
	enum bph_port_state state;
	time_t seen; /* when the SYN-ACK (or final verdict) arrived */
	struct bph_tcp_traits tcp;
	char *proto; /* detected by content: "tls", "ssh", "http", "banner" */
	struct bph_tls_info *tls; /* optional sub-objects, NULL if absent */
	struct bph_ssh_info *ssh;
	struct bph_http_info *http;
	struct bph_banner_info *banner;
};

/* Allocates zeroed sub-objects; NULL on allocation failure. */
struct bph_tls_info *bph_tls_info_new(void);
struct bph_ssh_info *bph_ssh_info_new(void);
struct bph_http_info *bph_http_info_new(void);
struct bph_banner_info *bph_banner_info_new(void);
void bph_tls_info_free(struct bph_tls_info *t);
void bph_ssh_info_free(struct bph_ssh_info *s);
void bph_http_info_free(struct bph_http_info *h);
void bph_banner_info_free(struct bph_banner_info *b);

/*
 * Receives one record, borrowed for the duration of the call. The scanner
 * hands its verdicts through it, the store's resume state filters them,
 * and the CLI collects them, so none of the three needs the others'
 * headers.
 */
typedef void (*bph_service_cb)(void *ctx, const struct bph_service *svc);

/* Frees everything the record owns (not the record itself); NULL-safe. */
void bph_service_clear(struct bph_service *s);

/* strdup that caps at max bytes; NULL in gives NULL out. */
char *bph_strndup_cap(const char *s, size_t len, size_t max);

/* "a.b.c.d" for a host-order address; out has at least 16 bytes. */
void bph_ip_str(uint32_t ip, char out[16]);

/*
 * Artifacts: the (kind, value) pairs a record contributes to clustering.
 * Kinds are the names used in evidence ("cert_sha256", "spki_sha256",
 * "ssh_hostkey", "hassh", "jarm", "ja3s", "favicon", "body_sha256",
 * "title", "header_hash", "server", "tcp_sig"), plus "cert_subject" and
 * "cert_issuer" (the leaf's subject and issuer, RFC 2253), which the
 * clustering does not link on. The
 * callback borrows both strings for the duration of the call.
 */
typedef void (*bph_artifact_cb)(void *ctx, const char *kind, const char *value,
				uint16_t port);
void bph_service_artifacts(const struct bph_service *s, bph_artifact_cb cb,
			   void *ctx);

#endif

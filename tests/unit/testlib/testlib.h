/*
 * testlib.h - helpers shared by the unit tests (tests/unit/test_*.c).
 *
 * Every helper here only ever touches 127.0.0.1 and directories made with
 * mkdtemp under /tmp; none sends a byte anywhere else, and the two command
 * runners run only what the calling test passes (which keeps to the same
 * rule). Helpers that say they assert use cmocka's assert_* and fail the
 * running test on error.
 */
#ifndef BPH_TESTS_TESTLIB_H
#define BPH_TESTS_TESTLIB_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A temporary directory holding a self-signed certificate (c.pem) and its
 * key (k.pem), and at most one `openssl s_server` on 127.0.0.1 using them.
 * dir is empty when the tools were missing (the test should skip).
 */
struct bph_test_tls {
	char dir[64];
	pid_t server; /* 0 when no server runs */
	uint16_t port;
};

/*
 * A store's folder for one test (cmocka setup and teardown): the setup
 * makes dir with mkdtemp under /tmp, db is dir/s.db (not created), and
 * *state is the struct, which the teardown removes with the folder.
 */
struct bph_test_dir {
	char dir[64], db[128];
};
int bph_test_dir_setup(void **state);
int bph_test_dir_teardown(void **state);

struct bph_graph;

/*
 * Asserts that graphs a and b are the same: the same hosts, artifacts
 * (kind and value) and incidences (host, artifact, port, first and last
 * seen), in the same order. Reads both; owns neither.
 */
void bph_test_assert_same_graph(const struct bph_graph *a,
				const struct bph_graph *b);

/*
 * Runs cmd with /bin/sh (system()). Returns its exit status, or -1 if it
 * did not exit normally. Owns nothing; cmd is the caller's, and reaches
 * only what cmd names (tests pass local tools on their temp dirs).
 */
int bph_test_run(const char *cmd);

/*
 * Runs argv[0] (looked up on PATH) with argv, stdin, stdout and stderr on
 * /dev/null, and waits for it. Returns its exit status, or -1 if it could
 * not be started or did not exit normally. argv is the caller's; like
 * bph_test_run it reaches only what argv names.
 */
int bph_test_run_argv(char *const argv[]);

/*
 * A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0,
 * read back, closed); owns nothing afterwards. Asserts. Returns the port
 * in host order.
 */
uint16_t bph_test_free_port(void);

/*
 * A socket listening on 127.0.0.1:port (SO_REUSEADDR, backlog 64), or -1.
 * The caller owns and closes it.
 */
int bph_test_listen_lo(uint16_t port);

/*
 * A child process serving a socket listening on a free port of 127.0.0.1:
 * it runs serve(fd, arg) and exits, and dies with the test (PDEATHSIG);
 * SIGPIPE is ignored there. The port goes into *port, the child's pid
 * into *pid (the caller stops it with SIGTERM and waits). Returns 0, or
 * -1 when the socket or the fork failed. arg is read in the child only.
 */
int bph_test_serve_lo(uint16_t *port, pid_t *pid,
		      void (*serve)(int fd, const void *arg), const void *arg);

/*
 * A TCP connection to 127.0.0.1:port with 5 s send and receive timeouts.
 * Touches only 127.0.0.1. Returns the socket, owned by the caller (close
 * it), or -1.
 */
int bph_test_connect_lo(uint16_t port);

/*
 * Sends req (n bytes) on a new connection to 127.0.0.1:port, then reads
 * into buf until the first TLS record (5-byte header plus its length) is
 * complete, the peer closes or cap bytes are in. Asserts that the
 * connection and the send succeed. Returns the bytes read; the socket is
 * shut down and closed.
 */
size_t bph_test_tls_exchange(uint16_t port, const uint8_t *req, size_t n,
			     uint8_t *buf, size_t cap);

/*
 * Fills t: when every program in tools (space-separated) is on PATH,
 * creates a directory from tmpl (a mkdtemp template under /tmp) and a
 * self-signed certificate for CN=localhost whose key is made with
 * `openssl req -newkey <newkey>` (e.g. "rsa:2048"). Returns 0 (also when a
 * tool is missing: then t->dir stays empty) or -1 when the directory or the
 * certificate could not be made. t owns the directory until
 * bph_test_tls_teardown.
 */
int bph_test_tls_setup(struct bph_test_tls *t, const char *tmpl,
		       const char *newkey, const char *tools);

/*
 * Stops t's server if one runs and removes t's directory with everything
 * in it. Returns 0. Safe on a t that bph_test_tls_setup left empty.
 */
int bph_test_tls_teardown(struct bph_test_tls *t);

/*
 * Starts `openssl s_server -accept 127.0.0.1:<free port> -cert -key -www
 * -quiet` plus extra (space-separated arguments, "" for none), output to
 * /dev/null, and waits up to 5 s until it accepts. Sets t->server and
 * t->port; t owns the process until bph_test_tls_stop. Asserts.
 */
void bph_test_tls_start(struct bph_test_tls *t, const char *extra);

/*
 * Stops t's server (SIGTERM, then waits for it) and gives up its ownership:
 * t->server becomes 0. Touches only that process.
 */
void bph_test_tls_stop(struct bph_test_tls *t);

/*
 * Decodes the hex string h into out (at most cap bytes). Asserts that it
 * fits and is hex. Returns the number of bytes written. No I/O; owns
 * nothing.
 */
size_t bph_test_unhex(const char *h, uint8_t *out, size_t cap);

/*
 * Writes the lower-case hex SHA-256 of n bytes at p into the caller's out
 * (NUL-terminated). Asserts the digest succeeds. No I/O; owns nothing.
 */
void bph_test_sha256_hex(const uint8_t *p, size_t n, char out[65]);

/*
 * Writes o's chunks to f, one line each: its number of entries, ':' and
 * its bytes in hex, until n_chunks or an empty chunk (asserts that every
 * chunk is given).
 */
struct bph_sweep_snap_out;
void bph_test_dump_chunks(FILE *f, const struct bph_sweep_snap_out *o);

/*
 * n records of bphound JSON Lines, one host each (198.18.0.0 on), with
 * two artifacts each: an SSH HASSH shared by every seventh host and a
 * host key by every hundredth. A new string the caller frees (its
 * length in *len); asserts the allocation.
 */
char *bph_test_records(size_t n, size_t *len);

#endif

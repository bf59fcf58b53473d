/*
 * recv.c - the capture of SYN scan replies: the unprivileged capture child
 * (libpcap opened as root, then the drop and the seccomp filter, then
 * frames decoded, validated and sent as capture_msg.h messages) and the
 * scanner's reader thread. Contract in recv.h; the design in
 * docs/architecture.md ("Privileges").
 */
#include "scanner/recv.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fingerprints/err.h"
#include "fingerprints/tcp_sig.h"

#define SNAPLEN	     256
#define BUFFER_BYTES (64 * 1024 * 1024)
#define CAP_FD	     3	   /* the child's end of the pair */
#define OUT_BYTES    65536 /* the child's batch of messages */
#define IN_BYTES     65536 /* the reader's buffer */
#define STOP_WAIT_S  10	   /* for the child's last messages */

/* ---- the child ---------------------------------------------------------- */

struct child {
	const struct bph_recv_cfg *cfg;
	pcap_t *pc;
	enum bph_linktype link;
	uint64_t frames;
	size_t n;
	uint8_t out[OUT_BYTES];
};

static void child_write(const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(CAP_FD, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			_exit(1); /* the scanner is gone */
		p += k;
		n -= (size_t)k;
	}
}

static void child_flush(struct child *c)
{
	child_write(c->out, c->n);
	c->n = 0;
}

static void child_send(struct child *c, const struct bph_cap_msg *m)
{
	if (sizeof(c->out) - c->n < BPH_CAP_MSG_MAX)
		child_flush(c);
	c->n += bph_cap_encode(m, c->out + c->n, sizeof(c->out) - c->n);
}

/* One frame: decode once, validate, traits of a SYN-ACK, queue. */
static void on_packet(u_char *user, const struct pcap_pkthdr *h,
		      const u_char *bytes)
{
	struct child *c = (struct child *)user;
	struct bph_cap_msg m;
	struct bph_frame f;
	enum bph_reply kind;
	uint32_t ip;
	uint16_t port;

	c->frames++;
	if (bph_frame_decode(bytes, h->caplen, c->link, &f))
		return;
	kind = bph_validate_frame(c->cfg->key, c->cfg->our_ip, &f, &ip, &port);
	if (kind == BPH_REPLY_NONE)
		return;
	memset(&m, 0, sizeof(m));
	m.type = kind == BPH_REPLY_SYNACK ? BPH_CAP_OPEN : BPH_CAP_SHORT;
	m.kind = kind;
	m.ip = ip;
	m.port = port;
	if (kind == BPH_REPLY_SYNACK &&
	    bph_tcp_traits_parse(f.ip, f.ip_len, c->cfg->syn_mss, &m.tcp))
		memset(&m.tcp, 0, sizeof(m.tcp));
	child_send(c, &m);
}

/* Reads until the scanner shuts its end, then drains and says its counts. */
static void child_loop(struct child *c)
{
	struct pollfd p[2] = {{pcap_get_selectable_fd(c->pc), POLLIN, 0},
			      {CAP_FD, POLLIN, 0}};
	struct bph_cap_msg m = {.type = BPH_CAP_STATS};
	struct pcap_stat ps;
	bool stop = false;

	while (!stop) {
		if (poll(p, 2, 50) < 0 && errno != EINTR)
			_exit(1);
		stop = p[1].revents != 0;
		while (pcap_dispatch(c->pc, -1, on_packet, (u_char *)c) > 0)
			;
		child_flush(c);
	}
	m.frames = c->frames;
	if (pcap_stats(c->pc, &ps) == 0)
		m.dropped = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
	child_send(c, &m);
	child_flush(c);
}

static int set_filter(pcap_t *pc, uint32_t our_ip, char *err, size_t errlen)
{
	struct bpf_program prog;
	char expr[320];

	snprintf(expr, sizeof(expr),
		 "dst host %u.%u.%u.%u and ((tcp and "
		 "(tcp[tcpflags] & tcp-rst != 0 or "
		 "tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack))) or "
		 "(icmp and icmp[icmptype] == icmp-unreach))",
		 our_ip >> 24, (our_ip >> 16) & 255, (our_ip >> 8) & 255,
		 our_ip & 255);
	if (pcap_compile(pc, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
	    pcap_setfilter(pc, &prog) < 0) {
		snprintf(err, errlen, "pcap filter: %s", pcap_geterr(pc));
		return BPH_ERR_IO;
	}
	pcap_freecode(&prog);
	return 0;
}

static int open_pcap(struct child *c, const char *iface, uint32_t our_ip,
		     char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int rc, dlt;

	c->pc = pcap_create(iface, ebuf);
	if (!c->pc) {
		snprintf(err, errlen, "pcap %s: %s", iface, ebuf);
		return BPH_ERR_IO;
	}
	pcap_set_snaplen(c->pc, SNAPLEN);
	pcap_set_immediate_mode(c->pc, 1);
	pcap_set_buffer_size(c->pc, BUFFER_BYTES);
	pcap_set_timeout(c->pc, 50);
	rc = pcap_activate(c->pc);
	if (rc < 0) {
		snprintf(err, errlen, "pcap %s: %s", iface, pcap_geterr(c->pc));
		return rc == PCAP_ERROR_PERM_DENIED ? BPH_ERR_PERM : BPH_ERR_IO;
	}
	dlt = pcap_datalink(c->pc);
	if (dlt != DLT_EN10MB && dlt != DLT_RAW) {
		snprintf(err, errlen, "pcap %s: unsupported link type %s",
			 iface, pcap_datalink_val_to_name(dlt));
		return BPH_ERR_IO;
	}
	c->link = dlt == DLT_RAW ? BPH_LINK_RAW : BPH_LINK_ETHERNET;
	pcap_setdirection(c->pc, PCAP_D_IN);
	if (pcap_setnonblock(c->pc, 1, ebuf) < 0) {
		snprintf(err, errlen, "pcap %s: %s", iface, ebuf);
		return BPH_ERR_IO;
	}
	return set_filter(c->pc, our_ip, err, errlen);
}

/* Keeps stderr and the pair's end as CAP_FD: not the store, the raw
 * send sockets or the probe worker's socket; stdin and stdout become
 * /dev/null. */
static int child_fds(int fd)
{
	if (fd != CAP_FD && dup2(fd, CAP_FD) != CAP_FD)
		return -1;
	if (close_range(CAP_FD + 1, ~0u, 0) != 0)
		return -1;
	return bph_sandbox_null_stdio();
}

/* The capture opened as root, then the drop; the first message says how
 * it went (the text made printable: the scanner refuses anything else). */
static void child_main(int fd, const struct bph_recv_cfg *cfg)
{
	struct child *c = calloc(1, sizeof(*c));
	struct bph_cap_msg m = {.type = BPH_CAP_HELLO};
	struct bph_identity id;
	sigset_t none;
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the scanner */
	signal(SIGINT, SIG_IGN);	  /* the scanner decides on those */
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	if (!c || child_fds(fd) != 0)
		_exit(1);
	c->cfg = cfg;
	rc = cfg->id ? 0 : bph_identity_pick(NULL, &id, m.err, sizeof(m.err));
	if (cfg->id)
		id = *cfg->id;
	if (rc == 0)
		rc =
		    open_pcap(c, cfg->iface, cfg->our_ip, m.err, sizeof(m.err));
	if (rc == 0)
		rc = bph_privs_drop(&id, m.err, sizeof(m.err));
	if (rc == 0)
		rc = bph_sandbox_enter(BPH_SANDBOX_CAPTURE, m.err,
				       sizeof(m.err));
	for (char *p = m.err; *p; p++)
		*p = *p < 0x20 || *p > 0x7e ? '?' : *p;
	m.rc = rc;
	child_send(c, &m);
	child_flush(c);
	if (rc == 0)
		child_loop(c);
	_exit(0);
}

/* ---- the scanner's side ------------------------------------------------- */

struct bph_receiver {
	pid_t pid;
	int fd;
	pthread_t thread;
	bph_reply_cb cb;
	void *ctx;
	struct bph_cap_scope scope;
	struct bph_recv_stats st;
	bool got_stats, broken;
	size_t have;
	uint8_t in[IN_BYTES];
};

pid_t bph_receiver_pid(const struct bph_receiver *r)
{
	return r->pid;
}

/* Handles the whole messages buffered; false when the stream is broken. */
static bool drain(struct bph_receiver *r)
{
	struct bph_cap_msg m;
	size_t off = 0, used;
	int rc;

	while (off < r->have) {
		rc = bph_cap_decode(r->in + off, r->have - off, &r->scope, &m,
				    &used);
		if (rc == BPH_ERR_TRUNCATED)
			break;
		if (rc == BPH_ERR_FORMAT || r->got_stats ||
		    (rc == 0 && m.type == BPH_CAP_HELLO))
			return false;
		off += used;
		if (rc == BPH_ERR_REFUSED)
			r->st.refused++;
		else if (m.type == BPH_CAP_STATS) {
			r->got_stats = true;
			r->st.frames = m.frames;
			r->st.dropped = m.dropped;
		} else
			r->cb(r->ctx, &m);
	}
	memmove(r->in, r->in + off, r->have - off);
	r->have -= off;
	return true;
}

static void *reader(void *arg)
{
	struct bph_receiver *r = arg;
	ssize_t k;

	for (;;) {
		k = read(r->fd, r->in + r->have, sizeof(r->in) - r->have);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		r->have += (size_t)k;
		if (!drain(r)) {
			r->broken = true;
			break;
		}
	}
	return NULL;
}

/* The child's first message: the capture is live, or why not. */
static int read_hello(struct bph_receiver *r, char *err, size_t errlen)
{
	struct bph_cap_msg m;
	size_t used;
	ssize_t k;
	int rc = BPH_ERR_TRUNCATED;

	while (rc == BPH_ERR_TRUNCATED) {
		k = read(r->fd, r->in + r->have, BPH_CAP_HELLO_SIZE - r->have);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return BPH_ERR_IO;
		r->have += (size_t)k;
		rc = bph_cap_decode(r->in, r->have, &r->scope, &m, &used);
	}
	r->have = 0;
	if (rc != 0 || m.type != BPH_CAP_HELLO)
		return BPH_ERR_IO;
	if (m.rc != 0)
		snprintf(err, errlen, "capture: %s", m.err);
	return m.rc;
}

/* The child's end, in words: 0 when it exited well. */
static int child_status(pid_t pid, bool kill_it, char *err, size_t errlen)
{
	int status = 0;

	if (kill_it)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return bph_sandbox_child_status(status, "capture process", err, errlen);
}

static pid_t fork_child(const struct bph_recv_cfg *cfg, int *fd, char *err,
			size_t errlen)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "capture: socketpair: %s",
			 strerror(errno));
		return -1;
	}
	fflush(NULL); /* no buffered output written twice */
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		child_main(sv[1], cfg);
	}
	close(sv[1]);
	if (pid < 0) {
		snprintf(err, errlen, "capture: fork: %s", strerror(errno));
		close(sv[0]);
		return -1;
	}
	*fd = sv[0];
	return pid;
}

int bph_receiver_start(struct bph_receiver **out,
		       const struct bph_recv_cfg *cfg, bph_reply_cb cb,
		       void *ctx, char *err, size_t errlen)
{
	struct bph_receiver *r = calloc(1, sizeof(*r));
	char why[128] = "";
	bool no_hello;
	int rc;

	*out = NULL;
	if (!r)
		return BPH_ERR_NOMEM;
	r->cb = cb;
	r->ctx = ctx;
	r->scope = cfg->scope;
	r->pid = fork_child(cfg, &r->fd, err, errlen);
	if (r->pid < 0) {
		free(r);
		return BPH_ERR_IO;
	}
	rc = read_hello(r, err, errlen);
	no_hello = rc == BPH_ERR_IO;
	if (rc == 0 && pthread_create(&r->thread, NULL, reader, r) != 0) {
		snprintf(err, errlen, "capture: pthread_create failed");
		rc = BPH_ERR_IO;
	}
	if (rc == 0) {
		*out = r;
		return 0;
	}
	close(r->fd);
	/* no hello: the child died first, and its end says how */
	if (child_status(r->pid, true, why, sizeof(why)) != 0 && no_hello)
		snprintf(err, errlen, "%s", why);
	free(r);
	return rc;
}

/* Joins the reader, which ends when the child closes its end; a child
 * that does not within STOP_WAIT_S is killed. True if it was. */
static bool join_reader(struct bph_receiver *r)
{
	struct timespec dl;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += STOP_WAIT_S;
	if (pthread_timedjoin_np(r->thread, NULL, &dl) == 0)
		return false;
	kill(r->pid, SIGKILL);
	pthread_join(r->thread, NULL);
	return true;
}

int bph_receiver_stop(struct bph_receiver *r, struct bph_recv_stats *st,
		      char *err, size_t errlen)
{
	char why[128] = "";
	bool killed;
	int rc;

	if (!r)
		return 0;
	shutdown(r->fd, SHUT_WR); /* the child's signal to stop */
	killed = join_reader(r);
	rc = child_status(r->pid, killed, why, sizeof(why));
	if (rc == 0 && (r->broken || !r->got_stats)) {
		snprintf(why, sizeof(why),
			 "capture process sent a malformed stream");
		rc = BPH_ERR_IO;
	}
	if (rc && err && errlen)
		snprintf(err, errlen, "%s: replies may be missing", why);
	if (st)
		*st = r->st;
	close(r->fd);
	free(r);
	return rc;
}

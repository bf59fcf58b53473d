/*
 * sandbox.h - giving up root for good once the raw sockets, the capture
 * and the store are open: the unprivileged identity, the drop
 * (supplementary groups, gid, uid, then a check that root cannot be
 * regained; every capability; no new privileges) and the seccomp filters
 * of the probe worker, the capture child and the scanner. Which process drops
 * what, and when, is in docs/architecture.md ("Privileges").
 */
#ifndef BPH_SCANNER_SANDBOX_H
#define BPH_SCANNER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct bph_identity {
	uid_t uid;
	gid_t gid;
	char name[64];
};

/*
 * The identity to run as: user (--user NAME) when not NULL, else the
 * user who ran sudo ($SUDO_USER, when it names a user other than root),
 * else "nobody". Fills *id. Returns 0, or BPH_ERR_USAGE with a message in
 * err when the user does not exist or is root.
 */
int bph_identity_pick(const char *user, struct bph_identity *id, char *err,
		      size_t errlen);

/*
 * Gives up every privilege for the rest of the process, on the calling
 * thread and (through glibc's setxid broadcast) every other; call it before
 * starting threads, since capabilities and no_new_privs are per thread.
 * As root: empties the capability bounding set, sets the supplementary
 * groups of id (initgroups), the gid, the uid (real, effective and saved),
 * and checks that setuid(0) and setgid(0) now fail. Then, as anyone:
 * clears every capability (libcap) and sets no_new_privs. Returns 0, or
 * BPH_ERR_PERM with a message in err when a step failed or root could be
 * regained.
 */
int bph_privs_drop(const struct bph_identity *id, char *err, size_t errlen);

enum bph_sandbox_kind {
	/*
	 * The process that connects to targets and parses what they send:
	 * an allowlist. No exec (the process is killed), no file is opened,
	 * no socket but AF_INET SOCK_STREAM, no fork (threads only); every
	 * other system call it was not written to make fails with EPERM.
	 */
	BPH_SANDBOX_PROBES,
	/*
	 * The capture child of the SYN scan (recv.h): an allowlist for
	 * reading the capture it opened before the drop and writing to its
	 * socket to the scanner. No exec (killed), no file opened, no new
	 * socket, no thread or process; anything else fails with EPERM.
	 */
	BPH_SANDBOX_CAPTURE,
	/*
	 * The process of `scan` and `pivot` that stays privileged (raw
	 * sockets, the children, the store), from before it opens anything:
	 * exec, ptrace and the process_vm calls kill it (ptrace and those
	 * stay allowed in a sanitizer build, whose leak check needs them);
	 * the rest is allowed, because the store opens its journal files as
	 * it needs them. Set on every thread (TSYNC). Not for `sweep run`,
	 * which starts notification programs.
	 */
	BPH_SANDBOX_SCANNER,
};

/*
 * Installs the seccomp filter of kind on the calling thread; threads
 * created afterwards inherit it. Needs no_new_privs (bph_privs_drop) or
 * CAP_SYS_ADMIN. Returns 0 or BPH_ERR_PERM with a message in err.
 */
int bph_sandbox_enter(enum bph_sandbox_kind kind, char *err, size_t errlen);

/*
 * Points stdin and stdout at /dev/null and keeps stderr (the child's own
 * messages), for a confined child (probe worker, capture process) before
 * bph_sandbox_enter, after which it can open nothing: then code that
 * reads what targets send can neither read the terminal nor write into
 * the scanner's stdout (-o -). Returns 0 or BPH_ERR_IO.
 */
int bph_sandbox_null_stdio(void);

/* True when the process may open raw sockets (CAP_NET_RAW effective). */
bool bph_have_net_raw(void);

/*
 * How a confined child (who: "probe worker", "capture process") ended,
 * from its waitpid status: 0 when it exited with 0, else BPH_ERR_IO with
 * the exit status or the signal in err (SIGSYS named as its sandbox's).
 */
int bph_sandbox_child_status(int status, const char *who, char *err,
			     size_t errlen);

#endif

/*
 * spawn.h - running a program with bytes on its stdin and a time limit,
 * without a shell (posix_spawn): how the email channel runs sendmail and
 * the exec channel runs the user's program (sweep/notify_email.c,
 * sweep/notify_exec.c).
 */
#ifndef BPH_SWEEP_SPAWN_H
#define BPH_SWEEP_SPAWN_H

#include <stddef.h>
#include <stdint.h>

/*
 * Runs argv[0] (an absolute path) with argv and envp (NULL: the caller's
 * environment), writes len bytes of in to its stdin and closes it; its
 * stdout goes to our stderr, its stderr stays ours. Waits at most
 * timeout_ms, then kills it. Returns its exit status (0-255), or a
 * negative BPH_ERR_* (BPH_ERR_IO: not started; BPH_ERR_TIMEOUT: killed;
 * also when it died of a signal) with the reason in err.
 */
int bph_spawn_input(char *const argv[], char *const envp[], const char *in,
		    size_t len, uint64_t timeout_ms, char *err, size_t errlen);

#endif

#ifndef COUNTERSIGN_RECORDER_PTY_H
#define COUNTERSIGN_RECORDER_PTY_H
// What the session recorder does in C: starting the session's program (fork and exec, where the
// child may run only async-signal-safe code, which Swift cannot promise), the window-size ioctls
// (variadic, which Swift does not import) and the signal handler of the self-pipe.
#include <sys/ioctl.h>
#include <sys/types.h>
#include <termios.h>

/// Starts `path` with `argv` and `envp` on a new pseudo-terminal of `size`, as the leader of a
/// new session whose controlling terminal it is (forkpty). The master is returned in *master,
/// close-on-exec. Returns the child's pid, or -1 with errno set.
pid_t countersign_spawn_on_terminal(const char *path, char *const argv[], char *const envp[], const struct winsize *size, int *master);

/// Starts `path` with `argv` and `envp` with its standard input, output and error on the given
/// descriptors (pipe ends made close-on-exec by the caller), in a new session of its own so that
/// the signals the recorder forwards to its process group reach what it started and never the
/// recorder. Returns the child's pid, or -1 with errno set.
pid_t countersign_spawn_with_pipes(const char *path, char *const argv[], char *const envp[], int input, int output, int error);

/// A pipe whose ends are close-on-exec from birth (pipe2, which Swift's Glibc module leaves out).
int countersign_pipe(int ends[2]);

int countersign_window_size(int fd, struct winsize *size);
int countersign_set_window_size(int fd, const struct winsize *size);

/// Makes a self-pipe for `signals`: each delivery writes its number as one byte to the pipe,
/// whose read end (non-blocking, close-on-exec) is returned, or -1 with errno set. SIGPIPE and
/// SIGXFSZ are ignored as well, so that a closed terminal or a full spool is an error code
/// where it happens rather than the recorder's death. Call once.
int countersign_signal_pipe(const int *signals, int count);
#endif

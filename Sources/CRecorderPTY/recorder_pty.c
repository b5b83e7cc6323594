#define _GNU_SOURCE
#include "recorder_pty.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

// Every disposition the recorder changes, back to what a program expects to inherit: an
// ignored signal stays ignored across execve, a blocked one stays blocked.
static void reset_signals(void) {
    static const int changed[] = {SIGPIPE, SIGXFSZ, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGWINCH, SIGTSTP, SIGTTIN, SIGTTOU};
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    for (size_t index = 0; index < sizeof changed / sizeof changed[0]; index++) sigaction(changed[index], &action, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

// In the child, after fork: only async-signal-safe calls from here to execve or _exit.
static void exec_or_die(const char *path, char *const argv[], char *const envp[]) {
    reset_signals();
    execve(path, argv, envp);
    static const char prefix[] = "countersign record: cannot run ";
    (void)!write(STDERR_FILENO, prefix, sizeof prefix - 1);
    (void)!write(STDERR_FILENO, path, strlen(path));
    (void)!write(STDERR_FILENO, "\r\n", 2);
    // 127, as a shell answers for a command it cannot run.
    _exit(127);
}

pid_t countersign_spawn_on_terminal(const char *path, char *const argv[], char *const envp[], const struct winsize *size, int *master) {
    int fd = -1;
    pid_t pid = forkpty(&fd, NULL, NULL, size);
    if (pid < 0) return -1;
    if (pid == 0) exec_or_die(path, argv, envp);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    *master = fd;
    return pid;
}

pid_t countersign_spawn_with_pipes(const char *path, char *const argv[], char *const envp[], int input, int output, int error) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    setsid();
    // dup2 clears close-on-exec on the copies; the originals close at execve.
    if (dup2(input, STDIN_FILENO) < 0 || dup2(output, STDOUT_FILENO) < 0 || dup2(error, STDERR_FILENO) < 0) _exit(127);
    exec_or_die(path, argv, envp);
    return -1;
}

int countersign_pipe(int ends[2]) {
    return pipe2(ends, O_CLOEXEC);
}

int countersign_window_size(int fd, struct winsize *size) {
    return ioctl(fd, TIOCGWINSZ, size);
}

int countersign_set_window_size(int fd, const struct winsize *size) {
    return ioctl(fd, TIOCSWINSZ, size);
}

static int signal_write_end = -1;

static void note_signal(int number) {
    int saved = errno;
    unsigned char byte = (unsigned char)number;
    // A full pipe already holds a wake-up: losing this byte loses nothing the reader needs.
    (void)!write(signal_write_end, &byte, 1);
    errno = saved;
}

int countersign_signal_pipe(const int *signals, int count) {
    int ends[2];
    if (pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
    signal_write_end = ends[1];
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = note_signal;
    sigemptyset(&action.sa_mask);
    // Restarted: a blocking write to the terminal is not cut short by a resize; poll(2) is
    // interrupted anyway, which is what wakes the loop.
    action.sa_flags = SA_RESTART;
    // Whoever started us may have blocked them (a test runner's thread, a service manager):
    // a blocked SIGCHLD would leave the session's end unnoticed. Unblocked on this thread, the
    // session's, which then is the one that takes them.
    sigset_t handled;
    sigemptyset(&handled);
    for (int index = 0; index < count; index++) {
        if (sigaction(signals[index], &action, NULL) != 0) return -1;
        sigaddset(&handled, signals[index]);
    }
    pthread_sigmask(SIG_UNBLOCK, &handled, NULL);
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, NULL);
    sigaction(SIGXFSZ, &ignore, NULL);
    return ends[0];
}

"""The user's terminal for the recorder's benchmark: runs a program on a fresh pseudo-terminal
(80x24, its controlling terminal, the kernel's default modes, as sshd's pty starts), standing
for the terminal a recorder, script or asciinema writes to, and times it.

  python3 bench/pty_bench.py throughput PROGRAM ARG...
      drains everything the program prints as fast as it comes, until the program has ended and
      the terminal is closed; prints "seconds=S bytes=B shown_seconds=L": S until the program
      has ended, L until the last byte was shown.
  python3 bench/pty_bench.py echo N PROGRAM ARG...
      the program must put its terminal in raw mode, print READY, then echo each byte it reads,
      e.g. sh -c 'stty raw -echo; printf READY; dd bs=1 count=K status=none' with K = N + 200;
      writes one byte, waits for it to come back, 200 times to warm up, then N times timed;
      prints "p50_us=… p99_us=… mean_us=…".
The program's exit status is this script's; any other failure exits 3."""
import errno, fcntl, os, struct, sys, termios, time

WARMUP = 200


def spawn(argv):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    pid = os.fork()
    if pid == 0:
        try:
            os.close(master)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            if slave > 2:
                os.close(slave)
            os.execvp(argv[0], argv)
        except OSError as error:
            os.write(2, f"pty_bench: cannot run {argv[0]}: {error}\r\n".encode())
        os._exit(127)
    os.close(slave)
    return pid, master


def drain(master):
    """Reads the master until every slave descriptor is closed (EIO); the bytes read, and the
    perf_counter time the last of them arrived."""
    total, last = 0, time.perf_counter()
    while True:
        try:
            data = os.read(master, 1 << 20)
        except OSError as error:
            if error.errno == errno.EIO:
                return total, last
            raise
        if not data:
            return total, last
        total += len(data)
        last = time.perf_counter()


def status_of(pid):
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def throughput(argv):
    start = time.perf_counter()
    pid, master = spawn(argv)
    total, last = drain(master)
    status = status_of(pid)
    seconds = time.perf_counter() - start
    os.close(master)
    print(f"seconds={seconds:.3f} bytes={total} shown_seconds={last - start:.3f}")
    return status


def read_until(master, marker, limit=5.0):
    seen = b""
    deadline = time.monotonic() + limit
    while marker not in seen:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {marker!r} within {limit} s: {seen[-200:]!r}")
        seen += os.read(master, 4096)
    return seen


def echo(count, argv):
    pid, master = spawn(argv)
    read_until(master, b"READY", 30.0)
    samples = []
    for index in range(WARMUP + count):
        byte = bytes([97 + index % 26])
        start = time.perf_counter_ns()
        os.write(master, byte)
        got = os.read(master, 16)
        elapsed = time.perf_counter_ns() - start
        if got != byte:
            raise RuntimeError(f"sent {byte!r}, read {got!r}")
        if index >= WARMUP:
            samples.append(elapsed / 1000)
    drain(master)
    status = status_of(pid)
    os.close(master)
    samples.sort()
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
    print(f"p50_us={pick(0.50):.1f} p99_us={pick(0.99):.1f} mean_us={sum(samples) / len(samples):.1f}")
    return status


def main(arguments):
    if len(arguments) >= 2 and arguments[0] == "throughput":
        return throughput(arguments[1:])
    if len(arguments) >= 3 and arguments[0] == "echo":
        return echo(int(arguments[1]), arguments[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (OSError, RuntimeError, TimeoutError, ValueError) as error:
        print(f"pty_bench: {error}", file=sys.stderr)
        sys.exit(3)

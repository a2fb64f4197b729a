"""The fork server behind :mod:`paranalysis.reporting.forkkernel`: a process that imports
the kernel's libraries once and forks one notebook kernel per request. It imports nothing
itself, so that a kernel holds only what it would have imported anyway."""

import contextlib
import json
import os
import signal
import socket
import sys
import warnings


class _KernelShell:
    """What ``get_ipython()`` answers in a kernel, as far as a library asks at import time
    (pandas: a shell with a ``kernel`` is a notebook, not a terminal, and shows 20 columns)."""

    kernel = True


class _KernelStream:
    """The kernel's standard output as a library sees it at import time (pandas takes its
    ``display.encoding`` from it): ipykernel's streams say UTF-8."""

    encoding = "UTF-8"

    def __init__(self, stream):
        self._stream = stream

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def _as_in_a_kernel():
    """Let the libraries imported here see the notebook kernel they will run in."""
    import builtins

    stdout = sys.stdout
    builtins.get_ipython = _KernelShell
    sys.stdout = _KernelStream(stdout)
    try:
        yield
    finally:
        del builtins.get_ipython
        sys.stdout = stdout


_BASE_FILTERS: list = []


def _libraries_after_shell(at_fork: list) -> None:
    """Order the warning filters as in a kernel that imports the libraries after its shell
    started: the libraries' filters first, then the shell's, then Python's own."""
    libraries = at_fork[:len(at_fork) - len(_BASE_FILTERS)]
    shell = [f for f in warnings.filters if f not in at_fork]
    warnings.filters[:] = libraries + shell + _BASE_FILTERS
    warnings._filters_mutated()


MAX_MESSAGE = 1 << 20  # one request: the kernel's arguments, environment and folder, as JSON


def serve(fd: int, preload: list[str]) -> None:
    """The fork server's main loop (run in its own process by :class:`ForkServer`). Each
    request is one message on the socket, with the standard output and error the kernel
    is to write to (the launching process's, as a launched kernel would inherit them)."""
    import importlib

    sock = socket.socket(fileno=fd)
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does; the kernel puts the notebook's folder back
    global _BASE_FILTERS
    _BASE_FILTERS = list(warnings.filters)  # Python's own, before any library added its
    try:
        with _as_in_a_kernel():
            for name in preload:
                importlib.import_module(name)
    except Exception as exc:  # a broken install: the run falls back to ordinary kernels
        sock.send(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
        return
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # ended kernels are reaped by the system
    server = os.getpid()
    import gc

    gc.freeze()  # what is imported stays shared with the kernels: their collector never writes to it
    sock.send(b'{"ready": true}')
    while True:
        msg, fds, flags, _ = socket.recv_fds(sock, MAX_MESSAGE, 2)
        if not msg:
            return  # the run closed its end
        try:
            if flags & socket.MSG_TRUNC or len(fds) != 2:
                raise ValueError("a request must be one message with two streams")
            req = json.loads(msg)
            pid = os.fork()
        except (OSError, ValueError) as exc:
            for f in fds:
                os.close(f)
            sock.send(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
            continue
        if pid == 0:
            sock.close()
            kernel(req["argv"], req["env"], req["cwd"], fds, server=server)
        for f in fds:
            os.close(f)
        sock.send(json.dumps({"pid": pid}).encode())


def _end_with(server: int) -> None:
    """Let this kernel end when its server does, from now on (Linux's parent-death signal):
    ipykernel's own watch of its parent starts later, and misses a parent that is gone by then."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != server:  # the server went before the signal was set
        os._exit(1)


def kernel(argv: list[str], env: dict, cwd: str | None, streams: list[int], server: int) -> None:
    """In the forked child: become an ordinary ipykernel process and never return."""
    code = 1
    try:
        _end_with(server)
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        for target, fd in zip((1, 2), streams):
            os.dup2(fd, target)
            os.close(fd)
        os.environ.clear()
        os.environ.update(env, JPY_PARENT_PID=str(os.getppid()))  # as jupyter_client sets it
        if cwd:
            os.chdir(cwd)
        import importlib.util

        from ipykernel import kernelapp

        sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin, *argv]

        # ipykernel read JPY_PARENT_PID when the server imported it: the kernel's parent is the
        # server, and the kernel ends when the server does (as a launched one ends with its manager)
        libraries = list(warnings.filters)
        app = kernelapp.IPKernelApp.instance(parent_handle=os.getppid())
        app.initialize(argv)
        _libraries_after_shell(libraries)
        app.start()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


if __name__ == "paranalysis_forkserver":  # run by path, so that the package is imported inside the kernel view
    serve(int(sys.argv[2]), sys.argv[3:])

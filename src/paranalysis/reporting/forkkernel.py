"""Notebook kernels forked from one warm process, so that `paranalysis run` pays the
start-up of a Python kernel (ipykernel, pandas, matplotlib, the package) once per run
instead of once per notebook.

Each kernel is still a new process with a clean namespace: the fork server has imported
the libraries and nothing else (no kernel, no figure, no data), and each fork starts a
real ipykernel in the notebook's folder, with the environment the kernel manager gave it.
Only on Linux, and only for the ``python3`` kernel of this very interpreter; anywhere else,
or with ``PARANALYSIS_FORK_KERNELS=0``, notebooks get ordinary kernels."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

ENV = "PARANALYSIS_FORK_KERNELS"

#: What every notebook kernel imports: the kernel itself, then the libraries and the parts of
#: the package the notebooks use. Nothing here may draw, read data or pick matplotlib's
#: backend: the inline backend hooks itself into the kernel that first loads it.
PRELOAD = (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "IPython.display",
    "numpy", "pandas", "matplotlib.pyplot",
    "paranalysis", "paranalysis.availability", "paranalysis.geography", "paranalysis.nbtools",
    "paranalysis.plots", "paranalysis.funnel", "paranalysis.indicators", "paranalysis.overview",
    "paranalysis.demo", "paranalysis.models", "paranalysis.treatment", "paranalysis.rankings",
    "paranalysis.leadership", "paranalysis.records", "paranalysis.records.analysis",
    "paranalysis.records.notes", "paranalysis.records.plots", "paranalysis.forms",
    "paranalysis.serviceindex.leadership", "paranalysis.serviceindex.reconcile",
    "paranalysis.serviceindex.scorecard",
)


def available() -> bool:
    """Whether this machine can fork kernels (Linux, and not switched off by the user)."""
    if os.environ.get(ENV, "").strip().lower() in ("0", "no", "false", "off"):
        return False
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class ForkServer:
    """A process that has imported :data:`PRELOAD` and forks a kernel on request. It ends
    when :meth:`close` is called or this process goes away (its socket closes)."""

    def __init__(self, preload=PRELOAD, timeout: float = 120.0, run_time: tuple[str, ...] = ()):
        self.env = dict(os.environ)  # what the libraries saw when the server imported them
        self.run_time = frozenset(run_time)  # variables read only while a notebook runs, never at import
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._lock = threading.Lock()
        self._sock = ours
        self._sock.settimeout(timeout)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import runpy, sys; runpy.run_path(sys.argv[1], run_name='paranalysis_forkserver')",
             str(Path(__file__).resolve().parent.parent / "_forkserver.py"), str(theirs.fileno()), *preload],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, cwd=str(Path.home()), env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,  # its kernels get this process's streams
        )
        theirs.close()
        self._ready: bool | None = None  # known at the first fork: the server imports meanwhile

    def _read_or_error(self) -> dict:
        try:
            return self._read()
        except (OSError, RuntimeError, ValueError) as exc:
            return {"error": f"{type(exc).__name__}: {exc}"}

    def _read(self) -> dict:
        msg = self._sock.recv(1 << 16)
        if not msg:
            raise RuntimeError("the kernel fork server ended")
        return json.loads(msg)

    def can_fork(self, env: dict) -> bool:
        """Whether a kernel with ``env`` may be forked: the environment the server started
        with, apart from what Jupyter sets for each kernel (``JPY_*``). A library reads some of
        it when imported (matplotlib its backend), so a kernel meant to see another one is
        launched as usual. ``run_time`` names variables that may differ, being read only while
        a notebook runs."""
        keys = {k for k in set(env) | set(self.env) if not k.startswith("JPY_") and k not in self.run_time}
        return all(env.get(k) == self.env.get(k) for k in keys)

    def fork(self, argv: list[str], env: dict, cwd: str | None) -> int:
        """Start a kernel process (``argv`` as for ``python -m ipykernel_launcher``); its pid."""
        msg = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode()
        with self._lock:
            if self._ready is None:
                answer = self._read_or_error()
                self._ready = answer.get("ready") is True
                if not self._ready:
                    self._error = f"the kernel fork server did not start: {answer.get('error', answer)}"
            if not self._ready:
                raise RuntimeError(self._error)
            sys.stdout.flush()
            socket.send_fds(self._sock, [msg], [1, 2])  # the kernel writes where a launched one would
            answer = self._read()
        if "pid" not in answer:
            raise RuntimeError(f"the kernel fork server could not start a kernel: {answer.get('error')}")
        return int(answer["pid"])

    def close(self) -> None:
        try:
            self._sock.close()
        finally:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class ForkedKernel:
    """A kernel process forked by the server, with the part of ``Popen`` the provisioner
    uses. It is not this process's child: its exit status is not known, only that it ended."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0
            except PermissionError:  # the number went to another user's process
                self.returncode = 0
            else:
                if _ended_unreaped(self.pid):
                    self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import time

        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _ended_unreaped(pid: int) -> bool:
    """Whether ``pid`` has ended but is not yet reaped (a zombie): a kernel whose server went
    first belongs to whatever adopted it, which may be slow to reap it, or never do."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False


def _ipykernel_args(cmd: list[str]) -> list[str] | None:
    """The arguments after ``-m ipykernel_launcher`` when ``cmd`` starts an ipykernel of this
    interpreter; None for any other kernel command."""
    if len(cmd) < 3 or cmd[1:3] != ["-m", "ipykernel_launcher"]:
        return None
    try:
        same = os.path.samefile(cmd[0], sys.executable)
    except OSError:
        return None
    return cmd[3:] if same else None


class ForkProvisioner(LocalProvisioner):
    """The local provisioner, with the kernel process forked by :class:`ForkServer` when the
    command is this interpreter's ipykernel; any other command is launched as usual."""

    server: ForkServer | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs):
        args = _ipykernel_args(cmd)
        env = dict(kwargs.get("env") or os.environ)
        if self.server is None or args is None or not self.server.can_fork(env):
            return await super().launch_kernel(cmd, **kwargs)
        cwd = kwargs.get("cwd") or os.getcwd()  # where a launched kernel would start: this process's folder
        try:
            pid = self.server.fork(args, env, cwd)
        except (OSError, RuntimeError, ValueError) as exc:  # no fork server after all: an ordinary kernel
            self.log.warning("paranalysis: %s; starting an ordinary kernel", exc)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedKernel(pid)
        self.pid = self.pgid = pid  # the kernel leads its own session, as a launched one does
        return self.connection_info


def kernel_manager_class(server: ForkServer):
    """A kernel manager class whose kernels ``server`` forks (for ``kernel_manager_class=``)."""

    class ForkKernelManager(AsyncKernelManager):
        async def _async_pre_start_kernel(self, **kw):
            if self.provisioner is None:
                self.provisioner = ForkProvisioner(kernel_id=self.kernel_id or kw.get("kernel_id") or "",
                                                   kernel_spec=self.kernel_spec, parent=self)
                self.provisioner.server = server
            return await super()._async_pre_start_kernel(**kw)

    return ForkKernelManager

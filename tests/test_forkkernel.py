"""Kernels forked from one warm process (``paranalysis.reporting.forkkernel``) behave as
ordinary ipykernel processes: the same settings as seen from a notebook, the same outputs
for every notebook, interrupts and timeouts that work, no process left behind."""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import nbformat
import papermill as pm
import pytest

from paranalysis.reporting import forkkernel, list_notebooks, run_notebooks

pytestmark = pytest.mark.skipif(not forkkernel.available(), reason="kernels are forked on Linux only")

# what a notebook can see of the process it runs in, after importing what the notebooks import
FINGERPRINT = """
import importlib, json, os, signal, sys, warnings
for m in PRELOAD:
    importlib.import_module(m)
import matplotlib, numpy as np, pandas as pd
print(json.dumps({
    "pandas": {k: repr(pd.get_option(k)) for k in pd._config.config._registered_options},
    "rcParams": {k: repr(v) for k, v in matplotlib.rcParams.items()},
    "backend": matplotlib.get_backend(), "numpy": repr(np.get_printoptions()),
    "cwd": os.getcwd(), "sys.path": sys.path, "argv0": sys.argv[0],
    "warnings": sorted(repr(f) for f in warnings.filters),
    "environ": sorted(os.environ), "parent is JPY_PARENT_PID": os.getppid() == int(os.environ["JPY_PARENT_PID"]),
    "shell": type(get_ipython()).__name__, "__main__": sys.modules["__main__"].__name__,
    "stdout": type(sys.stdout).__name__, "stdout.encoding": sys.stdout.encoding,
    "signals": [repr(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGCHLD, signal.SIGTERM)],
    "session leader": os.getsid(0) == os.getpid(), "stdin": os.isatty(0),
}))
"""


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nbformat.write(nb, path)
    return path


def _execute(path, out, manager=None, **kw):
    extra = {} if manager is None else {"kernel_manager_class": manager}
    return pm.execute_notebook(str(path), str(out), kernel_name="python3", cwd=str(path.parent),
                               progress_bar=False, **extra, **kw)


@pytest.fixture
def inline_server(monkeypatch):
    """Start a fork server that counts its forks, in the environment of `paranalysis run`.
    Called in the test itself: pytest changes PYTEST_CURRENT_TEST between a fixture and the
    test, and a kernel is forked only for the environment its server started with."""
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    started = []

    def start():
        srv = forkkernel.ForkServer()
        srv.forks = []
        fork = srv.fork
        srv.fork = lambda *a: srv.forks.append(fork(*a)) or srv.forks[-1]
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.close()


def test_a_forked_kernel_looks_like_an_ordinary_one_from_inside(tmp_path, inline_server):
    server = inline_server()
    nb = _notebook(tmp_path / "fp.ipynb", f"PRELOAD = {forkkernel.PRELOAD!r}\n" + FINGERPRINT)
    ordinary = json.loads(_execute(nb, tmp_path / "a.ipynb").cells[0].outputs[0]["text"])
    forked = json.loads(_execute(nb, tmp_path / "b.ipynb", forkkernel.kernel_manager_class(server))
                        .cells[0].outputs[0]["text"])
    assert len(server.forks) == 1  # it was forked, not launched
    assert forked["cwd"] == str(tmp_path) and forked["backend"] == "module://matplotlib_inline.backend_inline"
    for key in ordinary:  # one by one, for a readable failure
        assert forked[key] == ordinary[key], key


def test_a_forked_kernel_is_interrupted_on_timeout_and_ends(tmp_path, inline_server):
    server = inline_server()
    nb = _notebook(tmp_path / "slow.ipynb", "import os; print(os.getpid())", "import time; time.sleep(120)")
    t0 = time.monotonic()
    with pytest.raises(Exception) as info:
        _execute(nb, tmp_path / "out.ipynb", forkkernel.kernel_manager_class(server), execution_timeout=3)
    assert time.monotonic() - t0 < 60, "the timeout did not stop the cell"
    assert len(server.forks) == 1
    assert "Timeout" in type(info.value).__name__ or "timed out" in str(info.value).lower()
    pid = int(nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[0].outputs[0]["text"])
    _gone(pid)


def test_a_forked_kernel_writes_to_the_streams_of_the_process_that_started_it(tmp_path, inline_server, capfd):
    server = inline_server()  # started before capfd's streams were read: they are passed at each fork
    nb = _notebook(tmp_path / "say.ipynb", "import os; os.write(1, b'out-7f3a\\n'); os.write(2, b'err-7f3a\\n')")
    _execute(nb, tmp_path / "out.ipynb", forkkernel.kernel_manager_class(server))
    seen = capfd.readouterr()
    assert "out-7f3a" in seen.out and "err-7f3a" in seen.err and len(server.forks) == 1


def test_a_server_that_cannot_start_leaves_ordinary_kernels(tmp_path, inline_server, monkeypatch):
    monkeypatch.setattr(forkkernel, "PRELOAD", ("no_such_module_7f3a",))
    server = forkkernel.ForkServer(preload=forkkernel.PRELOAD)
    try:
        nb = _notebook(tmp_path / "a.ipynb", "print(6 * 7)")
        out = _execute(nb, tmp_path / "out.ipynb", forkkernel.kernel_manager_class(server))
        assert out.cells[0].outputs[0]["text"].strip() == "42"
        with pytest.raises(RuntimeError, match="no_such_module_7f3a"):
            server.fork(["-f", "k.json"], dict(os.environ), str(tmp_path))
    finally:
        server.close()


def test_a_kernel_that_dies_is_reported_not_waited_for(tmp_path, inline_server):
    server = inline_server()
    nb = _notebook(tmp_path / "dies.ipynb", "import os; os._exit(3)", "print('never')")
    t0 = time.monotonic()
    with pytest.raises(Exception) as info:
        _execute(nb, tmp_path / "out.ipynb", forkkernel.kernel_manager_class(server))
    assert time.monotonic() - t0 < 60 and len(server.forks) == 1
    assert "died" in str(info.value).lower() or "Dead" in type(info.value).__name__


def test_kernels_end_when_the_fork_server_ends(tmp_path):
    srv = forkkernel.ForkServer()
    pid = srv.fork(["-f", str(tmp_path / "kernel.json")], dict(os.environ), str(tmp_path))
    assert forkkernel.ForkedKernel(pid).poll() is None  # running
    srv.proc.kill()  # the run was killed: its server goes, and the kernel follows it
    srv.proc.wait()
    _gone(pid)
    srv.close()


def test_a_kernel_meant_to_see_another_environment_is_launched_as_usual(tmp_path, inline_server, monkeypatch):
    server = inline_server()
    monkeypatch.setenv("MPLBACKEND", "agg")  # matplotlib read the other one when the server imported it
    nb = _notebook(tmp_path / "b.ipynb", "import matplotlib; print(matplotlib.get_backend())")
    out = _execute(nb, tmp_path / "out.ipynb", forkkernel.kernel_manager_class(server))
    assert out.cells[0].outputs[0]["text"].strip() == "agg"
    assert server.forks == []


ORPHAN = """
import ctypes, os, sys, time
ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER: orphans come to this process, not to init
from paranalysis.reporting import forkkernel
srv = forkkernel.ForkServer()
pid = srv.fork(["-f", sys.argv[1]], dict(os.environ), sys.argv[2])
srv.proc.kill()  # at once: the kernel is still starting, ipykernel's own watch of its parent not yet on
srv.proc.wait()
end = time.monotonic() + 20
while time.monotonic() < end:
    try:
        if os.waitpid(pid, os.WNOHANG)[0]:  # handed to this process, and ended
            sys.exit(0)
    except ChildProcessError:  # not (or no longer) this process's to wait for
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            sys.exit(0)
    time.sleep(0.1)
os.kill(pid, 9)
sys.exit(1)
"""


def test_a_kernel_ends_when_its_server_goes_while_it_starts_whoever_adopts_it(tmp_path):
    """Found 4 Dec 2026 (a full suite): a kernel whose server died before ipykernel started
    watching its parent kept running when a process other than init adopted it (a
    subreaper, as containers and service managers have). It now has Linux's parent-death
    signal from the moment it is forked."""
    import subprocess

    done = subprocess.run([sys.executable, "-c", ORPHAN, str(tmp_path / "k.json"), str(tmp_path)],
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]


def test_an_ended_kernel_not_yet_reaped_counts_as_ended():
    import subprocess

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    end = time.monotonic() + 20
    while not forkkernel._ended_unreaped(child.pid) and time.monotonic() < end:
        time.sleep(0.05)
    try:
        assert forkkernel.ForkedKernel(child.pid).poll() == 0  # a zombie: os.kill(pid, 0) still succeeds
        assert forkkernel.ForkedKernel(os.getpid()).poll() is None  # this process runs
    finally:
        child.wait()


def test_only_this_interpreters_ipykernel_is_forked(monkeypatch):
    here = [sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"]
    assert forkkernel._ipykernel_args(here) == ["-f", "k.json"]
    assert forkkernel._ipykernel_args(["/nonexistent/python", *here[1:]]) is None
    assert forkkernel._ipykernel_args([sys.executable, "-m", "other_kernel", "-f", "k.json"]) is None
    monkeypatch.setenv(forkkernel.ENV, "0")
    assert not forkkernel.available()


def _gone(pid, seconds=20.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if forkkernel.ForkedKernel(pid).poll() is not None:  # gone, or ended and waiting to be reaped
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    pytest.fail(f"kernel process {pid} still running after {seconds} s")


def _outputs(folder):
    cells = {}
    for p in sorted(folder.glob("*.ipynb")):
        for i, c in enumerate(json.loads(p.read_text(encoding="utf-8"))["cells"]):
            if c["cell_type"] == "code":
                cells[(p.name, i)] = [{k: v for k, v in o.items() if k != "execution_count"} for o in c["outputs"]]
    return cells


def test_every_notebook_gives_the_same_outputs_in_forked_and_ordinary_kernels(tmp_path, monkeypatch):
    forks = []
    fork = forkkernel.ForkServer.fork
    monkeypatch.setattr(forkkernel.ForkServer, "fork", lambda self, *a: forks.append(fork(self, *a)) or forks[-1])
    forked = run_notebooks(out=tmp_path / "forked", progress=False)
    assert len(forks) == len(list_notebooks())  # every kernel of the run was forked
    monkeypatch.setenv(forkkernel.ENV, "0")
    ordinary = run_notebooks(out=tmp_path / "ordinary", progress=False)
    assert forked.ok and ordinary.ok, [r.error for r in forked.failed + ordinary.failed]
    a, b = _outputs(tmp_path / "forked"), _outputs(tmp_path / "ordinary")
    assert len(a) > 100 and a.keys() == b.keys()
    assert sum(len(v) for v in a.values()) > 100  # outputs, figures among them
    differ = [k for k in a if a[k] != b[k]]
    assert differ == []
    assert len({p.name for p in (tmp_path / "forked").glob("*.ipynb")}) == len(list_notebooks())

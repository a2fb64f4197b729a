"""``paranalysis run``: execute every notebook with papermill on one dataset, quarter and
language, side by side on the cores there are, and publish the pages that pass the check."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat

import paranalysis
from paranalysis import snapshot
from paranalysis.dataset import bundled_data_dir, load_dataset
from paranalysis.errors import RunError, UnsafeReportError
from paranalysis.i18n import DEFAULT_LANG, check_lang, t
from paranalysis.markup import publishable_notebook  # published .ipynb: one-line errors, no traceback frames
from paranalysis.nbtools import banner_text
from paranalysis.reporting.check import check_report
from paranalysis.reporting.html import _html_name, export_html, write_index, write_reports_index
from paranalysis.reporting.notebooks import (_shows_banner, check_parameter_names, check_parameters,
                                             list_notebooks, notebook_title, notebooks_dir, resolve_quarter)
from paranalysis.reporting.provenance import _local_time, data_vintage, git_commit, provenance_block, scrub_paths


@dataclass
class NotebookReport:
    notebook: str
    title: str
    html: str
    ipynb: str
    ok: bool
    error: str | None = None
    seconds: float = 0.0
    html_bytes: int = 0


@dataclass
class RunResult:
    out: Path
    quarter: str
    lang: str
    reports: list[NotebookReport] = field(default_factory=list)
    index: Path | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports)

    @property
    def failed(self) -> list[NotebookReport]:
        return [r for r in self.reports if not r.ok]


def run_notebooks(*, data=None, quarter=None, out=None, lang: str = DEFAULT_LANG, notebooks: list[Path] | None = None,
                  progress: bool = True, timeout: int = 900, workers: int | None = None) -> RunResult:
    """Execute the notebooks on a dataset folder (None = bundled data) for one quarter
    (None = latest in the data) and language, and publish HTML reports in ``out``
    (default ``reports/<quarter>/``). Raises DataError for invalid data and RunError for
    a bad quarter or notebook; a notebook that fails is reported (``RunResult.failed``)
    and the others still run. Independent notebooks run side by side on ``workers``
    kernels (default: :func:`run_workers`)."""
    from tqdm import tqdm

    try:
        check_lang(lang)
    except ValueError as exc:
        raise RunError(str(exc)) from None
    t0 = time.perf_counter()
    started = datetime.now().astimezone().isoformat(timespec="seconds")
    data_path = Path(data).resolve() if data is not None else None
    if data_path is not None and not data_path.is_dir():
        raise RunError(f"data folder not found: {data}")
    env_backup = {k: os.environ.get(k) for k in ("MPLBACKEND", "PYDEVD_DISABLE_FILE_VALIDATION")}
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # figures must reach the notebook
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    # the kernels' fork server imports its libraries on the other core while this one reads the data
    with _restore_env(env_backup), _kernel_forks() as manager_class:
        return _run(data_path, quarter, out, lang, notebooks, progress, timeout, workers, manager_class, t0, started,
                    tqdm)


def _run(data_path, quarter, out, lang, notebooks, progress, timeout, workers, manager_class, t0, started,
         tqdm) -> RunResult:
    """The run itself, with the kernels' environment set and their fork server started."""
    root = data_path if data_path is not None else bundled_data_dir()
    state = snapshot.folder_state(root)
    ds = load_dataset(data_path)  # DataError lists every problem
    if snapshot.folder_state(root) != state:  # changed while read: let every kernel read it itself
        state = state[:2] + (True,) + state[3:]
    q = resolve_quarter(ds, quarter)
    nbs = list(notebooks) if notebooks is not None else list_notebooks()
    if not nbs:
        raise RunError(f"no notebooks (NN-name.ipynb) found in {notebooks_dir()}")
    for nb in nbs:
        check_parameters(nb)
    params = {"data_dir": str(data_path) if data_path is not None else None, "quarter": q, "lang": lang}
    check_parameter_names(params)

    default_out = out is None
    out = Path("reports") / q if default_out else Path(out)
    out.mkdir(parents=True, exist_ok=True)
    vintage = data_vintage(ds)
    commit = git_commit()
    banner = banner_text(ds, lang)
    result = RunResult(out=out, quarter=q, lang=lang)
    # papermill runs each kernel in the notebook's folder by changing this process's working folder,
    # which the other workers share: every path used from here on must not depend on it
    out, nbs = out.resolve(), [Path(nb).resolve() for nb in nbs]

    log_path = out / f"run-{lang}.log"
    n_workers = max(1, min(len(nbs), workers if workers is not None else run_workers()))

    def publish(nb_path: Path, error: str | None, seconds: float) -> NotebookReport:
        ipynb = out / _html_name(nb_path.stem, lang, ".ipynb")
        html_path = out / _html_name(nb_path.stem, lang, ".html")
        error = error and scrub_paths(error, (data_path, vintage["folder"]), (nb_path.parent.resolve(), "notebooks"),
                                      (out.resolve(), "out"))  # the page, the index and run-*.json show it
        if ipynb.exists():  # the published notebook names no folder of this machine
            text = publishable_notebook(ipynb.read_text(encoding="utf-8"))  # errors in one line, no frames
            ipynb.write_text(scrub_paths(text, (data_path, vintage["folder"]),
                                         (nb_path.parent.resolve(), "notebooks"), (out.resolve(), "out")),
                             encoding="utf-8")
        nb = nbformat.read(ipynb, as_version=4) if ipynb.exists() else nbformat.read(nb_path, as_version=4)
        meta = nb.metadata.get("papermill", {})
        title = notebook_title(nb) or nb_path.stem
        prov = provenance_block(vintage, lang=lang, parameters=dict(params, data_dir=vintage["folder"]
                                                                     if data_path is not None else None),
                                started=_local_time(meta.get("start_time")) or started,
                                seconds=meta.get("duration") or seconds, commit=commit)
        failed = None if error is None else f"{t('report.status_failed', lang)} — {error}"
        shown = _shows_banner(nb)  # the notebook's own banner (nbtools.synthetic_banner) is enough
        page = export_html(nb, lang=lang, banner=None if shown else banner, provenance=prov, failed=failed,
                           title=title)
        problems = check_report(page)
        if problems:  # live markup: this page is not published (the others are), the run fails naming it
            unsafe = UnsafeReportError(html_path.name, problems)
            error = (error + "; " if error else "") + str(unsafe)
            html_path.unlink(missing_ok=True)  # never leave an older page under this name
            return NotebookReport(notebook=nb_path.name, title=title, html=html_path.name, ipynb=ipynb.name,
                                  ok=False, error=error, seconds=round(seconds, 1), html_bytes=0)
        html_path.write_text(page, encoding="utf-8")
        return NotebookReport(notebook=nb_path.name, title=title, html=html_path.name, ipynb=ipynb.name,
                              ok=error is None, error=error, seconds=round(seconds, 1),
                              html_bytes=html_path.stat().st_size)

    with _kernel_stderr_to(log_path) as console, snapshot.shared_with_kernels(ds, state):
        bar = tqdm(total=len(nbs), desc=f"paranalysis run {q} {lang}", unit="notebook", file=console,
                   disable=not progress, dynamic_ncols=True)
        reports: dict[Path, NotebookReport] = {}
        # Notebooks are independent (each reads the dataset folder and writes its own files), so
        # they run side by side, one kernel per worker; reports keep the reading order.
        with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="paranalysis-run") as pool:
            futures = {pool.submit(_execute_notebook, nb_path, out / _html_name(nb_path.stem, lang, ".ipynb"),
                                   params, timeout, manager_class): nb_path for nb_path in nbs}
            for fut in as_completed(futures):
                nb_path = futures[fut]
                error, seconds = fut.result()
                reports[nb_path] = publish(nb_path, error, seconds)
                bar.set_postfix_str(nb_path.stem)
                bar.update(1)
        bar.close()
        result.reports.extend(reports[nb_path] for nb_path in nbs)
    result.seconds = time.perf_counter() - t0
    shown_params = dict(params, data_dir=vintage["folder"] if data_path is not None else None)
    manifest = {"quarter": q, "lang": lang, "parameters": shown_params, "started": started,
                "seconds": round(result.seconds, 1), "version": paranalysis.__version__, "commit": commit,
                "banner": banner, "vintage": vintage, "reports": [asdict(r) for r in result.reports]}
    (out / f"run-{lang}.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    result.index = write_index(out)
    if default_out:
        write_reports_index(out.parent, lang=lang)
    return result


def run_workers() -> int:
    """How many notebooks run at once: ``PARANALYSIS_WORKERS`` if set, else one per core
    this process may use."""
    env = os.environ.get("PARANALYSIS_WORKERS", "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            raise RunError(f"PARANALYSIS_WORKERS must be a whole number, not {env!r}") from None
        if n < 1:
            raise RunError(f"PARANALYSIS_WORKERS must be at least 1, not {n}")
        return n
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # Windows, macOS
        return max(1, os.cpu_count() or 1)


def _execute_notebook(nb_path: Path, ipynb: Path, params: dict, timeout: int,
                      manager_class=None) -> tuple[str | None, float]:
    """Execute one notebook with papermill into ``ipynb``; the error (or None) and seconds.
    ``manager_class``: the kernel manager (forked kernels), None for papermill's own."""
    import papermill as pm

    extra = {} if manager_class is None else {"kernel_manager_class": manager_class}

    t_nb = time.perf_counter()
    error = None
    try:
        pm.execute_notebook(str(nb_path), str(ipynb), parameters=params, kernel_name="python3",
                            cwd=str(nb_path.parent), progress_bar=False, log_output=False,
                            request_save_on_cell_execute=False, execution_timeout=timeout, **extra)
    except pm.PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue} (cell {exc.exec_count})"
    except Exception as exc:  # kernel died, timeout, ...: report it, run the others
        error = f"{type(exc).__name__}: {exc}"
    return error, time.perf_counter() - t_nb


@contextlib.contextmanager
def _kernel_forks():
    """While the notebooks run: the kernel manager class whose kernels are forked from one
    warm process (:mod:`paranalysis.reporting.forkkernel`), or None for ordinary kernels
    (not Linux, ``PARANALYSIS_FORK_KERNELS=0``, or the fork server could not start)."""
    from paranalysis.reporting import forkkernel

    server = None
    if forkkernel.available():
        try:
            server = forkkernel.ForkServer(run_time=(snapshot.ENV,))
        except (OSError, ValueError) as exc:  # could not even start a process: ordinary kernels
            print(f"paranalysis run: ordinary kernels ({exc})", file=sys.stderr)
    try:
        yield None if server is None else forkkernel.kernel_manager_class(server)
    finally:
        if server is not None:
            server.close()


@contextlib.contextmanager
def _restore_env(saved: dict):
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _kernel_stderr_to(log_path: Path):
    """Send the process's stderr (which the notebook kernels inherit: their start-up and
    shutdown chatter) to ``log_path`` while the notebooks run; yield a stream on the real
    console for the progress bar."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real fd 2 (some IDEs): leave stderr alone
        yield sys.stderr
        return
    console = os.fdopen(os.dup(saved), "w", encoding="utf-8", errors="replace", buffering=1)
    with open(log_path, "wb") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield console
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            console.close()

"""A long-lived notebook worker: pays for start-up once, then runs many notebooks.

`python -m ivbtools.batch.worker TAG` imports papermill and nbconvert once and keeps one warm
kernel (started with the heavy imports already done: pandas, matplotlib, seaborn,
statsmodels, scipy, ivbtools). For each job it resets the kernel's namespace (IPython's
`%reset -f`, closes figures, resets pandas options and the execution counter), runs the
notebook through papermill on that kernel, and renders the HTML report in this process.
Outputs equal those of a fresh kernel per notebook (tests/test_worker.py checks this).

A kernel that dies or times out fails only its own job; the next job gets a new warm kernel.
Protocol: one JSON job per line on stdin, one JSON result per line on stdout. TAG only
names the worker in process listings (the batch's staging folder). SIGTERM shuts the kernel
down before the worker exits.
"""
from __future__ import annotations

import functools
import importlib
import json
import os
import signal
import sys
import time
from pathlib import Path

from .tasks import Task, TaskResult

WARM_IMPORTS = ("import pandas, matplotlib, matplotlib.pyplot, seaborn, scipy.stats, statsmodels.genmod.families, "
                "statsmodels.genmod.generalized_linear_model, "
                "ivbtools, ivbtools.present.plots, ivbtools.present.report, ivbtools.verdict.evaluate, "
                "ivbtools.verdict.scorecard, ivbtools.verdict.coverage, ivbtools.present.params")
# A clean namespace for every notebook. `%reset -f` collects garbage twice, over the whole heap
# (pandas, matplotlib, the loaded data: about 0,45 s CPU per report, py-spy of a warm kernel); the
# objects alive after a reset are moved out of the collector's sight (gc.freeze), so the next
# reset's collections look only at what one notebook made.
RESET = """\
get_ipython().run_line_magic('reset', '-f')
import matplotlib.pyplot as _plt, pandas as _pd, warnings as _w
_plt.close('all')
with _w.catch_warnings():
    _w.simplefilter('ignore')
    _pd.reset_option('all')
del _plt, _pd, _w
get_ipython().execution_count = 1
import gc as _gc
_gc.freeze()
del _gc
"""


# One thread per kernel for the numeric libraries (issue #30): N workers on N cores then cost what one
# does per report, instead of N kernels each starting a BLAS/OpenMP/Arrow pool the size of the machine.
# A value the user set is kept (e.g. OMP_NUM_THREADS=4 for a machine with few, large reports).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "ARROW_NUM_THREADS", "RAYON_NUM_THREADS")


def kernel_environment(environ=None) -> dict[str, str]:
    """The environment a report's kernel starts with: this one, the thread pools sized to one unless set."""
    env = dict(os.environ if environ is None else environ)
    for name in THREAD_VARIABLES:
        env.setdefault(name, "1")
    return env


class WarmKernel:
    """One kernel with the heavy imports done, reused across notebooks."""

    def __init__(self, cwd: str, startup_timeout: float = 120):
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self.cwd = cwd
        self._run_sync = run_sync
        self.km = AsyncKernelManager(kernel_name="python3")
        # no history database: the counter is reset for every notebook, so line numbers repeat
        run_sync(self.km.start_kernel)(cwd=cwd, env=kernel_environment(),
                                       extra_arguments=["--HistoryManager.enabled=False"])
        # a client bound to the kernel manager judges "alive" by the kernel process, not by
        # heartbeats (which arrive late on a loaded machine and made a healthy start look dead)
        self.control = self.km.blocking_client()
        self.control.start_channels()
        try:
            self.control.wait_for_ready(timeout=startup_timeout)
            self._execute(WARM_IMPORTS, startup_timeout)
        except BaseException:
            self.shutdown()
            raise

    def _execute(self, code: str, timeout: float) -> None:
        reply = self.control.execute_interactive(code, store_history=False, timeout=timeout, output_hook=lambda m: None)
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"kernel set-up failed: {reply['content'].get('ename')}: {reply['content'].get('evalue')}")

    def reset(self) -> None:
        self._execute(RESET, 60)

    @property
    def pid(self) -> int | None:
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(proc, "pid", None)

    def shutdown(self) -> None:
        try:
            self.control.stop_channels()
            self._run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:   # already gone: make sure the process is
            pid = self.pid
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


TEMPLATES = Path(__file__).resolve().parents[1] / "present" / "templates"


def render_html(nb_path: Path, title: str = "", nav: list | None = None) -> str:
    """The report a reader opens: outputs only, in Dutch (`lang="nl"`), titled with the target,
    the municipality and the year (the browser tab and a printout; nbconvert's default is the
    file name), with links back (`nav`), the report stylesheet (screen and print), the
    notebook-only cells left out and the analysts' part folded (present/templates/ivb)."""
    import nbformat

    from ..present.pages import REPORT_CSS

    nb = nbformat.read(nb_path, as_version=4)
    if title:
        nb.metadata["title"] = title
    nb.metadata["ivb"] = {"nav": nav or []}
    body, _ = _exporter().from_notebook_node(nb, resources={"ivb_css": REPORT_CSS})
    return body


@functools.cache
def _exporter():
    """One exporter per process: a new one compiles the templates again (about 0.15 s of a 0.3 s
    render); the exporter keeps no state between notebooks."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="ivb", extra_template_basedirs=[str(TEMPLATES)], exclude_input=True,
                        exclude_input_prompt=True, exclude_output_prompt=True, language_code="nl",
                        anchor_link_text="")


class Worker:
    def __init__(self):
        self.kernel: WarmKernel | None = None

    def _kernel(self, cwd: str) -> WarmKernel:
        if self.kernel is not None and (self.kernel.cwd != cwd or not self._alive()):
            self.drop_kernel()
        if self.kernel is None:
            try:
                self.kernel = WarmKernel(cwd)
            except Exception:   # a failed start is the machine's, not the notebook's: try once more
                self.kernel = WarmKernel(cwd)
        else:
            self.kernel.reset()
        return self.kernel

    def _alive(self) -> bool:
        try:
            return bool(self.kernel.km.has_kernel) and self.kernel.control.is_alive()
        except Exception:
            return False

    def drop_kernel(self) -> None:
        if self.kernel is not None:
            self.kernel.shutdown()
            self.kernel = None

    def run(self, job: Task) -> TaskResult:
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError

        t0 = time.perf_counter()
        out_nb, out_html = Path(job.output_notebook), Path(job.output_html)
        try:
            kernel = self._kernel(job.cwd)
            pm.execute_notebook(job.input, str(out_nb), parameters=job.parameters, cwd=job.cwd,
                                kernel_name="python3", km=kernel.km, progress_bar=False, log_output=False,
                                execution_timeout=job.timeout, request_save_on_cell_execute=False)
        except PapermillExecutionError as exc:   # the notebook raised: the kernel is fine, reset next time
            return TaskResult.failed(job.key, f"{exc.ename}: {' '.join(str(exc.evalue).split())}", time.perf_counter() - t0)
        except Exception as exc:   # kernel died, timed out, failed to start: a new kernel for the next job
            self.drop_kernel()
            msg = " ".join(str(exc).split()) or type(exc).__name__
            error = f"{type(exc).__name__}: {msg[:500]}"
            if not out_nb.exists():   # papermill keeps no notebook here: leave one that says what happened
                _write_unfinished(job, out_nb, error)
            return TaskResult.failed(job.key, error, time.perf_counter() - t0)
        out_html.write_text(render_html(out_nb, job.title, job.nav), encoding="utf-8")
        return TaskResult(job.key, True, "", time.perf_counter() - t0)


def _write_unfinished(job: Task, out_nb: Path, error: str) -> None:
    """The notebook with its parameters, headed by what stopped it (a time-out, a kernel that
    died): kept under _failed/ by the batch, like the notebook of a cell that raised."""
    try:
        import nbformat
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook

        nb = parameterize_notebook(load_notebook_node(job.input), job.parameters)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(
            f"**Niet voltooid** — {error}\n\nDe cellen hieronder zijn niet (volledig) uitgevoerd."))
        nbformat.write(nb, str(out_nb))
    except Exception:   # the report failed already; a missing explanation must not hide that
        pass


def main() -> None:
    # results go to the real stdout; anything else printed here (warnings, libraries) to stderr
    results = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    worker = Worker()

    def stop(*_):
        worker.drop_kernel()
        os._exit(143)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the batch decides; it sends SIGTERM
    for module in ("papermill", "nbconvert", "nbformat"):   # paid once, before the first job
        importlib.import_module(module)
    results.write(json.dumps({"ready": True}) + "\n")
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            job = Task.from_json(json.loads(line))
            results.write(json.dumps(worker.run(job).to_json()) + "\n")
    finally:
        worker.drop_kernel()


if __name__ == "__main__":
    main()

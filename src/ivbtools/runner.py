"""Execute one notebook with papermill and render it to HTML, in a separate process.

Used by `ivb run` (batch.py) as `python -m ivbtools.runner JOB.json`. Runs in its own
process so a crashing kernel, a hang or Ctrl-C affects one notebook only. Writes the
executed notebook and the HTML to the paths given in the job file; on failure it writes
the executed notebook (with the error) only, and prints one line to stderr.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def render_html(nb_path: Path) -> str:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(nb_path, as_version=4)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    return body


def run(job: dict) -> int:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    out_nb, out_html = Path(job["output_notebook"]), Path(job["output_html"])
    try:
        pm.execute_notebook(job["input"], str(out_nb), parameters=job["parameters"], cwd=job["cwd"],
                            kernel_name="python3", progress_bar=False, log_output=False,
                            execution_timeout=job.get("timeout"), request_save_on_cell_execute=False)
    except PapermillExecutionError as exc:
        print(f"{exc.ename}: {' '.join(str(exc.evalue).split())}", file=sys.stderr)
        return 1
    except Exception as exc:  # kernel died, timeout, …: one line, the batch goes on
        msg = " ".join(str(exc).split()) or type(exc).__name__
        print(f"{type(exc).__name__}: {msg[:500]}", file=sys.stderr)
        return 1
    out_html.write_text(render_html(out_nb), encoding="utf-8")
    return 0


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    try:
        sys.exit(run(job))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()

"""Drive a real JupyterLab in headless Debian Chromium (used by the browser tests and scripts/demo.sh).

- ``JupyterLab``: a server on 127.0.0.1 (free port, random token, temporary root and settings) whose
  only kernel is this interpreter with the repository importable, so the kernel sees the nbtb
  under test even when it is not installed.
- ``open_browser``: Playwright's sync API on /usr/bin/chromium (browser downloads are impossible).
- ``open_notebook`` / ``run_all``: open a notebook, wait for its kernel, run every cell.

Command line (scripts/demo.sh): ``python tests/browser/lab.py NOTEBOOK --screenshot OUT.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Settings that keep the page deterministic: every cell in the DOM (no virtualised notebook),
# no news/update pop-ups (they also fetch from the internet).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """A private JupyterLab server (``app="notebook"``: Notebook 7, the same server with the
    classic single-document front end); use as a context manager."""

    def __init__(self, root: Path, log: Path | None = None, app: str = "jupyterlab") -> None:
        if app not in ("jupyterlab", "notebook"):
            raise ValueError(app)
        self.app = app
        self.root = Path(root).resolve()
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self._env_dir = Path(tempfile.mkdtemp(prefix="nbtb-lab-env-"))
        self.log_path = log or self._env_dir / "jupyterlab.log"
        self.proc: subprocess.Popen | None = None

    def url(self, path: str = "/lab") -> str:
        return f"http://127.0.0.1:{self.port}{path}?token={self.token}"

    def _environment(self) -> dict[str, str]:
        d = self._env_dir
        kernel_dir = d / "data" / "kernels" / "python3"  # shadows the default python3 kernel
        kernel_dir.mkdir(parents=True)
        pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
        (kernel_dir / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (ipykernel)", "language": "python",
            "env": {"PYTHONPATH": pythonpath},
        }))
        for name, value in LAB_SETTINGS.items():
            path = d / "settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        env = {**os.environ, "JUPYTER_PATH": str(d / "data"), "JUPYTER_CONFIG_DIR": str(d / "config"),
               "JUPYTER_RUNTIME_DIR": str(d / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(d / "settings"),
               "JUPYTERLAB_WORKSPACES_DIR": str(d / "workspaces"), "PYTHONPATH": pythonpath}
        env.pop("JUPYTER_TOKEN", None)
        return env

    def start(self, timeout: float = 90) -> JupyterLab:
        app_class = "LabApp" if self.app == "jupyterlab" else "JupyterNotebookApp"
        cmd = [sys.executable, "-m", self.app, "--no-browser", "--ip=127.0.0.1",
               f"--port={self.port}", "--port-retries=0", f"--ServerApp.token={self.token}",
               f"--ServerApp.root_dir={self.root}", "--ServerApp.open_browser=False",
               f"--{app_class}.expose_app_in_browser=True",  # window.jupyterapp: run commands directly
               "--ServerApp.terminals_enabled=False",
               "--allow-root"]  # CI containers often run as root
        if self.app == "jupyterlab":
            cmd.append("--LabApp.news_url=")
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self._environment(),
                                     cwd=self.root, start_new_session=True)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited: see {self.log_path}\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url("/api/status"), timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise TimeoutError(f"JupyterLab did not answer within {timeout}s: see {self.log_path}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # our own child only; it shuts its kernels down
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def __enter__(self) -> JupyterLab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def open_browser(viewport: tuple[int, int] = (1400, 1000)) -> Iterator[Any]:
    """A Playwright page in headless Debian Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
            yield context
        finally:
            browser.close()


def count_received(page: Any) -> dict[str, int]:
    """A live tally of the websocket bytes and frames the page receives (kernel → browser)."""
    received = {"bytes": 0, "frames": 0}

    def on_socket(ws: Any) -> None:
        def count(payload: Any) -> None:
            received["bytes"] += len(payload) if payload is not None else 0
            received["frames"] += 1
        ws.on("framereceived", count)

    page.on("websocket", on_socket)
    return received


def write_notebook(path: Path, cells: list[str]) -> Path:
    """A notebook of code cells (no outputs)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && !!w.content && w.content.widgets.length > 0;
}"""


def open_notebook(page: Any, lab: JupyterLab, relpath: str, timeout: float = 90) -> None:
    """Open ``relpath`` (relative to the lab root) and wait until its kernel is idle."""
    prefix = "/lab/tree" if lab.app == "jupyterlab" else "/notebooks"
    page.goto(lab.url(f"{prefix}/{relpath}"), timeout=timeout * 1000)
    page.wait_for_function(KERNEL_IDLE, timeout=timeout * 1000)


def run_all(page: Any, timeout: float = 120) -> list[str]:
    """Run every cell (stopping at an error, like JupyterLab) and wait for the kernel to be idle.

    Returns the text of tracebacks in the outputs, so callers can fail with the kernel's message.
    """
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function("""() => {
      const panel = window.jupyterapp.shell.currentWidget;
      return panel.sessionContext.session.kernel.status === 'idle' &&
        panel.content.widgets.every(c => c.model.type !== 'code' || !c.promptNode ||
                                         !c.promptNode.textContent.includes('*'));
    }""", timeout=timeout * 1000)
    return page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
                        ).all_inner_texts()


def execute_command(page: Any, command: str, args: dict | None = None) -> None:
    page.evaluate("([c, a]) => window.jupyterapp.commands.execute(c, a)", [command, args or {}])


def cell_output(page: Any, index: int) -> Any:
    """Locator of the output area of code/markdown cell ``index`` (0-based)."""
    return page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-OutputArea")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Execute a notebook in JupyterLab + Chromium, screenshot it.")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--screenshot", type=Path, required=True)
    parser.add_argument("--dashboards", type=int, default=1, help="wait for this many ready dashboards")
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args(argv)
    nb = args.notebook.resolve()
    args.screenshot.parent.mkdir(parents=True, exist_ok=True)
    with JupyterLab(nb.parent) as lab, open_browser((1400, 1800)) as ctx:
        page = ctx.new_page()
        open_notebook(page, lab, nb.name, args.timeout)
        errors = run_all(page, args.timeout)
        if errors:
            print("errors in outputs:\n" + "\n".join(errors), file=sys.stderr)
        page.wait_for_function(
            f"() => document.querySelectorAll('[data-ready=\"1\"]').length >= {args.dashboards}",
            timeout=args.timeout * 1000)
        page.wait_for_timeout(500)  # let the last frame paint before the screenshot
        page.screenshot(path=str(args.screenshot), full_page=True)
        print(f"screenshot: {args.screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

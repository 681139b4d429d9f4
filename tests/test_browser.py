"""A real browser on the real JupyterLab: what a learner sees after ``make lab``.

JupyterLab is started with the same command line ``make lab`` uses (``mmteach.workspace.lab_command``
and ``jupyter_env``) on a free port, over a temporary copy of the workspace. Headless Chromium,
driven by Playwright, opens a lesson notebook, runs its first cell, adds a cell with an ipywidgets
slider, moves the slider with the keyboard and checks that the Python side saw the change. A
screenshot is saved as ``artifacts/browser_lesson_widget.png``.

Needs Debian's ``chromium`` (``apt-get install -y chromium``) and the ``playwright`` Python package
(its bundled driver is used; no browser is downloaded). Without them the test is skipped and the
reason is printed.
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from mmteach import workspace
from conftest import stop_server

REPO = Path(__file__).resolve().parents[1]

# one worker runs the whole module (its fixture grades a class once); slow, so not in `make test-fast`
pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group(name="browser")]
ARTIFACTS = REPO / "artifacts"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _chromium() -> str | None:
    env = os.environ.get("MMTEACH_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _skip(reason: str):
    # printed as well as recorded, so a CI log shows it even without -rs
    print(f"\nSKIPPED browser test: {reason}", file=sys.stderr, flush=True)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lesson_notebook(root: Path) -> Path:
    """A lesson copied into ``root/lessons`` (the first committed one, or a small stand-in)."""
    lessons = sorted((REPO / "lessons").glob("[0-9][0-9]_*/[0-9][0-9]_*.ipynb"))
    if lessons:
        src = lessons[0].parent
        shutil.copytree(src, root / "lessons" / src.name)
        return Path("lessons") / src.name / lessons[0].name
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Stand-in lesson\nNo lesson is committed yet."),
                nbformat.v4.new_code_cell("import numpy as np\nfrom mmteach import quick_mode\nQUICK = quick_mode()\nprint('ready')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    dest = root / "lessons" / "00_standin" / "00_standin.ipynb"
    dest.parent.mkdir(parents=True)
    nbformat.write(nb, dest)
    return dest.relative_to(root)


@pytest.fixture()
def lab_server(tmp_path):
    chromium = _chromium()
    if chromium is None:
        _skip("no Chromium found (install it: apt-get install -y chromium, or set MMTEACH_CHROMIUM)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _skip("the playwright Python package is not installed (pip install playwright; no browser download needed)")
    root = tmp_path / "course"
    root.mkdir()
    rel = _lesson_notebook(root)
    report = workspace.sync(root / "lessons", root / "workspace")
    assert report.copied, "the workspace should receive the lesson"
    state = root / ".jupyter-state"
    env = workspace.jupyter_env(state)
    # no news or update toasts over the notebook
    settings = state / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    token = secrets.token_hex(16)
    env["JUPYTER_TOKEN"] = token
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("MMTEACH_QUICK", "1")
    port = _free_port()
    cmd = workspace.lab_command(root, port=port, open_browser=False)
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(cmd, cwd=root / "workspace", env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
        nb_rel = Path(*Path(rel).parts[1:]).as_posix()   # path inside workspace/
        yield {"base": base, "token": token, "notebook": nb_rel, "chromium": chromium, "log": tmp_path / "lab.log"}
    finally:
        stop_server(proc, log)


WIDGET_CODE = ("import ipywidgets as widgets\n"
               "tempo = widgets.IntSlider(value=3, min=0, max=10, description='tempo')\n"
               "said = widgets.Label('python sees 3')\n"
               "tempo.observe(lambda change: setattr(said, 'value', f\"python sees {change['new']}\"), names='value')\n"
               "display(tempo, said)")


def test_lesson_runs_and_a_widget_works_in_chromium(lab_server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "browser_lesson_widget.png"
    url = f"{lab_server['base']}/lab/tree/{lab_server['notebook']}?token={lab_server['token']}&reset"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=lab_server["chromium"], headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, wait_until="domcontentloaded", timeout=60_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            # the kernel is up when the status bar says Idle
            page.wait_for_function("() => document.body.innerText.includes('Idle')", timeout=90_000)

            # run the lesson's first code cell the way a learner does: click it, Shift+Enter
            first_code = page.locator(".jp-Notebook .jp-CodeCell").first
            first_code.locator(".jp-InputArea-editor").click()
            page.keyboard.press("Shift+Enter")
            first_code.locator(".jp-InputPrompt").filter(has_text="[1]").wait_for(timeout=120_000)
            errors = first_code.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            tracebacks = first_code.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
            assert tracebacks.count() == 0, "the lesson's first cell raised an error in the browser"
            del errors

            # add a cell with a slider below the last cell, run it
            last = page.locator(".jp-Notebook .jp-Cell").last
            last.click()
            page.keyboard.press("Escape")
            page.keyboard.press("b")
            page.keyboard.press("Enter")
            page.keyboard.insert_text(WIDGET_CODE)
            page.keyboard.press("Shift+Enter")
            slider = page.locator(".jp-OutputArea .widget-slider").first
            slider.wait_for(timeout=60_000)
            label = page.locator(".jp-OutputArea .widget-label", has_text="python sees").first
            assert "python sees 3" in label.inner_text(timeout=30_000)

            # use it: focus the handle, press the arrow key twice
            handle = page.locator(".jp-OutputArea .widget-slider .noUi-handle").first
            handle.click()
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "() => [...document.querySelectorAll('.jp-OutputArea .widget-label')]"
                ".some(e => e.textContent.includes('python sees 5'))", timeout=30_000)
            readout = page.locator(".jp-OutputArea .widget-readout").first.inner_text()
            assert readout.strip() == "5"
            slider.scroll_into_view_if_needed()
            page.screenshot(path=str(shot), full_page=False)
        finally:
            browser.close()
    assert shot.exists() and shot.stat().st_size > 10_000
    print(f"\nscreenshot: {shot}")

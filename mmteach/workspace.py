"""The learner's workspace: private copies of the lessons that updates never overwrite.

``make lab`` copies ``lessons/`` into the git-ignored ``workspace/`` and opens JupyterLab there.
When a lesson changes upstream, the new version arrives *beside* the learner's copy as
``NAME.updated-YYYY-MM-DD.ipynb``; the learner's own file is never touched.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = ".mmteach-sync.json"
_SKIP = {".ipynb_checkpoints", "__pycache__"}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class SyncReport:
    copied: list[str] = field(default_factory=list)       # new lessons, copied in
    updated_beside: list[str] = field(default_factory=list)  # new upstream versions written beside
    unchanged: int = 0

    def summary(self) -> str:
        lines = []
        if self.copied:
            lines.append(f"copied {len(self.copied)} new file(s) into your workspace")
        for p in self.updated_beside:
            lines.append(f"a lesson changed upstream; the new version is beside yours: {p}")
        if not lines:
            lines.append("your workspace is up to date")
        return "\n".join(lines)


def _upstream_files(lessons: Path):
    for path in sorted(lessons.rglob("*")):
        if path.is_file() and not (set(path.relative_to(lessons).parts) & _SKIP):
            yield path


def _beside_name(target: Path, today: str) -> Path:
    candidate = target.with_name(f"{target.stem}.updated-{today}{target.suffix}")
    n = 2
    while candidate.exists():
        candidate = target.with_name(f"{target.stem}.updated-{today}-{n}{target.suffix}")
        n += 1
    return candidate


def sync(lessons: Path, workspace: Path, today: str | None = None) -> SyncReport:
    """Bring ``workspace`` up to date with ``lessons`` without ever overwriting a file in it."""
    lessons, workspace = Path(lessons), Path(workspace)
    if not lessons.is_dir():
        raise FileNotFoundError(f"no lessons folder at {lessons}")
    today = today or _dt.date.today().isoformat()
    workspace.mkdir(parents=True, exist_ok=True)
    manifest_path = workspace / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    except json.JSONDecodeError:
        manifest = {}  # a damaged record only costs us knowing what was delivered; files stay safe
    report = SyncReport()
    for src in _upstream_files(lessons):
        rel = src.relative_to(lessons).as_posix()
        target = workspace / rel
        digest = _sha(src)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
            report.copied.append(rel)
        elif manifest.get(rel) == digest or _sha(target) == digest:
            report.unchanged += 1
        else:
            # Upstream changed since we last delivered it (or we never recorded it): put it beside.
            already = [p for p in target.parent.glob(f"{target.stem}.updated-*{target.suffix}") if _sha(p) == digest]
            if not already:
                beside = _beside_name(target, today)
                shutil.copy2(src, beside)
                report.updated_beside.append(beside.relative_to(workspace).as_posix())
        manifest[rel] = digest
    tmp = manifest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, manifest_path)
    return report


# A learner's JupyterLab keeps nbgrader's Validate button but not the instructor's tools
# (formgrader, "create assignment", exchange-based assignment and course lists).
LEARNER_PAGE_CONFIG = {"disabledExtensions": {
    "@jupyter/nbgrader:formgrader": True, "@jupyter/nbgrader:create-assignment": True,
    "@jupyter/nbgrader:assignment-list": True, "@jupyter/nbgrader:course-list": True}}
LEARNER_SERVER_CONFIG = {"ServerApp": {"jpserver_extensions": {
    "nbgrader.server_extensions.formgrader": False, "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.course_list": False}}}


def jupyter_env(state: Path, learner: bool = True) -> dict:
    """Environment that keeps JupyterLab, IPython and matplotlib state inside ``state``.

    With ``learner=True`` the config folder also switches off nbgrader's instructor panels.
    """
    env = dict(os.environ)
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "matplotlib")):
        (state / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(state / sub)
    if learner:
        (state / "config" / "labconfig").mkdir(parents=True, exist_ok=True)
        (state / "config" / "labconfig" / "page_config.json").write_text(json.dumps(LEARNER_PAGE_CONFIG, indent=1) + "\n")
        (state / "config" / "jupyter_server_config.json").write_text(json.dumps(LEARNER_SERVER_CONFIG, indent=1) + "\n")
    return env


def lab_command(root: Path, port: int = 8888, open_browser: bool | None = None,
                first_lesson: str | None = None) -> list[str]:
    """The ``jupyter lab`` command line ``make lab`` runs (bound to 127.0.0.1)."""
    state = root / ".jupyter-state"
    if open_browser is None:
        open_browser = sys.platform == "darwin" or sys.platform.startswith("win") or bool(
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    cmd = [sys.executable, "-m", "jupyter", "lab",
           f"--ServerApp.root_dir={root / 'workspace'}", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           f"--LabApp.workspaces_dir={state / 'workspaces'}", f"--LabApp.user_settings_dir={state / 'user-settings'}"]
    if first_lesson:
        cmd.append(f"--ServerApp.default_url=/lab/tree/{first_lesson}")
    if not open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # JupyterLab refuses to start as root without it
    return cmd


def lab(root: Path, port: int = 8888, open_browser: bool | None = None) -> int:
    """Sync the workspace, then run JupyterLab on it until interrupted."""
    report = sync(root / "lessons", root / "workspace")
    print(report.summary(), flush=True)
    notebooks = sorted((root / "workspace").glob("[0-9][0-9]_*/[0-9][0-9]_*.ipynb"))
    first = notebooks[0].relative_to(root / "workspace").as_posix() if notebooks else None
    cmd = lab_command(root, port=port, open_browser=open_browser, first_lesson=first)
    print("Starting JupyterLab; open the http://127.0.0.1:... URL it prints below (Ctrl-C stops it).", flush=True)
    try:
        return subprocess.call(cmd, env=jupyter_env(root / ".jupyter-state"), cwd=root / "workspace")
    except KeyboardInterrupt:
        return 0

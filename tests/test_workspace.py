import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from mmteach import workspace


def _lessons(tmp, text="v1"):
    d = tmp / "lessons" / "01_x"
    d.mkdir(parents=True, exist_ok=True)
    (d / "01_x.ipynb").write_text(text)
    (d / "data.txt").write_text("data")
    return tmp / "lessons"


def test_first_sync_copies_everything(tmp_path):
    rep = workspace.sync(_lessons(tmp_path), tmp_path / "ws")
    assert sorted(rep.copied) == ["01_x/01_x.ipynb", "01_x/data.txt"]
    assert (tmp_path / "ws" / "01_x" / "01_x.ipynb").read_text() == "v1"


def test_an_update_arrives_beside_the_learners_work(tmp_path):
    lessons = _lessons(tmp_path)
    ws = tmp_path / "ws"
    workspace.sync(lessons, ws, today="2026-11-21")
    (ws / "01_x" / "01_x.ipynb").write_text("my answers")
    (lessons / "01_x" / "01_x.ipynb").write_text("v2")
    rep = workspace.sync(lessons, ws, today="2026-11-22")
    assert (ws / "01_x" / "01_x.ipynb").read_text() == "my answers"
    assert rep.updated_beside == ["01_x/01_x.updated-2026-11-22.ipynb"]
    assert (ws / "01_x" / "01_x.updated-2026-11-22.ipynb").read_text() == "v2"
    # syncing again delivers nothing new; a second change the same day gets its own name
    assert workspace.sync(lessons, ws, today="2026-11-22").updated_beside == []
    (lessons / "01_x" / "01_x.ipynb").write_text("v3")
    rep = workspace.sync(lessons, ws, today="2026-11-22")
    assert rep.updated_beside == ["01_x/01_x.updated-2026-11-22-2.ipynb"]
    assert (ws / "01_x" / "01_x.ipynb").read_text() == "my answers"


def test_untouched_copy_is_not_duplicated_and_a_lost_manifest_is_safe(tmp_path):
    lessons = _lessons(tmp_path)
    ws = tmp_path / "ws"
    workspace.sync(lessons, ws)
    (ws / workspace.MANIFEST).write_text("{not json")
    (ws / "01_x" / "01_x.ipynb").write_text("edited")
    rep = workspace.sync(lessons, ws, today="2026-01-01")
    assert (ws / "01_x" / "01_x.ipynb").read_text() == "edited"
    assert rep.updated_beside == ["01_x/01_x.updated-2026-01-01.ipynb"]
    assert json.loads((ws / workspace.MANIFEST).read_text())


def test_lab_command_is_local_and_keeps_state_in_the_repo(tmp_path):
    cmd = workspace.lab_command(tmp_path, port=9999, open_browser=False, first_lesson="01_x/01_x.ipynb")
    assert "--ServerApp.ip=127.0.0.1" in cmd and "--no-browser" in cmd
    assert any(a.startswith("--LabApp.workspaces_dir=" + str(tmp_path / ".jupyter-state")) for a in cmd)
    assert ("--allow-root" in cmd) == (os.geteuid() == 0)
    env = workspace.jupyter_env(tmp_path / ".jupyter-state")
    assert env["JUPYTER_CONFIG_DIR"].startswith(str(tmp_path))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.notebook
def test_mmteach_lab_serves_lesson_01(tmp_path, repo):
    """`mmteach lab` (what `make lab` runs) syncs a workspace and serves lesson 01 over HTTP."""
    for name in ("course", "solutions", "mmteach"):
        (tmp_path / name).symlink_to(repo / name)
    shutil.copytree(repo / "lessons", tmp_path / "lessons")
    port = _free_port()
    log = open(tmp_path / "lab.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "mmteach.cli", "lab", "--port", str(port), "--no-browser"],
                            cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        token = None
        deadline = time.time() + 120
        while time.time() < deadline and token is None:
            time.sleep(1)
            text = (tmp_path / "lab.log").read_text()
            if "token=" in text:
                token = text.split("token=")[1].split()[0].strip()
            assert proc.poll() is None, f"JupyterLab exited early:\n{text[-3000:]}"
        assert token, "JupyterLab printed no URL with a token:\n" + (tmp_path / "lab.log").read_text()[-3000:]
        url = f"http://127.0.0.1:{port}/api/contents/01_supervised_learning/01_supervised_learning.ipynb?token={token}"
        with urllib.request.urlopen(url, timeout=30) as resp:
            body = json.loads(resp.read())
        assert body["type"] == "notebook" and "Supervised learning" in json.dumps(body["content"])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=30) as resp:
            assert resp.status == 200
            page = resp.read().decode()
        # the learner gets nbgrader's Validate button, not the instructor's formgrader
        assert "@jupyter/nbgrader:formgrader" in page.split("disabledExtensions")[1][:400]
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/formgrader?token={token}", timeout=30)
        assert err.value.code == 404
        assert (tmp_path / "workspace" / "01_supervised_learning" / "01_supervised_learning.ipynb").exists()
        assert (tmp_path / ".jupyter-state" / "runtime").is_dir()
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)

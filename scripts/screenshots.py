"""Screenshots of the controllers' view: a real Prefect server, the example run twice, Chromium.

Not run in CI. Needs Debian's chromium (`apt-get install chromium`). Usage:

    .venv/bin/python scripts/screenshots.py [--out docs/images] [--keep]

It starts `prefect server start` on a free loopback port (temporary PREFECT_HOME, SQLite), runs
`kitflow run --as-of 2020-12-31 --no-send` on a copy of config/example, adds a small booking
file and runs again (so "what changed" has something to say), then photographs the second run's
page and its artifacts. Everything temporary is removed afterwards unless --keep is given.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.sync.client import connect

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EXTRA_BOOKINGS = (
    "Dato;Projektdefinition;Beløb i DKK;Kontoart;Bilag;Position;Tekst\r\n"
    "2020-12-15;XA-0285000114;200.000,00;4000;2000000901;1;Konsulentbistand, slutfase\r\n"
    "2020-12-16;XA-0285000114;100.000,50;4000;2000000902;1;Licenser\r\n"
    "2020-12-17;XA-9999000001;12.500,00;4000;2000000903;1;Ukendt løbenummer\r\n"
)
# (file name, path in the UI, window size, text to wait for, tab to click): what a controller
# opens, in order. B4's table needs a full-HD screen beside the UI's side panel.
SHOTS = (
    (
        "prefect-flow-run.png",
        "/runs/flow-run/{run}",
        (1600, 1100),
        "afstemning-resume",
        "Artifacts",
    ),
    (
        "prefect-oversigt.png",
        "/artifacts/artifact/{afstemning-oversigt}",
        (1920, 1080),
        "I alt",
        None,
    ),
    ("prefect-resume.png", "/artifacts/artifact/{afstemning-resume}", (1400, 1640), "Fund", None),
    (
        "prefect-aendringer.png",
        "/artifacts/artifact/{afstemning-aendringer}",
        (1400, 720),
        "Nye",
        None,
    ),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(api: str, server: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"prefect server stopped with exit code {server.returncode}")
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"prefect server at {api} not healthy after {timeout:.0f} s")


def kitflow_run(env: dict[str, str], data: Path, out: Path, cwd: Path) -> None:
    cmd = [str(BIN / "kitflow"), "run", "--as-of", "2020-12-31", "--no-send"]
    cmd += ["--data", str(data), "--out", str(out)]
    subprocess.run(cmd, env=env, cwd=cwd, check=True)


def latest_run_and_artifacts(api: str) -> dict[str, str]:
    runs = httpx.post(
        f"{api}/flow_runs/filter",
        json={
            "flow_runs": {"name": {"like_": "afstemning"}},
            "sort": "START_TIME_DESC",
            "limit": 1,
        },
        timeout=30,
    ).json()
    if not runs:
        raise RuntimeError("no afstemning flow run found on the server")
    run = runs[0]["id"]
    ids = {"run": run}
    artifacts = httpx.post(
        f"{api}/artifacts/filter",
        json={"artifacts": {"flow_run_id": {"any_": [run]}}},
        timeout=30,
    ).json()
    for a in artifacts:
        if a.get("key"):
            ids[a["key"]] = a["id"]
    return ids


class Browser:
    """Headless Chromium driven over the DevTools protocol: open, click a tab, photograph."""

    def __init__(self, chromium: str, profile: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                f"--user-data-dir={profile}",
                f"--remote-debugging-port={self.port}",
                "--remote-allow-origins=*",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                pages = httpx.get(f"http://127.0.0.1:{self.port}/json/list", timeout=2).json()
                page = next(p for p in pages if p["type"] == "page")
                break
            except (httpx.HTTPError, StopIteration):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("chromium did not open its DevTools port") from None
                time.sleep(0.5)
        self.ws = connect(page["webSocketDebuggerUrl"], max_size=None)
        self.next_id = 0

    def call(self, method: str, **params: object) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.ws.recv(timeout=60))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def js(self, expression: str) -> object:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def wait_for_text(self, text: str, timeout: float = 45) -> None:
        deadline = time.monotonic() + timeout
        probe = f"document.body && document.body.innerText.includes({json.dumps(text)})"
        while not self.js(probe):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the page never showed {text!r}")
            time.sleep(0.5)
        time.sleep(1.5)  # let tables and fonts settle after the text is there

    def shot(self, url: str, target: Path, size: tuple[int, int], text: str, tab: str | None):
        width, height = size
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.call("Page.navigate", url=url)
        if tab:
            self.wait_for_text(tab)
            clicked = self.js(
                "(() => { const t = [...document.querySelectorAll('button, [role=tab], li, a')]"
                f".find(e => e.textContent.trim() === {json.dumps(tab)});"
                " if (t) { t.click(); return true; } return false; })()"
            )
            if not clicked:
                raise RuntimeError(f"no tab {tab!r} on {url}")
        self.wait_for_text(text)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        target.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        self.ws.close()
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium not found: apt-get install -y chromium", file=sys.stderr)
        return 2

    tmp = Path(tempfile.mkdtemp(prefix="kitflow-screens-"))
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "KITFLOW_"))} | {
        "PREFECT_HOME": str(tmp / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_API_URL": api,  # the UI on a port other than 4200 needs it
        "PREFECT_API_URL": api,
        "KITFLOW_STATE_DIR": str(tmp / "state"),
        "PYTHONPATH": str(REPO),
    }
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp,
        stdout=(tmp / "server.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_healthy(api, server)
        data = tmp / "data"
        shutil.copytree(REPO / "config" / "example", data)
        kitflow_run(env, data, tmp / "out", tmp)
        (data / "bookings" / "posteringer_tillaeg.csv").write_text(EXTRA_BOOKINGS, "utf-8")
        kitflow_run(env, data, tmp / "out", tmp)
        ids = latest_run_and_artifacts(api)
        args.out.mkdir(parents=True, exist_ok=True)
        ui = f"http://127.0.0.1:{port}"
        browser = Browser(chromium, tmp / "chromium")
        try:
            for name, path, size, text, tab in SHOTS:
                url = ui + path.format_map(ids)
                browser.shot(url, args.out / name, size, text, tab)
                print(f"{args.out / name}  <-  {url}")
        finally:
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The leadership report opened in a real browser (headless Chromium, networking off):
every figure renders (naturalWidth > 0), nothing is fetched from the network, the page
fits a phone's width. The screenshots are kept in test-artifacts/ (gitignored).

Chromium is driven over the DevTools protocol through a pipe (``--remote-debugging-pipe``:
JSON messages separated by NUL bytes on file descriptors 3 and 4), so no extra Python
package and no open port are needed. The test skips, saying why, where Chromium is absent
(``.ci/run`` installs Debian's ``chromium``)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or os.name == "nt",
    reason="no Chromium on this machine (install Debian's 'chromium'; .ci/run does) - the real-browser test is skipped",
)

OFFLINE_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
    '--host-resolver-rules=MAP * ~NOTFOUND', "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
]


class Browser:
    """Minimal DevTools-protocol client over Chromium's pipe transport."""

    def __init__(self, timeout: float = 60):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="paranalysis-chromium-")
        to_child_r, self._to_child_w = os.pipe()
        self._from_child_r, from_child_w = os.pipe()

        def wire():  # child: read commands on fd 3, write replies on fd 4 (dups first: no clobbering)
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, *OFFLINE_FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire, close_fds=False)  # os.pipe() ends are close-on-exec; fds 3 and 4 are not
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []
        self.session = None

    def send(self, method: str, params: dict | None = None, session: bool = True) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._to_child_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._next(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _next(self, deadline: float) -> dict:
        import select

        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self._from_child_r], [], [], left)
            if ready:
                chunk = os.read(self._from_child_r, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def wait_event(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        for i, ev in enumerate(self.events):
            if ev.get("method") == method:
                return self.events.pop(i)
        while True:
            ev = self._next(deadline)
            if ev.get("method") == method:
                return ev
            self.events.append(ev)

    def open(self, url: str, width: int, height: int, mobile: bool = False) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        self.send("Page.enable")
        self.send("Network.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        self.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str):
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in res:
            raise RuntimeError(res["exceptionDetails"])
        return res["result"].get("value")

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
        path.write_bytes(base64.b64decode(data))

    def requests(self) -> list[str]:
        return [ev["params"]["request"]["url"] for ev in self.events if ev.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_child_w, self._from_child_r):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


IMAGES_JS = """(async () => {
  const imgs = Array.from(document.images);
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
  return imgs.map(i => ({w: i.naturalWidth, h: i.naturalHeight, shown: i.getBoundingClientRect().width,
                          alt: i.alt, src: i.src.slice(0, 30)}));
})()"""
LAYOUT_JS = """({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
  banner: !!document.querySelector('.pa-banner, .paranalysis-synthetic-banner'),
  footer: (document.querySelector('.pa-footer') || {}).innerText || '',
  text: document.body.innerText})"""


@pytest.fixture(scope="module")
def leadership_html(tmp_path_factory):
    from paranalysis.reporting import list_notebooks, run_notebooks

    nb = [p for p in list_notebooks() if p.name.startswith("05-")]
    assert nb, "notebook 05 not found"
    out = tmp_path_factory.mktemp("reports")
    res = run_notebooks(out=out, notebooks=nb, progress=False)
    assert res.ok, res.failed
    return out / res.reports[0].html


@pytest.mark.parametrize("device, width, height, mobile", [("desktop", 1280, 900, False), ("phone", 390, 844, True)])
def test_every_figure_renders_offline(leadership_html, device, width, height, mobile):
    ARTIFACTS.mkdir(exist_ok=True)
    b = Browser()
    try:
        b.open(leadership_html.resolve().as_uri(), width, height, mobile)
        images = b.evaluate(IMAGES_JS)
        layout = b.evaluate(LAYOUT_JS)
        b.screenshot(ARTIFACTS / f"leadership-report-{device}.png")
        requested = b.requests()
    finally:
        b.close()
    assert len(images) >= 3, "the leadership report has a funnel, an investment and a ranking figure"
    for img in images:
        assert img["w"] > 0 and img["h"] > 0, f"figure did not render: {img}"
        assert img["src"].startswith("data:image/"), img
        assert img["alt"], "every figure has its caption as alt text"
        assert img["shown"] <= width, "figures shrink to the screen"
    assert layout["scroll"] <= layout["inner"] + 1, f"page wider than the {device} screen"
    assert layout["banner"], "the bundled data is synthetic: the banner must show"
    assert "SHA-256" in layout["footer"], "the provenance footer lists the input checksums"
    remote = [u for u in requested if not u.startswith(("file:", "data:", "about:"))]
    assert remote == [], f"the page tried to load from the network: {remote}"
    assert "def " not in layout["text"] and "import " not in layout["text"]

"""A minimal Chrome DevTools Protocol client over --remote-debugging-pipe.

Chromium reads NUL-terminated JSON commands on fd 3 and writes replies and events on
fd 4, so no websocket library is needed. Used by the browser tests of the HTML report:
they load the page headless, record every network request the page makes, query the
rendered DOM, and take screenshots.
"""
import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-extensions", "--hide-scrollbars", "--remote-debugging-pipe",
]


def find_chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    def __init__(self, timeout=60):
        self.timeout = timeout
        self.dir = tempfile.mkdtemp(prefix="vernier-chromium-")
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()

        def wire():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            [find_chromium(), *FLAGS, "--user-data-dir=" + self.dir, "about:blank"],
            preexec_fn=wire, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._next = 0
        self.events = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer")
            ready, _, _ = select.select([self._r], [], [], left)
            if ready:
                chunk = os.read(self._r, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe")
                self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, session=None, **params):
        self._next += 1
        cmd = {"id": self._next, "method": method, "params": params}
        if session:
            cmd["sessionId"] = session
        os.write(self._w, json.dumps(cmd).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._read_message(deadline)
            if msg.get("id") == self._next:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]
            self.events.append(msg)

    def page(self, method, **params):
        return self.call(method, session=self.session, **params)

    def wait_event(self, method):
        deadline = time.monotonic() + self.timeout
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        while True:
            msg = self._read_message(deadline)
            if msg.get("method") == method:
                return msg
            self.events.append(msg)

    def load(self, url):
        """Navigates and waits for the load event; returns the URLs the page requested."""
        self.events = []
        self.page("Network.enable")
        self.page("Page.enable")
        self.page("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        self.evaluate("1")  # drain events sent before the answer
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"]

    def evaluate(self, expr):
        r = self.page("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(str(r["exceptionDetails"]))
        return r["result"].get("value")

    def screenshot(self, path, width=1200, dark=False, height=None):
        """The whole page (or its top `height` pixels) as PNG."""
        self.page("Emulation.setDeviceMetricsOverride", width=width, height=900,
                  deviceScaleFactor=1, mobile=False)
        self.page("Emulation.setEmulatedMedia", features=[
            {"name": "prefers-color-scheme", "value": "dark" if dark else "light"}])
        args = {"format": "png", "captureBeyondViewport": True}
        if height:
            args["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        data = self.page("Page.captureScreenshot", **args)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        os.close(self._r)
        shutil.rmtree(self.dir, ignore_errors=True)

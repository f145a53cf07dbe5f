"""Headless Chromium for the dashboard test: Debian's `chromium` package (.ci/run installs it),
started with the flags a closed network needs (no background connections, no sync) and a fresh
profile each time."""

import os
import shutil
import subprocess
import tempfile

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("chromium is not installed (.ci/run installs Debian's chromium package)")


def run_page(url: str, *options: str, budget_ms: int = 8000) -> str:
    """Load `url`, let its scripts run for `budget_ms` of virtual time, return stdout."""
    with tempfile.TemporaryDirectory(prefix="predis-chromium-") as profile:
        done = subprocess.run(
            [chromium_binary(), *FLAGS, f"--user-data-dir={profile}",
             f"--virtual-time-budget={budget_ms}", *options, url],
            capture_output=True, timeout=120, env=dict(os.environ, DBUS_SESSION_BUS_ADDRESS=""))
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    return done.stdout.decode()


def dom_after_scripts(url: str) -> str:
    return run_page(url, "--dump-dom")


def screenshot(url: str, path: str, size: str = "1300,1700") -> None:
    run_page(url, f"--screenshot={path}", f"--window-size={size}")

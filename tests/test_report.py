import re
import shutil
import subprocess

import pytest
from monitoring_fixtures import scored_frame, scored_rows

from feedback_nlp.report import build_report, write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    rows = scored_rows(800, "2026-11-02", "2026-11-09")
    for row in rows[:30]:
        row["text_masked"] = "客户: 新版APP闪退，还重复扣款了！\nagent: 非常抱歉"
        row["escalation_risk"] = 0.97
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(scored_frame(rows), path, alert_freq="D")
    return path


def test_report_is_self_contained(report_file):
    html = report_file.read_text(encoding="utf-8")
    assert "<meta charset='utf-8'>" in html
    assert not re.search(r"""(src|href)=["']https?://""", html)  # no CDN, no remote fonts: opens offline
    assert html.count('<svg id="chart-') == 5
    for section in ("Volume by category", "Sentiment and satisfaction", "Emotion mix", "Alerts", "Hot and emerging",
                    "Agents", "Business lines", "Listen to these first"):
        assert section in html
    assert "新版APP闪退" in html  # the worst conversations are shown, with their Chinese text


def test_empty_input_gives_a_page_not_a_crash():
    frame = scored_frame(scored_rows(5, "2026-11-02", "2026-11-03"))
    frame["started_at"] = None
    assert "No timestamped contacts" in build_report(frame)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (make test installs Debian's chromium)")
def test_report_renders_in_headless_chromium(report_file, tmp_path):
    profile = tmp_path / "profile"
    run = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=3000",
                          "--dump-dom", report_file.as_uri()], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    match = re.search(r'data-charts="(\d+)/(\d+)"', run.stdout)
    assert match, "the page's self-check did not run"
    drawn, total = map(int, match.groups())
    assert total == 5 and drawn == total, f"{drawn} of {total} charts drawn"
    console_errors = [line for line in run.stderr.splitlines() if "CONSOLE" in line and re.search(r"Uncaught|Error", line)]
    assert not console_errors, console_errors
    screenshot = tmp_path / "report.png"
    shot = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}2", "--window-size=1200,2400",
                           f"--screenshot={screenshot}", report_file.as_uri()], capture_output=True, text=True, timeout=120)
    assert shot.returncode == 0 and screenshot.stat().st_size > 50_000, shot.stderr[-2000:]

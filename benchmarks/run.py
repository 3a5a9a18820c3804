"""`make bench`: throughput, latency and memory of feedback-nlp against the tools users would otherwise run.

Writes benchmarks/results.md (and results.json) with the machine's details. Everything is measured in one run on
the same texts; speed is reported as ratios, never asserted in tests. Work files go to benchmarks/work/ (ignored).

    python benchmarks/run.py            # everything (about 40 minutes on 2 cores)
    python benchmarks/run.py --quick    # smaller inputs, for a smoke run
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"
CLI = [sys.executable, "-m", "feedback_nlp"]
COMPLAINT = "我上周五在你们APP上买的机票被扣了两次钱，一共多扣了1280元，客服电话打了三次都说在处理，到现在还没退回来，太让人失望了，再不处理我就投诉到12315"


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    import feedback_nlp

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "feedback_nlp": feedback_nlp.__version__, "date": time.strftime("%Y-%m-%d %H:%M")}


class Measured(NamedTuple):
    seconds: float
    peak_rss: int  # bytes, summed over the process and its children: pages they share count once per process
    peak_pss: int  # bytes, shared pages split between the processes that share them; 0 unless asked for


def run_measured(args: list[str], pss: bool = False) -> Measured:
    """Wall time and peak memory (the process and its children) of a command.

    Memory is sampled every 0.1 s, but the process tree is listed only every second: listing it scans every
    process on the machine (~3 ms of CPU), and doing that at each sample took ~6% of a core from the measured
    command, which only shows when the command keeps both cores busy (2 workers). With `pss`, the proportional set
    size is also read once a second: forked workers share the loaded models, which RSS counts once per process,
    and reading it costs ~4 ms a process (~1% of a core at that rate)."""
    started = time.perf_counter()
    process = psutil.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    peak, peak_pss, tree, listed = 0, 0, [process], 0.0
    while process.poll() is None:
        try:
            if time.perf_counter() - listed >= 1.0:
                tree, listed = [process, *process.children(recursive=True)], time.perf_counter()
                if pss:
                    peak_pss = max(peak_pss, sum(_proportional_set_size(p.pid) for p in tree))
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {process.stderr.read().decode()[-2000:]}")
    return Measured(elapsed, peak, peak_pss)


def _proportional_set_size(pid: int) -> int:
    """Bytes (Linux's /proc/PID/smaps_rollup; 0 for a process that has just ended)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            return next((int(line.split()[1]) * 1024 for line in rollup if line.startswith("Pss:")), 0)
    except OSError:
        return 0


def review_texts(n: int) -> list[str]:
    from feedback_nlp.datasets import load_reviews

    texts = load_reviews()["text"].tolist()
    return (texts * (n // len(texts) + 1))[:n]


def conversations(n: int) -> list[dict]:
    from feedback_nlp.datasets import load_stc3

    dialogues = load_stc3()
    out = []
    for i in range(n):
        d = dialogues[i % len(dialogues)]
        out.append({"id": f"{d['id']}-{i}", "turns": [
            {"speaker": t["sender"], "text": " ".join(t["utterances"])} for t in d["turns"]]})
    return out


def conversations_file(n: int) -> Path:
    """`conversations(n)` as JSON lines in the work folder: the input of `analyze` and of the ceiling."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / "dialogues.jsonl"
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in conversations(n)), encoding="utf-8")
    return path


def bench_analyze(results: dict, n_reviews: int, n_dialogues: int, repeats: int, per_tool: dict[str, int]) -> None:
    """Each configuration `repeats` times, keeping the fastest: this shared machine's speed drifts by a third
    between minutes, and the fastest run is the one least disturbed."""
    WORK.mkdir(parents=True, exist_ok=True)
    reviews = WORK / "reviews.csv"
    pd.DataFrame({"id": range(n_reviews), "text": review_texts(n_reviews)}).to_csv(reviews, index=False)
    dialogues = conversations_file(n_dialogues)
    inputs = (("reviews", reviews, n_reviews), ("conversations", dialogues, n_dialogues))
    one_row = WORK / "one-review.csv"  # what a run costs before and after its records: start-up and exit
    pd.DataFrame({"id": [0], "text": review_texts(1)}).to_csv(one_row, index=False)
    fixed_costs: dict[int, list[float]] = {1: [], 2: []}
    best: dict[tuple[str, int], tuple[float, int, int]] = {}
    speedups: dict[str, list[float]] = {name: [] for name, _, _ in inputs}
    # The same ratio over each run's scoring alone, from opening the input to closing the output as the run itself
    # reports it (`--summary-json`): the scaling a long run sees, where start-up is a second of hours.
    speedups_scoring: dict[str, list[float]] = {name: [] for name, _, _ in inputs}
    snownlp = snownlp_timer(baseline_samples(review_texts(n_reviews), per_tool)["SnowNLP sentiment"])
    versus_snownlp: list[float] = []
    # Rounds over all configurations, so that 1 and 2 workers meet the same drifts of the machine's speed.
    for _ in range(repeats):
        fixed = {workers: run_measured([*CLI, "analyze", str(one_row), "-o", str(WORK / "out-one.parquet"), "-q",
                                        "-w", str(workers)]).seconds for workers in (1, 2)}
        for workers, seconds in fixed.items():
            fixed_costs[workers].append(seconds)
        for name, path, n in inputs:
            # SnowNLP just before and just after the review runs, so that a drift of the machine's speed over
            # those seconds weighs on both sides of the ratio alike.
            snownlp_rates = [snownlp()] if name == "reviews" else []
            elapsed_by_workers, scoring_by_workers = {}, {}
            summary = WORK / "summary.json"
            for workers in (1, 2):
                command = [*CLI, "analyze", str(path), "-o", str(WORK / f"out-{name}.parquet"), "-q", "-w", str(workers),
                           "--summary-json", str(summary)]
                elapsed, peak, peak_pss = run_measured(command, pss=True)
                elapsed_by_workers[workers] = elapsed
                scoring_by_workers[workers] = json.loads(summary.read_text(encoding="utf-8"))["elapsed_s"]
                previous = best.get((name, workers), (float("inf"), 0, 0))
                best[(name, workers)] = (min(previous[0], elapsed), max(previous[1], peak), max(previous[2], peak_pss))
            # The two runs of one round are back to back: their ratio is the least disturbed by the drift.
            speedups[name].append(round(elapsed_by_workers[1] / elapsed_by_workers[2], 2))
            speedups_scoring[name].append(round(scoring_by_workers[1] / scoring_by_workers[2], 2))
            if snownlp_rates:
                snownlp_rates.append(snownlp())
                versus_snownlp.append(round(n / elapsed_by_workers[1] / statistics.mean(snownlp_rates), 1))
    results["speedup_per_round"] = speedups
    results["speedup_scoring_per_round"] = speedups_scoring
    results.pop("speedup_after_startup_per_round", None)  # the estimate this replaced, from an earlier run
    results["vs_snownlp_per_round"] = versus_snownlp
    rows = []
    for name, path, n in inputs:
        size_mb = path.stat().st_size / 2**20
        for workers in (1, 2):
            elapsed, peak, peak_pss = best[(name, workers)]
            rows.append({"input": name, "records": n, "workers": workers, "seconds": round(elapsed, 1),
                         "docs_per_s": round(n / elapsed, 1), "mb_per_s": round(size_mb / elapsed, 2),
                         "peak_rss_mb": round(peak / 2**20), "peak_pss_mb": round(peak_pss / 2**20)})
            print(rows[-1], flush=True)
    results["analyze"] = rows
    results["analyze_fixed_cost_s"] = round(min(fixed_costs[1]), 2)
    results["analyze_fixed_cost_2_workers_s"] = round(min(fixed_costs[2]), 2)
    results["analyze_rounds"] = repeats  # a later `--only` run may use another --repeats


def bench_ceiling(results: dict, n_dialogues: int, repeats: int) -> None:
    """What a second process can give on this machine at best (`ceiling.py`), next to what `analyze -w 2` gets."""
    import ceiling

    results["ceiling"] = ceiling.measure(conversations_file(n_dialogues), repeats)
    print(results["ceiling"], flush=True)


PIPELINE_IN_PROCESS = "feedback-nlp full pipeline, in process"


def timed(fn, items) -> float:
    started = time.perf_counter()
    for item in items:
        fn(item)
    return len(items) / (time.perf_counter() - started)


def baseline_samples(texts: list[str], per_tool: dict[str, int]) -> dict[str, list[str]]:
    """Each tool's uniform random sample (fixed seed) of the review texts, drawn in `per_tool`'s order."""
    import random

    rng = random.Random(0)
    return {name: rng.sample(texts, min(n, len(texts))) for name, n in per_tool.items()}


def snownlp_timer(sample: list[str]):
    """A function that times SnowNLP sentiment (docs/s) on `sample`."""
    from snownlp import SnowNLP

    return lambda: timed(lambda t: SnowNLP(t).sentiments, sample)


def bench_baselines(results: dict, n_texts: int, per_tool: dict[str, int], repeats: int) -> None:
    """SnowNLP sentiment, cnsenti sentiment and emotion, plain jieba, in this process, each on a uniform random
    sample (fixed seed) of the same review texts that `analyze` reads. The list is ordered by domain and starts
    with the shortest texts (take-away reviews, ~25 characters against ~50 overall), so timing a tool on its head
    would flatter the tool about threefold."""
    import jieba
    from cnsenti import Emotion, Sentiment
    from snownlp import SnowNLP

    texts = review_texts(n_texts)
    jieba.initialize()
    sentiment, emotion = Sentiment(), Emotion()
    tools = {
        "SnowNLP sentiment": lambda t: SnowNLP(t).sentiments,
        "cnsenti sentiment": sentiment.sentiment_count,
        "cnsenti emotion": emotion.emotion_count,
        "jieba segmentation": jieba.lcut,
    }
    samples = baseline_samples(texts, per_tool)
    # feedback-nlp timed the way the tools are (in this process, after loading), beside the `analyze` command's
    # figures, which also include starting Python, importing and loading the models, reading and writing.
    import feedback_nlp

    nlp = feedback_nlp.load()
    sample = samples[PIPELINE_IN_PROCESS]

    def pipeline_rate() -> float:
        started = time.perf_counter()
        for doc in nlp.pipe(sample, batch_size=256):
            doc.to_dict()
        return len(sample) / (time.perf_counter() - started)

    # Rounds over all the tools, so that the pipeline and SnowNLP are timed a minute apart, not ten: the machine's
    # speed drifts by a third between minutes.
    rates: dict[str, list[float]] = {name: [] for name in tools}
    ours: list[float] = []
    for _ in range(repeats):
        for name, tool in tools.items():
            rates[name].append(timed(tool, samples[name]))
        ours.append(pipeline_rate())
    results["baselines"] = {k: round(max(v), 1) for k, v in rates.items()}
    results["pipeline_in_process"] = round(max(ours), 1)
    results["pipeline_in_process_vs_snownlp_per_round"] = [
        round(o / s, 1) for o, s in zip(ours, rates["SnowNLP sentiment"], strict=True)]
    print({PIPELINE_IN_PROCESS: results["pipeline_in_process"]}, flush=True)
    results["baseline_texts"] = {"pool": len(texts), "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
                                 "sample_sizes": per_tool}
    print(results["baselines"], flush=True)


def _service_client(url: str, requests: int) -> list[float]:
    """One client on one keep-alive connection, timing each POST from sending it to reading the whole answer.

    A bare socket rather than an HTTP library: the clients share the machine's two cores with the server, so a
    client's own CPU per request shows up as service latency. httpx made the 8-client p50 35 ms and http.client
    27 ms against the same server (0.6 ms of client CPU per request); this client needs a tenth of that. It speaks
    just enough HTTP/1.1 for a JSON answer with a Content-Length, and checks the status of every answer."""
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(url)
    body = json.dumps({"text": COMPLAINT}, ensure_ascii=False).encode("utf-8")
    request = (f"POST /v1/analyze HTTP/1.1\r\nHost: {address.netloc}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode("ascii") + body
    latencies = []
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""
        for _ in range(requests):
            started = time.perf_counter()
            connection.sendall(request)
            while b"\r\n\r\n" not in buffer:
                buffer += _received(connection)
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
            while len(buffer) < length:
                buffer += _received(connection)
            buffer = buffer[length:]
            latencies.append((time.perf_counter() - started) * 1000)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"service answered {head.splitlines()[0]!r}")
    return latencies


def _received(connection) -> bytes:
    chunk = connection.recv(65536)
    if not chunk:
        raise RuntimeError("the service closed the connection")
    return chunk


def bench_service(results: dict, requests_per_client: int, rounds: int) -> None:
    """Latency at 1 and 8 concurrent clients, for 1 and 2 server processes, in rounds over both servers (both stay
    up; an idle one costs no CPU) so that they meet the same drifts of the machine's speed. Each client is its own
    process (a thread per client would measure the load generator's GIL, not the service); they share the
    machine's cores with the server, as a script on the same host would. Percentiles pool every round's requests."""
    import socket
    from concurrent.futures import ProcessPoolExecutor

    import httpx

    servers, urls = [], {}
    try:
        for server_workers in (1, 2):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            servers.append(subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers", str(server_workers),
                                             "--log-level", "warning"], cwd=ROOT))
            urls[server_workers] = f"http://127.0.0.1:{port}"
        for url in urls.values():
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).json()["status"] == "ok":
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
        time.sleep(2)  # the second process of the two-process server finishes loading
        with ProcessPoolExecutor(8) as pool:  # warm-up, over 8 connections so that every server process gets some
            for url in urls.values():
                list(pool.map(_service_client, [url] * 8, [20] * 8))
        latencies: dict[tuple[int, int], list[float]] = {}
        walls: dict[tuple[int, int], float] = {}
        round_p50: dict[tuple[int, int], list[float]] = {}
        for _ in range(rounds):
            for server_workers, url in urls.items():
                for clients in (1, 8):
                    with ProcessPoolExecutor(clients) as pool:
                        started = time.perf_counter()
                        parts = list(pool.map(_service_client, [url] * clients, [requests_per_client] * clients))
                        wall = time.perf_counter() - started
                    key = (server_workers, clients)
                    latest = [x for part in parts for x in part]
                    latencies.setdefault(key, []).extend(latest)
                    walls[key] = walls.get(key, 0.0) + wall
                    round_p50.setdefault(key, []).append(round(float(np.percentile(latest, 50)), 2))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    rows = []
    for (server_workers, clients), values in latencies.items():
        p50, p95, p99 = np.percentile(values, [50, 95, 99])
        rows.append({"server_workers": server_workers, "clients": clients, "requests": len(values),
                     "p50_ms": round(float(p50), 2), "p95_ms": round(float(p95), 2), "p99_ms": round(float(p99), 2),
                     "requests_per_s": round(len(values) / walls[(server_workers, clients)], 1),
                     "p50_per_round_ms": round_p50[(server_workers, clients)]})
        print(rows[-1], flush=True)
    results["service"] = rows


def bench_memory(results: dict, sizes: list[int]) -> None:
    rows = []
    base = review_texts(50_000)
    for n in sizes:
        path = WORK / f"rows-{n}.csv"
        with path.open("w", encoding="utf-8") as handle:
            handle.write("id,text,channel\n")
            for i in range(n):
                handle.write(f'{i},"{base[i % len(base)].replace(chr(34), "")}",phone\n')
        elapsed, peak, _ = run_measured([*CLI, "analyze", str(path), "-o", str(WORK / "mem-out.csv"), "-q"])
        rows.append({"rows": n, "file_mb": round(path.stat().st_size / 2**20), "seconds": round(elapsed, 1),
                     "peak_rss_mb": round(peak / 2**20)})
        print(rows[-1], flush=True)
        path.unlink()
    results["memory"] = rows


def bench_monitoring(results: dict, n: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from monitoring_fixtures import scored_rows

    from feedback_nlp.store import ResultsStore

    store = WORK / "monitoring.duckdb"
    store.unlink(missing_ok=True)
    with ResultsStore(store) as results_store:
        for start in range(0, n, 100_000):
            chunk = scored_rows(min(100_000, n - start), "2026-01-01", "2026-12-31", seed=start, id_prefix=f"m{start}-")
            results_store.append(chunk)
    rows = []
    for name, args in (("trends --freq 15min --by category", ["trends", str(store), "--freq", "15min", "--by", "category", "-o", str(WORK / "t.parquet")]),
                       ("alerts --freq h --by business_line", ["alerts", str(store), "--freq", "h", "--by", "business_line"]),
                       ("report", ["report", str(store), "-o", str(WORK / "report.html")])):
        elapsed, peak, _ = run_measured([*CLI, *args])
        rows.append({"command": name, "records": n, "seconds": round(elapsed, 1), "peak_rss_mb": round(peak / 2**20)})
        print(rows[-1], flush=True)
    results["monitoring"] = rows


def profile(results: dict, n: int) -> None:
    """Where the time goes: wall time per pipeline component (and parsing), then pyinstrument's hottest frames."""
    from pyinstrument import Profiler

    import feedback_nlp

    import random

    from feedback_nlp.workers import collect_garbage_rarely

    nlp = feedback_nlp.load()
    texts = random.Random(0).sample(review_texts(50_000), n)  # the mix `analyze` reads, not the list's short head
    list(nlp.pipe(texts[:256]))
    # The collector as `analyze` sets it (until the profile ends); with the defaults, its full collections (walking
    # the models) showed up as the self time of whichever function allocated at the moment, 9% of it in one place.
    threshold = gc.get_threshold()
    collect_garbage_rarely()
    per_stage: dict[str, float] = {}
    for start in range(0, len(texts), 256):
        started = time.perf_counter()
        docs = [nlp.make_doc(text, str(i)) for i, text in enumerate(texts[start : start + 256])]
        per_stage["parse"] = per_stage.get("parse", 0.0) + time.perf_counter() - started
        for name, component in nlp.components:
            started = time.perf_counter()
            component.pipe(docs)
            per_stage[name] = per_stage.get(name, 0.0) + time.perf_counter() - started
        started = time.perf_counter()
        for doc in docs:
            doc.to_dict()
        per_stage["to_dict"] = per_stage.get("to_dict", 0.0) + time.perf_counter() - started
    total_stages = sum(per_stage.values())
    profiler = Profiler(interval=0.001)
    profiler.start()
    for doc in nlp.pipe(texts, batch_size=256):
        doc.to_dict()
    profiler.stop()
    gc.unfreeze()
    gc.set_threshold(*threshold)
    frames: dict[str, float] = {}

    def walk(frame):
        for child in frame.children:
            path = child.file_path or ""
            if any(part in path for part in ("feedback_nlp", "jieba", "sklearn", "scipy", "opencc")):
                key = f"{child.function} ({Path(path).name})"
                frames[key] = frames.get(key, 0.0) + child.total_self_time
            walk(child)

    root = profiler.last_session.root_frame()
    walk(root)
    top = sorted(frames.items(), key=lambda kv: -kv[1])[:10]
    results["profile"] = {
        "texts": n, "total_s": round(total_stages, 2),
        "stages": [{"stage": k, "seconds": round(v, 3), "share": round(v / total_stages, 3)} for k, v in per_stage.items()],
        "top": [{"frame": k, "self_seconds": round(v, 3), "share": round(v / root.time, 3)} for k, v in top],
    }
    print(results["profile"], flush=True)


def command_line(results: dict) -> str:
    """The command that produced `results` (the last run, for sections it did not re-measure)."""
    return f"python benchmarks/run.py {results['command']}" if results.get("command") else "make bench"


def write_markdown(results: dict) -> str:
    m = results["machine"]
    lines = ["# Benchmarks", "", f"Measured {m['date']} by `{command_line(results)}` on {m['cpu']}, {m['cores']} cores, "
             f"{m['memory_gb']} GB RAM, Python {m['python']}, feedback-nlp {m['feedback_nlp']}.", ""]
    def stamp(section: str) -> list[str]:
        """A section measured by an earlier `--only` run than the one in the header says when, and by what."""
        when = results.get("measured", {}).get(section)
        if when == m["date"]:
            return []
        by = results.get("measured_by", {}).get(section)
        return [f"Measured {when or 'in an earlier run'}" + (f" by `{by}`." if by else "."), ""]

    if "analyze" in results:
        snow = results.get("baselines", {}).get("SnowNLP sentiment")
        lines += ["## `feedback-nlp analyze` throughput (full pipeline: normalise, mask, segment, category, "
                  "sentiment, emotion, satisfaction, escalation, keywords)", "", *stamp("analyze"),
                  f"Fastest of {results.get('analyze_rounds', results.get('repeats', 1))} runs of each; SnowNLP's rate comes from the same run "
                  "(next section).", "",
                  "Peak memory of the process and its workers: RSS counts the models that forked workers share once per "
                  "process, PSS splits shared pages between the processes that share them (read once a second).", "",
                  "| input | records | workers | seconds | docs/s | MB/s | peak RSS MB | peak PSS MB "
                  "| docs/s per core vs SnowNLP sentiment |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in results["analyze"]:
            ratio = f"{r['docs_per_s'] / r['workers'] / snow:.1f}x" if snow and r["input"] == "reviews" else "-"
            lines.append(f"| {r['input']} | {r['records']:,} | {r['workers']} | {r['seconds']} | {r['docs_per_s']:,} "
                         f"| {r['mb_per_s']} | {r['peak_rss_mb']} | {r.get('peak_pss_mb', '-')} | {ratio} |")
        for name in ("reviews", "conversations"):
            one = next(r for r in results["analyze"] if r["input"] == name and r["workers"] == 1)
            two = next(r for r in results["analyze"] if r["input"] == name and r["workers"] == 2)
            rounds = results.get("speedup_per_round", {}).get(name)
            paired = (f" Within each round (1 and 2 workers back to back): {', '.join(f'{x:.2f}x' for x in rounds)}, "
                      f"median {float(np.median(rounds)):.2f}x." if rounds else "")
            if name == "reviews" and results.get("vs_snownlp_per_round"):
                per_round = results["vs_snownlp_per_round"]
                lines.append(f"\nAgainst SnowNLP sentiment timed within each round, just before and just after that round's "
                             f"review runs (the mean of the two): "
                             f"{', '.join(f'{x:.1f}x' for x in per_round)}, median {float(np.median(per_round)):.1f}x.")
            scoring = results.get("speedup_scoring_per_round", {}).get(name)
            if scoring:
                paired += (f" Scoring alone (each run's own time from opening the input to closing the output, without "
                           f"starting Python, loading the models and exiting): "
                           f"{', '.join(f'{x:.2f}x' for x in scoring)}, median {float(np.median(scoring)):.2f}x.")
            lines.append(f"\nSpeed-up from 1 to 2 workers on {name}, fastest runs: "
                         f"{two['docs_per_s'] / one['docs_per_s']:.2f}x.{paired}")
        if results.get("analyze_fixed_cost_s"):
            lines.append(f"\nWhat every run pays besides its records (starting Python, importing, loading and warming up "
                         f"the models, exiting), timed as `analyze` of a one-row file: {results['analyze_fixed_cost_s']} s, "
                         + (f"{results['analyze_fixed_cost_2_workers_s']} s with 2 workers, "
                            if results.get("analyze_fixed_cost_2_workers_s") else "")
                         + "fastest of the rounds.")
    if "ceiling" in results:
        c = results["ceiling"]
        lines += ["", "## What a second process can give on this machine", "", *stamp("ceiling"),
                  "The time of one process doing all the work over the wall time of two forked processes doing half each, "
                  "with no queue, reading or writing (`benchmarks/ceiling.py`), per round:", "",
                  f"- a pure-Python loop, which needs no memory: {_rounds(c['python_loop'])};",
                  f"- the loaded pipeline scoring {c['conversations']:,} conversations, forked after loading as "
                  f"`analyze`'s workers are: {_rounds(c['pipeline_conversations'])}."]
    if "baselines" in results:
        ours = next((r["docs_per_s"] for r in results.get("analyze", []) if r["input"] == "reviews" and r["workers"] == 1), None)
        sampled = results.get("baseline_texts")
        note = (f"Each tool on a uniform random sample of the {sampled['pool']:,} review texts that `analyze` reads "
                f"(mean {sampled['mean_chars']} characters), in this process." if sampled else "")
        lines += ["", "## The tools users would otherwise run (same review texts, one core)", "", *stamp("baselines"),
                  note, "",
                  "| tool | docs/s | feedback-nlp full pipeline, 1 worker, is |", "|---|---|---|"]
        for tool, rate in results["baselines"].items():
            ratio = f"{ours / rate:.1f}x as fast" if ours else "-"
            lines.append(f"| {tool} | {rate:,} | {ratio} |")
        in_process, snow = results.get("pipeline_in_process"), results["baselines"].get("SnowNLP sentiment")
        per_round = results.get("pipeline_in_process_vs_snownlp_per_round")
        if in_process and snow:
            n = sampled["sample_sizes"].get(PIPELINE_IN_PROCESS, 0) if sampled else 0
            lines.append(f"\nfeedback-nlp's full pipeline timed the way these tools are (in this process, after loading, on "
                         f"a uniform sample of {n:,} of the texts, output rows built): {in_process:,} docs/s, "
                         f"{in_process / snow:.1f}x SnowNLP sentiment"
                         + (f" (within each round: {', '.join(f'{x:.1f}x' for x in per_round)}, median "
                            f"{float(np.median(per_round)):.1f}x)" if per_round else "")
                         + ". The `analyze` figures above also pay for "
                         "starting Python, importing and loading the models"
                         + (f" ({results['analyze_fixed_cost_s']} s a run)" if results.get("analyze_fixed_cost_s") else "")
                         + ", reading and writing.")
    if "service" in results:
        lines += ["", "## Service latency (`POST /v1/analyze`, one 100-character complaint)", "", *stamp("service"),
                  "Each client is a process with one keep-alive connection on a bare socket, on the same two cores "
                  "as the server; latency is from sending a request to reading its whole answer.", "",
                  "| server processes | concurrent clients | requests | p50 ms | p50 ms per round | p95 ms | p99 ms "
                  "| requests/s |", "|---|---|---|---|---|---|---|---|"]
        for r in results["service"]:
            per_round = ", ".join(map(str, r.get("p50_per_round_ms", [])))
            lines.append(f"| {r.get('server_workers', 1)} | {r['clients']} | {r['requests']} | {r['p50_ms']} "
                         f"| {per_round} | {r['p95_ms']} | {r['p99_ms']} | {r['requests_per_s']} |")
    if "memory" in results:
        lines += ["", "## Peak memory streaming a CSV through `analyze` (1 worker)", "", *stamp("memory"),
                  "| rows | file MB | seconds | peak RSS MB |", "|---|---|---|---|"]
        for r in results["memory"]:
            lines.append(f"| {r['rows']:,} | {r['file_mb']} | {r['seconds']} | {r['peak_rss_mb']} |")
    if "monitoring" in results:
        lines += ["", "## Monitoring over a store of scored contacts", "", *stamp("monitoring"), "| command | records | seconds | peak RSS MB |",
                  "|---|---|---|---|"]
        for r in results["monitoring"]:
            lines.append(f"| `{r['command']}` | {r['records']:,} | {r['seconds']} | {r['peak_rss_mb']} |")
    if "profile" in results and "stages" in results["profile"]:
        p = results["profile"]
        lines += ["", f"## Where the time goes ({p['texts']:,} review texts in process, {p['total_s']} s)", "",
                  *stamp("profile"), "Wall time per pipeline stage:", "", "| stage | seconds | share |", "|---|---|---|"]
        for r in p["stages"]:
            lines.append(f"| {r['stage']} | {r['seconds']} | {r['share']:.0%} |")
        lines += ["", "Hottest functions by self time (pyinstrument):", "", "| function | self seconds | share |",
                  "|---|---|---|"]
        for r in p["top"]:
            lines.append(f"| `{r['frame']}` | {r['self_seconds']} | {r['share']:.0%} |")
    return "\n".join(lines) + "\n"


def _rounds(values: list[float]) -> str:
    return f"{', '.join(f'{x:.2f}x' for x in values)}, median {float(np.median(values)):.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small inputs: a smoke run, not for the README")
    parser.add_argument("--only", nargs="*", help="analyze baselines service memory monitoring profile ceiling")
    parser.add_argument("--repeats", type=int, help="rounds of each measurement (default 3, 1 with --quick); more "
                        "rounds give steadier medians on a machine whose speed drifts")
    args = parser.parse_args()
    quick = args.quick
    repeats = args.repeats or (1 if quick else 3)
    n_reviews = 5_000 if quick else 50_000
    per_tool = {"SnowNLP sentiment": 200 if quick else 1_000, "cnsenti sentiment": 300 if quick else 2_000,
                "cnsenti emotion": 1_000 if quick else 5_000, "jieba segmentation": 2_000 if quick else 10_000,
                PIPELINE_IN_PROCESS: 2_000 if quick else 10_000}  # last: the others keep the samples they had
    steps = {
        "analyze": lambda r: bench_analyze(r, n_reviews, 500 if quick else 5_000, repeats, per_tool),
        "baselines": lambda r: bench_baselines(r, n_reviews, per_tool, repeats),
        "service": lambda r: bench_service(r, 50 if quick else 500, repeats),
        "memory": lambda r: bench_memory(r, [20_000, 50_000] if quick else [200_000, 1_000_000]),
        "monitoring": lambda r: bench_monitoring(r, 50_000 if quick else 1_000_000),
        "profile": lambda r: profile(r, 2_000 if quick else 10_000),
        "ceiling": lambda r: bench_ceiling(r, 500 if quick else 5_000, repeats),
    }
    target = ROOT / "benchmarks" / ("results-quick" if quick else "results")
    previous = target.with_suffix(".json")
    # --only refreshes some sections and keeps the others from the last full run.
    results = json.loads(previous.read_text()) if args.only and previous.exists() else {}
    results.update(machine=machine(), quick=quick, repeats=repeats, command=" ".join(sys.argv[1:]))
    for name, step in steps.items():
        if args.only and name not in args.only:
            continue
        print(f"== {name}", flush=True)
        step(results)
        results.setdefault("measured", {})[name] = results["machine"]["date"]
        results.setdefault("measured_by", {})[name] = command_line(results)
    publish(results, target)


def publish(results: dict, target: Path) -> None:
    """results.json and results.md, and (for a full-size run) the README's copy of the tables."""
    target.with_suffix(".json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    target.with_suffix(".md").write_text(write_markdown(results), encoding="utf-8")
    print(f"wrote {target.with_suffix('.md')}")
    if not results["quick"]:  # the README shows the same tables
        readme = ROOT / "README.md"
        text = readme.read_text(encoding="utf-8")
        block = write_markdown(results).split("\n", 2)[2]
        text = re.sub(r"<!-- bench:start -->.*<!-- bench:end -->|BENCH_TABLE",
                      lambda _: f"<!-- bench:start -->\n{block}<!-- bench:end -->", text, flags=re.S)
        readme.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

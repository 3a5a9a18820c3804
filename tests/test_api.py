import json
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("fastapi")
import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from feedback_nlp.api import ServiceLimits, create_app  # noqa: E402

COMPLAINT = "我的信用卡被重复扣款了，到现在还没退回来，电话13812345678"


@pytest.fixture(scope="module")
def client(test_models_pipeline):
    with TestClient(create_app(test_models_pipeline, limits=ServiceLimits(max_body_bytes=20_000, max_text_chars=2_000, max_batch_items=5))) as c:
        yield c


def test_analyze_text_has_the_cli_schema(client, full_nlp):
    nlp = full_nlp
    response = client.post("/v1/analyze", json={"text": COMPLAINT, "channel": "app"})
    assert response.status_code == 200
    body = response.json()
    expected = nlp.analyze_batch([{"text": COMPLAINT, "channel": "app"}])[0].to_dict()
    assert body.keys() == expected.keys()
    assert body["text_masked"].endswith("<PHONE>") and body["channel"] == "app"
    for field in ("category", "sentiment_score", "emotion", "satisfaction", "escalation_risk"):
        assert field in body


def test_the_fast_path_answers_exactly_as_the_fastapi_route(client):
    """`application/json` bodies take the fast path; `+json` media types go through FastAPI's route."""
    for record in ({"text": COMPLAINT, "channel": "app", "agent_id": "A7"},
                   {"id": "c2", "turns": [{"speaker": "客户", "text": "退款还没到账"}, {"speaker": "坐席", "text": "我查一下"}]}):
        body = json.dumps(record, ensure_ascii=False).encode("utf-8")
        fast = client.post("/v1/analyze", content=body, headers={"content-type": "application/json"})
        routed = client.post("/v1/analyze", content=body, headers={"content-type": "application/merge-patch+json"})
        assert fast.status_code == routed.status_code == 200
        assert fast.content == routed.content
        assert fast.headers["content-type"] == routed.headers["content-type"] == "application/json"


def test_analyze_transcript(client):
    response = client.post("/v1/analyze", json={"id": "call-1", "turns": [
        {"speaker": "客户", "text": "我的退款还没到账"}, {"speaker": "坐席", "text": "我帮您查一下"}]})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "call-1" and [t["speaker"] for t in body["turns"]] == ["customer", "agent"]


def test_half_a_surrogate_pair_in_an_id_or_metadata_is_answered_not_a_server_error(client):
    # JSON may escape half of a UTF-16 pair; UTF-8 cannot hold it, so it becomes U+FFFD instead of a 500.
    body = b'{"id": "a\\ud800", "text": "\xe9\x80\x80\xe6\xac\xbe", "channel": "x\\udc00"}'
    answer = client.post("/v1/analyze", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 200
    assert answer.json()["id"] == "a\ufffd" and answer.json()["channel"] == "x\ufffd"


def test_batch_and_batch_limit(client):
    ok = client.post("/v1/analyze/batch", json={"items": [{"text": "退款"}, {"text": "谢谢你们"}]})
    assert ok.status_code == 200 and len(ok.json()["results"]) == 2
    too_many = client.post("/v1/analyze/batch", json={"items": [{"text": "x"}] * 6})
    assert too_many.status_code == 413 and "limit is 5" in too_many.json()["detail"]


def test_limits_and_bad_requests(client):
    long_text = client.post("/v1/analyze", json={"text": "长" * 2_001})
    assert long_text.status_code == 413 and "characters; the limit is 2,000" in long_text.json()["detail"]
    big_body = client.post("/v1/analyze", content=json.dumps({"text": "x", "pad": "y" * 30_000}),
                           headers={"content-type": "application/json"})
    assert big_body.status_code == 413 and "bytes; the limit is 20,000" in big_body.json()["detail"]
    # No Content-Length (a chunked upload): the limit still holds while the body streams in.
    chunks = (part.encode() for part in ['{"text": "x", "pad": "', "y" * 15_000, "y" * 15_000, '"}'])
    streamed = client.post("/v1/analyze", content=chunks, headers={"content-type": "application/json"})
    assert streamed.status_code == 413 and "the limit is 20,000" in streamed.json()["detail"]
    malformed = client.post("/v1/analyze", content="{not json", headers={"content-type": "application/json"})
    assert malformed.status_code == 422
    neither = client.post("/v1/analyze", json={"id": "x"})
    assert neither.status_code == 422 and "exactly one of" in neither.json()["detail"]
    empty = client.post("/v1/analyze", json={"text": "   "})
    assert empty.status_code == 422 and empty.json()["code"] == "empty_text"
    speaker = client.post("/v1/analyze", json={"turns": [{"speaker": "robot", "text": "hi"}]})
    assert speaker.status_code == 422 and "unknown speaker" in speaker.json()["error"]


def test_health_models_and_openapi(client):
    assert client.get("/healthz").json()["status"] == "ok"
    models = client.get("/v1/models").json()["models"]
    assert {"category", "sentiment", "emotion", "satisfaction"} <= set(models)
    assert models["category"]["labels"] and models["category"]["version"]
    assert "/v1/analyze" in client.get("/openapi.json").json()["paths"]


def test_schemathesis_against_the_openapi_spec(test_models_pipeline):
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings

    app = create_app(test_models_pipeline, limits=ServiceLimits(max_body_bytes=20_000, max_text_chars=2_000, max_batch_items=5))
    with TestClient(app):  # runs the lifespan, so the models are loaded
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        failures = []

        def make_check(op):
            @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
            @given(case=op.as_strategy())
            def check(case):
                response = case.call()
                assert response.status_code < 500, f"{op.label}: {response.status_code} {response.text[:200]}"

            return check

        for operation in schema.get_all_operations():
            try:
                make_check(operation.ok())()
            except AssertionError as exc:
                failures.append(str(exc))
        assert not failures, failures


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_real_uvicorn_on_loopback_with_concurrent_clients(workers):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "feedback_nlp", "serve", "--port", str(port),
                               "--workers", str(workers), "--log-level", "warning"])
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).json()["status"] == "ok":
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("the service did not start within 120 s")

        def call(i: int) -> tuple[int, str]:
            # Concurrent requests are scored in shared batches: each must still get its own answer.
            answer = httpx.post(f"{url}/v1/analyze", json={"id": str(i), "text": COMPLAINT}, timeout=30)
            return answer.status_code, answer.json()["id"]

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(call, range(80)))
        assert answers == [(200, str(i)) for i in range(80)]
        assert httpx.post(f"{url}/v1/analyze", content="{", headers={"content-type": "application/json"}).status_code == 422
        assert server.poll() is None  # nothing crashed the process
    finally:
        server.terminate()
        server.wait(timeout=30)

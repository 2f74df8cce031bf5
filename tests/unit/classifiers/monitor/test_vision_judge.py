"""OpenAIVisionJudgeClassifier against a local fake OpenAI-compatible server (no network)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from limner.classifiers.base import Classifier, ClassifierUnavailable
from limner.classifiers.monitor.vision_judge import OpenAIVisionJudgeClassifier

GOOD_ANSWER = '{"scores": {"violence/graphic": 0.9, "sexual": 0.05, "made_up": 1}, "reason": "a red splash"}'


class _Handler(BaseHTTPRequestHandler):
    answer = GOOD_ANSWER
    seen: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        payload = {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": type(self).answer}}],
        }  # fmt: skip
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.seen = []
    httpd = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def test_judge_round_trip(server: str) -> None:
    pytest.importorskip("openai")
    judge = OpenAIVisionJudgeClassifier(base_url=server, model="local-vlm", api_key="k")
    assert isinstance(judge, Classifier)
    ((sample, _),) = OpenAIVisionJudgeClassifier.examples()
    scores = {s.label: s for s in judge.classify(sample)}
    assert scores["violence/graphic"].value == 0.9 and "a red splash" in scores["violence/graphic"].rationale
    assert "made_up" not in scores
    req = _Handler.seen[0]
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer k"
    content = req["body"]["messages"][1]["content"]  # type: ignore[index]
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert "a red circle" in content[0]["text"]


def test_unparseable_answer_fails_closed(server: str) -> None:
    pytest.importorskip("openai")
    _Handler.answer = "I cannot help with that."
    try:
        judge = OpenAIVisionJudgeClassifier(base_url=server, model="m")
        with pytest.raises(ClassifierUnavailable):
            judge.classify(OpenAIVisionJudgeClassifier.examples()[0][0])
    finally:
        _Handler.answer = GOOD_ANSWER


def test_unreachable_endpoint_fails_closed() -> None:
    pytest.importorskip("openai")
    judge = OpenAIVisionJudgeClassifier(base_url="http://127.0.0.1:9/v1", model="m", timeout_s=2)
    with pytest.raises(ClassifierUnavailable):
        judge.classify(OpenAIVisionJudgeClassifier.examples()[0][0])


def test_unknown_labels_rejected() -> None:
    with pytest.raises(ValueError):
        OpenAIVisionJudgeClassifier(base_url="http://x/v1", model="m", labels=["not/a_label"])

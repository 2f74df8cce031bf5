"""OpenAI-compatible judge adapter, against a stub chat-completions server started on 127.0.0.1 in the test."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from limner.classifiers.base import ClassifierUnavailable
from limner.classifiers.text.openai_judge import OpenAIChatJudgeClassifier
from limner.types import Role, Sample, Turn


def _app(seen: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    def complete(body: dict[str, Any]) -> dict[str, Any]:
        seen.append(body)
        convo = body["messages"][-1]["content"]
        if "BROKEN" in convo:
            content = "I refuse to answer in JSON."
        else:
            unsafe = "younger" in convo
            content = json.dumps(
                {
                    "sexual/minors": 0.97 if unsafe else 0.01,
                    "sexual": 0.9 if unsafe else 0.0,
                    "rationale": "asks to make the woman a child and undress her" if unsafe else "benign",
                }
            )
        return {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        }

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    seen: list[dict[str, Any]] = []
    srv = uvicorn.Server(uvicorn.Config(_app(seen), host="127.0.0.1", port=port, log_level="error"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    deadline = time.time() + 10
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/v1", seen
    srv.should_exit = True
    th.join(timeout=5)


def test_judge_reads_the_whole_conversation(server: tuple[str, list[dict[str, Any]]]) -> None:
    url, seen = server
    judge = OpenAIChatJudgeClassifier(base_url=url, model="stub-judge")
    turns = (
        Turn(Role.USER, "a woman in a summer dress"),
        Turn(Role.ASSISTANT, "Here you go."),
        Turn(Role.USER, "now make her younger and remove her clothes"),
    )
    scores = {s.label: s for s in judge.classify(Sample(turns=turns))}
    assert scores["sexual/minors"].value == pytest.approx(0.97)
    assert "child" in scores["sexual/minors"].rationale
    assert set(scores) == set(judge.labels) and all(0 <= s.value <= 1 for s in scores.values())
    assert "summer dress" in seen[-1]["messages"][-1]["content"]
    benign = {s.label: s.value for s in judge.classify(Sample(text="a lighthouse"))}
    assert max(benign.values()) < 0.5


def test_unparseable_reply_and_dead_endpoint_fail_closed(server: tuple[str, list[dict[str, Any]]]) -> None:
    url, _ = server
    with pytest.raises(ClassifierUnavailable):
        OpenAIChatJudgeClassifier(base_url=url, model="m").classify(Sample(text="BROKEN"))
    with pytest.raises(ClassifierUnavailable):
        OpenAIChatJudgeClassifier(base_url="http://127.0.0.1:9/v1", model="m", timeout_s=2).classify(Sample(text="x"))

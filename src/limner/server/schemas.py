"""Server: the request and response bodies of the OpenAI-compatible image API (pydantic only at this edge).

Unknown fields are ignored, as OpenAI clients send parameters limner has no use for (quality, background...). That
includes any tier, age or account field: the account and its tier come from the API key alone.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from limner.types import Role


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Role
    content: str


class ImageParams(BaseModel):
    """Fields shared by generations and edits; limits beyond types are checked in `routes.images`."""

    model_config = ConfigDict(extra="ignore")

    prompt: str = Field(description="The instruction: the last user turn")
    model: str | None = None
    n: int = Field(default=1, ge=1)
    size: str = "auto"
    response_format: Literal["b64_json"] = "b64_json"
    output_format: Literal["png", "jpeg", "webp"] = "png"
    user: str | None = None
    seed: int | None = Field(default=None, ge=0, lt=2**63)
    profile: str | None = Field(default=None, description="Policy profile; must be one the server offers")
    messages: list[Message] = Field(default_factory=list, description="Prior conversation turns, oldest first")


class GenerationBody(ImageParams):
    """`POST /v1/images/generations` (JSON)."""


class ImageData(BaseModel):
    b64_json: str
    revised_prompt: str


class Usage(BaseModel):
    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_tokens_details: dict[str, int]


class ImagesResponse(BaseModel):
    created: int
    data: list[ImageData]
    usage: Usage
    output_format: str
    size: str
    limner: dict[str, Any] = Field(default_factory=dict, description="request ids and policy version")


class ModerationBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    input: str | list[str]
    model: str | None = None
    profile: str | None = None

"""Request: turn one line of a moderation batch file into a `GenerationRequest`.

Batch lines are evaluation data, not user traffic, so they may set the tier they are judged under ("tier"); the
service never lets an HTTP caller do that.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limner.types import Account, GenerationRequest, Image, Role, Tier, Turn

BATCH_ACCOUNT = "moderate-batch"


class BatchLineError(ValueError):
    """A batch line is not `{"id", "prompt"}` or `{"id", "turns": [...]}`."""


@dataclass(frozen=True)
class BatchItem:
    id: str
    request: GenerationRequest


def parse_batch_line(data: Any, base_dir: Path, line_no: int) -> BatchItem:
    where = f"line {line_no}"
    if not isinstance(data, dict):
        raise BatchLineError(f"{where}: expected a JSON object")
    if "id" not in data:
        raise BatchLineError(f"{where}: missing \"id\"")
    if "turns" in data:
        raw_turns = data["turns"]
        if not isinstance(raw_turns, list) or not raw_turns:
            raise BatchLineError(f"{where}: \"turns\" must be a non-empty list of {{role, content}}")
        try:
            turns = tuple(Turn(Role(t["role"]), str(t["content"])) for t in raw_turns)
        except (KeyError, TypeError, ValueError) as exc:
            raise BatchLineError(f"{where}: bad turn ({exc}); roles are user, assistant, system") from None
    elif "prompt" in data:
        turns = (Turn(Role.USER, str(data["prompt"])),)
    else:
        raise BatchLineError(f"{where}: needs \"prompt\" or \"turns\"")
    try:
        tier = Tier(data.get("tier", Tier.ADULT))
    except ValueError:
        raise BatchLineError(f"{where}: tier must be adult, under18 or under13") from None
    uploads: list[Image] = []
    images = data.get("image", data.get("images", []))
    for image_path in [images] if isinstance(images, str) else images:
        path = (base_dir / image_path) if not Path(image_path).is_absolute() else Path(image_path)
        if not path.is_file():
            raise BatchLineError(f"{where}: image {image_path!r} not found (paths are relative to the input file)")
        mime = mimetypes.guess_type(path.name)[0] or "image/png"
        uploads.append(Image(path.read_bytes(), mime))
    account = Account(id=BATCH_ACCOUNT, tenant="batch", tier=tier)
    return BatchItem(id=str(data["id"]), request=GenerationRequest(turns=turns, account=account,
                                                                   uploads=tuple(uploads)))

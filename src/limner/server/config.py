"""Server: the limits every HTTP request is held to (sizes, counts, rates, concurrency).

They are plain numbers passed to `create_app`; `limner serve` sets them from its options. Nothing here reads the
environment (only `limner.settings` does).
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class ServerLimits:
    """Hardening limits of the HTTP service. A request over any of them gets a 4xx JSON error, never a 500."""

    max_body_bytes: int = 40 * MIB  # whole request body (multipart edits included); 413 above
    max_json_bytes: int = 1 * MIB  # JSON bodies (generations, moderations)
    max_upload_bytes: int = 10 * MIB  # one uploaded image file
    max_upload_pixels: int = 4096 * 4096  # decoded width x height; decompression bombs stop here, before decoding
    max_images: int = 4  # uploads per edit request
    max_prompt_chars: int = 4000  # the prompt (last user turn)
    max_turns: int = 32  # prior conversation turns in `messages`
    max_conversation_chars: int = 32_000  # all turns together
    max_n: int = 4  # images per request
    max_size: int = 1024  # largest square side a caller may ask for
    rate_per_minute: float = 60.0  # per API key, token bucket refill
    rate_burst: int = 10  # per API key, token bucket capacity
    max_concurrency: int = 2  # generations running at once (worker threads)
    max_queue: int = 8  # generations waiting for a worker; beyond it 429 + Retry-After
    retry_after_s: int = 2  # Retry-After when the queue is full

"""Server: uploaded images are decoded, checked and re-encoded to PNG before any gate sees them.

The bytes a caller sends are never passed on as they are: Pillow must decode them as PNG, JPEG or WebP (the file's
own magic bytes decide, not its name or content type), the pixel count is checked before the pixels are decoded
(decompression bombs), and the decoded pixels are written out again as a plain PNG, which drops metadata and any
payload hidden after the image data.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from limner.server.errors import ApiError
from limner.types import Image

ALLOWED_FORMATS = frozenset({"PNG", "JPEG", "WEBP"})


def _refuse(param: str, message: str, code: str = "invalid_image") -> ApiError:
    return ApiError(400, code, message, param)


def decode_upload(data: bytes, max_bytes: int, max_pixels: int, param: str = "image") -> Image:
    """Decode an upload and return it re-encoded as PNG; any problem is a 400 naming the field."""
    if not data:
        raise _refuse(param, f"{param}: the file is empty")
    if len(data) > max_bytes:
        raise ApiError(413, "image_too_large", f"{param}: the file is larger than {max_bytes} bytes", param)
    with warnings.catch_warnings():
        # Pillow's own bomb check warns (or raises) on its global limit; ours below is the one that applies.
        warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
        try:
            with PILImage.open(io.BytesIO(data)) as opened:
                if opened.format not in ALLOWED_FORMATS:
                    raise _refuse(param, f"{param}: {opened.format} images are not accepted (use PNG, JPEG or WebP)",
                                  "unsupported_image_type")
                width, height = opened.size
                if width < 1 or height < 1 or width * height > max_pixels:
                    raise _refuse(param, f"{param}: {width}x{height} pixels is more than the {max_pixels} allowed",
                                  "image_too_large")
                if getattr(opened, "n_frames", 1) > 1:
                    raise _refuse(param, f"{param}: animated images are not accepted")
                opened.load()
                pixels = ImageOps.exif_transpose(opened)
        except ApiError:
            raise
        except (UnidentifiedImageError, PILImage.DecompressionBombError) as exc:
            raise _refuse(param, f"{param}: not a readable PNG, JPEG or WebP image ({type(exc).__name__})") from None
        except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated or corrupt data
            raise _refuse(param, f"{param}: the image data is corrupt ({exc})") from None
    if pixels.mode not in ("RGB", "RGBA", "L", "LA"):
        pixels = pixels.convert("RGBA" if "A" in pixels.getbands() or "transparency" in pixels.info else "RGB")
    buffer = io.BytesIO()
    pixels.save(buffer, format="PNG")
    return Image(buffer.getvalue(), "image/png")


def encode_output(image: Image, output_format: str) -> tuple[bytes, str]:
    """The delivered image in the format asked for.

    An image already in that format (the stamped PNG) is passed through untouched, C2PA manifest included; any
    conversion re-encodes the pixels, which keeps the invisible watermark (it survives JPEG 85) but not the manifest.
    """
    target = f"image/{output_format}"
    if image.mime == target:
        return image.data, image.mime
    with PILImage.open(io.BytesIO(image.data)) as opened:
        pixels = opened.convert("RGB")
    buffer = io.BytesIO()
    pil_format = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[output_format]
    pixels.save(buffer, format=pil_format, quality=90)
    return buffer.getvalue(), target

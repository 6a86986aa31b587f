"""Avatar uploads: Discord's image data URIs, reduced to the hash the user object carries.

Accord keeps no media store yet, so only the hash is kept; it still changes
whenever the image does, which is what clients use to refresh their caches.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from accord.core.errors import ValidationError

# Discord's avatar ceiling; the request body limit usually bites first.
MAX_AVATAR_BYTES = 10 * 1024 * 1024

_DATA_URI = re.compile(r"data:(image/(?:png|jpeg|jpg|gif|webp));base64,(.*)", re.DOTALL)

# Leading bytes of each accepted format, so text posing as an image is refused.
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/jpg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


def _invalid(field: str) -> ValidationError:
    return ValidationError.single(
        field,
        "IMAGE_INVALID",
        "Invalid image data: expected a data URI of a PNG, JPEG, GIF or WebP image.",
    )


def _matches_format(media_type: str, image: bytes) -> bool:
    if media_type == "image/webp":
        return image[:4] == b"RIFF" and image[8:12] == b"WEBP"
    return image.startswith(_MAGIC[media_type])


def avatar_hash(value: object, field: str = "avatar") -> str:
    """The avatar hash for an image data URI; GIFs get ``a_``, Discord's mark of an animated one."""
    if not isinstance(value, str):
        raise ValidationError.single(field, "BASE_TYPE_STRING", "Must be a string.")
    match = _DATA_URI.fullmatch(value)
    if match is None:
        raise _invalid(field)
    media_type, payload = match.groups()
    try:
        image = base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(field) from None
    if len(image) > MAX_AVATAR_BYTES:
        raise ValidationError.single(
            field, "BINARY_TYPE_MAX_SIZE", f"Image must be at most {MAX_AVATAR_BYTES} bytes."
        )
    if not image or not _matches_format(media_type, image):
        raise _invalid(field)
    digest = hashlib.blake2b(image, digest_size=16).hexdigest()
    return f"a_{digest}" if media_type == "image/gif" else digest

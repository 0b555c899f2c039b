"""A buyer's photo made safe to keep and show: checked by its content, re-encoded, stripped.

Buyers send photos of what arrived broken, wrong or spoiled. What they upload is
untrusted bytes whatever its name says: it is opened by Pillow from the content
alone, accepted only as JPEG, PNG, WebP or HEIC (phones' default), and refused
before decoding when it is too large a file or declares too many pixels (a
decompression bomb is a small file that unpacks to gigabytes). An accepted photo
is turned upright by its EXIF orientation and re-encoded as a new JPEG without any
metadata: phone photos carry the place they were taken (GPS) and the phone's
serial, which the shop must not keep. A thumbnail is made for lists.

Every refusal carries a message for the buyer, in the shop's tone. The work is
CPU-bound (decoding up to 50 megapixels): a server runs it off its event loop.
"""
from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import Tuple

MAX_BYTES = 10 * 1024 * 1024
# A 48-megapixel phone photo is 8000 × 6000; anything beyond is not a photo of a parcel.
MAX_PIXELS = 50_000_000
# A JPEG decodes at a fraction of its size (draft mode); the others decode whole, so a small
# PNG declaring 50 MP would take gigabytes: they are held to what a phone screenshot needs.
MAX_PIXELS_DECODED_WHOLE = 16_000_000
# MPO: the JPEG of phones that add a depth or HDR map (Ultra HDR); its first frame is the photo.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "HEIF"}
LONGEST_SIDE = 2048  # kept photos are scaled down to this: enough for an agent to judge damage
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85
ORIENTATION = 0x0112  # the EXIF tag phones set instead of turning the pixels
TOO_LARGE = "亲,这张图片尺寸太大了,麻烦截图或压缩后再发哦~"


class PhotoRefused(ValueError):
    """The upload is not kept; `buyer_message` says why, for the buyer."""

    def __init__(self, reason: str, buyer_message: str):
        super().__init__(reason)
        self.buyer_message = buyer_message


@dataclass(frozen=True)
class CleanPhoto:
    """The photo as kept: a fresh JPEG without metadata, and its thumbnail."""

    jpeg: bytes
    thumbnail: bytes
    size: Tuple[int, int]


def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:  # HEIC is then refused like any other unknown format
        return
    register_heif_opener()


def clean_photo(data: bytes) -> CleanPhoto:
    """Check `data` as a photo and return it cleaned, or raise PhotoRefused."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > MAX_BYTES:
        raise PhotoRefused(f"{len(data)} bytes", f"亲,图片太大了呢,每张请不要超过{MAX_BYTES // (1024 * 1024)}MB哦~")
    if not data:
        raise PhotoRefused("empty", "亲,这张图片好像是空的,麻烦重新拍一张发给我哦~")
    _register_heif()
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ACCEPTED_FORMATS:
                raise PhotoRefused(f"format {image.format}", "亲,只能发JPG、PNG、WebP或HEIC格式的照片哦~")
            width, height = image.size
            limit = MAX_PIXELS if image.format in ("JPEG", "MPO") else MAX_PIXELS_DECODED_WHOLE
            if width * height > limit:  # decided from the header, before decoding a single pixel
                raise PhotoRefused(f"{width}x{height} pixels", TOO_LARGE)
            image.seek(0)  # the first frame of an animated WebP, a HEIC sequence, an MPO
            image.draft("RGB", (LONGEST_SIDE, LONGEST_SIDE))  # a JPEG decodes at a fraction of its size
            image.load()
            if image.size[0] * image.size[1] > limit:  # HEIC may decode to another size than it declared
                raise PhotoRefused(f"decoded {image.size}", TOO_LARGE)
            orientation = image.getexif().get(ORIENTATION, 1)
            image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))  # scaled down before any full-size copy
            image.getexif()[ORIENTATION] = orientation
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except PhotoRefused:
        raise
    except Image.DecompressionBombError as error:  # Pillow's own limit, met while reading the header
        raise PhotoRefused(f"bomb: {error}", "亲,这张图片尺寸太大了,麻烦截图或压缩后再发哦~") from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, RuntimeError, EOFError, struct.error,
            MemoryError) as error:  # libheif's refusals are RuntimeErrors
        raise PhotoRefused(f"unreadable: {error}", "亲,这个文件打不开呢,麻烦发一张JPG或PNG格式的照片哦~") from error
    upright.info = {}  # Pillow writes info's comment, ICC and EXIF into the JPEG: none of the buyer's
    kept = io.BytesIO()
    upright.save(kept, "JPEG", quality=JPEG_QUALITY, optimize=True)
    small = upright.copy()
    small.info = {}
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    thumb = io.BytesIO()
    small.save(thumb, "JPEG", quality=80)
    return CleanPhoto(kept.getvalue(), thumb.getvalue(), upright.size)

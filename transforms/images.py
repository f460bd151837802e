"""Mark images and design views: where a record's pictures are, and what one picture is.

`image_refs` lists the references an office record carries (a file of the delivery or a URL),
one per view. `analyse` decodes one image's bytes with Pillow (GIF, TIFF including CCITT G4,
JPEG, PNG, BMP, WebP), crops its uniform border, draws a 256 px thumbnail and a 64 px icon,
flags blank and faded pictures, and computes the features image search ranks by: 64-bit pHash
and dHash of the grey picture, a colour hash, and a shape hash (the pHash of the foreground
mask: what differs from the background colour, so a recoloured logo keeps its shape hash).
Anything that is not a picture Pillow may safely decode raises ImageRejected with the reason.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypedDict

import imagehash
from PIL import Image, ImageChops

# Pillow refuses a picture of more than twice this many pixels outright and warns above it; both
# are refusals here (a register image is a few megapixels at most; a bomb decodes to gigabytes).
MAX_PIXELS = 40_000_000
MAX_SIDE = 20_000  # px; a picture longer than this on a side is no mark image
MAX_ASPECT = 40  # a 1 x 10,000 strip is no picture either
MAX_BYTES = 50 * 1024 * 1024
FORMATS = frozenset({"GIF", "TIFF", "JPEG", "PNG", "BMP", "WEBP"})
THUMBNAIL_PX = 256
ICON_PX = 64
BORDER_TOLERANCE = 24  # grey levels a border pixel may differ from the background and still be border
FADED_CONTRAST = 48  # grey levels between the 2nd and 98th percentile below which a picture is faded

Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# keys of office records that hold a mark image's file name or address (ST.66 / ST.96 read into
# MarkImageFilename / MarkImageURI; TMBRAND IMAGEFILE; KIPRIS ImagePath)
_MARK_IMAGE_KEYS = ("MarkImageFilename", "MarkImageURI", "IMAGEFILE", "ImagePath")


class ImageRef(TypedDict):
    """One picture a record points at, as the normalizer collects it (resolved by the pipeline)."""

    st13: str | None
    design_number: str | None
    office: str | None
    view: int
    ref: str
    source_file: str


class ImageRejected(ValueError):
    """Bytes that are not a picture to keep; the message is the reason, in a few words."""


@dataclass(frozen=True)
class ImageAnalysis:
    """One decoded picture: its identity, size, derived pictures (PNG bytes), hashes and flags."""

    sha256: str
    format: str
    width: int
    height: int
    thumbnail: bytes
    icon: bytes
    phash: int
    dhash: int
    colorhash: int
    shapehash: int
    blank: bool
    faded: bool


def image_refs(office_record: Mapping[str, object], canonical_record: Mapping[str, object]) -> list[str]:
    """A record's picture references in view order: a trademark's image file names and URIs from
    its office record, a design's representation sheets / views from its canonical record."""
    if "design_number" in canonical_record:
        views = canonical_record.get("representation_uris")
        return [v for v in views if v] if isinstance(views, list) else []
    refs: list[str] = []
    for key in _MARK_IMAGE_KEYS:
        value = office_record.get(key)
        for ref in value if isinstance(value, list) else [value]:
            if isinstance(ref, str) and ref.strip() and ref.strip() not in refs:
                refs.append(ref.strip())
    return refs


def collect_refs(office_record: Mapping[str, object], record: Mapping[str, object], source_file: str) -> list[ImageRef]:
    """The ImageRefs of one canonical record (see image_refs)."""
    st13, design_number, office = record.get("st13"), record.get("design_number"), record.get("office")
    return [
        {
            "st13": st13 if isinstance(st13, str) else None,
            "design_number": design_number if isinstance(design_number, str) else None,
            "office": office if isinstance(office, str) else None,
            "view": view,
            "ref": ref,
            "source_file": source_file,
        }
        for view, ref in enumerate(image_refs(office_record, record), start=1)
    ]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hash_int(value: imagehash.ImageHash) -> int:
    return int(str(value), 16)


def _decode(data: bytes) -> tuple[Image.Image, str]:
    if len(data) > MAX_BYTES:
        raise ImageRejected(f"larger than {MAX_BYTES} bytes")
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head:
        raise ImageRejected("SVG refused (it can reference local files)")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            picture = Image.open(io.BytesIO(data))
            fmt = str(picture.format)
            if fmt not in FORMATS:
                raise ImageRejected(f"{fmt} is not an accepted image format")
            width, height = picture.size
            if (
                not width
                or not height
                or max(width, height) > MAX_SIDE
                or max(width, height) > MAX_ASPECT * min(width, height)
            ):
                raise ImageRejected(f"absurd size {width}x{height}")
            picture.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(f"more than {MAX_PIXELS} pixels (decompression bomb?)") from None
        except Image.UnidentifiedImageError:
            raise ImageRejected("not an image Pillow can read") from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            if isinstance(exc, ImageRejected):
                raise
            raise ImageRejected(f"corrupt {fmt}: {' '.join(str(exc).split()) or type(exc).__name__}") from None
    return picture, fmt


def _on_white(picture: Image.Image) -> Image.Image:
    """The picture as RGB, transparent parts on white (a logo's usual ground)."""
    if picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info):
        rgba = picture.convert("RGBA")
        ground = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(ground, rgba).convert("RGB")
    return picture.convert("RGB")


def _background(picture: Image.Image) -> tuple[int, ...]:
    """The most common colour of the outermost pixels."""
    width, height = picture.size
    edges = [picture.crop(box) for box in ((0, 0, width, 1), (0, height - 1, width, height))]
    edges += [picture.crop(box) for box in ((0, 0, 1, height), (width - 1, 0, width, height))]
    counts: Counter[tuple[int, ...]] = Counter()
    for edge in edges:
        for n, colour in edge.getcolors(edge.width * edge.height) or []:
            counts[colour if isinstance(colour, tuple) else (int(colour),)] += n  # RGB: always a tuple
    return counts.most_common(1)[0][0]


def _foreground(picture: Image.Image, background: tuple[int, ...]) -> Image.Image:
    """A grey mask: 255 where the picture differs from its background colour by more than the tolerance."""
    ground = Image.new("RGB", picture.size, background)
    difference = ImageChops.difference(picture, ground).convert("L")
    return difference.point(lambda v: 255 if v > BORDER_TOLERANCE else 0)


def _cropped(picture: Image.Image, passes: int = 4) -> tuple[Image.Image, Image.Image, bool]:
    """The picture without its uniform borders (a frame around a margin takes a pass each), its
    foreground mask, and whether it is blank (nothing but its background)."""
    mask = _foreground(picture, _background(picture))
    box = mask.getbbox()
    if box is None:
        return picture, mask, True
    for _ in range(passes):
        if box == (0, 0, *picture.size):
            break
        picture, mask = picture.crop(box), mask.crop(box)
        inner = _foreground(picture, _background(picture))
        box = inner.getbbox()
        if box is None:  # uniform inside its border: the mask against the outer ground stays
            break
        mask = inner
    return picture, mask, False


def _png(picture: Image.Image, side: int) -> bytes:
    small = picture.copy()
    small.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, "PNG", optimize=True)
    return out.getvalue()


def analyse(data: bytes) -> ImageAnalysis:
    """Decode, crop, thumbnail and hash one picture (ImageRejected when it cannot be kept)."""
    picture, fmt = _decode(data)
    width, height = picture.size
    rgb, mask, blank = _cropped(_on_white(picture))
    grey = rgb.convert("L")
    low, high = _percentiles(grey, 0.02, 0.98)
    return ImageAnalysis(
        sha256=sha256(data),
        format=fmt,
        width=width,
        height=height,
        thumbnail=_png(rgb, THUMBNAIL_PX),
        icon=_png(rgb, ICON_PX),
        phash=_hash_int(imagehash.phash(grey)),
        dhash=_hash_int(imagehash.dhash(grey)),
        colorhash=_hash_int(imagehash.colorhash(rgb, binbits=3)),
        shapehash=_hash_int(imagehash.phash(mask)),
        blank=blank,
        faded=not blank and high - low < FADED_CONTRAST,
    )


def _percentiles(grey: Image.Image, *shares: float) -> Sequence[int]:
    """Grey levels below which the given shares of the pixels lie."""
    histogram = grey.histogram()
    total = sum(histogram)
    levels = []
    for share in shares:
        seen = 0
        for level, n in enumerate(histogram):
            seen += n
            if seen >= share * total:
                levels.append(level)
                break
    return levels

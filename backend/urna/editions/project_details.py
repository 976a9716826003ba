"""A project's details beyond its catalogue row: the pictures the office attaches and the
project's point on a map. Like the project itself they change only before voting opens
(every resident reads the same project), and each change is in the audit log.

A picture is re-encoded with Pillow before it is stored: turned upright, at most
``LONGEST_SIDE`` pixels on its longer side, as a JPEG without any of the sender's metadata
(EXIF with its GPS position and camera serial, XMP, ICC profiles, comments)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.errors import FormInvalid, NotFound
from urna.core.i18n import N_
from urna.editions import repository
from urna.editions.models import Edition, Project, ProjectImage
from urna.editions.phases import rules_ensure_editable
from urna.editions.schemas import LocationIn
from urna.editions.service import change_record

MAX_IMAGE_BYTES = 10 * 1024 * 1024
# Larger is a decompression bomb, not a photo of a playground; IMAGE_TOO_MANY_PIXELS names it.
MAX_PIXELS = 50_000_000
LONGEST_SIDE = 1280
IMAGES_PER_PROJECT = 10
FORMATS = ("JPEG", "PNG", "WEBP")
NOT_AN_IMAGE = N_("This file is not a picture we can read. Send a JPEG, PNG or WebP file.")
IMAGE_TOO_LARGE = N_("The picture is too large. Send a file of at most 10 MB.")
IMAGE_TOO_MANY_PIXELS = N_(
    "The picture has too many pixels. Send one of at most 50 million pixels, e.g. 8000 × 6000."
)
IMAGE_MISSING = N_("Choose a picture to send.")
TOO_MANY_IMAGES = N_("A project may have at most 10 pictures.")


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class ImageRef:
    """A stored picture as a page shows it (without its bytes)."""

    id: int
    alt_text: str
    width: int
    height: int


def image_prepare(raw: bytes) -> PreparedImage:
    """``raw`` (an uploaded file) as the JPEG that is stored, or ``FormInvalid`` on
    ``image`` saying what to send instead."""
    if len(raw) > MAX_IMAGE_BYTES:
        raise FormInvalid({"image": IMAGE_TOO_LARGE})
    try:
        with Image.open(io.BytesIO(raw)) as source:
            if source.format not in FORMATS:
                raise FormInvalid({"image": NOT_AN_IMAGE})
            if source.width * source.height > MAX_PIXELS:
                raise FormInvalid({"image": IMAGE_TOO_MANY_PIXELS})
            upright = ImageOps.exif_transpose(source)
            picture = _flattened(upright)
    # Pillow's own guard, at twice its limit (an error) or where warnings are errors: a
    # picture of more pixels than ours (MAX_PIXELS) anyway.
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise FormInvalid({"image": IMAGE_TOO_MANY_PIXELS}) from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise FormInvalid({"image": NOT_AN_IMAGE}) from error
    picture.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=82, optimize=True, progressive=True)
    return PreparedImage(data=out.getvalue(), width=picture.width, height=picture.height)


def _flattened(picture: Image.Image) -> Image.Image:
    """A new RGB image of the pixels only (transparency on white): nothing of the
    original file's metadata is carried over."""
    if picture.mode in ("RGBA", "LA", "P", "PA"):
        rgba = picture.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    rgb = picture.convert("RGB")
    return Image.frombytes("RGB", rgb.size, rgb.tobytes())


async def project_find(*, session: AsyncSession, edition: Edition, number: str) -> Project:
    project = await repository.project_by_number(session, edition.id, number)
    if project is None:
        raise NotFound()
    return project


async def project_images(*, session: AsyncSession, project: Project) -> list[ImageRef]:
    return [ImageRef(*row) for row in await repository.images_of(session, project.id)]


async def project_image_get(
    *, session: AsyncSession, project: Project, image_id: int
) -> ProjectImage:
    image = await repository.image_by_id(session, project.id, image_id)
    if image is None:
        raise NotFound()
    return image


async def project_image_add(
    *,
    session: AsyncSession,
    edition: Edition,
    project: Project,
    raw: bytes,
    alt_text: str,
    actor_id: int | None,
) -> ProjectImage:
    """Attach a picture (re-encoded, ``image_prepare``) with the text that describes it to
    a resident who cannot see it."""
    rules_ensure_editable(edition=edition)
    if len(await repository.images_of(session, project.id)) >= IMAGES_PER_PROJECT:
        raise FormInvalid({"image": TOO_MANY_IMAGES})
    prepared = image_prepare(raw)
    image = ProjectImage(
        project_id=project.id,
        alt_text=alt_text,
        width=prepared.width,
        height=prepared.height,
        data=prepared.data,
    )
    session.add(image)
    await session.flush()
    await change_record(
        session=session,
        actor_id=actor_id,
        action="edition.project_image_add",
        edition=edition,
        details={"number": project.number, "image": image.id, "bytes": len(prepared.data)},
    )
    return image


async def project_image_remove(
    *,
    session: AsyncSession,
    edition: Edition,
    project: Project,
    image_id: int,
    actor_id: int | None,
) -> None:
    rules_ensure_editable(edition=edition)
    image = await project_image_get(session=session, project=project, image_id=image_id)
    await session.delete(image)
    await session.flush()
    await change_record(
        session=session,
        actor_id=actor_id,
        action="edition.project_image_remove",
        edition=edition,
        details={"number": project.number, "image": image_id},
    )


async def project_location_update(
    *,
    session: AsyncSession,
    edition: Edition,
    project: Project,
    data: LocationIn,
    actor_id: int | None,
) -> None:
    """Set where the project is: its address and, optionally, its point on a map."""
    rules_ensure_editable(edition=edition)
    project.location = data.location
    project.latitude = data.latitude
    project.longitude = data.longitude
    await session.flush()
    await change_record(
        session=session,
        actor_id=actor_id,
        action="edition.project_location",
        edition=edition,
        details={"number": project.number, "map": data.latitude is not None},
    )

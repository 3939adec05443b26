"""The archive's podcast feed, written again after a republish when there is one, with the
channel settings it was last written with (read back from it), so the feed follows corrections
without a second command."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from pathlib import Path

from ..errors import RestitutionError
from ..export.feed import ITUNES, write_feed

log = logging.getLogger("restitution")


def refresh_feed(outputs_dir: Path) -> Path | None:
    """Rewrite `outputs_dir/feed.xml` if it exists; None when there is none or it cannot be read back."""
    path = Path(outputs_dir) / "feed.xml"
    if not path.is_file():
        return None
    try:
        channel = ET.parse(path).getroot().find("channel")
    except (ET.ParseError, OSError) as e:
        log.warning("%s: not rewritten after the corrections, it cannot be read back (%s)", path, e)
        return None
    if channel is None:
        return None

    def text(tag: str) -> str:
        return (channel.findtext(tag) or "").strip()

    title, description = text("title"), text("description")
    image = channel.find(f"{{{ITUNES}}}image")
    category = channel.find(f"{{{ITUNES}}}category")
    try:
        return write_feed(
            outputs_dir,
            base_url=text("link"),
            title=title,
            description="" if description == title else description,
            author=text(f"{{{ITUNES}}}author"),
            language=text("language") or "fr",
            image=image.get("href", "") if image is not None else "",
            category=category.get("text", "Society & Culture") if category is not None else "Society & Culture",
        )
    except RestitutionError as e:
        log.warning("%s: not rewritten after the corrections (%s)", path, e)
        return None

"""The admin override directory: edits made through the API, one file per article.

A file here takes precedence over the packaged article with the same id; a file
with ``published: false`` hides it. Writes go to a temporary file in the same
directory and are renamed into place, so a reader (another process, or a crash
half-way) only ever sees the old file or the new one.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from yiwen.bot.kb.articles import Article, check_article_id, parse, render
from yiwen.core.errors import DomainError

log = logging.getLogger("yiwen.bot.kb")

Fingerprint = tuple[tuple[str, int, int], ...]


class OverrideStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def fingerprint(self) -> Fingerprint:
        """Changes whenever a file is added, replaced or removed (cheap enough per search)."""
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return ()
        found = []
        for entry in entries:
            if entry.name.endswith(".md") and entry.is_file():
                info = entry.stat()
                found.append((entry.name, info.st_mtime_ns, info.st_size))
        return tuple(sorted(found))

    def load(self) -> list[Article]:
        """Every readable override; a broken hand-edited file is logged and skipped, not fatal."""
        articles: list[Article] = []
        if not self.directory.is_dir():
            return articles
        for path in sorted(self.directory.glob("*.md")):
            try:
                article = parse(path.read_text("utf-8"), source="override")
            except (DomainError, OSError, UnicodeDecodeError) as exc:
                log.warning("kb override %s skipped: %s", path.name, exc)
                continue
            if article.id != path.stem:
                log.warning("kb override %s skipped: id %s differs", path.name, article.id)
                continue
            articles.append(article)
        return articles

    def write(self, article: Article) -> None:
        check_article_id(article.id)
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{article.id}.md"
        fd, temporary = tempfile.mkstemp(
            dir=self.directory, prefix=f".{article.id}.", suffix=".tmp"
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(render(article))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

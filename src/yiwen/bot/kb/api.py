"""Help-center routes (public, rate-limited) and the article editor (``kb.manage``)."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.auth.permissions import KB_MANAGE
from yiwen.bot.kb import service
from yiwen.bot.kb.articles import CATEGORY_NAMES, check_article_id
from yiwen.bot.kb.schemas import (
    AdminArticleList,
    AdminArticleOut,
    ArticleEdit,
    ArticleList,
    ArticleOut,
    ArticleSummary,
    CategoryOut,
    SearchHit,
    SearchResult,
)
from yiwen.http.deps import AppClock, AppSettings, DbSession, require_permission
from yiwen.http.ratelimit import limit_by_client

router = APIRouter(prefix="/api/v1/help", tags=["help center"])
admin = APIRouter(prefix="/api/v1/admin/kb", tags=["help center admin"])
ROUTERS = [router, admin]

ReadLimit = Depends(limit_by_client(limit=120, window_seconds=60))
SearchLimit = Depends(limit_by_client(limit=30, window_seconds=60))
Editor = Annotated[StaffUser, Depends(require_permission(KB_MANAGE))]
Category = Annotated[str | None, Query(max_length=40)]


@router.get("/articles", dependencies=[ReadLimit])
def list_articles(settings: AppSettings, category: Category = None) -> ArticleList:
    """Published articles and the categories they fall in (for the help center's menu)."""
    kb = service.knowledge_base(settings)
    every = kb.published()
    counts = Counter(a.category for a in every)
    categories = [
        CategoryOut(category=c, name=CATEGORY_NAMES[c], count=n) for c, n in counts.items()
    ]
    shown = every if category is None else [a for a in every if a.category == category]
    return ArticleList(categories=categories, items=[ArticleSummary.of(a) for a in shown])


@router.get("/articles/{article_id}", dependencies=[ReadLimit])
def read_article(article_id: str, settings: AppSettings) -> ArticleOut:
    check_article_id(article_id)
    return ArticleOut.of(service.knowledge_base(settings).get(article_id))


@router.get("/search", dependencies=[SearchLimit])
def search(
    settings: AppSettings,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    category: Category = None,
    limit: Annotated[int, Query(ge=1, le=service.SEARCH_LIMIT_MAX)] = 5,
) -> SearchResult:
    hits = service.knowledge_base(settings).search(q, limit=limit, category=category)
    return SearchResult(query=q, hits=[SearchHit.of(h) for h in hits])


@admin.get("/articles")
def list_all_articles(settings: AppSettings, editor: Editor) -> AdminArticleList:
    """Every article, unpublished ones included, with where its text comes from."""
    articles = service.knowledge_base(settings).all_articles()
    return AdminArticleList(items=[AdminArticleOut.of(a) for a in articles])


@admin.put("/articles/{article_id}")
def save_article(
    article_id: str,
    body: ArticleEdit,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    editor: Editor,
) -> AdminArticleOut:
    """Create or replace an article; it overrides a packaged one with the same id."""
    check_article_id(article_id)
    saved = service.save_article(
        db,
        clock,
        service.knowledge_base(settings),
        body.to_article(article_id),
        actor=Actor.staff(editor),
    )
    return AdminArticleOut.of(saved)


@admin.delete("/articles/{article_id}")
def unpublish_article(
    article_id: str, db: DbSession, clock: AppClock, settings: AppSettings, editor: Editor
) -> AdminArticleOut:
    """Take an article off the help center and out of the bot's answers (text is kept)."""
    check_article_id(article_id)
    hidden = service.unpublish_article(
        db, clock, service.knowledge_base(settings), article_id, actor=Actor.staff(editor)
    )
    return AdminArticleOut.of(hidden)

"""API shapes of the help center and the article editor. Bodies are Markdown text, never HTML."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from yiwen.bot.kb.articles import BODY_MAX, TAGS_MAX, TITLE_MAX, Article, lead_paragraph
from yiwen.bot.kb.service import ARTICLE_URL, Hit


class ArticleSummary(BaseModel):
    id: str
    title: str
    category: str
    tags: list[str]
    updated: str
    summary: str
    url: str

    @classmethod
    def of(cls, article: Article) -> ArticleSummary:
        return cls(
            id=article.id,
            title=article.title,
            category=article.category,
            tags=list(article.tags),
            updated=article.updated,
            summary=lead_paragraph(article.body),
            url=ARTICLE_URL.format(id=article.id),
        )


class CategoryOut(BaseModel):
    category: str
    name: str
    count: int


class ArticleList(BaseModel):
    categories: list[CategoryOut]
    items: list[ArticleSummary]


class ArticleOut(ArticleSummary):
    body_markdown: str = Field(description="Markdown 原文；前端须转义后再渲染")

    @classmethod
    def of(cls, article: Article) -> ArticleOut:
        summary = ArticleSummary.of(article)
        return cls(**summary.model_dump(), body_markdown=article.body)


class AdminArticleOut(ArticleOut):
    published: bool
    source: str = Field(description="packaged: 随软件发布；override: 管理员编辑过")

    @classmethod
    def of(cls, article: Article) -> AdminArticleOut:
        out = ArticleOut.of(article)
        return cls(**out.model_dump(), published=article.published, source=article.source)


class AdminArticleList(BaseModel):
    items: list[AdminArticleOut]


class SearchHit(BaseModel):
    article_id: str
    title: str
    category: str
    score: float
    snippet: str
    url: str

    @classmethod
    def of(cls, hit: Hit) -> SearchHit:
        return cls(
            article_id=hit.article_id,
            title=hit.title,
            category=hit.category,
            score=hit.score,
            snippet=hit.snippet,
            url=ARTICLE_URL.format(id=hit.article_id),
        )


class SearchResult(BaseModel):
    query: str
    hits: list[SearchHit]


class ArticleEdit(BaseModel):
    """An article as the admin writes it; the id comes from the path, the date from the clock."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=2, max_length=TITLE_MAX)
    category: str = Field(min_length=1, max_length=40)
    tags: list[str] = Field(default_factory=list, max_length=TAGS_MAX)
    body: str = Field(min_length=1, max_length=BODY_MAX)
    published: bool = True

    def to_article(self, article_id: str) -> Article:
        return Article(
            id=article_id,
            title=self.title.strip(),
            category=self.category,
            body=self.body.strip(),
            tags=tuple(t.strip() for t in self.tags),
            published=self.published,
            source="override",
        )

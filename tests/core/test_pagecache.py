"""The page cache stays bounded and never answers with a page its owner calls stale."""

from __future__ import annotations

from urna.core.pagecache import CSRF_PLACEHOLDER, CachedPage, PageCache, page_key, with_token


def _key(path: str, query: bytes = b"") -> tuple:
    scope = {"path": path, "query_string": query}
    return page_key(scope, lang="pl", fragment=False, visits=None)


def test_a_search_with_any_text_cannot_grow_it_without_bound():
    cache = PageCache(capacity=8)
    for i in range(100):
        cache.put(_key("/e/x/projects", f"q={i}".encode()), CachedPage("<p>", None, lambda: True))
        assert len(cache._pages) <= 8
    assert cache.get(_key("/e/x/projects", b"q=99")) is not None
    assert cache.get(_key("/e/x/projects", b"q=0")) is None  # emptied on the way


def test_a_stale_page_is_dropped_not_served():
    fresh = {"value": True}
    cache = PageCache()
    cache.put(_key("/e/x/projects"), CachedPage("<p>old</p>", None, lambda: fresh["value"]))
    assert cache.get(_key("/e/x/projects")).html == "<p>old</p>"
    fresh["value"] = False
    assert cache.get(_key("/e/x/projects")) is None
    fresh["value"] = True  # even if its owner came back, the page is gone
    assert cache.get(_key("/e/x/projects")) is None


def test_a_cached_page_gets_each_visitors_own_token_and_nothing_else_changes():
    class Visitor:
        def __init__(self, token: str) -> None:
            self.csrf_token = token

    html = (
        f'<body hx-headers=\'{{"X-CSRF-Token": "{CSRF_PLACEHOLDER}"}}\'>zażółć {CSRF_PLACEHOLDER}'
    )
    page = CachedPage(html, None, lambda: True)
    for session in (Visitor("tok-A"), Visitor("tok-B"), Visitor(""), None):
        assert page.body(session) == with_token(html, session)
    assert b"tok-A" in page.body(Visitor("tok-A")) and b"tok-B" not in page.body(Visitor("tok-A"))
    plain = CachedPage("<p>żaden formularz</p>", None, lambda: True)
    assert plain.body(Visitor("tok-A")) == "<p>żaden formularz</p>".encode()

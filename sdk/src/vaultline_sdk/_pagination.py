"""Cursor pages that fetch the next page as you iterate: ``for consumer in sdk.consumers.list()``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Generic, TypeVar

ItemT = TypeVar("ItemT")


class _PageBase(Generic[ItemT]):
    def __init__(self, *, data: list[ItemT], next_cursor: str | None) -> None:
        self.data = data
        """The items on this page."""
        self.next_cursor = next_cursor
        """The cursor of the next page, ``None`` on the last one."""

    def has_next_page(self) -> bool:
        return bool(self.next_cursor) and bool(self.data)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(items={len(self.data)}, next_cursor={self.next_cursor!r})"


class SyncPage(_PageBase[ItemT]):
    """One page of results. Iterating it yields every item of this page and the ones after it."""

    def __init__(self, *, data: list[ItemT], next_cursor: str | None, fetch: Callable[[str], SyncPage[ItemT]]) -> None:
        super().__init__(data=data, next_cursor=next_cursor)
        self._fetch = fetch

    def next_page(self) -> SyncPage[ItemT] | None:
        return self._fetch(self.next_cursor) if self.next_cursor and self.has_next_page() else None

    def iter_pages(self) -> Iterator[SyncPage[ItemT]]:
        page: SyncPage[ItemT] | None = self
        while page is not None:
            yield page
            page = page.next_page()

    def __iter__(self) -> Iterator[ItemT]:
        for page in self.iter_pages():
            yield from page.data


class AsyncPage(_PageBase[ItemT]):
    """One page of results. ``async for`` over it yields every item of this page and the ones after it."""

    def __init__(
        self, *, data: list[ItemT], next_cursor: str | None, fetch: Callable[[str], Awaitable[AsyncPage[ItemT]]]
    ) -> None:
        super().__init__(data=data, next_cursor=next_cursor)
        self._fetch = fetch

    async def next_page(self) -> AsyncPage[ItemT] | None:
        return await self._fetch(self.next_cursor) if self.next_cursor and self.has_next_page() else None

    async def iter_pages(self) -> AsyncIterator[AsyncPage[ItemT]]:
        page: AsyncPage[ItemT] | None = self
        while page is not None:
            yield page
            page = await page.next_page()

    async def __aiter__(self) -> AsyncIterator[ItemT]:
        async for page in self.iter_pages():
            for item in page.data:
                yield item

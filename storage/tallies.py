"""Anonymous monthly counts: what the report reads and what erasure keeps."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage import statements as hot


class SqlTallies:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, month: str, metric: str, key: str, n: int = 1) -> None:
        conn = await self.session.connection()
        await conn.execute(hot.add_tally(conn.dialect.name),
                           {"month": month, "metric": metric, "key": key, "n": n})

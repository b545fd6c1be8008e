"""``teams-bot staff add|list|remove``: who may use the staff commands."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.settings import Settings
from domain.directory import load_directory
from domain.languages import LANGUAGES
from domain.model import STAFF_ROLES, StaffMember
from storage.database import create_engine, is_sqlite, session_factory, upgrade_async
from storage.repositories import SqlUnitOfWorkFactory


class StaffInputError(ValueError):
    pass


async def run(settings: Settings, action: str, user_id: int | None = None,
              name: str | None = None, role: str | None = None,
              languages: str | None = None, professional: str | None = None) -> str:
    if is_sqlite(settings.database_url):
        await upgrade_async(settings.database_url)
    db = create_engine(settings.database_url)
    try:
        async with SqlUnitOfWorkFactory(session_factory(db))() as uow:
            if action == "add":
                if role not in STAFF_ROLES:
                    raise StaffInputError(f"role must be one of: {', '.join(STAFF_ROLES)}")
                codes = tuple(c.strip() for c in (languages or "it").split(",") if c.strip())
                unknown = [c for c in codes if c not in LANGUAGES]
                if unknown:
                    raise StaffInputError(f"unknown language codes: {', '.join(unknown)}")
                assert user_id is not None
                if professional is not None:
                    known = {p.id for p in load_directory(settings.service_file).professionals}
                    if professional not in known:
                        raise StaffInputError(
                            f"no professional '{professional}' in {settings.service_file}")
                await uow.staff.add(StaffMember(user_id, name or str(user_id), role, codes,
                                                professional), datetime.now(UTC))
                await uow.commit()
                return f"staff member {user_id} ({role}) saved"
            if action == "remove":
                assert user_id is not None
                removed = await uow.staff.remove(user_id, datetime.now(UTC))
                await uow.commit()
                return (f"staff member {user_id} removed; the running bot tells the "
                        "coordinators and offers to remove them from the staff group"
                        if removed else f"no staff member {user_id}")
            members = await uow.staff.all()
            lines = [f"{'telegram id':<14} {'role':<14} {'professional':<13} "
                     f"{'languages':<18} name"]
            lines += [f"{m.user_id:<14} {m.role:<14} {m.professional_id or '-':<13} "
                      f"{','.join(m.languages):<18} {m.name}" for m in members]
            return "\n".join(lines)
    finally:
        await db.dispose()

"""From the records and tallies to the report's tables: every figure is counted here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from bot.report.labels import SMALL, Labels
from bot.report.model import Report, Table, expand, median, p90
from bot.report.period import Period
from domain.reporting import (
    ANSWER_MINUTES,
    BOOKINGS_NEED,
    CONTACT_LANGUAGE,
    FUNNEL,
    FUNNEL_STAGES,
    HANDOVERS,
    MEETING_LANGUAGE,
    OUTCOME,
    SENT_TO,
    WAIT_DAYS,
    Fact,
    ReportData,
    Tally,
)

#: Counted live, by month only (never per citizen): every month the period touches.
LIVE_METRICS = ("questions.", "safety.", "marked.", "outcome.")
REFERRAL_ORDER = ("servizi_sociali", "centro_impiego", "sportello_immigrazione", "other", "-")
ROLE_ORDER = ("social_worker", "labour_expert", "mediator")


class FactsByMonth:
    """The facts, by month: a period counts only those of the months it touches."""

    def __init__(self, facts: Sequence[Fact]) -> None:
        self.months: dict[str, list[Fact]] = {}
        for fact in facts:
            self.months.setdefault(fact.month, []).append(fact)

    def touching(self, period: Period) -> list[Fact]:
        return [fact for month in period.months() for fact in self.months.get(month, ())]


class Counts:
    """The facts of one period, by metric and key: live citizens' facts on the period's days,
    the erased citizens' tallies of its whole months, the live tallies of all its months."""

    def __init__(self, facts: FactsByMonth, tallies: Sequence[tuple[str, Tally]],
                 period: Period) -> None:
        self.by: dict[str, Counter[str]] = {}
        whole, touched = set(period.whole_months()), set(period.months())
        for fact in facts.touching(period):
            if fact.day in period:
                self._add(fact.metric, fact.key, fact.n)
        for month, tally in tallies:
            live = tally.metric.startswith(LIVE_METRICS)
            if month in (touched if live else whole):
                self._add(tally.metric, tally.key, tally.n)

    def _add(self, metric: str, key: str, n: int) -> None:
        self.by.setdefault(metric, Counter())[key] += n

    def __getitem__(self, metric: str) -> Counter[str]:
        return self.by.get(metric, Counter())

    def prefixed(self, prefix: str) -> dict[str, Counter[str]]:
        return {m.removeprefix(prefix): c for m, c in self.by.items() if m.startswith(prefix)}


def protect(values: dict[str, int]) -> set[str]:
    """The cells to withhold, besides the small ones, in a group shown with its total, so
    that no small count can be worked out by difference: more cells are withheld (smallest
    first) until the hidden ones are at least two and add up to 5 or more (a total of 5 or
    more always leaves a cell to withhold; a smaller total is itself hidden)."""
    hidden = {k for k, n in values.items() if 0 < n < SMALL}
    withheld: set[str] = set()
    if not hidden or sum(values.values()) < SMALL:
        return withheld
    while len(hidden | withheld) == 1 or sum(values[k] for k in hidden | withheld) < SMALL:
        rest = [k for k, n in values.items() if n >= SMALL and k not in withheld]
        if not rest:
            break
        withheld.add(min(rest, key=lambda k: (values[k], k)))
    return withheld


def funnel(counts: Counts, words: Labels) -> list[Table]:
    """One small table a referral source (and the total): each stage, its count, and its
    share of the step before (taken in charge and sent on: of those who attended)."""
    stages = [s for s in FUNNEL_STAGES if s != "covered"]
    per = {stage: counts[FUNNEL + stage] for stage in stages}
    sources = sorted(per["contact"], key=lambda k: (
        REFERRAL_ORDER.index(k) if k in REFERRAL_ORDER else len(REFERRAL_ORDER), k))
    held = {stage: protect({k: per[stage][k] for k in sources}) for stage in stages}
    tables = []
    for source in [*sources, ""]:
        title = words.referral(source) if source else words.t("total")
        table = Table(f"funnel.{source or 'total'}", title,
                      [words.t("stage"), words.t("count"), "%"], group="funnel",
                      chart="bars")
        before: tuple[int, bool] | None = None
        attended: tuple[int, bool] | None = None
        for stage in stages:
            n = per[stage][source] if source else sum(per[stage].values())
            withheld = source in held[stage]
            base = before if stage not in ("pap", "referred") else attended
            share = "" if base is None else (
                words.t("na") if withheld or base[1] else words.percent(n, base[0]))
            table.add(stage, words.t(f"stage.{stage}"), words.count(n, withheld), share,
                      bar=None if withheld else n)
            if stage == "attended":
                attended = (n, withheld)
            if stage not in ("pap", "referred"):
                before = (n, withheld)
        tables.append(table)
    return tables


def coverage(facts: FactsByMonth, tallies: Sequence[tuple[str, Tally]], period: Period,
             words: Labels) -> Table:
    table = Table("coverage", words.t("coverage"),
                  [words.t("month"), words.t("first_contacts"), words.t("covered"),
                   words.t("index")], note=words.t("coverage.note"), chart="percent")
    trend = [m for m in period.trend() if m.label != period.label and m.last < period.first]
    for month in [*trend, period]:
        counts = Counts(facts, tallies, month)
        contacts = sum(counts[FUNNEL + "contact"].values())
        covered = sum(counts[FUNNEL + "covered"].values())
        whole = month is period
        if not whole and not contacts:
            continue
        index = words.percent(covered, contacts)
        bar = round(100 * covered / contacts) if index[:1].isdigit() else None
        name = (words.month(month.first) if month.label == month.first.strftime("%Y-%m")
                else f"{month.first.isoformat()} – {month.last.isoformat()}")
        table.add("period" if whole else month.label, name, words.count(contacts),
                  words.count(covered), index, bar=bar)
    return table


def waiting(counts: Counts, words: Labels) -> Table:
    days = expand(counts[WAIT_DAYS])
    table = Table("wait", words.t("wait"), ["", ""], note=words.t("wait.note"))
    table.add("cases", words.t("cases"), words.count(len(days)))
    table.add("median", words.t("median"), words.number(median(days)))
    table.add("p90", words.t("p90"), words.number(p90(days)))
    return table


def no_shows(counts: Counts, words: Labels) -> Table:
    table = Table("noshow", words.t("noshow"),
                  ["", words.t("attended"), words.t("no_show"), words.t("rate")],
                  note=words.t("noshow.note"))
    attended, missed = counts["bookings.attended"], counts["bookings.no_show"]
    roles = [r for r in ROLE_ORDER if attended[r] or missed[r]]
    roles += sorted((set(attended) | set(missed)) - set(ROLE_ORDER))
    held = [protect({r: attended[r] for r in roles}), protect({r: missed[r] for r in roles})]
    for role in [*roles, ""]:
        came = attended[role] if role else sum(attended.values())
        away = missed[role] if role else sum(missed.values())
        hide = [role in held[0], role in held[1]]
        rate = words.t("na") if any(hide) else words.percent(away, came + away)
        table.add(role or "total", _cap(words.role(role)) if role else words.t("total"),
                  words.count(came, hide[0]), words.count(away, hide[1]), rate)
    return table


def answers(counts: Counts, words: Labels) -> Table:
    table = Table("answer", words.t("answer"),
                  ["", words.t("cases"), words.t("median"), words.t("p90")],
                  note=words.t("answer.note"))
    kinds = counts.prefixed(ANSWER_MINUTES)
    minutes = {hours: expand(kinds.get(hours, Counter())) for hours in ("in", "out", "unknown")}
    held = protect({hours: len(values) for hours, values in minutes.items()})
    for hours, values in minutes.items():
        if values or hours != "unknown":
            table.add(hours, words.t(f"hours.{hours}"), words.count(len(values), hours in held),
                      words.number(median(values)), words.number(p90(values)))
    every = sorted(v for values in minutes.values() for v in values)
    table.add("all", words.t("hours.all"), words.count(len(every), "" in held),
              words.number(median(every)), words.number(p90(every)))
    return table


def languages(counts: Counts, staff: Sequence[tuple[str, Sequence[str]]],
              words: Labels) -> Table:
    table = Table("languages", words.t("languages"),
                  [words.t("language"), words.t("citizens"), words.t("meetings"),
                   words.t("spoken_by"), words.t("gap")], note=words.t("languages.note"))
    chat, meeting = counts[CONTACT_LANGUAGE], counts[MEETING_LANGUAGE]
    asked = sorted((set(chat) | set(meeting)) - {"-"}, key=lambda code: (
        -sum(n for n in (chat[code], meeting[code]) if n >= SMALL), code))
    # The columns' totals are known (first contacts, appointments held or booked).
    held = [protect(dict(chat)), protect(dict(meeting))]
    for code in asked:
        roles = sorted({role for role, spoken in staff if code in spoken},
                       key=lambda r: (*ROLE_ORDER, r).index(r))
        gap = ("gap.none" if not roles else
               "gap.mediator" if set(roles) == {"mediator"} else "gap.no")
        table.add(code, _cap(words.language(code)), words.count(chat[code], code in held[0]),
                  words.count(meeting[code], code in held[1]),
                  ", ".join(words.role(r) for r in roles) or words.t("none"), words.t(gap))
    return table


def listing(code: str, title: str, column: str, counts: Counter[str], name: object,
            words: Labels, note: str = "") -> Table:
    """A count by key, largest first, with its bar chart."""
    table = Table(code, title, [column, words.t("count")], note=note, chart="bars")
    for key, n in sorted(counts.items(), key=_order):
        if n:
            table.add(key, name(key), words.count(n), bar=n)  # type: ignore[operator]
    return table


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _order(item: tuple[str, int]) -> tuple[int, str]:
    """Largest first; the small counts after, by code, so their order tells nothing."""
    key, n = item
    return (-n if n >= SMALL else 0, key)


def more_tables(counts: Counts, words: Labels) -> list[Table]:
    return [
        listing("outcomes", words.t("outcomes"), words.t("outcome"), counts[OUTCOME],
                words.outcome, words),
        listing("sent_to", words.t("sent_to"), words.t("service"), counts[SENT_TO],
                words.service, words),
        listing("needs", words.t("needs"), words.t("need"), counts[BOOKINGS_NEED],
                words.need, words),
        listing("handovers", words.t("handovers"), words.t("reason"), counts[HANDOVERS],
                words.reason, words)]


def build_report(data: ReportData, facts: Sequence[Fact], period: Period, words: Labels,
                 service: str, today: date) -> Report:
    facts_by_month = FactsByMonth(facts)
    counts = Counts(facts_by_month, data.tallies, period)
    report = Report(period, words.t("title", service=service), words.lang, today,
                    [words.t("privacy"), words.t("erased")])
    staff = [*data.staff_languages,
             *[(p.role, tuple(p.languages)) for p in words.directory.professionals]]
    flow = funnel(counts, words)
    flow[0].note = words.t("funnel.note")
    cover = coverage(facts_by_month, data.tallies, period, words)
    wait, missed, answer = waiting(counts, words), no_shows(counts, words), answers(counts,
                                                                                  words)
    key = Table("key", words.t("key"), ["", ""])
    key.add("contacts", words.t("first_contacts"), flow[-1].rows[0].cells[0])
    key.add("coverage", words.t("coverage"), cover.rows[-1].cells[-1])
    key.add("wait", words.t("wait"), wait.rows[1].cells[0])
    key.add("noshow", words.t("rate"), missed.rows[-1].cells[-1])
    key.add("answer", words.t("answer"), answer.rows[-1].cells[1])
    report.section(words.t("key"), key)
    report.section(words.t("funnel"), *flow)
    report.section(words.t("coverage"), cover)
    report.section(words.t("times"), wait, missed, answer)
    report.section(words.t("languages"), languages(counts, staff, words))
    report.section(words.t("unanswered"), listing(
        "unanswered", words.t("unanswered"), words.t("topic"),
        counts["questions.unanswered"], words.topic, words, words.t("unanswered.note")),
        listing("topics", words.t("topics"), words.t("topic"), counts["questions.topic"],
                words.topic, words))
    report.section(words.t("more"), *more_tables(counts, words))
    return report

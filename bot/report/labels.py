"""The report's words, in Italian (the staff's) or English, and the human names of codes:
referral sources and services from the directory, roles, needs and outcomes from the
interface's catalogues, topics from the FAQ titles, languages from Babel."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from domain.booking import REFERRAL_LABELS, ROLE_NAMES
from domain.directory import Directory
from domain.needs import NEEDS
from domain.outcomes import OUTCOME_LABELS
from domain.text import Translations

LANGS = ("it", "en")
SMALL = 5

TEXT: dict[str, dict[str, str]] = {
    "it": {
        "fewer": "meno di 5", "na": "n.d.", "none": "nessuno", "total": "Totale",
        "title": "{service}: i numeri della zona", "period": "Periodo: {period}",
        "generated": "Dati letti il {day}.",
        "privacy": "Per non rendere riconoscibile nessuno, i conteggi da 1 a 4 sono scritti "
                   "«meno di 5», e percentuali, mediane e percentili calcolati su meno di 5 "
                   "casi non sono mostrati («n.d.»). Un conteggio è «n.d.» anche quando da esso e "
                   "dal totale si potrebbe ricavare un conteggio nascosto. Nessun testo dei "
                   "messaggi è usato.",
        "erased": "Chi ha cancellato i propri dati è contato con conteggi anonimi tenuti per "
                  "mese: entra nei mesi interi del periodo.",
        "key": "In sintesi", "funnel": "Percorso per ente inviante", "stage": "Passo",
        "funnel.note": "Cittadini al primo contatto nel periodo, divisi per chi li ha "
                       "inviati, e fin dove sono arrivati finora. La percentuale è sul "
                       "passo precedente; presa in carico e invio sono sui presentati.",
        "stage.contact": "Primo contatto", "stage.needs": "Bisogni raccolti",
        "stage.booked": "Appuntamento prenotato", "stage.attended": "Presentati",
        "stage.pap": "Presa in carico (PAP)", "stage.referred": "Inviati ad altro servizio",
        "coverage": "Indice di copertura",
        "coverage.note": "Indice di copertura di un mese = cittadini al primo contatto in "
                         "quel mese che finora sono stati presi in carico con un PAP o "
                         "inviati (orientati) a un altro servizio, diviso tutti i cittadini "
                         "al primo contatto in quel mese. Un cittadino conta una volta. Gli "
                         "ultimi mesi crescono ancora: gli esiti arrivano dopo gli incontri.",
        "month": "Mese", "covered": "Presi in carico o inviati", "index": "Indice",
        "times": "Tempi e presenze",
        "wait": "Attesa dal primo contatto al primo appuntamento (giorni)",
        "wait.note": "Giorni tra il primo messaggio e l'inizio del primo appuntamento non "
                     "annullato, per i cittadini al primo contatto nel periodo.",
        "median": "Mediana", "p90": "90° percentile", "cases": "Casi",
        "noshow": "Assenze agli appuntamenti",
        "noshow.note": "Appuntamenti del periodo: assenti ÷ (presentati + assenti).",
        "attended": "Presentati", "no_show": "Assenti", "rate": "Tasso di assenza",
        "answer": "Prima risposta di una persona nelle conversazioni passate allo staff "
                  "(minuti)",
        "answer.note": "Minuti tra il passaggio allo staff e la prima risposta di una "
                       "persona; «in orario» se il passaggio è avvenuto con l'ufficio aperto "
                       "(orari e chiusure dell'elenco dei servizi).",
        "hours.in": "In orario di apertura", "hours.out": "Fuori orario",
        "hours.unknown": "Orario non noto", "hours.all": "Tutte",
        "languages": "Lingue richieste e lingue dello staff",
        "languages.note": "Lingua usata in chat dai cittadini al primo contatto nel periodo, "
                          "lingua chiesta per gli appuntamenti del periodo, e chi dello "
                          "staff (registro del personale ed elenco dei servizi) la parla.",
        "language": "Lingua", "citizens": "Cittadini", "meetings": "Appuntamenti",
        "spoken_by": "Parlata da", "gap": "Serve un mediatore?",
        "gap.none": "sì: nessuno dello staff", "gap.mediator": "sì: solo il mediatore",
        "gap.no": "no",
        "unanswered": "Domande non capite, per argomento più vicino",
        "unanswered.note": "Domande a cui l'assistente non ha saputo rispondere, contate "
                           "per l'argomento che più si avvicinava (mesi interi).",
        "topics": "Domande per argomento", "topic": "Argomento", "questions": "Domande",
        "outcomes": "Esiti degli incontri", "outcome": "Esito",
        "more": "Esiti, invii, bisogni e passaggi allo staff",
        "sent_to": "Invii ad altri servizi", "service": "Servizio",
        "needs": "Bisogni negli appuntamenti", "need": "Bisogno",
        "handovers": "Conversazioni passate allo staff, per motivo", "reason": "Motivo",
        "reason.asked": "Chiesto dal cittadino", "reason.misunderstood": "Non capito",
        "reason.emergency": "Emergenza", "reason.voice": "Messaggio vocale", "count": "Numero",
        "first_contacts": "Cittadini al primo contatto", "empty": "Nessun dato nel periodo.",
        "unknown": "non indicato", "role.coordinator": "coordinatore",
        "role.admin": "amministratore", "days": "{n} gg", "minutes": "{n} min",
        "intent.book_appointment": "Prenotare un appuntamento",
        "intent.my_appointments": "I miei appuntamenti", "intent.human_handover":
        "Parlare con una persona", "intent.out_of_scope": "Fuori tema",
        "intent.help_menu": "Aiuto e menu", "intent.privacy_data": "Dati personali",
        "intent.change_language": "Cambiare lingua", "intent.greet": "Saluti",
        "intent.None": "nessun argomento vicino",
    },
    "en": {
        "fewer": "fewer than 5", "na": "n/a", "none": "none", "total": "Total",
        "title": "{service}: the zone's figures", "period": "Period: {period}",
        "generated": "Data read on {day}.",
        "privacy": "So that no person can be recognised, counts from 1 to 4 are written "
                   "\"fewer than 5\", and percentages, medians and percentiles of fewer than "
                   "5 cases are not shown (\"n/a\"). A count is \"n/a\" too when a hidden "
                   "count could be worked out from it and the total. No message text is "
                   "used.",
        "erased": "Citizens who erased their data count through anonymous monthly tallies: "
                  "they are in the period's whole months.",
        "key": "At a glance", "funnel": "Path by referral source", "stage": "Step",
        "funnel.note": "Citizens whose first contact is in the period, by who sent them, and "
                       "how far they got so far. Each percentage is of the step before; "
                       "taken in charge and sent on are of those who attended.",
        "stage.contact": "First contact", "stage.needs": "Needs collected",
        "stage.booked": "Appointment booked", "stage.attended": "Attended",
        "stage.pap": "Taken in charge (PAP)", "stage.referred": "Sent on to a service",
        "coverage": "Coverage index",
        "coverage.note": "Coverage index of a month = citizens whose first contact was in "
                         "that month and who so far were taken in charge with a PAP or sent "
                         "on (oriented) to another service, divided by all citizens whose "
                         "first contact was in that month. A citizen counts once. The last "
                         "months still grow: outcomes come after the meetings.",
        "month": "Month", "covered": "Taken in charge or sent on", "index": "Index",
        "times": "Waiting times and attendance",
        "wait": "Wait from first contact to first appointment (days)",
        "wait.note": "Days from the first message to the start of the first appointment not "
                     "cancelled, for citizens whose first contact is in the period.",
        "median": "Median", "p90": "90th percentile", "cases": "Cases",
        "noshow": "Missed appointments",
        "noshow.note": "Appointments of the period: no-shows ÷ (attended + no-shows).",
        "attended": "Attended", "no_show": "No-show", "rate": "No-show rate",
        "answer": "A person's first answer in conversations handed to the staff (minutes)",
        "answer.note": "Minutes from the hand-over to a person's first answer; \"in hours\" "
                       "when the hand-over came with the office open (hours and closures "
                       "of the service directory).",
        "hours.in": "In office hours", "hours.out": "Out of hours",
        "hours.unknown": "Hours not known", "hours.all": "All",
        "languages": "Languages asked for and languages the staff speak",
        "languages.note": "Chat language of citizens whose first contact is in the period, "
                          "language asked for the period's appointments, and who of the "
                          "staff (staff registry and service directory) speaks it.",
        "language": "Language", "citizens": "Citizens", "meetings": "Appointments",
        "spoken_by": "Spoken by", "gap": "Mediator needed?",
        "gap.none": "yes: nobody on the staff", "gap.mediator": "yes: only the mediator",
        "gap.no": "no",
        "unanswered": "Questions not understood, by nearest topic",
        "unanswered.note": "Questions the assistant could not answer, counted under the "
                           "topic they came nearest to (whole months).",
        "topics": "Questions by topic", "topic": "Topic", "questions": "Questions",
        "outcomes": "Outcomes of meetings", "outcome": "Outcome",
        "more": "Outcomes, referrals, needs and hand-overs",
        "sent_to": "Sent on to other services", "service": "Service",
        "needs": "Needs in appointments", "need": "Need",
        "handovers": "Conversations handed to the staff, by reason", "reason": "Reason",
        "reason.asked": "Asked by the citizen", "reason.misunderstood": "Not understood",
        "reason.emergency": "Emergency", "reason.voice": "Voice message", "count": "Number",
        "first_contacts": "Citizens at first contact", "empty": "No data in the period.",
        "unknown": "not given", "role.coordinator": "coordinator", "role.admin": "admin",
        "days": "{n} d", "minutes": "{n} min",
        "intent.book_appointment": "Booking an appointment",
        "intent.my_appointments": "My appointments", "intent.human_handover":
        "Talking to a person", "intent.out_of_scope": "Off topic",
        "intent.help_menu": "Help and menu", "intent.privacy_data": "Personal data",
        "intent.change_language": "Changing language", "intent.greet": "Greetings",
        "intent.None": "no topic near",
    },
}

EMOJI = re.compile(r"^[^\w(]+", re.UNICODE)


class Labels:
    """Words and names in one language (``it`` or ``en``)."""

    def __init__(self, lang: str, directory: Directory, translations: Translations,
                 titles: dict[str, str] | None = None) -> None:
        self.lang = lang if lang in TEXT else "it"
        self.words = TEXT[self.lang]
        self.directory = directory
        self.translations = translations
        self.titles = titles or {}

    def t(self, key: str, **values: Any) -> str:
        text = self.words[key]
        return text.format(**values) if values else text

    def _gettext(self, message: str) -> str:
        return EMOJI.sub("", self.translations.gettext(self.lang, message)).strip()

    def referral(self, code: str) -> str:
        if code in ("-", ""):
            return self.t("unknown")
        found = self.directory.referral_service(code)
        if found is not None:
            return found.name
        return self._gettext(REFERRAL_LABELS[code]) if code in REFERRAL_LABELS else code

    def service(self, code: str) -> str:
        found = self.directory.referral_service(code)
        return found.name if found is not None else code

    def role(self, code: str) -> str:
        if code in ROLE_NAMES:
            return self._gettext(ROLE_NAMES[code])
        return self.words.get(f"role.{code}", code)

    def need(self, code: str) -> str:
        return self._gettext(NEEDS[code]) if code in NEEDS else code

    def outcome(self, code: str) -> str:
        return self._gettext(OUTCOME_LABELS[code]) if code in OUTCOME_LABELS else code

    def reason(self, code: str) -> str:
        return self.words.get(f"reason.{code}", code)

    def topic(self, code: str) -> str:
        if code in self.titles:
            return self.titles[code]
        return self.words.get(f"intent.{code}", code.removeprefix("faq_").replace("_", " "))

    def language(self, code: str) -> str:
        if code in ("-", ""):
            return self.t("unknown")
        name = Locale.parse(self.lang).languages.get(code)
        return f"{name} ({code})" if name else code

    def month(self, day: date) -> str:
        """``novembre 2026``, ``November 2026``."""
        return format_date(day, "LLLL yyyy", locale=self.lang)

    def count(self, n: int, withheld: bool = False) -> str:
        """A count as shown: 1 to 4 as "fewer than 5"; a count withheld so that a small one
        cannot be worked out by difference, as "n/a"."""
        if withheld:
            return self.t("na")
        return self.t("fewer") if 0 < n < SMALL else format_decimal(n, locale=self.lang)

    def percent(self, part: int, whole: int) -> str:
        if whole == 0:
            return "–"
        if whole < SMALL or 0 < part < SMALL:
            return self.t("na")
        return format_percent(part / whole, locale=self.lang)

    def number(self, value: float | None) -> str:
        if value is None:
            return self.t("na")
        return format_decimal(round(value, 1), locale=self.lang)

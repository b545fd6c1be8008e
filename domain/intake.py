"""The intake before a booking: the privacy consent, what the citizen needs, how urgent, who
sent them, the meeting's language, a few words of their own; then the triage to a professional.
Its state is the conversation's ``intake``; the day and time are :mod:`domain.appointments`."""

from __future__ import annotations

from domain import payloads
from domain.booking import INTENT_NEED, REFERRAL_LABELS, ROLE_NAMES, URGENCY, triage
from domain.languages import LANGUAGES, NATIVE_NAMES, menu_rows
from domain.menus import Menus
from domain.messages import Button, Reply
from domain.model import ConversationState
from domain.needs import NEEDS
from domain.state import DAYS, Intake
from domain.turn import Services, Turn

MAX_DESCRIPTION = 500


class IntakeFlow:
    def __init__(self, services: Services, menus: Menus) -> None:
        self.s = services
        self.menus = menus

    @staticmethod
    def _intake(turn: Turn) -> Intake:
        """The intake in progress (the route table lets intake buttons through only then);
        an empty one is started if none is."""
        if turn.conversation.data.intake is None:
            turn.conversation.data.intake = Intake()
        return turn.conversation.data.intake

    def begin(self, turn: Turn, role: str | None = None, need: str | None = None) -> None:
        """A new intake (a move in progress is forgotten); the notice first, once."""
        data = turn.conversation.data
        data.moving = None
        data.intake = Intake(needs=[need] if need else [], role=role)
        if turn.citizen.consent_at is None:
            self.privacy_notice(turn)
            return
        self.ask_needs(turn)

    def privacy_notice(self, turn: Turn) -> None:
        service = self.s.directory.service
        turn.conversation.state = ConversationState.CONSENT
        turn.reply(turn.say._(
            "Before we start: this is an automated assistant of {service}. To book an "
            "appointment we keep what you tell us (what you need, the language, the time) so "
            "that the professional can help you. The data controller is {controller}. We keep "
            "it for {days} days after your last contact, and you can see or delete it at any "
            "time with /privacy. Full notice: {url}\n\nDo you agree?",
            service=service.name, controller=service.controller,
            days=service.retention_days, url=service.privacy_notice_url,
        ), [[Button("✅ " + turn.say._("I agree"), payloads.make("consent", "yes")),
             Button(turn.say._("No, thanks"), payloads.make("consent", "no"))]])

    def consent(self, turn: Turn, agree: bool) -> bool:
        """The answer to the notice; True when the day choice follows (a mediator offered
        times before the citizen had agreed), else the intake goes on or ends here."""
        if not agree:
            turn.conversation.data.intake = None
            self.menus.main_menu(turn, turn.say._(
                "All right, we keep nothing. You can still read all the information and write "
                "to a person."))
            return False
        turn.citizen.consent_at = turn.now
        after, turn.conversation.data.after_consent = turn.conversation.data.after_consent, None
        if after == DAYS:
            return True
        self.ask_needs(turn)
        return False

    # -- intake -----------------------------------------------------------------------------

    def ask_needs(self, turn: Turn, edit: bool = False) -> None:
        turn.conversation.state = ConversationState.INTAKE_NEEDS
        chosen = set(self._intake(turn).needs)
        say = turn.say
        buttons = [Button(("✅ " if key in chosen else "") + say._(label),
                          payloads.make("need", key)) for key, label in NEEDS.items()]
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        rows.append([Button("✔️ " + say._("Done"), payloads.make("needs_done"))])
        turn.replies.append(Reply(say._(
            "What do you need help with? Choose one or more, then press Done. You can also "
            "write it in your own words."), rows, edit=edit))

    def on_need(self, turn: Turn, key: str) -> None:
        needs = self._intake(turn).needs
        if key in needs:
            needs.remove(key)
        else:
            needs.append(key)
        self.ask_needs(turn, edit=True)

    def on_needs_text(self, turn: Turn, text: str, intent: str) -> None:
        intake = self._intake(turn)
        need = INTENT_NEED.get(intent)
        if need is None:
            need = "other"
            intake.description = text[:MAX_DESCRIPTION]
        if need not in intake.needs:
            intake.needs.append(need)
        self.ask_needs(turn)

    def on_needs_done(self, turn: Turn) -> None:
        if not self._intake(turn).needs:
            turn.reply(turn.say._("Please choose at least one thing, or \"Something else\"."))
            self.ask_needs(turn)
            return
        self._ask_urgency(turn)

    def _ask_urgency(self, turn: Turn) -> None:
        turn.conversation.state = ConversationState.INTAKE_URGENCY
        turn.reply(turn.say._("How urgent is it?"), [[
            Button(turn.say._(label), payloads.make("urg", key)) for key, label in URGENCY.items()
        ]])

    def on_urgency(self, turn: Turn, key: str) -> None:
        self._intake(turn).urgency = key
        if turn.citizen.referral is None:
            turn.conversation.state = ConversationState.INTAKE_REFERRAL
            rows = [[Button(turn.say._(label), payloads.make("ref", key))]
                    for key, label in REFERRAL_LABELS.items()]
            turn.reply(turn.say._("Who sent you to TEAMS?"), rows)
            return
        self._ask_meeting_language(turn)

    def on_referral(self, turn: Turn, key: str) -> None:
        turn.citizen.referral = key
        self._ask_meeting_language(turn)

    def _ask_meeting_language(self, turn: Turn, everything: bool = False) -> None:
        turn.conversation.state = ConversationState.INTAKE_LANGUAGE
        codes = list(LANGUAGES) if everything else list(dict.fromkeys([turn.language, "it"]))
        buttons = [Button(NATIVE_NAMES[c], payloads.make("mlang", c)) for c in codes]
        rows = menu_rows(buttons)
        if not everything:
            rows.append([Button("🌐 " + turn.say._("Another language"),
                                payloads.make("mlang", "more"))])
        turn.reply(turn.say._("In which language would you like to talk at the meeting?"), rows)

    def on_meeting_language(self, turn: Turn, code: str) -> None:
        if code == "more":
            self._ask_meeting_language(turn, everything=True)
            return
        self._intake(turn).language = code
        turn.conversation.state = ConversationState.INTAKE_DESCRIPTION
        turn.reply(turn.say._(
            "If you want, write in a few words what you need (no names and no document "
            "numbers, please). Or press Skip."),
            [[Button("⏭️ " + turn.say._("Skip"), payloads.make("skip"))]])

    def on_description(self, turn: Turn, text: str | None) -> None:
        if text:
            self._intake(turn).description = text[:MAX_DESCRIPTION]
        self.show_triage(turn)

    # -- triage -----------------------------------------------------------------------------

    def show_triage(self, turn: Turn) -> None:
        intake = self._intake(turn)
        result = triage(self.s.directory, intake.needs, intake.language, intake.role)
        intake.role = result.role
        intake.with_mediator = result.with_mediator
        turn.conversation.state = ConversationState.TRIAGE
        say = turn.say
        role = say._(ROLE_NAMES[result.role])
        if result.reasons:
            needs = ", ".join(say._(NEEDS[n]) for n in result.reasons)
            text = say._("You will meet the {role}, who helps with: {needs}.", role=role,
                         needs=needs)
        else:
            text = say._("You will meet the {role}.", role=role)
        if result.with_mediator:
            text += "\n" + say._("A linguistic-cultural mediator will also be there, to help "
                                 "with the language.")
        turn.reply(text, [
            [Button("📅 " + say._("Choose a day"), payloads.make("days"))],
            [Button(say._("Another professional"), payloads.make("roles"))],
        ])

    def show_roles(self, turn: Turn) -> None:
        rows = [[Button(turn.say._(label), payloads.make("role", key))]
                for key, label in ROLE_NAMES.items()]
        turn.reply(turn.say._("Whom would you like to meet?"), rows)

    def on_role(self, turn: Turn, role: str) -> None:
        if turn.conversation.data.intake is None:
            turn.conversation.data.intake = Intake(needs=["other"])
        turn.conversation.data.intake.role = role
        self.show_triage(turn)

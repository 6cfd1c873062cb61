"""Dialogue scripts of the sample calls, as data.

Each call is a list of lines in speaking order. A line is spoken by the agent or the customer in
one style (``calm``, ``raised``, ``backchannel``) and placed by its cue:

- ``next``: after the previous main turn, following a short gap (drawn from the call's seed,
  0.2-1.2 s) or the explicit ``gap_s`` (used for unexplained holds).
- ``interrupt``: starts ``overlap_s`` before the end of the other party's previous turn, whose
  text is written as what was actually said before that party stopped (ending in a dash).
- ``backchannel``: placed inside the other party's previous main turn at fraction ``at`` of it;
  it does not take the floor, so the timeline does not move.

``checks`` holds the authored answer for every transcript check id (see README.md for the
convention on ``null``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

CHECK_IDS = (
    "agent_introduction",
    "customer_name_used",
    "empathy_statement",
    "apology",
    "over_apology",
    "paraphrase_or_clarify",
    "solution_offered",
    "next_steps_set",
    "closing_check",
    "negative_language",
    "blame_language",
    "dismissive_phrase",
    "customer_escalation_request",
    "escalation_offered",
    "customer_abuse",
    "agent_boundary_set",
    "customer_threat",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Voice:
    """How one party is synthesised: ``engine`` is ``piper`` or ``espeak``."""

    engine: str
    name: str  # piper voice name, or espeak-ng voice such as "en-us+f3"
    rate_wpm: int = 160  # espeak only
    length_scale: float = 1.0  # piper only: >1 is slower
    pitch_cents: int = 0  # sox pitch shift applied to every turn


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    speaker: str  # "agent" | "customer"
    text: str
    style: str = "calm"  # "calm" | "raised" | "backchannel"
    cue: str = "next"  # "next" | "interrupt" | "backchannel"
    gap_s: float | None = None  # explicit silence before a "next" line
    overlap_s: float = 1.0  # for "interrupt"
    at: float = 0.5  # for "backchannel": where in the host turn it starts (fraction)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallScript:
    call_id: str
    title: str
    scenario: str
    agent_id: str
    agent_name: str
    team: str
    customer_name: str
    voices: Mapping[str, Voice]
    lines: tuple[Line, ...]
    checks: Mapping[str, bool | None] = field(default_factory=dict)
    seed: int = 0


def agent(text: str, **kwargs: object) -> Line:
    return Line(speaker="agent", text=text, **kwargs)


def customer(text: str, **kwargs: object) -> Line:
    return Line(speaker="customer", text=text, **kwargs)


def agent_bc(text: str, *, at: float = 0.5) -> Line:
    return Line(speaker="agent", text=text, style="backchannel", cue="backchannel", at=at)


def customer_bc(text: str, *, at: float = 0.5) -> Line:
    return Line(speaker="customer", text=text, style="backchannel", cue="backchannel", at=at)


def _checks(true_ids: str, *, null_ids: str = "agent_boundary_set") -> Mapping[str, bool | None]:
    """All check ids: the listed ones true, ``null_ids`` null, the rest false."""
    met = set(true_ids.split())
    skipped = set(null_ids.split())
    unknown = (met | skipped) - set(CHECK_IDS)
    if unknown:
        raise ValueError(f"unknown check ids: {sorted(unknown)}")
    answer = {cid: (None if cid in skipped else cid in met) for cid in CHECK_IDS}
    return MappingProxyType(answer)


# tiny.en transcribes piper's joe well on both versions; espeak-ng loses about a third of its
# words in the telephone band, so espeak-ng speaks only parties whose words no check depends on.
JOE = Voice(engine="piper", name="joe")
JOE_LOW = Voice(engine="piper", name="joe", pitch_cents=-150, length_scale=1.05)
JOE_DEEP = Voice(engine="piper", name="joe", pitch_cents=-300, length_scale=0.95)
JOE_HIGH = Voice(engine="piper", name="joe", pitch_cents=250)
JOE_BRIGHT = Voice(engine="piper", name="joe", pitch_cents=300, length_scale=0.92)
ESPEAK_F3 = Voice(engine="espeak", name="en-us+f3", rate_wpm=165)
ESPEAK_F2 = Voice(engine="espeak", name="en+f2", rate_wpm=160)
ESPEAK_M3 = Voice(engine="espeak", name="en-us+m3", rate_wpm=165)
ESPEAK_M7 = Voice(engine="espeak", name="en-us+m7", rate_wpm=160)

ANGRY_CUSTOMER_RIGHT = CallScript(
    call_id="angry_customer_right",
    title="Angry customer who is right",
    scenario=(
        "A customer was billed twice for the same month and opens the call shouting. The agent "
        "acknowledges the frustration, apologises once, restates the problem, refunds the "
        "duplicate and sets a dated next step; the customer calms down."
    ),
    agent_id="agent-007", agent_name="Sam", team="billing", customer_name="Dana Miller",
    voices={"agent": JOE, "customer": ESPEAK_F3},
    lines=(
        agent("Thank you for calling Brightline billing, my name is Sam. How can I help you today?"),
        customer("Yes, you people took the same payment from my card twice this month, "
                 "and I want that money back right now!", style="raised"),
        agent("I understand how upsetting it is to see a charge you never expected. "
              "Could I have your name, please?"),
        customer("It's Dana Miller, and this is the second time I have had to call!",
                 style="raised"),
        agent("Thank you, Miss Miller. I'm pulling up your account now."),
        customer("The payment went out on the third, and then the exact same amount went out "
                 "again on the fifth. I only noticed because my rent payment bounced."),
        agent_bc("I see.", at=0.45),
        agent("I'm sorry this happened. So if I have it right, you were billed forty two dollars "
              "twice for March, once on the third and again on the fifth?"),
        customer("Yes, that is exactly what happened. Both of them are on my statement."),
        agent("I can see the duplicate payment here. What I can do is refund the second charge "
              "to your card right away."),
        customer("Okay. How long will it take before I actually see the money?"),
        agent("The refund will reach your card within three business days, and I will email "
              "you a confirmation within the next hour."),
        customer("Alright, thank you. That is a relief, honestly. I was worried about the rent."),
        agent("You're welcome, Miss Miller. Is there anything else I can help you with today?"),
        customer("No, that was everything. Thanks for sorting it out so quickly."),
    ),
    checks=_checks("agent_introduction customer_name_used empathy_statement apology "
                   "paraphrase_or_clarify solution_offered next_steps_set closing_check"),
    seed=101,
)

AGENT_LOSES_COMPOSURE = CallScript(
    call_id="agent_loses_composure",
    title="Agent who loses composure",
    scenario=(
        "A customer's sign-up discount was not applied. The agent raises their voice, cuts the "
        "customer off twice, blames them, tells them to calm down and refuses to escalate."
    ),
    agent_id="agent-012", agent_name="Chris", team="billing", customer_name="Marcus Lee",
    voices={"agent": JOE_HIGH, "customer": JOE_LOW},
    lines=(
        agent("Good morning, you've reached Brightline billing. How can I help?"),
        customer("Hi, I signed up last week with a code for half price on the first three "
                 "months, but my bill came in at the full amount, so could someone look at it?"),
        agent("What's the account number?"),
        customer("It's four four seven one nine. I typed the code on the sign up page exactly "
                 "as it was printed on the flyer, and the page said it was accepted, so I "
                 "really don't understand why I'm —"),
        agent("The system shows no code on this account. You must have entered it wrong.",
              style="raised", cue="interrupt", overlap_s=1.0),
        customer("I didn't enter it wrong. I have a screenshot of the confirmation page "
                 "right here in front of me."),
        agent("Calm down, sir. A screenshot doesn't change what the system shows."),
        customer("I am perfectly calm. I only want the price I was promised when I signed up, "
                 "and I'd like you to check your promotion records, because I'm sure there's —"),
        agent("As I already said, there is no code on this account. There's nothing I can do.",
              style="raised", cue="interrupt", overlap_s=1.1),
        customer("Then I would like to speak to your supervisor, please."),
        agent("They will tell you exactly the same thing. You need to read the terms before "
              "you sign up for anything."),
        customer("So you won't even put me through to someone else?"),
        agent("There's no point. The bill stands as it is."),
        customer("Fine. Goodbye."),
    ),
    checks=_checks("negative_language blame_language dismissive_phrase "
                   "customer_escalation_request"),
    seed=202,
)

ABUSIVE_CALLER = CallScript(
    call_id="abusive_caller",
    title="Abusive caller",
    scenario=(
        "A customer with a failing internet line insults the agent. The agent calmly sets a "
        "boundary, keeps helping, books a technician and a follow-up; the customer threatens to "
        "cancel and post a review."
    ),
    agent_id="agent-021", agent_name="Ravi", team="support", customer_name="Rosa Carter",
    voices={"agent": JOE_DEEP, "customer": JOE_BRIGHT},
    lines=(
        agent("Hello, thanks for calling Brightline support, this is Ravi. "
              "Who am I speaking with?"),
        customer("Rosa Carter. My internet has dropped out three times this week, "
                 "and I work from home, so every time it happens I lose money."),
        agent("That sounds really disruptive, Miss Carter, especially when you rely on it "
              "for your work."),
        customer("Disruptive? It's damn useless! And so are you, you idiot, reading "
                 "from a script!", style="raised"),
        agent("I do want to help you fix this, but if that language continues, "
              "I will have to end the call."),
        customer("Fine. Just fix it."),
        agent("So the connection keeps dropping, and it started this week. "
              "Is that right?"),
        customer("Yes. It happens mostly in the afternoons. It cuts out for ten minutes or so, "
                 "and then it comes back on its own as if nothing happened."),
        agent("I can see errors on the line outside your building. I can book a technician "
              "to replace the faulty connection."),
        customer("If this isn't fixed by Friday, I'm cancelling, and I'm posting a review "
                 "about all of you!", style="raised"),
        agent("The technician can come tomorrow between nine and eleven, and I will call you "
              "on Thursday afternoon to make sure the line is holding up."),
        customer("Tomorrow morning works for me. Okay. I will be at home all morning anyway."),
        agent("Great. Is there anything else I can do for you today?"),
        customer("No. That's all for now."),
    ),
    checks=_checks("agent_introduction customer_name_used empathy_statement "
                   "paraphrase_or_clarify solution_offered next_steps_set closing_check "
                   "customer_abuse agent_boundary_set customer_threat", null_ids=""),
    seed=303,
)

MANAGER_REQUEST = CallScript(
    call_id="manager_request",
    title="Demand for a manager",
    scenario=(
        "A customer charged three late fees after the company's autopay failed asks for a "
        "manager. The agent empathises, says what they cannot do, waives one fee and transfers "
        "the call to a supervisor with a handover."
    ),
    agent_id="agent-007", agent_name="Sam", team="billing", customer_name="Henry Brooks",
    voices={"agent": JOE, "customer": JOE_LOW},
    lines=(
        agent("Good afternoon, Brightline billing. How can I help you?"),
        customer("I've been charged a late fee three months in a row, and every time it was "
                 "your autopay that failed, not me."),
        agent("I can hear how frustrating that is, especially when you set up autopay to "
              "avoid exactly this."),
        customer("It is. I have already explained all of this twice to other people, "
                 "and nothing happened either time."),
        agent_bc("Got it.", at=0.4),
        agent("I'm sorry you've had to repeat yourself. Just to confirm, you'd like all three "
              "late fees removed, is that right?"),
        customer("Yes, all of them. And honestly, I would like to speak to a manager this time."),
        agent("Unfortunately I can't remove more than one fee myself. I can waive this "
              "month's fee right now."),
        customer("That's not enough. Please put me through to your supervisor."),
        agent("Of course. I'll transfer you to my supervisor now, and I'll pass on everything "
              "you've told me, so you won't have to explain it again."),
        customer("Thank you, I appreciate that."),
        agent("Please stay on the line while I connect you."),
    ),
    checks=_checks("empathy_statement apology paraphrase_or_clarify solution_offered "
                   "next_steps_set negative_language customer_escalation_request "
                   "escalation_offered"),
    seed=404,
)

LONG_HOLD = CallScript(
    call_id="long_hold",
    title="Long unexplained hold",
    scenario=(
        "A replacement router went to an old address. The agent puts the customer on two silent "
        "holds without explaining them, then offers to resend it, with no dated next step."
    ),
    agent_id="agent-021", agent_name="Ravi", team="support", customer_name="Alex Morgan",
    voices={"agent": JOE_DEEP, "customer": ESPEAK_M3},
    lines=(
        agent("Hi, you're through to Brightline support, my name is Ravi. How can I help?"),
        customer("Hi, this is Alex Morgan. I ordered a replacement router ten days ago, "
                 "and it still hasn't arrived."),
        agent("Okay, Alex. So you're waiting for a replacement router you ordered about ten "
              "days ago. One moment."),
        customer("Hello? Are you still there?", gap_s=7.6),
        agent("Yes. I'm still looking at the order. One moment."),
        agent("Okay. The router was sent to your old address on Pine Street.", gap_s=5.6),
        customer("Pine Street? I moved out of there in January. "
                 "I updated my address on the website."),
        agent("I can send a new router to your current address."),
        customer("Fine. It's twelve Harbor Road, apartment four."),
        agent("Twelve Harbor Road, apartment four. Anything else?"),
        customer("No. Just make sure it goes to the right place this time."),
        agent("Okay. Bye."),
    ),
    checks=_checks("agent_introduction customer_name_used paraphrase_or_clarify "
                   "solution_offered closing_check"),
    seed=505,
)

ROUTINE_ADDRESS_CHANGE = CallScript(
    call_id="routine_address_change",
    title="Routine address change",
    scenario=(
        "A calm customer moves house. The agent introduces themself, uses the customer's name, "
        "confirms the new address, sets clear next steps and checks for anything else."
    ),
    agent_id="agent-033", agent_name="Jordan", team="accounts", customer_name="Grace Taylor",
    voices={"agent": JOE_LOW, "customer": ESPEAK_F2},
    lines=(
        agent("Good morning, Brightline customer accounts, this is Jordan speaking. "
              "How can I help you today?"),
        customer("Good morning. I'm moving house next week, and I need to change the address "
                 "on my account."),
        agent("I can help with that. May I have your full name, please?"),
        customer("It's Grace Taylor."),
        agent("Thank you, Miss Taylor. And what's the new address?"),
        customer("It's twenty eight Willow Lane, Springfield, and I move in on the "
                 "fifteenth of May."),
        agent("So that's twenty eight Willow Lane, Springfield, from the fifteenth of May. "
              "Is that correct?"),
        customer("Yes, that's right."),
        agent("I've updated your account, and your service will move over on the fifteenth. "
              "You'll get a confirmation email within the next ten minutes, and your first "
              "bill at the new address will arrive in June."),
        customer_bc("Okay.", at=0.35),
        customer_bc("Mm-hmm.", at=0.72),
        customer("Perfect, that was easy."),
        agent("Is there anything else I can help you with, Miss Taylor?"),
        customer("No, that's everything. Thank you."),
        agent("Thank you for calling, and good luck with the move."),
    ),
    checks=_checks("agent_introduction customer_name_used paraphrase_or_clarify "
                   "solution_offered next_steps_set closing_check"),
    seed=606,
)

OVER_APOLOGETIC = CallScript(
    call_id="over_apologetic",
    title="Over-apologetic agent",
    scenario=(
        "A cancelled sports package is still on the bill. The agent fixes it but apologises so "
        "often that the customer, mildly annoyed, asks them to stop."
    ),
    agent_id="agent-012", agent_name="Chris", team="billing", customer_name="Terry Reyes",
    voices={"agent": JOE_HIGH, "customer": ESPEAK_F3},
    lines=(
        agent("Hello, thanks for calling Brightline billing. How can I help?"),
        customer("Hi. I cancelled my sports package last month, but it is still on my new bill."),
        agent("Oh, I'm so sorry about that. I'm really sorry for the trouble."),
        customer("That's okay. The package was fifteen dollars a month, and I cancelled it over "
                 "the phone on the twentieth, so it shouldn't be on this bill at all."),
        agent_bc("Okay.", at=0.3),
        agent_bc("I see.", at=0.7),
        agent("I apologise. I understand how annoying that is. So the sports package was "
              "cancelled on the twentieth, but you were still billed for it this month?"),
        customer("Yes, exactly."),
        agent("Sorry again. I'll remove the charge and credit fifteen dollars to your account."),
        customer("You really don't need to keep apologising. I just want it off the bill."),
        agent("Of course, sorry. The credit will show on your account by Friday, and I'll "
              "email you a copy of the corrected bill today."),
        customer("Great, thanks."),
        agent("Is there anything else I can help with?"),
        customer("No, that's all."),
    ),
    checks=_checks("empathy_statement apology over_apology paraphrase_or_clarify "
                   "solution_offered next_steps_set closing_check"),
    seed=707,
)

TALK_OVER = CallScript(
    call_id="talk_over",
    title="Customer who keeps interrupting",
    scenario=(
        "An installer missed an appointment. The customer talks over the agent three times; "
        "both sides use backchannels. The agent stays calm, books a confirmed slot and a credit."
    ),
    agent_id="agent-021", agent_name="Ravi", team="support", customer_name="Mike Dunn",
    voices={"agent": JOE_DEEP, "customer": ESPEAK_M7},
    lines=(
        agent("Good afternoon, Brightline support, this is Ravi. What can I do for you?"),
        customer("The installer was supposed to come yesterday between one and five. I took "
                 "the afternoon off work, and nobody showed up or even called me."),
        agent_bc("Mm-hmm.", at=0.3),
        agent_bc("I see.", at=0.68),
        agent("I'm sorry about that, it's really frustrating to lose an afternoon waiting. "
              "Let me check what happened with the booking on our side —"),
        customer("I already know what happened, nobody came. I don't need you to check "
                 "anything, I need someone here today.", cue="interrupt", overlap_s=1.0),
        agent("Right. So you'd like the installation done today if at all possible?"),
        customer("Yes, today."),
        agent("Let me see what slots we have. There's an engineer in your area this afternoon, "
              "and I could try to add your address to —"),
        customer("Try? Last time someone said they would try, and I ended up waiting all day!",
                 style="raised", cue="interrupt", overlap_s=0.9),
        agent("Got it. I'll book a confirmed slot instead. The engineer will arrive between two "
              "and four this afternoon, and he'll call you thirty minutes before he gets there."),
        customer_bc("Okay.", at=0.33),
        customer_bc("Yeah.", at=0.7),
        customer("Okay, two to four. I will make sure I am at home for that."),
        agent("If there's any delay, I'll call you myself before two o'clock, and I'll also add "
              "a credit to your account for the missed visit, which should show up on —"),
        customer("A credit is fine, but I just want him to turn up this time.",
                 cue="interrupt", overlap_s=1.0),
        agent("Understood. He will be there between two and four today."),
        customer("Alright then. Thanks for getting it booked."),
    ),
    checks=_checks("agent_introduction empathy_statement apology paraphrase_or_clarify "
                   "solution_offered next_steps_set"),
    seed=808,
)

HEATED_CANCELLATION = CallScript(
    call_id="heated_cancellation",
    title="Cancellation threat with an insult left unaddressed",
    scenario=(
        "A customer calls to cancel after two outages and calls the staff useless. The agent "
        "apologises, checks the facts and offers a discount with a follow-up, but lets the "
        "insult pass without setting a boundary."
    ),
    agent_id="agent-007", agent_name="Sam", team="billing", customer_name="Laura Fisher",
    voices={"agent": JOE, "customer": JOE_BRIGHT},
    lines=(
        agent("Thanks for calling Brightline, you're speaking with Sam. How can I help today?"),
        customer("I want to cancel. Your service has gone down twice this month, "
                 "and I'm sick of it!", style="raised"),
        agent("I'm sorry about those outages. Can I take your name, and I'll pull up "
              "the account?"),
        customer("Laura Fisher. The account is under my name, at the same address as always."),
        agent("Thanks, Laura. I see two outages on your line this month, one on the fourth and "
              "one on the eleventh. Is that what you've been seeing?"),
        customer("Yes, and the last person I spoke to was completely useless. You are all useless!",
                 style="raised"),
        agent("Let me see what I can do. I can take twenty dollars off your next two bills, "
              "and we've replaced the equipment on your street, so it should be stable now."),
        customer("Twenty dollars off each bill. Well, that's something, I suppose. But if it "
                 "goes down one more time, I'm leaving, and I mean it."),
        agent("I'll put a note on your account, and I'll check your line again on Monday and "
              "send you a text with the results."),
        customer("Okay, fine. I will give it one more month and see how it goes."),
        agent("Thanks, Laura. Is there anything else I can help with today?"),
        customer("No, that's it."),
    ),
    checks=_checks("agent_introduction customer_name_used apology paraphrase_or_clarify "
                   "solution_offered next_steps_set closing_check customer_abuse "
                   "customer_threat", null_ids=""),
    seed=909,
)

CALLS: tuple[CallScript, ...] = (
    ANGRY_CUSTOMER_RIGHT,
    AGENT_LOSES_COMPOSURE,
    ABUSIVE_CALLER,
    MANAGER_REQUEST,
    LONG_HOLD,
    ROUTINE_ADDRESS_CHANGE,
    OVER_APOLOGETIC,
    TALK_OVER,
    HEATED_CANCELLATION,
)

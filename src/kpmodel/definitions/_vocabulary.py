"""The vocabularies of evidence and verdicts: the components conflict-diamond texts vary on."""

from __future__ import annotations

import enum

from kpmodel._boundary import show
from kpmodel.errors import InvalidRecordError


class _Vocabulary(enum.Enum):
    """An enum whose values are lowercase snake-case strings, readable in data files."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    @classmethod
    def from_text(cls, text: object) -> _Vocabulary:
        """Return the member named by `text` (a member, its value or its name, any case)."""
        if isinstance(text, cls):
            return text
        if isinstance(text, str):
            key = text.strip().lower().replace("-", "_").replace(" ", "_")
            for member in cls:
                if member.value == key:
                    return member
        choices = ", ".join(repr(m.value) for m in cls)
        msg = f"must be one of {choices}; got {show(text)}"
        raise ValueError(msg)

    @classmethod
    def _of_field(cls, value: object, *, path: str) -> _Vocabulary:
        """Return the member `value` names (`from_text`), or refuse it naming the field."""
        try:
            return cls.from_text(value)
        except ValueError as exc:
            raise InvalidRecordError(str(exc), path=path) from None


class Actor(_Vocabulary):
    """Who does what: the actor roles that definitions filter on.

    Members are the actors the texts in the catalogue name (rebels and their allies, armed
    groups, security forces, states, UN-sanctioned entities ...). `ANY_PARTY` is not
    an actor a situation has; definitions use "any party" by leaving the actor test out.

    Examples
    --------
    >>> kp.definitions.Actor.REBEL_MOVEMENT
    Actor.REBEL_MOVEMENT
    >>> kp.definitions.Actor.from_text("public_security_force")
    Actor.PUBLIC_SECURITY_FORCE

    .. versionadded:: 0.1
    """

    REBEL_MOVEMENT = "rebel_movement"
    ALLY_OF_REBELS = "ally_of_rebels"
    NON_STATE_ARMED_GROUP = "non_state_armed_group"
    MILITIA = "militia"
    MERCENARY = "mercenary"
    ORGANISED_CRIME = "organised_crime"
    TERRORIST_GROUP = "terrorist_group"
    PRIVATE_SECURITY_COMPANY = "private_security_company"
    PUBLIC_SECURITY_FORCE = "public_security_force"
    STATE = "state"
    FOREIGN_STATE_OR_OCCUPIER = "foreign_state_or_occupier"
    COMPANY = "company"
    UN_SANCTIONED_ENTITY = "un_sanctioned_entity"


class Harm(_Vocabulary):
    """The act or harm the diamonds are tied to.

    Examples
    --------
    >>> kp.definitions.Harm.FORCED_LABOUR.value
    'forced_labour'

    .. versionadded:: 0.1
    """

    FINANCING_ARMED_CONFLICT_AGAINST_GOVERNMENT = "financing_armed_conflict_against_government"
    FINANCING_ARMED_CONFLICT = "financing_armed_conflict"
    AGGRESSION_AGAINST_ANOTHER_STATE = "aggression_against_another_state"
    ILLEGAL_CONTROL_OF_SITES_OR_ROUTES = "illegal_control_of_sites_or_routes"
    ILLEGAL_TAXATION_OR_EXTORTION = "illegal_taxation_or_extortion"
    BRIBERY = "bribery"
    DISPOSSESSION = "dispossession"
    SYSTEMATIC_OR_WIDESPREAD_VIOLENCE = "systematic_or_widespread_violence"
    TORTURE = "torture"
    FORCED_LABOUR = "forced_labour"
    WORST_FORMS_OF_CHILD_LABOUR = "worst_forms_of_child_labour"
    WIDESPREAD_SEXUAL_VIOLENCE = "widespread_sexual_violence"
    IHL_VIOLATIONS = "ihl_violations"
    HUMAN_RIGHTS_ABUSE = "human_rights_abuse"
    ENVIRONMENTAL_HARM = "environmental_harm"
    CORRUPTION = "corruption"
    MONEY_LAUNDERING = "money_laundering"
    MISREPRESENTATION_OF_ORIGIN = "misrepresentation_of_origin"
    UNPAID_TAXES_OR_ROYALTIES = "unpaid_taxes_or_royalties"


class Link(_Vocabulary):
    """How the diamonds relate to the harm.

    `WEALTH_ACQUIRED_THROUGH_ILLEGAL_CONTROL` (the Canada/WDC/CSC 2018 prong (i): diamonds
    "used ... to acquire wealth through the illegal control, bribery, taxation, extortion or
    dispossession of people") and `SUPPLIER_LINKED_TO_PARTY` (OECD Annex II: a supplier
    "linked to" a party) name the links those texts use.

    Examples
    --------
    >>> kp.definitions.Link.USED_TO_FINANCE
    Link.USED_TO_FINANCE

    .. versionadded:: 0.1
    """

    USED_TO_FINANCE = "used_to_finance"
    BENEFIT_DIRECTLY_OR_INDIRECTLY = "benefit_directly_or_indirectly"
    ACQUIRED_THROUGH = "acquired_through"
    DIAMOND_RELATED_VIOLENCE_IN_AREA = "diamond_related_violence_in_area"
    MINED_IN_AFFECTED_AREA = "mined_in_affected_area"
    ORIGIN_IN_SANCTIONED_COUNTRY = "origin_in_sanctioned_country"
    PROCESS_NON_COMPLIANCE = "process_non_compliance"
    WEALTH_ACQUIRED_THROUGH_ILLEGAL_CONTROL = "wealth_acquired_through_illegal_control"
    SUPPLIER_LINKED_TO_PARTY = "supplier_linked_to_party"


class Target(_Vocabulary):
    """Whom the harm is aimed at (the purpose qualifier of a definition).

    Examples
    --------
    >>> kp.definitions.Target.LEGITIMATE_GOVERNMENT.value
    'legitimate_government'

    .. versionadded:: 0.1
    """

    LEGITIMATE_GOVERNMENT = "legitimate_government"
    DIAMOND_COMMUNITIES = "diamond_communities"
    OTHER_STATE_SOVEREIGNTY = "other_state_sovereignty"
    NONE = "none"


class Scale(_Vocabulary):
    """How grave or extensive the harm is (the threshold a definition may set).

    Examples
    --------
    >>> kp.definitions.Scale.WIDESPREAD_AND_SYSTEMATIC
    Scale.WIDESPREAD_AND_SYSTEMATIC

    .. versionadded:: 0.1
    """

    ISOLATED = "isolated"
    SERIOUS = "serious"
    WIDESPREAD = "widespread"
    SYSTEMATIC = "systematic"
    WIDESPREAD_AND_SYSTEMATIC = "widespread_and_systematic"


class Outcome(_Vocabulary):
    """A three-valued verdict: IN, OUT or UNDETERMINED (Kleene's strong logic).

    `IN` is true, `OUT` false and `UNDETERMINED` unknown: the evidence lacks what the
    definition needs, or the wording leaves the point open. `&` takes the lesser outcome
    (OUT < UNDETERMINED < IN), `|` the greater, and `~` swaps IN and OUT.

    Examples
    --------
    >>> O = kp.definitions.Outcome
    >>> O.IN & O.UNDETERMINED, O.OUT | O.UNDETERMINED, ~O.OUT
    (Outcome.UNDETERMINED, Outcome.UNDETERMINED, Outcome.IN)

    .. versionadded:: 0.1
    """

    IN = "in"
    OUT = "out"
    UNDETERMINED = "undetermined"

    @property
    def rank(self) -> int:
        """The truth order: OUT 0, UNDETERMINED 1, IN 2."""
        return _RANK[self]

    def __and__(self, other: Outcome) -> Outcome:
        return self if self.rank <= other.rank else other

    def __or__(self, other: Outcome) -> Outcome:
        return self if self.rank >= other.rank else other

    def __invert__(self) -> Outcome:
        if self is Outcome.IN:
            return Outcome.OUT
        if self is Outcome.OUT:
            return Outcome.IN
        return self


_RANK = {Outcome.OUT: 0, Outcome.UNDETERMINED: 1, Outcome.IN: 2}


class Status(_Vocabulary):
    """What standing a definition has.

    `COMBINATION` marks a definition an analyst built with `|`, `&`, `~`, `.without()` or
    `.with_actors()`: nobody adopted or proposed it.

    Examples
    --------
    >>> kp.definitions.KPCS_2003.status
    Status.IN_FORCE

    .. versionadded:: 0.1
    """

    IN_FORCE = "in_force"
    PROPOSAL = "proposal"
    POSITION = "position"
    ADJACENT_REGIME = "adjacent_regime"
    COMBINATION = "combination"


class Wording(_Vocabulary):
    """Whether a definition's wording is quoted verbatim, paraphrased, or derived from parts.

    Examples
    --------
    >>> kp.definitions.KPCS_2003.wording_kind
    Wording.VERBATIM

    .. versionadded:: 0.1
    """

    VERBATIM = "verbatim"
    PARAPHRASED = "paraphrased"
    DERIVED = "derived"

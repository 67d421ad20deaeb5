"""The KP register: participants, their dated status history, and who may trade when.

For example, the Republic of Congo was off the list in 2005:

>>> import datetime
>>> reg = kp.participants.Register.default()
>>> reg.may_trade("CG", on=datetime.date(2005, 3, 1))
False
"""

from kpmodel.participants._codes import country_name, is_country_code
from kpmodel.participants._register import (
    Measure,
    Membership,
    Participant,
    Register,
    Status,
    StatusEvent,
)

__all__ = [
    "Measure",
    "Membership",
    "Participant",
    "Register",
    "Status",
    "StatusEvent",
    "country_name",
    "is_country_code",
]

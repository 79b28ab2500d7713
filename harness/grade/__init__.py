"""Judging a SCIM *client* from what it sent (the reference server's recorder).

- :mod:`harness.grade.source`: the exchanges of a recorder database, selected by User-Agent
  glob and time;
- :mod:`harness.grade.filters`: a validator of RFC 7644 §3.4.2.2 filter syntax;
- :mod:`harness.grade.rules`: the client-side rules of RFC 7644, as data plus a judge each;
- :mod:`harness.grade.resemble`: which IdP profile (``harness/idp``) the requests resemble;
- :mod:`harness.grade.grade`: all of it as a :class:`harness.results.RunResult` of kind ``client``.
"""

from harness.grade.grade import grade_exchanges
from harness.grade.resemble import Resemblance, resemble
from harness.grade.rules import RULES, Rule
from harness.grade.source import GradeInputError, load_exchanges

__all__ = ["grade_exchanges", "resemble", "Resemblance", "RULES", "Rule", "load_exchanges", "GradeInputError"]

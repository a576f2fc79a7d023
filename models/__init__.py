"""SQLAlchemy models, split by business area. Importing this package registers every table."""

from models.organisation import Region, Unit, UnitKind, division_competent
from models.people import AppFunction, Operator, Post, UnitRole

__all__ = [
    "AppFunction",
    "Operator",
    "Post",
    "Region",
    "Unit",
    "UnitKind",
    "UnitRole",
    "division_competent",
]

"""baocao: the yearly reporting cycle of a provincial plan, from templates to the signed report."""

__version__ = "0.1.0"

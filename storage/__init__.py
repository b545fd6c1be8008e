"""SQLAlchemy implementation of the domain's ports."""

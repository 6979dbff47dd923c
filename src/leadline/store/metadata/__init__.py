"""The metadata store: SQLAlchemy Core tables and one repository per kind of object."""

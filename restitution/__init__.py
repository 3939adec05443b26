"""restitution: recordings of public sessions into captioned, chaptered, searchable media."""

__version__ = "0.1.0"

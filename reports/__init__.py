"""reports."""

__all__: list[str] = ["__version__"]
__version__ = "0.1.0"

"""Figure functions, one module per chapter. Importing this package registers them all."""

from . import pretraining  # noqa: F401

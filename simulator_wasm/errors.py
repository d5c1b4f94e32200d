"""The one error type for bad simulator input.

Every config in the lab (``PipelineConfig`` and the per-stage configs) validates on construction and raises
``ConfigError`` with a message that names the parameter, the value it got and the allowed range, e.g.
``ppo_iterations must be an integer in [10, 200], got 500``. It subclasses ``ValueError`` so callers that
already catch ``ValueError`` keep working; nothing is ever silently clamped.
"""


class ConfigError(ValueError):
    """Bad simulator input: the message names the parameter, its value and the allowed range."""

"""Figure functions, one module per chapter. Importing this package registers them all."""

from . import challenges, pharma  # noqa: F401
from . import home  # noqa: F401
from . import pretraining  # noqa: F401
from . import reward_model, rlhf  # noqa: F401
from . import sft  # noqa: F401
from . import simulator  # noqa: F401

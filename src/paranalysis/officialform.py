"""Kept for code written before the reader became ``paranalysis.forms``: every name of the
old module is there. New code imports from ``paranalysis.forms``."""

from paranalysis.forms import *  # noqa: F401,F403
from paranalysis.forms import __all__  # noqa: F401
from paranalysis.forms.messages import *  # noqa: F401,F403

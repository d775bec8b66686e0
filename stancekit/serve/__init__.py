"""``stancekit serve``: a Label Studio ML backend that pre-annotates with stancekit's models and retrains
from the project's annotations (see :mod:`stancekit.serve.app`)."""

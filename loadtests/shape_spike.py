"""Load shape 'spike' (see shapes.py): add this file after the locustfile with -f."""

import shapes


class SpikeShape(shapes.Spike):
    """Spike shape (concrete)."""

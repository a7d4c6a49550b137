"""Load shape 'ramp' (see shapes.py): add this file after the locustfile with -f."""

import shapes


class RampShape(shapes.Ramp):
    """Ramp shape (concrete)."""

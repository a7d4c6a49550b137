"""Load shape 'steady' (see shapes.py): add this file after the locustfile with -f."""

import shapes


class SteadyShape(shapes.Steady):
    """Steady shape (concrete)."""

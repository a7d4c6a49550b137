"""Load shape 'step' (see shapes.py): add this file after the locustfile with -f."""

import shapes


class StepShape(shapes.Step):
    """Step shape (concrete)."""

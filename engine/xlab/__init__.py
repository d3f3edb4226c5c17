"""X-Ray SSL Lab training engine: pretext tasks, encoder extraction, downstream evaluation.

Run a job with ``python -m xlab.worker --job FILE``; see docs/architecture.md, "Engine jobs and protocol".
"""

__version__ = "0.2.0"  # bump when results change meaning: it is part of every run's identity

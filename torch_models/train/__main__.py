"""Entry point of ``python -m torch_models.train`` (and of ``torchrun -m torch_models.train``)."""

from .cli import main

raise SystemExit(main())

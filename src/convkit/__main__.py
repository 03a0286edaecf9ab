"""``python -m convkit``: this build's configuration and how to try it."""

from __future__ import annotations

from ._config import show_config


def main() -> None:
    """Print ``show_config()`` and the command that trains a first network."""
    show_config()
    print()
    print("Try it: python -m convkit.demo  (trains LeNet on the embedded digits in a few seconds)")


if __name__ == "__main__":
    main()

"""``python -m indexdsl.cli``: the `indexdsl` command."""

import sys

from indexdsl.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""python -m pympler: the pympler command, run by its C sources (pympler._cli)."""
import sys

from pympler._cli import main

sys.exit(main(sys.argv))

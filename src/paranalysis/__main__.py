"""`python -m paranalysis ...` is the `paranalysis` command."""

from paranalysis.cli import main

raise SystemExit(main())

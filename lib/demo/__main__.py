"""`python -m lib.demo`: load the demo workspace (see lib.demo.build)."""
import sys

from lib.demo.build import main

sys.exit(main())

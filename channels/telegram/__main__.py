import sys

from channels.telegram.app import main

sys.exit(main())

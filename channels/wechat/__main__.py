import sys

from channels.wechat.app import main

sys.exit(main(sys.argv[1:]))

"""`make screenshots`: a PNG of every console page, with sample data, for the README.

Starts the real stack (backend, action server, Rasa) on free ports in a temporary directory,
puts the sample data in through the API and photographs each page in headless Chromium.
"""

import sys
import tempfile
from pathlib import Path

from tests.console.support import PAGES, answer_batch, chromium, log_in, seed
from testsupport.servers import PROJECT_ROOT, rasa_stack, staff_client

OUT = PROJECT_ROOT / "docs" / "screenshots"


def main(out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as tmp,
        rasa_stack(Path(tmp)) as stack,
        chromium() as browser,
    ):
        with staff_client(stack.backend) as staff:
            seed(staff)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(f"{stack.backend.url}/console/login")
        page.screenshot(path=out / "console-login.png", full_page=True)
        log_in(page, stack.backend)
        for name, (path, _) in PAGES.items():
            page.goto(f"{stack.backend.url}{path}")
            page.screenshot(path=out / f"console-{name}.png", full_page=True)
        answer_batch(page, stack.backend)
        page.screenshot(path=out / "console-host-results.png", full_page=True)
        context.close()
    print(f"==> screenshots in {out.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)

"""Security findings of issue 14, each reproduced against the real servers (the `stack` fixture
in tests/conftest.py, or a backend of its own): a test here failed on the code before the fix."""

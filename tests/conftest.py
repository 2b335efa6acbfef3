"""The harness's own test suite. pytester runs whole pytest sessions to test the plugin."""

pytest_plugins = ["pytester", "tests.netlab"]

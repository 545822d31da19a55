import os
import sys

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "integration"))
sys.path.insert(0, HERE)

# requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE from the environment override a session's
# own verify (the writer sets the lab CA on its session): without these the lab's
# certificates are checked against the system store and every TLS request fails.
for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(name, None)

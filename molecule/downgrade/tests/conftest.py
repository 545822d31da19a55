import os
import sys

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "integration"))
# The helpers shared with the rolling scenario.
sys.path.insert(0, os.path.join(HERE, "..", "..", "rolling", "tests"))

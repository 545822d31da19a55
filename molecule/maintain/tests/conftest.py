import os
import sys

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "integration"))
sys.path.insert(0, HERE)

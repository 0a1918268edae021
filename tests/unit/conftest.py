import os
import sys

sys.path.insert(0, os.path.dirname(__file__))                      # torch_oracle
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(__file__))))  # the repo root

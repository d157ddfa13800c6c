"""``python -m grader.schemas``: rewrite the shipped JSON Schema files from the code."""
from grader.schemas import write_all

for path in write_all():
    print(f"wrote {path}")

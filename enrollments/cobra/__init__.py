"""The COBRA rule engine: pure functions over plain values, no ORM.

Every rule of the law or of the seeds lives here once, with a table-driven
test in enrollments/tests/test_rules.py quoting its source.
"""

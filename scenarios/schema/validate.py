#!/usr/bin/env python3
"""Checks scenario files against scenario.schema.json with the reference `jsonschema`
implementation (Debian: python3-jsonschema, python3-yaml). Independent of the Catch2
tests, which never need Python.

usage: scenarios/schema/validate.py FILE.yaml...
"""
import json
import pathlib
import sys

import jsonschema
import yaml

schema = json.loads((pathlib.Path(__file__).parent / "scenario.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
failed = 0
for name in sys.argv[1:]:
    doc = yaml.safe_load(pathlib.Path(name).read_text())
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
        print(f"{name}: ${where}: {error.message}")
        failed += 1
sys.exit(1 if failed else 0)
